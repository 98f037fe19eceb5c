"""`manage.py idp_metadata inspect FILE_OR_URL [--json] [--entity-id ID]`: the support tool.

It shows what the portal makes of a customer's SAML metadata, through exactly the code the
setup wizard uses (the same parser, the same safe fetcher), so "works here" means "works
there". Exit status 0 when the document is usable, 1 when it is refused.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from idp_selfservice.certificates import CertificateInfo
from idp_selfservice.errors import IdpInputError, MultipleIdps
from idp_selfservice.saml_metadata import (
    MAX_METADATA_BYTES,
    Endpoint,
    IdpMetadata,
    load_metadata_url,
    parse_metadata,
)


class Refused(Exception):
    """The source cannot be read at all (a missing file): reported like a refused document."""


class Command(BaseCommand):
    help = "Show what the portal makes of a SAML IdP metadata file or URL."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        inspect = sub.add_parser("inspect", help="Parse a metadata file or URL and report.")
        inspect.add_argument("source", help="A file path, or an http(s):// metadata URL.")
        inspect.add_argument("--json", action="store_true", help="Print one JSON object.")
        inspect.add_argument(
            "--entity-id", default=None, help="Pick this IdP from a document listing several."
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        source: str = options["source"]
        as_json: bool = options["json"]
        now = datetime.now(UTC)
        try:
            metadata = _load(source, options["entity_id"])
        except (IdpInputError, Refused) as exc:
            self._refused(source, exc, as_json)
        if as_json:
            self.stdout.write(json.dumps(_summary(source, metadata, now), indent=2))
        else:
            self._print(metadata, now)

    def _refused(self, source: str, exc: Exception, as_json: bool) -> NoReturn:
        entity_ids = exc.entity_ids if isinstance(exc, MultipleIdps) else []
        if as_json:
            found: dict[str, Any] = {
                "usable": False,
                "source": source,
                "entity_id": None,
                "error": str(exc),
            }
            if entity_ids:
                found["entity_ids"] = entity_ids
            self.stdout.write(json.dumps(found, indent=2))
        else:
            self.stderr.write(f"Not usable: {exc}")
            if entity_ids:
                self.stderr.write("Identity providers in this document:")
                for entity_id in entity_ids:
                    self.stderr.write(f"  {entity_id}")
                self.stderr.write("Pick one with --entity-id.")
        sys.exit(1)

    def _print(self, metadata: IdpMetadata, now: datetime) -> None:
        out = self.stdout.write
        preferred = metadata.preferred_sso()
        out("Usable: yes")
        out(f"Entity ID: {metadata.entity_id}")
        out("Sign-in endpoints (SingleSignOnService):")
        for endpoint in metadata.sso_endpoints:
            marker = "  <- used" if endpoint == preferred else ""
            out(f"  {endpoint.binding_name:<14} {endpoint.location}{marker}")
        slo = metadata.preferred_slo()
        none = "" if metadata.slo_endpoints else " none"
        out(f"Sign-out endpoints (SingleLogoutService):{none}")
        for endpoint in metadata.slo_endpoints:
            marker = "  <- used" if endpoint == slo else ""
            out(f"  {endpoint.binding_name:<14} {endpoint.location}{marker}")
        out("Signing certificates:")
        for number, cert in enumerate(metadata.signing_certificates, start=1):
            out(f"  {number}. {cert.subject}")
            out(f"     SHA-256 fingerprint: {cert.sha256_fingerprint}")
            out(
                f"     Valid from {cert.not_before:%Y-%m-%d} to {cert.not_after:%Y-%m-%d} "
                f"({_days_left(cert, now)})"
            )
            out(f"     Key: {cert.key_type} {cert.key_size} bits, {cert.signature_algorithm}")
        if metadata.name_id_formats:
            out("Name ID formats: " + ", ".join(metadata.name_id_formats))
        out(f"Wants signed requests: {'yes' if metadata.want_authn_requests_signed else 'no'}")
        out("Warnings:" + ("" if metadata.warnings else " none"))
        for warning in metadata.warnings:
            out(f"  - {warning}")


def _load(source: str, entity_id: str | None) -> IdpMetadata:
    if source.lower().startswith(("http://", "https://")):
        return load_metadata_url(source, entity_id=entity_id)
    path = Path(source).expanduser()
    if not path.exists():
        raise Refused(f"There is no file at {source}.")
    if not path.is_file():
        raise Refused(f"{source} is not a file.")
    with path.open("rb") as handle:
        # One byte over the cap is enough for the parser to refuse an oversized file.
        data = handle.read(MAX_METADATA_BYTES + 1)
    return parse_metadata(data, entity_id=entity_id)


def _days_left(cert: CertificateInfo, now: datetime) -> str:
    days = cert.days_left(now)
    return f"{days} days left" if days >= 0 else f"expired {-days} days ago"


def _endpoint(endpoint: Endpoint) -> dict[str, str]:
    return {
        "binding": endpoint.binding,
        "binding_name": endpoint.binding_name,
        "location": endpoint.location,
    }


def _certificate(cert: CertificateInfo, now: datetime) -> dict[str, Any]:
    return {
        "subject": cert.subject,
        "issuer": cert.issuer,
        "sha256_fingerprint": cert.sha256_fingerprint,
        "not_before": cert.not_before.isoformat(),
        "not_after": cert.not_after.isoformat(),
        "days_left": cert.days_left(now),
        "signature_algorithm": cert.signature_algorithm,
        "key_type": cert.key_type,
        "key_size": cert.key_size,
    }


def _summary(source: str, metadata: IdpMetadata, now: datetime) -> dict[str, Any]:
    slo = metadata.preferred_slo()
    return {
        "usable": True,
        "source": source,
        "entity_id": metadata.entity_id,
        "error": None,
        "sso_endpoints": [_endpoint(e) for e in metadata.sso_endpoints],
        "preferred_sso": _endpoint(metadata.preferred_sso()),
        "slo_endpoints": [_endpoint(e) for e in metadata.slo_endpoints],
        "preferred_slo": _endpoint(slo) if slo else None,
        "signing_certificates": [_certificate(c, now) for c in metadata.signing_certificates],
        "name_id_formats": metadata.name_id_formats,
        "want_authn_requests_signed": metadata.want_authn_requests_signed,
        "warnings": metadata.warnings,
        "auth0_options": metadata.auth0_options(),
    }
