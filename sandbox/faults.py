"""Fault injection: rules that make matching requests fail the way networks and Auth0 do.

A rule matches a method (or "*") and a Python regex searched in the request path. It
fires on every match, or with a `probability` (seeded RNG, so runs replay), optionally
skipping the first `after` matches and firing at most `times` times. Actions:

- `status`: answer `status` with an Auth0-shaped body, without running the handler;
- `delay`: wait `delay` seconds, then handle the request normally;
- `drop`: close the connection without any response;
- `apply_then_fail`: run the handler (the change happens), then answer `status` (500 by
  default) or, with `"then": "drop"`, drop the connection: the lost-response case.

Any action may carry a `delay` too, waited before it acts.
"""

from __future__ import annotations

import contextlib
import random
import re
import socket
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, NoReturn

from .errors import SandboxError, bad_request
from .state import new_id

ACTIONS = ("status", "delay", "drop", "apply_then_fail")


@dataclass
class FaultRule:
    id: str
    action: str = "status"
    method: str = "*"
    path: str = ".*"
    status: int = 500
    delay: float = 0.0
    then: str = "status"
    probability: float | None = None
    times: int | None = None
    after: int = 0
    message: str | None = None
    matched: int = 0
    fired: int = 0
    _pattern: re.Pattern[str] = field(default=re.compile(".*"), repr=False)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_pattern")
        return data


def parse_rule(data: Any) -> FaultRule:
    """Validate a rule from the control API; 400 with a plain message when it is wrong."""
    if not isinstance(data, dict):
        raise bad_request("a fault rule is a JSON object")
    allowed = {"action", "method", "path", "status", "delay", "then"}
    allowed |= {"probability", "times", "after", "message"}
    unknown = set(data) - allowed
    if unknown:
        raise bad_request(f"unknown fault rule fields: {sorted(unknown)}")
    rule = FaultRule(id=new_id("fault", 8))
    rule.action = str(data.get("action", "status"))
    if rule.action not in ACTIONS:
        raise bad_request(f"action must be one of {', '.join(ACTIONS)}")
    rule.method = str(data.get("method", "*")).upper()
    rule.path = str(data.get("path", ".*"))
    try:
        rule._pattern = re.compile(rule.path)
    except re.error as exc:
        raise bad_request(f"path is not a valid regular expression: {exc}") from None
    rule.status = _number(data, "status", int, 500, 100, 599)
    rule.delay = _number(data, "delay", float, 0.0, 0.0, 120.0)
    rule.then = str(data.get("then", "status"))
    if rule.then not in ("status", "drop"):
        raise bad_request("then must be 'status' or 'drop'")
    if data.get("probability") is not None:
        rule.probability = _number(data, "probability", float, 1.0, 0.0, 1.0)
    if data.get("times") is not None:
        rule.times = _number(data, "times", int, 1, 1, 10**9)
    rule.after = _number(data, "after", int, 0, 0, 10**9)
    rule.message = data.get("message")
    return rule


def _number(data: dict[str, Any], key: str, kind: type, default: Any, lo: float, hi: float) -> Any:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{key} must be a number")
    value = kind(value)
    if not lo <= value <= hi:
        raise bad_request(f"{key} must be between {lo} and {hi}")
    return value


class FaultInjector:
    def __init__(self, seed: int) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self.rules)
            self.rules = [r for r in self.rules if r.id != rule_id]
            return len(self.rules) != before

    def clear(self, seed: int | None = None) -> None:
        with self._lock:
            self.rules = []
            if seed is not None:
                self._rng.seed(seed)

    def pick(self, method: str, path: str) -> FaultRule | None:
        """The first rule that fires for this request (counting matches as it goes)."""
        with self._lock:
            for rule in self.rules:
                if rule.method not in ("*", method) or not rule._pattern.search(path):
                    continue
                rule.matched += 1
                if rule.matched <= rule.after:
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
        return None

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.public() for r in self.rules]


def fault_error(rule: FaultRule) -> SandboxError:
    status = rule.status
    if status == 429:
        return SandboxError(
            429, rule.message or "Global limit has been reached", "too_many_requests"
        )
    return SandboxError(status, rule.message or _default_message(status))


def _default_message(status: int) -> str:
    from .errors import reason

    return reason(status)


class DroppedConnection(ConnectionResetError):
    """Raised under a real server after the socket is shut: Werkzeug then stays silent."""


def drop_connection(environ: dict[str, Any]) -> NoReturn:
    """End the exchange with no response at all.

    Under Werkzeug's server the socket is shut down and a ConnectionError raised, which
    the server treats as a client that went away (nothing is written). In process
    (httpx.WSGITransport) there is no socket, so raise the error httpx itself raises
    when a server closes the connection early, and the caller sees a transport error.
    """
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        raise DroppedConnection("sandbox fault: connection dropped")
    import httpx

    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
