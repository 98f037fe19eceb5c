"""The user migration benchmark's figures and checks (orgs/bench/user_migration.py), read
from the portal's records of the migration and the sandbox's records of its jobs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings

from orgs.models import Member
from orgs.usermigration.models import MigrationStatus, RowStatus, UserMigration
from orgs.usermigration.progress import roles_seconds
from orgs.usermigration.tasks import BULK_QUEUE

if TYPE_CHECKING:
    from sandbox import SandboxApp

IMPORT_ROUTE = "POST /api/v2/jobs/users-imports"
MAX_JOB_FILE_BYTES = 500_000  # Auth0's 500 KB per users file
CHECKS = {
    "every_user_imported": "every user imported",
    "each_user_once_in_auth0": "each user exactly once in the sandbox's connection",
    "every_user_a_member": "every user a member of the organization",
    "every_member_has_the_role": "every member has the chosen role (when one was chosen)",
    "every_password_link_mailed": "a password link mailed to each user without a hash",
    "no_job_submitted_twice": "no job submitted twice (jobs in the sandbox == chunks)",
    "job_files_under_500kb": "every job file under 500 KB",
    "jobs_at_once_within_limit": "import jobs at once within the tenant's limit",
}


@dataclass
class MigrationRun:
    """What the run itself timed; the rest is read from the records."""

    config_users: int
    workers: int
    migration_id: int
    upload_check_seconds: float
    confirm_to_finished_seconds: float
    sampled_max_jobs: int
    file_bytes: int
    rate_overrides: str


def build_report(run: MigrationRun, app: SandboxApp) -> dict[str, Any]:
    migration = UserMigration.objects.select_related("connection", "organization").get(
        pk=run.migration_id
    )
    chunks = list(migration.chunks.order_by("number"))
    sandbox_jobs = [job for job in app.state.ns("jobs").values() if job.type == "users_import"]
    imported = migration.rows.filter(status=RowStatus.IMPORTED).count()
    seconds = run.confirm_to_finished_seconds
    submitted = sorted(c.submitted_at for c in chunks if c.submitted_at)
    completed = sorted(c.completed_at for c in chunks if c.completed_at)
    most_at_once = _most_at_once(sandbox_jobs, app)
    stats = app.stats.describe()
    report: dict[str, Any] = {
        "users": run.config_users,
        "passes": (
            f"{run.workers} worker process(es) on {BULK_QUEUE}"
            if run.workers
            else "in the bench's own process, as the task runs them"
        ),
        "seconds": round(seconds, 2),
        "users_per_second": round(imported / seconds, 2) if seconds else 0.0,
        "upload_check_seconds": round(run.upload_check_seconds, 2),
        "import_jobs_seconds": _span(submitted, completed),
        "members_links_seconds": _span(completed[:1], _end(migration)),
        "members_links_after_last_job_seconds": _span(completed[-1:], _end(migration)),
        "import_jobs": len(chunks),
        "largest_job_file_bytes": max((c.size_bytes for c in chunks), default=0),
        "file_bytes": run.file_bytes,
        "max_jobs_at_once": max(most_at_once, run.sampled_max_jobs),
        "import_job_limit": app.config.import_job_limit,
        "http_429": _count_status(stats, "429"),
        "http_429_import_jobs": stats["routes"].get(IMPORT_ROUTE, {}).get("429", 0),
        "password_links": migration.rows.filter(link_mailed_at__isnull=False).count(),
        "job_queue_seconds": app.config.job_queue_seconds,
        "job_user_seconds": app.config.job_user_seconds,
        "rate_limits": _rate_limits(app),
        "portal_rate_plan": settings.AUTH0_RATE_PLAN,
        "rate_overrides": run.rate_overrides,
        "with_roles": migration.roles.exists(),
        # What one role each adds at the bulk lane's share of the member-roles bucket.
        "one_role_each_adds_seconds": round(roles_seconds(run.config_users), 1),
    }
    report["checks"] = _checks(migration, report, sandbox_jobs, app, imported)
    report["ok"] = all(report["checks"].values())
    return report


def _end(migration: UserMigration) -> list[datetime]:
    return [migration.finished_at] if migration.finished_at else []


def _span(starts: list[datetime], ends: list[datetime]) -> float:
    if not starts or not ends:
        return 0.0
    return round((max(ends) - min(starts)).total_seconds(), 2)


def _most_at_once(jobs: list[Any], app: SandboxApp) -> int:
    """The most import jobs pending or processing together, from each job's [created,
    time up) on the sandbox clock: what its limit counts when the next job is sent."""
    queue, per_user = app.config.job_queue_seconds, app.config.job_user_seconds
    events: list[tuple[float, int]] = []
    for job in jobs:
        events.append((job.created_at, 1))
        events.append((job.created_at + queue + job.size * per_user, -1))
    running = most = 0
    for _, change in sorted(events):  # a job ending at t is gone before one starting at t
        running += change
        most = max(most, running)
    return most


def _count_status(stats: dict[str, Any], status: str) -> int:
    return sum(statuses.get(status, 0) for statuses in stats["routes"].values())


def _rate_limits(app: SandboxApp) -> dict[str, str]:
    """The sandbox's buckets, as "burst N, R/s". The portal's limiter has the same figures
    (its plan and the same overrides) and keeps under them (98 %, one token less)."""
    buckets: dict[str, dict[str, Any]] = cast(Any, app.limiter.describe()["buckets"])
    return {
        name: f"burst {bucket['burst']}, {round(bucket['rate'], 2):g}/s"
        for name, bucket in buckets.items()
    }


def _checks(
    migration: UserMigration,
    report: dict[str, Any],
    sandbox_jobs: list[Any],
    app: SandboxApp,
    imported: int,
) -> dict[str, bool]:
    users = report["users"]
    rows = list(migration.rows.values_list("email", "auth0_user_id", "needs_password_link"))
    in_connection = Counter(
        user.email.lower()
        for user in app.state.users.values()
        if user.connection == migration.connection.name
    )
    emails = {email.lower() for email, _, _ in rows}
    members = app.state.organizations[str(migration.organization.auth0_id)].members
    role_ids = set(migration.roles.values_list("auth0_id", flat=True))
    member_ids = [user_id for _, user_id, _ in rows]
    local_members = Member.objects.filter(organization=migration.organization).count()
    needing_links = sum(1 for _, _, needs in rows if needs)
    external_ids = {job.options.get("external_id") for job in sandbox_jobs}
    return {
        "every_user_imported": migration.status == MigrationStatus.FINISHED and imported == users,
        "each_user_once_in_auth0": len(rows) == users
        and all(in_connection[email] == 1 for email in emails)
        and sum(in_connection.values()) == users,
        "every_user_a_member": all(uid and uid in members for uid in member_ids)
        and local_members == users,
        "every_member_has_the_role": not report["with_roles"]
        or (
            bool(role_ids)
            and all(role_ids <= set(members[uid].roles) for uid in member_ids if uid in members)
        ),
        "every_password_link_mailed": needing_links == report["password_links"] > 0,
        "no_job_submitted_twice": len(sandbox_jobs) == report["import_jobs"] == len(external_ids),
        "job_files_under_500kb": report["largest_job_file_bytes"] < MAX_JOB_FILE_BYTES,
        "jobs_at_once_within_limit": 0 < report["max_jobs_at_once"] <= report["import_job_limit"],
    }


def table(report: dict[str, Any]) -> list[str]:
    """The figures and the checks, for a person."""
    lines = [
        f"User migration of {report['users']:,} users (passes: {report['passes']})",
        f"  users migrated/s:          {report['users_per_second']:.2f}"
        f"   ({report['seconds']:.1f} s from confirm to finished)",
        f"  upload + check:            {report['upload_check_seconds']:.1f} s",
        f"  import jobs:               {report['import_jobs_seconds']:.1f} s"
        "   (first job sent to last completed)",
        f"  members + links:           {report['members_links_seconds']:.1f} s"
        f"   (first job completed to finished; {report['members_links_after_last_job_seconds']:.1f}"
        " s after the last job)",
        f"  import jobs:               {report['import_jobs']}"
        f"   (largest file {report['largest_job_file_bytes']:,} bytes; uploaded file"
        f" {report['file_bytes']:,})",
        f"  jobs at once:              {report['max_jobs_at_once']}"
        f"   (tenant limit {report['import_job_limit']})",
        f"  429s from the sandbox:     {report['http_429']}"
        f"   ({report['http_429_import_jobs']} on import jobs)",
        f"  password links mailed:     {report['password_links']}",
        f"  roles:                     {'one each' if report['with_roles'] else 'none'}"
        f"   (one role each adds about {report['one_role_each_adds_seconds'] / 60:.0f} min:"
        " a call per user at the member-roles bucket)",
        f"  sandbox job timing:        {report['job_queue_seconds']} s pending,"
        f" {report['job_user_seconds']} s per user",
        f"  rate limits ({report['portal_rate_plan']}"
        f"{', overrides ' + report['rate_overrides'] if report['rate_overrides'] else ''}):",
    ]
    lines += [f"    {name:<32} {limit}" for name, limit in report["rate_limits"].items()]
    lines.append("  checks:")
    lines += [
        f"    {'pass' if report['checks'][key] else 'FAIL'}  {label}"
        for key, label in CHECKS.items()
    ]
    return lines
