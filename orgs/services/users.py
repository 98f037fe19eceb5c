"""What staff and an organization's own administrators may do to its members: give and
take roles, remove them, and deprovision their Auth0 user (block / unblock, sign out
everywhere, send a password reset; the portal never sets a password).

Each service is one transaction: the rules below, an AuditEvent and a SyncOperation
(orgs.sync.handlers.users and orgs.sync.handlers.people do the Auth0 side).

The rules, checked here whatever page asked:
- a customer admin acts only on members of the organization they administer, never on a
  member of the portal's staff, and never blocks, signs out or resets a user who also
  belongs to another organization the portal knows (those act on the user everywhere);
- nobody removes or blocks themselves;
- an organization keeps at least one administrator: its last one is not removed and does
  not lose the org-admin role (staff may still block them).
"""

from __future__ import annotations

from collections.abc import Collection

from django.db import transaction
from django.utils import timezone

from orgs.models import OPEN_STATES, Member, Organization, Role, SyncOperation, SyncState
from orgs.services import members
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.sync.outbox import record_operation
from orgs.sync.targets import target_key_for
from portal.access import ADMIN_ROLE, is_org_admin
from portal.models import User
from portal.sessions import end_portal_sessions, forget_access

# Auth0 names a database connection's users `auth0|...`; other ids come from an identity
# provider (enterprise, social, passwordless), which owns their password if they have one.
DATABASE_USER_PREFIX = "auth0|"


@transaction.atomic
def member_for_auth0_user(
    *,
    organization: Organization,
    user_id: str,
    email: str,
    name: str,
    role_ids: Collection[str] | None = None,
) -> Member:
    """The Member row of someone Auth0 lists as a member of the organization, made when
    the portal has none yet (they joined through an invitation or in Auth0's dashboard).
    Unless a change of the portal's own is on its way (a role change not yet sent, or a
    removal), its roles become Auth0's `role_ids`, so that a role given next is added to
    what Auth0 has rather than to an old copy. Not a change anyone asked for: no audit."""
    member, created = Member.objects.get_or_create(
        organization=organization,
        user_id=user_id,
        defaults={
            "email": email,
            "name": name,
            "sync_state": SyncState.IN_SYNC,
            "synced_at": timezone.now(),
        },
    )
    if not created and (email, name) != (member.email, member.name) and email:
        Member.objects.filter(pk=member.pk).update(email=email, name=name)
        member.email, member.name = email, name
    if role_ids is not None and not _portal_change_pending(member):
        wanted = set(Role.objects.filter(auth0_id__in=role_ids).values_list("pk", flat=True))
        if wanted != set(member.roles.values_list("pk", flat=True)):
            member.roles.set(wanted)
            # A customer admin's portal session may rest on the roles just replaced.
            transaction.on_commit(lambda: forget_access(organization=organization.pk))
    return member


def _portal_change_pending(member: Member) -> bool:
    return (
        member.removing
        or SyncOperation.objects.filter(
            kind="member.sync_roles",
            target_type="member",
            target_id=member.pk,
            state__in=OPEN_STATES,
        ).exists()
    )


# --- roles and removal ---------------------------------------------------------------------


@transaction.atomic
def member_give_role(*, actor: User | None, member: Member, role_name: str) -> Member:
    _require_may_act(actor, member)
    return members.member_role_assign(actor=actor, member=member, role_name=role_name)


@transaction.atomic
def member_take_role(*, actor: User | None, member: Member, role_name: str) -> Member:
    _require_may_act(actor, member)
    if role_name == ADMIN_ROLE and is_last_admin(member):
        raise ServiceError(
            f"{member} is the last administrator of {member.organization}: make someone "
            "else an administrator first.",
            field="role",
        )
    return members.member_role_remove(actor=actor, member=member, role_name=role_name)


@transaction.atomic
def member_remove_from_organization(*, actor: User | None, member: Member) -> None:
    _require_may_act(actor, member)
    if is_last_admin(member):
        raise ServiceError(
            f"{member} is the last administrator of {member.organization}: make someone "
            "else an administrator before removing them."
        )
    members.member_remove(actor=actor, member=member)


# --- deprovisioning the user ---------------------------------------------------------------


@transaction.atomic
def user_block(*, actor: User | None, member: Member) -> SyncOperation:
    """Stop the user signing in (Auth0 `blocked`), everywhere they could."""
    _require_may_act(actor, member, whole_user=True)
    if _is_self(actor, member):
        raise ServiceError("You cannot block yourself.")
    if not _is_staff_actor(actor) and is_last_admin(member):
        raise ServiceError(f"{member} is the last administrator of {member.organization}.")
    return _record_user_change("user.block", actor, member)


@transaction.atomic
def user_unblock(*, actor: User | None, member: Member) -> SyncOperation:
    _require_may_act(actor, member, whole_user=True)
    return _record_user_change("user.unblock", actor, member)


@transaction.atomic
def user_sign_out_everywhere(*, actor: User | None, member: Member) -> SyncOperation:
    """End the user's Auth0 sessions and revoke their refresh tokens, and their portal
    sessions (an admin signed out everywhere is signed out of the portal too)."""
    _require_may_act(actor, member, whole_user=True)
    user_id = member.user_id
    transaction.on_commit(lambda: end_portal_sessions(user_id))
    return _record_user_change("user.sign_out", actor, member)


@transaction.atomic
def user_send_password_reset(*, actor: User | None, member: Member) -> SyncOperation:
    """Have Auth0 email the user a link to choose a new password."""
    _require_may_act(actor, member, whole_user=True)
    if not signs_in_with_password(member.user_id):
        raise ServiceError(
            f"{member} signs in through another identity provider, not with a password "
            "kept by Auth0: their own provider resets it."
        )
    if _reset_on_its_way(member):
        raise ServiceError(f"A password reset email to {member} is already on its way.")
    return _record_user_change("user.password_reset", actor, member)


def signs_in_with_password(user_id: str) -> bool:
    return user_id.startswith(DATABASE_USER_PREFIX)


def _reset_on_its_way(member: Member) -> bool:
    key = _user_target_key("user.password_reset", member)
    return SyncOperation.objects.filter(
        kind="user.password_reset", target_key=key, state__in=OPEN_STATES
    ).exists()


def _user_target_key(kind: str, member: Member) -> str:
    return target_key_for(
        kind=kind,
        target_type="member",
        target_id=member.pk,
        organization=member.organization,
        payload={"user_id": member.user_id},
    )


def _record_user_change(kind: str, actor: User | None, member: Member) -> SyncOperation:
    # `requested_at` lets block and unblock converge on the latest request; a request
    # merging into a queued operation refreshes it (outbox: new payload values win).
    payload = {"user_id": member.user_id, "requested_at": timezone.now().isoformat()}
    op = record_operation(
        kind=kind, target=member, organization=member.organization, payload=payload, actor=actor
    )
    audit(
        actor=actor,
        action=kind,
        organization=member.organization,
        target=member.email or member.user_id,
        user_id=member.user_id,
    )
    return op


# --- the rules -----------------------------------------------------------------------------


def _require_may_act(actor: User | None, member: Member, *, whole_user: bool = False) -> None:
    organization = member.organization
    if member.removing:
        raise ServiceError(f"{member} is being removed from {organization}.")
    if _is_staff_actor(actor):
        return
    assert actor is not None
    if not is_org_admin(organization, actor.sub):
        raise ServiceError(f"Only administrators of {organization} can change its members.")
    if is_staff_user(member.user_id):
        raise ServiceError(
            f"{member} is a member of the portal's staff: only staff can change their account."
        )
    if whole_user and _belongs_elsewhere(member):
        raise ServiceError(
            f"{member} also belongs to another organization, and this would change their "
            "account there too. Ask the portal's staff to do it."
        )


def _is_staff_actor(actor: User | None) -> bool:
    return actor is None or actor.is_staff  # None: the system itself


def _is_self(actor: User | None, member: Member) -> bool:
    return actor is not None and actor.sub == member.user_id


def is_staff_user(user_id: str) -> bool:
    """A portal staff account, or a member of the staff organization."""
    return (
        User.objects.filter(sub=user_id, is_staff=True).exists()
        or Member.objects.filter(user_id=user_id, organization__is_staff_organization=True).exists()
    )


def _belongs_elsewhere(member: Member) -> bool:
    return (
        Member.objects.filter(user_id=member.user_id)
        .exclude(organization_id=member.organization_id)
        .exists()
    )


def is_last_admin(member: Member) -> bool:
    """Holds the org-admin role, and no other member (not being removed) does."""
    if not member.roles.filter(name=ADMIN_ROLE).exists():
        return False
    others = Member.objects.filter(
        organization_id=member.organization_id, roles__name=ADMIN_ROLE, removing=False
    ).exclude(pk=member.pk)
    return not others.exists()
