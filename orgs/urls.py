from django.urls import path

from orgs.views import (
    applications,
    audit_log,
    bulk,
    operations_queue,
    org_api_keys,
    org_audit,
    org_connections,
    org_domains,
    org_forms,
    org_history,
    org_invitations,
    org_lifecycle,
    org_list,
    org_member_actions,
    org_members,
    org_urls,
    org_user_accounts,
    organizations,
)

app_name = "orgs"
urlpatterns = [
    path("", org_list.organization_list, name="list"),
    path("mine/", organizations.my_organization, name="mine"),
    # Staff lists across organizations.
    path("audit/", audit_log.audit_log, name="audit_log"),
    path("audit/export.csv", audit_log.audit_log_csv, name="audit_log_csv"),
    path("operations/", operations_queue.operations_queue, name="operations"),
    path("operations/live/", operations_queue.operations_queue_live, name="operations_live"),
    path("operations/retry/", operations_queue.operations_retry, name="operations_retry"),
    path("operations/cancel/", operations_queue.operations_cancel, name="operations_cancel"),
    path("applications/", applications.applications, name="applications"),
    # Bulk provisioning from a CSV file (orgs.views.bulk).
    path("bulk/", bulk.bulk_runs, name="bulk_runs"),
    path("bulk/new/", bulk.bulk_new, name="bulk_new"),
    path("bulk/example.csv", bulk.bulk_example, name="bulk_example"),
    path("bulk/<int:run_id>/", bulk.bulk_run, name="bulk_run"),
    path("bulk/<int:run_id>/live/", bulk.bulk_run_live, name="bulk_run_live"),
    path("bulk/<int:run_id>/confirm/", bulk.bulk_confirm, name="bulk_confirm"),
    path("bulk/<int:run_id>/results.csv", bulk.bulk_results, name="bulk_results"),
    # Create and edit (orgs.views.org_forms); suspend, reactivate and delete confirm on GET
    # and act on POST (orgs.views.org_lifecycle).
    path("new/", org_forms.create_organization, name="create"),
    path("new/name-check/", org_forms.check_organization_name, name="name_check"),
    path("<int:pk>/edit/", org_forms.edit_organization, name="edit"),
    path("<int:pk>/suspend/", org_lifecycle.suspend_organization, name="suspend"),
    path("<int:pk>/reactivate/", org_lifecycle.reactivate_organization, name="reactivate"),
    path("<int:pk>/delete/", org_lifecycle.delete_organization, name="delete"),
    # An organization's tabs (orgs.views.tabs).
    path("<int:pk>/", organizations.organization_detail, name="detail"),
    path("<int:pk>/connections/", org_connections.organization_connections, name="connections"),
    path("<int:pk>/urls/", org_urls.organization_urls, name="urls"),
    path("<int:pk>/invitations/", org_invitations.organization_invitations, name="invitations"),
    path("<int:pk>/members/", org_members.organization_members, name="members"),
    path("<int:pk>/domains/", org_domains.organization_domains, name="domains"),
    path("<int:pk>/domains/claim/", org_domains.claim, name="domain_claim"),
    path("<int:pk>/domains/<int:domain_id>/check/", org_domains.check, name="domain_check"),
    path("<int:pk>/domains/<int:domain_id>/remove/", org_domains.remove, name="domain_remove"),
    path("<int:pk>/domains/<int:domain_id>/approve/", org_domains.approve, name="domain_approve"),
    path("<int:pk>/domains/<int:domain_id>/refuse/", org_domains.refuse, name="domain_refuse"),
    path("domain-approvals/", org_domains.approvals, name="domain_approvals"),
    path("<int:pk>/activity/", organizations.organization_activity, name="activity"),
    path("<int:pk>/audit/", org_audit.organization_audit, name="audit"),
    path("<int:pk>/audit/export.csv", org_audit.organization_audit_csv, name="audit_csv"),
    path("<int:pk>/history/", org_history.organization_history, name="history"),
    path("<int:pk>/history/compare/", org_history.history_compare, name="history_compare"),
    path("<int:pk>/history/<int:number>/", org_history.history_version, name="history_version"),
    path(
        "<int:pk>/history/<int:number>/restore/",
        org_history.history_restore,
        name="history_restore",
    ),
    path("<int:pk>/api-keys/", org_api_keys.organization_api_keys, name="api_keys"),
    path(
        "<int:pk>/api-keys/<int:key_id>/revoke/",
        org_api_keys.api_key_revoke,
        name="api_key_revoke",
    ),
    path("<int:pk>/timeline/", organizations.organization_timeline, name="timeline"),
    # The connections, application URLs and invitations tabs' actions; the destructive
    # ones show a confirmation on GET and act on POST.
    path(
        "<int:pk>/connections/enable/",
        org_connections.connection_enable,
        name="connection_enable",
    ),
    path(
        "<int:pk>/connections/<int:connection_id>/settings/",
        org_connections.connection_update,
        name="connection_update",
    ),
    path(
        "<int:pk>/connections/<int:connection_id>/disable/",
        org_connections.connection_disable,
        name="connection_disable",
    ),
    path(
        "<int:pk>/connections/<int:connection_id>/applications/add/",
        org_connections.connection_application_add,
        name="connection_application_add",
    ),
    path(
        "<int:pk>/connections/<int:connection_id>/applications/<int:application_id>/remove/",
        org_connections.connection_application_remove,
        name="connection_application_remove",
    ),
    path("<int:pk>/urls/add/", org_urls.url_add, name="url_add"),
    path("<int:pk>/urls/<int:url_id>/remove/", org_urls.url_remove, name="url_remove"),
    path("<int:pk>/invitations/new/", org_invitations.invitation_create, name="invitation_create"),
    path(
        "<int:pk>/invitations/<int:invitation_id>/resend/",
        org_invitations.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "<int:pk>/invitations/<int:invitation_id>/revoke/",
        org_invitations.invitation_revoke,
        name="invitation_revoke",
    ),
    # A member's page (read from Auth0) and their changes; removing, blocking and signing
    # out everywhere show a confirmation on GET and act on POST (orgs.views.org_member_actions).
    # Own-database organizations: create and delete accounts (orgs.views.org_user_accounts).
    path("<int:pk>/users/new/", org_user_accounts.user_create_page, name="user_create"),
    path(
        "<int:pk>/members/<str:user_id>/delete/",
        org_user_accounts.user_delete_page,
        name="user_delete",
    ),
    path("<int:pk>/members/<str:user_id>/", org_members.member_detail, name="member"),
    path(
        "<int:pk>/members/<str:user_id>/activity/",
        org_members.member_activity,
        name="member_activity",
    ),
    path(
        "<int:pk>/members/<str:user_id>/roles/add/",
        org_member_actions.member_role_add,
        name="member_role_add",
    ),
    path(
        "<int:pk>/members/<str:user_id>/roles/remove/",
        org_member_actions.member_role_remove,
        name="member_role_remove",
    ),
    path(
        "<int:pk>/members/<str:user_id>/remove/",
        org_member_actions.member_remove,
        name="member_remove",
    ),
    path(
        "<int:pk>/members/<str:user_id>/block/",
        org_member_actions.member_block,
        name="member_block",
    ),
    path(
        "<int:pk>/members/<str:user_id>/unblock/",
        org_member_actions.member_unblock,
        name="member_unblock",
    ),
    path(
        "<int:pk>/members/<str:user_id>/sign-out/",
        org_member_actions.member_sign_out,
        name="member_sign_out",
    ),
    path(
        "<int:pk>/members/<str:user_id>/password-reset/",
        org_member_actions.member_password_reset,
        name="member_password_reset",
    ),
    path(
        "<int:pk>/operations/<int:op_id>/<str:action>/",
        organizations.operation_action,
        name="operation_action",
    ),
]
