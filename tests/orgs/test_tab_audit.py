"""The organization page's Audit trail tab: its events newest first, in words, with
before → after for changes and secrets redacted, paginated."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orgs.models import AuditEvent
from tests.conftest import People, log_in

pytestmark = pytest.mark.django_db


def _url(people: People, query: str = "") -> str:
    return f"/orgs/{people.organization.pk}/audit/{query}"


def _event(org: Any, action: str, target: str = "", **details: Any) -> AuditEvent:
    return AuditEvent.objects.create(
        actor_label="staff@portal.test",
        organization=org,
        action=action,
        target=target,
        details=details,
    )


def _row(content: str, event: AuditEvent) -> str:
    return content.split(f'id="event-{event.pk}"')[1].split("</tr>")[0]


def test_events_read_as_who_what_on_what_newest_first(client: Client, people: People) -> None:
    older = _event(people.organization, "invitation.create", "new@acme.test", roles=["org-admin"])
    newer = _event(people.organization, "organization_connection.disable", "partner-saml")
    _event(people.other_organization, "invitation.revoke", "someone@globex.test")
    log_in(client, people.staff)
    content = client.get(_url(people)).content.decode()
    assert content.index(f'id="event-{newer.pk}"') < content.index(f'id="event-{older.pk}"')
    row = _row(content, older)
    assert "staff@portal.test" in row and "Invited someone" in row
    assert "new@acme.test" in row and "Roles: org-admin" in row
    assert "Disabled a connection" in _row(content, newer)
    assert "someone@globex.test" not in content


def test_a_change_shows_before_and_after(client: Client, people: People) -> None:
    event = _event(
        people.organization,
        "organization.update",
        changed={"display_name": ["Acme", "Acme Corp"], "logo_url": ["", "https://x.test/l.png"]},
    )
    log_in(client, people.staff)
    row = _row(client.get(_url(people)).content.decode(), event)
    assert "Changed the organization" in row
    assert "Display name: <del>Acme</del>" in row and "<ins>Acme Corp</ins>" in row
    assert "Logo url: <del>(empty)</del>" in row


def test_secrets_are_redacted(client: Client, people: People) -> None:
    event = _event(
        people.organization,
        "connection.create",
        "acme-sso",
        client_secret="s3cr3t-value",
        options={"signing_private_key": "-----BEGIN", "domain": "sso.acme.test"},
        changed={"api_token": ["old-token", "new-token"]},
    )
    log_in(client, people.staff)
    row = _row(client.get(_url(people)).content.decode(), event)
    assert "s3cr3t-value" not in row and "BEGIN" not in row and "-token" not in row
    assert "[redacted]" in row and "sso.acme.test" in row


def test_an_unknown_action_still_reads_as_words(client: Client, people: People) -> None:
    event = _event(people.organization, "domain.verify_started")
    log_in(client, people.staff)
    row = _row(client.get(_url(people)).content.decode(), event)
    assert "Domain: verify started" in row and "the organization" in row


def test_fifty_one_events_make_two_pages(client: Client, people: People) -> None:
    events = [
        _event(people.organization, "invitation.create", f"p{i}@acme.test") for i in range(51)
    ]
    log_in(client, people.staff)
    first = client.get(_url(people)).content.decode()
    assert "Page 1 of 2" in first and 'aria-label="Audit trail pages"' in first
    assert f'id="event-{events[0].pk}"' not in first  # the oldest is on page 2
    second = client.get(_url(people, "?page=2")).content.decode()
    assert f'id="event-{events[0].pk}"' in second


def test_the_organizations_own_admin_sees_the_tab(client: Client, people: People) -> None:
    _event(people.organization, "invitation.create", "new@acme.test")
    log_in(client, people.org_admin, people.organization)
    response = client.get(_url(people))
    assert response.status_code == 200 and b"Invited someone" in response.content


def test_another_organizations_admin_and_a_member_get_404(client: Client, people: People) -> None:
    log_in(client, people.outsider, people.other_organization)
    assert client.get(_url(people)).status_code == 404
    client.logout()
    log_in(client, people.org_member)
    assert client.get(_url(people)).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client: Client, people: People) -> None:
    response = client.get(_url(people))
    assert response.status_code == 302 and "/login/" in response["Location"]
