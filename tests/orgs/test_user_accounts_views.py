"""The pages of user accounts (orgs.views.org_user_accounts) and the member list's Auth0
columns and search: what each says, and who may use them (anonymous, an outsider, a
member, another organization's admin: refused; this organization's admin and staff: in)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.core import mail
from django.test import Client

from orgs.models import AuditEvent, Member, Organization, SyncOperation
from sandbox.seed import stable_user_id
from tests.conftest import log_in
from tests.factories import UserFactory
from tests.orgs.engine import drain
from tests.orgs.services import rows
from tests.orgs.test_user_accounts import BOSS, NEWBIE, created_member, own_database_org

pytestmark = pytest.mark.django_db

COLLEAGUE = "colleague@initech.test"


@pytest.fixture
def initech(imported_tenant: Any) -> Organization:
    return own_database_org(imported_tenant)


@pytest.fixture
def boss(initech: Organization) -> Any:
    member = created_member(initech, BOSS, ["org-admin"])
    return UserFactory(sub=member.user_id, email=BOSS)


@pytest.fixture
def newbie(initech: Organization) -> Member:
    return created_member(initech, NEWBIE, ["org-member"])


@pytest.fixture
def staff(imported_tenant: Any) -> Any:
    return UserFactory(sub="auth0|staff-person", email="staff@portal.test", is_staff=True)


@pytest.fixture
def acme_admin(imported_tenant: Any) -> Any:
    return UserFactory(sub=stable_user_id("admin@acme.test"), email="admin@acme.test")


def create_url(org: Organization) -> str:
    return f"/orgs/{org.pk}/users/new/"


def delete_url(org: Organization, user_id: str) -> str:
    return f"/orgs/{org.pk}/members/{quote(user_id)}/delete/"


def members_url(org: Organization) -> str:
    return f"/orgs/{org.pk}/members/"


# --- creating --------------------------------------------------------------------------------


def test_an_admin_creates_a_user_who_is_mailed_a_link_and_listed(
    client: Client, initech: Organization, boss: Any, imported_tenant: Any
) -> None:
    log_in(client, boss, initech)
    form = client.get(create_url(initech)).content.decode()
    assert 'name="email"' in form and "Nobody in the portal sets, sees or chooses" in form
    assert f'href="{create_url(initech)}"' in client.get(members_url(initech)).content.decode()
    mail.outbox.clear()

    response = client.post(
        create_url(initech), {"email": COLLEAGUE, "name": "Col League", "roles": ["org-admin"]}
    )

    assert response.status_code == 302 and response["Location"] == members_url(initech)
    assert drain() == ["succeeded"]
    assert [m.to for m in mail.outbox] == [[COLLEAGUE]]
    member = Member.objects.get(organization=initech, email=COLLEAGUE)
    assert member.role_names() == ["org-admin"]
    listing = client.get(members_url(initech)).content.decode()
    assert COLLEAGUE in listing and "initech-users" in listing


def test_the_form_shows_a_refusal_on_its_field(
    client: Client, initech: Organization, boss: Any, newbie: Member
) -> None:
    log_in(client, boss, initech)
    response = client.post(create_url(initech), {"email": NEWBIE})
    assert response.status_code == 400
    assert f"{NEWBIE} is already a member of Initech" in response.content.decode()


def test_a_shared_database_organization_says_why_and_creates_nothing(
    client: Client, imported_tenant: Any, acme_admin: Any
) -> None:
    acme = Organization.objects.get(name="acme")
    log_in(client, acme_admin, acme)
    page = client.get(create_url(acme)).content.decode()
    assert "shared with other organizations" in page and 'name="email"' not in page
    assert "Create a user</a>" not in client.get(members_url(acme)).content.decode()
    before = rows()
    response = client.post(create_url(acme), {"email": COLLEAGUE}, follow=True)
    assert "shared with other organizations" in response.content.decode()
    assert rows() == before


# --- deleting --------------------------------------------------------------------------------


def test_deleting_confirms_what_it_does_then_deletes(
    client: Client, initech: Organization, boss: Any, newbie: Member, imported_tenant: Any
) -> None:
    log_in(client, boss, initech)
    member_page = client.get(f"/orgs/{initech.pk}/members/{quote(newbie.user_id)}/")
    assert "Delete account</a>" in member_page.content.decode()
    confirmation = client.get(delete_url(initech, newbie.user_id)).content.decode()
    assert "This cannot be undone" in confirmation and "every way they sign in" in confirmation
    assert not SyncOperation.objects.filter(kind="user.delete").exists()

    response = client.post(delete_url(initech, newbie.user_id), follow=True)

    assert f"Deleting the account of {NEWBIE}" in response.content.decode()
    assert drain() == ["succeeded"]
    assert newbie.user_id not in imported_tenant.app.state.users
    assert not Member.objects.filter(pk=newbie.pk).exists()


def test_the_last_admin_and_a_non_member_are_refused_with_a_message(
    client: Client, initech: Organization, boss: Any, staff: Any
) -> None:
    log_in(client, staff)
    response = client.post(delete_url(initech, boss.sub), follow=True)
    assert "last administrator of Initech" in response.content.decode()
    stranger = stable_user_id("member@acme.test")
    response = client.post(delete_url(initech, stranger), follow=True)
    assert "This user is not a member of Initech" in response.content.decode()
    assert not SyncOperation.objects.filter(kind="user.delete").exists()
    assert not AuditEvent.objects.filter(action="user.delete").exists()


def test_a_shared_database_member_has_no_delete(
    client: Client, imported_tenant: Any, acme_admin: Any
) -> None:
    acme = Organization.objects.get(name="acme")
    member_id = stable_user_id("member@acme.test")
    log_in(client, acme_admin, acme)
    page = client.get(f"/orgs/{acme.pk}/members/{quote(member_id)}/").content.decode()
    assert "Delete account" not in page
    before = rows()
    response = client.post(delete_url(acme, member_id), follow=True)
    assert "does not create or delete their accounts" in response.content.decode()
    assert rows() == before


# --- the list and the member page ------------------------------------------------------------


def test_the_list_shows_last_login_and_connection_and_searches_email_and_name(
    client: Client, initech: Organization, boss: Any, newbie: Member, imported_tenant: Any
) -> None:
    imported_tenant.app.state.users[newbie.user_id].last_login = "2026-11-30T10:05:00.000Z"
    log_in(client, boss, initech)
    listing = client.get(members_url(initech)).content.decode()
    assert "30 Nov 2026, 10:05" in listing and "initech-users" in listing
    assert 'name="q"' in listing

    found = client.get(members_url(initech), {"q": "NEWBIE"}).content.decode()
    assert f'data-user-id="{newbie.user_id}"' in found
    assert f'data-user-id="{boss.sub}"' not in found
    nobody = client.get(members_url(initech), {"q": "zzz"}).content.decode()
    assert "No member's email or name contains" in nobody and NEWBIE not in nobody


def test_the_member_page_says_what_each_action_does_not_end(
    client: Client, initech: Organization, boss: Any, newbie: Member
) -> None:
    log_in(client, boss, initech)
    page = client.get(f"/orgs/{initech.pk}/members/{quote(newbie.user_id)}/").content.decode()
    assert "Access tokens already issued stay valid until they expire." in page
    assert "It does not end a session an application keeps of its own" in page
    assert "does not ask that provider again while its session is alive" in page
    assert "the sessions they have now are not ended" in page


# --- access ----------------------------------------------------------------------------------

ROUTES = [("GET", "create"), ("POST", "create"), ("GET", "delete"), ("POST", "delete")]


def _call(client: Client, org: Organization, method: str, which: str, user_id: str) -> Any:
    url = create_url(org) if which == "create" else delete_url(org, user_id)
    data = {"email": COLLEAGUE}
    return client.get(url) if method == "GET" else client.post(url, data)


@pytest.mark.parametrize(("method", "which"), ROUTES)
def test_anonymous_visitors_are_sent_to_log_in(
    client: Client, initech: Organization, newbie: Member, method: str, which: str
) -> None:
    response = _call(client, initech, method, which, newbie.user_id)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(("method", "which"), ROUTES)
def test_outsiders_members_and_other_admins_get_404_and_change_nothing(
    client: Client,
    initech: Organization,
    newbie: Member,
    boss: Any,
    acme_admin: Any,
    method: str,
    which: str,
) -> None:
    acme = Organization.objects.get(name="acme")
    member_user = UserFactory(sub=newbie.user_id, email=NEWBIE)
    outsider = UserFactory(sub="auth0|nobody", email="nobody@nowhere.test")
    before = rows()
    for user, pinned in ((outsider, None), (member_user, None), (acme_admin, acme)):
        log_in(client, user, pinned)
        response = _call(client, initech, method, which, boss.sub)
        assert response.status_code == 404, (user, method, which)
        client.logout()
    assert rows() == before


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_this_organizations_admin_and_staff_may_use_both(
    client: Client, initech: Organization, newbie: Member, boss: Any, staff: Any, who: str
) -> None:
    log_in(client, boss, initech) if who == "admin" else log_in(client, staff)
    assert client.get(create_url(initech)).status_code == 200
    assert client.get(delete_url(initech, newbie.user_id)).status_code == 200
    assert client.post(create_url(initech), {"email": COLLEAGUE}).status_code == 302
    assert client.post(delete_url(initech, newbie.user_id)).status_code == 302
    assert set(drain()) == {"succeeded"}
    assert Member.objects.filter(organization=initech, email=COLLEAGUE).exists()
    assert not Member.objects.filter(pk=newbie.pk).exists()


def test_a_search_of_a_large_organization_says_where_it_stopped(
    client: Client, initech: Organization, boss: Any, newbie: Member, monkeypatch: Any
) -> None:
    from orgs.views import member_directory

    monkeypatch.setattr(member_directory, "SEARCH_PAGE", 1)
    monkeypatch.setattr(member_directory, "SEARCH_PAGES", 1)
    log_in(client, boss, initech)
    found = client.get(members_url(initech), {"q": "nobody-matches"}).content.decode()
    assert "Only the first 1 members were searched" in found


def test_the_activity_tab_describes_account_operations(
    client: Client, initech: Organization, boss: Any, newbie: Member
) -> None:
    log_in(client, boss, initech)
    client.post(delete_url(initech, newbie.user_id))
    activity = client.get(f"/orgs/{initech.pk}/activity/")
    assert activity.status_code == 200
    content = activity.content.decode()
    assert f"Create the account of {NEWBIE}" in content
    assert f"Delete the account of {NEWBIE}" in content
