"""Celery tasks of repository mode: a deploy (bulk queue) and beat's retry of changes
whose commit failed or never ran (orgs.repository.commits)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

# A deploy's task may run the deploy command for ORG_CONFIG_DEPLOY_TIMEOUT, then apply.
_APPLY_MARGIN = 600


@shared_task(
    name="orgs.repository.tasks.run_config_deploy",
    queue="auth0-bulk",
    ignore_result=True,
    soft_time_limit=int(settings.ORG_CONFIG_DEPLOY_TIMEOUT) + _APPLY_MARGIN,
    time_limit=int(settings.ORG_CONFIG_DEPLOY_TIMEOUT) + _APPLY_MARGIN + 30,
)
def run_config_deploy(deploy_id: int) -> str:
    from orgs.repository.deploys import run_deploy

    return run_deploy(deploy_id)


@shared_task(
    name="orgs.repository.tasks.retry_config_commits",
    queue="default",
    ignore_result=True,
    soft_time_limit=110,
    time_limit=120,
)
def retry_config_commits() -> int:
    """Commit what waits (after a failure or a process that died before its on-commit
    hook ran), and fail deploys whose worker went away."""
    from orgs.repository.commits import commit_waiting_changes
    from orgs.repository.mode import repository_mode
    from orgs.repository.models import ConfigDeploy, DeployState

    if not repository_mode():
        return 0
    cutoff = timezone.now() - timedelta(
        seconds=settings.ORG_CONFIG_DEPLOY_TIMEOUT + 2 * _APPLY_MARGIN
    )
    ConfigDeploy.objects.filter(state=DeployState.RUNNING, started_at__lt=cutoff).update(
        state=DeployState.FAILED,
        finished_at=timezone.now(),
        output=Concat(
            F("output"), Value("\nStopped: the worker running this deploy went away. Retry it.")
        ),
    )
    return commit_waiting_changes()
