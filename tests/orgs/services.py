"""What the service tests share: a snapshot of every row a service may write, a refusal
checker (the error, and nothing written), the operations recorded, and sandbox lookups."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import models
from django.test import TestCase

from orgs.models import (
    Application,
    ApplicationURL,
    AuditEvent,
    Connection,
    ConnectionApplication,
    Invitation,
    Member,
    OpState,
    Organization,
    OrganizationConnection,
    Role,
    SyncOperation,
    SyncState,
)
from orgs.services import ServiceError
from portal.models import User
from tests.factories import (
    ApplicationFactory,
    ConnectionFactory,
    MemberFactory,
    OrganizationFactory,
    RoleFactory,
    UserFactory,
)
from tests.orgs.engine import drain

WRITTEN_BY_SERVICES: tuple[type[models.Model], ...] = (
    Organization,
    Connection,
    OrganizationConnection,
    ConnectionApplication,
    Application,
    ApplicationURL,
    Invitation,
    Invitation.roles.through,
    Member,
    Member.roles.through,
    Role,
    SyncOperation,
    AuditEvent,
)


def rows() -> dict[str, list[dict[str, Any]]]:
    """Every row a service could write, field by field."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in WRITTEN_BY_SERVICES
    }


@contextmanager
def refused(message: str) -> Iterator[pytest.ExceptionInfo[ServiceError]]:
    """The service refuses with `message` (a part of it) and writes nothing: no rows, no
    operations, no audit, nothing waiting to be enqueued."""
    before = rows()
    with (
        TestCase.captureOnCommitCallbacks() as callbacks,
        pytest.raises(ServiceError, match=re.escape(message)) as error,
    ):
        yield error
    assert callbacks == []
    assert rows() == before


def demo_rows() -> None:
    """The demo tenant's rows as the import leaves them, built without the sandbox: for
    refusals, which never get as far as Auth0."""
    demo = ApplicationFactory(
        client_id="sandbox-demo-app", name="Demo SaaS App", organization_usage="require"
    )
    portal = ApplicationFactory(
        client_id="sandbox-portal-login", name="Organization Admin Portal", is_portal_login=True
    )
    roles = {name: RoleFactory(name=name) for name in ("org-admin", "org-member")}
    shared = ConnectionFactory(name="Username-Password-Authentication")
    for app in (demo, portal):
        ConnectionApplication.objects.create(
            connection=shared, application=app, sync_state=SyncState.IN_SYNC
        )
    for name, display_name in [
        ("staff", "Portal Staff"),
        ("acme", "Acme Corp"),
        ("globex", "Globex Inc"),
    ]:
        org = OrganizationFactory(
            name=name, display_name=display_name, is_staff_organization=name == "staff"
        )
        OrganizationConnection.objects.create(
            organization=org, connection=shared, sync_state=SyncState.IN_SYNC
        )
        for role in ("admin", "member"):
            member = MemberFactory(organization=org, email=f"{role}@{name}.test")
            member.roles.add(roles[f"org-{role}"])


def staff_user() -> User:
    return UserFactory(sub="auth0|staff-user", email="staff@portal.test", is_staff=True)


def operations(**filters: Any) -> list[tuple[str, str | None]]:
    """(kind, kind it waits on), in the order recorded."""
    ops = SyncOperation.objects.filter(**filters).select_related("depends_on").order_by("pk")
    return [(op.kind, op.depends_on.kind if op.depends_on else None) for op in ops]


def audited() -> list[str]:
    """Audit actions in the order written (the tenant import's own event left out)."""
    events = AuditEvent.objects.exclude(action="tenant.import").order_by("pk")
    return list(events.values_list("action", flat=True))


def settle(tenant: Any) -> dict[str, Any]:
    """Run every queued operation as a worker would; all must succeed. The sandbox state."""
    outcomes = drain()
    assert outcomes and set(outcomes) == {"succeeded"}, outcomes
    unsettled = SyncOperation.objects.exclude(state=OpState.SUCCEEDED)
    assert not unsettled.exists(), list(unsettled.values("kind", "state", "last_error"))
    state: dict[str, Any] = tenant.state()
    return state


def assert_in_sync(*instances: models.Model) -> None:
    for instance in instances:
        instance.refresh_from_db()
        assert instance.sync_state == SyncState.IN_SYNC, (instance, instance.sync_error)


def remote_org(state: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((org for org in state["organizations"].values() if org["name"] == name), None)


def remote_connection(state: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((c for c in state["connections"].values() if c["name"] == name), None)


def remote_user(state: dict[str, Any], email: str) -> dict[str, Any] | None:
    return next((u for u in state["users"].values() if u["email"] == email), None)


def role_id(name: str) -> str:
    return Role.objects.get(name=name).auth0_id


def demo_app() -> Application:
    return Application.objects.get(client_id="sandbox-demo-app")


def shared_connection() -> Connection:
    return Connection.objects.get(name="Username-Password-Authentication")
