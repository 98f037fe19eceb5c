from django.urls import path

from orgs.views import (
    org_audit,
    org_connections,
    org_domains,
    org_invitations,
    org_members,
    org_urls,
    organizations,
)

app_name = "orgs"
urlpatterns = [
    path("", organizations.organization_list, name="list"),
    path("mine/", organizations.my_organization, name="mine"),
    # An organization's tabs (orgs.views.tabs).
    path("<int:pk>/", organizations.organization_detail, name="detail"),
    path("<int:pk>/connections/", org_connections.organization_connections, name="connections"),
    path("<int:pk>/urls/", org_urls.organization_urls, name="urls"),
    path("<int:pk>/invitations/", org_invitations.organization_invitations, name="invitations"),
    path("<int:pk>/members/", org_members.organization_members, name="members"),
    path("<int:pk>/domains/", org_domains.organization_domains, name="domains"),
    path("<int:pk>/activity/", organizations.organization_activity, name="activity"),
    path("<int:pk>/audit/", org_audit.organization_audit, name="audit"),
    path("<int:pk>/timeline/", organizations.organization_timeline, name="timeline"),
    path(
        "<int:pk>/operations/<int:op_id>/<str:action>/",
        organizations.operation_action,
        name="operation_action",
    ),
]
