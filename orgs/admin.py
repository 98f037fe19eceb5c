"""Django admin for superusers: read-mostly views of the portal's records.

Changes to Auth0-backed rows belong in the portal's own screens (they go through the
services and reach Auth0); the admin is for looking, and for break-glass fixes of
local-only fields.
"""

from __future__ import annotations

from django.contrib import admin

from orgs.models import (
    Application,
    ApplicationURL,
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

SYNCED = ("sync_state", "sync_error", "drift", "synced_at", "portal_id", "created_at", "updated_at")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "display_name", "status", "membership_model", "sync_state", "auth0_id")
    list_filter = ("status", "membership_model", "sync_state", "is_staff_organization")
    search_fields = ("name", "display_name", "auth0_id")
    readonly_fields = (*SYNCED, "auth0_id", "status")


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ("name", "strategy", "organization", "sync_state", "auth0_id")
    list_filter = ("strategy", "sync_state")
    search_fields = ("name", "auth0_id")
    readonly_fields = (*SYNCED, "auth0_id", "encrypted_secrets")


@admin.register(OrganizationConnection)
class OrganizationConnectionAdmin(admin.ModelAdmin):
    list_display = (
        "organization",
        "connection",
        "assign_membership_on_login",
        "show_as_button",
        "is_signup_enabled",
        "sync_state",
    )
    readonly_fields = SYNCED


@admin.register(ConnectionApplication)
class ConnectionApplicationAdmin(admin.ModelAdmin):
    list_display = ("connection", "application", "sync_state")
    readonly_fields = SYNCED


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("name", "client_id", "app_type", "organization_usage", "is_portal_login")
    search_fields = ("name", "client_id")


@admin.register(ApplicationURL)
class ApplicationURLAdmin(admin.ModelAdmin):
    list_display = ("url", "kind", "application", "organization", "removing", "sync_state")
    list_filter = ("kind", "sync_state", "removing")
    search_fields = ("url",)
    readonly_fields = SYNCED


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organization", "status", "uses_ticket", "sync_state", "expires_at")
    list_filter = ("status", "sync_state", "uses_ticket")
    search_fields = ("email",)
    readonly_fields = (*SYNCED, "auth0_id", "auth0_user_id")


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("email", "organization", "user_id", "sync_state")
    search_fields = ("email", "user_id")
    readonly_fields = SYNCED


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "auth0_id", "description")


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "organization", "status", "verified_at")
    list_filter = ("status",)


@admin.register(SyncOperation)
class SyncOperationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "organization",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error_code",
    )
    list_filter = ("state", "kind")
    search_fields = ("kind", "last_error", "idempotency_key")
    readonly_fields = [field.name for field in SyncOperation._meta.fields]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "action", "organization", "target")
    list_filter = ("action",)
    search_fields = ("actor_label", "target")
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
