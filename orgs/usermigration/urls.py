from django.urls import path

from orgs.usermigration.views import exports

app_name = "usermigration"

urlpatterns: list = [
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
