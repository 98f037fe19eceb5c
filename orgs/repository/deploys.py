"""A deploy: the repository's head applied to Auth0 as one visible, retryable job.

Under the repository lock, in order: commit what waits to be committed, pull from
ORG_CONFIG_REMOTE (outside changes, e.g. a merged pull request), apply head, push. Head
is applied either through the engine (orgs.deploy's plan and apply: operations in the
bulk lane with locks, rate limits and live status) or by ORG_CONFIG_DEPLOY_COMMAND, after
which the engine's apply also brings the portal's records to head. Every step writes to
the deploy's output; any failure ends the deploy `failed` with that output, and Retry
starts a new deploy of the then head (every step is safe to repeat: a merge already
made, an apply already recorded, a push already done are no-ops).
"""

from __future__ import annotations

import contextlib
import shlex
import subprocess
import traceback
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orgs.auth0.locks import resource_lock
from orgs.repository.commits import (
    LOCK_TTL,
    commit_waiting_changes_locked,
    no_commits_recorded,
)
from orgs.repository.git import Author, GitError, commit_all, ensure_repository, git, head_sha
from orgs.repository.models import CommitState, ConfigCommit, ConfigDeploy, DeployState
from orgs.services.errors import ServiceError
from portal.models import User

# A deploy waits this long for commits in progress before it gives up (and can be retried).
LOCK_WAIT = 60.0
OUTPUT_LIMIT = 200_000


class DeployFailed(Exception):
    """A step failed; its message is the deploy's last output line."""


@transaction.atomic
def start_deploy(*, actor: User | None, retry_of: ConfigDeploy | None = None) -> ConfigDeploy:
    """Queue a deploy of the repository's head (a Celery task on the bulk queue, sent on
    commit). One at a time: refused while another is queued or running."""
    if (
        ConfigDeploy.objects.select_for_update()
        .filter(state__in=[DeployState.QUEUED, DeployState.RUNNING])
        .exists()
    ):
        raise ServiceError("A deploy is already queued or running: wait for it to finish.")
    if retry_of is not None and retry_of.state != DeployState.FAILED:
        raise ServiceError("Only a failed deploy can be retried.")
    deploy = ConfigDeploy.objects.create(
        started_by=actor,
        started_by_label=(actor.email or actor.sub) if actor else "system",
        retry_of=retry_of,
    )
    transaction.on_commit(lambda: _send(deploy.pk))
    return deploy


def _send(deploy_id: int) -> None:
    from orgs.repository.tasks import run_config_deploy

    run_config_deploy.apply_async(args=(deploy_id,))


def run_deploy(deploy_id: int) -> str:
    """Run a queued deploy (the task's body); returns its final state."""
    claimed = ConfigDeploy.objects.filter(pk=deploy_id, state=DeployState.QUEUED).update(
        state=DeployState.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    deploy = ConfigDeploy.objects.get(pk=deploy_id)
    log = DeployLog(deploy)
    state = DeployState.FAILED
    try:
        with resource_lock("org-config", "repository", ttl=LOCK_TTL, wait=LOCK_WAIT):
            _deploy_steps(deploy, log)
        state = DeployState.SUCCEEDED
    except DeployFailed as exc:
        log.write(f"Deploy failed: {exc}")
    except Exception as exc:
        log.write(f"Deploy failed: {exc}")
        log.write(traceback.format_exc(limit=5))
    ConfigDeploy.objects.filter(pk=deploy_id).update(
        state=state, output=log.text(), finished_at=timezone.now()
    )
    return str(state)


class DeployLog:
    """The deploy's output, saved as it grows so the page shows progress."""

    def __init__(self, deploy: ConfigDeploy) -> None:
        self.deploy = deploy
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.append(text.rstrip("\n"))
        ConfigDeploy.objects.filter(pk=self.deploy.pk).update(output=self.text())

    def text(self) -> str:
        return "\n".join(self.lines)[-OUTPUT_LIMIT:]


def _deploy_steps(deploy: ConfigDeploy, log: DeployLog) -> None:
    committed = commit_waiting_changes_locked()
    if committed:
        log.write(f"Committed {committed} change(s) waiting for the repository.")
    failed = ConfigCommit.objects.filter(state=CommitState.FAILED).order_by("id").first()
    if failed is not None:
        raise DeployFailed(f"a change could not be committed: {failed.error}")
    root = ensure_repository()
    if settings.ORG_CONFIG_REMOTE:
        _pull(log)
    if not head_sha():
        _first_commit(root, log)
    sha = head_sha()
    ConfigDeploy.objects.filter(pk=deploy.pk).update(commit_sha=sha)
    log.write(f"Deploying {sha[:12]}: {git('log', '-1', '--format=%s').strip()}")
    if settings.ORG_CONFIG_DEPLOY_COMMAND:
        _run_command(root, log)
    _apply_through_engine(root, deploy, log)
    if settings.ORG_CONFIG_REMOTE:
        _push(log)
    log.write("Deploy succeeded.")


def _pull(log: DeployLog) -> None:
    branch = settings.ORG_CONFIG_BRANCH
    if not git("ls-remote", "--heads", "origin", branch).strip():
        log.write(f"The remote has no branch {branch} yet: nothing to pull.")
        return
    _git_step(log, "fetch", "origin", branch)
    remote_ref = f"origin/{branch}"
    if not head_sha():
        _git_step(log, "reset", "--hard", remote_ref)
        return
    try:
        out = git("merge", "--no-edit", "-m", f"Merge {remote_ref} for a deploy", remote_ref)
    except GitError as exc:
        log.write(exc.output)
        with contextlib.suppress(GitError):  # nothing to abort: the merge never started
            git("merge", "--abort")
        raise DeployFailed(
            "the remote's changes do not merge with the portal's; resolve it in the "
            "repository, push, and retry."
        ) from exc
    log.write(out.strip() or f"Merged {remote_ref}.")


def _push(log: DeployLog) -> None:
    _git_step(log, "push", "origin", f"HEAD:refs/heads/{settings.ORG_CONFIG_BRANCH}")
    log.write(f"Pushed to {settings.ORG_CONFIG_BRANCH}.")


def _git_step(log: DeployLog, *args: str) -> None:
    try:
        out = git(*args)
    except GitError as exc:
        log.write(exc.output)
        raise DeployFailed(f"git {args[0]} failed") from exc
    if out.strip():
        log.write(out.strip())


def _first_commit(root: Path, log: DeployLog) -> None:
    from orgs.deploy.export import export_directory

    export_directory(root)
    commit_all("Export of the portal's organizations\n", Author("system", "system@portal.invalid"))
    log.write("The repository was empty: committed an export of the portal's organizations.")


def _run_command(root: Path, log: DeployLog) -> None:
    command = [
        part.replace("{dir}", str(root)) for part in shlex.split(settings.ORG_CONFIG_DEPLOY_COMMAND)
    ]
    log.write(f"$ {shlex.join(command)}")
    try:
        done = subprocess.run(  # noqa: S603 - the operator's own configured command
            command,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=settings.ORG_CONFIG_DEPLOY_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        log.write(_text(exc.stdout) + _text(exc.stderr))
        raise DeployFailed(
            f"the deploy command ran longer than {settings.ORG_CONFIG_DEPLOY_TIMEOUT:g} s"
        ) from exc
    except OSError as exc:
        raise DeployFailed(f"the deploy command could not start: {exc}") from exc
    log.write((done.stdout + done.stderr).strip() or "(no output)")
    if done.returncode != 0:
        raise DeployFailed(f"the deploy command exited with status {done.returncode}")
    log.write("The deploy command succeeded.")


def _text(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


def _apply_through_engine(root: Path, deploy: ConfigDeploy, log: DeployLog) -> None:
    from orgs.deploy.apply import apply_directory
    from orgs.deploy.plan import make_plan
    from orgs.deploy.reading import InvalidDirectory, read_directory

    try:
        plan = make_plan(read_directory(root, mappings={}), allow_delete=False, mappings={})
        log.write("Plan:\n" + "\n".join(plan.lines()))
        with no_commits_recorded():
            done = apply_directory(
                lambda: read_directory(root, mappings={}),
                actor=deploy.started_by,
                allow_delete=False,
                mappings={},
            )
    except InvalidDirectory as exc:
        raise DeployFailed(f"head is not a valid configuration:\n{exc}") from exc
    if done:
        log.write(
            f"Recorded {len(done)} change(s) as operations in the bulk lane "
            "(follow them on the Operations page):\n" + "\n".join(done)
        )
    else:
        log.write("The portal already holds head: nothing to apply.")
