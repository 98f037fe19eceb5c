"""`manage.py orgs create|list|show|retry|export|plan|apply`: the engine from the command
line, and organizations as code (docs/deploy.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs.deploy.apply import apply_directory
from orgs.deploy.export import export_directory
from orgs.deploy.plan import make_plan
from orgs.deploy.reading import InvalidDirectory, read_directory
from orgs.models import Application, OpState, Organization, SyncOperation
from orgs.services import ServiceError
from orgs.services.organizations import organization_create
from orgs.services.sync_ops import sync_operation_retry
from portal.models import User


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
        export = sub.add_parser("export", help="Write organizations as a deploy-cli directory.")
        export.add_argument("directory", type=Path)
        export.add_argument("--org", action="append", default=[], help="Only this one (repeat).")
        for name, text in (
            ("plan", "Show what a directory would change."),
            ("apply", "Record a directory's changes as operations."),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("directory", type=Path)
            command.add_argument("--allow-delete", action="store_true")
            command.add_argument(
                "--config",
                type=Path,
                help="deploy-cli config.json: AUTH0_KEYWORD_REPLACE_MAPPINGS.",
            )
            if name == "apply":
                command.add_argument("--actor", default="", help="Audit as this portal user.")

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

    def _export(self, directory: Path, org: list[str], **_: Any) -> None:
        try:
            files = export_directory(directory, org)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Wrote {len(files)} file(s) to {directory}.")

    def _plan(self, directory: Path, allow_delete: bool, config: Path | None, **_: Any) -> None:
        try:
            mappings = _mappings(config)
            plan = make_plan(
                read_directory(directory), allow_delete=allow_delete, mappings=mappings
            )
        except InvalidDirectory as exc:
            self.stderr.write(str(exc))
            sys.exit(1)
        for line in plan.lines():
            self.stdout.write(line)
        sys.exit(2 if plan.changes else 0)  # like `terraform plan -detailed-exitcode`

    def _apply(
        self, directory: Path, allow_delete: bool, config: Path | None, actor: str, **_: Any
    ) -> None:
        user = None
        if actor:
            user = User.objects.filter(email__iexact=actor).first()
            if user is None:
                raise CommandError(f"No portal user with the email {actor}.")
        try:
            mappings = _mappings(config)
            done = apply_directory(
                lambda: read_directory(directory),
                actor=user,
                allow_delete=allow_delete,
                mappings=mappings,
            )
        except InvalidDirectory as exc:
            self.stderr.write(str(exc))
            sys.exit(1)
        for line in done or ["No changes."]:
            self.stdout.write(line)

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


def _mappings(config: Path | None) -> dict[str, str]:
    """deploy-cli's AUTH0_KEYWORD_REPLACE_MAPPINGS from its config file (secret values)."""
    if config is None:
        return {}
    from orgs.deploy.reading import InputProblem

    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        mappings = data.get("AUTH0_KEYWORD_REPLACE_MAPPINGS") or {}
    except (OSError, ValueError, AttributeError) as exc:
        raise InvalidDirectory([InputProblem(str(config), 1, "", f"Not readable: {exc}")]) from exc
    return {str(k): str(v) for k, v in mappings.items() if v not in ("", None)}
