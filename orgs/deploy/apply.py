"""`orgs apply`: the plan's changes recorded as operations through the services, in the
bulk lane (`bulk_priority()`), so they run with locks, rate limits and live status like
any other change and are audited as whoever runs the command.

It works in passes, re-planning after each: creates first (an organization with what
its membership model needs, then its enterprise connections), then updates (which,
after a create, are the rest of the new organization's file: flags, URLs, options),
then deletes. Each change is one transaction; applying twice changes nothing the
second time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from orgs.deploy.plan import Change, Plan, make_plan
from orgs.deploy.reading import Reading
from orgs.deploy.state import Spec
from orgs.models import (
    Application,
    ApplicationURL,
    Connection,
    Organization,
    OrganizationConnection,
    OrgStatus,
)
from orgs.secrets import is_plain_option
from orgs.services import connections as connection_services
from orgs.services import enterprise_connections, organizations
from orgs.services.applications import application_url_add, application_url_remove
from orgs.sync.priority import bulk_priority
from portal.models import User

Reader = Callable[[], Reading]
PASSES = (("create",), ("update",), ("delete",))


def apply_directory(
    read: Reader, *, actor: User | None, allow_delete: bool, mappings: dict[str, str]
) -> list[str]:
    """Apply what the directory asks for; returns one line per change made."""
    done: list[str] = []
    with bulk_priority():
        for actions in PASSES:
            plan: Plan = make_plan(read(), allow_delete=allow_delete, mappings=mappings)
            for change in plan.changes:
                if change.action in actions:
                    with transaction.atomic():
                        _APPLY[(change.action, change.kind)](change, actor)
                    done.append(f"{change.action} {change.kind} {change.name}")
    return done


def _live(name: str) -> Organization:
    return Organization.objects.exclude(status=OrgStatus.DELETED).get(name=name)


def _create_organization(change: Change, actor: User | None) -> None:
    spec = change.spec
    names = spec.get("database_clients") or []
    applications = list(Application.objects.filter(name__in=names)) or None
    organizations.organization_create(
        actor=actor,
        name=change.name,
        display_name=spec["display_name"],
        membership_model=spec["membership_model"],
        logo_url=spec["logo_url"],
        primary_color=spec["primary_color"],
        page_background_color=spec["page_background_color"],
        metadata=spec["metadata"],
        database_applications=applications,
    )


def _create_connection(change: Change, actor: User | None) -> None:
    spec = change.spec
    if spec["strategy"] == "auth0":
        return  # made with its own-database organization; the update pass sets the rest
    enterprise_connections.connection_create_enterprise(
        actor=actor,
        organization=_live(spec["organization"]),
        name=change.name,
        strategy=spec["strategy"],
        display_name=spec["display_name"],
        options={**_plain(spec), **spec["secrets"]},
    )


def _plain(spec: Spec) -> dict[str, Any]:
    return {k: v for k, v in spec["options"].items() if is_plain_option(spec["strategy"], k)}


def _update_organization(change: Change, actor: User | None) -> None:
    org = _live(change.name)
    spec = change.spec
    fields = ("display_name", "logo_url", "primary_color", "page_background_color", "metadata")
    edits = {f: spec[f] for f in fields if getattr(org, f) != spec[f]}
    if edits:
        org = organizations.organization_update(actor=actor, organization=org, **edits)
    _update_links(org, spec["connections"], actor)
    _update_urls(org, spec["application_urls"], actor)
    wants_suspended = spec["status"] == "suspended"
    if wants_suspended and org.status == OrgStatus.ACTIVE:
        organizations.organization_suspend(actor=actor, organization=org)
    elif not wants_suspended and org.status == OrgStatus.SUSPENDED:
        organizations.organization_reactivate(actor=actor, organization=org)


def _update_links(
    org: Organization, wanted: dict[str, dict[str, bool]], actor: User | None
) -> None:
    links = {
        link.connection.name: link
        for link in OrganizationConnection.objects.filter(organization=org).select_related(
            "connection"
        )
    }
    for name, link in links.items():
        if name not in wanted:
            connection_services.organization_connection_disable(actor=actor, link=link)
        elif link.flags() != wanted[name]:
            connection_services.organization_connection_update(
                actor=actor, link=link, **wanted[name]
            )
    for name, flags in sorted(wanted.items()):
        if name not in links:
            connection_services.organization_connection_enable(
                actor=actor,
                organization=org,
                connection=Connection.objects.get(name=name, deleted_at=None),
                **flags,
            )


def _update_urls(
    org: Organization, wanted: dict[str, dict[str, list[str]]], actor: User | None
) -> None:
    rows = ApplicationURL.objects.filter(organization=org, removing=False).select_related(
        "application"
    )
    have = {(row.application.name, row.kind, row.url): row for row in rows}
    want = {
        (app, kind, url)
        for app, kinds in wanted.items()
        for kind, urls in kinds.items()
        for url in urls
    }
    for key, row in sorted(have.items()):
        if key not in want:
            application_url_remove(actor=actor, row=row)
    for app, kind, url in sorted(want - set(have)):
        application_url_add(
            actor=actor,
            organization=org,
            application=Application.objects.get(name=app),
            kind=kind,
            url=url,
        )


def _update_connection(change: Change, actor: User | None) -> None:
    spec = change.spec
    connection = Connection.objects.get(name=change.name, deleted_at=None)
    plain = _plain(spec)
    removed = sorted(set(connection.options) - set(plain))
    if (
        plain != connection.options
        or spec["secrets"]
        or spec["display_name"] != (connection.display_name or connection.name)
    ):
        enterprise_connections.connection_update_options(
            actor=actor,
            connection=connection,
            options={**plain, **spec["secrets"]},
            removed_keys=removed,
            display_name=spec["display_name"],
        )
    current = set(connection.application_links.values_list("application__name", flat=True))
    for name in sorted(current - set(spec["enabled_clients"])):
        connection_services.connection_disable_application(
            actor=actor, connection=connection, application=Application.objects.get(name=name)
        )
    for name in sorted(set(spec["enabled_clients"]) - current):
        connection_services.connection_enable_application(
            actor=actor, connection=connection, application=Application.objects.get(name=name)
        )


def _delete_organization(change: Change, actor: User | None) -> None:
    organizations.organization_delete(
        actor=actor, organization=_live(change.name), confirm_name=change.name
    )


def _delete_connection(change: Change, actor: User | None) -> None:
    enterprise_connections.connection_delete(
        actor=actor, connection=Connection.objects.get(name=change.name, deleted_at=None)
    )


_APPLY: dict[tuple[str, str], Callable[[Change, User | None], None]] = {
    ("create", "organization"): _create_organization,
    ("create", "connection"): _create_connection,
    ("update", "organization"): _update_organization,
    ("update", "connection"): _update_connection,
    ("delete", "organization"): _delete_organization,
    ("delete", "connection"): _delete_connection,
}
