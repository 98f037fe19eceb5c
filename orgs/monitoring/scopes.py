"""Every Management API call the portal makes, with the scope it needs: the M2M check
compares the token's `scope` claim against `REQUIRED_SCOPES`, derived from this table.

Keep it in step with the code: `tests/monitoring/test_scopes.py` finds every
`management_client()...` call in the source and fails when one is missing here, and
checks each route and scope against the sandbox's route table (which follows Auth0's
Management API reference). Where Auth0 accepts any one of several scopes the table names
the one the portal's application is granted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GatewayCall:
    """One Management API call: the SDK method (the attribute chain after
    `management_client()`, empty for plain HTTP reads), its route and scope."""

    sdk: str
    method: str
    path: str
    scope: str


_ORG = "/organizations/{id}"
_SCIM = "/connections/{id}/scim-configuration"

GATEWAY_CALLS: tuple[GatewayCall, ...] = (
    # Organizations, their connections, members, roles, invitations and domains.
    GatewayCall("organizations.list", "GET", "/organizations", "read:organizations"),
    GatewayCall("organizations.get", "GET", _ORG, "read:organizations"),
    GatewayCall(
        "organizations.get_by_name", "GET", "/organizations/name/{name}", "read:organizations"
    ),
    GatewayCall("organizations.create", "POST", "/organizations", "create:organizations"),
    GatewayCall("organizations.update", "PATCH", _ORG, "update:organizations"),
    GatewayCall("organizations.delete", "DELETE", _ORG, "delete:organizations"),
    GatewayCall(
        "organizations.enabled_connections.list",
        "GET",
        f"{_ORG}/enabled_connections",
        "read:organization_connections",
    ),
    GatewayCall(
        "organizations.enabled_connections.add",
        "POST",
        f"{_ORG}/enabled_connections",
        "create:organization_connections",
    ),
    GatewayCall(
        "organizations.enabled_connections.update",
        "PATCH",
        f"{_ORG}/enabled_connections/{{connection_id}}",
        "update:organization_connections",
    ),
    GatewayCall(
        "organizations.enabled_connections.delete",
        "DELETE",
        f"{_ORG}/enabled_connections/{{connection_id}}",
        "delete:organization_connections",
    ),
    GatewayCall(
        "organizations.members.list", "GET", f"{_ORG}/members", "read:organization_members"
    ),
    GatewayCall(
        "organizations.members.create", "POST", f"{_ORG}/members", "create:organization_members"
    ),
    GatewayCall(
        "organizations.members.delete", "DELETE", f"{_ORG}/members", "delete:organization_members"
    ),
    GatewayCall(
        "organizations.members.roles.list",
        "GET",
        f"{_ORG}/members/{{user_id}}/roles",
        "read:organization_member_roles",
    ),
    GatewayCall(
        "organizations.members.roles.assign",
        "POST",
        f"{_ORG}/members/{{user_id}}/roles",
        "create:organization_member_roles",
    ),
    GatewayCall(
        "organizations.members.roles.delete",
        "DELETE",
        f"{_ORG}/members/{{user_id}}/roles",
        "delete:organization_member_roles",
    ),
    GatewayCall(
        "organizations.invitations.list",
        "GET",
        f"{_ORG}/invitations",
        "read:organization_invitations",
    ),
    GatewayCall(
        "organizations.invitations.create",
        "POST",
        f"{_ORG}/invitations",
        "create:organization_invitations",
    ),
    GatewayCall(
        "organizations.invitations.delete",
        "DELETE",
        f"{_ORG}/invitations/{{invitation_id}}",
        "delete:organization_invitations",
    ),
    GatewayCall(
        "organizations.discovery_domains.list",
        "GET",
        f"{_ORG}/discovery-domains",
        "read:organization_discovery_domains",
    ),
    GatewayCall(
        "organizations.discovery_domains.create",
        "POST",
        f"{_ORG}/discovery-domains",
        "create:organization_discovery_domains",
    ),
    GatewayCall(
        "organizations.discovery_domains.update",
        "PATCH",
        f"{_ORG}/discovery-domains/{{discovery_domain_id}}",
        "update:organization_discovery_domains",
    ),
    GatewayCall(
        "organizations.discovery_domains.delete",
        "DELETE",
        f"{_ORG}/discovery-domains/{{discovery_domain_id}}",
        "delete:organization_discovery_domains",
    ),
    # Connections, the applications they serve, SCIM.
    GatewayCall("connections.list", "GET", "/connections", "read:connections"),
    GatewayCall("connections.get", "GET", "/connections/{id}", "read:connections"),
    GatewayCall("connections.create", "POST", "/connections", "create:connections"),
    GatewayCall("connections.update", "PATCH", "/connections/{id}", "update:connections"),
    GatewayCall("connections.delete", "DELETE", "/connections/{id}", "delete:connections"),
    GatewayCall("connections.clients.get", "GET", "/connections/{id}/clients", "read:connections"),
    GatewayCall(
        "connections.clients.update", "PATCH", "/connections/{id}/clients", "update:connections"
    ),
    GatewayCall("connections.scim_configuration.get", "GET", _SCIM, "read:scim_config"),
    GatewayCall("connections.scim_configuration.create", "POST", _SCIM, "create:scim_config"),
    GatewayCall("connections.scim_configuration.delete", "DELETE", _SCIM, "delete:scim_config"),
    GatewayCall(
        "connections.scim_configuration.tokens.get", "GET", f"{_SCIM}/tokens", "read:scim_token"
    ),
    GatewayCall(
        "connections.scim_configuration.tokens.create",
        "POST",
        f"{_SCIM}/tokens",
        "create:scim_token",
    ),
    GatewayCall(
        "connections.scim_configuration.tokens.delete",
        "DELETE",
        f"{_SCIM}/tokens/{{token_id}}",
        "delete:scim_token",
    ),
    # Applications (organization URLs on the login application).
    GatewayCall("clients.list", "GET", "/clients", "read:clients"),
    GatewayCall("clients.get", "GET", "/clients/{id}", "read:clients"),
    GatewayCall("clients.update", "PATCH", "/clients/{id}", "update:clients"),
    # Users: invited users of own-database organizations, block, sign-out, lookups.
    GatewayCall("users.list", "GET", "/users", "read:users"),
    GatewayCall("users.get", "GET", "/users/{id}", "read:users"),
    GatewayCall("users.list_users_by_email", "GET", "/users-by-email", "read:users"),
    GatewayCall("users.create", "POST", "/users", "create:users"),
    GatewayCall("users.update", "PATCH", "/users/{id}", "update:users"),
    GatewayCall("users.delete", "DELETE", "/users/{id}", "delete:users"),
    GatewayCall(
        "users.organizations.list", "GET", "/users/{id}/organizations", "read:organizations"
    ),
    GatewayCall("users.sessions.delete", "DELETE", "/users/{user_id}/sessions", "delete:sessions"),
    GatewayCall(
        "users.refresh_token.delete",
        "DELETE",
        "/users/{user_id}/refresh-tokens",
        "delete:refresh_tokens",
    ),
    GatewayCall("roles.list", "GET", "/roles", "read:roles"),
    # orgs export: deploy-cli replaces a role's permissions with the file's, so they are read.
    GatewayCall("roles.permissions.list", "GET", "/roles/{id}/permissions", "read:roles"),
    GatewayCall(
        "tickets.change_password", "POST", "/tickets/password-change", "create:user_tickets"
    ),
    # Self-service SSO.
    GatewayCall(
        "self_service_profiles.list", "GET", "/self-service-profiles", "read:self_service_profiles"
    ),
    GatewayCall(
        "self_service_profiles.create",
        "POST",
        "/self-service-profiles",
        "create:self_service_profiles",
    ),
    GatewayCall(
        "self_service_profiles.sso_ticket.create",
        "POST",
        "/self-service-profiles/{id}/sso-ticket",
        "create:sso_access_tickets",
    ),
    GatewayCall(
        "self_service_profiles.sso_ticket.revoke",
        "POST",
        "/self-service-profiles/{profileId}/sso-ticket/{id}/revoke",
        "delete:sso_access_tickets",
    ),
    # User migration and export (orgs/usermigration): Auth0's bulk jobs.
    GatewayCall("jobs.users_imports.create", "POST", "/jobs/users-imports", "create:users"),
    GatewayCall("jobs.users_exports.create", "POST", "/jobs/users-exports", "read:users"),
    GatewayCall("jobs.get", "GET", "/jobs/{id}", "read:users"),
    GatewayCall("jobs.errors.get", "GET", "/jobs/{id}/errors", "read:users"),
    # Operations: the tenant checks and the log archive (a plain HTTP read).
    GatewayCall("emails.provider.get", "GET", "/emails/provider", "read:email_provider"),
    GatewayCall("log_streams.list", "GET", "/log-streams", "read:log_streams"),
    GatewayCall("", "GET", "/logs", "read:logs"),
)

REQUIRED_SCOPES: tuple[str, ...] = tuple(sorted({call.scope for call in GATEWAY_CALLS}))


def calls_needing(scope: str) -> list[str]:
    """What stops working without `scope`, as "METHOD /path" lines for a person."""
    return [f"{call.method} {call.path}" for call in GATEWAY_CALLS if call.scope == scope]
