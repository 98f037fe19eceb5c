"""Audit events as a person reads them: the action in words, the details with secrets
redacted, and a field's before → after. Used by the audit log, the organization's audit
trail tab and the CSV export, so all three say the same thing."""

from __future__ import annotations

import re
from typing import Any

ACTION_WORDS: dict[str, str] = {
    "organization.create": "Created the organization",
    "organization.update": "Changed the organization",
    "organization.suspend": "Suspended the organization",
    "organization.reactivate": "Reactivated the organization",
    "organization.delete": "Deleted the organization",
    "organization.restore": "Restored an earlier version",
    "organization_connection.enable": "Enabled a connection",
    "organization_connection.update": "Changed a connection's settings",
    "organization_connection.disable": "Disabled a connection",
    "connection.create": "Created a connection",
    "connection.update": "Changed a connection's options",
    "connection.delete": "Deleted a connection",
    "domain.claim": "Claimed a domain",
    "domain.verify": "Verified a domain",
    "domain.approve": "Approved a domain claim",
    "domain.refuse": "Refused a domain claim",
    "domain.remove": "Removed a domain",
    "domain.fail": "A domain failed its daily checks",
    "sso.start": "Started setting up single sign-on",
    "sso.idp_details": "Entered the identity provider's details",
    "sso.mapping": "Changed the attribute mapping",
    "sso.test": "Tested a single sign-on connection",
    "sso.activate": "Turned on single sign-on",
    "sso.disable": "Turned off single sign-on",
    "sso.enable": "Turned single sign-on back on",
    "sso.delete": "Deleted a single sign-on connection",
    "sso.draft": "Started editing single sign-on as a draft",
    "sso.swap": "Swapped in the edited single sign-on",
    "sso.discard": "Discarded a single sign-on draft",
    "sso.certificate_staged": "A new signing certificate was published",
    "sso.certificate_swap": "Swapped in a new signing certificate",
    "sso.require": "Required single sign-on",
    "sso.allow_passwords": "Allowed passwords again",
    "sso.break_glass": "Changed the emergency password sign-in",
    "sso_profile.create": "Created an Auth0 self-service SSO profile",
    "sso_ticket.issue": "Issued an Auth0 self-service SSO ticket",
    "sso_ticket.revoke": "Revoked an Auth0 self-service SSO ticket",
    "setup_link.create": "Created a setup link",
    "setup_link.resend": "Sent a setup link again",
    "setup_link.revoke": "Revoked a setup link",
    "setup_link.open": "Opened a setup link",
    "setup_link.complete": "Closed a setup link: its setup is done",
    "connection.enable_application": "Let an application use a connection",
    "connection.disable_application": "Stopped an application using a connection",
    "application_url.add": "Added an application URL",
    "application_url.remove": "Removed an application URL",
    "invitation.create": "Invited someone",
    "invitation.resend": "Resent an invitation",
    "invitation.revoke": "Revoked an invitation",
    "member.role_assign": "Gave a member a role",
    "member.role_remove": "Took a role from a member",
    "member.remove": "Removed a member",
    "user.block": "Blocked a user",
    "user.unblock": "Unblocked a user",
    "user.sign_out": "Signed a user out everywhere",
    "user.password_reset": "Sent a password reset",
    "user.create": "Created a user account",
    "user.delete": "Deleted a user account",
    "scim.enable": "Turned on directory provisioning (SCIM)",
    "scim.disable": "Turned off directory provisioning (SCIM)",
    "scim.token_create": "Created a SCIM token",
    "scim.token_revoke": "Revoked a SCIM token",
    "sync_operation.retry": "Retried a change",
    "sync_operation.cancel": "Cancelled a change",
    "tenant.import": "Imported the tenant",
    "bulk_run.confirm": "Started a bulk import",
    "api_key.create": "Made an API key",
    "api_key.revoke": "Revoked an API key",
    "api.members_list": "API: listed members",
    "api.invite": "API: invited someone",
    "api.block": "API: blocked a user",
    "api.unblock": "API: unblocked a user",
    "api.sign_out": "API: signed a user out everywhere",
    "api.remove": "API: removed a member",
    "api.operation": "API: read a change's progress",
    "users.migration_upload": "Uploaded a file of users to import",
    "users.migration_mapped": "Matched the columns of a users file",
    "users.migration_discard": "Discarded a users file",
    "users.migrate": "Started importing users",
    "users.migration_continue": "Continued a stopped user import",
    "users.migration_retry": "Sent a user import's failed jobs again",
    "users.migration_stop": "Ended a stopped user import",
    "users.export": "Started an export of the organization's users",
    "users.export_download": "Downloaded an export of the organization's users",
}

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(r"secret|password|passwd|token|private|credential|api_?key", re.I)


def action_words(action: str) -> str:
    """'Created the organization' for organization.create; unknown codes readable too."""
    return ACTION_WORDS.get(action) or action.replace("_", " ").replace(".", ": ").capitalize()


def redacted(value: Any) -> Any:
    """A copy of `value` with every secret-looking key's value replaced, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_KEY.search(str(key)) else redacted(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redacted(item) for item in value]
    return value


def changed_fields(details: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, before, after) of an update's `changed` detail, redacted."""
    changed = redacted(details or {}).get("changed") or {}
    if not isinstance(changed, dict):
        return []
    rows = []
    for field, pair in changed.items():
        before, after = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        rows.append((field.replace("_", " "), before, after))
    return rows


def other_details(details: dict[str, Any]) -> list[tuple[str, Any]]:
    """The details besides `changed`, redacted, as (label, value) pairs."""
    clean = redacted(details or {})
    return [(key.replace("_", " "), value) for key, value in clean.items() if key != "changed"]
