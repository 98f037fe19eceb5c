"""Organization lifecycle: create, update, suspend, reactivate, delete.

Suspend, in Auth0 terms: every connection enabled on the organization is disabled there
(nobody can log in through it), while the portal keeps the links, so reactivation
enables exactly the same connections with the same flags again. Members, roles and
invitations stay untouched.

Delete removes, in Auth0: the organization (members are detached, user accounts of shared
connections survive), the connections the organization owns (and so their users), and
the organization's URLs on applications unless another organization uses the same URL.
The portal keeps the row as `deleted` for the audit trail; its name becomes free again.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from orgs.models import (
    Application,
    MembershipModel,
    OpState,
    Organization,
    OrganizationConnection,
    OrgStatus,
)
from orgs.models.organizations import organization_name_validator
from orgs.services.applications import application_url_add
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.services.sync_ops import cancel_operation
from orgs.sync.outbox import awaited_create, record_operation
from portal.models import User
from portal.sessions import forget_access

METADATA_MAX_KEYS = 25
METADATA_MAX_VALUE = 255
# Short names the portal keeps for itself (paths, roles, the staff organization): an
# organization called "login" or "staff" would read as part of the portal, or as staff.
RESERVED_NAMES = frozenset(
    {"admin", "api", "auth", "login", "logout", "www", "staff", "portal", "support", "help"}
    | {"static", "settings", "root", "system", "auth0", "new", "mine"}
)


def reserved_organization_names() -> frozenset[str]:
    return RESERVED_NAMES | {settings.AUTH0_STAFF_ORGANIZATION.strip().lower()}


def organization_name_problem(name: str) -> str:
    """Why `name` cannot be a new organization's short name ("" when it can): Auth0's
    rule, the reserved names, or another live organization using it."""
    try:
        organization_name_validator(name)
    except ValidationError as exc:
        return " ".join(exc.messages)
    if name in reserved_organization_names():
        return f"{name} is reserved for the portal: choose another short name."
    if Organization.objects.filter(name=name).exclude(status=OrgStatus.DELETED).exists():
        return f"{name} is taken: choose another short name."
    return ""


@transaction.atomic
def organization_create(
    *,
    actor: User | None,
    name: str,
    display_name: str,
    membership_model: str = MembershipModel.SHARED_DATABASE,
    logo_url: str = "",
    primary_color: str = "",
    page_background_color: str = "",
    metadata: dict[str, str] | None = None,
    first_admin_email: str = "",
    application: Application | None = None,
    database_applications: list[Application] | None = None,
) -> Organization:
    """Create the organization and everything its membership model needs; optionally
    invite its first admin through `application`. An organization with its own database
    connection gets it enabled for `database_applications` (by default every application
    that supports organizations)."""
    from orgs.services.invitations import invitation_create

    name = name.strip().lower()
    if Organization.objects.filter(name=name).exclude(status=OrgStatus.DELETED).exists():
        raise ServiceError(f"An organization named '{name}' already exists.", field="name")
    org = Organization(
        name=name,
        display_name=display_name.strip() or name,
        membership_model=membership_model,
        logo_url=logo_url,
        primary_color=primary_color,
        page_background_color=page_background_color,
        metadata=metadata or {},
    )
    _validate(org)
    org.save()
    record_operation(kind="organization.create", target=org, organization=org, actor=actor)
    _provision_connection(org, actor, database_applications)
    audit(
        actor=actor,
        action="organization.create",
        organization=org,
        target=org.name,
        membership_model=membership_model,
    )
    if first_admin_email:
        invitation_create(
            actor=actor,
            organization=org,
            email=first_admin_email,
            role_names=["org-admin"],
            application=application,
        )
    return org


@transaction.atomic
def organization_provision(
    *,
    actor: User | None,
    name: str,
    display_name: str,
    membership_model: str,
    applications: list[Application],
    urls: dict[str, list[str]] | None = None,
    first_admin_email: str = "",
    logo_url: str = "",
    primary_color: str = "",
    page_background_color: str = "",
    metadata: dict[str, str] | None = None,
) -> Organization:
    """Everything the create form asks for, in one transaction: the organization and what
    its membership model needs (its own database connection serves `applications`), its
    URLs (kind -> URLs) on the first of `applications`, and its first admin's invitation.
    Any refusal leaves nothing behind."""
    name = name.strip().lower()
    problem = organization_name_problem(name)
    if problem:
        raise ServiceError(problem, field="name")
    urls = {kind: values for kind, values in (urls or {}).items() if values}
    if not applications and (urls or membership_model == MembershipModel.OWN_DATABASE):
        raise ServiceError(
            "Choose at least one application: its people sign in to it, and its URLs go on it.",
            field="applications",
        )
    org = organization_create(
        actor=actor,
        name=name,
        display_name=display_name,
        membership_model=membership_model,
        logo_url=logo_url,
        primary_color=primary_color,
        page_background_color=page_background_color,
        metadata=metadata,
        first_admin_email=first_admin_email,
        application=next((app for app in applications if app.supports_invitations), None),
        database_applications=applications,
    )
    for kind, values in urls.items():
        for url in values:
            try:
                application_url_add(
                    actor=actor, organization=org, application=applications[0], kind=kind, url=url
                )
            except ServiceError as exc:  # name the form field the URL came from
                raise ServiceError(exc.message, field=kind) from exc
    return org


def _provision_connection(
    org: Organization, actor: User | None, database_applications: list[Application] | None
) -> None:
    from orgs.services.connections import (
        connection_create_database,
        organization_connection_enable,
        provision_membership_connection,
    )

    if database_applications is None or org.membership_model != MembershipModel.OWN_DATABASE:
        provision_membership_connection(actor=actor, organization=org)
        return
    connection = connection_create_database(
        actor=actor, organization=org, applications=database_applications
    )
    organization_connection_enable(actor=actor, organization=org, connection=connection)


@transaction.atomic
def organization_update(
    *,
    actor: User | None,
    organization: Organization,
    expected_version: int | None = None,
    **changes: Any,
) -> Organization:
    """Change display name, branding or metadata (the name is fixed once created).

    `expected_version` is the version the person's form was opened at: if someone saved
    in between, the change is refused with what they changed (EditConflict)."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    _require_live(org)
    if expected_version is not None and expected_version != org.version:
        raise EditConflict(org, since_version=expected_version)
    allowed = {"display_name", "logo_url", "primary_color", "page_background_color", "metadata"}
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    removed_keys = sorted(set(org.metadata) - set(changes.get("metadata", org.metadata)))
    before = {field: getattr(org, field) for field in changes}
    for field, value in changes.items():
        setattr(org, field, value)
    _validate(org)
    org.version += 1
    org.save()
    record_operation(
        kind="organization.update",
        target=org,
        organization=org,
        payload={"removed_keys": removed_keys},
        depends_on=awaited_create(org, "organization.create"),
        actor=actor,
    )
    audit(
        actor=actor,
        action="organization.update",
        organization=org,
        target=org.name,
        changed={f: [before[f], changes[f]] for f in changes if before[f] != changes[f]},
        version=org.version,
    )
    return org


FIELD_LABELS = {
    "display_name": "display name",
    "logo_url": "logo URL",
    "primary_color": "primary colour",
    "page_background_color": "page background colour",
    "metadata": "metadata",
}


class EditConflict(ServiceError):
    """Someone saved the organization after this person opened the form."""

    def __init__(self, org: Organization, *, since_version: int) -> None:
        self.current_version = org.version
        self.changes = _changes_since(org, since_version)
        who = sorted({label for label, _ in self.changes}) or ["someone"]
        fields = sorted({field for _, fields in self.changes for field in fields})
        what = ", ".join(FIELD_LABELS.get(f, f) for f in fields) or "its settings"
        super().__init__(
            f"{' and '.join(who)} changed {what} of {org} while you were editing. "
            "Your changes were not saved: review the current values and save again."
        )


def _changes_since(org: Organization, version: int) -> list[tuple[str, list[str]]]:
    """(who, changed fields) of every save after `version`, oldest first."""
    events = org.audit_events.filter(action="organization.update").order_by("id")
    return [
        (event.actor_label, sorted(event.details.get("changed", {})))
        for event in events
        if int(event.details.get("version") or 0) > version
    ]


@transaction.atomic
def organization_suspend(*, actor: User | None, organization: Organization) -> Organization:
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if org.status != OrgStatus.ACTIVE:
        raise ServiceError(
            f"Only active organizations can be suspended; this one is "
            f"{org.get_status_display().lower()}."
        )
    org.status = OrgStatus.SUSPENDED
    org.save(update_fields=["status", "updated_at"])
    _resync_connections(org, actor, intent="suspend")
    audit(actor=actor, action="organization.suspend", organization=org, target=org.name)
    transaction.on_commit(lambda: forget_access(organization=org))  # end its portal sessions
    return org


@transaction.atomic
def organization_reactivate(*, actor: User | None, organization: Organization) -> Organization:
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if org.status != OrgStatus.SUSPENDED:
        raise ServiceError("Only suspended organizations can be reactivated.")
    org.status = OrgStatus.ACTIVE
    org.save(update_fields=["status", "updated_at"])
    _resync_connections(org, actor, intent="reactivate")
    audit(actor=actor, action="organization.reactivate", organization=org, target=org.name)
    return org


@transaction.atomic
def organization_delete(
    *, actor: User | None, organization: Organization, confirm_name: str
) -> Organization:
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if confirm_name.strip() != org.name:
        raise ServiceError("Type the organization's name exactly to confirm.", field="confirm_name")
    _require_live(org)
    if org.is_staff_organization:
        raise ServiceError("The staff organization cannot be deleted from the portal.")
    org.status = OrgStatus.DELETING
    org.save(update_fields=["status", "updated_at"])
    create = awaited_create(org, "organization.create")
    if create is not None and create.state == OpState.FAILED:
        # It will never succeed, so nothing may wait on it: what it would have set up
        # ends with it, and the delete cleans up whatever did reach Auth0.
        cancel_operation(create, reason="The organization is being deleted.")
        create = None
    record_operation(
        kind="organization.delete", target=org, organization=org, depends_on=create, actor=actor
    )
    audit(actor=actor, action="organization.delete", organization=org, target=org.name)
    transaction.on_commit(lambda: forget_access(organization=org))  # end its portal sessions
    return org


def _resync_connections(org: Organization, actor: User | None, *, intent: str) -> None:
    parent = awaited_create(org, "organization.create")
    for link in OrganizationConnection.objects.filter(organization=org):
        record_operation(
            kind="organization_connection.sync",
            target=link,
            organization=org,
            payload={
                "organization_id": org.pk,
                "connection_id": link.connection_id,
                "intent": intent,
            },
            depends_on=parent,
            actor=actor,
        )


def _require_live(org: Organization) -> None:
    if not org.is_live:
        raise ServiceError(f"{org} is being deleted; it can no longer be changed.")


def _validate(org: Organization) -> None:
    try:
        org.full_clean(exclude=["auth0_id", "portal_id"], validate_unique=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ServiceError(
            f"{field.replace('_', ' ').capitalize()}: {' '.join(messages)}", field=field
        ) from exc
    if bool(org.primary_color) != bool(org.page_background_color):
        raise ServiceError("Give both brand colours, or neither.", field="primary_color")
    if org.logo_url and not org.logo_url.startswith("https://"):
        raise ServiceError("The logo URL must start with https://.", field="logo_url")
    _validate_metadata(org.metadata)


def _validate_metadata(metadata: object) -> None:
    if not isinstance(metadata, dict):
        raise ServiceError("Metadata must be a set of keys and text values.", field="metadata")
    if len(metadata) > METADATA_MAX_KEYS - 1:  # one key is ours: portal_id
        raise ServiceError(f"At most {METADATA_MAX_KEYS - 1} metadata keys.", field="metadata")
    for key, value in metadata.items():
        if key == "portal_id":
            raise ServiceError("The metadata key 'portal_id' is reserved.", field="metadata")
        if not isinstance(value, str) or len(value) > METADATA_MAX_VALUE or len(key) > 255:
            raise ServiceError(
                f"Metadata '{key}': values are text of at most {METADATA_MAX_VALUE} characters.",
                field="metadata",
            )
