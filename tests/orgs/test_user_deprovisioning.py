"""Deprovisioning a member's Auth0 user from their page: block / unblock, sign out
everywhere (sessions and refresh tokens), a password reset email. Each is a SyncOperation
run against the sandbox tenant (drain); retries are harmless, the reset email never goes
twice; and the rules of orgs.services.users hold whoever asks."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
from django.test import Client

from orgs.models import AuditEvent, Member, OpState, Organization, Origin, Role, SyncOperation
from orgs.services.users import (
    member_for_auth0_user,
    member_give_role,
    member_remove_from_organization,
    member_take_role,
    user_block,
    user_send_password_reset,
    user_sign_out_everywhere,
    user_unblock,
)
from orgs.sync.describe import readable_error
from orgs.sync.runner import run_operation
from sandbox.seed import DEMO_CREDENTIALS, PORTAL_M2M_CLIENT_ID, stable_user_id
from tests.conftest import People, log_in
from tests.factories import MemberFactory, OrganizationFactory, UserFactory
from tests.orgs.engine import drain, sent_ops
from tests.orgs.services import refused
from tests.sandbox.login_support import login

pytestmark = pytest.mark.django_db

ADMIN, MEMBER = "admin@acme.test", "member@acme.test"
MEMBER_ID = stable_user_id(MEMBER)


@pytest.fixture
def acme(imported_tenant: Any) -> Organization:
    return Organization.objects.get(name="acme")


@pytest.fixture
def member(acme: Organization) -> Member:
    return Member.objects.get(organization=acme, user_id=MEMBER_ID)


@pytest.fixture
def staff(imported_tenant: Any) -> Any:
    return UserFactory(
        sub=stable_user_id("staff@portal.test"), email="staff@portal.test", is_staff=True
    )


@pytest.fixture
def acme_admin(imported_tenant: Any) -> Any:
    return UserFactory(sub=stable_user_id(ADMIN), email=ADMIN)


def page(org: Organization, user_id: str = MEMBER_ID, suffix: str = "") -> str:
    return f"/orgs/{org.pk}/members/{quote(user_id)}/{suffix}"


def blocked(tenant: Any, user_id: str = MEMBER_ID) -> bool:
    return bool(tenant.app.state.users[user_id].blocked)


def sessions_of(tenant: Any, user_id: str = MEMBER_ID) -> list[dict[str, Any]]:
    token = tenant.control(
        "POST", "/token", json={"client_id": PORTAL_M2M_CLIENT_ID, "scopes": ["read:sessions"]}
    )["access_token"]
    response = httpx.get(
        f"{tenant.url}/api/v2/users/{quote(user_id)}/sessions",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    sessions: list[dict[str, Any]] = response.json()["sessions"]
    return sessions


def reset_emails(tenant: Any, to: str = MEMBER) -> list[Any]:
    return [m for m in tenant.app.state.emails if m.to == to and m.kind == "reset_password"]


def only_op(kind: str) -> SyncOperation:
    [op] = SyncOperation.objects.filter(kind=kind)
    return op


# --- block and unblock -----------------------------------------------------------------------


def test_blocking_confirms_first_then_blocks_the_user_in_auth0(
    client: Client,
    acme: Organization,
    member: Member,
    acme_admin: Any,
    imported_tenant: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    log_in(client, acme_admin, acme)
    confirmation = client.get(page(acme, suffix="block/")).content.decode()
    assert "Block member@acme.test?" in confirmation and ">Block user</button>" in confirmation
    assert "does not end the sessions they have now" in confirmation
    assert not SyncOperation.objects.filter(kind="user.block").exists()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(page(acme, suffix="block/"), follow=True)
    assert "Blocking member@acme.test." in response.content.decode()
    op = only_op("user.block")
    assert op.target_type == "member" and op.target_id == member.pk
    assert op.target_key == f"user:{MEMBER_ID}" and op.payload["user_id"] == MEMBER_ID
    assert op.origin == Origin.CUSTOMER and op.priority == "interactive"
    assert sent_ops(callbacks) == [op.pk]
    assert AuditEvent.objects.filter(action="user.block", target=MEMBER).exists()
    assert drain() == ["succeeded"]
    assert blocked(imported_tenant)
    content = client.get(page(acme)).content.decode()
    assert "Blocked" in content and ">Unblock user</button>" in content
    assert "Block member@acme.test" in content  # the operation, in words


def test_unblocking_lets_the_user_sign_in_again(
    client: Client, acme: Organization, staff: Any, imported_tenant: Any
) -> None:
    imported_tenant.app.state.users[MEMBER_ID].blocked = True
    log_in(client, staff)
    response = client.post(page(acme, suffix="unblock/"), follow=True)
    assert "Unblocking member@acme.test." in response.content.decode()
    assert only_op("user.unblock").origin == Origin.STAFF
    drain()
    assert not blocked(imported_tenant)
    assert AuditEvent.objects.filter(action="user.unblock").exists()


def test_a_block_whose_answer_was_lost_is_retried_harmlessly(
    acme: Organization, member: Member, staff: Any, imported_tenant: Any
) -> None:
    imported_tenant.add_fault(
        action="apply_then_fail", method="PATCH", path="^/api/v2/users/", times=1
    )
    user_block(actor=staff, member=member)
    assert drain() == ["retrying", "succeeded"]
    assert blocked(imported_tenant)
    op = only_op("user.block")
    assert op.attempts == 2 and op.result == {"blocked": True}


def test_the_latest_of_block_and_unblock_wins_in_any_order(
    acme: Organization, member: Member, staff: Any, imported_tenant: Any
) -> None:
    user_block(actor=staff, member=member)
    user_unblock(actor=staff, member=member)
    unblock, block = only_op("user.unblock"), only_op("user.block")
    assert run_operation(unblock.pk) == "succeeded"
    assert run_operation(block.pk) == "succeeded"  # older: steps aside
    block.refresh_from_db()
    assert "later request" in block.result["skipped"]
    assert not blocked(imported_tenant)


def test_blocking_a_user_gone_from_auth0_ends_quietly(
    acme: Organization, member: Member, staff: Any, imported_tenant: Any
) -> None:
    del imported_tenant.app.state.users[MEMBER_ID]
    user_block(actor=staff, member=member)
    assert drain() == ["succeeded"]
    assert "no longer exists" in only_op("user.block").result["skipped"]


# --- sign out everywhere ---------------------------------------------------------------------


def test_signing_out_everywhere_ends_the_users_auth0_sessions(
    client: Client, acme: Organization, staff: Any, imported_tenant: Any
) -> None:
    login(imported_tenant.app, MEMBER, DEMO_CREDENTIALS[MEMBER])
    assert len(sessions_of(imported_tenant)) == 1
    log_in(client, staff)
    confirmation = client.get(page(acme, suffix="sign-out/")).content.decode()
    assert "Sign member@acme.test out everywhere?" in confirmation
    assert ">Sign out everywhere</button>" in confirmation
    assert "Access tokens already issued stay valid until they expire." in confirmation
    assert "does not end a session at their own identity provider" in confirmation
    response = client.post(page(acme, suffix="sign-out/"), follow=True)
    assert "Signing member@acme.test out everywhere." in response.content.decode()
    assert drain() == ["succeeded"]
    assert sessions_of(imported_tenant) == []
    assert AuditEvent.objects.filter(action="user.sign_out").exists()


def test_a_sign_out_interrupted_half_way_finishes_on_retry(
    acme: Organization, member: Member, staff: Any, imported_tenant: Any
) -> None:
    login(imported_tenant.app, MEMBER, DEMO_CREDENTIALS[MEMBER])
    imported_tenant.add_fault(
        action="apply_then_fail", method="DELETE", path="/refresh-tokens$", times=1
    )
    user_sign_out_everywhere(actor=staff, member=member)
    assert drain() == ["retrying", "succeeded"]
    assert sessions_of(imported_tenant) == []


# --- password reset --------------------------------------------------------------------------


def test_a_password_reset_is_emailed_by_auth0(
    client: Client, acme: Organization, acme_admin: Any, imported_tenant: Any
) -> None:
    log_in(client, acme_admin, acme)
    response = client.post(page(acme, suffix="password-reset/"), follow=True)
    assert "Asking Auth0 to email member@acme.test a link" in response.content.decode()
    assert drain() == ["succeeded"]
    [mail] = reset_emails(imported_tenant)
    assert "/lo/reset?ticket=" in mail.text
    op = only_op("user.password_reset")
    assert op.result["email"] == MEMBER and op.result["reset_mail_started_at"]
    assert AuditEvent.objects.filter(action="user.password_reset").exists()
    assert imported_tenant.app.state.users[MEMBER_ID].password_hash  # unchanged, never set


def test_a_reset_whose_answer_was_lost_is_never_sent_again(
    acme: Organization, member: Member, staff: Any, imported_tenant: Any
) -> None:
    imported_tenant.add_fault(
        action="apply_then_fail",
        method="POST",
        path="^/dbconnections/change_password",
        then="drop",
        times=1,
    )
    user_send_password_reset(actor=staff, member=member)
    assert drain() == ["failed"]
    op = only_op("user.password_reset")
    assert "may or may not have gone out" in op.last_error
    assert "Ask the person, or send a new password reset." in readable_error(op)
    assert len(reset_emails(imported_tenant)) == 1
    op.state = OpState.QUEUED  # as the retry after a lost outcome would find it
    op.save()
    assert drain() == ["failed"]
    assert len(reset_emails(imported_tenant)) == 1


def test_a_reset_auth0_refused_is_sent_once_on_retry(
    acme: Organization, member: Member, staff: Any, imported_tenant: Any
) -> None:
    imported_tenant.add_fault(
        action="status", status=503, method="POST", path="^/dbconnections/change_password", times=1
    )
    user_send_password_reset(actor=staff, member=member)
    assert drain() == ["retrying", "succeeded"]
    assert len(reset_emails(imported_tenant)) == 1


def test_a_second_reset_while_one_is_on_its_way_is_refused(
    acme: Organization, member: Member, staff: Any
) -> None:
    user_send_password_reset(actor=staff, member=member)
    with refused("A password reset email to member@acme.test is already on its way."):
        user_send_password_reset(actor=staff, member=member)


def test_no_reset_for_someone_who_signs_in_elsewhere(people: People) -> None:
    sso = MemberFactory(
        organization=people.organization,
        user_id="samlp|acme-sso|jo@acme.test",
        email="jo@acme.test",
    )
    with refused("signs in through another identity provider"):
        user_send_password_reset(actor=people.staff, member=sso)


# --- the rules, whoever asks -----------------------------------------------------------------


def _member_of(people: People, user: Any) -> Member:
    return Member.objects.get(organization=people.organization, user_id=user.sub)


def test_nobody_blocks_or_removes_themselves(people: People) -> None:
    admin = _member_of(people, people.org_admin)
    with refused("You cannot block yourself."):
        user_block(actor=people.org_admin, member=admin)
    staff_member = MemberFactory(organization=people.organization, user_id=people.staff.sub)
    with refused("You cannot block yourself."):
        user_block(actor=people.staff, member=staff_member)
    MemberFactory(organization=people.organization, user_id="auth0|second").roles.add(
        *admin.roles.all()
    )
    with refused("You cannot remove yourself"):
        member_remove_from_organization(actor=people.org_admin, member=admin)


def test_a_customer_admin_cannot_touch_a_staff_user(people: People) -> None:
    staff_member = MemberFactory(organization=people.organization, user_id=people.staff.sub)
    for service in (
        user_block,
        user_unblock,
        user_sign_out_everywhere,
        member_remove_from_organization,
    ):
        with refused("is a member of the portal's staff: only staff can change their account"):
            service(actor=people.org_admin, member=staff_member)
    with refused("only staff can change their account"):
        member_give_role(actor=people.org_admin, member=staff_member, role_name="org-member")


def test_a_member_of_the_staff_organization_counts_as_staff(people: People) -> None:
    staff_org = OrganizationFactory(name="staff", is_staff_organization=True)
    MemberFactory(organization=staff_org, user_id="auth0|helper")
    helper = MemberFactory(organization=people.organization, user_id="auth0|helper")
    with refused("only staff can change their account"):
        user_sign_out_everywhere(actor=people.org_admin, member=helper)


def test_a_customer_admin_cannot_act_on_another_organizations_member(people: People) -> None:
    acme_member = _member_of(people, people.org_member)
    for service in (
        user_block,
        user_sign_out_everywhere,
        user_send_password_reset,
        member_remove_from_organization,
    ):
        with refused("Only administrators of Acme can change its members."):
            service(actor=people.outsider, member=acme_member)
    with refused("Only administrators of Acme can change its members."):
        member_take_role(actor=people.outsider, member=acme_member, role_name="org-member")


def test_a_user_in_another_organization_too_is_left_to_staff(people: People) -> None:
    shared = _member_of(people, people.org_member)
    MemberFactory(organization=people.other_organization, user_id=shared.user_id)
    for service in (user_block, user_unblock, user_sign_out_everywhere, user_send_password_reset):
        with refused("also belongs to another organization"):
            service(actor=people.org_admin, member=shared)
    user_block(actor=people.staff, member=shared)  # staff may


def test_the_last_admin_keeps_their_role_and_membership(people: People) -> None:
    admin = _member_of(people, people.org_admin)
    with refused("is the last administrator of Acme"):
        member_remove_from_organization(actor=people.staff, member=admin)
    with refused("is the last administrator of Acme"):
        member_take_role(actor=people.staff, member=admin, role_name="org-admin")
    user_block(actor=people.staff, member=admin)  # staff may still block them


def test_a_member_being_removed_is_left_alone(people: People) -> None:
    leaving = _member_of(people, people.org_member)
    Member.objects.filter(pk=leaving.pk).update(removing=True)
    leaving.refresh_from_db()
    with refused("is being removed from Acme"):
        user_block(actor=people.staff, member=leaving)


def test_a_members_row_follows_auth0s_roles_unless_a_change_is_on_its_way(
    people: People,
) -> None:
    member = _member_of(people, people.org_member)
    admin_role = Role.objects.get(name="org-admin")
    seen = {"organization": people.organization, "user_id": member.user_id, "name": ""}
    member_for_auth0_user(**seen, email=MEMBER, role_ids=[admin_role.auth0_id])
    assert member.role_names() == ["org-admin"]
    member_give_role(actor=people.staff, member=member, role_name="org-member")
    member_for_auth0_user(**seen, email=MEMBER, role_ids=[])  # Auth0 has not heard yet
    assert member.role_names() == ["org-admin", "org-member"]
    joined = member_for_auth0_user(**{**seen, "user_id": "auth0|new"}, email="new@acme.test")
    assert joined.organization == people.organization and joined.email == "new@acme.test"


def test_signed_out_everywhere_a_browser_must_log_in_again_and_the_portal_forgets_them(
    acme: Organization, staff: Any, imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rp, browser, _ = login(imported_tenant.app, MEMBER, DEMO_CREDENTIALS[MEMBER])
    again = browser.open(rp.authorize_url())
    assert again.status_code == 302  # the SSO cookie signs them straight in
    portal_user = UserFactory(sub=MEMBER_ID, email=MEMBER)
    portal_browser = Client()
    log_in(portal_browser, portal_user)
    assert portal_browser.get("/").status_code == 403  # signed in (a member, no admin)

    with django_capture_on_commit_callbacks(execute=True):
        user_sign_out_everywhere(actor=staff, member=Member.objects.get(user_id=MEMBER_ID))
    assert drain() == ["succeeded"]

    after = browser.open(rp.authorize_url())
    assert after.status_code == 200 and "password" in after.text  # log in again
    assert portal_browser.get("/")["Location"].startswith("/login/")
