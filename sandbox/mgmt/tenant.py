"""Tenant checks the portal's operations run: `/emails/provider` and `/log-streams`.

`GET /emails/provider` is 404 until a provider is configured (Auth0's built-in provider
is for testing only and does not count), and returns only `name` and `enabled` unless
`fields` asks for more. Credentials are write-only except the non-secret SMTP/SES keys.
`GET /log-streams` is a plain array; `POST /log-streams` answers 200, as documented.
"""

from __future__ import annotations

import secrets

from werkzeug.wrappers import Response

from sandbox.errors import SandboxError, conflict, not_found
from sandbox.routing import Call, empty, json_response, mgmt_route
from sandbox.state import JSON, LogStream

from .schema_check import Schema, body_error, validate_body

PROVIDERS = ["mailgun", "mandrill", "sendgrid", "resend", "ses", "sparkpost", "smtp",
             "azure_cs", "ms365", "custom"]  # fmt: skip
# Credentials each provider cannot work without (Auth0's anyOf branches, simplified).
REQUIRED_CREDENTIALS = {
    "mailgun": ("api_key",),
    "mandrill": ("api_key",),
    "sendgrid": ("api_key",),
    "resend": ("api_key",),
    "sparkpost": ("api_key",),
    "ses": ("accessKeyId", "secretAccessKey", "region"),
    "smtp": ("smtp_host", "smtp_port", "smtp_user", "smtp_pass"),
}
# The only credential keys Auth0 ever returns.
VISIBLE_CREDENTIALS = ("api_user", "region", "smtp_host", "smtp_port", "smtp_user")
DEFAULT_PROVIDER_FIELDS = ("name", "enabled")

_PROVIDER_PROPS: dict[str, Schema] = {
    "name": {"type": "string", "enum": PROVIDERS},
    "enabled": {"type": "boolean"},
    "default_from_address": {"type": "string"},
    "credentials": {"type": "object"},
    "settings": {"type": ["object", "null"]},
}
PROVIDER_CREATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "credentials"],
    "properties": _PROVIDER_PROPS,
}
PROVIDER_UPDATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": _PROVIDER_PROPS,
}

STREAM_TYPES = ["http", "eventbridge", "eventgrid", "datadog", "splunk", "sumo", "segment",
                "mixpanel"]  # fmt: skip
_STREAM_PROPS: dict[str, Schema] = {
    "name": {"type": "string"},
    "type": {"type": "string", "enum": STREAM_TYPES},
    "isPriority": {"type": "boolean"},
    "filters": {"type": "array", "items": {"type": "object"}},
    "pii_config": {"type": "object"},
    "sink": {"type": "object"},
    "startFrom": {"type": "string"},
    "status": {"type": "string", "enum": ["active", "paused", "suspended"]},
}
STREAM_CREATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "sink"],
    "properties": {k: v for k, v in _STREAM_PROPS.items() if k != "status"},
}
STREAM_UPDATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {k: v for k, v in _STREAM_PROPS.items() if k not in ("type", "startFrom")},
}
MAX_LOG_STREAMS = 10


def provider_not_configured() -> SandboxError:
    return not_found("Email provider has not been configured.", "inexistent_email_provider")


def render_provider(provider: JSON) -> JSON:
    out: JSON = {"name": provider["name"], "enabled": provider.get("enabled", True)}
    if provider.get("default_from_address"):
        out["default_from_address"] = provider["default_from_address"]
    credentials = provider.get("credentials") or {}
    out["credentials"] = {k: credentials[k] for k in VISIBLE_CREDENTIALS if k in credentials}
    if provider.get("settings"):
        out["settings"] = provider["settings"]
    return out


def _check_credentials(provider: JSON) -> None:
    credentials = provider.get("credentials") or {}
    for key in REQUIRED_CREDENTIALS.get(provider["name"], ()):
        if key not in credentials:
            raise body_error(f"Missing required property: {key}", "credentials")


@mgmt_route(
    "GET", "/emails/provider", scope="read:email_provider", description="Get email provider"
)
def get_provider(call: Call) -> Response:
    provider = call.state.email_provider
    if provider is None:
        raise provider_not_configured()
    out = render_provider(provider)
    raw = call.args.get("fields")
    include = call.query_bool("include_fields", True)
    wanted = {f.strip() for f in raw.split(",") if f.strip()} if raw else None
    if wanted is None:
        out = {k: v for k, v in out.items() if k in DEFAULT_PROVIDER_FIELDS}
    elif include:
        out = {k: v for k, v in out.items() if k in wanted}
    else:
        out = {k: v for k, v in out.items() if k not in wanted}
    return json_response(out)


@mgmt_route(
    "POST",
    "/emails/provider",
    scope="create:email_provider",
    description="Configure email provider",
)
def create_provider(call: Call) -> Response:
    body = validate_body(call.body_any(), PROVIDER_CREATE)
    if call.state.email_provider is not None:
        raise conflict("Email provider is already configured.", "email_provider_conflict")
    provider = {"enabled": True, **body}
    _check_credentials(provider)
    call.state.email_provider = provider
    return json_response(render_provider(provider), 201)


@mgmt_route(
    "PATCH", "/emails/provider", scope="update:email_provider", description="Update email provider"
)
def update_provider(call: Call) -> Response:
    current = call.state.email_provider
    if current is None:
        raise provider_not_configured()
    body = validate_body(call.body_any(), PROVIDER_UPDATE)
    provider = {**current, **body}
    _check_credentials(provider)
    call.state.email_provider = provider
    return json_response(render_provider(provider))


@mgmt_route(
    "DELETE", "/emails/provider", scope="delete:email_provider", description="Delete email provider"
)
def delete_provider(call: Call) -> Response:
    if call.state.email_provider is None:
        raise provider_not_configured()
    call.state.email_provider = None
    return empty(204)


# --- log streams ---------------------------------------------------------------------


def render_stream(stream: LogStream) -> JSON:
    out: JSON = {
        "id": stream.id,
        "name": stream.name,
        "type": stream.type,
        "status": stream.status,
        "sink": dict(stream.sink),
    }
    if stream.filters:
        out["filters"] = list(stream.filters)
    return out


def get_stream(call: Call) -> LogStream:
    stream = call.state.log_streams.get(call.params["id"])
    if stream is None:
        raise not_found("The log stream does not exist", "inexistent_log_stream")
    return stream


@mgmt_route("GET", "/log-streams", scope="read:log_streams", description="Get log streams")
def list_streams(call: Call) -> Response:
    return json_response([render_stream(s) for s in call.state.log_streams.values()])


@mgmt_route("POST", "/log-streams", scope="create:log_streams", description="Create a log stream")
def create_stream(call: Call) -> Response:
    body = validate_body(call.body_any(), STREAM_CREATE)
    streams = call.state.log_streams
    if len(streams) >= MAX_LOG_STREAMS:
        raise conflict(
            "You have reached the maximum number of log streams for your account.",
            "too_many_log_streams",
        )
    stream = LogStream(
        id="lst_" + secrets.token_hex(8),
        name=body.get("name") or f"{body['type']} stream",
        type=body["type"],
        sink=dict(body["sink"]),
        filters=list(body.get("filters") or []),
    )
    streams[stream.id] = stream
    return json_response(render_stream(stream), 200)


@mgmt_route(
    "GET", "/log-streams/<id>", scope="read:log_streams", description="Get log stream by ID"
)
def get_stream_route(call: Call) -> Response:
    return json_response(render_stream(get_stream(call)))


@mgmt_route(
    "PATCH", "/log-streams/<id>", scope="update:log_streams", description="Update a log stream"
)
def update_stream(call: Call) -> Response:
    stream = get_stream(call)
    body = validate_body(call.body_any(), STREAM_UPDATE)
    if "name" in body:
        stream.name = body["name"]
    if "status" in body:
        stream.status = body["status"]
    if "filters" in body:
        stream.filters = list(body["filters"])
    if "sink" in body:
        stream.sink = {**stream.sink, **body["sink"]}
    return json_response(render_stream(stream))


@mgmt_route(
    "DELETE", "/log-streams/<id>", scope="delete:log_streams", description="Delete log stream"
)
def delete_stream(call: Call) -> Response:
    stream = get_stream(call)
    del call.state.log_streams[stream.id]
    return empty(204)
