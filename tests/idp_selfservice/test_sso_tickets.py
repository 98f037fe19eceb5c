"""Auth0 Self-Service SSO tickets, staff only, against the real sandbox: issuing (what the
sandbox holds), the URL shown once and never stored, the list, revoking (the ticket page
then refuses it), the whole path through the sandbox's page, and refusals in words."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from idp_selfservice import sso_tickets
from idp_selfservice.models import SsoTicket
from orgs.models import AuditEvent, Domain, Organization
from orgs.models.organizations import DomainStatus
from orgs.services import ServiceError
from portal.models import User
from tests.conftest import People, log_in
from tests.factories import UserFactory
from tests.sandbox.test_self_service_page import PEM

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _acme() -> Organization:
    return Organization.objects.get(name="acme")


def _staff(client: Client) -> User:
    user: User = UserFactory(sub="auth0|staff", email="staff@portal.test", is_staff=True)
    client.force_login(user)
    return user


def _tickets_url(org: Organization) -> str:
    return reverse("idp_selfservice:sso_tickets", args=[org.pk])


def _profile(client: Client, org: Organization, strategies: tuple[str, ...] = ("samlp",)) -> str:
    response = client.post(
        reverse("idp_selfservice:sso_ticket_profile", args=[org.pk]),
        {"name": "Customers", "strategies": list(strategies), "attributes": ["given_name"]},
    )
    assert response.status_code == 302
    found = re.search(r'value="(ssp_[A-Za-z0-9]+)"', _text(client.get(_tickets_url(org))))
    assert found, "the new profile is offered"
    return found.group(1)


def _issue(client: Client, org: Organization, profile_id: str, **fields: Any) -> Any:
    data = {"profile_id": profile_id, "domain_verification": "none", "ttl_days": 5, **fields}
    return client.post(_tickets_url(org), data)


def _url_in(response: Any) -> str:
    found = re.search(r'<code id="sso-ticket-url">([^<]+)</code>', _text(response))
    assert found, _text(response)
    return found.group(1)


# --- access ------------------------------------------------------------------------------


def _as_admin(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)


def _as_member(client: Client, people: People) -> None:
    log_in(client, people.org_member)


def _as_outsider(client: Client, people: People) -> None:
    log_in(client, people.outsider, people.other_organization)


def _anonymous(client: Client, people: People) -> None:
    pass


@pytest.mark.parametrize("who", [_as_admin, _as_member, _as_outsider, _anonymous])
def test_nobody_but_staff_reaches_any_route(
    client: Client, people: People, who: Callable[[Client, People], None]
) -> None:
    org = people.organization
    ticket = SsoTicket.objects.create(
        organization=org,
        profile_id="ssp_x",
        ticket_id="t1",
        connection_name="acme-sso-ticket",
        expires_at=timezone.now() + timedelta(days=1),
    )
    who(client, people)
    paths = [
        _tickets_url(org),
        reverse("idp_selfservice:sso_ticket_profile", args=[org.pk]),
        reverse("idp_selfservice:sso_ticket_revoke", args=[org.pk, ticket.pk]),
    ]
    for path in paths:
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"profile_id": "ssp_x", "name": "x"}).status_code == 404, path
    ticket.refresh_from_db()
    assert ticket.revoked_at is None
    index = client.get(reverse("idp_selfservice:index", args=[org.pk]))
    assert "Auth0 Self-Service SSO" not in _text(index)


# --- through the sandbox -----------------------------------------------------------------


def test_issue_holds_the_right_ticket_and_shows_the_url_once(
    client: Client, imported_tenant: Any
) -> None:
    org = _acme()
    Domain.objects.create(
        organization=org, domain="acme.test", verification_token="t", status=DomainStatus.VERIFIED
    )
    _staff(client)
    assert "Auth0 Self-Service SSO" in _text(
        client.get(reverse("idp_selfservice:index", args=[org.pk]))
    )
    profile_id = _profile(client, org, ("samlp", "oidc"))
    sandbox_profile = imported_tenant.app.state.self_service_profiles[profile_id]
    assert sandbox_profile.allowed_strategies == ["samlp", "oidc"]
    assert [a["name"] for a in sandbox_profile.user_attributes] == ["email", "given_name"]
    assert sandbox_profile.user_attributes[0]["is_optional"] is False

    response = _issue(client, org, profile_id, domain_verification="required", ttl_days=2)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = _text(response)
    assert "shown only this once" in page and "bearer link" in page
    url = _url_in(response)
    ticket_id = parse_qs(urlsplit(url).query)["ticket"][0]

    held = imported_tenant.app.state.tickets[ticket_id]
    assert held.data["enabled_organizations"] == [{"organization_id": org.auth0_id}]
    assert held.data["connection_config"] == {"name": "acme-sso-ticket"}
    assert held.data["ttl_sec"] == 2 * 86_400
    assert held.data["domain_aliases_config"] == {
        "domain_verification": "required",
        "pending_domains": ["acme.test"],
    }
    record = SsoTicket.objects.get()
    assert record.ticket_id == ticket_id and record.profile_id == profile_id
    assert record.issued_by is not None and record.issued_by.is_staff
    stored = [str(v) for v in SsoTicket.objects.values().get().values()]
    stored += [str(e.details) for e in AuditEvent.objects.all()]
    assert not any(url in value for value in stored)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"sso_profile.create", "sso_ticket.issue"} <= actions

    listing = _text(client.get(_tickets_url(org)))
    assert url not in listing and ticket_id not in listing
    assert "acme-sso-ticket" in listing and "Usable" in listing


def test_revoke_then_the_ticket_page_refuses_it(client: Client, imported_tenant: Any) -> None:
    org = _acme()
    _staff(client)
    url = _url_in(_issue(client, org, _profile(client, org)))
    ticket = SsoTicket.objects.get()
    revoke = reverse("idp_selfservice:sso_ticket_revoke", args=[org.pk, ticket.pk])
    confirm = _text(client.get(revoke))
    assert "Revoke the ticket for acme-sso-ticket?" in confirm
    assert client.post(revoke).status_code == 302
    ticket.refresh_from_db()
    assert ticket.revoked_at is not None
    assert "Revoked" in _text(client.get(_tickets_url(org)))
    assert AuditEvent.objects.filter(action="sso_ticket.revoke").exists()
    dead = httpx.get(url, timeout=10)
    assert dead.status_code == 410 and "was revoked" in dead.text
    with pytest.raises(ServiceError, match="already revoked"):
        sso_tickets.revoke_ticket(actor=None, ticket=ticket)


def test_the_ticket_creates_the_connection_end_to_end(client: Client, imported_tenant: Any) -> None:
    org = _acme()
    _staff(client)
    url = _url_in(_issue(client, org, _profile(client, org)))
    with httpx.Client(timeout=10, follow_redirects=True) as browser:
        assert "SAML" in browser.get(url).text
        form_url = url + "&strategy=samlp"
        assert "Signing certificate" in browser.get(form_url).text
        done = browser.post(
            form_url, data={"sign_in_url": "https://idp.acme.test/sso", "certificate": PEM}
        )
    assert done.status_code == 200, done.text
    state = imported_tenant.app.state
    conn = state.connection_by_name("acme-sso-ticket")
    assert conn is not None and conn.strategy == "samlp"
    assert state.organizations[org.auth0_id].enabled_connection(conn.id) is not None


def test_a_taken_connection_name_moves_to_the_next(client: Client, imported_tenant: Any) -> None:
    org = _acme()
    _staff(client)
    profile_id = _profile(client, org)
    _issue(client, org, profile_id)
    second = _issue(client, org, profile_id)
    assert second.status_code == 200
    assert "acme-sso-ticket-2" in _text(second)
    names = sorted(SsoTicket.objects.values_list("connection_name", flat=True))
    assert names == ["acme-sso-ticket", "acme-sso-ticket-2"]


def test_refusals_in_plain_words(client: Client, imported_tenant: Any) -> None:
    org = _acme()
    _staff(client)
    profile_id = _profile(client, org)
    with pytest.raises(ServiceError, match="no longer has that self-service profile"):
        sso_tickets.issue_ticket(actor=None, organization=org, profile_id="ssp_gone")
    with pytest.raises(ServiceError, match="1 to 5 days"):
        sso_tickets.issue_ticket(actor=None, organization=org, profile_id=profile_id, ttl_days=9)
    imported_tenant.add_fault(action="status", status=503, method="POST", path="sso-ticket$")
    response = _issue(client, org, profile_id)
    assert response.status_code == 400
    page = _text(response)
    assert "Auth0 could not be reached, so the portal could not issue the ticket" in page
    assert "503" not in page and 'id="sso-ticket-url"' not in page
    assert not SsoTicket.objects.exists()


def test_auth0_unreachable_for_profiles_still_shows_the_page(
    client: Client, imported_tenant: Any
) -> None:
    org = _acme()
    _staff(client)
    imported_tenant.add_fault(action="drop", method="GET", path="self-service-profiles$")
    page = _text(client.get(_tickets_url(org)))
    assert "could not read the self-service profiles" in page
