"""Connection options are stored encrypted unless they are known to be public.

Which options hold secrets is decided by an allow-list: the options of each strategy that
may be kept in plain text (endpoints, public certificates, domains, client ids, flags).
Anything else, `client_secret` and every option we do not know, is encrypted: a new or
misspelled secret option then costs a decryption, never a leak.

The keys are FIELD_ENCRYPTION_KEYS (newest first), else FIELD_ENCRYPTION_KEY, else
SECRET_KEY. The newest encrypts and any decrypts (MultiFernet), so a key is rotated without
downtime: add the new one first in the list, deploy, run `manage.py rotate_encryption_key`
(orgs/key_rotation.py), remove the old one, deploy (docs/operations.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from orgs.models.connections import Strategy

# Public in every strategy that has them.
_COMMON_PLAIN = frozenset({"domain_aliases"})
# The options of ../shared/auth0/NOTES.md "Important options by strategy", minus secrets.
PLAIN_OPTION_KEYS: dict[str, frozenset[str]] = {
    Strategy.DATABASE: frozenset(
        {
            "disable_signup",
            "requires_username",
            "brute_force_protection",
            "passwordPolicy",
            "password_complexity_options",
            "password_history",
            "password_no_personal_info",
            "password_dictionary",
        }
    ),
    Strategy.SAML: frozenset(
        {
            "signInEndpoint",
            "signOutEndpoint",
            "signingCert",  # the identity provider's public certificate
            "signSAMLRequest",
            "signatureAlgorithm",
            "digestAlgorithm",
            "protocolBinding",
            "metadataUrl",
            "metadataXml",
            "fieldsMap",
            "user_id_attribute",
            "idpinitiated",
            "debug",
            "entityId",
        }
    ),
    Strategy.OIDC: frozenset(
        {
            "client_id",
            "type",
            "discovery_url",
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "userinfo_endpoint",
            "scope",
            "attribute_map",
        }
    ),
    Strategy.ENTRA_ID: frozenset(
        {"client_id", "tenant_domain", "waad_protocol", "identity_api", "useCommonEndpoint"}
    ),
    Strategy.GOOGLE_WORKSPACE: frozenset({"client_id", "domain", "tenant_domain"}),
    Strategy.OKTA: frozenset({"client_id", "domain", "scope"}),
    Strategy.ADFS: frozenset({"adfs_server", "fedMetadataXml", "entityId", "user_id_attribute"}),
    Strategy.PING: frozenset(
        {
            "pingFederateBaseUrl",
            "signingCert",
            "signInEndpoint",
            "fieldsMap",
            "user_id_attribute",
            "idpinitiated",
            "entityId",
        }
    ),
}


def key_materials() -> list[str]:
    """The configured keys, newest first: what each Fernet key is derived from."""
    keys = [key for key in getattr(settings, "FIELD_ENCRYPTION_KEYS", []) if key]
    return keys or [getattr(settings, "FIELD_ENCRYPTION_KEY", "") or settings.SECRET_KEY]


def _derived(material: str) -> Fernet:
    # Any string will do as a key: the Fernet key is its hash, under a label of its own.
    key = base64.urlsafe_b64encode(hashlib.sha256(f"portal-fields:{material}".encode()).digest())
    return Fernet(key)


def _fernet() -> MultiFernet:
    return MultiFernet([_derived(material) for material in key_materials()])


def newest_fernet() -> Fernet:
    """The key new ciphertext is written with (what rotation moves everything to)."""
    return _derived(key_materials()[0])


def rotated(token: str) -> str:
    """`token` re-encrypted with the newest key; InvalidToken when no key opens it."""
    return _fernet().rotate(token.encode()).decode()


def is_plain_option(strategy: str, key: str) -> bool:
    """Whether option `key` of a `strategy` connection may be stored in plain text."""
    return key in _COMMON_PLAIN or key in PLAIN_OPTION_KEYS.get(strategy, frozenset())


def split_secret_options(
    options: dict[str, Any], strategy: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(plain, secret): the allow-listed options, and the rest to encrypt.

    An empty secret (None or "") means "not entered" and is left out; any other value of
    an unknown option, False and 0 included, is kept (encrypted) so it is not lost.
    """
    plain = {k: v for k, v in options.items() if is_plain_option(strategy, k)}
    secret = {
        k: v
        for k, v in options.items()
        if not is_plain_option(strategy, k) and v is not None and v != ""
    }
    return plain, secret


def encrypt_options(secret: dict[str, Any]) -> str:
    """The Fernet token to store for `secret` ("" when there is nothing to hide)."""
    return _fernet().encrypt(json.dumps(secret).encode()).decode() if secret else ""


def decrypt_options(token: str) -> dict[str, Any]:
    """The options `encrypt_options` stored; ValueError when the key has changed since."""
    if not token:
        return {}
    try:
        data: dict[str, Any] = json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ValueError(
            "Stored connection secrets cannot be decrypted with the current keys; enter them again."
        ) from exc
    return data


def encrypt_bytes(data: bytes) -> str:
    """The Fernet token to store for `data` (uploaded files, exports: personal data)."""
    return _fernet().encrypt(data).decode()


def decrypt_bytes(token: str) -> bytes:
    """What `encrypt_bytes` stored; ValueError when no configured key opens it."""
    try:
        return _fernet().decrypt(token.encode())
    except InvalidToken as exc:
        raise ValueError("the stored data cannot be read with the configured keys") from exc
