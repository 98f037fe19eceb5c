"""Members of an organization: their roles and their removal."""

from __future__ import annotations

from django.db import transaction

from orgs.models import Member, Role
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.sync.outbox import awaited_create, record_operation
from portal.models import User
from portal.sessions import forget_access

MAX_ROLES_PER_MEMBER = 50


def _role(name: str) -> Role:
    role = Role.objects.filter(name=name).first()
    if role is None:
        raise ServiceError(f"Unknown role '{name}'.", field="role")
    return role


@transaction.atomic
def member_role_assign(*, actor: User | None, member: Member, role_name: str) -> Member:
    role = _role(role_name)
    if member.roles.filter(pk=role.pk).exists():
        raise ServiceError(f"{member} already has the role {role}.")
    if member.roles.count() >= MAX_ROLES_PER_MEMBER:
        raise ServiceError(f"A member can have at most {MAX_ROLES_PER_MEMBER} roles.")
    member.roles.add(role)
    _record_roles(member, actor)
    audit(
        actor=actor,
        action="member.role_assign",
        organization=member.organization,
        target=member.email or member.user_id,
        role=role.name,
    )
    return member


@transaction.atomic
def member_role_remove(*, actor: User | None, member: Member, role_name: str) -> Member:
    role = _role(role_name)
    if not member.roles.filter(pk=role.pk).exists():
        raise ServiceError(f"{member} does not have the role {role}.")
    if role.name == "org-admin" and actor is not None and actor.sub == member.user_id:
        raise ServiceError("You cannot remove your own administrator role.")
    member.roles.remove(role)
    _record_roles(member, actor)
    audit(
        actor=actor,
        action="member.role_remove",
        organization=member.organization,
        target=member.email or member.user_id,
        role=role.name,
    )
    if role.name == "org-admin":  # their portal session ends at its next request
        transaction.on_commit(lambda: forget_access(organization=member.organization_id))
    return member


@transaction.atomic
def member_remove(*, actor: User | None, member: Member) -> None:
    if actor is not None and actor.sub == member.user_id:
        raise ServiceError("You cannot remove yourself from the organization.")
    member.removing = True
    member.save(update_fields=["removing", "updated_at"])
    # Waits on nothing: a removal must never be held up by another change's failure.
    record_operation(
        kind="member.remove", target=member, organization=member.organization, actor=actor
    )
    audit(
        actor=actor,
        action="member.remove",
        organization=member.organization,
        target=member.email or member.user_id,
    )
    transaction.on_commit(lambda: forget_access(organization=member.organization_id))


def _record_roles(member: Member, actor: User | None) -> None:
    record_operation(
        kind="member.sync_roles",
        target=member,
        organization=member.organization,
        depends_on=awaited_create(member.organization, "organization.create"),
        actor=actor,
    )
