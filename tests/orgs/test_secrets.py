"""orgs/secrets.py: what may be stored in plain text is an allow-list; the rest is encrypted."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.models.connections import Strategy
from orgs.secrets import decrypt_options, encrypt_options, split_secret_options

UNKNOWN_KEYS = ["api_key_custom", "private_key", "password", "signing_key", "clientSecret"]


@pytest.mark.parametrize("strategy", Strategy.values)
@pytest.mark.parametrize("key", UNKNOWN_KEYS)
def test_it_encrypts_an_option_it_does_not_know_in_every_strategy(strategy: str, key: str) -> None:
    plain, secret = split_secret_options({key: "s3cr3t", "domain_aliases": ["acme.com"]}, strategy)
    assert plain == {"domain_aliases": ["acme.com"]}
    assert secret == {key: "s3cr3t"}


@pytest.mark.parametrize(
    "strategy", [Strategy.OIDC, Strategy.ENTRA_ID, Strategy.GOOGLE_WORKSPACE, Strategy.OKTA]
)
def test_it_encrypts_the_client_secret_and_keeps_the_client_id_plain(strategy: str) -> None:
    plain, secret = split_secret_options({"client_id": "abc", "client_secret": "xyz"}, strategy)
    assert plain == {"client_id": "abc"}
    assert secret == {"client_secret": "xyz"}


@pytest.mark.parametrize(
    ("strategy", "options"),
    [
        (
            Strategy.SAML,
            {
                "signInEndpoint": "https://idp.example.com/sso",
                "signingCert": "MIIC...public",
                "domain_aliases": ["acme.com"],
            },
        ),
        (
            Strategy.OIDC,
            {
                "client_id": "abc",
                "discovery_url": "https://idp.example.com/.well-known/openid-configuration",
                "scope": "openid profile",
            },
        ),
        (Strategy.ENTRA_ID, {"client_id": "abc", "tenant_domain": "acme.onmicrosoft.com"}),
        (Strategy.DATABASE, {"disable_signup": True, "passwordPolicy": "good"}),
        (Strategy.PING, {"pingFederateBaseUrl": "https://ping.example.com", "signingCert": "MII"}),
    ],
)
def test_it_keeps_the_public_options_of_a_strategy_in_plain_text(
    strategy: str, options: dict[str, Any]
) -> None:
    assert split_secret_options(options, strategy) == (options, {})


def test_a_public_option_of_another_strategy_is_still_encrypted() -> None:
    # signingCert is a public certificate for SAML; on OIDC nobody vetted the name.
    plain, secret = split_secret_options({"signingCert": "x", "tenant_domain": "y"}, Strategy.OIDC)
    assert plain == {}
    assert secret == {"signingCert": "x", "tenant_domain": "y"}


def test_an_unknown_strategy_keeps_only_the_common_options_plain() -> None:
    plain, secret = split_secret_options({"client_id": "abc", "domain_aliases": []}, "custom")
    assert plain == {"domain_aliases": []}
    assert secret == {"client_id": "abc"}


def test_it_leaves_out_empty_secrets_but_keeps_false_and_zero() -> None:
    options = {"client_secret": "", "api_key_custom": None, "flag_custom": False, "n_custom": 0}
    _plain, secret = split_secret_options(options, Strategy.OKTA)
    assert secret == {"flag_custom": False, "n_custom": 0}


def test_options_survive_the_round_trip_and_no_secret_is_stored_in_plain_text() -> None:
    options = {
        "client_id": "abc",
        "client_secret": "xyz-secret",
        "private_key": "-----BEGIN PRIVATE KEY-----",
        "domain": "acme.okta.com",
    }
    plain, secret = split_secret_options(options, Strategy.OKTA)
    token = encrypt_options(secret)

    assert "xyz-secret" not in str(plain) and "PRIVATE KEY" not in str(plain)
    assert "xyz-secret" not in token and "PRIVATE KEY" not in token
    assert {**plain, **decrypt_options(token)} == options


def test_nothing_to_hide_is_stored_as_an_empty_string() -> None:
    assert encrypt_options({}) == ""
    assert decrypt_options("") == {}


def test_a_secret_stored_under_another_key_gives_a_clear_error(settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEY = "the-old-key"
    token = encrypt_options({"client_secret": "xyz"})
    settings.FIELD_ENCRYPTION_KEY = "the-new-key"

    with pytest.raises(ValueError, match="cannot be decrypted with the current key"):
        decrypt_options(token)
