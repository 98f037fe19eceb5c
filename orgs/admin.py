"""Django admin for superusers: read-only views of the portal's records.

Every change to these rows must go through `orgs/services/*`, which writes the row, its
AuditEvent and the SyncOperation that carries it to Auth0 in one transaction. An admin
edit would do none of that: Auth0 would keep the old value (and reconcile would report
drift or revert it), nobody would know who changed what, and a delete would cascade to
rows whose Auth0 counterparts stay. So every model here is view-only, including the
local-only ones:

- `Synced` rows (organizations, connections, their links, application URLs, members,
  invitations) are what the engine pushes to Auth0;
- `Application` and `Role` are imported from the tenant, and their Auth0 ids are what
  the handlers write to;
- a `Domain`'s status is the result of its DNS check, not something to set by hand;
- `AuditEvent`, `SyncOperation` and `ArchivedOperation` are the record of what happened
  (retry and cancel are in the portal's operation screens, which audit them).

Fixes go through the portal's screens or `manage.py orgs`; the admin is for looking.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from orgs.models import (
    Application,
    ApplicationURL,
    ArchivedOperation,
    AuditEvent,
    Connection,
    ConnectionApplication,
    Domain,
    Invitation,
    Member,
    Organization,
    OrganizationConnection,
    Role,
    SyncOperation,
)

# Not editable in the model, so shown only when named: the sync columns of a Synced row.
SYNCED = ("sync_state", "sync_error", "drift", "synced_at", "portal_id", "created_at", "updated_at")


class ReadOnlyAdmin(admin.ModelAdmin):
    """View permission only: the change page renders read-only, and add, change (POST)
    and delete answer 403. Without delete permission the bulk delete action is gone."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ("name", "display_name", "status", "membership_model", "sync_state", "auth0_id")
    list_filter = ("status", "membership_model", "sync_state", "is_staff_organization")
    search_fields = ("name", "display_name", "auth0_id")
    readonly_fields = (*SYNCED, "auth0_id")


@admin.register(Connection)
class ConnectionAdmin(ReadOnlyAdmin):
    list_display = ("name", "strategy", "organization", "sync_state", "auth0_id")
    list_filter = ("strategy", "sync_state")
    search_fields = ("name", "auth0_id", "organization__name")
    # `encrypted_secrets` stays hidden: ciphertext tells the reader nothing.
    readonly_fields = (*SYNCED, "auth0_id")


@admin.register(OrganizationConnection)
class OrganizationConnectionAdmin(ReadOnlyAdmin):
    list_display = (
        "organization",
        "connection",
        "assign_membership_on_login",
        "show_as_button",
        "is_signup_enabled",
        "sync_state",
    )
    list_filter = ("sync_state",)
    search_fields = ("organization__name", "connection__name")
    readonly_fields = SYNCED


@admin.register(ConnectionApplication)
class ConnectionApplicationAdmin(ReadOnlyAdmin):
    list_display = ("connection", "application", "sync_state")
    list_filter = ("sync_state",)
    search_fields = ("connection__name", "application__name", "application__client_id")
    readonly_fields = SYNCED


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("name", "client_id", "app_type", "organization_usage", "is_portal_login")
    list_filter = ("app_type", "organization_usage", "is_portal_login")
    search_fields = ("name", "client_id")


@admin.register(ApplicationURL)
class ApplicationURLAdmin(ReadOnlyAdmin):
    list_display = ("url", "kind", "application", "organization", "removing", "sync_state")
    list_filter = ("kind", "sync_state", "removing")
    search_fields = ("url", "organization__name")
    readonly_fields = SYNCED


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("email", "organization", "status", "uses_ticket", "sync_state", "expires_at")
    list_filter = ("status", "sync_state", "uses_ticket")
    search_fields = ("email", "organization__name", "auth0_id")
    readonly_fields = (*SYNCED, "auth0_id", "auth0_user_id")


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ("email", "organization", "user_id", "removing", "sync_state")
    list_filter = ("sync_state", "removing")
    search_fields = ("email", "user_id", "organization__name")
    readonly_fields = SYNCED


@admin.register(Role)
class RoleAdmin(ReadOnlyAdmin):
    list_display = ("name", "auth0_id", "description")
    search_fields = ("name", "auth0_id")


@admin.register(Domain)
class DomainAdmin(ReadOnlyAdmin):
    list_display = ("domain", "organization", "status", "verified_at")
    list_filter = ("status",)
    search_fields = ("domain", "organization__name")
    readonly_fields = ("created_at",)


@admin.register(SyncOperation)
class SyncOperationAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "organization",
        "state",
        "priority",
        "attempts",
        "next_attempt_at",
        "last_error_code",
    )
    list_filter = ("state", "priority", "origin", "kind")
    search_fields = ("kind", "target_key", "last_error", "idempotency_key")
    readonly_fields = [field.name for field in SyncOperation._meta.fields]


@admin.register(ArchivedOperation)
class ArchivedOperationAdmin(ReadOnlyAdmin):
    list_display = (
        "operation_id",
        "kind",
        "organization_id",
        "priority",
        "origin",
        "attempts",
        "created_at",
        "finished_at",
    )
    list_filter = ("priority", "origin", "kind")
    search_fields = ("kind", "=operation_id", "=organization_id")
    readonly_fields = [field.name for field in ArchivedOperation._meta.fields]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "action", "organization", "target")
    list_filter = ("action",)
    search_fields = ("actor_label", "target", "organization__name")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
