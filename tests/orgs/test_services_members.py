"""Members of an organization: assigning and removing roles, and removing the member."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.models import Member
from orgs.services.members import member_remove, member_role_assign, member_role_remove
from tests.factories import UserFactory
from tests.orgs.engine import sent_ops
from tests.orgs.services import (
    assert_in_sync,
    audited,
    operations,
    refused,
    remote_org,
    remote_user,
    role_id,
    settle,
    staff_user,
)

pytestmark = pytest.mark.django_db


def _member(email: str) -> Member:
    return Member.objects.get(organization__name="acme", email=email)


def _remote_roles(state: dict[str, Any], member: Member) -> list[str]:
    remote = remote_org(state, "acme")
    assert remote is not None
    roles: list[str] = remote["members"][member.user_id]["roles"]
    return sorted(roles)


def test_it_assigns_a_role_in_auth0(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    member = _member("member@acme.test")

    with django_capture_on_commit_callbacks() as callbacks:
        member_role_assign(actor=staff_user(), member=member, role_name="org-admin")

    assert len(sent_ops(callbacks)) == 1
    assert member.role_names() == ["org-admin", "org-member"]
    assert operations() == [("member.sync_roles", None)]
    assert audited() == ["member.role_assign"]
    assert _remote_roles(imported_tenant.state(), member) == [role_id("org-member")]

    state = settle(imported_tenant)

    assert _remote_roles(state, member) == sorted([role_id("org-admin"), role_id("org-member")])
    assert_in_sync(member)


def test_it_removes_a_role_in_auth0(imported_tenant: Any) -> None:
    member = _member("member@acme.test")

    member_role_remove(actor=staff_user(), member=member, role_name="org-member")

    assert member.role_names() == []
    assert operations() == [("member.sync_roles", None)]
    assert audited() == ["member.role_remove"]
    assert _remote_roles(settle(imported_tenant), member) == []
    assert_in_sync(member)


def test_an_admin_may_remove_another_admins_role(imported_tenant: Any) -> None:
    admin = _member("admin@acme.test")
    other = _member("member@acme.test")
    member_role_assign(actor=None, member=other, role_name="org-admin")
    actor = UserFactory(sub=admin.user_id, email=admin.email)

    member_role_remove(actor=actor, member=other, role_name="org-admin")

    assert _remote_roles(settle(imported_tenant), other) == [role_id("org-member")]


@pytest.mark.parametrize(
    ("service", "role", "message"),
    [
        (member_role_assign, "org-owner", "Unknown role 'org-owner'."),
        (member_role_assign, "org-member", "member@acme.test already has the role org-member."),
        (member_role_remove, "org-owner", "Unknown role 'org-owner'."),
        (member_role_remove, "org-admin", "member@acme.test does not have the role org-admin."),
    ],
)
def test_it_refuses_an_impossible_role_change(
    demo: None, service: Any, role: str, message: str
) -> None:
    with refused(message):
        service(actor=None, member=_member("member@acme.test"), role_name=role)


def test_it_refuses_to_remove_your_own_admin_role(demo: None) -> None:
    admin = _member("admin@acme.test")
    actor = UserFactory(sub=admin.user_id, email=admin.email)
    with refused("You cannot remove your own administrator role."):
        member_role_remove(actor=actor, member=admin, role_name="org-admin")


def test_it_removes_a_member_from_the_organization(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    member = _member("member@acme.test")

    with django_capture_on_commit_callbacks() as callbacks:
        member_remove(actor=staff_user(), member=member)

    assert len(sent_ops(callbacks)) == 1
    member.refresh_from_db()
    assert member.removing
    assert operations() == [("member.remove", None)]
    assert audited() == ["member.remove"]

    state = settle(imported_tenant)

    remote = remote_org(state, "acme")
    assert remote is not None and member.user_id not in remote["members"]
    assert remote_user(state, "member@acme.test") is not None  # the account survives
    assert not Member.objects.filter(pk=member.pk).exists()


def test_a_removal_does_not_wait_for_a_pending_role_change(imported_tenant: Any) -> None:
    member = _member("member@acme.test")
    member_role_assign(actor=None, member=member, role_name="org-admin")

    member_remove(actor=None, member=member)

    assert operations() == [("member.sync_roles", None), ("member.remove", None)]
    remote = remote_org(settle(imported_tenant), "acme")
    assert remote is not None and member.user_id not in remote["members"]


def test_it_refuses_to_remove_yourself(demo: None) -> None:
    admin = _member("admin@acme.test")
    actor = UserFactory(sub=admin.user_id, email=admin.email)
    with refused("You cannot remove yourself from the organization."):
        member_remove(actor=actor, member=admin)
