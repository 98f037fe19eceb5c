"""`python -m sandbox serve --tls`: https with a CA of its own, https issuer and audience."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from cryptography import x509

from sandbox.seed import PORTAL_M2M_CLIENT_ID, PORTAL_M2M_CLIENT_SECRET
from sandbox.tls import ensure_certificates

from .tls_support import serve_tls


def test_certificates_cover_the_loopback_names_and_are_reused(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path, "sandbox.local")
    leaf = x509.load_pem_x509_certificate(files.cert.read_bytes())
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = {str(n) for n in san.get_values_for_type(x509.DNSName)}
    addresses = {str(a) for a in san.get_values_for_type(x509.IPAddress)}
    assert names == {"localhost", "sandbox.local"} and addresses == {"127.0.0.1", "::1"}
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.issuer == ca.subject
    before = files.ca_cert.read_bytes(), files.cert.read_bytes()
    again = ensure_certificates(tmp_path, "sandbox.local")
    assert (again.ca_cert.read_bytes(), again.cert.read_bytes()) == before
    # A host the leaf does not name: a new leaf, the same CA.
    ensure_certificates(tmp_path, "other.local")
    assert files.ca_cert.read_bytes() == before[0] and files.cert.read_bytes() != before[1]


def test_the_server_context_is_trusted_through_the_ca(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path)
    client = ssl.create_default_context(cafile=str(files.ca_cert))
    assert client.verify_mode == ssl.CERT_REQUIRED
    assert files.server_context().minimum_version == ssl.TLSVersion.TLSv1_2


@pytest.mark.slow
def test_serve_tls_issues_https_tokens(tmp_path: Path) -> None:
    with serve_tls(tmp_path / "tls") as sandbox, sandbox.client() as http:
        discovery = http.get("/.well-known/openid-configuration").json()
        assert discovery["issuer"] == sandbox.base_url + "/"
        token = http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": PORTAL_M2M_CLIENT_ID,
                "client_secret": PORTAL_M2M_CLIENT_SECRET,
                "audience": sandbox.base_url + "/api/v2/",
            },
        )
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        orgs = http.get("/api/v2/organizations", headers=headers).json()
        assert {o["name"] for o in orgs} == {"staff", "acme", "globex"}
