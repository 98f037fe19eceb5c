"""Control routes under /__sandbox__/ (no auth): faults, stats, reset, seed, state,
rate limits, test tokens, and the demo SaaS app's login redirect."""

from __future__ import annotations

import html
import secrets
from typing import Any
from urllib.parse import urlencode

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from .auth import mint_access_token
from .errors import bad_request, not_found
from .faults import parse_rule
from .routing import REGISTRY, Call, control_route, empty, html_response, json_response
from .seed import DEMO_APP_CLIENT_ID
from .snapshot import dump_state


@control_route("GET", "/")
def index(call: Call) -> Response:
    routes = sorted(
        {f"{' '.join(s.methods)} {s.template}" for s in REGISTRY if s.kind == "control"}
    )
    return json_response({"sandbox": call.config.base_url, "control_routes": routes})


# --- faults ----------------------------------------------------------------------------


@control_route("GET", "/faults")
def list_faults(call: Call) -> Response:
    return json_response({"faults": call.app.faults.describe()})


@control_route("POST", "/faults")
def add_fault(call: Call) -> Response:
    rule = call.app.faults.add(parse_rule(call.body_any()))
    return json_response(rule.public(), 201)


@control_route("DELETE", "/faults")
def clear_faults(call: Call) -> Response:
    call.app.faults.clear()
    return empty()


@control_route("DELETE", "/faults/<rule_id>")
def delete_fault(call: Call) -> Response:
    if not call.app.faults.remove(call.params["rule_id"]):
        raise not_found("No such fault rule")
    return empty()


# --- stats, state, reset, seed ---------------------------------------------------------


@control_route("GET", "/stats")
def stats(call: Call) -> Response:
    body = call.app.stats.describe()
    body["buckets"] = call.app.limiter.describe()["buckets"]
    return json_response(body)


@control_route("DELETE", "/stats")
def clear_stats(call: Call) -> Response:
    call.app.stats.clear()
    return empty()


@control_route("GET", "/state")
def state(call: Call) -> Response:
    return json_response(dump_state(call.state, include_secrets=False))


@control_route("POST", "/reset")
def reset(call: Call) -> Response:
    body = call.body()
    seed = body.get("seed")
    if seed is not None and not isinstance(seed, str):
        raise bad_request("seed must be a string or null")
    try:
        call.app.reset(seed)
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    return json_response({"reset": True, "seed": seed})


@control_route("POST", "/seed")
def seed(call: Call) -> Response:
    name = call.body().get("name", "demo")
    try:
        call.app.apply_seed(str(name))
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    return json_response({"seeded": name})


# --- rate limits -----------------------------------------------------------------------


@control_route("GET", "/ratelimits")
def get_ratelimits(call: Call) -> Response:
    return json_response(call.app.limiter.describe())


@control_route("POST", "/ratelimits")
def set_ratelimits(call: Call) -> Response:
    """`{"buckets": {"global": {"burst": 5, "rate": 1}}, "endpoint_buckets": false,
    "refill": true}`; `per_minute` may be given instead of `rate`."""
    body = call.body()
    limiter = call.app.limiter
    buckets = body.get("buckets", {})
    if not isinstance(buckets, dict):
        raise bad_request("buckets must be an object")
    for name, cfg in buckets.items():
        if name not in limiter.buckets or not isinstance(cfg, dict):
            raise bad_request(f"unknown bucket {name!r} (known: {', '.join(limiter.buckets)})")
        burst = _positive(cfg.get("burst"), "burst")
        rate = _positive(cfg.get("rate"), "rate")
        per_minute = _positive(cfg.get("per_minute"), "per_minute")
        if per_minute is not None:
            rate = per_minute / 60
        limiter.configure(name, None if burst is None else int(burst), rate)
    if "endpoint_buckets" in body:
        limiter.enabled_endpoints = bool(body["endpoint_buckets"])
    if body.get("refill"):
        limiter.refill_all()
    return json_response(limiter.describe())


def _positive(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise bad_request(f"{name} must be a non-negative number")
    return float(value)


# --- tenant log entries ----------------------------------------------------------------

# What a test may set on an entry it writes: LogEntry's fields (log_id and date are the
# log writer's, so checkpoint paging sees them in write order like every other entry).
_LOG_TEXT_FIELDS = (
    "description",
    "client_id",
    "client_name",
    "ip",
    "user_agent",
    "user_id",
    "user_name",
    "connection",
    "connection_id",
    "organization_id",
    "organization_name",
)
MAX_LOG_ENTRIES_PER_CALL = 1000


@control_route("POST", "/logs")
def add_log_entries(call: Call) -> Response:
    """Write tenant log entries, as Auth0 would for events the sandbox does not produce
    (`api_limit_warning`, `limit_wc`, `fu` from elsewhere...).

    Body: one entry `{"type": "f", "description": "...", "user_name": "...", "details":
    {...}}` or `{"entries": [...]}` (at most 1,000). Answers 201 with the entries as
    `/api/v2/logs` returns them.
    """
    body = call.body()
    entries = body.get("entries", [body])
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_LOG_ENTRIES_PER_CALL:
        raise bad_request(f"entries must be a list of 1 to {MAX_LOG_ENTRIES_PER_CALL} objects")
    checked = [_log_entry_fields(entry) for entry in entries]
    written = [call.app.logs.write(type_, **fields).to_api() for type_, fields in checked]
    return json_response(written, 201)


def _log_entry_fields(entry: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(entry, dict):
        raise bad_request("a log entry is a JSON object")
    unknown = set(entry) - {"type", "details", *_LOG_TEXT_FIELDS}
    if unknown:
        raise bad_request(f"unknown log entry fields: {sorted(unknown)}")
    type_ = entry.get("type")
    if not isinstance(type_, str) or not type_:
        raise bad_request("type must be a log event code such as 'f' or 'api_limit'")
    fields: dict[str, Any] = {}
    for name in _LOG_TEXT_FIELDS:
        value = entry.get(name)
        if value is not None and not isinstance(value, str):
            raise bad_request(f"{name} must be a string")
        if value is not None:
            fields[name] = value
    details = entry.get("details")
    if details is not None and not isinstance(details, dict):
        raise bad_request("details must be an object")
    fields["details"] = details or {}
    return type_, fields


# --- test tokens -----------------------------------------------------------------------


@control_route("POST", "/token")
def test_token(call: Call) -> Response:
    """Mint a Management API token with exactly these scopes (for 403/401 tests).

    Body: `{"client_id": "...", "scopes": ["read:organizations"], "expires_in": 60}`.
    """
    body = call.body()
    scopes = body.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise bad_request("scopes must be a list of strings")
    client_id = str(body.get("client_id", "sandbox-test"))
    token, lifetime = mint_access_token(call, client_id, scopes)
    if "expires_in" in body:
        lifetime = int(body["expires_in"])
        claims = call.app.keys.decode(token)
        claims["exp"] = claims["iat"] + lifetime
        token = call.app.keys.sign(claims)
    return json_response({"access_token": token, "expires_in": lifetime, "token_type": "Bearer"})


# --- the demo SaaS app -----------------------------------------------------------------


@control_route("GET", "/demo-app/")
def demo_app_home(call: Call) -> Response:
    login = f"{call.config.base_url}/__sandbox__/demo-app/login"
    return html_response(
        "<!doctype html><title>Demo SaaS App</title><h1>Demo SaaS App</h1>"
        f'<p><a href="{html.escape(login)}">Log in</a></p>'
    )


@control_route("GET", "/demo-app/login")
def demo_app_login(call: Call) -> Response:
    """The demo app's `initiate_login_uri`: start an authorization request at /authorize,
    passing `invitation`, `organization` and `organization_name` through, so invitation
    links land on the accept-invitation page."""
    base = call.config.base_url
    params = {
        "response_type": "code",
        "client_id": DEMO_APP_CLIENT_ID,
        "redirect_uri": f"{base}/__sandbox__/demo-app/callback",
        "scope": "openid profile email",
        "state": secrets.token_urlsafe(12),
    }
    for key in ("invitation", "organization", "organization_name", "connection"):
        value = call.args.get(key)
        if value:
            params[key] = value
    return redirect(f"{base}/authorize?{urlencode(params)}", code=302)


@control_route("GET", "/demo-app/callback")
def demo_app_callback(call: Call) -> Response:
    error = call.args.get("error")
    if error:
        message = f"{error}: {call.args.get('error_description', '')}"
        return html_response(
            f"<!doctype html><title>Demo SaaS App</title><h1>Sign-in failed</h1>"
            f"<p>{html.escape(message)}</p>",
            400,
        )
    code = call.args.get("code", "")
    return html_response(
        "<!doctype html><title>Demo SaaS App</title><h1>Signed in to Demo SaaS App</h1>"
        f'<p>Authorization code: <code id="code">{html.escape(code)}</code></p>'
    )
