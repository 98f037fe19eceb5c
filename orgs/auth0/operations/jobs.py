"""Auth0's bulk jobs: user imports and exports, a job's status and its per-user errors.

Every call goes through the gateway's client (rate limits in the current lane, fencing,
metrics). A job's status is returned as a plain `JobStatus`, so callers never hold SDK
models. An export's file is fetched from the signed `location` Auth0 hands out: that URL
carries its own authorisation, so it is read without the Management API token.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

from orgs.auth0 import tokens
from orgs.auth0.client import as_dict, auth0_call, management_client
from orgs.auth0.errors import Auth0Error

# An export's gzipped file is read in full; a bigger one is refused rather than filling
# the worker's memory (an organization's users fit well inside: ~300 bytes a user).
MAX_EXPORT_DOWNLOAD_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class JobStatus:
    id: str
    status: str  # pending | processing | completed | failed
    summary: dict[str, int] = field(default_factory=dict)
    percentage_done: int | None = None
    time_left_seconds: int | None = None
    location: str = ""
    status_details: str = ""

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")

    @classmethod
    def from_response(cls, body: dict[str, Any]) -> JobStatus:
        summary = body.get("summary") or {}
        return cls(
            id=str(body.get("id", "")),
            status=str(body.get("status", "")),
            summary={k: int(v) for k, v in summary.items() if isinstance(v, int | float)},
            percentage_done=_int_or_none(body.get("percentage_done")),
            time_left_seconds=_int_or_none(body.get("time_left_seconds")),
            location=str(body.get("location") or ""),
            status_details=str(body.get("status_details") or ""),
        )


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class UserError:
    """One user an import job did not take: the user as sent and Auth0's reasons."""

    user: dict[str, Any]
    errors: list[dict[str, str]]

    @property
    def email(self) -> str:
        return str(self.user.get("email", "")).strip().lower()


def start_import(
    *,
    connection_id: str,
    users_file: bytes,
    upsert: bool,
    external_id: str = "",
    send_completion_email: bool = False,
) -> JobStatus:
    """POST /jobs/users-imports (multipart). 413 when the file is too big, 429 when the
    tenant already has as many import jobs as Auth0 allows (both `Auth0Error`)."""
    with auth0_call():
        created = management_client().jobs.users_imports.create(
            users=("users.json", users_file, "application/json"),
            connection_id=connection_id,
            upsert=upsert,
            external_id=external_id or None,
            send_completion_email=send_completion_email,
        )
    return JobStatus.from_response(as_dict(created))


def start_export(
    *, connection_id: str, file_format: str, fields: list[dict[str, str]], limit: int | None = None
) -> JobStatus:
    """POST /jobs/users-exports for one connection's users (`fields`: [{name, export_as}])."""
    # Left out unless given: the SDK would send `"limit": null`, which Auth0 refuses (400).
    limited: dict[str, Any] = {"limit": limit} if limit is not None else {}
    with auth0_call():
        created = management_client().jobs.users_exports.create(
            connection_id=connection_id,
            format=file_format,
            fields=fields,
            **limited,
        )
    return JobStatus.from_response(as_dict(created))


def read_job(job_id: str) -> JobStatus:
    """GET /jobs/{id}."""
    with auth0_call():
        return JobStatus.from_response(as_dict(management_client().jobs.get(job_id)))


def read_import_errors(job_id: str) -> list[UserError]:
    """GET /jobs/{id}/errors: the users a completed import did not take (none: [])."""
    with auth0_call():
        found = management_client().jobs.errors.get(job_id)
    if not isinstance(found, list):  # 204 (no errors), or a failed job's own description
        return []
    errors: list[UserError] = []
    for entry in found:
        data = as_dict(entry)
        reasons = [
            {k: str(v) for k, v in as_dict(reason).items()} for reason in data.get("errors") or []
        ]
        errors.append(UserError(user=dict(data.get("user") or {}), errors=reasons))
    return errors


def download_export(location: str) -> bytes:
    """The export's file, un-gzipped (CSV or NDJSON text as bytes)."""
    try:
        with (
            httpx.Client(timeout=settings.AUTH0_TIMEOUT, verify=tokens.auth0_tls_verify()) as http,
            http.stream("GET", location) as response,
        ):
            if response.status_code != 200:
                raise Auth0Error(
                    "The export's file could not be downloaded.",
                    status=response.status_code,
                    retryable=response.status_code >= 500 or response.status_code == 429,
                )
            data = bytearray()
            for piece in response.iter_bytes():
                data.extend(piece)
                if len(data) > MAX_EXPORT_DOWNLOAD_BYTES:
                    raise Auth0Error("The export's file is too large to read.", status=413)
    except httpx.HTTPError as exc:
        raise Auth0Error("The export's file could not be downloaded.", retryable=True) from exc
    return _gunzip(bytes(data))


def _gunzip(data: bytes) -> bytes:
    """The file inside the gzip, refused past MAX_EXPORT_DOWNLOAD_BYTES unpacked too (a
    small download can unpack to gigabytes)."""
    unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        unpacked = unpacker.decompress(data, MAX_EXPORT_DOWNLOAD_BYTES + 1)
    except zlib.error as exc:
        raise Auth0Error("The export's file is not a gzip file.", code="bad_file") from exc
    if len(unpacked) > MAX_EXPORT_DOWNLOAD_BYTES or unpacker.unconsumed_tail:
        raise Auth0Error("The export's file is too large to read.", status=413)
    return unpacked
