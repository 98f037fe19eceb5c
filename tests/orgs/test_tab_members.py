"""The organization page's Members tab and a member's page: members read from Auth0 (the
in-process sandbox tenant), merged with the portal's rows, 25 a page; roles added and
removed; removal after a confirmation; the portal's rows with a notice when Auth0 is not
there; and who may see and do what."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from orgs.auth0.client import forget_clients
from orgs.models import AuditEvent, Member, Organization, SyncOperation
from portal.devstack import free_port
from sandbox.seed import stable_id, stable_user_id
from sandbox.state import Member as SandboxMember
from sandbox.state import User as SandboxUser
from sandbox.state import iso
from tests.conftest import People, log_in
from tests.factories import MemberFactory, UserFactory
from tests.orgs.engine import drain, sent_ops
from tests.orgs.services import rows

pytestmark = pytest.mark.django_db

DB = "Username-Password-Authentication"
ADMIN, MEMBER = "admin@acme.test", "member@acme.test"


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def unreachable(settings: Any) -> Any:
    """Auth0 is somewhere nothing listens: every read fails at once."""
    settings.AUTH0_DOMAIN = f"http://127.0.0.1:{free_port()}"
    forget_clients()
    yield
    forget_clients()


@pytest.fixture
def acme(imported_tenant: Any) -> Organization:
    return Organization.objects.get(name="acme")


@pytest.fixture
def staff(imported_tenant: Any) -> Any:
    return UserFactory(
        sub=stable_user_id("staff@portal.test"), email="staff@portal.test", is_staff=True
    )


@pytest.fixture
def acme_admin(imported_tenant: Any) -> Any:
    return UserFactory(sub=stable_user_id(ADMIN), email=ADMIN)


def add_auth0_member(tenant: Any, email: str, *, role: str = "") -> str:
    """A user who joined Acme in Auth0 (the portal has no row for them)."""
    state, user_id, created = tenant.app.state, stable_user_id(email), iso(time.time())
    user = SandboxUser(user_id, DB, email=email, name=email, created_at=created, updated_at=created)
    with state.lock:
        state.users.setdefault(user_id, user)
        roles = [stable_id("rol", role)] if role else []
        state.organizations[stable_id("org", "acme")].members[user_id] = SandboxMember(
            user_id, roles
        )
    return user_id


def remote_roles(tenant: Any, user_id: str) -> set[str]:
    state = tenant.app.state
    member = state.organizations[stable_id("org", "acme")].members.get(user_id)
    return {state.roles[r].name for r in member.roles} if member else set()


def tab(org: Organization, suffix: str = "") -> str:
    return f"/orgs/{org.pk}/members/{suffix}"


def member_url(org: Organization, user_id: str, suffix: str = "") -> str:
    return f"/orgs/{org.pk}/members/{quote(user_id)}/{suffix}"


def user_ids(content: str) -> set[str]:
    return {part.split('"')[0] for part in content.split('data-user-id="')[1:]}


def row_of(content: str, user_id: str) -> str:
    return content.split(f'data-user-id="{user_id}"')[1].split("</tr>")[0]


# --- the tab, read from Auth0 ----------------------------------------------------------------


def test_staff_see_auth0s_members_with_roles_sign_in_and_sync(
    client: Client, acme: Organization, staff: Any, imported_tenant: Any
) -> None:
    joined = add_auth0_member(imported_tenant, "joined@acme.test", role="org-member")
    imported_tenant.app.state.users[stable_user_id(MEMBER)].blocked = True
    log_in(client, staff)
    content = client.get(tab(acme)).content.decode()
    admin_row = row_of(content, stable_user_id(ADMIN))
    assert ADMIN in admin_row and "org-admin" in admin_row and "Allowed" in admin_row
    assert "In sync" in admin_row
    member_row = row_of(content, stable_user_id(MEMBER))
    assert "org-member" in member_row and "Blocked" in member_row
    joined_row = row_of(content, joined)
    assert "joined@acme.test" in joined_row and "Nothing sent" in joined_row
    assert 'id="members-notice"' not in content
    assert f'href="{member_url(acme, joined)}"'.replace("|", "%7C") in content


def test_a_role_change_on_its_way_shows_what_it_changes_to(
    client: Client, acme: Organization, staff: Any
) -> None:
    log_in(client, staff)
    member = Member.objects.get(organization=acme, user_id=stable_user_id(MEMBER))
    client.post(member_url(acme, member.user_id, "roles/add/"), {"add-role": "org-admin"})
    row = row_of(client.get(tab(acme)).content.decode(), member.user_id)
    assert "Changing to: org-admin, org-member" in row and "pending" in row


def test_thirty_two_members_make_two_pages_with_previous_and_next(
    client: Client, acme: Organization, staff: Any, imported_tenant: Any
) -> None:
    for index in range(30):
        add_auth0_member(imported_tenant, f"person{index:02d}@acme.test")
    log_in(client, staff)
    first = client.get(tab(acme)).content.decode()
    assert first.count("data-user-id=") == 25 and "Page 1" in first
    assert 'rel="next" href="?page=2"' in first and 'rel="prev"' not in first
    second = client.get(tab(acme) + "?page=2").content.decode()
    assert second.count("data-user-id=") == 7 and "Page 2" in second
    assert 'rel="prev" href="?page=1"' in second and 'rel="next"' not in second
    assert len(user_ids(first) | user_ids(second)) == 32
    back = client.get(tab(acme) + "?page=1").content.decode()
    assert user_ids(back) == user_ids(first)


def test_a_page_the_session_never_reached_starts_at_the_first(
    client: Client, acme: Organization, staff: Any, imported_tenant: Any
) -> None:
    for index in range(30):
        add_auth0_member(imported_tenant, f"person{index:02d}@acme.test")
    log_in(client, staff)
    for junk in ("?page=2", "?page=99", "?page=x"):
        content = client.get(tab(acme) + junk).content.decode()
        assert "Page 1" in content and content.count("data-user-id=") == 25


# --- the tab without Auth0 -------------------------------------------------------------------


def test_when_auth0_cannot_be_reached_the_portals_members_show_with_a_notice(
    client: Client, people: People, unreachable: None
) -> None:
    log_in(client, people.staff)
    content = client.get(tab(people.organization)).content.decode()
    assert "Auth0 cannot be reached right now" in content
    assert "admin@acme.test" in content and "member@acme.test" in content
    assert "admin@globex.test" not in content


def test_an_organization_not_in_auth0_yet_shows_the_portals_members(
    client: Client, people: People
) -> None:
    Organization.objects.filter(pk=people.organization.pk).update(auth0_id=None)
    log_in(client, people.org_admin, people.organization)
    content = client.get(tab(people.organization)).content.decode()
    assert "is not in Auth0 yet" in content and "member@acme.test" in content


def test_the_portals_list_pages_by_twenty_five(
    client: Client, people: People, unreachable: None
) -> None:
    for index in range(30):
        MemberFactory(organization=people.organization, email=f"p{index:02d}@acme.test")
    log_in(client, people.staff)
    content = client.get(tab(people.organization)).content.decode()
    assert content.count("data-user-id=") == 25 and "Page 1 of 2" in content


# --- a member's page -------------------------------------------------------------------------


def test_a_members_page_reads_them_from_auth0(
    client: Client, acme: Organization, acme_admin: Any
) -> None:
    log_in(client, acme_admin, acme)
    user_id = stable_user_id(MEMBER)
    content = client.get(member_url(acme, user_id)).content.decode()
    assert f'<code id="member-user-id">{user_id}</code>' in content
    assert f"A password ({DB})" in content and "Allowed" in content
    assert '<label for="id_add-role">Role to add</label>' in content
    assert '<label for="id_remove-role">Role to remove</label>' in content
    assert ">Add role</button>" in content and ">Remove role</button>" in content
    assert ">Block user</a>" in content and ">Sign out everywhere</a>" in content
    assert ">Send password reset</button>" in content
    assert ">Remove from organization</a>" in content
    assert "Access tokens already issued stay valid until they expire." in content
    assert "Auth0 does not end a session at their own identity provider" in content


def test_someone_not_a_member_has_no_page(client: Client, acme: Organization, staff: Any) -> None:
    log_in(client, staff)
    assert client.get(member_url(acme, stable_user_id("admin@globex.test"))).status_code == 404
    assert client.get(member_url(acme, "auth0|nobody")).status_code == 404


def test_the_page_works_from_the_portals_row_when_auth0_is_away(
    client: Client, people: People, unreachable: None
) -> None:
    log_in(client, people.staff)
    content = client.get(member_url(people.organization, people.org_member.sub)).content.decode()
    assert "Auth0 cannot be reached right now" in content and "member@acme.test" in content
    assert client.get(member_url(people.organization, "auth0|nobody")).status_code == 404


# --- roles -----------------------------------------------------------------------------------


def test_adding_a_role_to_someone_who_joined_in_auth0_keeps_their_auth0_roles(
    client: Client,
    acme: Organization,
    acme_admin: Any,
    imported_tenant: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    joined = add_auth0_member(imported_tenant, "joined@acme.test", role="org-member")
    log_in(client, acme_admin, acme)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            member_url(acme, joined, "roles/add/"), {"add-role": "org-admin"}, follow=True
        )
    assert "Adding the role org-admin to joined@acme.test." in response.content.decode()
    member = Member.objects.get(organization=acme, user_id=joined)
    assert member.role_names() == ["org-admin", "org-member"]
    [op] = SyncOperation.objects.filter(kind="member.sync_roles", target_id=member.pk)
    assert sent_ops(callbacks) == [op.pk]
    drain()
    assert remote_roles(imported_tenant, joined) == {"org-admin", "org-member"}
    assert AuditEvent.objects.filter(action="member.role_assign", target="joined@acme.test")


def test_removing_a_role_reaches_auth0(
    client: Client, acme: Organization, staff: Any, imported_tenant: Any
) -> None:
    log_in(client, staff)
    user_id = stable_user_id(MEMBER)
    response = client.post(
        member_url(acme, user_id, "roles/remove/"), {"remove-role": "org-member"}, follow=True
    )
    assert "Removing org-member from member@acme.test." in response.content.decode()
    drain()
    assert remote_roles(imported_tenant, user_id) == set()


def test_the_last_admins_admin_role_is_refused_on_its_field(
    client: Client, acme: Organization, staff: Any, imported_tenant: Any
) -> None:
    log_in(client, staff)
    before = rows()
    content = client.post(
        member_url(acme, stable_user_id(ADMIN), "roles/remove/"), {"remove-role": "org-admin"}
    ).content.decode()
    assert '<a href="#id_remove-role">admin@acme.test is the last administrator' in content
    assert rows() == before


def test_an_unknown_role_is_refused_on_its_field(
    client: Client, acme: Organization, staff: Any
) -> None:
    log_in(client, staff)
    content = client.post(
        member_url(acme, stable_user_id(MEMBER), "roles/add/"), {"add-role": "owner"}
    ).content.decode()
    assert '<a href="#id_add-role">Choose one of the roles in the list.' in content


# --- removal ---------------------------------------------------------------------------------


def test_removing_confirms_first_then_removes_in_auth0(
    client: Client, acme: Organization, staff: Any, imported_tenant: Any
) -> None:
    log_in(client, staff)
    user_id = stable_user_id(MEMBER)
    before = rows()
    page = client.get(member_url(acme, user_id, "remove/")).content.decode()
    assert "Remove member@acme.test from Acme Corp?" in page
    assert ">Remove from organization</button>" in page
    assert "Their account is not deleted" in page
    assert rows() == before
    response = client.post(member_url(acme, user_id, "remove/"), follow=True)
    assert response.redirect_chain[-1][0] == tab(acme)
    assert "Removing member@acme.test from Acme Corp." in response.content.decode()
    drain()
    assert not Member.objects.filter(organization=acme, user_id=user_id).exists()
    assert user_id not in imported_tenant.app.state.organizations[acme.auth0_id].members
    assert user_id in imported_tenant.app.state.users


def test_the_last_admin_is_not_removed(
    client: Client, acme: Organization, staff: Any, imported_tenant: Any
) -> None:
    log_in(client, staff)
    before = rows()
    response = client.post(member_url(acme, stable_user_id(ADMIN), "remove/"), follow=True)
    assert "admin@acme.test is the last administrator of Acme Corp" in response.content.decode()
    assert rows() == before


# --- who may see and do what -----------------------------------------------------------------

ACTIONS = [
    ("GET", ""),
    ("GET", "remove/"),
    ("GET", "block/"),
    ("GET", "sign-out/"),
    ("POST", "remove/"),
    ("POST", "block/"),
    ("POST", "unblock/"),
    ("POST", "sign-out/"),
    ("POST", "password-reset/"),
    ("POST", "roles/add/"),
    ("POST", "roles/remove/"),
    ("GET", "activity/"),
]


def _request(client: Client, method: str, url: str) -> Any:
    return client.get(url) if method == "GET" else client.post(url, {"add-role": "org-admin"})


def test_another_organizations_admin_and_a_member_get_404_and_change_nothing(
    client: Client, people: People, unreachable: None
) -> None:
    before = rows()
    org = people.organization
    log_in(client, people.outsider, people.other_organization)
    assert client.get(tab(org)).status_code == 404
    for method, suffix in ACTIONS:
        response = _request(client, method, member_url(org, people.org_member.sub, suffix))
        assert response.status_code == 404, (method, suffix)
    client.logout()
    log_in(client, people.org_member)
    assert client.get(tab(org)).status_code == 404
    for method, suffix in ACTIONS:
        response = _request(client, method, member_url(org, people.org_admin.sub, suffix))
        assert response.status_code == 404, (method, suffix)
    assert rows() == before


@pytest.mark.parametrize(("method", "suffix"), ACTIONS)
def test_anonymous_visitors_are_sent_to_login(
    client: Client, people: People, method: str, suffix: str
) -> None:
    response = _request(client, method, member_url(people.organization, "auth0|x", suffix))
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.get(tab(people.organization))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_customer_admin_sees_that_a_staff_member_is_staffs_to_change(
    client: Client, people: People, unreachable: None
) -> None:
    MemberFactory(
        organization=people.organization, user_id=people.staff.sub, email=people.staff.email
    )
    log_in(client, people.org_admin, people.organization)
    content = client.get(member_url(people.organization, people.staff.sub)).content.decode()
    assert "only staff can change their account" in content
    assert "Block user" not in content and "Remove from organization</a>" not in content
    before = rows()
    for method, suffix in ACTIONS:
        if method == "POST":
            url = member_url(people.organization, people.staff.sub, suffix)
            response = client.post(url, {"add-role": "org-admin"}, follow=True)
            assert "only staff can change their account" in response.content.decode(), suffix
    assert rows() == before


def test_a_customer_admin_acting_on_a_non_member_is_told_so(
    client: Client, acme: Organization, acme_admin: Any
) -> None:
    globex_admin = stable_user_id("admin@globex.test")
    log_in(client, acme_admin, acme)
    before = rows()
    for suffix in ("block/", "sign-out/", "password-reset/", "unblock/", "remove/"):
        response = client.post(member_url(acme, globex_admin, suffix), follow=True)
        assert response.redirect_chain[-1][0] == tab(acme)
        assert "This user is not a member of Acme Corp" in response.content.decode(), suffix
    assert rows() == before
