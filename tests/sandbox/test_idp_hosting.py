"""Hosted stand-in SAML IdP metadata (rotatable certificates) and the stand-in OIDC
provider's discovery document."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography import x509
from defusedxml import ElementTree

from sandbox import SandboxApp
from sandbox.mgmt.connection_options import parse_idp_metadata

from .conftest import START, http_client

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
ROOT = "http://sandbox.test/__sandbox__/idp-metadata/acme-okta"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def published(http: httpx.Client, key: str = "acme-okta") -> tuple[Any, list[str]]:
    """The parsed metadata and the SHA-256 fingerprints of its signing certificates."""
    response = http.get(f"/__sandbox__/idp-metadata/{key}.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    prints = []
    for descriptor in root.iter(MD + "KeyDescriptor"):
        assert descriptor.get("use") == "signing"
        text = descriptor.findtext(f".//{DS}X509Certificate") or ""
        prints.append(hashlib.sha256(base64.b64decode(text)).hexdigest())
    return root, prints


def test_create_serves_idp_metadata(http: httpx.Client) -> None:
    created = http.post("/__sandbox__/idp-metadata", json={"key": "acme-okta", "days": 365})
    assert created.status_code == 201
    body = created.json()
    assert body["entity_id"] == ROOT and body["metadata_url"] == ROOT + ".xml"
    assert body["sso_url"] == ROOT + "/sso"
    (cert,) = body["certificates"]
    root, prints = published(http)
    assert root.tag == MD + "EntityDescriptor" and root.get("entityID") == ROOT
    idp = root.find(MD + "IDPSSODescriptor")
    assert idp is not None and root.find(MD + "SPSSODescriptor") is None
    sso = {(s.get("Binding"), s.get("Location")) for s in idp.findall(MD + "SingleSignOnService")}
    assert sso == {(REDIRECT, ROOT + "/sso"), (POST, ROOT + "/sso")}
    assert idp.find(MD + "SingleLogoutService") is not None
    assert prints == [cert["fingerprint_sha256"]]
    parsed = x509.load_pem_x509_certificate(cert["pem"].encode())
    assert parsed.not_valid_after_utc - parsed.not_valid_before_utc == dt.timedelta(days=365)
    assert parsed.not_valid_before_utc.timestamp() == pytest.approx(START, abs=1)
    assert (
        hashlib.sha1(base64.b64decode(cert["cert"]), usedforsecurity=False).hexdigest()
        == (cert["thumbprint_sha1"])
    )
    # The sandbox's own connection parser reads it like any IdP's metadata.
    options = parse_idp_metadata(http.get(body["metadata_url"]).text)
    assert options["signInEndpoint"] == ROOT + "/sso"
    assert http.get(ROOT + "/sso").status_code == 200


def test_rotate_publishes_a_second_certificate_then_retire_drops_the_oldest(
    http: httpx.Client,
) -> None:
    first = http.post("/__sandbox__/idp-metadata", json={"key": "acme-okta"}).json()
    old = first["certificates"][0]["fingerprint_sha256"]
    rotated = http.post("/__sandbox__/idp-metadata/acme-okta/rotate", json={"days": 730})
    assert rotated.status_code == 200
    new = rotated.json()["certificates"][1]["fingerprint_sha256"]
    assert new != old
    assert published(http)[1] == [old, new]
    listed = http.get("/__sandbox__/idp-metadata/acme-okta").json()
    assert [c["fingerprint_sha256"] for c in listed["certificates"]] == [old, new]
    retired = http.post("/__sandbox__/idp-metadata/acme-okta/retire")
    assert [c["fingerprint_sha256"] for c in retired.json()["certificates"]] == [new]
    assert published(http)[1] == [new]
    last = http.post("/__sandbox__/idp-metadata/acme-okta/retire")
    assert last.status_code == 409


def test_negative_days_make_an_expired_certificate(http: httpx.Client) -> None:
    body = http.post("/__sandbox__/idp-metadata", json={"key": "old-idp", "days": -3}).json()
    not_after = dt.datetime.fromisoformat(body["certificates"][0]["not_after"])
    assert not_after.timestamp() == pytest.approx(START - 3 * 86400, abs=1)


@pytest.mark.parametrize(
    "body",
    [{}, {"key": "Acme"}, {"key": "a.b"}, {"key": "x", "days": 0}, {"key": "x", "days": "9"}],
)
def test_creation_is_checked(http: httpx.Client, body: dict[str, Any]) -> None:
    assert http.post("/__sandbox__/idp-metadata", json=body).status_code == 400


def test_conflicts_and_unknown_keys(http: httpx.Client) -> None:
    assert http.post("/__sandbox__/idp-metadata", json={"key": "k"}).status_code == 201
    assert http.post("/__sandbox__/idp-metadata", json={"key": "k"}).status_code == 409
    for method, path in [
        ("GET", "/nope.xml"),
        ("GET", "/nope"),
        ("POST", "/nope/rotate"),
        ("POST", "/nope/retire"),
    ]:
        assert http.request(method, "/__sandbox__/idp-metadata" + path).status_code == 404
    assert http.delete("/__sandbox__/idp-metadata/k").status_code == 204
    assert http.get("/__sandbox__/idp-metadata").json() == {"idps": []}


def test_hosted_idps_survive_a_snapshot_and_go_on_reset(
    make_sandbox: Callable[..., SandboxApp], tmp_path: Any
) -> None:
    path = str(tmp_path / "state.json")
    with http_client(make_sandbox(state_file=path)) as http:
        made = http.post("/__sandbox__/idp-metadata", json={"key": "kept"}).json()
    with http_client(make_sandbox(state_file=path)) as http:
        assert http.get("/__sandbox__/idp-metadata/kept").json() == made
        http.post("/__sandbox__/reset", json={"seed": "demo"})
        assert http.get("/__sandbox__/idp-metadata/kept").status_code == 404


def test_oidc_stand_in_discovery(http: httpx.Client) -> None:
    doc = http.get("/__sandbox__/oidc-idp/.well-known/openid-configuration").json()
    issuer = "http://sandbox.test/__sandbox__/oidc-idp"
    assert doc["issuer"] == issuer
    for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint"):
        assert doc[key].startswith(issuer + "/")
    assert doc["jwks_uri"] == issuer + "/jwks"
    assert set(doc["scopes_supported"]) >= {"openid", "profile", "email"}
    jwks = http.get(doc["jwks_uri"]).json()
    assert jwks["keys"] and {"kty", "n", "e", "kid"} <= set(jwks["keys"][0])
    assert http.get(doc["authorization_endpoint"]).status_code == 200
    assert http.post(doc["token_endpoint"]).json()["error"] == "invalid_request"
    assert http.get(doc["userinfo_endpoint"]).status_code == 401
