"""The staff view of sign-ups (signup:staff_*): the list with its tabs, counts and search,
Approve / Refuse through their confirmation pages, Retry of a failed setup, and the
navigation's link."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orgs.models import Invitation, OpState, Organization, SyncOperation
from orgs.signup.alerts import alert_staff
from orgs.signup.models import Signup, SignupStatus
from tests.conftest import People, log_in
from tests.factories import OrganizationFactory
from tests.orgs.services import settle, staff_user

pytestmark = pytest.mark.django_db

LIST_URL = "/signup/staff/"


def _signup(slug: str, status: str = SignupStatus.AWAITING_APPROVAL, **fields: Any) -> Signup:
    defaults: dict[str, Any] = {
        "company_name": f"{slug.title()} Ltd",
        "admin_name": f"{slug.title()} Boss",
        "email": f"boss@{slug}.test",
        "terms_version": "2026-01",
    }
    if status != SignupStatus.AWAITING_VERIFICATION:
        defaults["verified_at"] = timezone.now()
    return Signup.objects.create(slug=slug, status=status, **{**defaults, **fields})


def _provisioned(slug: str, *, open_operations: int = 0, failed_operations: int = 0) -> Signup:
    org = OrganizationFactory(
        name=slug, open_operations=open_operations, failed_operations=failed_operations
    )
    return _signup(slug, SignupStatus.PROVISIONED, organization=org)


@pytest.fixture
def one_of_each(db: None) -> dict[str, Signup]:
    return {
        "awaiting_verification": _signup("unverified", SignupStatus.AWAITING_VERIFICATION),
        "awaiting_approval": _signup("waiting"),
        "name_taken": _signup("clash", SignupStatus.NAME_TAKEN),
        "provisioning": _provisioned("busy", open_operations=2),
        "done": _provisioned("finished"),
        "failed": _provisioned("broken", open_operations=1, failed_operations=1),
        "abandoned": _signup("gone", SignupStatus.EXPIRED),
        "refused": _signup("nope", SignupStatus.REFUSED),
    }


def _page(client: Client, url: str = LIST_URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return str(response.content.decode())


def _listed_slugs(page: str) -> list[str]:
    return re.findall(r'<td data-label="Company">[^<]*<br><code>([^<]+)</code>', page)


def _tab_counts(page: str) -> dict[str, int]:
    tabs = re.findall(r'status=(\w+)"[^>]*>[^<]+ <span class="badge[^"]*">(\d+)</span>', page)
    return {key: int(count) for key, count in tabs}


# --- who may see it ------------------------------------------------------------------------


URLS = [LIST_URL, "/signup/staff/{pk}/approve/", "/signup/staff/{pk}/refuse/"]


@pytest.mark.parametrize("url", URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, people: People, url: str) -> None:
    response = client.get(url.format(pk=_signup("acme-two").pk))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("url", [*URLS, "/signup/staff/{pk}/retry/"])
def test_a_customer_admin_gets_404(client: Client, people: People, url: str) -> None:
    signup = _signup("acme-two")
    log_in(client, people.org_admin, people.organization)
    assert client.get(url.format(pk=signup.pk)).status_code in (404, 405)
    assert client.post(url.format(pk=signup.pk)).status_code == 404
    signup.refresh_from_db()
    assert signup.status == SignupStatus.AWAITING_APPROVAL


def test_the_nav_links_to_sign_ups_for_staff_only_with_the_number_waiting(
    client: Client, people: People
) -> None:
    log_in(client, people.staff)
    assert 'href="/signup/staff/"' in _page(client, "/orgs/")
    assert "awaiting approval</span>" not in _page(client, "/orgs/")
    _signup("waiting")
    _signup("waiting-too")
    assert re.search(r">2<span class=\"visually-hidden\"> awaiting approval</span>", _page(client))
    log_in(client, people.org_admin, people.organization)
    page = _page(client, f"/orgs/{people.organization.pk}/")
    assert "/signup/staff/" not in page and "Sign-ups" not in page


# --- the list ------------------------------------------------------------------------------


def test_every_tab_shows_its_sign_ups_and_every_count_agrees(
    client: Client, people: People, one_of_each: dict[str, Signup]
) -> None:
    log_in(client, people.staff)
    page = _page(client)
    assert sorted(_listed_slugs(page)) == sorted(s.slug for s in one_of_each.values())
    assert _tab_counts(page) == {**dict.fromkeys(one_of_each, 1), "all": 8}
    for key, signup in one_of_each.items():
        tab = _page(client, f"{LIST_URL}?status={key}")
        assert _listed_slugs(tab) == [signup.slug], key
        assert f'href="?status={key}" aria-current="page"' in tab


def test_each_row_says_its_state_and_links_its_organization(
    client: Client, people: People, one_of_each: dict[str, Signup]
) -> None:
    log_in(client, people.staff)
    page = _page(client)
    for label, badge in (
        ("Awaiting verification", "badge-info"),
        ("Awaiting approval", "badge-warn"),
        ("Needs another short name", "badge-info"),
        ("Provisioning", "badge-info"),
        ("Done", "badge-ok"),
        ("Failed", "badge-bad"),
    ):
        assert f'<span class="badge {badge}">{label}</span>' in page, label
    assert '<span class="badge">Abandoned</span>' in page
    failed = one_of_each["failed"]
    assert f'href="/orgs/{failed.organization_id}/">broken</a>' in page
    assert f'action="/signup/staff/{failed.pk}/retry/"' in page
    assert f'href="/signup/staff/{one_of_each["awaiting_approval"].pk}/approve/"' in page
    assert "Not yet" in page  # the unverified one
    for header in ("Company", "Admin", "Status", "Signed up", "Verified", "Organization"):
        assert f'<th scope="col">{header}</th>' in page


def test_a_sign_up_says_how_long_ago_it_came(client: Client, people: People) -> None:
    signup = _signup("earlier")
    Signup.objects.filter(pk=signup.pk).update(created_at=timezone.now() - timedelta(hours=3))
    log_in(client, people.staff)
    assert "3\xa0hours ago" in _page(client)  # naturaltime keeps the number with its unit


def test_the_search_finds_company_short_name_or_email_within_the_tab(
    client: Client, people: People, one_of_each: dict[str, Signup]
) -> None:
    _signup("initech", company_name="Initrode Corp", email="peter@initech.test")
    log_in(client, people.staff)
    assert _listed_slugs(_page(client, f"{LIST_URL}?q=INITRODE")) == ["initech"]
    assert _listed_slugs(_page(client, f"{LIST_URL}?q=peter@")) == ["initech"]
    assert _listed_slugs(_page(client, f"{LIST_URL}?q=brok")) == ["broken"]
    searched = _page(client, f"{LIST_URL}?q=initech&status=awaiting_approval")
    assert _listed_slugs(searched) == ["initech"]
    assert _tab_counts(searched)["awaiting_approval"] == 1 and _tab_counts(searched)["all"] == 1
    assert '<input type="hidden" name="status" value="awaiting_approval">' in searched
    assert _listed_slugs(_page(client, f"{LIST_URL}?q=initech&status=done")) == []
    assert "No sign-up in “Done” has a company" in _page(client, f"{LIST_URL}?q=x&status=done")


def test_a_page_costs_the_same_queries_with_few_or_many_sign_ups(
    client: Client, people: People
) -> None:
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    _provisioned("first", failed_operations=1)
    _signup("second")
    log_in(client, people.staff)
    client.get(LIST_URL)  # the session's first read is not what is measured
    few = queries(LIST_URL)
    for n in range(60):
        _provisioned(f"many-{n}", open_operations=n % 2, failed_operations=n % 3)
        _signup(f"waits-{n}")
    assert queries(LIST_URL) == queries(f"{LIST_URL}?page=2&q=a&status=failed") == few
    # The session, the user, the navigation's badge, the tab counts, the page count, the page.
    assert few <= 6


# --- approve -------------------------------------------------------------------------------


@pytest.fixture
def staff(imported_tenant: Any, client: Client, settings: Any) -> Client:
    settings.SIGNUP_APPROVAL_REQUIRED = True
    return log_in(client, staff_user())


def test_approving_shows_what_will_happen_then_provisions(
    staff: Client, imported_tenant: Any
) -> None:
    signup = _signup("initech", email="boss@initech.test")
    url = f"/signup/staff/{signup.pk}/approve/"

    page = _page(staff, url)
    assert "Approve Initech Ltd?" in page
    assert "Creates initech (Initech Ltd) in Auth0 with its sign-in connection" in page
    assert "Invites boss@initech.test as its admin" in page
    assert not Organization.objects.filter(name="initech").exists()

    response = staff.post(url)

    assert response.status_code == 302
    assert response["Location"] == f"{LIST_URL}?status=provisioning"
    signup.refresh_from_db()
    org = Organization.objects.get(name="initech")
    assert signup.status == SignupStatus.PROVISIONED and signup.organization == org
    assert signup.decided_by is not None and signup.decided_by.is_staff
    assert Invitation.objects.filter(organization=org, email="boss@initech.test").exists()
    assert "Initech Ltd is approved" in _page(staff, response["Location"])
    settle(imported_tenant)  # and the engine gets it all into Auth0


def test_approving_twice_only_says_it_is_done_already(staff: Client) -> None:
    signup = _signup("initech")
    url = f"/signup/staff/{signup.pk}/approve/"
    staff.post(url)

    again = staff.post(url, follow=True)

    assert again.status_code == 200
    assert "This sign-up is provisioning." in again.content.decode()
    assert Organization.objects.filter(name="initech").count() == 1
    shown = staff.get(url, follow=True).content.decode()
    assert "There is nothing to approve: this sign-up is provisioning." in shown


def test_approving_a_name_taken_meanwhile_asks_the_person_for_another(staff: Client) -> None:
    taken = Organization.objects.order_by("pk").first()  # one of the tenant's
    assert taken is not None
    signup = _signup(taken.name)
    url = f"/signup/staff/{signup.pk}/approve/"
    assert f"{taken.name} is taken now, so nothing is created" in _page(staff, url)

    response = staff.post(url)

    assert response["Location"] == f"{LIST_URL}?status=name_taken"
    signup.refresh_from_db()
    assert signup.status == SignupStatus.NAME_TAKEN and signup.organization is None


# --- refuse --------------------------------------------------------------------------------


def test_refusing_with_a_reason_tells_the_person_by_email(
    client: Client, people: People, django_capture_on_commit_callbacks: Any
) -> None:
    signup = _signup("initech", email="boss@initech.test")
    url = f"/signup/staff/{signup.pk}/refuse/"
    log_in(client, people.staff)
    page = _page(client, url)
    assert "Refuse Initech Ltd?" in page and "Shown to the person in the email" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "We only take companies based in the EU."})

    assert response["Location"] == f"{LIST_URL}?status=refused"
    signup.refresh_from_db()
    assert signup.status == SignupStatus.REFUSED and signup.decided_by == people.staff
    assert signup.refusal_reason == "We only take companies based in the EU."
    (email,) = mail.outbox
    assert email.to == ["boss@initech.test"]
    assert "We only take companies based in the EU." in str(email.body)


def test_a_reason_longer_than_500_characters_is_refused_with_the_form_again(
    client: Client, people: People
) -> None:
    signup = _signup("initech")
    log_in(client, people.staff)

    response = client.post(f"/signup/staff/{signup.pk}/refuse/", {"reason": "x" * 501})

    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    signup.refresh_from_db()
    assert signup.status == SignupStatus.AWAITING_APPROVAL and not mail.outbox


def test_refusing_one_already_decided_gives_a_message(client: Client, people: People) -> None:
    signup = _signup("initech", SignupStatus.REFUSED)
    log_in(client, people.staff)

    response = client.post(f"/signup/staff/{signup.pk}/refuse/", {"reason": ""}, follow=True)

    assert response.status_code == 200
    assert "This sign-up is refused." in response.content.decode()


# --- retry ---------------------------------------------------------------------------------


def _operation(org: Organization, state: str, n: int) -> SyncOperation:
    return SyncOperation.objects.create(
        kind="organization.update",
        organization=org,
        target_type="organization",
        target_id=org.pk,
        target_key=f"test:{org.pk}:{n}",
        idempotency_key=f"test-{org.pk}-{n}",
        state=state,
        attempts=3,
        last_error="Auth0 400: bad",
    )


def test_retry_queues_every_failed_operation_again(client: Client, people: People) -> None:
    signup = _provisioned("broken", failed_operations=2)
    assert signup.organization is not None
    failed = [_operation(signup.organization, OpState.FAILED, n) for n in range(2)]
    done = _operation(signup.organization, OpState.SUCCEEDED, 3)
    log_in(client, people.staff)

    response = client.post(f"/signup/staff/{signup.pk}/retry/")

    assert response["Location"] == f"{LIST_URL}?status=provisioning"
    for op in failed:
        op.refresh_from_db()
        assert op.state == OpState.QUEUED and op.attempts == 0
    done.refresh_from_db()
    assert done.state == OpState.SUCCEEDED
    assert "are tried again" in _page(client, response["Location"])


def test_retry_with_nothing_failed_only_says_so(client: Client, people: People) -> None:
    signup = _provisioned("fine")
    log_in(client, people.staff)
    response = client.post(f"/signup/staff/{signup.pk}/retry/", follow=True)
    assert "There is nothing to retry" in response.content.decode()
    assert client.get(f"/signup/staff/{signup.pk}/retry/").status_code == 405


# --- the staff email -----------------------------------------------------------------------


def test_the_approval_email_links_to_the_tab_waiting(settings: Any) -> None:
    settings.STAFF_ALERT_EMAILS = ["oncall@portal.test"]
    settings.PORTAL_BASE_URL = "https://portal.example.test"
    alert_staff("signup_approval_waits", {"signup": _signup("initech")})
    (email,) = mail.outbox
    link = "https://portal.example.test/signup/staff/?status=awaiting_approval"
    assert link in str(email.body)
    assert link in str(email.alternatives[0][0])
