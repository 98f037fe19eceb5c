"""Beat runs the three monitoring jobs on the default queue, at their settings' intervals."""

from __future__ import annotations

from django.conf import settings

from portal.celery import app


def test_beat_schedules_each_job_on_a_registered_task() -> None:
    app.loader.import_default_modules()
    expected = {
        "run-tenant-checks": ("orgs.monitoring.tasks.run_tenant_checks", "TENANT_CHECK_SECONDS"),
        "evaluate-alerts": ("orgs.monitoring.tasks.evaluate_alerts", "ALERT_EVALUATE_SECONDS"),
        "synthetic-signin": ("orgs.monitoring.tasks.synthetic_signin", "SYNTHETIC_SIGNIN_SECONDS"),
    }
    for entry_name, (task, interval) in expected.items():
        entry = settings.CELERY_BEAT_SCHEDULE[entry_name]
        assert entry["task"] == task and task in app.tasks
        assert entry["schedule"] == getattr(settings, interval)
        assert entry["options"]["queue"] == "default"
        assert app.tasks[task].queue == "default"
