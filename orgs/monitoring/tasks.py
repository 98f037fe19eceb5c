"""Celery tasks of the operations jobs (beat: run-tenant-checks, evaluate-alerts,
synthetic-signin). Thin: each calls its module and returns a summary for the log."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="orgs.monitoring.tasks.run_tenant_checks",
    queue="default",
    ignore_result=True,
    soft_time_limit=110,
    time_limit=120,
)
def run_tenant_checks() -> dict[str, str]:
    from orgs.monitoring.tenant_checks import run_tenant_checks as run

    return {result.name: result.status for result in run()}


@shared_task(
    name="orgs.monitoring.tasks.evaluate_alerts",
    queue="default",
    ignore_result=True,
    soft_time_limit=50,
    time_limit=60,
)
def evaluate_alerts() -> list[str]:
    from orgs.monitoring.conditions import evaluate_alerts as evaluate

    return evaluate()


@shared_task(
    name="orgs.monitoring.tasks.synthetic_signin",
    queue="default",
    ignore_result=True,
    soft_time_limit=50,
    time_limit=60,
)
def synthetic_signin() -> dict[str, object] | None:
    from orgs.monitoring.synthetic import synthetic_signin as sign_in

    attempt = sign_in()
    if attempt is None:
        return None
    return {"ok": attempt.ok, "latency_ms": attempt.latency_ms, "error_code": attempt.error_code}
