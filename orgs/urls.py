from django.urls import path

from orgs.views import organizations

app_name = "orgs"
urlpatterns = [
    path("", organizations.organization_list, name="list"),
    path("mine/", organizations.my_organization, name="mine"),
    path("<int:pk>/", organizations.organization_detail, name="detail"),
    path("<int:pk>/timeline/", organizations.organization_timeline, name="timeline"),
    path(
        "<int:pk>/operations/<int:op_id>/<str:action>/",
        organizations.operation_action,
        name="operation_action",
    ),
]
