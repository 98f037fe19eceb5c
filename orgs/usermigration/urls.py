from django.urls import path

from orgs.usermigration.views import exports, migrations

app_name = "usermigration"

urlpatterns: list = [
    # User migrations into an organization's own connection (views/migrations.py).
    path("<int:pk>/migrations/", migrations.migration_index, name="index"),
    path("<int:pk>/migrations/new", migrations.migration_new, name="new"),
    path("<int:pk>/migrations/example.csv", migrations.migration_example, name="example"),
    path("<int:pk>/migrations/<int:migration_id>/", migrations.migration_detail, name="detail"),
    path(
        "<int:pk>/migrations/<int:migration_id>/columns/",
        migrations.migration_mapping,
        name="mapping",
    ),
    path(
        "<int:pk>/migrations/<int:migration_id>/status/",
        migrations.migration_status,
        name="status",
    ),
    path(
        "<int:pk>/migrations/<int:migration_id>/results.csv",
        migrations.migration_results,
        name="results",
    ),
    path(
        "<int:pk>/migrations/<int:migration_id>/confirm/",
        migrations.migration_confirm_view,
        name="confirm",
    ),
    path(
        "<int:pk>/migrations/<int:migration_id>/discard/",
        migrations.migration_discard_view,
        name="discard",
    ),
    path(
        "<int:pk>/migrations/<int:migration_id>/continue/",
        migrations.migration_continue_view,
        name="continue",
    ),
    path(
        "<int:pk>/migrations/<int:migration_id>/retry/",
        migrations.migration_retry_view,
        name="retry",
    ),
    path(
        "<int:pk>/migrations/<int:migration_id>/stop/",
        migrations.migration_stop_view,
        name="stop",
    ),
    # Exports of an organization's users (orgs/usermigration/views/exports.py).
    path("<int:pk>/exports/new/", exports.export_new, name="export_new"),
    path("<int:pk>/exports/<int:export_id>/", exports.export_detail, name="export_detail"),
    path(
        "<int:pk>/exports/<int:export_id>/status/",
        exports.export_status,
        name="export_status",
    ),
    path(
        "<int:pk>/exports/<int:export_id>/download/",
        exports.export_file_download,
        name="export_download",
    ),
    path(
        "<int:pk>/exports/<int:export_id>/retry/",
        exports.export_retry_view,
        name="export_retry",
    ),
    path(
        "<int:pk>/exports/<int:export_id>/continue/",
        exports.export_continue_view,
        name="export_continue",
    ),
]
