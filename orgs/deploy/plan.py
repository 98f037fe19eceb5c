"""`orgs plan`: what applying a directory would change, field by field.

Both sides are specs (orgs.deploy.state): the directory read back (orgs.deploy.reading)
and what the portal wants now. Deletes are actions only with `allow_delete`; otherwise
they are listed as "would delete" and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orgs.deploy import layout
from orgs.deploy.reading import InputProblem, InvalidDirectory, Reading
from orgs.deploy.state import Desired, Spec, portal_state
from orgs.models import Application, Connection, Organization, OrgStatus
from orgs.secrets import decrypt_options, is_plain_option
from orgs.services.connections import own_database_name

Diff = tuple[str, Any, Any]  # field, portal's value, directory's value
COMPARED_ORG_FIELDS = (
    "display_name",
    "logo_url",
    "primary_color",
    "page_background_color",
    "metadata",
    "status",
)


@dataclass
class Change:
    action: str  # create | update | delete
    kind: str  # organization | connection
    name: str
    diffs: list[Diff] = field(default_factory=list)
    spec: Spec = field(default_factory=dict)


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    would_delete: list[Change] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for change in self.changes:
            out.append(f"{change.action} {change.kind} {change.name}")
            out += [f"    {name}: {_show(old)} -> {_show(new)}" for name, old, new in change.diffs]
        for change in self.would_delete:
            out.append(f"would delete {change.kind} {change.name}, pass --allow-delete")
        return out or ["No changes."]


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    import json

    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def make_plan(reading: Reading, *, allow_delete: bool, mappings: dict[str, str]) -> Plan:
    portal = portal_state()
    plan = Plan()
    problems: list[InputProblem] = []
    _check_references(reading, problems)
    _plan_organizations(reading.desired, portal, plan, reading, problems)
    _plan_connections(reading.desired, portal, plan, reading, problems, mappings)
    if problems:
        raise InvalidDirectory(problems)
    for change in plan.changes:
        if change.action == "create" and change.kind == "organization":
            own = reading.desired.connections.get(own_database_name(Organization(name=change.name)))
            change.spec["database_clients"] = own["enabled_clients"] if own else []
    if not allow_delete:
        plan.would_delete = [c for c in plan.changes if c.action == "delete"]
        plan.changes = [c for c in plan.changes if c.action != "delete"]
    return plan


def _problem(reading: Reading, kind: str, name: str, field_name: str, message: str) -> InputProblem:
    return InputProblem(reading.files.get((kind, name), "?"), 1, field_name, message)


def _check_references(reading: Reading, problems: list[InputProblem]) -> None:
    names = set(Application.objects.values_list("name", flat=True))
    for org, spec in reading.desired.organizations.items():
        for app in spec["application_urls"]:
            if app not in names:
                problems.append(
                    _problem(
                        reading,
                        "org",
                        org,
                        f"application_urls.{app}",
                        "No application with this name.",
                    )
                )
    for conn, spec in reading.desired.connections.items():
        for app in spec["enabled_clients"]:
            if app not in names:
                problems.append(
                    _problem(
                        reading,
                        "connection",
                        conn,
                        "enabled_clients",
                        f"No application named '{app}'.",
                    )
                )


def _plan_organizations(
    wanted: Desired, portal: Desired, plan: Plan, reading: Reading, problems: list[InputProblem]
) -> None:
    for name, spec in sorted(wanted.organizations.items()):
        current = portal.organizations.get(name)
        if current is None:
            if Organization.objects.filter(name=name).exclude(status=OrgStatus.DELETED).exists():
                problems.append(
                    _problem(
                        reading,
                        "org",
                        name,
                        "name",
                        "This organization is not managed here (the staff organization).",
                    )
                )
                continue
            diffs = [
                (key, None, spec[key])
                for key in (
                    *COMPARED_ORG_FIELDS,
                    "membership_model",
                    "connections",
                    "application_urls",
                )
            ]
            plan.changes.append(Change("create", "organization", name, diffs, spec))
            continue
        if spec["membership_model"] != current["membership_model"]:
            problems.append(
                _problem(
                    reading,
                    "org",
                    name,
                    "membership_model",
                    "The membership model is fixed once the organization is created.",
                )
            )
        diffs = [
            (key, current[key], spec[key])
            for key in COMPARED_ORG_FIELDS
            if current[key] != spec[key]
        ]
        diffs += _keyed_diffs("connections", current["connections"], spec["connections"])
        diffs += _url_diffs(current["application_urls"], spec["application_urls"])
        if diffs:
            plan.changes.append(Change("update", "organization", name, diffs, spec))
    for name in sorted(set(portal.organizations) - set(wanted.organizations)):
        plan.changes.append(Change("delete", "organization", name))


def _keyed_diffs(prefix: str, old: dict[str, Any], new: dict[str, Any]) -> list[Diff]:
    return [
        (f"{prefix}.{key}", old.get(key), new.get(key))
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def _url_diffs(
    old: dict[str, dict[str, list[str]]], new: dict[str, dict[str, list[str]]]
) -> list[Diff]:
    diffs = []
    for app in sorted(set(old) | set(new)):
        for kind in layout.URL_KINDS:
            before = old.get(app, {}).get(kind, [])
            after = new.get(app, {}).get(kind, [])
            if before != after:
                diffs.append((f"application_urls.{app}.{kind}", before, after))
    return diffs


def _plan_connections(
    wanted: Desired,
    portal: Desired,
    plan: Plan,
    reading: Reading,
    problems: list[InputProblem],
    mappings: dict[str, str],
) -> None:
    creating = {c.name for c in plan.changes if c.action == "create"}
    for name, spec in sorted(wanted.connections.items()):
        owner = spec["organization"]
        spec["secrets"] = _secrets(reading, name, spec, problems, mappings)
        current = portal.connections.get(name)
        if current is None:
            if spec["strategy"] == "auth0":
                org_model = wanted.organizations[owner]["membership_model"]
                if (
                    owner not in creating
                    or org_model != "own_db"
                    or name != own_database_name(Organization(name=owner))
                ):
                    only = own_database_name(Organization(name=owner))
                    message = (
                        f"The portal creates one database connection, {only}, with an "
                        "own-database organization; it cannot add others."
                    )
                    problems.append(_problem(reading, "connection", name, "name", message))
                    continue
            elif Connection.objects.filter(name=name).exists():
                problems.append(
                    _problem(
                        reading,
                        "connection",
                        name,
                        "name",
                        "A connection with this name exists and is not this organization's.",
                    )
                )
                continue
            plan.changes.append(
                Change(
                    "create",
                    "connection",
                    name,
                    [(k, None, v) for k, v in sorted(_public(spec).items())],
                    spec,
                )
            )
            continue
        for key in ("strategy", "organization", "is_domain_connection"):
            if current[key] != spec[key]:
                problems.append(
                    _problem(reading, "connection", name, key, "The portal cannot change this.")
                )
        stored = decrypt_options(Connection.objects.get(name=name).encrypted_secrets)
        spec["secrets"] = {k: v for k, v in spec["secrets"].items() if stored.get(k) != v}
        diffs = (
            [("display_name", current["display_name"], spec["display_name"])]
            if current["display_name"] != spec["display_name"]
            else []
        )
        diffs += _keyed_diffs("options", _visible_options(current), _visible_options(spec))
        diffs += [(f"options.{key}", "(secret)", "(new secret)") for key in sorted(spec["secrets"])]
        if current["enabled_clients"] != spec["enabled_clients"]:
            diffs.append(("enabled_clients", current["enabled_clients"], spec["enabled_clients"]))
        if diffs:
            plan.changes.append(Change("update", "connection", name, diffs, spec))
    deleted_orgs = {c.name for c in plan.changes if c.action == "delete"}
    for name, current in sorted(portal.connections.items()):
        if name in wanted.connections or current["organization"] in deleted_orgs:
            continue  # an organization's delete takes its connections with it
        if current["strategy"] == "auth0":
            problems.append(
                InputProblem(
                    layout.connection_file(name, database=True),
                    1,
                    "",
                    f"{current['organization']}'s own database connection cannot be removed "
                    "while the organization lives.",
                )
            )
            continue
        plan.changes.append(Change("delete", "connection", name))


def _public(spec: Spec) -> Spec:
    return {k: v for k, v in spec.items() if k not in ("secrets",)}


def _visible_options(spec: Spec) -> dict[str, Any]:
    """Options to compare as values: plain ones, and a secret's placeholder as 'set'."""
    return {
        key: ("(secret)" if not is_plain_option(spec["strategy"], key) else value)
        for key, value in spec["options"].items()
    }


def _secrets(
    reading: Reading, name: str, spec: Spec, problems: list[InputProblem], mappings: dict[str, str]
) -> dict[str, str]:
    """Secret options the directory gives a new value for (through --config mappings).
    A secret written in the file itself is refused: files are shared, secrets are not."""
    new: dict[str, str] = {}
    for key, value in spec["options"].items():
        if is_plain_option(spec["strategy"], key):
            continue
        match = layout.PLACEHOLDER.match(value) if isinstance(value, str) else None
        if match is None:
            problems.append(
                _problem(
                    reading,
                    "connection",
                    name,
                    f"options.{key}",
                    "A secret is never written in the directory: use a ##KEY## placeholder.",
                )
            )
            continue
        if match.group(1) in mappings:
            new[key] = mappings[match.group(1)]
    return new
