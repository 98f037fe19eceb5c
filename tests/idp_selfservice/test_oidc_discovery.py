"""OIDC discovery: a usable provider is described back; anything else gets plain words.

The provider is a loopback server whose origin is in IDP_FETCH_ALLOWED_ORIGINS (as the
sandbox is in development), so documents travel through the real safe fetcher.
"""

from __future__ import annotations

import functools
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from idp_selfservice.errors import DiscoveryError
from idp_selfservice.fetching import fetch
from idp_selfservice.oidc_discovery import Discovery, discover, normalise_discovery_url
from tests.idp_selfservice._fetch_servers import FakeDns, RecordingServer, loopback_only, respond

WELL_KNOWN = "/.well-known/openid-configuration"
JWKS = {
    "keys": [
        {"kty": "RSA", "kid": "one", "use": "sig", "n": "0vx7", "e": "AQAB"},
        {"kty": "RSA", "kid": "two", "use": "sig", "n": "1vx7", "e": "AQAB"},
    ]
}


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    attempts: list[tuple[str, int]] = []
    monkeypatch.setattr(socket, "create_connection", loopback_only(attempts))
    return attempts


@pytest.fixture
def provider(settings) -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
        settings.IDP_FETCH_TIMEOUT = 5.0
        serve(server, configuration(server))
        server.routes["/tenant/jwks"] = json_route(JWKS)
        yield server


def issuer_of(server: RecordingServer) -> str:
    return server.url("/tenant")


def configuration(server: RecordingServer, **changes: Any) -> dict[str, Any]:
    issuer = issuer_of(server)
    document = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "scopes_supported": ["openid", "email", "profile"],
        "claims_supported": ["sub", "email", "given_name", "family_name"],
        "response_types_supported": ["code"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    document.update(changes)
    return {name: value for name, value in document.items() if value is not None}


def json_route(value: Any):
    return respond(json.dumps(value).encode(), content_type="application/json")


def serve(server: RecordingServer, document: Any) -> None:
    server.routes["/tenant" + WELL_KNOWN] = json_route(document)


def discovery_error(value: str, **kwargs: Any) -> str:
    with pytest.raises(DiscoveryError) as info:
        discover(value, **kwargs)
    return str(info.value)


def jwks_requested(server: RecordingServer) -> bool:
    return any(hit.path.endswith("/jwks") for hit in server.hits)


# --- A usable provider ----------------------------------------------------------------


def test_it_describes_a_good_provider(provider):
    found = discover(issuer_of(provider))

    issuer = issuer_of(provider)
    assert found == Discovery(
        discovery_url=issuer + WELL_KNOWN,
        issuer=issuer,
        authorization_endpoint=f"{issuer}/authorize",
        token_endpoint=f"{issuer}/oauth/token",
        jwks_uri=f"{issuer}/jwks",
        userinfo_endpoint=f"{issuer}/userinfo",
        scopes_supported=["openid", "email", "profile"],
        claims_supported=["sub", "email", "given_name", "family_name"],
        signing_algorithms=["RS256"],
        key_count=2,
        warnings=[],
    )


@pytest.mark.parametrize("suffix", ["/", WELL_KNOWN, WELL_KNOWN + "/"])
def test_it_accepts_the_issuer_or_the_discovery_url(provider, suffix):
    assert discover(issuer_of(provider) + suffix).issuer == issuer_of(provider)


def test_it_tolerates_a_trailing_slash_on_the_issuer(provider):
    serve(provider, configuration(provider, issuer=issuer_of(provider) + "/"))

    assert discover(issuer_of(provider)).issuer == issuer_of(provider) + "/"


def test_it_warns_about_what_may_not_work(provider):
    serve(
        provider,
        configuration(
            provider,
            scopes_supported=["openid"],
            claims_supported=["sub"],
            id_token_signing_alg_values_supported=["ES256", "none"],
            userinfo_endpoint=None,
        ),
    )

    warnings = discover(issuer_of(provider)).warnings

    assert "The provider does not list the 'email' scope." in warnings
    assert "The provider does not list the 'profile' scope." in warnings
    assert "The provider does not list the 'email' claim." in warnings
    assert any("RS256" in warning for warning in warnings)
    assert any("unsigned" in warning for warning in warnings)
    assert any("userinfo" in warning for warning in warnings)


def test_it_reads_through_the_safe_fetcher_it_is_given(settings):
    with RecordingServer() as server:
        origin = f"http://idp.test:{server.port}"
        settings.IDP_FETCH_ALLOWED_ORIGINS = [origin]
        document = {
            "issuer": origin,
            "authorization_endpoint": f"{origin}/authorize",
            "token_endpoint": f"{origin}/token",
            "jwks_uri": f"{origin}/jwks",
        }
        server.routes[WELL_KNOWN] = json_route(document)
        server.routes["/jwks"] = json_route(JWKS)
        dns = FakeDns({"idp.test": ["127.0.0.1"]})

        found = discover(origin, fetcher=functools.partial(fetch, resolver=dns))

    assert found.key_count == 2
    assert [hit.host for hit in server.hits] == [f"idp.test:{server.port}"] * 2


# --- Discovery URLs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://idp.example.com", "https://idp.example.com" + WELL_KNOWN),
        ("https://idp.example.com/", "https://idp.example.com" + WELL_KNOWN),
        ("  https://IDP.Example.com/tenant/ ", "https://idp.example.com/tenant" + WELL_KNOWN),
        ("https://idp.example.com" + WELL_KNOWN, "https://idp.example.com" + WELL_KNOWN),
        ("https://idp.example.com" + WELL_KNOWN + "/", "https://idp.example.com" + WELL_KNOWN),
        ("accounts.google.com", "https://accounts.google.com" + WELL_KNOWN),
        (
            "https://t.b2clogin.com/t.onmicrosoft.com/v2.0" + WELL_KNOWN + "?p=B2C_1_signin",
            "https://t.b2clogin.com/t.onmicrosoft.com/v2.0" + WELL_KNOWN + "?p=B2C_1_signin",
        ),
        ("https://idp.example.com/#fragment", "https://idp.example.com" + WELL_KNOWN),
    ],
)
def test_it_normalises_the_discovery_url(value, expected):
    assert normalise_discovery_url(value) == expected


@pytest.mark.parametrize("value", ["", "   ", "https://", "https://[::1"])
def test_it_refuses_what_is_not_an_address(value):
    with pytest.raises(DiscoveryError, match="not a web address"):
        normalise_discovery_url(value)


def test_it_refuses_a_discovery_url_at_an_internal_address(connections):
    message = discovery_error("https://169.254.169.254/latest")

    assert "internal address" in message
    assert connections == []


def test_it_refuses_a_plain_http_discovery_url(connections):
    assert discovery_error("http://idp.example.com") == "Only https:// addresses can be used."
    assert connections == []


# --- Documents that cannot be used ----------------------------------------------------


def test_it_refuses_a_mismatched_issuer(provider):
    serve(provider, configuration(provider, issuer="https://login.evil.example/tenant"))

    message = discovery_error(issuer_of(provider))

    assert "issuer is https://login.evil.example/tenant" in message
    assert f"read from {issuer_of(provider)}" in message
    assert not jwks_requested(provider)


def test_it_refuses_an_issuer_for_a_sub_path(provider):
    serve(provider, configuration(provider, issuer=provider.url("/tenant/other")))

    assert "must be the same" in discovery_error(issuer_of(provider))


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("token_endpoint", "token endpoint"),
        ("authorization_endpoint", "authorization endpoint"),
        ("userinfo_endpoint", "userinfo endpoint"),
        ("jwks_uri", "key set (jwks_uri)"),
    ],
)
def test_it_refuses_an_endpoint_that_is_not_https(provider, field, label):
    serve(provider, configuration(provider, **{field: f"http://idp.example.com/{field}"}))

    message = discovery_error(issuer_of(provider))

    assert (
        message
        == f"The provider's {label} is not an https:// address: http://idp.example.com/{field}"
    )
    assert not jwks_requested(provider)


@pytest.mark.parametrize(
    "field", ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"]
)
@pytest.mark.parametrize("value", [None, "", 42])
def test_it_refuses_a_document_missing_a_required_field(provider, field, value):
    document = configuration(provider)
    if value is None:
        del document[field]
    else:
        document[field] = value
    serve(provider, document)

    assert "The discovery document has no" in discovery_error(issuer_of(provider))
    assert f"({field})" in discovery_error(issuer_of(provider))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<html>Sign in</html>", "The provider's discovery document is not JSON."),
        (b"\xff\xfe\xfa", "The provider's discovery document is not JSON."),
        (b"[1, 2]", "The provider's discovery document is not a JSON object."),
        (b'"issuer"', "The provider's discovery document is not a JSON object."),
    ],
)
def test_it_refuses_a_document_that_is_not_a_json_object(provider, body, expected):
    provider.routes["/tenant" + WELL_KNOWN] = respond(body, content_type="text/html")

    assert discovery_error(issuer_of(provider)) == expected


def test_it_refuses_a_missing_discovery_document(provider):
    assert discovery_error(provider.url("/elsewhere")) == "The server answered 404."


def test_it_refuses_an_unreachable_key_set(provider):
    serve(provider, configuration(provider, jwks_uri=provider.url("/gone")))

    assert discovery_error(issuer_of(provider)) == (
        "We could not read the provider's signing keys: The server answered 404."
    )


def test_it_refuses_a_key_set_at_an_internal_address(provider, connections):
    serve(provider, configuration(provider, jwks_uri="https://10.0.0.1/jwks"))

    message = discovery_error(issuer_of(provider))

    assert message.startswith("We could not read the provider's signing keys:")
    assert "internal address" in message
    assert {address for address, _ in connections} == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("jwks", "expected"),
    [
        ({"keys": []}, "has no keys"),
        ({"keys": [{"kid": "no-kty"}, "junk"]}, "has no keys"),
        ({"keys": "none"}, "is not a JWK set"),
        ({}, "is not a JWK set"),
        ([], "is not a JSON object"),
    ],
)
def test_it_refuses_a_key_set_without_keys(provider, jwks, expected):
    provider.routes["/tenant/jwks"] = json_route(jwks)

    assert expected in discovery_error(issuer_of(provider))


def test_it_refuses_a_key_set_that_is_not_json(provider):
    provider.routes["/tenant/jwks"] = respond(b"<html/>")

    assert discovery_error(issuer_of(provider)) == "The provider's key set (jwks_uri) is not JSON."
