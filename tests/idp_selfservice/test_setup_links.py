"""Setup links through the services and the admin's pages: create (emailed, shown once,
stored hashed), list, revoke, resend (the old token dies), expiry, and completion when
single sign-on is turned on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from idp_selfservice import setup_links
from idp_selfservice.models import SetupLink
from orgs.models import AuditEvent, Organization
from orgs.services import ServiceError
from tests.conftest import People, log_in
from tests.idp_selfservice import builders as b

pytestmark = pytest.mark.django_db


def issue(org: Organization, scopes: tuple[str, ...] = ("sso",), **kw: Any) -> Any:
    kw.setdefault("invitee_email", "it@acme.test")
    return setup_links.create_link(actor=None, organization=org, scopes=list(scopes), **kw)


def token_of(issued: setup_links.IssuedLink) -> str:
    return issued.url.rsplit("/", 1)[1]


def open_path(issued: setup_links.IssuedLink) -> str:
    return reverse("setup_link_open", args=[token_of(issued)])


# --- the services ---------------------------------------------------------------------------


def test_a_link_is_stored_hashed_emailed_and_audited(people: People) -> None:
    issued = issue(people.organization, invitee_email=" IT@Acme.test ")
    link = issued.link
    token = token_of(issued)
    assert len(token) >= 40
    assert link.token_hash == setup_links.hash_token(token) and token not in link.token_hash
    assert link.invitee_email == "it@acme.test"
    assert abs(link.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    assert setup_links.find_link(token) == link
    assert issued.emailed
    [message] = mail.outbox
    assert message.to == ["it@acme.test"] and issued.url in message.body
    assert "Single sign-on setup" in message.body
    event = AuditEvent.objects.get(action="setup_link.create")
    assert event.organization == people.organization
    assert token not in str(event.details)


def test_without_an_email_nothing_is_sent(people: People) -> None:
    issued = issue(people.organization, invitee_email="")
    assert not issued.emailed and mail.outbox == []


@pytest.mark.parametrize(
    ("scopes", "days", "field"),
    [((), 7, "scopes"), (("sso", "everything"), 7, "scopes"), (("sso",), 0, "lifetime_days")],
)
def test_a_link_needs_known_scopes_and_1_to_30_days(
    people: People, scopes: tuple[str, ...], days: int, field: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        issue(people.organization, scopes, lifetime_days=days)
    assert refused.value.field == field
    with pytest.raises(ServiceError):
        issue(people.organization, lifetime_days=31)
    assert not SetupLink.objects.exists()


def test_resend_gives_a_new_token_and_the_old_one_stops_working(people: People) -> None:
    first = issue(people.organization, lifetime_days=3)
    SetupLink.objects.filter(pk=first.link.pk).update(expires_at=timezone.now())
    again = setup_links.resend_link(actor=people.staff, link=first.link)
    assert setup_links.find_link(token_of(first)) is None
    assert setup_links.find_link(token_of(again)) == first.link
    assert setup_links.link_state(again.link) == setup_links.LinkState.ACTIVE
    assert again.link.expires_at > timezone.now() + timedelta(days=2, hours=23)
    assert len(mail.outbox) == 2 and again.url in mail.outbox[1].body
    assert AuditEvent.objects.filter(action="setup_link.resend", actor=people.staff).exists()


def test_revoke_closes_the_link_once(people: People) -> None:
    link = issue(people.organization).link
    setup_links.revoke_link(actor=people.org_admin, link=link)
    link.refresh_from_db()
    assert setup_links.link_state(link) == setup_links.LinkState.REVOKED
    assert link.revoked_by == people.org_admin
    with pytest.raises(ServiceError):
        setup_links.revoke_link(actor=None, link=link)
    with pytest.raises(ServiceError):
        setup_links.resend_link(actor=None, link=link)
    assert AuditEvent.objects.filter(action="setup_link.revoke").count() == 1


def test_an_expired_link_is_dead(client: Client, people: People) -> None:
    issued = issue(people.organization)
    SetupLink.objects.filter(pk=issued.link.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    issued.link.refresh_from_db()
    assert setup_links.link_state(issued.link) == setup_links.LinkState.EXPIRED
    response = client.get(open_path(issued))
    assert response.status_code == 410
    assert "It expired on" in response.content.decode()


def test_sso_only_links_complete_when_sso_is_turned_on(people: People) -> None:
    sso_only = issue(people.organization).link
    mixed = issue(people.organization, ("sso", "domains")).link
    theirs = issue(people.other_organization).link
    done = setup_links.complete_sso_links(actor=None, organization=people.organization)
    assert done == 1
    for link in (sso_only, mixed, theirs):
        link.refresh_from_db()
    assert setup_links.link_state(sso_only) == setup_links.LinkState.COMPLETED
    assert setup_links.link_state(mixed) == setup_links.LinkState.ACTIVE
    assert setup_links.link_state(theirs) == setup_links.LinkState.ACTIVE


def test_activating_a_setup_completes_the_organizations_sso_links(imported_tenant: Any) -> None:
    acme = Organization.objects.get(name="acme")
    link = setup_links.create_link(actor=None, organization=acme, scopes=["sso"]).link
    b.active_setup(acme, "okta")
    link.refresh_from_db()
    assert link.completed_at is not None
    assert AuditEvent.objects.filter(action="setup_link.complete", organization=acme).exists()


# --- the admin's pages ----------------------------------------------------------------------


def links_url(org: Organization, name: str = "setup_links", *args: int) -> str:
    return reverse(f"idp_selfservice:{name}", args=[org.pk, *args])


def test_an_admin_creates_a_link_and_sees_it_once(client: Client, people: People) -> None:
    org = people.organization
    log_in(client, people.org_admin, org)
    index = client.get(reverse("idp_selfservice:index", args=[org.pk])).content.decode()
    assert links_url(org) in index
    form = client.get(links_url(org, "setup_link_create"))
    assert form.status_code == 200 and 'type="checkbox"' in form.content.decode()
    response = client.post(
        links_url(org, "setup_link_create"),
        {"scopes": ["sso", "domains"], "lifetime_days": "14", "invitee_email": "it@acme.test"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    link = SetupLink.objects.get()
    assert link.scopes == ["sso", "domains"] and link.lifetime_days == 14
    assert link.created_by == people.org_admin
    [message] = mail.outbox
    url = next(word for word in message.body.split() if "/setup/" in word)
    assert url in page and "data-copy" in page and "We emailed it to" in page
    listing = client.get(links_url(org)).content.decode()
    assert "it@acme.test" in listing and "Active" in listing and url not in listing


def test_the_create_form_says_what_is_wrong(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    response = client.post(
        links_url(people.organization, "setup_link_create"), {"lifetime_days": "60"}
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not SetupLink.objects.exists()


def test_revoke_and_resend_are_confirmed_first(client: Client, people: People) -> None:
    org = people.organization
    link = issue(org).link
    log_in(client, people.staff)
    confirm = client.get(links_url(org, "setup_link_revoke", link.pk)).content.decode()
    assert "stops working at once" in confirm
    resent = client.post(links_url(org, "setup_link_resend", link.pk))
    assert resent.status_code == 200 and "replaces the old one" in resent.content.decode()
    response = client.post(links_url(org, "setup_link_revoke", link.pk))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_by == people.staff
    listing = client.get(links_url(org)).content.decode()
    assert "Revoked" in listing


def test_a_link_of_another_organization_is_404(client: Client, people: People) -> None:
    theirs = issue(people.other_organization).link
    log_in(client, people.org_admin, people.organization)
    for name in ("setup_link_revoke", "setup_link_resend"):
        path = links_url(people.organization, name, theirs.pk)
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
