"""The IT contact's side of a setup link, and who reaches what: opening records the use;
the link session does the SSO steps of its own organization and nothing else; a revoked or
resent link ends the session at the next request; dead links say who can issue a new one;
the management pages are for staff and the organization's admin only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from idp_selfservice import setup_links
from idp_selfservice.models import SetupLink, SetupLinkUse, SsoSetup
from orgs.models import AuditEvent
from portal.models import User
from tests.conftest import People, log_in
from tests.idp_selfservice.test_setup_links import issue, open_path

pytestmark = pytest.mark.django_db

IT = "jo.it@acme.test"


def opened(client: Client, issued: setup_links.IssuedLink, email: str = IT) -> Client:
    response = client.post(
        open_path(issued),
        {"email": email},
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Firefox/140",
    )
    assert response.status_code == 302 and response["Location"] == reverse("setup_link_home")
    return client


def sso(name: str, *args: int) -> str:
    return reverse(f"idp_selfservice:{name}", args=args)


def not_reached(status: int) -> bool:
    return status in (302, 404)


# --- opening a link -------------------------------------------------------------------------


def test_opening_asks_who_they_are_and_records_the_use(client: Client, people: People) -> None:
    issued = issue(people.organization)
    page = client.get(open_path(issued))
    assert page.status_code == 200 and "Your work email address" in page.content.decode()
    assert not SetupLinkUse.objects.exists()  # a GET records nothing
    opened(client, issued, " Jo.IT@acme.test")
    use = SetupLinkUse.objects.get()
    assert (use.link, use.email, use.ip) == (issued.link, IT, "203.0.113.7")
    assert use.user_agent == "Firefox/140" and use.opened_at is not None
    event = AuditEvent.objects.get(action="setup_link.open")
    assert event.actor_label == IT and event.organization == people.organization
    assert event.details["ip"] == "203.0.113.7"
    contact = User.objects.get(email=IT)
    assert not contact.is_staff and not contact.is_active and not contact.has_usable_password()
    home = client.get(reverse("setup_link_home")).content.decode()
    assert IT in home and sso("index", people.organization.pk) in home
    assert "_auth_user_id" not in client.session  # never logged in


def test_a_bad_email_is_asked_again(client: Client, people: People) -> None:
    issued = issue(people.organization)
    response = client.post(open_path(issued), {"email": "not an email"})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert not SetupLinkUse.objects.exists()


def test_opening_a_link_ends_the_browsers_own_login(client: Client, people: People) -> None:
    log_in(client, people.outsider, people.other_organization)
    opened(client, issue(people.organization))
    assert "_auth_user_id" not in client.session
    other = sso("index", people.other_organization.pk)
    assert not_reached(client.get(other).status_code)


# --- what a link session reaches ------------------------------------------------------------


def test_a_link_session_does_the_sso_steps_of_its_organization(
    client: Client, people: People
) -> None:
    org = people.organization
    opened(client, issue(org))
    index = client.get(sso("index", org.pk))
    assert index.status_code == 200
    assert sso("setup_links", org.pk) not in index.content.decode()  # no link management
    assert client.get(sso("pick", org.pk)).status_code == 200
    response = client.post(sso("pick", org.pk), {"provider": "okta"})
    setup = SsoSetup.objects.get(organization=org)
    assert response.status_code == 302
    assert response["Location"] == sso("setup", org.pk, setup.pk)
    assert client.get(sso("setup", org.pk, setup.pk)).status_code == 200
    assert client.get(sso("test", org.pk, setup.pk)).status_code == 200
    assert setup.created_by is not None and setup.created_by.email == IT
    event = AuditEvent.objects.get(action="sso.start")
    assert event.actor_label == IT


def test_a_link_session_reaches_nothing_else(client: Client, people: People) -> None:
    org, other = people.organization, people.other_organization
    theirs = SsoSetup.objects.create(organization=other, provider="okta", connection_name="x")
    opened(client, issue(org))
    paths = [
        reverse("orgs:detail", args=[org.pk]),
        reverse("orgs:members", args=[org.pk]),
        reverse("orgs:connections", args=[org.pk]),
        reverse("orgs:list"),
        reverse("idp_selfservice:certificates"),
        sso("index", other.pk),
        sso("pick", other.pk),
        sso("setup", org.pk, theirs.pk),
        sso("setup", other.pk, theirs.pk),
        sso("setup_links", org.pk),
        sso("setup_link_create", org.pk),
        sso("require_sso", org.pk),
        sso("break_glass", org.pk),
    ]
    for path in paths:
        assert not_reached(client.get(path).status_code), path
    response = client.post(sso("pick", other.pk), {"provider": "okta"})
    assert not_reached(response.status_code)
    assert not SsoSetup.objects.filter(organization=other).exclude(pk=theirs.pk).exists()
    # ...and the session is still alive for its own pages.
    assert client.get(sso("index", org.pk)).status_code == 200


def test_sso_pages_are_404_when_the_link_does_not_cover_sso(client: Client, people: People) -> None:
    org = people.organization
    opened(client, issue(org, ("domains",)))
    assert client.get(sso("index", org.pk)).status_code == 404
    assert client.post(sso("pick", org.pk), {"provider": "okta"}).status_code == 404
    assert not SsoSetup.objects.exists()


def test_a_domains_link_claims_a_domain_and_sees_only_its_tabs(
    client: Client, people: People
) -> None:
    org = people.organization
    opened(client, issue(org, ("domains",)))
    page = client.get(reverse("orgs:domains", args=[org.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("orgs:members", args=[org.pk]) not in html  # only its own tab shows
    claimed = client.post(
        reverse("orgs:domain_claim", args=[org.pk]), {"domain": "acme-it.example"}
    )
    assert claimed.status_code in (200, 302)
    assert org.domains.filter(domain="acme-it.example").exists()
    assert client.get(reverse("orgs:members", args=[org.pk])).status_code in (302, 404)
    assert client.get(reverse("orgs:domains", args=[people.other_organization.pk])).status_code in (
        302,
        404,
    )


@pytest.mark.parametrize("how", ["revoke", "resend", "expire"])
def test_a_link_closed_mid_session_ends_it_at_the_next_request(
    client: Client, people: People, how: str
) -> None:
    org = people.organization
    issued = issue(org)
    opened(client, issued)
    assert client.get(sso("index", org.pk)).status_code == 200
    if how == "revoke":
        setup_links.revoke_link(actor=people.org_admin, link=issued.link)
    elif how == "resend":
        setup_links.resend_link(actor=people.org_admin, link=issued.link)
    else:
        SetupLink.objects.filter(pk=issued.link.pk).update(expires_at=timezone.now())
    response = client.get(sso("index", org.pk))
    assert response.status_code == 410
    assert "Your visit has ended" in response.content.decode()
    assert "admin@acme.test" in response.content.decode()
    assert client.get(sso("index", org.pk)).status_code == 302  # an anonymous visitor now


def test_a_completed_link_ends_the_session_too(client: Client, people: People) -> None:
    org = people.organization
    opened(client, issue(org))
    setup_links.complete_sso_links(actor=None, organization=org)
    response = client.get(reverse("setup_link_home"))
    assert response.status_code == 410 and "has done its work" in response.content.decode()


def test_leaving_ends_the_session(client: Client, people: People) -> None:
    opened(client, issue(people.organization))
    assert client.post(reverse("setup_link_leave")).status_code == 200
    assert client.get(reverse("setup_link_home")).status_code == 404


# --- dead links -----------------------------------------------------------------------------


def test_a_dead_link_says_who_can_issue_a_new_one(client: Client, people: People) -> None:
    issued = issue(people.organization)
    setup_links.revoke_link(actor=None, link=issued.link)
    response = client.get(open_path(issued))
    page = response.content.decode()
    assert response.status_code == 410
    assert "no longer works" in page and "admin@acme.test" in page
    assert "member@acme.test" not in page  # only admins issue links
    assert client.post(open_path(issued), {"email": IT}).status_code == 410
    assert not SetupLinkUse.objects.exists()


def test_an_unknown_link_names_no_organization(client: Client, people: People) -> None:
    response = client.get(reverse("setup_link_open", args=["nope" * 10]))
    page = response.content.decode()
    assert response.status_code == 410 and "no longer works" in page
    assert "acme" not in page.lower()


def test_a_link_of_a_suspended_organization_is_dead(client: Client, people: People) -> None:
    issued = issue(people.organization)
    people.organization.status = "suspended"
    people.organization.save()
    assert client.get(open_path(issued)).status_code == 410


# --- who manages links ----------------------------------------------------------------------


def _management_paths(people: People) -> list[str]:
    org = people.organization
    link = issue(org).link
    return [
        sso("setup_links", org.pk),
        sso("setup_link_create", org.pk),
        sso("setup_link_revoke", org.pk, link.pk),
        sso("setup_link_resend", org.pk, link.pk),
    ]


@pytest.mark.parametrize("who", ["anonymous", "outsider", "org_member"])
def test_the_management_pages_are_404_to_others(client: Client, people: People, who: str) -> None:
    if who == "outsider":
        log_in(client, people.outsider, people.other_organization)
    elif who == "org_member":
        log_in(client, people.org_member)
    for path in _management_paths(people):
        assert client.get(path).status_code == 404, (who, path)
        assert client.post(path).status_code == 404, (who, path)
    assert not SetupLink.objects.exclude(revoked_at=None).exists()


@pytest.mark.parametrize("who", ["staff", "org_admin"])
def test_the_management_pages_are_for_staff_and_the_admin(
    client: Client, people: People, who: str
) -> None:
    log_in(client, getattr(people, who), None if who == "staff" else people.organization)
    for path in _management_paths(people):
        assert client.get(path).status_code == 200, (who, path)


def test_a_scim_link_reaches_the_scim_page_of_the_active_connection_only(
    client: Client, people: People
) -> None:
    from idp_selfservice.models import SetupState
    from tests.idp_selfservice._wizard import make_setup

    org = people.organization
    opened(client, issue(org, ("scim",)))
    home = client.get(reverse("setup_link_home")).content.decode()
    assert "possible once single sign-on is turned on" in home  # no active connection yet
    active = make_setup(org, state=SetupState.ACTIVE)
    scim_url = reverse("idp_selfservice:scim", args=[org.pk, active.pk])
    assert scim_url in client.get(reverse("setup_link_home")).content.decode()
    assert client.get(scim_url).status_code == 200
    assert client.get(sso("index", org.pk)).status_code == 404  # not its scope
    assert client.get(sso("setup", org.pk, active.pk)).status_code == 404
    theirs = make_setup(people.other_organization, state=SetupState.ACTIVE)
    other = reverse("idp_selfservice:scim", args=[people.other_organization.pk, theirs.pk])
    assert client.get(other).status_code == 404


def test_a_link_session_sees_its_tasks_and_leave_not_the_portal_menu(
    client: Client, people: People
) -> None:
    org = people.organization
    opened(client, issue(org, ("sso",)))
    page = client.get(sso("index", org.pk)).content.decode()
    assert reverse("setup_link_leave") in page and "Your setup tasks" in page
    assert reverse("logout") not in page and "Require single sign-on" not in page
