"""`/api/v2/jobs`: bulk user imports and exports, their status and per-user errors.

Kept from Auth0: the users file is a multipart part of at most 512,000 bytes (413
beyond), a JSON array in the bulk-import schema; a tenant has at most two import jobs
pending or processing (429 beyond); a job is `pending`, then `processing`, then
`completed` with `summary {failed, updated, inserted, total}`; users that cannot be
imported are listed by `/jobs/{id}/errors` as `{user, errors: [{code, message, path}]}`;
an export's `location` serves a gzipped CSV or NDJSON file.

Jobs need no thread: each job's timeline follows from its creation time and size on the
sandbox clock (config `job_queue_seconds`, `job_user_seconds`), and a job whose time is
up is applied the next time any /jobs route runs ("settled", oldest first). Jobs live in
state scratch: a reset clears them and snapshots do not keep them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Response

from sandbox import legacy_hashes
from sandbox.errors import SandboxError, bad_request, not_found
from sandbox.routing import Call, empty, json_response, mgmt_route, route
from sandbox.state import JSON, Connection, State, User, iso

from .schema_check import Schema, check, validate_body

MAX_FILE_BYTES = 512_000
CONNECTION_ID_PATTERN = r"^con_[A-Za-z0-9]{16}$"
IMPORT_USER_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["email"],
    "properties": {
        "email": {"type": "string", "format": "email"},
        "email_verified": {"type": "boolean"},
        "user_id": {"type": "string", "maxLength": 255, "pattern": r"^\S*$"},
        "username": {"type": "string", "minLength": 1, "maxLength": 128},
        "given_name": {"type": "string", "minLength": 1, "maxLength": 150},
        "family_name": {"type": "string", "minLength": 1, "maxLength": 150},
        "name": {"type": "string", "minLength": 1, "maxLength": 300},
        "nickname": {"type": "string", "minLength": 1, "maxLength": 300},
        "picture": {"type": "string", "format": "strict-uri"},
        "blocked": {"type": "boolean"},
        "app_metadata": {"type": "object"},
        "user_metadata": {"type": "object"},
        "password_hash": {"type": "string"},
        "custom_password_hash": {"type": "object", "required": ["algorithm", "hash"]},
        "mfa_factors": {"type": "array"},
    },
}
EXPORT_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "connection_id": {"type": "string", "pattern": CONNECTION_ID_PATTERN},
        "format": {"type": "string", "enum": ["json", "csv"]},
        "limit": {"type": "integer", "minimum": 1},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "maxLength": 100},
                    "export_as": {"type": "string", "maxLength": 100},
                },
            },
        },
    },
}
DEFAULT_EXPORT_FIELDS = ("user_id", "email", "email_verified", "name", "created_at")
# Schema wording -> the error codes Auth0's import job reports.
_ERROR_CODES = (
    ("Missing required property", "OBJECT_MISSING_REQUIRED_PROPERTY"),
    ("Additional properties not allowed", "OBJECT_ADDITIONAL_PROPERTIES"),
    ("Expected type", "INVALID_TYPE"),
    ("No enum match", "ENUM_MISMATCH"),
    ("Invalid hash", "INVALID_FORMAT"),
)


@dataclass
class Job:
    id: str
    type: str  # users_import | users_export
    connection_id: str | None
    connection: str | None
    created_at: float
    size: int  # users to process: the timeline's length
    options: JSON = field(default_factory=dict)
    payload: Any = None  # the parsed users file, or None when it was not a JSON array
    upsert: bool = False
    send_completion_email: bool = True
    settled: bool = False
    status_details: str = ""
    status: str = "pending"
    summary: JSON = field(default_factory=dict)
    errors: list[JSON] = field(default_factory=list)
    export_file: bytes = b""

    def timeline(self, call: Call) -> tuple[float, float]:
        """When processing starts and when it ends, on the sandbox clock."""
        starts = self.created_at + call.config.job_queue_seconds
        return starts, starts + self.size * call.config.job_user_seconds


def _jobs(state: State) -> dict[str, Job]:
    return state.ns("jobs")


def current_status(call: Call, job: Job) -> str:
    if job.settled:
        return job.status
    starts, _ = job.timeline(call)
    return "pending" if call.now() < starts else "processing"


def settle_due_jobs(call: Call) -> None:
    """Apply every job whose processing time is over, in the order they finish."""
    due = [
        j for j in _jobs(call.state).values() if not j.settled and j.timeline(call)[1] <= call.now()
    ]
    for job in sorted(due, key=lambda j: j.timeline(call)[1]):
        if job.type == "users_import":
            _run_import(call, job)
        else:
            _run_export(call, job)
        job.settled = True


def get_job(call: Call) -> Job:
    settle_due_jobs(call)
    job = _jobs(call.state).get(call.params["id"])
    if job is None:
        raise not_found("The job does not exist.", "inexistent_job")
    return job


def render_job(call: Call, job: Job) -> JSON:
    out: JSON = {
        "type": job.type,
        "status": current_status(call, job),
        "created_at": iso(job.created_at),
        "id": job.id,
    }
    if job.connection_id:
        out["connection_id"] = job.connection_id
    # Auth0 always names the connection; an export of every connection names none.
    out["connection"] = job.connection or ""
    out.update(job.options)
    status = out["status"]
    if status == "processing":
        starts, ends = job.timeline(call)
        span = max(ends - starts, 1e-9)
        out["percentage_done"] = int(100 * (call.now() - starts) / span)
        out["time_left_seconds"] = max(int(ends - call.now()), 0)
    if status == "completed" and job.type == "users_import":
        out["summary"] = job.summary
    if status == "completed" and job.type == "users_export":
        out["location"] = f"{call.config.base_url}/jobs-files/{job.id}/users.{_extension(job)}"
    if status == "failed":
        out["status_details"] = job.status_details
    return out


# --- imports --------------------------------------------------------------------------


def _form_bool(call: Call, name: str, default: bool) -> bool:
    raw = call.request.form.get(name)
    if raw is None:
        return default
    if raw not in ("true", "false"):
        raise bad_request(
            "Payload validation error: 'Expected type boolean but found type string'"
            f" on property {name}."
        )
    return raw == "true"


def _import_connection(call: Call) -> Connection:
    connection_id = call.request.form.get("connection_id")
    if not connection_id:
        raise bad_request("Must provide 'connection_id' as multipart part.")
    found = check(connection_id, {"type": "string", "pattern": CONNECTION_ID_PATTERN})
    if found:
        raise bad_request(f"Payload validation error: '{found[0]}' on property connection_id.")
    conn = call.state.connections.get(connection_id)
    if conn is None:
        raise bad_request("The connection does not exist.")
    if conn.strategy != "auth0":
        raise bad_request("Connection must be a database connection.")
    return conn


def _users_file(call: Call) -> bytes:
    if call.request.content_length and call.request.content_length > MAX_FILE_BYTES + 64_000:
        raise _too_large()
    upload = call.request.files.get("users")
    if upload is None:
        if not call.request.mimetype.startswith("multipart/"):
            raise bad_request("Payload validation error: 'Invalid multipart payload format'.")
        raise bad_request("Must provide 'users' file as multipart part.")
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _too_large()
    if not data.strip():
        raise bad_request("Users file must not be empty.")
    return data


def _too_large() -> SandboxError:
    return SandboxError(
        413, f"Payload content length greater than maximum allowed: {MAX_FILE_BYTES}."
    )


def _active_imports(call: Call) -> int:
    jobs = _jobs(call.state).values()
    return sum(1 for j in jobs if j.type == "users_import" and not j.settled)


@mgmt_route("POST", "/jobs/users-imports", scope="create:users")
def create_import(call: Call) -> Response:
    settle_due_jobs(call)
    data = _users_file(call)
    conn = _import_connection(call)
    options: JSON = {}
    if call.request.form.get("external_id"):
        options["external_id"] = call.request.form["external_id"]
    upsert = _form_bool(call, "upsert", False)
    send_email = _form_bool(call, "send_completion_email", True)
    limit = call.config.import_job_limit
    if _active_imports(call) >= limit:
        raise SandboxError(
            429,
            f"There are already {limit} pending or processing import jobs for this tenant; "
            "wait until one completes.",
            "too_many_requests",
        )
    try:
        payload = json.loads(data)
    except ValueError:
        payload = None
    users = payload if isinstance(payload, list) else None
    job = Job(
        id="job_" + secrets.token_hex(8),
        type="users_import",
        connection_id=conn.id,
        connection=conn.name,
        created_at=call.now(),
        size=len(users) if users is not None else 0,
        options=options,
        payload=users,
        upsert=upsert,
        send_completion_email=send_email,
    )
    _jobs(call.state)[job.id] = job
    return json_response(render_job(call, job), 202)


def _user_errors(raw: Any) -> list[JSON]:
    found = check(raw, IMPORT_USER_SCHEMA)
    problems: list[tuple[str, str]] = [found] if found else []
    if isinstance(raw, dict) and isinstance(raw.get("custom_password_hash"), dict) and not found:
        hash_problem = legacy_hashes.format_problem(raw["custom_password_hash"])
        if hash_problem:
            problems.append(hash_problem)
    bcrypt_value = raw.get("password_hash") if isinstance(raw, dict) and not found else None
    if isinstance(bcrypt_value, str) and not legacy_hashes.is_bcrypt(bcrypt_value):
        expected = legacy_hashes.EXPECTED["bcrypt"]
        problems.append((f"Invalid hash for bcrypt: expected {expected}", "password_hash"))
    return [
        {"code": _code(message), "message": message, "path": path} for message, path in problems
    ]


def _code(message: str) -> str:
    return next(
        (code for prefix, code in _ERROR_CODES if message.startswith(prefix)), "INVALID_FORMAT"
    )


def _run_import(call: Call, job: Job) -> None:
    conn = call.state.connections.get(job.connection_id or "")
    if job.payload is None or conn is None:
        job.status = "failed"
        job.status_details = "Failed to parse users file JSON when importing users."
        return
    upsert = job.upsert
    counts = {"failed": 0, "updated": 0, "inserted": 0, "total": len(job.payload)}
    seen: set[str] = set()
    for raw in job.payload:
        errors = _user_errors(raw)
        email = str(raw.get("email", "")).lower() if isinstance(raw, dict) else ""
        existing = call.state.user_by_email(email, conn.name) if email else None
        if not errors and (
            email in seen
            or (existing is not None and not upsert)
            or (existing is None and _user_id_taken(call, raw))
        ):
            errors = [{
                "code": "DUPLICATED_USER",
                "message": "The user already exist and upsert parameter is false",
                "path": "",
            }]  # fmt: skip
        if errors:
            job.errors.append({"user": raw if isinstance(raw, dict) else {}, "errors": errors})
            counts["failed"] += 1
            continue
        seen.add(email)
        _store_user(call, conn, raw, existing)
        counts["updated" if existing else "inserted"] += 1
    job.status, job.summary = "completed", counts
    if job.send_completion_email:
        _completion_email(call, job)


def _user_id_taken(call: Call, raw: JSON) -> bool:
    return bool(raw.get("user_id")) and f"auth0|{raw['user_id']}" in call.state.users


_PROFILE_FIELDS = (
    "email_verified",
    "username",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "blocked",
)


def _store_user(call: Call, conn: Connection, raw: JSON, existing: User | None) -> None:
    stamp = iso(call.now())
    user = existing or User(
        user_id="auth0|" + (raw.get("user_id") or secrets.token_hex(12)),
        connection=conn.name,
        email=raw["email"].lower(),
        name=raw["email"].lower(),
        nickname=raw["email"].split("@", 1)[0],
        created_at=stamp,
    )
    for key in _PROFILE_FIELDS:
        if key in raw:
            setattr(user, key, raw[key])
    for key in ("app_metadata", "user_metadata"):
        if key in raw:
            setattr(user, key, dict(raw[key]))
    if "custom_password_hash" in raw:
        user.password_hash = legacy_hashes.encode_custom(raw["custom_password_hash"])
    elif "password_hash" in raw:
        user.password_hash = raw["password_hash"]
    user.updated_at = stamp
    call.state.users[user.user_id] = user


def _completion_email(call: Call, job: Job) -> None:
    s = job.summary
    text = (
        f"Import job {job.id} into {job.connection} completed: {s['inserted']} inserted, "
        f"{s['updated']} updated, {s['failed']} failed of {s['total']}."
    )
    call.send_email(
        call.config.tenant_owner_email,
        "Users import job completed",
        text,
        f"<p>{text}</p>",
        kind="job_completed",
        job_id=job.id,
    )


@mgmt_route("GET", "/jobs/<id>", scope=("create:users", "read:users"))
def read_job(call: Call) -> Response:
    return json_response(render_job(call, get_job(call)))


@mgmt_route("GET", "/jobs/<id>/errors", scope=("create:users", "read:users"))
def read_job_errors(call: Call) -> Response:
    job = get_job(call)
    if job.status == "failed":
        return json_response(render_job(call, job))
    if not job.errors:
        return empty(204)
    return json_response(job.errors)


# --- exports --------------------------------------------------------------------------


def _extension(job: Job) -> str:
    return "json.gz" if job.options.get("format") == "json" else "csv.gz"


@mgmt_route("POST", "/jobs/users-exports", scope="read:users")
def create_export(call: Call) -> Response:
    settle_due_jobs(call)
    body = validate_body(call.body(), EXPORT_SCHEMA)
    conn: Connection | None = None
    if "connection_id" in body:
        conn = call.state.connections.get(body["connection_id"])
        if conn is None:
            raise bad_request("The connection does not exist.")
    users = [u for u in call.state.users.values() if conn is None or u.connection == conn.name]
    options: JSON = {"format": body.get("format", "csv")}
    for key in ("limit", "fields"):
        if key in body:
            options[key] = body[key]
    job = Job(
        id="job_" + secrets.token_hex(8),
        type="users_export",
        connection_id=conn.id if conn else None,
        connection=conn.name if conn else None,
        created_at=call.now(),
        size=min(len(users), body.get("limit", len(users))),
        options=options,
    )
    _jobs(call.state)[job.id] = job
    return json_response(render_job(call, job))


def _run_export(call: Call, job: Job) -> None:
    from .users import render  # the Management API's user shape is the export's

    users = [
        render(u)
        for u in call.state.users.values()
        if job.connection is None or u.connection == job.connection
    ][: job.size]
    fields = job.options.get("fields") or [{"name": n} for n in DEFAULT_EXPORT_FIELDS]
    columns = [(f["name"], f.get("export_as", f["name"])) for f in fields]
    rows = [{title: _field(user, name) for name, title in columns} for user in users]
    if job.options["format"] == "json":
        text = "".join(json.dumps(row) + "\n" for row in rows)  # Auth0 exports NDJSON
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=[title for _, title in columns])
        writer.writeheader()
        writer.writerows({k: _csv_cell(v) for k, v in row.items()} for row in rows)
        text = buffer.getvalue()
    job.export_file = gzip.compress(text.encode(), mtime=0)
    job.status = "completed"


def _field(user: JSON, name: str) -> Any:
    """A field of the user; dotted names reach into metadata (`user_metadata.plan`)."""
    value: Any = user
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list | bool):
        return json.dumps(value)
    return str(value)


@route("GET", "/jobs-files/<id>/<name>")
def download_export(call: Call) -> Response:
    """The export's `location` (Auth0 hands out a signed storage URL)."""
    settle_due_jobs(call)
    job = _jobs(call.state).get(call.params["id"])
    if job is None or job.type != "users_export" or not job.settled:
        return Response("Not found", status=404, content_type="text/plain")
    return Response(job.export_file, content_type="application/gzip")
