"""The SSO session cookie, signed so the browser cannot forge another user's session.

The cookie is stateless (a signed JSON payload) on purpose: a state reset or a
restart from a snapshot needs no session table, and a cookie naming a user who no
longer exists is simply ignored by the caller.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

# Auth0's own session cookie is called ``auth0``; using the same name keeps browser
# devtools sessions recognisable to people who know Auth0.
COOKIE_NAME = "auth0"
# Auth0's default inactivity timeout is 3 days; the absolute lifetime 30 days.
DEFAULT_MAX_AGE = 3 * 24 * 3600


@dataclass(frozen=True)
class Session:
    user_id: str
    auth_time: int
    connection: str
    sid: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest())


def encode(secret: bytes, session: Session, *, now: int | None = None) -> str:
    issued = int(time.time()) if now is None else now
    payload = {
        "u": session.user_id,
        "t": session.auth_time,
        "c": session.connection,
        "s": session.sid,
        "iat": issued,
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_mac(secret, body)}"


def decode(
    secret: bytes, value: str | None, *, max_age: int = DEFAULT_MAX_AGE, now: int | None = None
) -> Session | None:
    """Return the session, or None for a missing, tampered or stale cookie."""
    if not value or "." not in value:
        return None
    body, _, mac = value.partition(".")
    if not hmac.compare_digest(_mac(secret, body), mac):
        return None
    try:
        payload: Any = json.loads(_unb64(body))
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    current = int(time.time()) if now is None else now
    issued = payload.get("iat")
    if not isinstance(issued, int) or current - issued > max_age:
        return None
    fields = (payload.get("u"), payload.get("t"), payload.get("c"), payload.get("s"))
    user_id, auth_time, connection, sid = fields
    if not (
        isinstance(user_id, str)
        and isinstance(auth_time, int)
        and isinstance(connection, str)
        and isinstance(sid, str)
    ):
        return None
    return Session(user_id=user_id, auth_time=auth_time, connection=connection, sid=sid)
