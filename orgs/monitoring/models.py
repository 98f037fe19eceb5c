"""What the operations jobs remember: the latest tenant checks, each alert condition's
state, the cursor of the api_limit scan, and the synthetic sign-ins."""

from __future__ import annotations

from django.db import models


class CheckStatus(models.TextChoices):
    OK = "ok", "OK"
    PROBLEM = "problem", "Needs attention"
    # The check could not run (Auth0 unreachable or busy): no alert is raised or cleared
    # on it, so a firing alert keeps firing until a real answer says otherwise.
    UNKNOWN = "unknown", "Could not check"


class TenantCheckResult(models.Model):
    """The latest answer of one tenant check (one row per check, replaced each run)."""

    name = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=CheckStatus.choices)
    problem = models.TextField(blank=True)
    what_to_do = models.TextField(blank=True)
    # What was found, for the dashboard (names, counts); never a secret.
    details = models.JSONField(default=dict, blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.status}"

    @property
    def ok(self) -> bool:
        return self.status == CheckStatus.OK


class AlertState(models.Model):
    """One alert condition: firing or not, and whether staff have been told.

    A condition notifies once when it starts firing (`last_notified_at`), stays quiet while
    it keeps firing, and sends one "resolved" when it clears; `summary` and `details`
    follow the latest evaluation so the dashboard shows the current picture."""

    key = models.CharField(max_length=200, unique=True)
    firing = models.BooleanField(default=False)
    summary = models.TextField(blank=True)
    what_to_do = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    first_fired_at = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-firing", "key"]

    def __str__(self) -> str:
        return f"{self.key} ({'firing' if self.firing else 'quiet'})"


class AlertCursor(models.Model):
    """How far a condition that reads a growing table has read (the archive's api_limit
    entries), so each evaluation looks only at what arrived since the last one."""

    name = models.CharField(max_length=64, unique=True)
    position = models.BigIntegerField(default=0)
    # When the condition last found something new: it clears after a quiet spell.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"


class SyntheticSignIn(models.Model):
    """One attempt of the synthetic sign-in: whether the test user got tokens, how long
    Auth0 took, and in plain words why not."""

    started_at = models.DateTimeField(db_index=True)
    ok = models.BooleanField()
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    # Auth0's error code ("invalid_grant") or ours ("unreachable", "timeout").
    error_code = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"sign-in at {self.started_at:%Y-%m-%d %H:%M} ({'ok' if self.ok else 'failed'})"
