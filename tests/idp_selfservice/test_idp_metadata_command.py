"""`manage.py idp_metadata inspect`: what support sees is what the customer's wizard sees."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.idp_selfservice.test_saml_metadata import (
    FIXTURES,
    OKTA_FP,
    OKTA_ID,
    OKTA_SSO,
    MetadataServer,
    fixture,
    two_idps,
)

PROJECT = Path(__file__).resolve().parents[2]


def inspect(*args: str) -> tuple[int, str, str]:
    """Run the command in-process: (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("idp_metadata", "inspect", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_it_describes_a_usable_file_and_exits_0() -> None:
    code, out, err = inspect(str(FIXTURES / "okta.xml"))
    assert (code, err) == (0, "")
    assert "Usable: yes" in out
    assert f"Entity ID: {OKTA_ID}" in out
    assert re.search(rf"HTTP-Redirect +{re.escape(OKTA_SSO)}  <- used", out)
    assert re.search(rf"HTTP-POST +{re.escape(OKTA_SSO)}\n", out)
    assert "Sign-out endpoints (SingleLogoutService): none" in out
    assert f"SHA-256 fingerprint: {OKTA_FP}" in out
    assert "Valid from 2024-04-25 to 2034-04-25 (" in out
    assert "Key: RSA 2048 bits, sha256WithRSAEncryption" in out
    assert "Warnings: none" in out


def test_it_lists_warnings_and_sign_out_endpoints() -> None:
    code, out, _ = inspect(str(FIXTURES / "ping.xml"))
    assert code == 0
    assert re.search(r"HTTP-Redirect +https://auth\.pingone\.com/\S+/slo  <- used", out)
    assert "  - Signing certificate (CN=PingOne SSO" in out
    assert "This certificate expired on 17 Nov 2024." in out
    assert "expired " in out and "days ago)" in out


def test_a_refused_file_exits_1_with_the_customers_message() -> None:
    code, out, err = inspect(str(FIXTURES / "keycloak.xml"))
    assert code == 1
    assert out == ""
    assert err.startswith(
        "Not usable: The sign-in URL http://localhost:8085/realms/master/protocol/saml does "
        "not use https."
    )


def test_hostile_and_wrong_files_exit_1(tmp_path: Path) -> None:
    xxe = tmp_path / "xxe.xml"
    xxe.write_text('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    png = tmp_path / "logo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    for path, message in [
        (xxe, "This document contains a DOCTYPE/entity declarations"),
        (png, "This file is not XML."),
    ]:
        code, _, err = inspect(str(path))
        assert code == 1
        assert message in err
        assert "root:" not in err


def test_a_missing_file_is_a_plain_error() -> None:
    code, _, err = inspect("/no/such/metadata.xml")
    assert code == 1
    assert err.strip() == "Not usable: There is no file at /no/such/metadata.xml."


def test_json_output_for_a_usable_document() -> None:
    code, out, _ = inspect(str(FIXTURES / "okta.xml"), "--json")
    assert code == 0
    found = json.loads(out)
    assert found["usable"] is True
    assert found["error"] is None
    assert found["entity_id"] == OKTA_ID
    assert found["preferred_sso"] == {
        "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        "binding_name": "HTTP-Redirect",
        "location": OKTA_SSO,
    }
    assert [e["binding_name"] for e in found["sso_endpoints"]] == ["HTTP-POST", "HTTP-Redirect"]
    assert found["slo_endpoints"] == [] and found["preferred_slo"] is None
    [cert] = found["signing_certificates"]
    assert cert["sha256_fingerprint"] == OKTA_FP
    assert cert["not_after"] == "2034-04-25T20:31:02+00:00"
    assert isinstance(cert["days_left"], int)
    assert found["warnings"] == []
    assert found["auth0_options"]["signInEndpoint"] == OKTA_SSO


def test_json_output_for_a_refused_document() -> None:
    code, out, err = inspect("/no/such/file.xml", "--json")
    assert (code, err) == (1, "")
    assert json.loads(out) == {
        "usable": False,
        "source": "/no/such/file.xml",
        "entity_id": None,
        "error": "There is no file at /no/such/file.xml.",
    }


def test_several_idps_are_listed_and_one_can_be_picked(tmp_path: Path) -> None:
    aggregate = tmp_path / "federation.xml"
    aggregate.write_text(two_idps())
    google = "https://accounts.google.com/o/saml2?idpid=C029op2ga"
    code, _, err = inspect(str(aggregate))
    assert code == 1
    assert "describes 2 identity providers" in err
    assert f"  {OKTA_ID}\n  {google}\n" in err
    assert "Pick one with --entity-id." in err
    code, out, _ = inspect(str(aggregate), "--json")
    assert json.loads(out)["entity_ids"] == [OKTA_ID, google]
    code, out, _ = inspect(str(aggregate), "--entity-id", google)
    assert code == 0
    assert f"Entity ID: {google}" in out


def test_a_url_goes_through_the_safe_fetcher(settings) -> None:
    server = MetadataServer({"/metadata": (200, "application/xml", fixture("okta.xml"))})
    try:
        settings.IDP_FETCH_ALLOWED_ORIGINS = []
        code, _, err = inspect(server.origin + "/metadata")
        assert code == 1
        assert err.strip() == "Not usable: Only https:// addresses can be used."
        assert server.hits == 0
        settings.IDP_FETCH_ALLOWED_ORIGINS = [server.origin]
        code, out, _ = inspect(server.origin + "/metadata", "--json")
        assert code == 0
        assert json.loads(out)["entity_id"] == OKTA_ID
        assert server.hits == 1
    finally:
        server.close()


@pytest.mark.slow
def test_the_process_exit_status_is_0_when_usable_and_1_when_refused() -> None:
    def run(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "idp_metadata", "inspect", str(FIXTURES / name)],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "IDP_FETCH_ALLOWED_ORIGINS": ""},
        )

    usable, refused = run("google.xml"), run("keycloak.xml")
    assert usable.returncode == 0, usable.stderr
    assert "Entity ID: https://accounts.google.com/o/saml2?idpid=C029op2ga" in usable.stdout
    assert refused.returncode == 1
    assert "does not use https" in refused.stderr
