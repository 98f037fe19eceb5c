from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from orgs.auth0.errors import Auth0Error
from orgs.tenant_import import import_tenant


class Command(BaseCommand):
    help = "Import the tenant's applications, roles, connections and organizations (adopting)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = import_tenant()
        except Auth0Error as exc:
            raise CommandError(f"Import failed: {exc}") from exc
        counts = ", ".join(f"{n} {kind}" for kind, n in report.counts.items()) or "nothing"
        self.stdout.write(f"Imported {counts}.")
        for skipped in report.skipped:
            self.stdout.write(f"  skipped {skipped}")
