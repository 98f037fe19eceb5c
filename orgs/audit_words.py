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
    "organization_connection.enable": "Enabled a connection",
    "organization_connection.update": "Changed a connection's settings",
    "organization_connection.disable": "Disabled a connection",
    "connection.create": "Created a connection",
    "connection.update": "Changed a connection's options",
    "connection.delete": "Deleted a connection",
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
    "sync_operation.retry": "Retried a change",
    "sync_operation.cancel": "Cancelled a change",
    "tenant.import": "Imported the tenant",
    "bulk_run.confirm": "Started a bulk import",
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
