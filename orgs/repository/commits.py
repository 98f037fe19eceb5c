"""Every saved change becomes one commit.

The audit trail's hook (orgs.services.audit.audit) records a `ConfigCommit` row inside
the change's own transaction: the change and its commit-to-be are saved together or not
at all. On commit of that transaction the waiting rows are committed to git, oldest
first, under one lock in the coordination store (two requests never interleave git
writes). Each commit re-reads the database under the lock, so whichever order the
transactions commit in, the newest state is what the repository's head holds. A commit
that fails stays `failed` with git's words (the History tab and the deploys page show
it) and is tried again by the next deploy and by beat (orgs.repository.tasks).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone

from orgs.audit_words import action_words
from orgs.auth0.errors import LockBusy
from orgs.auth0.locks import resource_lock
from orgs.history.record import part_of_larger_change
from orgs.models import AuditEvent
from orgs.repository.git import Author, commit_all, ensure_repository, head_sha
from orgs.repository.mode import repository_mode
from orgs.repository.models import CommitState, ConfigCommit

log = logging.getLogger(__name__)

# Audited actions that change what an organization's files hold.
REPOSITORY_ACTIONS = frozenset(
    {
        "organization.create",
        "organization.update",
        "organization.suspend",
        "organization.reactivate",
        "organization.delete",
        "organization.restore",
        "organization_connection.enable",
        "organization_connection.update",
        "organization_connection.disable",
        "connection.create",
        "connection.update",
        "connection.delete",
        "connection.enable_application",
        "connection.disable_application",
        "application_url.add",
        "application_url.remove",
    }
)
SYSTEM_EMAIL = "system@portal.invalid"
# Long enough for a commit or two ahead of us; a deploy holds it longer, and then our
# rows stay pending until the deploy commits them.
LOCK_WAIT = 10.0
LOCK_TTL = 60.0

_deploying: ContextVar[bool] = ContextVar("repository_deploying", default=False)


@contextmanager
def no_commits_recorded() -> Iterator[None]:
    """Inside the block (a deploy applying head) changes record no commit: they bring the
    portal to what the repository already holds."""
    token = _deploying.set(True)
    try:
        yield
    finally:
        _deploying.reset(token)


def record_commit_after(event: AuditEvent) -> ConfigCommit | None:
    """The audit trail's hook: in repository mode, a commit-to-be for a change to an
    organization's configuration, committed once the transaction commits."""
    if not repository_mode() or _deploying.get():
        return None
    if event.action not in REPOSITORY_ACTIONS or event.organization is None:
        return None
    if part_of_larger_change(event):
        return None  # its closing event (a restore, the organization's create) commits
    author = author_of(event)
    row = ConfigCommit.objects.create(
        organization=event.organization,
        event=event,
        author_name=author.name[:255],
        author_email=author.email[:255],
        message=message_of(event),
    )
    transaction.on_commit(commit_waiting_changes)
    return row


def author_of(event: AuditEvent) -> Author:
    actor = event.actor
    if actor is None:
        return Author(name=event.actor_label or "system", email=SYSTEM_EMAIL)
    return Author(name=actor.name or actor.email or actor.sub, email=actor.email or SYSTEM_EMAIL)


def message_of(event: AuditEvent) -> str:
    """'hooli: Changed the organization' and, below, what the audit event says."""
    org = event.organization
    subject = f"{org.name if org else 'portal'}: {action_words(event.action)}"
    if event.target and (org is None or event.target != org.name):
        subject += f" ({event.target})"
    body = [f"Audit event {event.pk}: {event.action} by {event.actor_label}."]
    changes = event.details.get("changes") if isinstance(event.details, dict) else None
    if isinstance(changes, list):
        body += [f"- {line}" for line in changes]
    return subject + "\n\n" + "\n".join(body) + "\n"


def commit_waiting_changes() -> int:
    """Commit every waiting (or failed) change, oldest first; returns how many were
    committed. Never raises: a failure is kept on the row and logged."""
    if (
        not repository_mode()
        or not ConfigCommit.objects.exclude(state=CommitState.COMMITTED).exists()
    ):
        return 0
    try:
        with resource_lock("org-config", "repository", ttl=LOCK_TTL, wait=LOCK_WAIT):
            return commit_waiting_changes_locked()
    except LockBusy:
        log.info("config repository busy; changes stay pending for the next try")
        return 0


def commit_waiting_changes_locked() -> int:
    """The same, for a caller that holds the repository lock (a deploy)."""
    committed = 0
    waiting = ConfigCommit.objects.exclude(state=CommitState.COMMITTED).select_related(
        "organization"
    )
    for row in waiting.order_by("id"):
        try:
            _commit(row)
        except Exception as exc:
            ConfigCommit.objects.filter(pk=row.pk).update(
                state=CommitState.FAILED, attempts=row.attempts + 1, error=str(exc)[:4000]
            )
            log.warning("commit of config change %s failed: %s", row.pk, exc)
            return committed  # keep the order: later changes wait for this one
        committed += 1
    return committed


def _commit(row: ConfigCommit) -> None:
    # Imported here: the deploy package reads the services, which audit through us.
    from orgs.deploy.export import export_directory
    from orgs.repository.files import write_organization

    root = ensure_repository()
    if not head_sha():
        export_directory(root)  # the first commit holds everything (reads Auth0 once)
    if row.organization is not None:
        write_organization(root, row.organization)
    sha = commit_all(row.message, Author(row.author_name, row.author_email))
    ConfigCommit.objects.filter(pk=row.pk).update(
        state=CommitState.COMMITTED,
        sha=sha,
        attempts=row.attempts + 1,
        error="",
        committed_at=timezone.now(),
    )
