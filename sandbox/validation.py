"""A small JSON-schema subset that reports errors in Auth0's words.

Auth0 validates request bodies against schemas and answers 400 `invalid_body` with
messages like `Payload validation error: 'Missing required property: name'.` or
`... 'String is too long (51 chars), maximum 50' on property name.`. Route modules
describe their bodies with plain dicts (type, properties, required,
additionalProperties, minLength, maxLength, pattern, minimum, maximum, minItems,
maxItems, maxProperties, items, enum, format: "uri", "https-uri" or a FORMATS key) and call
`validate(body, SCHEMA)`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from .errors import bad_request

Schema = dict[str, Any]

_TYPE_NAMES = {
    "string": str,
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Named formats Auth0 checks by pattern; a miss reads "Object didn't pass validation
# for format <name>: <value>".
FORMATS: dict[str, re.Pattern[str]] = {
    "email": _EMAIL,
    "organization-name": re.compile(r"^[a-z0-9_-]+$"),
    "html-color": re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"),
    "hostname": re.compile(
        r"^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*"
        r"([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$"
    ),
}


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPE_NAMES[name])


def _fail(message: str, where: str) -> None:
    suffix = f" on property {where}" if where else ""
    raise bad_request(f"Payload validation error: '{message}'{suffix}.")


def validate(value: Any, schema: Schema, where: str = "") -> None:
    """Raise 400 invalid_body on the first violation, as Auth0 reports one at a time."""
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_is_type(value, n) for n in names):
            _fail(f"Expected type {names[0]} but found type {type_name(value)}", where)
    if "enum" in schema and value not in schema["enum"]:
        _fail(f"No enum match for: {value!r}".replace("'", '"'), where)
    if isinstance(value, str):
        _check_string(value, schema, where)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            _fail(f"Value {value} is less than minimum {schema['minimum']}", where)
        if "maximum" in schema and value > schema["maximum"]:
            _fail(f"Value {value} is greater than maximum {schema['maximum']}", where)
    elif isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            _fail(f"Array is too short ({len(value)}), minimum {schema['minItems']}", where)
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            _fail(f"Array is too long ({len(value)}), maximum {schema['maxItems']}", where)
        if "items" in schema:
            for index, item in enumerate(value):
                validate(item, schema["items"], f"{where}[{index}]" if where else f"[{index}]")
    elif isinstance(value, dict):
        _check_object(value, schema, where)


def _check_string(value: str, schema: Schema, where: str) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        _fail(f"String is too short ({len(value)} chars), minimum {schema['minLength']}", where)
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        _fail(f"String is too long ({len(value)} chars), maximum {schema['maxLength']}", where)
    if "pattern" in schema and not re.search(schema["pattern"], value):
        _fail(f"String does not match pattern {schema['pattern']}: {value}", where)
    fmt = schema.get("format")
    if fmt in FORMATS and not FORMATS[fmt].match(value):
        _fail(f"Object didn't pass validation for format {fmt}: {value}", where)
    if fmt in ("uri", "https-uri"):
        parsed = urlparse(value)
        if not parsed.scheme or not parsed.netloc:
            _fail("Object didn't pass validation for format absolute-uri: " + value, where)
        if fmt == "https-uri" and not https_or_local(value):
            _fail(
                "Object didn't pass validation for format absolute-https-uri-or-empty: " + value,
                where,
            )


def _check_object(value: dict[str, Any], schema: Schema, where: str) -> None:
    for name in schema.get("required", []):
        if name not in value:
            _fail(f"Missing required property: {name}", where)
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        _fail(
            f"Too many properties defined ({len(value)}), maximum {schema['maxProperties']}",
            where,
        )
    props: dict[str, Schema] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    if extra is False:
        unknown = [k for k in value if k not in props]
        if unknown:
            _fail(f"Additional properties not allowed: {','.join(unknown)}", where)
    for key, item in value.items():
        sub = props.get(key, extra if isinstance(extra, dict) else None)
        if sub is not None:
            validate(item, sub, f"{where}.{key}" if where else key)


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


def https_or_local(uri: str) -> bool:
    """Auth0 requires https for login URIs and logo URLs. The sandbox also accepts http
    on localhost/127.0.0.1 (a documented difference), so a dev stack needs no TLS."""
    parsed = urlparse(uri)
    if parsed.scheme == "https" and parsed.netloc:
        return True
    return parsed.scheme == "http" and (parsed.hostname or "") in LOCAL_HOSTS
