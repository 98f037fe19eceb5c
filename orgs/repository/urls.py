from django.urls import path

from orgs.repository import views

app_name = "org_repository"
urlpatterns = [
    path("deploys/", views.deploy_list, name="deploys"),
    path("deploys/new/", views.deploy_now, name="deploy_now"),
    path("deploys/<int:deploy_id>/", views.deploy_detail, name="deploy"),
    path("deploys/<int:deploy_id>/retry/", views.deploy_retry, name="deploy_retry"),
    path("<int:pk>/history/commits/compare/", views.commit_compare, name="commit_compare"),
    path("<int:pk>/history/commits/<str:sha>/", views.commit_version, name="commit_version"),
    path(
        "<int:pk>/history/commits/<str:sha>/restore/",
        views.commit_restore,
        name="commit_restore",
    ),
]
