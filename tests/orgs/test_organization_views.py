"""Every org-scoped view, against staff, the org's admin, an org member and an outsider."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orgs.models import OpState, Organization, OrgStatus, Origin, SyncOperation
from tests.conftest import People, log_in
from tests.factories import OrganizationFactory
from tests.orgs.engine import sent_ops

pytestmark = pytest.mark.django_db


def test_staff_see_every_organization(client: Client, people: People) -> None:
    log_in(client, people.staff)
    response = client.get("/orgs/")
    assert response.status_code == 200
    assert b"Acme" in response.content and b"Globex" in response.content


def test_customers_cannot_open_the_organization_list(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get("/orgs/").status_code == 404


def test_staff_open_any_organization(client: Client, people: People) -> None:
    log_in(client, people.staff)
    assert client.get(f"/orgs/{people.other_organization.pk}/").status_code == 200


def test_an_org_admin_opens_their_own_organization(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    response = client.get(f"/orgs/{people.organization.pk}/")
    assert response.status_code == 200
    assert b"admin@acme.test" in response.content


def test_an_outsider_gets_404_for_another_organization(client: Client, people: People) -> None:
    log_in(client, people.outsider, people.other_organization)
    assert client.get(f"/orgs/{people.organization.pk}/").status_code == 404


def test_a_member_without_a_pinned_organization_sees_nothing(
    client: Client, people: People
) -> None:
    log_in(client, people.org_member)
    assert client.get(f"/orgs/{people.organization.pk}/").status_code == 404
    assert client.get("/").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client: Client, people: People) -> None:
    response = client.get(f"/orgs/{people.organization.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def _failed_op(org: Any) -> SyncOperation:
    return SyncOperation.objects.create(
        kind="organization.update",
        organization=org,
        target_type="organization",
        target_id=org.pk,
        target_key=f"organization:{org.pk}",
        idempotency_key=f"k{org.pk}",
        origin=Origin.CUSTOMER,  # a customer admin may retry only what one of them started
        state=OpState.FAILED,
        last_error="Auth0 400: bad",
        attempts=3,
    )


def test_an_org_admin_retries_a_failed_operation(
    client: Client, people: People, django_capture_on_commit_callbacks: Any
) -> None:
    op = _failed_op(people.organization)
    log_in(client, people.org_admin, people.organization)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/orgs/{people.organization.pk}/operations/{op.pk}/retry/")
    assert response.status_code == 302
    op.refresh_from_db()
    assert op.state == OpState.QUEUED and op.attempts == 0
    assert len(sent_ops(callbacks)) == 1  # enqueued only once the transaction committed


def test_an_outsider_cannot_retry_another_orgs_operation(client: Client, people: People) -> None:
    op = _failed_op(people.organization)
    log_in(client, people.outsider, people.other_organization)
    url = f"/orgs/{people.organization.pk}/operations/{op.pk}/retry/"
    assert client.post(url).status_code == 404
    url = f"/orgs/{people.other_organization.pk}/operations/{op.pk}/retry/"
    assert client.post(url).status_code == 404
    op.refresh_from_db()
    assert op.state == OpState.FAILED


# --- the organization list at scale: counts from the organization, pages, search --------


def _operations(org: Any, count: int, state: str = OpState.SUCCEEDED) -> None:
    SyncOperation.objects.bulk_create(
        SyncOperation(
            kind="organization.update",
            organization=org,
            target_type="organization",
            target_id=org.pk,
            idempotency_key=f"bulk-{org.pk}-{state}-{index}",
            state=state,
        )
        for index in range(count)
    )


def _list_queries(client: Client, url: str = "/orgs/") -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_the_list_shows_the_counts_kept_on_the_organization(client: Client, people: People) -> None:
    Organization.objects.filter(pk=people.organization.pk).update(
        open_operations=3, failed_operations=2
    )
    _operations(people.other_organization, 4, OpState.FAILED)  # not yet counted: not shown
    log_in(client, people.staff)
    content = client.get("/orgs/").content.decode()
    assert "2 failed" in content and "3 pending" in content
    assert "4 failed" not in content


def test_the_list_never_reads_the_operations_table_and_its_queries_stay_constant(
    client: Client, people: People
) -> None:
    log_in(client, people.staff)
    client.get("/orgs/")  # the session's first read is not what is measured
    small = _list_queries(client)
    for index in range(60):
        org = OrganizationFactory(name=f"bulk-{index:03d}")
        _operations(org, 5)
        _operations(org, 1, OpState.FAILED)
    first_page, second_page = _list_queries(client), _list_queries(client, "/orgs/?page=2")
    assert len(first_page) == len(second_page) == len(small)
    assert not any("orgs_syncoperation" in sql for sql in first_page + second_page)


def _hundred_and_twenty_organizations() -> None:
    # With acme and globex from the people fixture: 120 live organizations.
    for index in range(118):
        OrganizationFactory(name=f"bulk-{index:03d}", display_name=f"Bulk {index:03d}")


def test_120_organizations_make_three_pages_of_fifty_in_name_order(
    client: Client, people: People
) -> None:
    _hundred_and_twenty_organizations()
    log_in(client, people.staff)
    first = client.get("/orgs/").content.decode()
    assert "Page 1 of 3" in first and "1–50 of 120" in first
    # acme, bulk-000 … bulk-117, globex
    assert "acme" in first and "bulk-048" in first and "bulk-049" not in first
    assert 'aria-label="Organization pages"' in first and 'href="?page=2"' in first
    last = client.get("/orgs/?page=3").content.decode()
    assert "Page 3 of 3" in last and "101–120 of 120" in last
    assert "bulk-099" in last and "globex" in last and "bulk-098" not in last
    assert 'href="?page=2"' in last


@pytest.mark.parametrize(("page", "shown"), [("junk", "Page 1 of 3"), ("999", "Page 3 of 3")])
def test_a_junk_or_out_of_range_page_gives_a_page_not_an_error(
    client: Client, people: People, page: str, shown: str
) -> None:
    _hundred_and_twenty_organizations()
    log_in(client, people.staff)
    response = client.get(f"/orgs/?page={page}")
    assert response.status_code == 200
    assert shown in response.content.decode()


def test_the_search_finds_organizations_by_name_or_display_name(
    client: Client, people: People
) -> None:
    OrganizationFactory(name="initech", display_name="Initrode Holdings")
    log_in(client, people.staff)
    by_name = client.get("/orgs/?q=GLOB").content.decode()
    assert "globex" in by_name and "acme" not in by_name and "initech" not in by_name
    by_display_name = client.get("/orgs/?q=initrode").content.decode()
    assert "initech" in by_display_name and "globex" not in by_display_name
    nothing = client.get("/orgs/?q=umbrella").content.decode()
    assert "No organization’s name matches “umbrella”" in nothing


def test_the_pages_of_a_search_keep_the_search(client: Client, people: People) -> None:
    _hundred_and_twenty_organizations()
    log_in(client, people.staff)
    content = client.get("/orgs/?q=bulk").content.decode()
    assert "Page 1 of 3" in content and 'href="?q=bulk&amp;page=2"' in content


def test_a_deleted_organization_is_not_listed(client: Client, people: People) -> None:
    OrganizationFactory(name="gone-corp", status=OrgStatus.DELETED)
    log_in(client, people.staff)
    assert b"gone-corp" not in client.get("/orgs/").content


# --- the operations table: an operation another one's call carried ----------------------


def _covered_pair(org: Any) -> tuple[SyncOperation, SyncOperation]:
    sender = SyncOperation.objects.create(
        kind="organization.create",
        organization=org,
        target_type="organization",
        target_id=org.pk,
        idempotency_key="create",
        state=OpState.SUCCEEDED,
        attempts=1,
    )
    covered = SyncOperation.objects.create(
        kind="organization_connection.sync",
        organization=org,
        target_type="organizationconnection",
        target_id=1,
        idempotency_key="link",
        state=OpState.SUCCEEDED,
        result={"covered_by": sender.pk},
    )
    return sender, covered


def test_an_operation_sent_with_another_says_which_and_links_to_it(
    client: Client, people: People
) -> None:
    sender, covered = _covered_pair(people.organization)
    log_in(client, people.staff)
    content = client.get(f"/orgs/{people.organization.pk}/").content.decode()
    row = content.split(f'id="op-{covered.pk}"')[1].split("</tr>")[0]
    assert f'Sent with <a href="#op-{sender.pk}">#{sender.pk}</a>' in row
    assert "Done" not in row and "attempts" not in row  # not "Done, 0 attempts"
    assert f'id="op-{sender.pk}"' in content


def test_an_operation_sent_with_one_no_longer_shown_names_it_without_a_link(
    client: Client, people: People
) -> None:
    sender, _ = _covered_pair(people.organization)
    sender_pk = sender.pk
    sender.delete()  # e.g. archived
    log_in(client, people.staff)
    content = client.get(f"/orgs/{people.organization.pk}/").content.decode()
    assert f"Sent with #{sender_pk}" in content and f'href="#op-{sender_pk}"' not in content
