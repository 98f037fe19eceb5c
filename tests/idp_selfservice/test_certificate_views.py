"""The certificate pages: the customer admin's confirmation of a staged rollover (its own
organization only) and the staff overview of every organization's certificates."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from idp_selfservice.certificate_watch import certificate_in_use, refresh_setup
from idp_selfservice.models import SetupState
from orgs.models import AuditEvent, SyncOperation
from portal.models import User
from tests.conftest import People, log_in
from tests.idp_selfservice.test_certificate_support import (
    acme,
    fingerprint,
    remote_options,
    rotate,
    stored_setup,
    url_setup,
)
from tests.orgs.engine import drain
from tests.portal.test_login import log_in_through_tenant

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
STAGED = {
    "subject": "CN=next",
    "issuer": "CN=next",
    "sha256_fingerprint": "EE:NEXT:FINGERPRINT",
    "not_before": "2020-01-01T00:00:00+00:00",
    "not_after": "2040-01-01T00:00:00+00:00",
    "auth0_signing_cert": "not-used-here",
    "urgent": False,
}


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _swap_url(setup: Any) -> str:
    return reverse("idp_selfservice:certificate_swap", args=[setup.organization_id, setup.pk])


def _setup_url(setup: Any) -> str:
    return reverse("idp_selfservice:setup", args=[setup.organization_id, setup.pk])


# --- the swap confirmation -------------------------------------------------------------------


def test_the_admin_confirms_the_swap_and_the_sandbox_gets_the_new_certificate(
    client: Client, imported_tenant: Any, settings: Any
) -> None:
    setup = url_setup(imported_tenant, settings, acme())
    old = certificate_in_use(setup)
    assert old is not None
    new = rotate(imported_tenant, "acme-idp")
    refresh_setup(setup)
    log_in_through_tenant(client, imported_tenant, "admin@acme.test", "Acme-demo-2026!", "acme")
    page = client.get(_swap_url(setup))
    assert page.status_code == 200
    text = _text(page)
    assert f"Switch {setup.connection_name} to the new signing certificate?" in text
    assert f"In use now: {old['subject']}" in text and old["sha256_fingerprint"] in text
    assert f"New: {new['subject']}" in text and fingerprint(new) in text
    assert f'action="{_swap_url(setup)}"' in text
    done = client.post(_swap_url(setup))
    assert done.status_code == 302 and done["Location"] == _setup_url(setup)
    assert "succeeded" in drain()
    assert remote_options(imported_tenant, setup)["cert"] == new["cert"]
    event = AuditEvent.objects.get(action="sso.certificate_swap")
    assert event.actor == User.objects.get(email="admin@acme.test")
    setup.refresh_from_db()
    assert setup.staged_certificate == {}


def test_the_confirmation_says_when_it_is_urgent(client: Client, people: People) -> None:
    setup = stored_setup(
        people.organization, expires=timezone.now() + 3 * DAY, staged={**STAGED, "urgent": True}
    )
    log_in(client, people.org_admin, people.organization)
    text = _text(client.get(_swap_url(setup)))
    assert "no longer lists the certificate in use" in text
    assert "EE:NEXT:FINGERPRINT" in text


def test_nothing_staged_refuses_and_writes_nothing(client: Client, people: People) -> None:
    setup = stored_setup(people.organization, expires=timezone.now() + 100 * DAY)
    log_in(client, people.org_admin, people.organization)
    for response in (client.get(_swap_url(setup)), client.post(_swap_url(setup))):
        assert response.status_code == 302 and response["Location"] == _setup_url(setup)
    messages = [str(m) for m in client.get(_setup_url(setup)).context["messages"]]
    assert "No new certificate is waiting to be switched to." in messages
    assert not SyncOperation.objects.exists()
    assert not AuditEvent.objects.filter(action="sso.certificate_swap").exists()


def test_staff_may_confirm_for_any_organization(client: Client, people: People) -> None:
    setup = stored_setup(people.organization, expires=timezone.now() + 3 * DAY, staged=STAGED)
    log_in(client, people.staff)
    assert client.get(_swap_url(setup)).status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organizations_admin_gets_a_404(
    client: Client, people: People, method: str
) -> None:
    setup = stored_setup(people.organization, expires=timezone.now() + 3 * DAY, staged=STAGED)
    log_in(client, people.outsider, people.other_organization)
    assert getattr(client, method)(_swap_url(setup)).status_code == 404
    # Not through their own organization's pk either: the setup is not theirs.
    theirs = reverse(
        "idp_selfservice:certificate_swap", args=[people.other_organization.pk, setup.pk]
    )
    assert getattr(client, method)(theirs).status_code == 404
    setup.refresh_from_db()
    assert setup.staged_certificate and not SyncOperation.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_plain_member_and_an_outsider_cannot_reach_it(
    client: Client, people: People, method: str
) -> None:
    setup = stored_setup(people.organization, expires=timezone.now() + 3 * DAY, staged=STAGED)
    assert getattr(client, method)(_swap_url(setup)).status_code == 404  # anonymous
    log_in(client, people.org_member, people.organization)  # pinned, not an admin
    response = getattr(client, method)(_swap_url(setup))
    assert response.status_code in (403, 404)
    assert "Switch certificate" not in _text(response)
    log_in(client, people.org_member)  # signed in, no organization pinned
    assert getattr(client, method)(_swap_url(setup)).status_code == 404
    setup.refresh_from_db()
    assert setup.staged_certificate and not SyncOperation.objects.exists()


# --- the staff overview ----------------------------------------------------------------------


def test_staff_see_every_certificate_soonest_expiry_first(client: Client, people: People) -> None:
    now = timezone.now()
    later = stored_setup(people.organization, expires=now + 300 * DAY, name="acme-later")
    soon = stored_setup(
        people.other_organization, expires=now + 5 * DAY, staged=STAGED, name="globex-soon"
    )
    gone = stored_setup(people.organization, expires=now - 2 * DAY, name="acme-expired")
    soon.metadata_url = "https://idp.globex.test/metadata"
    soon.metadata_check_error = "The server answered 404."
    soon.save()
    stored_setup(people.organization, provider="oidc", name="acme-oidc")
    stored_setup(people.organization, expires=now + DAY, state=SetupState.DELETED, name="acme-old")
    log_in(client, people.staff)
    page = client.get(reverse("idp_selfservice:certificates"))
    assert page.status_code == 200
    text = _text(page)
    rows = [text.index(s.connection_name) for s in (gone, soon, later)]
    assert rows == sorted(rows)
    assert "acme-oidc" not in text and "acme-old" not in text
    for setup in (gone, soon, later):
        assert f'href="{_setup_url(setup)}"' in text
    assert "Expired" in text and "Expires soon" in text and "Valid" in text
    assert "New certificate waiting" in text and "EE:NEXT:FINGERPRINT" in text
    assert "The server answered 404." in text
    assert "1 expired" in text and "1 rollover waiting" in text
    assert 'class="table-stack' in text and 'data-label="Expires"' in text


def test_the_staff_overview_says_when_there_is_nothing(client: Client, people: People) -> None:
    log_in(client, people.staff)
    text = _text(client.get(reverse("idp_selfservice:certificates")))
    assert "No organization has set up SAML single sign-on yet." in text


def test_the_staff_overview_is_staff_only(client: Client, people: People) -> None:
    url = reverse("idp_selfservice:certificates")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    log_in(client, people.org_admin, people.organization)
    assert client.get(url).status_code == 404
    log_in(client, people.outsider)
    assert client.get(url).status_code == 404


# --- the panel the SSO pages include -----------------------------------------------------------


def test_the_certificate_panel_links_a_staged_rollover_to_its_confirmation(
    people: People,
) -> None:
    from django.template.loader import render_to_string

    from idp_selfservice.certificate_watch import certificate_health

    setup = stored_setup(
        people.organization, expires=timezone.now() + 10 * DAY, staged={**STAGED, "urgent": True}
    )
    setup.metadata_url = "https://idp.acme.test/metadata"
    setup.metadata_check_error = "The server answered 404."
    text = html.unescape(
        render_to_string(
            "idp_selfservice/certificate_panel.html",
            {"setup": setup, "health": certificate_health(setup)},
        )
    )
    assert "Expires soon" in text and "expires in 9 days" in text
    assert f'href="{_swap_url(setup)}"' in text and "Urgent:" in text
    assert "Metadata check failed" in text and "The server answered 404." in text
    plain = stored_setup(people.organization, expires=timezone.now() + 100 * DAY)
    text = render_to_string(
        "idp_selfservice/certificate_panel.html",
        {"setup": plain, "health": certificate_health(plain)},
    )
    assert "Valid" in text and "Review and switch" not in text
