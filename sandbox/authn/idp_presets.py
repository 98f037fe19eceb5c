"""Per-connection defaults for the stand-in IdP page, set through control routes.

``PUT /__sandbox__/idp/<connection>`` presets what the page shows (NameID, attribute
rows, the failure to simulate), so tests and browser journeys press "Sign in" without
typing. ``DELETE`` clears it; ``GET`` without ``state`` reads it (``GET`` with ``state``
is the page itself, see ``enterprise.py``). Presets live in the state's scratch space:
cleared by ``/__sandbox__/reset``, never written to snapshots (like fault rules).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..errors import bad_request
from ..routing import Call, control_route, empty, json_response
from ..state import JSON, State
from .standin_idp import FAILURES

NAMESPACE = "standin_idp"
_KEYS = ("subject", "attributes", "failure")


def _presets(state: State) -> dict[str, JSON]:
    bucket: dict[str, JSON] = state.ns(NAMESPACE).setdefault("presets", {})
    return bucket


def get_preset(state: State, connection: str) -> JSON:
    """``{subject, attributes, failure}`` for the connection (None where unset)."""
    stored = _presets(state).get(connection, {})
    return {key: stored.get(key) for key in _KEYS}


def parse_preset(body: JSON) -> JSON:
    unknown = sorted(set(body) - set(_KEYS))
    if unknown:
        raise bad_request(f"unknown field {unknown[0]!r} (known: {', '.join(_KEYS)})")
    subject = body.get("subject")
    if subject is not None and not isinstance(subject, str):
        raise bad_request("subject must be a string")
    failure = body.get("failure")
    if failure is not None and failure not in FAILURES:
        raise bad_request(f"failure must be one of: {', '.join(FAILURES)}")
    attributes = _attributes(body.get("attributes"))
    return {"subject": subject, "attributes": attributes, "failure": failure}


def _attributes(value: Any) -> JSON | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("attributes must be an object of name: value or [values]")
    for name, item in value.items():
        items = item if isinstance(item, list) else [item]
        if not name or not all(isinstance(v, str) for v in items):
            raise bad_request(f"attribute {name!r} must be a string or a list of strings")
    return dict(value)


def preset_response(state: State, connection: str) -> Response:
    return json_response({"connection": connection, **get_preset(state, connection)})


@control_route("PUT", "/idp/<connection>")
def put_preset(call: Call) -> Response:
    connection = call.params["connection"]
    _presets(call.state)[connection] = parse_preset(call.body())
    return preset_response(call.state, connection)


@control_route("DELETE", "/idp/<connection>")
def delete_preset(call: Call) -> Response:
    _presets(call.state).pop(call.params["connection"], None)
    return empty()
