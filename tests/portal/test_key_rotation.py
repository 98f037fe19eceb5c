"""Rotating secrets without downtime: FIELD_ENCRYPTION_KEYS with `rotate_encryption_key`,
and the M2M client secret with AUTH0_MGMT_CLIENT_SECRET_PREVIOUS (against the sandbox)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orgs.auth0 import tokens
from orgs.auth0.errors import Auth0Error
from orgs.models import Connection
from orgs.secrets import decrypt_options, encrypt_options, rotated
from tests.factories import ConnectionFactory

ROOT = Path(__file__).resolve().parents[2]
KEY_A, KEY_B, KEY_C = "the-old-key-a", "the-new-key-b", "a-key-nobody-has-c"
SECRET = {"client_secret": "idp-client-secret"}


def _stored(settings: Any, *, keys: list[str], names: list[str]) -> list[Connection]:
    settings.FIELD_ENCRYPTION_KEYS = keys
    return [
        ConnectionFactory(name=name, strategy="oidc", encrypted_secrets=encrypt_options(SECRET))
        for name in names
    ]


def _rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_encryption_key", *args, stdout=out)
    return out.getvalue()


def _ciphertexts() -> dict[int, str]:
    return dict(Connection.objects.values_list("pk", "encrypted_secrets"))


# --- FIELD_ENCRYPTION_KEYS ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_secret_written_under_the_old_key_reads_once_the_new_key_is_added_first(
    settings: Any,
) -> None:
    (connection,) = _stored(settings, keys=[KEY_A], names=["oidc-a"])

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    assert decrypt_options(connection.encrypted_secrets) == SECRET
    # New writes already use the new key.
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    assert decrypt_options(encrypt_options(SECRET)) == SECRET


@pytest.mark.django_db
def test_the_command_moves_every_secret_to_the_new_key_so_the_old_one_can_go(
    settings: Any,
) -> None:
    _stored(settings, keys=[KEY_A], names=["oidc-a", "oidc-b", "oidc-c"])
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    report = _rotate("--batch-size", "2")

    assert "orgs.Connection.encrypted_secrets: 3 re-encrypted, 0 already on the newest key" in (
        report
    )
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]  # the old key removed
    assert all(decrypt_options(token) == SECRET for token in _ciphertexts().values())


@pytest.mark.django_db
def test_a_dry_run_counts_and_changes_nothing(settings: Any) -> None:
    _stored(settings, keys=[KEY_A], names=["oidc-a", "oidc-b"])
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    before = _ciphertexts()

    report = _rotate("--dry-run")

    assert "[dry run] orgs.Connection.encrypted_secrets: 2 re-encrypted" in report
    assert _ciphertexts() == before
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(ValueError, match="cannot be decrypted"):
        decrypt_options(next(iter(before.values())))


@pytest.mark.django_db
def test_running_again_only_does_what_is_left(settings: Any) -> None:
    first, *_ = _stored(settings, keys=[KEY_A], names=["oidc-a", "oidc-b", "oidc-c"])
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    # A run that stopped after one row (or a secret re-entered since the deploy).
    Connection.objects.filter(pk=first.pk).update(
        encrypted_secrets=rotated(first.encrypted_secrets)
    )
    done_before = Connection.objects.get(pk=first.pk).encrypted_secrets

    assert "2 re-encrypted, 1 already on the newest key, 0 unreadable" in _rotate()
    assert Connection.objects.get(pk=first.pk).encrypted_secrets == done_before
    assert "0 re-encrypted, 3 already on the newest key, 0 unreadable" in _rotate()


@pytest.mark.django_db
def test_a_secret_no_key_opens_is_reported_and_left_as_it_is(settings: Any) -> None:
    (lost,) = _stored(settings, keys=[KEY_C], names=["oidc-lost"])
    _stored(settings, keys=[KEY_A], names=["oidc-a"])
    ConnectionFactory(name="no-secrets", strategy="oidc", encrypted_secrets="")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    with pytest.raises(CommandError, match=rf"keep every old key.*\[{lost.pk}\]"):
        _rotate()

    assert Connection.objects.get(pk=lost.pk).encrypted_secrets == lost.encrypted_secrets
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    assert decrypt_options(Connection.objects.get(name="oidc-a").encrypted_secrets) == SECRET


@pytest.mark.django_db
def test_the_single_key_form_still_works_and_joins_a_rotation(settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.FIELD_ENCRYPTION_KEY = KEY_A
    (connection,) = _stored(settings, keys=[], names=["oidc-a"])

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    _rotate()
    settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_ENCRYPTION_KEY = [KEY_B], ""

    assert decrypt_options(Connection.objects.get(pk=connection.pk).encrypted_secrets) == SECRET


def test_settings_refuse_a_key_list_that_leaves_out_the_single_key(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PORTAL_VAR_DIR": str(tmp_path),
        "FIELD_ENCRYPTION_KEY": KEY_A,
        "FIELD_ENCRYPTION_KEYS": KEY_B,
    }
    done = subprocess.run(
        [sys.executable, "-c", "import portal.settings"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is not in FIELD_ENCRYPTION_KEYS" in done.stderr


# --- the M2M client secret ---------------------------------------------------------------------

M2M_CLIENT = "sandbox-portal-m2m"
SEEDED_SECRET = "sandbox-portal-m2m-secret"
NEW_SECRET = "a-new-m2m-secret-chosen-by-the-operator"


def _admin(tenant: Any) -> httpx.Client:
    """The Auth0 administrator's Management API client (dashboard stand-in)."""
    minted = tenant.control(
        "POST", "/token", json={"client_id": "admin", "scopes": ["update:client_keys"]}
    )
    return httpx.Client(
        base_url=f"{tenant.url}/api/v2",
        headers={"Authorization": f"Bearer {minted['access_token']}"},
        timeout=10,
    )


def _fresh_token() -> str:
    tokens.invalidate()
    return tokens.management_token()


def _assert_secrets_not_logged(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    for record in caplog.records:
        for secret in secrets:
            assert secret not in record.getMessage()


def test_a_secret_auth0_does_not_take_yet_falls_back_to_the_previous_one(
    tenant: Any, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.AUTH0_MGMT_CLIENT_SECRET = NEW_SECRET
    settings.AUTH0_MGMT_CLIENT_SECRET_PREVIOUS = SEEDED_SECRET

    with caplog.at_level(logging.WARNING, logger="orgs.auth0.tokens"):
        assert _fresh_token()

    (warning,) = [r for r in caplog.records if r.name == "orgs.auth0.tokens"]
    assert warning.levelno == logging.WARNING
    assert "AUTH0_MGMT_CLIENT_SECRET_PREVIOUS" in warning.getMessage()
    _assert_secrets_not_logged(caplog, NEW_SECRET, SEEDED_SECRET)

    # Auth0 now holds the new secret: the first try works, nothing to warn about.
    with _admin(tenant) as admin:
        admin.patch(f"/clients/{M2M_CLIENT}", json={"client_secret": NEW_SECRET}).raise_for_status()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="orgs.auth0.tokens"):
        assert _fresh_token()
    assert not [r for r in caplog.records if r.name == "orgs.auth0.tokens"]


def test_after_auth0_rotates_the_secret_the_new_one_with_the_old_as_fallback_works(
    tenant: Any, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with _admin(tenant) as admin:
        response = admin.post(f"/clients/{M2M_CLIENT}/rotate-secret")
    response.raise_for_status()
    rotated_secret = response.json()["client_secret"]

    # The old secret stops working (in the sandbox at once; Auth0 says within 30 s).
    settings.AUTH0_MGMT_CLIENT_SECRET = SEEDED_SECRET
    settings.AUTH0_MGMT_CLIENT_SECRET_PREVIOUS = ""
    with pytest.raises(Auth0Error) as refused:
        _fresh_token()
    assert refused.value.status == 401 and refused.value.code == "access_denied"
    assert SEEDED_SECRET not in str(refused.value)

    settings.AUTH0_MGMT_CLIENT_SECRET = rotated_secret
    settings.AUTH0_MGMT_CLIENT_SECRET_PREVIOUS = SEEDED_SECRET
    with caplog.at_level(logging.WARNING, logger="orgs.auth0.tokens"):
        assert _fresh_token()
    assert not [r for r in caplog.records if r.name == "orgs.auth0.tokens"]


def test_when_neither_secret_is_taken_the_current_one_s_refusal_is_raised(
    tenant: Any, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.AUTH0_MGMT_CLIENT_SECRET = NEW_SECRET
    settings.AUTH0_MGMT_CLIENT_SECRET_PREVIOUS = "an-even-older-secret"

    with pytest.raises(Auth0Error) as refused:
        _fresh_token()

    assert refused.value.status == 401 and not refused.value.retryable
    fetches = tenant.control("GET", "/stats")["routes"]["POST /oauth/token"]
    assert sum(fetches.values()) == 2  # the current secret, then the previous one once
    _assert_secrets_not_logged(caplog, NEW_SECRET, "an-even-older-secret")
