"""Celery task of self sign-up: beat's "watch-signups" (orgs.signup.watch)."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="orgs.signup.tasks.watch_signups",
    queue="default",
    ignore_result=True,
    soft_time_limit=300,
    time_limit=330,
)
def watch_signups() -> dict[str, int]:
    from dataclasses import asdict

    from orgs.signup.watch import watch_signups as watch

    return asdict(watch())
