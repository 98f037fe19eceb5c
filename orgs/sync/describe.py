"""Operations in words a person reads: "Enable Username-Password-Authentication", not
`organization_connection.sync`, and "Auth0 could not be reached", not a status line.

Names are looked up in one query per kind of target for a whole page of operations, so a
timeline of fifty rows costs a handful of queries, not fifty."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import models

from orgs.models import SyncOperation
from orgs.sync.targets import model_for

# What each kind does, by the payload's `intent` where one kind carries several wishes.
_WORDS: dict[str, str] = {
    "organization.create": "Create the organization in Auth0",
    "organization.update": "Update the organization's name, branding or metadata",
    "organization.delete": "Delete the organization from Auth0",
    "organization_connection.sync": "Update {connection} on the organization",
    "organization_connection.sync:enable": "Enable {connection}",
    "organization_connection.sync:update": "Change the settings of {connection}",
    "organization_connection.sync:disable": "Disable {connection}",
    "organization_connection.sync:suspend": "Turn off {connection} while suspended",
    "organization_connection.sync:reactivate": "Turn {connection} back on",
    "connection.create": "Create the connection {connection}",
    "connection.update": "Update the connection {connection}",
    "connection.delete": "Delete the connection {connection}",
    "connection_application.sync": "Change which applications use {connection}",
    "organization_domains.sync": "Make the organization's discovery domains its verified domains",
    "connection_application.sync:enable": "Let {application} sign people in with {connection}",
    "connection_application.sync:disable": "Stop {application} using {connection}",
    "application_urls.sync": "Update the sign-in and sign-out URLs of {application}",
    "invitation.send": "Invite {invitation}",
    "invitation.revoke": "Revoke the invitation of {invitation}",
    "member.sync_roles": "Update the roles of {member}",
    "member.remove": "Remove {member} from the organization",
    "user.block": "Block {member}",
    "user.unblock": "Unblock {member}",
    "user.sign_out": "Sign {member} out everywhere",
    "user.password_reset": "Send {member} a password reset email",
    "scim.configure": "Change directory provisioning (SCIM) on {connection}",
    "scim.configure:enable": "Turn on directory provisioning (SCIM) for {connection}",
    "scim.configure:disable": "Turn off directory provisioning (SCIM) for {connection}",
    "user.create": "Create the account of {email} and email them a link to choose a password",
    "user.delete": "Delete the account of {member}",
}

# Plain reasons by the error's code or HTTP status; the raw text stays in the journal.
_REASONS: dict[str, str] = {
    "too_many_requests": "Auth0 asked the portal to slow down; it is tried again on its own.",
    "429": "Auth0 asked the portal to slow down; it is tried again on its own.",
    "400": "Auth0 refused the change as invalid.",
    "401": "The portal could not authenticate to Auth0. Check its credentials.",
    "403": "The portal's Auth0 application is not allowed to make this change.",
    "404": "It no longer exists in Auth0.",
    "409": "Auth0 already has something with this name.",
    "unknown_kind": "The portal does not know how to make this change.",
    "lease_lost": "A worker stopped while making this change; it is tried again.",
    "reset_delivery_unknown": "The password reset email may or may not have gone out, so the "
    "portal does not send it again by itself. Ask the person, or send a new password reset.",
    "account_mail_unknown": "The account exists, but the email with the link to choose a "
    "password may or may not have gone out. Ask the person, or send a password reset.",
    "user_exists": "An account with this email already exists and the portal did not make it.",
    "not_own_database_user": "This person does not sign in with the organization's own "
    "database, so the portal does not delete their account.",
    "not_database_user": "This person does not sign in with a password kept by Auth0, so "
    "there is no password to reset.",
}
_UNREACHABLE = "Auth0 could not be reached; it is tried again on its own."


def describe_operations(operations: Iterable[SyncOperation]) -> dict[int, str]:
    """{operation id: what it does, in words}."""
    ops = list(operations)
    names = _names_for(ops)
    return {op.pk: _describe(op, names) for op in ops}


def readable_error(op: SyncOperation) -> str:
    """Why the last attempt failed, in plain words ("" when it did not)."""
    if not op.last_error:
        return ""
    code = op.last_error_code or ""
    if code in _REASONS:
        return _REASONS[code]
    if (code.isdigit() and int(code) >= 500) or code in ("timeout", "network", "connect"):
        return _UNREACHABLE
    return "Auth0 refused the change."


def _describe(op: SyncOperation, names: dict[tuple[str, int], str]) -> str:
    intent = (op.payload or {}).get("intent")
    template = _WORDS.get(f"{op.kind}:{intent}") or _WORDS.get(op.kind)
    if template is None:
        return op.kind
    payload = op.payload or {}
    values = {
        "connection": _name(names, "connection", payload.get("connection_id"), "a connection"),
        "application": _name(names, "application", payload.get("application_id"), "an app"),
        "invitation": "someone",
        "member": "a member",
        "email": str(payload.get("email") or "someone"),
    }
    if op.target_type in ("connection", "application", "invitation", "member"):
        values[op.target_type] = _name(names, op.target_type, op.target_id, values[op.target_type])
    return template.format(**values)


def _name(names: dict[tuple[str, int], str], kind: str, pk: Any, default: str) -> str:
    try:
        return names.get((kind, int(pk)), default)
    except (TypeError, ValueError):
        return default


def _names_for(ops: list[SyncOperation]) -> dict[tuple[str, int], str]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for op in ops:
        payload = op.payload or {}
        for kind in ("connection", "application"):
            if isinstance(payload.get(f"{kind}_id"), int):
                wanted[kind].add(payload[f"{kind}_id"])
        if op.target_type in _LABELS and op.target_id is not None:
            wanted[op.target_type].add(op.target_id)
    names: dict[tuple[str, int], str] = {}
    for kind, pks in wanted.items():
        model = model_for(kind)
        if model is None:
            continue
        for row in model._default_manager.filter(pk__in=pks):
            names[(kind, row.pk)] = _LABELS[kind](row)
    return names


def _attr(*fields: str) -> Any:
    def label(row: models.Model) -> str:
        for field in fields:
            value = getattr(row, field, "")
            if value:
                return str(value)
        return str(row)

    return label


_LABELS = {
    "connection": _attr("display_name", "name"),
    "application": _attr("name"),
    "invitation": _attr("email"),
    "member": _attr("email", "name", "user_id"),
}
