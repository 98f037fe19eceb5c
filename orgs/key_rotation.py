"""Re-encrypt every stored secret with the newest FIELD_ENCRYPTION_KEYS key.

Run by `manage.py rotate_encryption_key` between the two deploys of a key rotation
(docs/operations.md). Rows go in primary-key batches, each in its own transaction, so a
run that stops part way keeps what it did; a row already under the newest key is left
alone, so running again (after a stop, or twice) only does what is left. Each write is
conditional on the ciphertext being the one read: a secret re-entered meanwhile is already
under the newest key and is not overwritten.

The cached Management API token (orgs/auth0/tokens.py) is not here: it is keyed to
SECRET_KEY and lives a day at most; a token the new key cannot read is simply fetched again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken
from django.db import models, transaction

from orgs.models import Connection
from orgs.secrets import newest_fernet, rotated
from orgs.usermigration.models import MigrationRow, UserExport, UserMigration

# Every model field that holds a FIELD_ENCRYPTION_KEYS ciphertext (orgs/secrets.py). The
# self-service SSO pages (idp_selfservice) keep their secrets on the same Connection rows.
ENCRYPTED_FIELDS: list[tuple[type[models.Model], str]] = [
    (Connection, "encrypted_secrets"),
    (UserExport, "file_encrypted"),  # an organization's users, exported (usermigration)
    # A users file waiting for its rows to be read, and each row's user (password hash
    # included) until its import job is done (usermigration).
    (UserMigration, "upload_encrypted"),
    (MigrationRow, "payload_encrypted"),
]
# Of those, the ones that hold whole files rather than a few secrets.
FILE_FIELDS = {(UserExport, "file_encrypted"), (UserMigration, "upload_encrypted")}
DEFAULT_BATCH_SIZE = 200


@dataclass
class RotationCount:
    """What a run did (or, dry, would do) to one model's field."""

    label: str
    rotated: int = 0
    current: int = 0
    unreadable: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.label}: {self.rotated} re-encrypted, {self.current} already on the newest "
            f"key, {len(self.unreadable)} unreadable"
        )


def _is_current(token: str) -> bool:
    try:
        newest_fernet().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def _rotate_batch(
    model: type[models.Model],
    name: str,
    rows: list[tuple[int, str]],
    count: RotationCount,
    *,
    dry_run: bool,
) -> None:
    with transaction.atomic():
        for pk, token in rows:
            if _is_current(token):
                count.current += 1
                continue
            try:
                new_token = rotated(token)
            except InvalidToken:
                count.unreadable.append(pk)
                continue
            if dry_run:
                count.rotated += 1
                continue
            # Conditional: a secret saved since the read is already under the newest key.
            changed = model._default_manager.filter(pk=pk, **{name: token}).update(
                **{name: new_token}
            )
            if changed:
                count.rotated += 1
            else:
                count.current += 1


def rotate_field(
    model: type[models.Model], name: str, *, dry_run: bool, batch_size: int = DEFAULT_BATCH_SIZE
) -> RotationCount:
    """Re-encrypt `model.name` of every row that has a value, `batch_size` rows at a time."""
    count = RotationCount(label=f"{model._meta.label}.{name}")
    stored = model._default_manager.exclude(**{name: ""}).order_by("pk")
    after = 0
    while True:
        rows = list(stored.filter(pk__gt=after).values_list("pk", name)[:batch_size])
        if not rows:
            return count
        _rotate_batch(model, name, rows, count, dry_run=dry_run)
        after = rows[-1][0]


def rotate_all(*, dry_run: bool, batch_size: int = DEFAULT_BATCH_SIZE) -> list[RotationCount]:
    """Every encrypted field, re-encrypted with the newest key (counted only if `dry_run`).
    Whole files (an upload, an export: tens of MB each) go one row at a time."""
    return [
        rotate_field(
            model,
            name,
            dry_run=dry_run,
            batch_size=1 if (model, name) in FILE_FIELDS else batch_size,
        )
        for model, name in ENCRYPTED_FIELDS
    ]
