from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs.key_rotation import DEFAULT_BATCH_SIZE, rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first FIELD_ENCRYPTION_KEYS key. Safe to run "
        "again: rows already on that key are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change; write nothing."
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)

    def handle(self, *args: Any, dry_run: bool, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        counts = rotate_all(dry_run=dry_run, batch_size=batch_size)
        for count in counts:
            self.stdout.write(("[dry run] " if dry_run else "") + str(count))
        unreadable = {c.label: c.unreadable for c in counts if c.unreadable}
        if unreadable:
            # The old key must stay until these are re-entered or their key is found.
            raise CommandError(
                "Some secrets open with none of the configured keys; keep every old key "
                f"until they are dealt with (primary keys: {unreadable})."
            )
