"""Read a deploy-cli directory back into the portal's specs (orgs.deploy.state), refusing
unknown fields and invalid values with the file, line and field.

What deploy-cli itself writes but the portal does not manage is accepted and left alone:
other folders (tenant.json, rules, ...), clients' other fields, roles' permissions,
organizations' empty client_grants / discovery_domains. Without the portal's side file
(a directory deploy-cli exported), an existing organization keeps what the portal holds
for the side file's fields, and a new one is worked out from its connections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from orgs.deploy import layout
from orgs.deploy.jsonlines import JsonSyntaxError, Located, loads_with_lines
from orgs.deploy.jsonlines import Path as JsonPath
from orgs.deploy.state import Desired, Spec, is_database, link_flags, portal_state
from orgs.models import Connection, MembershipModel, Organization
from orgs.models.organizations import hex_color_validator, organization_name_validator

ORG_FIELDS = {"name", "display_name", "branding", "metadata", "connections"}
ORG_EMPTY_FIELDS = {"client_grants", "discovery_domains", "token_quota"}
LINK_FIELDS = {
    "name",
    "assign_membership_on_login",
    "show_as_button",
    "is_signup_enabled",
    "is_enabled",  # Auth0 answers it and deploy-cli exports it; an enabled link is true
}
PORTAL_FIELDS = {
    "membership_model",
    "status",
    "owned_connections",
    "application_urls",
    "suspended_connections",
}
CONNECTION_FIELDS = {
    "name",
    "strategy",
    "display_name",
    "options",
    "enabled_clients",
    "is_domain_connection",
}
# What Auth0 (or deploy-cli's schema, disable_self_service_change_password) fills in when
# a connection is made without it, and so what an export of the tenant carries. At this
# value and never set by the portal, such an option is the tenant's, not a change.
_SAML_FILLED_IN = {
    "signatureAlgorithm": "rsa-sha256",
    "digestAlgorithm": "sha256",
    "protocolBinding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
}
FILLED_IN_OPTIONS: dict[str, dict[str, Any]] = {
    "auth0": {
        "mfa": {"active": True, "return_enroll_settings": True},
        "brute_force_protection": True,
        "strategy_version": 2,
        "disable_self_service_change_password": False,
    },
    "oidc": {"type": "front_channel", "scope": "openid"},
    "okta": {"type": "back_channel", "scope": "openid profile email"},
    "waad": {
        "identity_api": "microsoft-identity-platform-v2.0",
        "waad_protocol": "openid-connect",
        "useCommonEndpoint": False,
    },
    "samlp": _SAML_FILLED_IN,
    "pingfederate": _SAML_FILLED_IN,
}
CONNECTION_PASSTHROUGH = {"id", "realms", "metadata", "show_as_button", "authentication"}
ROLE_FIELDS = {"name", "description", "permissions", "type"}


@dataclass
class InputProblem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f" field '{self.field}'" if self.field else ""
        return f"{self.file}:{self.line}:{where}: {self.message}"


class InvalidDirectory(Exception):
    def __init__(self, problems: list[InputProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Source:
    """One parsed file: its document and where each field is."""

    file: str
    located: Located

    @property
    def value(self) -> Any:
        return self.located.value


@dataclass
class Reading:
    desired: Desired = field(default_factory=Desired)
    problems: list[InputProblem] = field(default_factory=list)
    clients: dict[str, tuple[Source, dict[str, list[str]]]] = field(default_factory=dict)
    # name -> file, for messages
    files: dict[tuple[str, str], str] = field(default_factory=dict)

    def refuse(self, source: Source, path: JsonPath, message: str) -> None:
        dotted = ".".join(str(part) for part in path)
        self.problems.append(
            InputProblem(source.file, source.located.line_of(path), dotted, message)
        )


def read_directory(directory: Path, *, mappings: dict[str, str] | None = None) -> Reading:
    """The directory as specs; InvalidDirectory with every problem found."""
    reading = Reading()
    if not directory.is_dir():
        raise InvalidDirectory([InputProblem(str(directory), 1, "", "Not a directory.")])
    portal = portal_state()
    sources = {name: _load_all(reading, directory, pattern) for name, pattern in _PATTERNS.items()}
    sidecars = {_name_of(reading, s): s for s in sources["portal"]}
    for source in sources["connections"] + sources["databases"]:
        _read_connection(reading, source)
    for source in sources["organizations"]:
        _read_organization(reading, source, sidecars, portal)
    for source in sources["clients"]:
        _read_client(reading, source)
    for source in sources["roles"]:
        _read_role(reading, source, portal)
    _attribute_connections(reading, portal)
    _check_client_urls(reading)
    if reading.problems:
        raise InvalidDirectory(reading.problems)
    return reading


_PATTERNS = {
    "organizations": f"{layout.ORGANIZATIONS}/*.json",
    "portal": f"{layout.PORTAL}/*.json",
    "clients": f"{layout.CLIENTS}/*.json",
    "roles": f"{layout.ROLES}/*.json",
    "connections": f"{layout.CONNECTIONS}/*.json",
    "databases": f"{layout.DATABASES}/*/database.json",
}


def _load_all(reading: Reading, directory: Path, pattern: str) -> list[Source]:
    sources = []
    for path in sorted(directory.glob(pattern)):
        relative = path.relative_to(directory).as_posix()
        try:
            located = loads_with_lines(path.read_text(encoding="utf-8"))
        except JsonSyntaxError as exc:
            reading.problems.append(InputProblem(relative, exc.line, "", exc.message))
            continue
        except UnicodeDecodeError:
            reading.problems.append(InputProblem(relative, 1, "", "Not UTF-8 text."))
            continue
        source = Source(relative, located)
        if not isinstance(located.value, dict):
            reading.refuse(source, (), "Expected a JSON object.")
            continue
        sources.append(source)
    return sources


def _name_of(reading: Reading, source: Source) -> str:
    """A side file is named after its organization (it has no name field)."""
    return Path(source.file).stem


def _unknown(
    reading: Reading, source: Source, value: dict[str, Any], allowed: set[str], path: JsonPath = ()
) -> None:
    for key in sorted(set(value) - allowed):
        reading.refuse(source, (*path, key), "Unknown field.")


def _typed(
    reading: Reading, source: Source, path: JsonPath, value: Any, kind: type, what: str
) -> bool:
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        reading.refuse(source, path, f"Expected {what}.")
    return ok


def _string_list(reading: Reading, source: Source, path: JsonPath, value: Any) -> list[str]:
    if not _typed(reading, source, path, value, list, "a list of text values"):
        return []
    good = []
    for index, item in enumerate(value):
        if _typed(reading, source, (*path, index), item, str, "text"):
            good.append(item)
    return good


def _read_organization(
    reading: Reading, source: Source, sidecars: dict[str, Source], portal: Desired
) -> None:
    doc = source.value
    _unknown(reading, source, doc, ORG_FIELDS | ORG_EMPTY_FIELDS)
    for key in sorted(ORG_EMPTY_FIELDS & set(doc)):
        if doc[key] not in ([], None):
            reading.refuse(source, (key,), "The portal does not manage this: leave it empty.")
    name = doc.get("name")
    if not _typed(reading, source, ("name",), name, str, "the organization's short name"):
        return
    if Organization.objects.filter(name=name, is_staff_organization=True).exists():
        return  # the portal's own organization: in every export of the tenant, left alone
    try:
        organization_name_validator(name)
    except ValidationError as exc:
        reading.refuse(source, ("name",), " ".join(exc.messages))
        return
    if name in reading.desired.organizations:
        reading.refuse(
            source, ("name",), f"Organization '{name}' is also in {reading.files[('org', name)]}."
        )
        return
    reading.files[("org", name)] = source.file
    display_name = doc.get("display_name", name)
    _typed(reading, source, ("display_name",), display_name, str, "text")
    spec: Spec = {"display_name": display_name}
    spec.update(_branding(reading, source, doc.get("branding", {})))
    spec["metadata"] = _metadata(reading, source, doc.get("metadata", {}))
    links = _links(reading, source, ("connections",), doc.get("connections", []))
    existing = portal.organizations.get(name)
    sidecar = sidecars.get(name)
    spec.update(_side(reading, sidecar, existing, links))
    if spec["status"] == "suspended":
        if links:
            reading.refuse(
                source,
                ("connections",),
                "A suspended organization has no connections enabled in Auth0: "
                "list them under suspended_connections in its portal file.",
            )
    else:
        spec["connections"] = links
    reading.desired.organizations[name] = spec


def _branding(reading: Reading, source: Source, branding: Any) -> Spec:
    result = {"logo_url": "", "primary_color": "", "page_background_color": ""}
    if not _typed(reading, source, ("branding",), branding, dict, "an object"):
        return result
    _unknown(reading, source, branding, {"logo_url", "colors"}, ("branding",))
    logo = branding.get("logo_url", "")
    if _typed(reading, source, ("branding", "logo_url"), logo, str, "a URL"):
        if logo and not logo.startswith("https://"):
            reading.refuse(
                source, ("branding", "logo_url"), "The logo URL must start with https://."
            )
        result["logo_url"] = logo
    colors = branding.get("colors", {})
    if not _typed(reading, source, ("branding", "colors"), colors, dict, "an object"):
        return result
    _unknown(reading, source, colors, {"primary", "page_background"}, ("branding", "colors"))
    for key, target in (("primary", "primary_color"), ("page_background", "page_background_color")):
        value = colors.get(key, "")
        path = ("branding", "colors", key)
        if not _typed(reading, source, path, value, str, "a colour like #1a2b3c"):
            continue
        try:
            if value:
                hex_color_validator(value)
        except ValidationError as exc:
            reading.refuse(source, path, " ".join(exc.messages))
        result[target] = value
    if bool(result["primary_color"]) != bool(result["page_background_color"]):
        reading.refuse(source, ("branding", "colors"), "Give both brand colours, or neither.")
    return result


def _metadata(reading: Reading, source: Source, metadata: Any) -> dict[str, str]:
    if not _typed(reading, source, ("metadata",), metadata, dict, "an object of text values"):
        return {}
    result = {}
    for key, value in metadata.items():
        if key == "portal_id":
            continue  # the portal's own id for the row: written by export, never changed
        if _typed(reading, source, ("metadata", key), value, str, "text (at most 255 characters)"):
            if len(value) > 255:
                reading.refuse(source, ("metadata", key), "At most 255 characters.")
            result[key] = value
    if len(result) > 24:
        reading.refuse(source, ("metadata",), "At most 24 metadata keys.")
    return result


def _links(
    reading: Reading, source: Source, path: JsonPath, links: Any
) -> dict[str, dict[str, bool]]:
    result: dict[str, dict[str, bool]] = {}
    if not _typed(reading, source, path, links, list, "a list of connections"):
        return result
    for index, link in enumerate(links):
        here = (*path, index)
        if not _typed(reading, source, here, link, dict, "an object"):
            continue
        _unknown(reading, source, link, LINK_FIELDS, here)
        if link.get("is_enabled", True) is not True:
            reading.refuse(
                source, (*here, "is_enabled"), "The portal enables what it lists: remove the entry."
            )
        name = link.get("name")
        if not _typed(reading, source, (*here, "name"), name, str, "a connection name"):
            continue
        values = {}
        for flag, default in layout.FLAG_DEFAULTS.items():
            value = link.get(flag, default)
            if _typed(reading, source, (*here, flag), value, bool, "true or false"):
                values[flag] = value
            else:
                values[flag] = default
        strategy = _strategy_of(reading, name)
        if strategy is None:
            reading.refuse(
                source,
                (*here, "name"),
                f"No connection named '{name}' (in this directory or the portal).",
            )
            continue
        if name in result:
            reading.refuse(source, (*here, "name"), f"'{name}' is listed twice.")
        result[name] = link_flags(values, database=is_database(strategy))
    return result


def _strategy_of(reading: Reading, name: str) -> str | None:
    spec = reading.desired.connections.get(name)
    if spec is not None:
        return str(spec["strategy"])
    known = Connection.objects.filter(name=name, deleted_at=None).first()
    return known.strategy if known else None


def _side(
    reading: Reading,
    sidecar: Source | None,
    existing: Spec | None,
    links: dict[str, dict[str, bool]],
) -> Spec:
    if sidecar is None:
        if existing is not None:
            keep = ("membership_model", "status", "owned_connections", "application_urls")
            kept: Spec = {key: existing[key] for key in keep}
            if existing["status"] == "suspended":
                kept["connections"] = existing["connections"]
            return kept
        return {
            "membership_model": _guess_membership(reading, links),
            "status": "active",
            "owned_connections": None,
            "application_urls": {},
        }
    doc = sidecar.value
    _unknown(reading, sidecar, doc, PORTAL_FIELDS)
    side: Spec = {}
    model = doc.get("membership_model", MembershipModel.SHARED_DATABASE)
    if model not in MembershipModel.values:
        reading.refuse(
            sidecar, ("membership_model",), f"Use one of {', '.join(MembershipModel.values)}."
        )
    side["membership_model"] = model
    status = doc.get("status", "active")
    if status not in ("active", "suspended"):
        reading.refuse(sidecar, ("status",), "Use active or suspended.")
    side["status"] = status
    side["owned_connections"] = sorted(
        _string_list(reading, sidecar, ("owned_connections",), doc.get("owned_connections", []))
    )
    side["application_urls"] = _urls(reading, sidecar, doc.get("application_urls", {}))
    if status == "suspended":
        side["connections"] = _links(
            reading, sidecar, ("suspended_connections",), doc.get("suspended_connections", [])
        )
    elif "suspended_connections" in doc:
        reading.refuse(
            sidecar, ("suspended_connections",), "Only a suspended organization has these."
        )
    return side


def _guess_membership(reading: Reading, links: dict[str, dict[str, bool]]) -> str:
    from django.conf import settings

    if settings.AUTH0_SHARED_DB_CONNECTION in links:
        return MembershipModel.SHARED_DATABASE
    if any(is_database(str(reading.desired.connections.get(n, {}).get("strategy"))) for n in links):
        return MembershipModel.OWN_DATABASE
    return MembershipModel.ENTERPRISE_ONLY


def _urls(reading: Reading, source: Source, value: Any) -> dict[str, dict[str, list[str]]]:
    result: dict[str, dict[str, list[str]]] = {}
    if not _typed(
        reading,
        source,
        ("application_urls",),
        value,
        dict,
        "an object: application name -> URL lists",
    ):
        return result
    for app, kinds in value.items():
        here = ("application_urls", app)
        if not _typed(
            reading,
            source,
            here,
            kinds,
            dict,
            "an object: callbacks, allowed_logout_urls, web_origins",
        ):
            continue
        _unknown(reading, source, kinds, set(layout.URL_KINDS), here)
        urls = {
            kind: sorted(_string_list(reading, source, (*here, kind), kinds[kind]))
            for kind in layout.URL_KINDS
            if kind in kinds
        }
        urls = {kind: values for kind, values in urls.items() if values}
        if urls:
            result[app] = urls
    return result


def _read_connection(reading: Reading, source: Source) -> None:
    doc = source.value
    _unknown(reading, source, doc, CONNECTION_FIELDS | CONNECTION_PASSTHROUGH)
    name = doc.get("name")
    strategy = doc.get("strategy")
    if not _typed(reading, source, ("name",), name, str, "the connection's name"):
        return
    database = source.file.startswith(layout.DATABASES + "/")
    if database and strategy != "auth0":
        reading.refuse(source, ("strategy",), "A database connection has strategy auth0.")
        return
    from orgs.models.connections import Strategy

    if strategy not in Strategy.values or (not database and strategy == "auth0"):
        reading.refuse(source, ("strategy",), "Not a strategy the portal manages here.")
        return
    options = doc.get("options", {})
    if not _typed(reading, source, ("options",), options, dict, "an object"):
        options = {}
    options = _without_filled_in(name, strategy, options)
    display_name = doc.get("display_name") or name
    _typed(reading, source, ("display_name",), display_name, str, "text")
    flag = doc.get("is_domain_connection", False)
    _typed(reading, source, ("is_domain_connection",), flag, bool, "true or false")
    reading.files[("connection", name)] = source.file
    reading.desired.connections[name] = {
        "strategy": strategy,
        "display_name": display_name,
        "options": dict(options),
        "enabled_clients": sorted(
            _string_list(reading, source, ("enabled_clients",), doc.get("enabled_clients", []))
        ),
        "is_domain_connection": bool(flag),
        "organization": "",
        "_source": source,
    }


def _without_filled_in(name: str, strategy: str, options: dict[str, Any]) -> dict[str, Any]:
    filled_in = FILLED_IN_OPTIONS.get(strategy, {})
    known = Connection.objects.filter(name=name, deleted_at=None).first()
    set_by_portal = set(known.options) if known else set()
    return {
        key: value
        for key, value in options.items()
        if key in set_by_portal or key not in filled_in or filled_in[key] != value
    }


def _attribute_connections(reading: Reading, portal: Desired) -> None:
    """Who owns each connection file: its organization's side file; else the portal's
    record; else the one organization that enables it. Files no organization of the
    directory owns (the shared connection, the tenant's others) are not the portal's."""
    owners: dict[str, str] = {}
    for org, spec in reading.desired.organizations.items():
        if spec["owned_connections"] is None:
            spec["owned_connections"] = []
            continue
        for name in spec["owned_connections"]:
            owners[name] = org
    for name, spec in list(reading.desired.connections.items()):
        spec.pop("_source")
        owner = owners.get(name) or (portal.connections.get(name) or {}).get("organization", "")
        if not owner:
            enabling = [
                o
                for o, s in reading.desired.organizations.items()
                if name in s.get("connections", {})
            ]
            known = Connection.objects.filter(name=name).exists()
            owner = enabling[0] if len(enabling) == 1 and not known else ""
        if not owner or owner not in reading.desired.organizations:
            del reading.desired.connections[name]  # not one the portal manages in this directory
            continue
        spec["organization"] = owner
        owned = reading.desired.organizations[owner]["owned_connections"]
        if name not in owned:
            owned.append(name)
            owned.sort()


def _read_client(reading: Reading, source: Source) -> None:
    doc = source.value
    name = doc.get("name")
    if not _typed(reading, source, ("name",), name, str, "the application's name"):
        return
    arrays = {
        kind: _string_list(reading, source, (kind,), doc[kind])
        for kind in layout.URL_KINDS
        if kind in doc
    }
    reading.clients[name] = (source, arrays)


def _check_client_urls(reading: Reading) -> None:
    """deploy-cli sets a client's arrays from its file: every URL an organization
    contributes must be there too, or an import would drop it."""
    for org, spec in reading.desired.organizations.items():
        for app, kinds in spec["application_urls"].items():
            entry = reading.clients.get(app)
            if entry is None:
                reading.problems.append(
                    InputProblem(
                        reading.files[("org", org)],
                        1,
                        "",
                        f"{layout.client_file(app)} is missing: {org} puts URLs on it.",
                    )
                )
                continue
            source, arrays = entry
            for kind, urls in kinds.items():
                for url in urls:
                    if url not in arrays.get(kind, []):
                        reading.refuse(source, (kind,), f"Lacks {url}, which {org} puts on it.")


def _read_role(reading: Reading, source: Source, portal: Desired) -> None:
    doc = source.value
    _unknown(reading, source, doc, ROLE_FIELDS)
    name = doc.get("name")
    if not _typed(reading, source, ("name",), name, str, "the role's name"):
        return
    known = portal.roles.get(name)
    if known is None:
        reading.refuse(
            source,
            ("name",),
            "The portal does not create roles: create it in Auth0, then run the tenant import.",
        )
        return
    description = doc.get("description", "")
    if (
        _typed(reading, source, ("description",), description, str, "text")
        and description != known["description"]
    ):
        reading.refuse(
            source,
            ("description",),
            "The portal does not change roles: change it in Auth0, then run the tenant import.",
        )
    reading.desired.roles[name] = {"description": description}
