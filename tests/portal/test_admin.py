from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import models
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone

from orgs.models import (
    ApplicationURL,
    AuditEvent,
    ConnectionApplication,
    Domain,
    Invitation,
    OrganizationConnection,
    SyncOperation,
)
from portal.models import User
from tests.factories import (
    ApplicationFactory,
    ConnectionFactory,
    MemberFactory,
    OrganizationFactory,
    RoleFactory,
)

pytestmark = pytest.mark.django_db

PAGES = [
    "portal/user",
    "orgs/organization",
    "orgs/connection",
    "orgs/organizationconnection",
    "orgs/connectionapplication",
    "orgs/application",
    "orgs/applicationurl",
    "orgs/invitation",
    "orgs/member",
    "orgs/role",
    "orgs/domain",
    "orgs/syncoperation",
    "orgs/auditevent",
]


@pytest.mark.parametrize("page", PAGES)
def test_a_superuser_sees_every_model_in_the_admin(client: Client, page: str) -> None:
    OrganizationFactory()
    client.force_login(User.objects.create_superuser("local|root", "root@portal.test", "pw"))
    assert client.get(f"/admin/{page}/").status_code == 200


def test_staff_admins_without_superuser_rights_cannot_use_the_admin(client: Client) -> None:
    client.force_login(User.objects.create_user("auth0|staff", "staff@portal.test", is_staff=True))
    assert client.get("/admin/orgs/organization/").status_code in (302, 403)


# Every orgs model is view-only in the admin: a change there would skip the service, so
# no operation would carry it to Auth0 and no AuditEvent would say who made it.


def _row(page: str) -> models.Model:
    """One saved row for an admin page, built with only the fields every version has."""
    org = OrganizationFactory()
    application = ApplicationFactory()
    build: dict[str, Callable[[], models.Model]] = {
        "organization": lambda: org,
        "connection": lambda: ConnectionFactory(organization=org, name=f"{org.name}-db"),
        "organizationconnection": lambda: OrganizationConnection.objects.create(
            organization=org, connection=ConnectionFactory()
        ),
        "connectionapplication": lambda: ConnectionApplication.objects.create(
            connection=ConnectionFactory(), application=application
        ),
        "application": lambda: application,
        "applicationurl": lambda: ApplicationURL.objects.create(
            organization=org, application=application, kind="callbacks", url="https://a.test/cb"
        ),
        "invitation": lambda: Invitation.objects.create(
            organization=org, email="new@a.test", inviter_name="Root", application=application
        ),
        "member": lambda: MemberFactory(organization=org),
        "role": lambda: RoleFactory(),
        "domain": lambda: Domain.objects.create(
            organization=org, domain="a.test", verification_token="token"
        ),
        "syncoperation": lambda: SyncOperation.objects.create(
            kind="organization.create",
            organization=org,
            target_type="organization",
            target_id=org.pk,
            idempotency_key="admin-test",
        ),
        "auditevent": lambda: AuditEvent.objects.create(
            actor_label="root@portal.test", action="organization.create", organization=org
        ),
    }
    return build[page.removeprefix("orgs/")]()


ORGS_PAGES = [page for page in PAGES if page.startswith("orgs/")]


def _form_data(row: models.Model, **changes: Any) -> dict[str, Any]:
    """What the admin's change form would post for this row: a valid edit on an admin
    that allows it, so a refusal can only come from the permission."""
    data: dict[str, Any] = {}
    for name, value in {**model_to_dict(row), **changes}.items():
        field = row._meta.get_field(name)
        if isinstance(field, models.JSONField):
            data[name] = json.dumps(value)
        elif isinstance(field, models.BooleanField):
            if value:
                data[name] = "on"
        elif field.many_to_many:
            data[name] = [related.pk for related in value]
        else:
            data[name] = "" if value is None else value
    return data


def _saved(row: models.Model) -> dict[str, Any]:
    return model_to_dict(type(row).objects.get(pk=row.pk))


@pytest.fixture
def superuser(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("local|root", "root@portal.test", "pw"))
    return client


@pytest.mark.parametrize("page", ORGS_PAGES)
def test_the_admin_refuses_to_add_change_or_delete_portal_rows(
    superuser: Client, page: str
) -> None:
    row = _row(page)
    before, count = _saved(row), type(row).objects.count()

    answers = {
        "add form": superuser.get(f"/admin/{page}/add/").status_code,
        "add": superuser.post(f"/admin/{page}/add/", {}).status_code,
        "change": superuser.post(f"/admin/{page}/{row.pk}/change/", _form_data(row)).status_code,
        "delete page": superuser.get(f"/admin/{page}/{row.pk}/delete/").status_code,
        "delete": superuser.post(f"/admin/{page}/{row.pk}/delete/", {"post": "yes"}).status_code,
    }

    assert answers == dict.fromkeys(answers, 403)
    assert type(row).objects.count() == count and _saved(row) == before


@pytest.mark.parametrize(
    ("page", "changes"),
    [
        ("orgs/organization", {"display_name": "Renamed in the admin", "status": "suspended"}),
        ("orgs/connection", {"display_name": "Renamed in the admin", "options": {"x": 1}}),
        ("orgs/member", {"email": "someone.else@a.test", "removing": True}),
    ],
)
def test_a_valid_edit_of_a_synced_row_is_refused_and_changes_nothing(
    superuser: Client, page: str, changes: dict[str, Any]
) -> None:
    row = _row(page)
    before = _saved(row)

    response = superuser.post(f"/admin/{page}/{row.pk}/change/", _form_data(row, **changes))

    assert response.status_code == 403
    assert _saved(row) == before
    assert not AuditEvent.objects.exists() and not SyncOperation.objects.exists()


@pytest.mark.parametrize("page", ["orgs/organization", "orgs/member", "orgs/connection"])
def test_the_bulk_delete_action_is_gone(superuser: Client, page: str) -> None:
    row = _row(page)

    changelist = superuser.get(f"/admin/{page}/")
    superuser.post(
        f"/admin/{page}/",
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )

    assert b"delete_selected" not in changelist.content
    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("page", ORGS_PAGES)
def test_a_superuser_can_still_list_search_and_view_portal_rows(
    superuser: Client, page: str
) -> None:
    row = _row(page)

    listing = superuser.get(f"/admin/{page}/")
    searched = superuser.get(f"/admin/{page}/", {"q": "a"})
    detail = superuser.get(f"/admin/{page}/{row.pk}/change/")

    assert listing.status_code == searched.status_code == detail.status_code == 200
    assert f"/admin/{page}/{row.pk}/change/" in listing.content.decode()  # the row's link
    assert b'name="_save"' not in detail.content  # rendered read-only, nothing to submit
    assert f"/admin/{page}/add/" not in listing.content.decode()  # no "Add" button


def test_archived_operations_are_view_only(superuser: Client) -> None:
    from orgs.models import ArchivedOperation  # new with the archive; kept out of the rest

    row = ArchivedOperation.objects.create(
        operation_id=41,
        kind="organization.create",
        organization_id=7,
        priority="bulk",
        origin="system",
        attempts=1,
        created_at=timezone.now(),
        finished_at=timezone.now(),
    )
    page = "/admin/orgs/archivedoperation"

    looks = [
        superuser.get(f"{page}/").status_code,
        superuser.get(f"{page}/", {"q": "41"}).status_code,
        superuser.get(f"{page}/", {"q": "organization"}).status_code,
        superuser.get(f"{page}/{row.pk}/change/").status_code,
    ]
    writes = [
        superuser.post(f"{page}/add/", {"operation_id": 42, "kind": "x"}).status_code,
        superuser.post(f"{page}/{row.pk}/change/", {"kind": "edited"}).status_code,
        superuser.post(f"{page}/{row.pk}/delete/", {"post": "yes"}).status_code,
    ]

    assert looks == [200, 200, 200, 200]
    assert writes == [403, 403, 403]
    assert ArchivedOperation.objects.get().kind == "organization.create"
