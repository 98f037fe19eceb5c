"""Operations in words (orgs.sync.describe): what the timeline and the queue say."""

from __future__ import annotations

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from orgs.models import OpState, SyncOperation
from orgs.services.connections import (
    organization_connection_disable,
    organization_connection_enable,
)
from orgs.services.organizations import organization_reactivate, organization_suspend
from orgs.sync.describe import describe_operations, readable_error
from tests.factories import ConnectionFactory, MemberFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def _words(org: object) -> list[str]:
    ops = SyncOperation.objects.filter(organization=org).order_by("id")
    return list(describe_operations(ops).values())


def test_a_connection_change_names_the_connection_and_what_happens_to_it() -> None:
    org = OrganizationFactory()
    connection = ConnectionFactory(name="acme-sso", display_name="Acme SSO")
    link = organization_connection_enable(actor=None, organization=org, connection=connection)
    assert _words(org) == ["Enable Acme SSO"]
    SyncOperation.objects.update(state=OpState.SUCCEEDED)
    organization_connection_disable(actor=None, link=link)
    assert _words(org)[-1] == "Disable Acme SSO"


def test_suspending_and_reactivating_say_so_per_connection() -> None:
    org = OrganizationFactory()
    connection = ConnectionFactory(name="Username-Password-Authentication")
    organization_connection_enable(actor=None, organization=org, connection=connection)
    SyncOperation.objects.update(state=OpState.SUCCEEDED)
    organization_suspend(actor=None, organization=org)
    assert _words(org)[-1] == "Turn off Username-Password-Authentication while suspended"
    SyncOperation.objects.update(state=OpState.SUCCEEDED)
    organization_reactivate(actor=None, organization=org)
    assert _words(org)[-1] == "Turn Username-Password-Authentication back on"


def test_a_page_of_operations_is_described_in_a_few_queries() -> None:
    org = OrganizationFactory()
    for n in range(30):
        member = MemberFactory(organization=org, email=f"person{n}@acme.test")
        SyncOperation.objects.create(
            kind="member.sync_roles",
            organization=org,
            target_type="member",
            target_id=member.pk,
            idempotency_key=f"m{n}",
        )
    ops = list(SyncOperation.objects.filter(organization=org))
    with CaptureQueriesContext(db_connection) as queries:
        words = describe_operations(ops)
    assert len(queries) == 1  # the members, once
    assert "Update the roles of person7@acme.test" in words.values()


def test_an_unknown_kind_is_shown_as_it_is_rather_than_hidden() -> None:
    op = SyncOperation.objects.create(kind="tenant.mystery", idempotency_key="x")
    assert describe_operations([op]) == {op.pk: "tenant.mystery"}


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("too_many_requests", "Auth0 asked the portal to slow down"),
        ("503", "Auth0 could not be reached"),
        ("409", "Auth0 already has something with this name."),
        ("invalid_body", "Auth0 refused the change."),
    ],
)
def test_errors_are_given_in_plain_words_never_auth0_s_text(code: str, reason: str) -> None:
    op = SyncOperation(
        kind="organization.create", last_error="400 invalid_body: Payload validation error"
    )
    op.last_error_code = code
    assert readable_error(op).startswith(reason)
    assert "Payload validation" not in readable_error(op)
