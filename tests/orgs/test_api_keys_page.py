"""The organization's API keys page (make, list, revoke) and its audit trail as the
customer sees it (filters, CSV export, API calls in it), with who may open each."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from orgs.api import keys
from orgs.models import ApiKey, AuditEvent
from tests.conftest import People, log_in

pytestmark = pytest.mark.django_db

KEY = re.compile(r"oap_\d+_[A-Za-z0-9_-]+")


def keys_url(people: People, suffix: str = "") -> str:
    return f"/orgs/{people.organization.pk}/api-keys/{suffix}"


def audit_url(people: People, suffix: str = "") -> str:
    return f"/orgs/{people.organization.pk}/audit/{suffix}"


def pages(people: People) -> list[str]:
    key = keys.api_key_create(
        actor=None, organization=people.organization, name="k", scopes=["members:read"]
    ).row
    return [
        keys_url(people),
        keys_url(people, f"{key.pk}/revoke/"),
        audit_url(people),
        audit_url(people, "export.csv"),
    ]


def test_anonymous_visitors_are_sent_to_login(client: Client, people: People) -> None:
    for url in pages(people):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


@pytest.mark.parametrize("who", ["outsider", "org_member", "other_admin"])
def test_others_get_not_found(client: Client, people: People, who: str) -> None:
    urls = pages(people)
    if who == "other_admin":  # pinned to their own organization
        log_in(client, people.outsider, people.other_organization)
    else:
        log_in(client, getattr(people, who))
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(keys_url(people), {"name": "x", "scopes": ["members:read"]}).status_code == 404
    )


@pytest.mark.parametrize("who", ["org_admin", "staff"])
def test_this_organizations_admin_and_staff_may(client: Client, people: People, who: str) -> None:
    urls = pages(people)
    log_in(client, getattr(people, who), people.organization if who == "org_admin" else None)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_a_key_is_shown_once_then_listed_without_it(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    assert "API keys" in client.get(f"/orgs/{people.organization.pk}/").content.decode()
    response = client.post(
        keys_url(people), {"name": "HR system", "scopes": ["members:write"], "days": "90"}
    )
    content = response.content.decode()
    [key] = set(KEY.findall(content))
    assert "shown only this once" in content and 'data-copy="#new-api-key"' in content
    row = ApiKey.objects.get()
    assert row.scopes == ["members:write"] and row.created_by == people.org_admin
    assert abs((row.expires_at - timezone.now()) - timedelta(days=90)) < timedelta(minutes=1)
    assert key.split("_", 2)[2] not in row.secret_hash
    listing = client.get(keys_url(people)).content.decode()
    assert "HR system" in listing and "members:write" in listing and "never" in listing
    assert key not in listing
    assert AuditEvent.objects.filter(action="api_key.create", target="HR system").exists()


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"name": "", "scopes": ["members:read"], "days": "90"}, "name"),
        ({"name": "x", "days": "90"}, "scopes"),
        ({"name": "x", "scopes": ["members:read"], "days": "366"}, "days"),
        ({"name": "x", "scopes": ["admin:all"], "days": "90"}, "scopes"),
    ],
)
def test_a_wrong_form_makes_no_key(
    client: Client, people: People, data: dict[str, Any], field_error: str
) -> None:
    log_in(client, people.org_admin, people.organization)
    response = client.post(keys_url(people), data)
    assert response.status_code == 422
    assert f'id="id_{field_error}' in response.content.decode()
    assert not ApiKey.objects.exists() and not KEY.search(response.content.decode())


def test_revoking_confirms_first_then_the_key_stops_working(client: Client, people: People) -> None:
    made = keys.api_key_create(
        actor=None, organization=people.organization, name="Old HR", scopes=["members:read"]
    )
    log_in(client, people.org_admin, people.organization)
    url = keys_url(people, f"{made.row.pk}/revoke/")
    confirmation = client.get(url).content.decode()
    assert "Revoke the API key Old HR?" in confirmation and "cannot be undone" in confirmation
    assert not ApiKey.objects.get().revoked
    client.post(url)
    assert ApiKey.objects.get().revoked
    assert "Revoked" in client.get(keys_url(people)).content.decode()
    api = client.get("/api/v1/members", headers={"Authorization": f"Bearer {made.key}"})
    assert api.json()["error"]["code"] == "revoked_key"


def test_another_organizations_key_is_not_revoked_from_here(client: Client, people: People) -> None:
    theirs = keys.api_key_create(
        actor=None, organization=people.other_organization, name="G", scopes=["members:read"]
    ).row
    log_in(client, people.org_admin, people.organization)
    assert client.post(keys_url(people, f"{theirs.pk}/revoke/")).status_code == 404
    assert not ApiKey.objects.get().revoked


# --- the audit trail, as the customer sees it ------------------------------------------------


def _event(people: People, action: str, who: str, target: str = "") -> AuditEvent:
    return AuditEvent.objects.create(
        actor_label=who, organization=people.organization, action=action, target=target
    )


def test_the_admin_filters_the_trail_and_sees_api_calls(client: Client, people: People) -> None:
    made = keys.api_key_create(
        actor=None, organization=people.organization, name="Workday", scopes=["members:read"]
    )
    Client().get("/api/v1/members", headers={"Authorization": f"Bearer {made.key}"})
    _event(people, "invitation.create", "admin@acme.test", "new@acme.test")
    AuditEvent.objects.create(
        actor_label="x@globex.test", organization=people.other_organization, action="api.block"
    )
    call = AuditEvent.objects.get(action="api.members_list")
    row = f'id="event-{call.pk}"'
    log_in(client, people.org_admin, people.organization)
    everything = client.get(audit_url(people)).content.decode()
    api_row = everything.split(row)[1].split("</tr>")[0]
    assert "API: listed members" in api_row and "API key “Workday”" in api_row
    assert "Key name: Workday" in api_row and "x@globex.test" not in everything
    only_api = client.get(audit_url(people), {"action": "api.members_list"}).content.decode()
    assert row in only_api and "new@acme.test" not in only_api
    by_who = client.get(audit_url(people), {"actor": "admin@acme"}).content.decode()
    assert "new@acme.test" in by_who and row not in by_who
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    later = client.get(audit_url(people), {"date_from": tomorrow}).content.decode()
    assert "new@acme.test" not in later and "Clear filters" in later


def test_the_trail_exports_as_csv_with_the_filters(client: Client, people: People) -> None:
    _event(people, "user.block", "admin@acme.test", "=leaver@acme.test")
    _event(people, "invitation.create", "admin@acme.test", "new@acme.test")
    AuditEvent.objects.create(
        actor_label="x", organization=people.other_organization, action="user.block"
    )
    log_in(client, people.org_admin, people.organization)
    response = client.get(audit_url(people, "export.csv"), {"action": "user.block"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert lines[0] == "time,actor,organization,action,target,details"
    assert len(lines) == 2 and "'=leaver@acme.test" in lines[1] and "Blocked a user" in lines[1]
    page = client.get(audit_url(people)).content.decode()
    assert f"/orgs/{people.organization.pk}/audit/export.csv" in page
