"""Login transactions and authorization codes, kept in the state's scratch space.

A transaction holds a validated ``/authorize`` request while the user is on the
login pages; its id is the ``state`` query parameter of ``/u/login`` as on Auth0's
Universal Login. Codes are single-use: taking one removes it.
"""

from __future__ import annotations

import secrets
from typing import Any

from ..state import State

NAMESPACE = "authn"
# A login page left open longer than this starts over (Auth0's transactions also expire).
TRANSACTION_TTL = 3600
# Authorization codes must be redeemed quickly; RFC 6749 recommends at most 10 minutes.
CODE_TTL = 600

Txn = dict[str, Any]


def _bucket(state: State, name: str) -> dict[str, Any]:
    space = state.ns(NAMESPACE)
    bucket: dict[str, Any] = space.setdefault(name, {})
    return bucket


def _prune(bucket: dict[str, Any], now: float) -> None:
    for key in [k for k, v in bucket.items() if v.get("expires_at", 0) <= now]:
        del bucket[key]


def new_transaction(state: State, params: Txn, now: float) -> Txn:
    bucket = _bucket(state, "transactions")
    _prune(bucket, now)
    txn = dict(params)
    txn["id"] = secrets.token_urlsafe(24)
    txn["expires_at"] = now + TRANSACTION_TTL
    bucket[txn["id"]] = txn
    return txn


def get_transaction(state: State, txn_id: str | None, now: float) -> Txn | None:
    if not txn_id:
        return None
    txn: Txn | None = _bucket(state, "transactions").get(txn_id)
    if txn is None or txn["expires_at"] <= now:
        return None
    return txn


def end_transaction(state: State, txn_id: str) -> None:
    _bucket(state, "transactions").pop(txn_id, None)


def new_code(state: State, grant: dict[str, Any], now: float, ttl: int = CODE_TTL) -> str:
    bucket = _bucket(state, "codes")
    _prune(bucket, now)
    code = secrets.token_urlsafe(32)
    bucket[code] = {**grant, "expires_at": now + ttl}
    return code


def take_code(state: State, code: str, now: float) -> dict[str, Any] | None:
    """The code's grant, removing it so a second use fails; None if unknown or expired."""
    grant: dict[str, Any] | None = _bucket(state, "codes").pop(code, None)
    if grant is None or grant["expires_at"] <= now:
        return None
    return grant
