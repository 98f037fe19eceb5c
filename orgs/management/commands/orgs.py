"""`manage.py orgs create|list|show|retry`: the engine from the command line."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs.models import Application, OpState, Organization, SyncOperation
from orgs.services import ServiceError
from orgs.services.organizations import organization_create
from orgs.services.sync_ops import sync_operation_retry


class Command(BaseCommand):
    help = "Create, list and inspect organizations; retry failed operations."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create an organization.")
        create.add_argument("name")
        create.add_argument("--display-name", default="")
        create.add_argument(
            "--membership", default="shared_db", choices=["shared_db", "own_db", "enterprise"]
        )
        create.add_argument("--admin-email", default="", help="Invite this first admin.")
        create.add_argument("--application", default="", help="Client id for the invitation.")
        sub.add_parser("list", help="List organizations with their sync state.")
        show = sub.add_parser("show", help="Show one organization and its operations.")
        show.add_argument("name")
        retry = sub.add_parser("retry", help="Retry failed operations.")
        retry.add_argument("ids", nargs="*", type=int, help="Operation ids (default: all failed).")
        retry.add_argument("--org", default="", help="Only this organization's.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc

    def _create(
        self,
        name: str,
        display_name: str,
        membership: str,
        admin_email: str,
        application: str,
        **_: Any,
    ) -> None:
        app = Application.objects.filter(client_id=application).first() if application else None
        if application and app is None:
            raise CommandError(f"Unknown application '{application}'.")
        org = organization_create(
            actor=None,
            name=name,
            display_name=display_name or name,
            membership_model=membership,
            first_admin_email=admin_email,
            application=app,
        )
        self.stdout.write(f"Created {org.name} (pending; operations queued).")

    def _list(self, **_: Any) -> None:
        for org in Organization.objects.exclude(status="deleted"):
            self.stdout.write(
                f"{org.name:<30} {org.status:<10} {org.sync_state:<8} {org.auth0_id or '-'}"
            )

    def _show(self, name: str, **_: Any) -> None:
        org = Organization.objects.exclude(status="deleted").filter(name=name).first()
        if org is None:
            raise CommandError(f"No organization named '{name}'.")
        data = {
            "name": org.name,
            "display_name": org.display_name,
            "status": org.status,
            "sync_state": org.sync_state,
            "sync_error": org.sync_error,
            "auth0_id": org.auth0_id,
            "membership_model": org.membership_model,
            "connections": [
                link.connection.name
                for link in org.organization_connections.select_related("connection")
            ],
            "operations": [
                {
                    "id": op.pk,
                    "kind": op.kind,
                    "state": op.state,
                    "attempts": op.attempts,
                    "error": op.last_error,
                }
                for op in org.sync_operations.order_by("id")
            ],
        }
        self.stdout.write(json.dumps(data, indent=2))

    def _retry(self, ids: list[int], org: str, **_: Any) -> None:
        ops = SyncOperation.objects.filter(state=OpState.FAILED)
        if ids:
            ops = ops.filter(pk__in=ids)
        if org:
            ops = ops.filter(organization__name=org)
        count = 0
        for op in ops:
            sync_operation_retry(actor=None, operation=op)
            count += 1
        self.stdout.write(f"Queued {count} operation(s) again.")
