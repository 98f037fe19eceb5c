"""The user migration's task: passes of `advance.migration_advance`, in the bulk lane.

Each pass ends by sending the next (after the delay it asks for) until the migration
needs nobody but a person. Losing a message loses nothing: the migration's heartbeat goes
stale, the page shows it as stopped, and "Continue" sends the task again.
"""

from __future__ import annotations

from celery import shared_task

from portal.celery import app as celery_app

MIGRATION_TASK = "orgs.usermigration.tasks.advance_user_migration"
BULK_QUEUE = "auth0-bulk"


@shared_task(
    name=MIGRATION_TASK,
    queue=BULK_QUEUE,
    ignore_result=True,
    soft_time_limit=240,
    time_limit=300,
)
def advance_user_migration(migration_id: int) -> float | None:
    from orgs.sync.priority import bulk_priority
    from orgs.usermigration.advance import migration_advance

    with bulk_priority():
        delay = migration_advance(migration_id)
    if delay is not None:
        send_migration_task(migration_id, countdown=delay)
    return delay


@shared_task(
    name="orgs.usermigration.tasks.expire_user_migrations",
    queue="default",
    ignore_result=True,
    soft_time_limit=300,
    time_limit=330,
)
def expire_user_migrations() -> int:
    from orgs.usermigration.actions import expire_idle_migrations

    return expire_idle_migrations()


def send_migration_task(migration_id: int, *, countdown: float = 0.0) -> None:
    celery_app.send_task(
        MIGRATION_TASK, args=(migration_id,), queue=BULK_QUEUE, countdown=countdown or None
    )
