"""What a migration's page shows for its state: the report and its confirmation, or the
live check and progress panel (polled while the migration runs)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.urls import reverse

from orgs.usermigration.advance import STOPPED
from orgs.usermigration.forms import ConfirmForm
from orgs.usermigration.models import MigrationStatus, RowStatus, UserMigration
from orgs.usermigration.progress import is_stalled, migration_progress, roles_seconds
from orgs.views.timeline import POLL_EVERY

PROBLEM_ROWS_PER_PAGE = 50
PROBLEM_KINDS_SHOWN = 20
FAILED_ROWS_SHOWN = 50
RUNNING = (MigrationStatus.CHECKING, MigrationStatus.IMPORTING)
PROGRESS = (MigrationStatus.IMPORTING, MigrationStatus.FINISHED)


def same_panel(shown: str, status: MigrationStatus) -> bool:
    if shown in PROGRESS:
        return status in PROGRESS
    return shown == status


def report_context(
    request: HttpRequest, migration: UserMigration, form: ConfirmForm | None
) -> dict[str, Any]:
    rows = migration.rows
    without_hash = rows.filter(status=RowStatus.READY, needs_password_link=True).count()
    problem_rows = rows.filter(status=RowStatus.INVALID).order_by("number")
    page = Paginator(problem_rows, PROBLEM_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "without_hash": without_hash,
        "problem_kinds": problem_kinds(migration),
        "problem_page": page,
        "confirm_form": form or ConfirmForm(rows_without_hash=without_hash),
        "confirm_button": f"Import {users(migration.ready_rows)}",
        "roles_time": roles_time(migration.ready_rows),
    }


def roles_time(users: int) -> str:
    """How much longer roles make the import, when that is worth saying ("" otherwise)."""
    seconds = roles_seconds(users)
    return time_left(int(seconds)) if seconds >= 60 else ""


def problem_kinds(migration: UserMigration) -> list[dict[str, Any]]:
    """The kinds of problem in the file, by the field they are about, most frequent first,
    each with how many users have it and one of its messages (messages quote the value,
    so no two bad addresses read alike)."""
    users: Counter[str] = Counter()
    example: dict[str, str] = {}
    invalid = migration.rows.filter(status=RowStatus.INVALID).order_by("number")
    for errors in invalid.values_list("errors", flat=True).iterator(chunk_size=2_000):
        for error in errors or []:
            example.setdefault(error.get("field", ""), error.get("message", ""))
        users.update({error.get("field", "") for error in errors or []})
    return [
        {"field": field, "example": example[field], "rows": count}
        for field, count in users.most_common(PROBLEM_KINDS_SHOWN)
    ]


def live_context(migration: UserMigration) -> dict[str, Any]:
    running = migration.status in RUNNING
    context: dict[str, Any] = {
        "migration": migration,
        "stalled": is_stalled(migration),
        # Stopped on a refusal (its problem says which): Continue at once, not after 2 min.
        "stopped": migration.problem == STOPPED,
        "status_url": reverse(
            "usermigration:status", args=[migration.organization_id, migration.pk]
        ),
        "shown": migration.status,
        # Left out once nothing runs, so a finished page stops asking.
        "poll_every": POLL_EVERY if running else "",
    }
    if migration.status in PROGRESS:
        progress = migration_progress(migration)
        failed_rows = migration.rows.filter(status=RowStatus.FAILED).order_by("number")
        context |= {
            "progress": progress,
            "time_left": time_left(progress.eta_seconds),
            "failed_rows": list(failed_rows[:FAILED_ROWS_SHOWN]),
        }
    return context


def time_left(seconds: int | None) -> str:
    if seconds is None:
        return "working it out"
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} minute{'' if minutes == 1 else 's'}"
    hours, minutes = divmod(minutes, 60)
    hour_words = f"{hours} hour{'' if hours == 1 else 's'}"
    return f"about {hour_words}" + (f" {minutes} minutes" if minutes > 1 else "")


def users(count: int) -> str:
    return f"{count:,} user{'' if count == 1 else 's'}"
