"""Bulk jobs through the real SDK: users imports (multipart, Auth0's schema, size and
concurrency limits, upsert, per-user errors, summary) and users exports (CSV and NDJSON)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from typing import Any

import bcrypt
import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import BadRequestError, TooManyRequestsError

from sandbox import SandboxApp
from sandbox.state import Connection

from .conftest import FakeClock
from .mgmt_support import DB, Raw, error_of
from .openapi import OpenAPIValidator


@pytest.fixture
def raw(http: httpx.Client, openapi: OpenAPIValidator, mgmt_token: str) -> Raw:
    return Raw(http, openapi, mgmt_token)


def db_id(app: SandboxApp) -> str:
    conn = app.state.connection_by_name(DB)
    assert conn is not None
    return conn.id


def users_file(users: list[dict[str, Any]]) -> tuple[str, bytes, str]:
    return ("users.json", json.dumps(users).encode(), "application/json")


def run_job(mgmt: Auth0, clock: FakeClock, job_id: str) -> Any:
    """Poll like a client would, moving the sandbox clock between polls."""
    seen = []
    for _ in range(50):
        job = mgmt.jobs.get(job_id)
        seen.append(job.status)
        if job.status in ("completed", "failed"):
            return job, seen
        clock.advance(1)
    raise AssertionError(f"job never finished: {seen}")


def import_users(mgmt: Auth0, app: SandboxApp, users: list[dict[str, Any]], **options: Any) -> Any:
    return mgmt.jobs.users_imports.create(
        users=users_file(users), connection_id=db_id(app), **options
    )


def test_import_pending_processing_completed(
    mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock
) -> None:
    users = [{"email": f"legacy{i}@acme.test", "email_verified": True} for i in range(200)]
    created = import_users(mgmt, sandbox, users, external_id="batch-1")
    assert created.id.startswith("job_") and created.status == "pending"
    assert created.type == "users_import" and created.connection_id == db_id(sandbox)
    assert sandbox.state.user_by_email("legacy0@acme.test", DB) is None  # not yet
    clock.advance(1.5)  # past the queue, 0.5 s into 2 s of processing
    processing = mgmt.jobs.get(created.id)
    assert processing.status == "processing" and processing.percentage_done == 25
    job, seen = run_job(mgmt, clock, created.id)
    assert seen[-1] == "completed"
    assert job.summary.inserted == 200 and job.summary.total == 200 and job.summary.failed == 0
    user = sandbox.state.user_by_email("legacy199@acme.test", DB)
    assert user is not None and user.email_verified and user.user_id.startswith("auth0|")
    assert mgmt.jobs.errors.get(created.id) is None  # 204: no errors
    owner_mail = [e for e in sandbox.state.emails if e.kind == "job_completed"]
    assert owner_mail and "200 inserted" in owner_mail[0].text


def hashed(algorithm: str, value: str) -> dict[str, Any]:
    return {"algorithm": algorithm, "hash": {"value": value}}


def test_per_user_errors_and_upsert(mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock) -> None:
    import_users(mgmt, sandbox, [{"email": "kept@acme.test", "given_name": "Old"}])
    clock.advance(5)
    users = [
        {"email": "kept@acme.test", "given_name": "New"},
        {"email": "not-an-email"},
        {"email": "a@acme.test", "custom_password_hash": hashed("rot13", "x")},
        {"email": "b@acme.test", "custom_password_hash": hashed("bcrypt", "nope")},
        {"email": "c@acme.test", "password_hash": "plain"},
        {"email": "d@acme.test", "colour": "blue"},
        {"email": "ok@acme.test", "user_id": "legacy-42", "app_metadata": {"plan": "gold"}},
        {"email": "same-id@acme.test", "user_id": "legacy-42"},
    ]  # fmt: skip
    created = import_users(mgmt, sandbox, users, send_completion_email=False)
    job, _ = run_job(mgmt, clock, created.id)
    assert (job.summary.inserted, job.summary.updated, job.summary.failed) == (1, 0, 7)
    errors = {e.user["email"]: e.errors[0] for e in mgmt.jobs.errors.get(created.id)}
    assert errors["kept@acme.test"].code == "DUPLICATED_USER"
    assert (
        errors["not-an-email"].code == "INVALID_FORMAT" and errors["not-an-email"].path == "email"
    )
    assert errors["a@acme.test"].code == "ENUM_MISMATCH"
    assert errors["a@acme.test"].path == "custom_password_hash.algorithm"
    assert (
        "bcrypt" in errors["b@acme.test"].message and errors["b@acme.test"].code == "INVALID_FORMAT"
    )
    assert errors["c@acme.test"].path == "password_hash"
    assert errors["d@acme.test"].code == "OBJECT_ADDITIONAL_PROPERTIES"
    assert errors["same-id@acme.test"].code == "DUPLICATED_USER"
    assert sandbox.state.users["auth0|legacy-42"].app_metadata == {"plan": "gold"}
    assert not [e for e in sandbox.state.emails if e.kind == "job_completed"][1:]

    again = import_users(mgmt, sandbox, users[:1], upsert=True)
    job, _ = run_job(mgmt, clock, again.id)
    assert (job.summary.inserted, job.summary.updated, job.summary.failed) == (0, 1, 0)
    kept = sandbox.state.user_by_email("kept@acme.test", DB)
    assert kept is not None and kept.given_name == "New"


def test_file_that_is_not_a_json_array_fails_the_job(
    mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock
) -> None:
    created = mgmt.jobs.users_imports.create(
        users=("users.json", b"{not json", "application/json"), connection_id=db_id(sandbox)
    )
    job, _ = run_job(mgmt, clock, created.id)
    assert job.status == "failed" and "parse" in (job.status_details or "")


def test_size_limit_and_request_errors(raw: Raw, sandbox: SandboxApp) -> None:
    conn = db_id(sandbox)
    big = json.dumps([{"email": f"u{i}@acme.test", "name": "x" * 200} for i in range(2500)])
    assert len(big) > 512_000
    response = raw("POST", "/jobs/users-imports", files={"users": ("u.json", big)},
                   data={"connection_id": conn})  # fmt: skip
    assert response.status_code == 413
    assert response.json()["message"] == (
        "Payload content length greater than maximum allowed: 512000."
    )
    cases = [
        ({"connection_id": conn}, None, "Must provide 'users' file as multipart part."),
        ({"connection_id": conn}, b"  ", "Users file must not be empty."),
        ({}, b"[]", "Must provide 'connection_id' as multipart part."),
        ({"connection_id": "con_0000000000000000"}, b"[]", "The connection does not exist."),
    ]
    for data, file, message in cases:
        files = {"users": ("u.json", file)} if file is not None else {"other": ("x", b"1")}
        response = raw("POST", "/jobs/users-imports", files=files, data=data)
        assert response.status_code == 400 and response.json()["message"] == message
    response = raw("POST", "/jobs/users-imports", files={"users": ("u.json", b"[]")},
                   data={"connection_id": "bad"})  # fmt: skip
    assert "String does not match pattern" in response.json()["message"]
    google = Connection(id="con_G00gleG00gleG00g", name="google-oauth2", strategy="google-oauth2")
    sandbox.state.connections[google.id] = google
    response = raw("POST", "/jobs/users-imports", files={"users": ("u.json", b"[]")},
                   data={"connection_id": google.id})  # fmt: skip
    assert response.json()["message"] == "Connection must be a database connection."
    assert raw("GET", "/jobs/job_0000000000000000").status_code == 404


def test_two_import_jobs_at_once(mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock) -> None:
    users = [{"email": f"c{i}@acme.test"} for i in range(100)]
    first = import_users(mgmt, sandbox, users)
    import_users(mgmt, sandbox, users[:1])
    with pytest.raises(TooManyRequestsError) as excinfo:
        import_users(mgmt, sandbox, users[:1])
    assert error_of(excinfo)["statusCode"] == 429
    run_job(mgmt, clock, first.id)
    assert import_users(mgmt, sandbox, users[:1]).status == "pending"


def test_export_csv_and_json(
    mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock, http: httpx.Client
) -> None:
    import_users(mgmt, sandbox, [{"email": "exp@acme.test", "user_metadata": {"plan": "gold"}}])
    clock.advance(5)
    created = mgmt.jobs.users_exports.create(
        connection_id=db_id(sandbox),
        format="csv",
        fields=[{"name": "email"}, {"name": "user_metadata.plan", "export_as": "plan"}],
    )
    assert created.type == "users_export" and created.status == "pending"
    job, _ = run_job(mgmt, clock, created.id)
    rows = list(
        csv.DictReader(io.StringIO(gzip.decompress(http.get(job.location).content).decode()))
    )
    assert {"email": "exp@acme.test", "plan": "gold"} in rows
    as_json = mgmt.jobs.users_exports.create(format="json", limit=1)
    job, _ = run_job(mgmt, clock, as_json.id)
    lines = gzip.decompress(http.get(job.location).content).decode().splitlines()
    assert len(lines) == 1 and "user_id" in json.loads(lines[0])
    with pytest.raises(BadRequestError):
        mgmt.jobs.users_exports.create(connection_id="con_0000000000000000")


def test_bcrypt_password_hash_lands_on_the_user(
    mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock
) -> None:
    hashed = bcrypt.hashpw(b"old-secret", bcrypt.gensalt(rounds=4)).decode()
    created = import_users(mgmt, sandbox, [{"email": "bc@acme.test", "password_hash": hashed}])
    run_job(mgmt, clock, created.id)
    user = sandbox.state.user_by_email("bc@acme.test", DB)
    assert user is not None and user.password_hash == hashed
