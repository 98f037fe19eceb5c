"""A customer admin's pinned session is re-checked on every request (cached for at most a
minute): suspension, deletion, or losing their membership or admin role ends it at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orgs.models import Member, Organization, OrgStatus
from orgs.services.members import member_remove, member_role_remove
from orgs.services.organizations import organization_delete, organization_suspend
from portal.coordination import coordination_store
from tests.conftest import People, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_answers() -> Iterator[None]:
    """Primary keys repeat between tests; an answer cached by another test must not count."""
    coordination_store().flushdb()
    yield
    coordination_store().flushdb()


def _admin_member(people: People) -> Member:
    return Member.objects.get(organization=people.organization, user_id=people.org_admin.sub)


def _assert_signed_out(client: Client, url: str, reason: str) -> None:
    response = client.get(url)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Sign in" in page and f"You have been signed out. {reason}" in page
    assert "_auth_user_id" not in client.session and "org_pk" not in client.session
    again = client.get(url)  # the session is gone: an ordinary visitor now
    assert again.status_code == 302 and "/login/" in again["Location"]


def _age_cached_answer(people: People, seconds: float) -> None:
    """Move the stored check time back, as if the answer had been cached `seconds` ago."""
    from portal.sessions import entry_key  # imported here: the old code has no cache to age

    store, key = coordination_store(), entry_key(people.organization.pk, people.org_admin.sub)
    generation, _, checked_at = store.get(key).decode().partition(":")
    store.set(key, f"{generation}:{float(checked_at) - seconds}", keepttl=True)


def _membership_queries(queries: CaptureQueriesContext) -> int:
    return sum('"orgs_member"' in query["sql"] for query in queries.captured_queries)


@pytest.mark.parametrize("page", ["/", "/orgs/mine/", "detail"])
def test_a_suspended_organizations_admin_is_signed_out_at_their_next_request(
    client: Client, people: People, django_capture_on_commit_callbacks: Any, page: str
) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get(f"/orgs/{people.organization.pk}/").status_code == 200  # answer cached
    with django_capture_on_commit_callbacks(execute=True):
        organization_suspend(actor=people.staff, organization=people.organization)
    url = f"/orgs/{people.organization.pk}/" if page == "detail" else page
    _assert_signed_out(client, url, "Your organization is suspended. Contact your provider.")


@pytest.mark.parametrize(
    ("take_away", "reason"),
    [
        (
            lambda people: member_role_remove(
                actor=people.staff, member=_admin_member(people), role_name="org-admin"
            ),
            "You are not an administrator of Acme.",
        ),
        (
            lambda people: member_remove(actor=people.staff, member=_admin_member(people)),
            "You are not an administrator of Acme.",
        ),
    ],
    ids=["admin-role-removed", "member-removed"],
)
def test_an_admin_who_loses_their_admin_role_or_membership_is_refused_at_their_next_request(
    client: Client,
    people: People,
    django_capture_on_commit_callbacks: Any,
    take_away: Callable[[People], object],
    reason: str,
) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get(f"/orgs/{people.organization.pk}/").status_code == 200  # answer cached
    with django_capture_on_commit_callbacks(execute=True):
        take_away(people)
    _assert_signed_out(client, "/orgs/mine/", reason)


def test_a_deleted_organizations_pinned_session_is_refused(
    client: Client, people: People, django_capture_on_commit_callbacks: Any
) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get("/orgs/mine/").status_code == 302  # answer cached
    with django_capture_on_commit_callbacks(execute=True):
        organization_delete(
            actor=people.staff, organization=people.organization, confirm_name="acme"
        )
    _assert_signed_out(client, "/", "Your organization is not managed by this portal.")


def test_a_session_pinned_to_an_organization_already_deleted_is_refused(
    client: Client, people: People
) -> None:
    Organization.objects.filter(pk=people.organization.pk).update(status=OrgStatus.DELETED)
    log_in(client, people.org_admin, people.organization)
    _assert_signed_out(client, "/orgs/mine/", "Your organization is not managed by this portal.")


def test_a_member_without_the_admin_role_pinned_to_the_organization_is_refused(
    client: Client, people: People
) -> None:
    log_in(client, people.org_member, people.organization)
    _assert_signed_out(client, f"/orgs/{people.organization.pk}/", "You are not an administrator")


def test_the_check_asks_the_database_once_for_many_requests_within_a_minute(
    client: Client, people: People, coordination: str
) -> None:
    log_in(client, people.org_admin, people.organization)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert client.get("/").status_code == 302
    assert _membership_queries(queries) == 1


def test_an_answer_older_than_a_minute_is_checked_again_whatever_its_ttl(
    client: Client, people: People, coordination: str
) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get("/").status_code == 302
    # Suspended behind the services' back: nothing drops the cached answer.
    Organization.objects.filter(pk=people.organization.pk).update(status=OrgStatus.SUSPENDED)
    assert client.get("/").status_code == 302  # within the minute, the answer stands
    _age_cached_answer(people, 61)
    _assert_signed_out(client, "/", "Your organization is suspended.")


def test_an_answer_aged_out_is_asked_again_and_cached_afresh(
    client: Client, people: People, coordination: str
) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get("/").status_code == 302
    _age_cached_answer(people, 61)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert client.get("/").status_code == 302
    assert _membership_queries(queries) == 1


def test_suspension_ends_only_that_organizations_customer_sessions(
    client: Client, people: People, django_capture_on_commit_callbacks: Any
) -> None:
    outsider, staff = Client(), Client()
    log_in(client, people.org_admin, people.organization)
    log_in(outsider, people.outsider, people.other_organization)
    log_in(staff, people.staff)
    for session in (client, outsider, staff):
        assert session.get("/").status_code == 302  # every answer cached
    with django_capture_on_commit_callbacks(execute=True):
        organization_suspend(actor=people.staff, organization=people.organization)
    assert client.get("/").status_code == 403
    assert outsider.get(f"/orgs/{people.other_organization.pk}/").status_code == 200
    assert outsider.get(f"/orgs/{people.organization.pk}/").status_code == 404
    assert staff.get(f"/orgs/{people.organization.pk}/").status_code == 200
