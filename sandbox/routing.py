"""The route registry shared by every sandbox module, and the per-request `Call`.

Modules register handlers at import time with `@mgmt_route` (Management API, under
`/api/v2`, bearer token and scope checked, rate limited, `sapi`/`fapi` logged),
`@route` (anything else: login pages, /oauth/token, discovery) or `@control_route`
(under `/__sandbox__`, no auth, no faults). `create_app` imports every module in
`sandbox.mgmt` and `sandbox.authn`, so a new file there is picked up without wiring.

Paths use Werkzeug rule syntax: `/organizations/<id>`, `/x/<path:rest>`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from .errors import bad_request, forbidden, invalid_query
from .state import JSON, Email, LogEntry, State

if TYPE_CHECKING:
    from .app import SandboxApp
    from .auth import AccessToken
    from .config import SandboxConfig

API_PREFIX = "/api/v2"
CONTROL_PREFIX = "/__sandbox__"

Handler = Callable[["Call"], Response]


@dataclass(frozen=True)
class RouteSpec:
    methods: tuple[str, ...]
    rule: str  # full Werkzeug rule, prefix included
    handler: Handler
    kind: str  # "mgmt" | "plain" | "control"
    scopes: tuple[str, ...] = ()  # any one of these grants access (Auth0's "any of")
    description: str = ""
    # Whether the app serialises this handler on the state lock. Pages that only render
    # (or wait, like a simulated IdP) can opt out; anything touching state must not.
    locked: bool = True

    @property
    def template(self) -> str:
        """`/api/v2/organizations/{id}`: the OpenAPI-style name used in stats."""
        return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", self.rule)


REGISTRY: list[RouteSpec] = []


def _methods(method: str | Iterable[str]) -> tuple[str, ...]:
    items = [method] if isinstance(method, str) else list(method)
    return tuple(m.upper() for m in items)


def route(
    method: str | Iterable[str], path: str, *, locked: bool = True
) -> Callable[[Handler], Handler]:
    """A plain route at `path` (no bearer check, no rate limit, faults apply)."""

    def register(fn: Handler) -> Handler:
        REGISTRY.append(RouteSpec(_methods(method), path, fn, "plain", locked=locked))
        return fn

    return register


def mgmt_route(
    method: str | Iterable[str],
    path: str,
    *,
    scope: str | Iterable[str],
    description: str = "",
) -> Callable[[Handler], Handler]:
    """A Management API route; `path` is relative to /api/v2; `scope` is any-of."""
    scopes = (scope,) if isinstance(scope, str) else tuple(scope)

    def register(fn: Handler) -> Handler:
        REGISTRY.append(
            RouteSpec(_methods(method), API_PREFIX + path, fn, "mgmt", scopes, description)
        )
        return fn

    return register


def control_route(method: str | Iterable[str], path: str) -> Callable[[Handler], Handler]:
    """A control route; `path` is relative to /__sandbox__ (use "" for the index)."""

    def register(fn: Handler) -> Handler:
        REGISTRY.append(RouteSpec(_methods(method), CONTROL_PREFIX + path, fn, "control"))
        return fn

    return register


def declared_scopes() -> set[str]:
    return {s for spec in REGISTRY if spec.kind == "mgmt" for s in spec.scopes}


# --- responses -------------------------------------------------------------------------


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


def empty(status: int = 204) -> Response:
    return Response(b"", status=status)


def html_response(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type="text/html; charset=utf-8")


# --- the request context ---------------------------------------------------------------


class Call:
    """One request as a handler sees it: the app, the request, path params, the token."""

    def __init__(
        self, app: SandboxApp, request: Request, spec: RouteSpec, params: dict[str, str]
    ) -> None:
        self.app = app
        self.request = request
        self.spec = spec
        self.params = params
        self.token: AccessToken | None = None
        self._body: Any = _UNSET

    @property
    def state(self) -> State:
        return self.app.state

    @property
    def config(self) -> SandboxConfig:
        return self.app.config

    def now(self) -> float:
        return self.app.config.clock()

    # Bodies ---------------------------------------------------------------------------

    def body_any(self) -> Any:
        """The JSON (or form) body as sent; 400 invalid_body when it does not parse."""
        if self._body is _UNSET:
            self._body = self._parse_body()
        return self._body

    def body(self) -> JSON:
        """The body, which must be a JSON object (Auth0's validation message otherwise)."""
        data = self.body_any()
        if not isinstance(data, dict):
            raise bad_request(
                f"Payload validation error: 'Expected type object but found type "
                f"{_json_type(data)}'."
            )
        return data

    def _parse_body(self) -> Any:
        req = self.request
        if req.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return dict(req.form.items())
        raw = req.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request("Invalid request payload JSON format") from exc

    # Query string ---------------------------------------------------------------------

    @property
    def args(self) -> MultiDict[str, str]:
        return self.request.args

    def query_int(
        self, name: str, default: int | None = None, *, minimum: int = 0, maximum: int | None = None
    ) -> int | None:
        raw = self.request.args.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise invalid_query(
                f"Query validation error: 'Expected type integer but found type string' "
                f"on property {name}."
            ) from None
        if value < minimum:
            raise invalid_query(
                f"Query validation error: 'Value {value} is less than minimum {minimum}' "
                f"on property {name}."
            )
        if maximum is not None and value > maximum:
            raise invalid_query(
                f"Query validation error: 'Value {value} is greater than maximum {maximum}' "
                f"on property {name}."
            )
        return value

    def query_bool(self, name: str, default: bool = False) -> bool:
        raw = self.request.args.get(name)
        if raw is None or raw == "":
            return default
        if raw.lower() in ("true", "1"):
            return True
        if raw.lower() in ("false", "0"):
            return False
        raise invalid_query(
            f"Query validation error: 'Expected type boolean but found type string' "
            f"on property {name}."
        )

    # Scopes, logs, email ----------------------------------------------------------------

    def has_scope(self, scope: str) -> bool:
        return self.token is not None and scope in self.token.scopes

    def require_scope(self, *any_of: str) -> None:
        """An extra scope check inside a handler (e.g. `fields=roles` on members)."""
        if not any(self.has_scope(s) for s in any_of):
            raise forbidden(f"Insufficient scope, expected any of: {','.join(any_of)}")

    def log(self, type_: str, description: str = "", **fields: Any) -> LogEntry:
        """Append a tenant log entry with this request's ip, user agent and client."""
        fields.setdefault("ip", self.request.remote_addr)
        fields.setdefault("user_agent", self.request.user_agent.string or None)
        if self.token is not None:
            fields.setdefault("client_id", self.token.client_id)
        return self.app.logs.write(type_, description, **fields)

    def send_email(
        self, to: str, subject: str, text: str, html: str, kind: str = "", **meta: Any
    ) -> Email:
        return self.app.outbox.send(to, subject, text, html, kind=kind, **meta)


class _Unset:
    pass


_UNSET: Any = _Unset()


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "object"
