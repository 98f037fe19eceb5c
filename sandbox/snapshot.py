"""JSON snapshots of the state: load at start, save after changes and at shutdown."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import types
import typing
from pathlib import Path
from typing import Any

from .state import PERSISTED, State


def dump_state(state: State, include_secrets: bool = True) -> dict[str, Any]:
    """Everything persisted, as JSON-ready data (also the `/__sandbox__/state` body)."""
    with state.lock:
        out = {name: _plain(getattr(state, name)) for name in PERSISTED}
    if not include_secrets:
        out.pop("signing_key", None)
    return out


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def load_into(state: State, data: dict[str, Any]) -> None:
    hints = typing.get_type_hints(State)
    with state.lock:
        state.clear(keep_signing_key=False)
        for name in PERSISTED:
            if name in data:
                setattr(state, name, _build(hints[name], data[name]))


def _build(tp: Any, value: Any) -> Any:
    """Rebuild a value of type `tp` (dataclasses nested in dicts/lists/optionals)."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        # `X | None`: build as the non-None member.
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(inner[0], value) if len(inner) == 1 else value
    if origin is dict:
        _, val_tp = typing.get_args(tp)
        return {k: _build(val_tp, v) for k, v in value.items()}
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        return [_build(item_tp, v) for v in value]
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        kwargs = {k: _build(hints[k], v) for k, v in value.items() if k in names}
        return tp(**kwargs)
    return value


def save(state: State, path: str) -> None:
    """Atomic write: a crash mid-save leaves the previous snapshot intact."""
    data = dump_state(state)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1)  # unsorted: dict order is creation order
    os.replace(tmp, target)


def load(state: State, path: str) -> bool:
    target = Path(path)
    if not target.exists():
        return False
    load_into(state, json.loads(target.read_text()))
    return True
