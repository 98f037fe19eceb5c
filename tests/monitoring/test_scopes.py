"""The table of Management API calls behind REQUIRED_SCOPES stays true to the code: every
`management_client()...` call in the source is listed, every listed route exists in the
sandbox (which follows Auth0's reference) and needs the scope the table names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orgs.monitoring.scopes import GATEWAY_CALLS, REQUIRED_SCOPES
from sandbox import create_app
from sandbox.routing import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("orgs", "idp_selfservice", "portal")
DIRECT = re.compile(r"management_client\(\)\.([\w.]+)\(")
HELD = re.compile(r"(\w+) = management_client\(\)\.([\w.]+)\s*$", re.MULTILINE)


def _functions(text: str) -> list[str]:
    """The module split at top-level definitions: a held sub-client is used in its own."""
    return re.split(r"\n(?=def |class |@)", text)


def calls_in_source() -> set[str]:
    found: set[str] = set()
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for chunk in _functions(path.read_text()):
                found |= set(DIRECT.findall(chunk))
                for name, chain in HELD.findall(chunk):
                    uses = re.findall(rf"\b{name}\.([\w.]+)\(", chunk)
                    found |= {f"{chain}.{use}" for use in uses}
    return found


def test_the_source_scan_finds_the_portals_calls() -> None:
    found = calls_in_source()
    # One of each way a call is written: direct, through a held sub-client, nested.
    assert {
        "organizations.create",
        "organizations.enabled_connections.add",
        "organizations.discovery_domains.list",
        "connections.scim_configuration.tokens.create",
    } <= found


def test_every_call_in_the_source_is_in_the_table() -> None:
    listed = {call.sdk for call in GATEWAY_CALLS if call.sdk}
    missing = sorted(calls_in_source() - listed)
    assert missing == [], f"add these to orgs/monitoring/scopes.py GATEWAY_CALLS: {missing}"


def _pattern(path: str) -> str:
    return re.sub(r"<[^>]+>|\{[^}]+\}", "*", path)


@pytest.fixture(scope="module")
def sandbox_routes() -> dict[tuple[str, str], tuple[str, ...]]:
    create_app(base_url="http://scopes.test", seed=None)  # registers every route module
    routes: dict[tuple[str, str], tuple[str, ...]] = {}
    for spec in REGISTRY:
        if spec.kind == "mgmt":
            for method in spec.methods:
                routes[(method, _pattern(spec.rule.removeprefix("/api/v2")))] = spec.scopes
    return routes


@pytest.mark.parametrize("call", GATEWAY_CALLS, ids=lambda c: f"{c.method} {c.path}")
def test_each_listed_route_needs_the_scope_named(
    call: object, sandbox_routes: dict[tuple[str, str], tuple[str, ...]]
) -> None:
    method, path, scope = call.method, call.path, call.scope  # type: ignore[attr-defined]
    accepted = sandbox_routes.get((method, _pattern(path)))
    assert accepted is not None, f"the sandbox has no route {method} {path}"
    assert scope in accepted


def test_each_sdk_method_exists_on_the_client() -> None:
    from orgs.auth0.client import management_client

    client = management_client()
    for call in GATEWAY_CALLS:
        target: object = client
        for part in call.sdk.split(".") if call.sdk else ():
            target = getattr(target, part)
        assert callable(target) or not call.sdk, call.sdk


def test_required_scopes_are_the_tables_scopes_once_each() -> None:
    assert list(REQUIRED_SCOPES) == sorted({c.scope for c in GATEWAY_CALLS})
