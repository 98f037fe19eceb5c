"""The staff organization list: who may open it, search (name, display name, domain,
administrator email), filters, sorting, pages that keep them, and a constant number of
queries whatever the number of organizations."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from orgs.models import (
    Domain,
    Invitation,
    InvitationStatus,
    MembershipModel,
    Organization,
    OrgStatus,
    SyncState,
)
from tests.conftest import People, log_in
from tests.factories import ApplicationFactory, MemberFactory, OrganizationFactory, RoleFactory

pytestmark = pytest.mark.django_db


def _page(client: Client, url: str = "/orgs/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _listed_names(page: str) -> list[str]:
    """The slugs in the table, in the order shown (none when there is no table)."""
    if "<tbody>" not in page:
        return []
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return [cell.split("</code>")[0] for cell in body.split('data-label="Name"><code>')[1:]]


# --- who may open it -----------------------------------------------------------------


def test_staff_open_the_list_with_its_filters(client: Client, people: People) -> None:
    log_in(client, people.staff)
    page = _page(client)
    for label in ("Search", "Status", "Sync state", "Membership model", "Failed operations"):
        assert f">{label}</label>" in page
    assert "Apply filters" in page and 'class="table-stack"' in page
    assert _listed_names(page) == ["acme", "globex"]


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, people: People) -> None:
    response = client.get("/orgs/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_customer_admin_gets_404(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get("/orgs/").status_code == 404


def test_a_plain_member_gets_404(client: Client, people: People) -> None:
    # A member is never pinned to an organization (only admins are), so not this way in.
    log_in(client, people.org_member)
    assert client.get("/orgs/").status_code == 404


def test_it_links_to_bulk_import_and_to_new_organization_when_that_page_exists(
    client: Client, people: People
) -> None:
    log_in(client, people.staff)
    page = _page(client)
    assert f'href="{reverse("orgs:bulk_new")}">Import from a CSV file</a>' in page
    try:
        create_url = reverse("orgs:create")
    except NoReverseMatch:
        assert "New organization</a>" not in page
    else:
        assert f'href="{create_url}">New organization</a>' in page


def test_every_cell_is_labelled_for_narrow_screens(client: Client, people: People) -> None:
    log_in(client, people.staff)
    page = _page(client)
    row = page.split("<tbody>")[1].split("</tr>")[0]
    labels = ("Organization", "Name", "Status", "Membership", "Sync", "Operations", "Created")
    assert row.count("<td ") == row.count("<td data-label=") == len(labels)
    assert page.split("<thead>")[1].count('<th scope="col"') == len(labels)
    for label in labels:
        assert f'data-label="{label}"' in row


# --- search ---------------------------------------------------------------------------


def test_the_search_finds_a_claimed_domain(client: Client, people: People) -> None:
    Domain.objects.create(
        organization=people.other_organization, domain="globex-corp.test", verification_token="t"
    )
    log_in(client, people.staff)
    assert _listed_names(_page(client, "/orgs/?q=GLOBEX-CORP")) == ["globex"]


def test_the_search_finds_an_administrators_email_but_not_a_members(
    client: Client, people: People
) -> None:
    log_in(client, people.staff)
    assert _listed_names(_page(client, "/orgs/?q=admin@acme.test")) == ["acme"]
    assert _listed_names(_page(client, "/orgs/?q=member@acme.test")) == []


def _invite(org: Organization, email: str, status: str = InvitationStatus.SENT) -> None:
    invitation = Invitation.objects.create(
        organization=org,
        email=email,
        inviter_name="Staff",
        application=ApplicationFactory(),
        status=status,
    )
    invitation.roles.add(RoleFactory(name="org-admin"))


def test_the_search_finds_an_invited_administrator_unless_revoked(
    client: Client, people: People
) -> None:
    initech = OrganizationFactory(name="initech")
    _invite(initech, "first.admin@initech.test")
    _invite(people.other_organization, "gone@globex.test", InvitationStatus.REVOKED)
    log_in(client, people.staff)
    assert _listed_names(_page(client, "/orgs/?q=first.admin")) == ["initech"]
    assert _listed_names(_page(client, "/orgs/?q=gone@globex")) == []


def test_an_organization_matching_several_ways_is_listed_once(
    client: Client, people: People
) -> None:
    for domain in ("acme.test", "acme-eu.test"):
        Domain.objects.create(
            organization=people.organization, domain=domain, verification_token="t"
        )
    second_admin = MemberFactory(organization=people.organization, email="boss@acme.test")
    second_admin.roles.add(RoleFactory(name="org-admin"))
    log_in(client, people.staff)
    page = _page(client, "/orgs/?q=acme")
    assert _listed_names(page) == ["acme"] and "1–1 of 1 organization" in page


def test_a_search_with_no_match_says_what_to_do(client: Client, people: People) -> None:
    log_in(client, people.staff)
    page = _page(client, "/orgs/?q=umbrella&status=active")
    assert "No organization’s name matches “umbrella”" in page
    assert "with the filters chosen" in page and "show all organizations" in page


# --- filters --------------------------------------------------------------------------


def _mixed_organizations() -> None:
    OrganizationFactory(name="paused", status=OrgStatus.SUSPENDED)
    OrganizationFactory(name="drifting", sync_state=SyncState.DRIFTED)
    OrganizationFactory(name="own-db", membership_model=MembershipModel.OWN_DATABASE)
    OrganizationFactory(name="broken", failed_operations=2)
    OrganizationFactory(name="gone", status=OrgStatus.DELETED, failed_operations=1)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("status=suspended", ["paused"]),
        ("sync=drifted", ["drifting"]),
        ("membership=own_db", ["own-db"]),
        ("failures=yes", ["broken"]),
        ("failures=no&status=suspended", ["paused"]),
        ("status=active&sync=in_sync&membership=shared_db&failures=no", ["acme", "globex"]),
    ],
)
def test_the_filters_narrow_the_list(
    client: Client, people: People, query: str, names: list[str]
) -> None:
    _mixed_organizations()
    log_in(client, people.staff)
    assert _listed_names(_page(client, f"/orgs/?{query}")) == names


def test_an_invalid_filter_is_explained_and_the_rest_still_apply(
    client: Client, people: People
) -> None:
    _mixed_organizations()
    log_in(client, people.staff)
    page = _page(client, "/orgs/?status=bogus&failures=yes")
    assert "There is a problem" in page and 'href="#id_status"' in page
    assert _listed_names(page) == ["broken"]


def test_filters_with_no_match_say_so(client: Client, people: People) -> None:
    log_in(client, people.staff)
    page = _page(client, "/orgs/?status=suspended")
    assert "No organization matches the filters chosen." in page
    assert 'href="/orgs/">show all organizations' in page


def test_an_empty_portal_says_how_to_add_organizations(client: Client, people: People) -> None:
    Organization.objects.update(status=OrgStatus.DELETED)
    log_in(client, people.staff)
    assert "No organizations yet." in _page(client)


# --- sorting --------------------------------------------------------------------------


def _sortable_organizations() -> None:
    OrganizationFactory(name="bravo", display_name="Zulu Bravo", failed_operations=1)
    OrganizationFactory(name="alpha", display_name="Yankee Alpha", failed_operations=5)
    OrganizationFactory(name="charlie", display_name="Xray Charlie", status=OrgStatus.SUSPENDED)


@pytest.mark.parametrize(
    ("sort", "names"),
    [
        ("", ["alpha", "bravo", "charlie"]),
        ("-name", ["charlie", "bravo", "alpha"]),
        ("display_name", ["charlie", "alpha", "bravo"]),
        ("-failures", ["alpha", "bravo", "charlie"]),
        ("failures", ["charlie", "bravo", "alpha"]),
        ("-status", ["charlie", "alpha", "bravo"]),
        ("-created", ["charlie", "alpha", "bravo"]),
    ],
)
def test_the_list_sorts_by_the_chosen_column(
    client: Client, people: People, sort: str, names: list[str]
) -> None:
    Organization.objects.all().delete()
    _sortable_organizations()
    log_in(client, people.staff)
    assert _listed_names(_page(client, f"/orgs/?sort={sort}")) == names


def _heading(page: str, label: str) -> str:
    head = page.split("<thead>")[1].split("</thead>")[0]
    return next(cell for cell in head.split("<th ")[1:] if f">{label}" in cell)


def test_the_current_sort_is_marked_and_its_link_turns_it_round(
    client: Client, people: People
) -> None:
    log_in(client, people.staff)
    page = _page(client, "/orgs/?q=a&sort=-failures&page=1")
    operations = _heading(page, "Operations")
    assert 'aria-sort="descending"' in operations
    assert 'href="?q=a&amp;sort=failures"' in operations  # filters kept, back to page 1
    name = _heading(page, "Name")
    assert "aria-sort" not in name and 'href="?q=a&amp;sort=name"' in name
    assert 'href="?q=a&amp;sort=-created"' in _heading(page, "Created")  # newest first
    assert "<a" not in _heading(page, "Sync")  # not sortable
    by_default = _page(client)
    assert 'aria-sort="ascending"' in _heading(by_default, "Name")
    assert 'href="?sort=-name"' in _heading(by_default, "Name")


def test_the_pages_keep_the_filters_and_the_sort(client: Client, people: People) -> None:
    OrganizationFactory.create_batch(60, failed_operations=1)
    log_in(client, people.staff)
    page = _page(client, "/orgs/?failures=yes&sort=-name")
    assert "1–50 of 60 organizations" in page and "with the filters chosen" in page
    assert 'href="?failures=yes&amp;sort=-name&amp;page=2"' in page
    assert '<input type="hidden" name="sort" value="-name"' in page  # kept when re-filtering


# --- scale ----------------------------------------------------------------------------


def _bulk_organizations(count: int, start: int = 0) -> None:
    Organization.objects.bulk_create(
        Organization(
            name=f"scale-{index:05d}",
            display_name=f"Scale {index}",
            status=OrgStatus.ACTIVE,
            sync_state=SyncState.IN_SYNC,
            failed_operations=index % 3,
            open_operations=index % 2,
        )
        for index in range(start, start + count)
    )


def _queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_a_searched_filtered_sorted_page_costs_the_same_queries_at_20_and_2000_organizations(
    client: Client, people: People
) -> None:
    url = "/orgs/?q=scale&status=active&sync=in_sync&failures=yes&sort=-failures&page=2"
    _bulk_organizations(18)  # with acme and globex: 20
    log_in(client, people.staff)
    client.get(url)  # the session's first read is not what is measured
    small = _queries(client, url)
    _bulk_organizations(2000, start=18)
    assert Organization.objects.count() == 2020
    large = _queries(client, url)
    # The session, the user, the count and the page.
    assert len(small) == len(large) <= 5
    assert not any("orgs_syncoperation" in sql for sql in large)
    assert len(_listed_names(_page(client, url))) == 50


def test_the_search_looks_into_domains_and_admins_with_exists_not_joins(
    client: Client, people: People
) -> None:
    log_in(client, people.staff)
    client.get("/orgs/")
    page_query = next(
        sql.upper()
        for sql in _queries(client, "/orgs/?q=acme")
        if "orgs_organization" in sql and "LIMIT" in sql.upper()
    )
    assert page_query.count("EXISTS") == 3
    assert " JOIN " not in page_query.split("WHERE")[0]  # one row per organization
