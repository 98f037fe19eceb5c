"""The offboarding API's refusals and rules, without the sandbox: every error code, scopes,
expiry and revocation, the rate limit, another organization's member, the audit of each
call, and the key never written anywhere."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from orgs.api import keys
from orgs.models import ApiKey, AuditEvent, SyncOperation
from tests.conftest import People
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

ALL = ["members:read", "members:write"]


def make_key(org: Any, scopes: list[str] | None = None, name: str = "HR system") -> str:
    return keys.api_key_create(actor=None, organization=org, name=name, scopes=scopes or ALL).key


def call(client: Client, method: str, path: str, key: str | None, **body: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    send = getattr(client, method)
    if body:
        return send(f"/api/v1{path}", body, content_type="application/json", headers=headers)
    return send(f"/api/v1{path}", headers=headers)


def error_code(response: Any) -> str:
    return str(response.json()["error"]["code"])


def test_members_are_listed_paginated_and_searchable(client: Client, people: People) -> None:
    key = make_key(people.organization, ["members:read"])
    response = call(client, "get", "/members?per_page=1", key)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["per_page"] == 1 and len(body["items"]) == 1
    assert body["items"][0]["email"] == "admin@acme.test"
    assert body["items"][0]["roles"] == ["org-admin"]
    found = call(client, "get", "/members?q=member", key).json()
    assert [m["email"] for m in found["items"]] == ["member@acme.test"]
    assert "admin@globex.test" not in str(call(client, "get", "/members?q=globex", key).json())


def test_a_block_is_queued_and_its_operation_can_be_followed(
    client: Client, people: People
) -> None:
    key = make_key(people.organization)
    response = call(client, "post", "/members/member@acme.test/block", key)
    assert response.status_code == 202
    body = response.json()
    assert body["queued"] is True and body["operation"]["kind"] == "user.block"
    assert body["operation"]["state"] == "queued"
    op = SyncOperation.objects.get(pk=body["operation"]["id"])
    assert op.payload["user_id"] == people.org_member.sub
    followed = call(client, "get", f"/operations/{op.pk}", key)
    assert followed.status_code == 200 and followed.json()["state"] == "queued"


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("post", "/members/auth0|acme-member/unblock", "user.unblock"),
        ("post", "/members/auth0|acme-member/sign-out", "user.sign_out"),
        ("delete", "/members/auth0|acme-member", "member.remove"),
    ],
)
def test_each_change_goes_through_the_engine(
    client: Client, people: People, method: str, path: str, kind: str
) -> None:
    response = call(client, method, path, make_key(people.organization))
    assert response.status_code == 202, response.content
    assert response.json()["operation"]["kind"] == kind
    assert SyncOperation.objects.filter(kind=kind).count() == 1


@pytest.mark.parametrize(
    "header", [None, "Bearer nonsense", "Basic abc", "Bearer oap_999_wrong", "Bearer oap_x_y"]
)
def test_no_or_a_wrong_key_is_invalid_key(client: Client, people: People, header: Any) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/members", headers=headers)
    assert response.status_code == 401 and error_code(response) == "invalid_key"


def test_a_right_id_with_a_wrong_secret_is_invalid_key(client: Client, people: People) -> None:
    key = make_key(people.organization)
    response = call(client, "get", "/members", key[:-3] + "xyz")
    assert response.status_code == 401 and error_code(response) == "invalid_key"


def test_an_expired_key_is_refused(client: Client, people: People) -> None:
    key = make_key(people.organization)
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = call(client, "get", "/members", key)
    assert response.status_code == 401 and error_code(response) == "expired_key"


def test_a_revoked_key_is_refused(client: Client, people: People) -> None:
    key = make_key(people.organization)
    keys.api_key_revoke(actor=people.org_admin, key=ApiKey.objects.get())
    response = call(client, "get", "/members", key)
    assert response.status_code == 401 and error_code(response) == "revoked_key"


def test_a_read_only_key_may_not_change_members(client: Client, people: People) -> None:
    key = make_key(people.organization, ["members:read"])
    response = call(client, "post", "/members/member@acme.test/block", key)
    assert response.status_code == 403 and error_code(response) == "missing_scope"
    assert not SyncOperation.objects.exists()
    write_only = make_key(people.organization, ["members:write"], name="writer")
    assert error_code(call(client, "get", "/members", write_only)) == "missing_scope"


def test_another_organizations_member_is_not_found(client: Client, people: People) -> None:
    key = make_key(people.organization)
    for ident in ("admin@globex.test", "auth0|globex-admin", "nobody@acme.test"):
        response = call(client, "post", f"/members/{ident}/block", key)
        assert response.status_code == 404 and error_code(response) == "not_found"
    assert not SyncOperation.objects.exists()


def test_another_organizations_operation_is_not_found(client: Client, people: People) -> None:
    globex_key = make_key(people.other_organization)
    op_id = call(client, "post", "/members/admin@globex.test/sign-out", globex_key).json()[
        "operation"
    ]["id"]
    response = call(client, "get", f"/operations/{op_id}", make_key(people.organization))
    assert response.status_code == 404 and error_code(response) == "not_found"


def test_the_last_administrator_is_not_blocked_nor_removed(client: Client, people: People) -> None:
    key = make_key(people.organization)
    response = call(client, "post", "/members/admin@acme.test/block", key)
    assert response.status_code == 409 and error_code(response) == "last_admin"
    response = call(client, "delete", "/members/admin@acme.test", key)
    assert response.status_code == 409 and error_code(response) == "refused"
    assert "last administrator" in response.json()["error"]["message"]


def test_staff_and_shared_users_are_left_to_staff(client: Client, people: People) -> None:
    MemberFactory(organization=people.organization, user_id=people.staff.sub, email="s@p.test")
    MemberFactory(organization=people.organization, user_id=people.outsider.sub, email="o@g.test")
    key = make_key(people.organization)
    staff = call(client, "post", "/members/s@p.test/block", key)
    assert staff.status_code == 409 and error_code(staff) == "staff_member"
    shared = call(client, "post", "/members/o@g.test/sign-out", key)
    assert shared.status_code == 409 and error_code(shared) == "belongs_elsewhere"
    assert not SyncOperation.objects.exists()


def test_a_bad_invitation_is_refused_in_words(client: Client, people: People) -> None:
    key = make_key(people.organization)
    response = call(client, "post", "/invitations", key, email="not-an-email", roles=[])
    assert response.status_code == 422 and error_code(response) == "refused"
    assert "not a valid email address" in response.json()["error"]["message"]
    malformed = call(client, "post", "/invitations", key, roles="x")
    assert malformed.status_code == 422 and error_code(malformed) == "invalid_request"


def test_the_rate_limit_answers_429_with_retry_after(
    client: Client, people: People, settings: Any
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    key = make_key(people.organization)
    assert [call(client, "get", "/members", key).status_code for _ in range(2)] == [200, 200]
    limited = call(client, "get", "/members", key)
    assert limited.status_code == 429 and error_code(limited) == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    other = make_key(people.organization, name="another key")
    assert call(client, "get", "/members", other).status_code == 200  # per key


def test_every_call_is_audited_with_the_keys_name_and_last_use_recorded(
    client: Client, people: People
) -> None:
    key = make_key(people.organization, name="Workday")
    call(client, "post", "/members/member@acme.test/block", key)
    call(client, "post", "/members/nobody@acme.test/block", key)
    events = AuditEvent.objects.filter(action="api.block").order_by("pk")
    assert [e.details["outcome"] for e in events] == ["ok", "not_found"]
    assert {e.actor_label for e in events} == {"API key “Workday”"}
    assert all(e.organization == people.organization for e in events)
    # The service's own event of the change names the key too, not "system".
    blocked = AuditEvent.objects.get(action="user.block", target="member@acme.test")
    assert blocked.actor_label == "API key “Workday”"
    row = ApiKey.objects.get()
    assert row.last_used_at is not None and row.last_used_from == "127.0.0.1"


def test_the_key_is_never_logged_nor_stored(
    client: Client, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = make_key(people.organization)
    secret = key.split("_", 2)[2]
    call(client, "post", "/members/member@acme.test/sign-out", key)
    call(client, "get", "/members", "Basic " + key)  # a malformed header, logged by some
    client.get("/api/v1/members", headers={"Authorization": key})
    assert secret not in caplog.text
    assert secret not in str(list(AuditEvent.objects.values_list("target", "details")))
    assert secret not in str(list(ApiKey.objects.values()))


def test_the_openapi_document_lists_every_endpoint(client: Client, db: None) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert set(document["paths"]) == {
        "/api/v1/members",
        "/api/v1/invitations",
        "/api/v1/members/{user_id}/block",
        "/api/v1/members/{user_id}/unblock",
        "/api/v1/members/{user_id}/sign-out",
        "/api/v1/members/{user_id}",
        "/api/v1/operations/{op_id}",
    }
    assert "ErrorOut" in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "/static/ninja/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text  # served by the portal, not fetched from elsewhere
