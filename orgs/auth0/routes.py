"""Management API paths as route templates: `/api/v2/organizations/{id}/members`.

Metrics label calls by route, never by raw path: a label per organization or user id would
grow without bound. A segment is kept only when it is one of the literal words of Auth0's
published Management API paths (`../shared/auth0/management-api.openapi.json`, every
segment not in braces); anything else (ids, names, emails) becomes `{id}`. So the label's
values are bounded by that vocabulary whatever the portal calls.
"""

from __future__ import annotations

from urllib.parse import unquote

from orgs.auth0.ratelimit_inputs import _api_path

API_PREFIX = "/api/v2"
ID = "{id}"

LITERAL_SEGMENTS = frozenset(
    """
    actions active-users anomaly apns attack-protection authentication-methods
    authenticators bindings blocks bot-detection branding breached-password-detection
    brute-force-protection captcha cimd clear client-grants clients connected-accounts
    connection-profiles connections connections-directory-provisionings
    connections-scim-configurations credentials custom-domains custom-signing custom-text
    daily default default-mapping deliveries deploy device-credentials
    directory-provisioning discovery-domains duo effective-permissions effective-roles
    email-templates email-verification emails enabled_connections encryption enrollments
    errors event-streams events executions experimentation experiments factors fcm fcmv1
    feature-flags federated-connections-tokensets flows forms grants groups guardian hooks
    identities invalidate-remember-browser invitations ips jobs keys log-streams logs
    members message-types modules multifactor name network-acls new-device organizations
    partials password-change permissions phone phone-provider-protection policies preview
    prompts provider providers push-notification rate-limit-policies
    recovery-code-regeneration redeliver refresh-tokens register rekey rendering reset
    resource-servers revoke revoke-access risk-assessments roles rollback rotate
    rotate-secret rules rules-configs scim-configuration screen secrets segments
    selected-provider self-service-profiles sessions settings signing sms sns sources
    sso-ticket stats status supplemental-signals suspicious-ip-throttling synchronizations
    synchronized-groups templates tenants test themes ticket tickets token-exchange-profiles
    tokens triggers try twilio universal-login user-attribute-profiles user-blocks users
    users-by-email users-exports users-imports validate variations vault
    verifiable-credentials verification verification-email verify versions wrapping-key
    """.split()  # noqa: SIM905 (a word list reads and diffs better than 152 quoted strings)
)


def route_template(path: str) -> str:
    """The route a Management API path belongs to ("/api/v2/roles/{id}"), query left out."""
    kept: list[str] = []
    for segment in (s for s in _api_path(path).split("/") if s):
        # `/organizations/name/{name}`: a name may be any word, "roles" included.
        literal = unquote(segment) in LITERAL_SEGMENTS and kept[-1:] != ["name"]
        kept.append(segment if literal else ID)
    return API_PREFIX + "/" + "/".join(kept) if kept else API_PREFIX
