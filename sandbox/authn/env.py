"""What the login pages need from the core, gathered in one object.

Handlers in this package take an ``Env`` rather than the core's ``Call`` directly, so
the few core services they use (state, clock, signing key, log writer) are listed in
one place.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..config import SandboxConfig
from ..routing import Call
from ..state import State


class Env:
    def __init__(self, call: Call) -> None:
        self.call = call

    @property
    def state(self) -> State:
        return self.call.state

    @property
    def config(self) -> SandboxConfig:
        return self.call.config

    @property
    def base(self) -> str:
        return self.config.base_url.rstrip("/")

    @property
    def issuer(self) -> str:
        return self.config.issuer

    @property
    def userinfo_url(self) -> str:
        return self.base + "/userinfo"

    def now(self) -> float:
        return self.config.clock()

    def sign(self, claims: dict[str, Any]) -> str:
        return self.call.app.keys.sign(claims)

    def decode(self, token: str) -> dict[str, Any]:
        """Signature-checked claims; ValueError when the token does not verify."""
        return self.call.app.keys.decode(token)

    def write_log(self, type_: str, description: str = "", **fields: Any) -> None:
        # Login requests carry no bearer token, so the client comes from ``fields``.
        self.call.app.logs.write(type_, description, **fields)

    @property
    def session_secret(self) -> bytes:
        # Derived from the signing key: a restart from a snapshot keeps SSO sessions,
        # and a new key (fresh tenant) ends them.
        key = self.call.app.keys
        pem = self.state.signing_key.private_pem if self.state.signing_key else key.kid
        return hashlib.sha256(b"sandbox-session:" + pem.encode()).digest()
