"""Secret connection options (client secrets) are stored encrypted, never in plain text.

The key is derived from SECRET_KEY unless FIELD_ENCRYPTION_KEY is set; rotating either
makes stored secrets unreadable, so rotate by re-entering them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

SECRET_OPTION_KEYS = frozenset({"client_secret", "password", "signing_key"})


def _fernet() -> Fernet:
    material = getattr(settings, "FIELD_ENCRYPTION_KEY", "") or settings.SECRET_KEY
    key = base64.urlsafe_b64encode(hashlib.sha256(f"portal-fields:{material}".encode()).digest())
    return Fernet(key)


def split_secret_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    plain = {k: v for k, v in options.items() if k not in SECRET_OPTION_KEYS}
    secret = {k: v for k, v in options.items() if k in SECRET_OPTION_KEYS and v}
    return plain, secret


def encrypt_options(secret: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(secret).encode()).decode() if secret else ""


def decrypt_options(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        data: dict[str, Any] = json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ValueError(
            "Stored connection secrets cannot be decrypted with the current key; enter them again."
        ) from exc
    return data
