"""Making, checking and revoking API keys.

A key is `oap_<id>_<secret>`. Only HMAC-SHA256(SECRET_KEY, secret) is stored, and checked
in constant time; the whole key exists once, in the answer to `api_key_create`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orgs.models import ApiKey, ApiScope, Organization
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from portal.models import User

PREFIX = "oap"
DEFAULT_DAYS = 90
MAX_DAYS = 365
ALL_SCOPES = tuple(scope.value for scope in ApiScope)


@dataclass(frozen=True)
class NewKey:
    row: ApiKey
    key: str  # shown once, never stored


def secret_hash(secret: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), secret.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    actor: User | None,
    organization: Organization,
    name: str,
    scopes: list[str],
    days: int = DEFAULT_DAYS,
) -> NewKey:
    name = name.strip()
    if not name:
        raise ServiceError("Give the key a name, to tell it apart later.", field="name")
    if not scopes or set(scopes) - set(ALL_SCOPES):
        raise ServiceError("Choose what the key may do.", field="scopes")
    if not 1 <= days <= MAX_DAYS:
        raise ServiceError(f"A key lasts between 1 and {MAX_DAYS} days.", field="days")
    secret = secrets.token_urlsafe(32)
    row = ApiKey.objects.create(
        organization=organization,
        name=name,
        secret_hash=secret_hash(secret),
        scopes=sorted(set(scopes)),
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit(
        actor=actor,
        action="api_key.create",
        organization=organization,
        target=name,
        scopes=row.scopes,
        expires=row.expires_at.date().isoformat(),
    )
    return NewKey(row=row, key=f"{PREFIX}_{row.pk}_{secret}")


@transaction.atomic
def api_key_revoke(*, actor: User | None, key: ApiKey) -> ApiKey:
    if key.revoked:
        raise ServiceError(f"The key {key.name} is revoked already.")
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit(actor=actor, action="api_key.revoke", organization=key.organization, target=key.name)
    return key


def find_key(presented: str) -> ApiKey | None:
    """The key this string names and proves, revoked or expired included (the caller
    says which); None when it names none or the secret is wrong."""
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not key_id.isdigit() or not secret:
        return None
    row = ApiKey.objects.select_related("organization").filter(pk=int(key_id)).first()
    # Hash even without a row, so a wrong id and a wrong secret take the same time.
    digest = secret_hash(secret)
    if row is None or not hmac.compare_digest(digest, row.secret_hash):
        return None
    return row


def mark_used(key: ApiKey, address: str | None) -> None:
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now(), last_used_from=address)
