"""A small JSON-schema subset with Auth0's validation messages.

Auth0 validates Management API bodies and query strings against JSON schemas and answers
`400 invalid_body` (or `invalid_query_string`) with messages such as
`Payload validation error: 'String is too long (129 chars), maximum 128' on property name.`
The sandbox must not depend on jsonschema at run time (a dev-only package), so the handful
of keywords our routes need are implemented here, with the same wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sandbox.errors import SandboxError, bad_request, invalid_query

Schema = Mapping[str, Any]

_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), "object")


def _type_ok(value: Any, expected: str) -> bool:
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return type_name(value) == expected


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


def is_https_or_loopback(value: str) -> bool:
    """https, or plain http to this machine.

    Auth0 demands https for login routes and IdP endpoints. The sandbox also takes http
    for localhost and 127.0.0.1 (a documented difference) so a dev stack can point
    connections and `initiate_login_uri` at local servers without certificates.
    """
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if not host:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and host in LOOPBACK_HOSTS


def _is_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*"
    r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)

_FORMATS: dict[str, Any] = {
    "email": lambda v: bool(EMAIL_RE.match(v)),
    "uri": _is_url,
    "url": _is_url,
    "absolute-uri": _is_url,
    "strict-uri": _is_url,
    "absolute-uri-or-empty": lambda v: v == "" or _is_url(v),
    "https-url": is_https_or_loopback,
    "absolute-https-uri-or-empty": lambda v: v == "" or is_https_or_loopback(v),
    "absolute-https-uri-with-placeholders-or-empty": lambda v: (
        v == "" or is_https_or_loopback(v.replace("{", "").replace("}", ""))
    ),
    "hostname": lambda v: bool(HOSTNAME_RE.match(v)),
}


def _format_error(fmt: str, value: Any) -> str | None:
    predicate = _FORMATS.get(fmt)
    if predicate is None or not isinstance(value, str) or predicate(value):
        return None
    return f"Object didn't pass validation for format {fmt}: {value}"


def check(value: Any, schema: Schema, path: str = "") -> tuple[str, str] | None:
    """The first violation as (message, property path), or None."""
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else list(types)
        if not any(_type_ok(value, t) for t in allowed):
            shown = "/".join(allowed)
            return f"Expected type {shown} but found type {type_name(value)}", path
    if value is None:
        return None
    if "enum" in schema and value not in schema["enum"]:
        return f'No enum match for: "{value}"' if isinstance(value, str) else (
            f"No enum match for: {value}"
        ), path
    if isinstance(value, str):
        return _check_string(value, schema, path)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"Value {value} is less than minimum {schema['minimum']}", path
        if "maximum" in schema and value > schema["maximum"]:
            return f"Value {value} is greater than maximum {schema['maximum']}", path
    if isinstance(value, list):
        return _check_array(value, schema, path)
    if isinstance(value, dict):
        return _check_object(value, schema, path)
    return None


def _check_string(value: str, schema: Schema, path: str) -> tuple[str, str] | None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        return f"String is too short ({len(value)} chars), minimum {schema['minLength']}", path
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return f"String is too long ({len(value)} chars), maximum {schema['maxLength']}", path
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return f"String does not match pattern {schema['pattern']}: {value}", path
    if "format" in schema:
        problem = _format_error(schema["format"], value)
        if problem:
            return problem, path
    return None


def _check_array(value: list[Any], schema: Schema, path: str) -> tuple[str, str] | None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        return f"Array is too short ({len(value)}), minimum {schema['minItems']}", path
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return f"Array is too long ({len(value)}), maximum {schema['maxItems']}", path
    if schema.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
        return "Array items are not unique", path
    items = schema.get("items")
    if items:
        for index, item in enumerate(value):
            found = check(item, items, f"{path}[{index}]")
            if found:
                return found
    return None


def _check_object(value: dict[str, Any], schema: Schema, path: str) -> tuple[str, str] | None:
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        count, limit = len(value), schema["maxProperties"]
        return f"Too many properties defined ({count}), maximum {limit}", path
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        count, limit = len(value), schema["minProperties"]
        return f"Too few properties defined ({count}), minimum {limit}", path
    for name in schema.get("required", ()):
        if name not in value:
            return f"Missing required property: {name}", path
    props: Mapping[str, Schema] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    if extra is False:
        unknown = [k for k in value if k not in props]
        if unknown:
            return f"Additional properties not allowed: {','.join(unknown)}", path
    for key, item in value.items():
        sub = props.get(key)
        if sub is None and isinstance(extra, Mapping):
            sub = extra
        if sub is not None:
            found = check(item, sub, f"{path}.{key}" if path else key)
            if found:
                return found
    return None


def validation_message(kind: str, message: str, path: str) -> str:
    where = f" on property {path}" if path else ""
    return f"{kind} validation error: '{message}'{where}."


def validate_body(body: Any, schema: Schema) -> dict[str, Any]:
    """Return the body when it passes, else raise Auth0's `400 invalid_body`."""
    found = check(body, schema)
    if found:
        raise bad_request(validation_message("Payload", *found))
    if not isinstance(body, dict):
        raise bad_request("Payload validation error: 'Expected type object'.")
    return body


def body_error(message: str, path: str = "") -> SandboxError:
    return bad_request(validation_message("Payload", message, path))


def query_error(message: str, path: str = "") -> SandboxError:
    return invalid_query(validation_message("Query", message, path))


def validate_query(query: Mapping[str, Any], schema: Schema) -> None:
    found = check(dict(query), schema)
    if found:
        raise query_error(*found)
