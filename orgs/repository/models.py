"""Repository mode's records: every change waiting to become a commit (an outbox, so a
commit that failed or never ran is visible and retried) and every deploy."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CommitState(models.TextChoices):
    PENDING = "pending", "Waiting to be committed"
    COMMITTED = "committed", "Committed"
    FAILED = "failed", "Commit failed"


class ConfigCommit(models.Model):
    """One saved change that becomes one commit. Recorded in the change's transaction
    (orgs.services.audit.audit), committed to git after it (orgs.repository.commits)."""

    organization = models.ForeignKey(
        "orgs.Organization", null=True, on_delete=models.SET_NULL, related_name="config_commits"
    )
    event = models.ForeignKey(
        "orgs.AuditEvent", null=True, on_delete=models.SET_NULL, related_name="config_commits"
    )
    author_name = models.CharField(max_length=255)
    author_email = models.CharField(max_length=255)
    message = models.TextField()
    state = models.CharField(
        max_length=16, choices=CommitState.choices, default=CommitState.PENDING
    )
    sha = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "id"], name="config_commit_state")]

    def __str__(self) -> str:
        return f"{self.message.splitlines()[0] if self.message else 'commit'} ({self.state})"


class DeployState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ConfigDeploy(models.Model):
    """One deploy of the repository's head to Auth0: pull, apply (the engine or the
    deploy command), push. Its output is kept whatever the outcome."""

    state = models.CharField(max_length=16, choices=DeployState.choices, default=DeployState.QUEUED)
    commit_sha = models.CharField(max_length=40, blank=True, help_text="The head it deployed.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    started_by_label = models.CharField(max_length=255, default="system")
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    output = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Deploy {self.pk} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in (DeployState.QUEUED, DeployState.RUNNING)
