"""After a job: imported users join the organization with the chosen roles, and users
imported without a password get a link to choose one (never a temporary password).

Each step is recorded per row as it is done. Adding members and assigning roles are
idempotent in Auth0, so a step repeated after a crash changes nothing; a link's mail is
not, so `link_mail_started_at` is committed before it is sent and a row that has it is
never mailed again (a crash between the two leaves "may have been sent" on the row).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orgs.auth0.operations import members as members_api
from orgs.auth0.operations import users as users_api
from orgs.emails import MailNotSent, render_email, send_telling_apart
from orgs.models import Member, Role, SyncState
from orgs.usermigration.models import (
    ChunkStatus,
    MigrationChunk,
    MigrationRow,
    RowStatus,
    UserMigration,
)

log = logging.getLogger(__name__)

MEMBERS_PER_CALL = 50
# How long the links wait when the mail server refuses them (each try costs a ticket).
MAIL_WAIT_SECONDS = 30.0
MAIL_REFUSED = "The mail server refused the password links; they are tried again every 30 seconds."
NO_APPLICATION = (
    "The application the password links lead to is gone, so the links wait. Staff can add "
    "an application that accepts invitations; the links then go out."
)
IMPORTED = (RowStatus.IMPORTED, RowStatus.UPDATED)


def finish_members(migration: UserMigration, deadline: float) -> float | None:
    """Do the member and link steps of completed chunks until `deadline`. Returns when the
    next pass should come for them: 0 when time ran out with work left, MAIL_WAIT_SECONDS
    when the mail server (or a missing application) holds the links up, None when none
    is left."""
    org_id = migration.organization.auth0_id
    if not org_id:
        return None  # the organization is not in Auth0 (yet): wait
    roles = list(migration.roles.all())  # read once a pass, not once a member
    for chunk in migration.chunks.filter(status=ChunkStatus.COMPLETED).order_by("number"):
        if not _add_members(migration, chunk, org_id, roles, deadline):
            return 0.0
        links = _mail_links(migration, chunk, org_id, deadline)
        if links is not True:
            return links
        _close_chunk(chunk)
    return None


def _add_members(
    migration: UserMigration,
    chunk: MigrationChunk,
    org_id: str,
    roles: list[Role],
    deadline: float,
) -> bool:
    role_ids = [role.auth0_id for role in roles]
    waiting = chunk.rows.filter(status__in=IMPORTED, member_added_at__isnull=True).exclude(
        auth0_user_id=""
    )
    while time.monotonic() < deadline:
        batch = list(waiting.order_by("number")[:MEMBERS_PER_CALL])
        if not batch:
            return True
        members_api.add_member_batch(org_id, [row.auth0_user_id for row in batch])
        if not role_ids:
            _record_members(migration, batch, roles)
            continue
        for row in batch:  # one call per user: each recorded as it is done
            members_api.assign_roles(org_id, row.auth0_user_id, role_ids)
            _record_members(migration, [row], roles)
    return False


@transaction.atomic
def _record_members(migration: UserMigration, rows: list[MigrationRow], roles: list[Role]) -> None:
    now = timezone.now()
    Member.objects.bulk_create(
        [
            Member(
                organization=migration.organization,
                user_id=row.auth0_user_id,
                email=row.email,
                name=row.name,
                sync_state=SyncState.IN_SYNC,
                synced_at=now,
            )
            for row in rows
        ],
        ignore_conflicts=True,  # already a member (an update of an existing user)
    )
    if roles:
        members = Member.objects.filter(
            organization=migration.organization, user_id__in=[r.auth0_user_id for r in rows]
        )
        through = Member.roles.through
        through.objects.bulk_create(
            [through(member_id=m.pk, role_id=role.pk) for m in members for role in roles],
            ignore_conflicts=True,
        )
    MigrationRow.objects.filter(pk__in=[row.pk for row in rows]).update(member_added_at=now)


def _mail_links(
    migration: UserMigration, chunk: MigrationChunk, org_id: str, deadline: float
) -> bool | float:
    """True once every link of the chunk is mailed; else when to come back (0: now)."""
    waiting = chunk.rows.filter(
        status=RowStatus.IMPORTED, needs_password_link=True, link_mail_started_at__isnull=True
    )
    application = migration.application
    for row in waiting.order_by("number").iterator():
        if time.monotonic() >= deadline:
            return 0.0
        if application is None:  # removed since the confirmation: say so, lose no link
            UserMigration.objects.filter(pk=migration.pk).update(problem=NO_APPLICATION)
            return MAIL_WAIT_SECONDS
        ticket = users_api.password_change_ticket(
            user_id=row.auth0_user_id,
            organization_id=org_id,
            client_id=application.client_id,
            ttl_sec=settings.USER_MIGRATION_LINK_TTL_SECONDS,
        )
        if not MigrationRow.objects.filter(pk=row.pk, link_mail_started_at__isnull=True).update(
            link_mail_started_at=timezone.now()
        ):
            continue  # another pass took it
        if not _mail_link(migration, row, ticket):
            return MAIL_WAIT_SECONDS
    return True


def _mail_link(migration: UserMigration, row: MigrationRow, ticket_url: str) -> bool:
    """Mail one link; False when the mail server refused it (nothing went out: the next
    pass tries again, and the migration says so meanwhile)."""
    days = max(settings.USER_MIGRATION_LINK_TTL_SECONDS // 86400, 1)
    context = {
        "organization": migration.organization,
        "name": row.name,
        "ticket_url": ticket_url,
        "ttl_days": days,
    }
    try:
        send_telling_apart(render_email("migration_password_link", context).to(row.email))
    except MailNotSent:
        MigrationRow.objects.filter(pk=row.pk).update(link_mail_started_at=None)
        UserMigration.objects.filter(pk=migration.pk).update(problem=MAIL_REFUSED)
        return False
    except Exception:
        log.warning("password link for migration row %s may have gone out", row.pk, exc_info=True)
        return True
    MigrationRow.objects.filter(pk=row.pk).update(link_mailed_at=timezone.now())
    UserMigration.objects.filter(pk=migration.pk, problem=MAIL_REFUSED).update(problem="")
    return True


def _close_chunk(chunk: MigrationChunk) -> None:
    """Members and links are done: the chunk is finished and its users' data (their
    password hashes) is no longer kept."""
    with transaction.atomic():
        chunk.rows.update(payload_encrypted="")
        MigrationChunk.objects.filter(pk=chunk.pk).update(status=ChunkStatus.DONE)
