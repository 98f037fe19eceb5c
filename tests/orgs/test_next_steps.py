"""The overview's "Set up your organization" checklist: a customer admin sees what is left
(verify a domain, single sign-on, invite colleagues) until all three are done; staff never
see it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from idp_selfservice.models import SetupState, SsoSetup
from orgs.models import Domain, Invitation, Member
from orgs.models.organizations import DomainStatus
from orgs.views.next_steps import next_steps_for
from tests.conftest import People, log_in
from tests.factories import ApplicationFactory, MemberFactory

pytestmark = pytest.mark.django_db

TITLE = "Set up your organization"


@pytest.fixture
def fresh(people: People) -> People:
    """Acme with its admin as its only member: nothing set up yet."""
    Member.objects.filter(organization=people.organization, user_id=people.org_member.sub).delete()
    return people


def _overview(client: Client, people: People, user: Any = None) -> str:
    log_in(client, user or people.org_admin, people.organization)
    response = client.get(f"/orgs/{people.organization.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _status(content: str, key: str) -> str:
    found = re.search(rf'id="next-step-{key}-status">(.*?)</div>', content, re.S)
    assert found, f"no task {key}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _verified_domain(people: People, name: str = "acme.test", **fields: Any) -> Domain:
    fields.setdefault("status", DomainStatus.VERIFIED)
    return Domain.objects.create(
        organization=people.organization, domain=name, verification_token=f"t-{name}", **fields
    )


def _sso(people: People, state: str = SetupState.ACTIVE) -> SsoSetup:
    return SsoSetup.objects.create(
        organization=people.organization, provider="okta", connection_name="acme-okta", state=state
    )


def _invitation(people: People, email: str) -> Invitation:
    return Invitation.objects.create(
        organization=people.organization,
        email=email,
        inviter_name="Acme Admin",
        application=ApplicationFactory(name="Demo SaaS App"),
    )


def test_a_fresh_organizations_admin_sees_three_tasks_none_done(
    client: Client, fresh: People
) -> None:
    content = _overview(client, fresh)
    pk = fresh.organization.pk
    assert TITLE in content and "0 of 3 done" in content
    for key, href, label in (
        ("domain", f"/orgs/{pk}/domains/", "Verify your email domain"),
        ("sso", f"/sso/{pk}/", "Set up single sign-on"),
        ("invite", f"/orgs/{pk}/invitations/", "Invite your colleagues"),
    ):
        assert (
            f'<a href="{href}" aria-describedby="next-step-{key}-hint next-step-{key}-status">'
            f"{label}</a>"
        ) in content
        assert _status(content, key) == "Not yet"
    assert "Let people sign in with your identity provider" in content
    assert "Add the people who will help run it" in content


def test_a_verified_domain_marks_the_domain_task_done(client: Client, fresh: People) -> None:
    _verified_domain(fresh, "acme.example", status=DomainStatus.PENDING)
    assert _status(_overview(client, fresh), "domain") == "Not yet"
    _verified_domain(fresh)
    content = _overview(client, fresh)
    assert _status(content, "domain") == "Done" and "1 of 3 done" in content


def test_a_domain_verified_by_another_organization_does_not_count(
    client: Client, fresh: People
) -> None:
    Domain.objects.create(
        organization=fresh.other_organization,
        domain="globex.test",
        verification_token="t",
        status=DomainStatus.VERIFIED,
    )
    assert _status(_overview(client, fresh), "domain") == "Not yet"


def test_only_an_active_sso_setup_marks_the_sso_task_done(client: Client, fresh: People) -> None:
    setup = _sso(fresh, SetupState.TESTED)
    assert _status(_overview(client, fresh), "sso") == "Not yet"
    setup.state = SetupState.ACTIVE
    setup.save()
    content = _overview(client, fresh)
    assert _status(content, "sso") == "Done" and "1 of 3 done" in content


def test_inviting_oneself_does_not_count_but_inviting_someone_else_does(
    client: Client, fresh: People
) -> None:
    _invitation(fresh, "ADMIN@acme.test")
    assert _status(_overview(client, fresh), "invite") == "Not yet"
    _invitation(fresh, "colleague@acme.test")
    assert _status(_overview(client, fresh), "invite") == "Done"


def test_a_second_member_marks_the_invite_task_done(client: Client, people: People) -> None:
    # The people fixture's Acme has its admin and a member.
    content = _overview(client, people)
    assert _status(content, "invite") == "Done" and "1 of 3 done" in content


def test_a_member_on_their_way_out_does_not_count(client: Client, fresh: People) -> None:
    MemberFactory(organization=fresh.organization, removing=True)
    assert _status(_overview(client, fresh), "invite") == "Not yet"


def test_the_checklist_is_gone_once_all_three_are_done(client: Client, people: People) -> None:
    _verified_domain(people)
    _sso(people)
    content = _overview(client, people)
    assert TITLE not in content and 'id="next-step-' not in content
    assert "Recent activity" in content


def test_staff_never_see_the_checklist(client: Client, fresh: People) -> None:
    content = _overview(client, fresh, fresh.staff)
    assert TITLE not in content and 'id="next-step-' not in content


def test_the_tasks_are_worked_out_in_one_query(
    fresh: People, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        steps = next_steps_for(fresh.organization, fresh.org_admin)
    assert steps.done_count == 0 and not steps.all_done


def test_the_overview_makes_as_many_queries_however_much_is_set_up(
    client: Client, fresh: People
) -> None:
    url = f"/orgs/{fresh.organization.pk}/"
    log_in(client, fresh.org_admin, fresh.organization)
    client.get(url)  # the session's access check is cached from here on

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    empty = queries()
    for n in range(5):
        _verified_domain(fresh, f"acme{n}.test", status=DomainStatus.PENDING)
        _invitation(fresh, f"person{n}@acme.test")
        MemberFactory(organization=fresh.organization)
    assert queries() == empty
