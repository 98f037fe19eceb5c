from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs.auth0.errors import Auth0Error
from orgs.models import Organization
from orgs.reconcile import fan_out, reconcile


class Command(BaseCommand):
    help = "Compare the portal's records with Auth0; show drift, or repair it with --fix."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Only this organization (its name).")
        parser.add_argument("--fix", action="store_true", help="Queue operations that repair it.")
        parser.add_argument(
            "--async",
            dest="fan_out",
            action="store_true",
            help="Queue one bulk task per organization (as beat does) instead of waiting here.",
        )

    def handle(self, *args: Any, org: str | None, fix: bool, fan_out: bool, **options: Any) -> None:
        organization = None
        if org:
            organization = Organization.objects.exclude(status="deleted").filter(name=org).first()
            if organization is None:
                raise CommandError(f"No organization named '{org}'.")
        if fan_out:
            self._fan_out(organization, fix)
            return
        try:
            report = reconcile(organization=organization, fix=fix)
        except Auth0Error as exc:
            raise CommandError(f"Reconcile failed: {exc}") from exc
        for drift in report.drifts:
            self.stdout.write(f"DRIFT {drift}")
        self.stdout.write(
            f"Checked {report.checked}; {len(report.drifts)} drifted"
            + (f"; {report.fixed} repairs queued." if fix else ".")
        )

    def _fan_out(self, organization: Organization | None, fix: bool) -> None:
        counts = fan_out(fix=fix, organization=organization)
        self.stdout.write(
            f"Queued {counts['organizations']} organization and {counts['connections']} "
            f"connection checks ({'repairing' if fix else 'reporting only'}); "
            "drift shows on the rows as each finishes."
        )
