"""The cached answer to "may this customer admin still use the portal?".

The per-request re-check (portal.middleware) asks the database at most once a minute per
person and organization, and keeps the positive answer in the coordination store, which
every web process shares. An entry holds the time its check began and the organization's
generation it was made under:

- an entry older than `RECHECK_SECONDS` is checked again, whatever its TTL says;
- `forget_access` bumps the generation, so every entry made before it is void at once,
  including one a request was writing while the suspension committed (it read the old
  generation before it read the database).

Keys carry the organization in a hash tag (`{pk}`) so the one MGET stays in one slot on a
Redis cluster. If the store is unreachable nothing is trusted: every request asks the
database, and a missed `forget_access` is bounded by the minute.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis

from orgs.models import Organization
from portal.coordination import coordination_store

log = logging.getLogger(__name__)

RECHECK_SECONDS = 60
# Far longer than any check takes, so a generation never falls back to an earlier value
# while a request that read it is still checking.
GENERATION_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class CachedAccess:
    fresh: bool  # a positive answer younger than RECHECK_SECONDS, still of this generation
    generation: int  # what a new answer must be stored under


def entry_key(organization_pk: int, user_sub: str) -> str:
    return f"access:{{{organization_pk}}}:user:{user_sub}"


def generation_key(organization_pk: int) -> str:
    return f"access:{{{organization_pk}}}:generation"


def cached_access(organization_pk: int, user_sub: str) -> CachedAccess:
    try:
        entry, generation = coordination_store().mget(
            entry_key(organization_pk, user_sub), generation_key(organization_pk)
        )
    except redis.RedisError:
        log.warning("Coordination store unreachable; re-checking access in the database")
        return CachedAccess(fresh=False, generation=-1)
    current = int(generation or 0)
    return CachedAccess(fresh=_is_fresh(entry, current), generation=current)


def remember_access(
    organization_pk: int, user_sub: str, *, generation: int, checked_at: float
) -> None:
    """Store a positive answer; `checked_at` is when the check began (before it read)."""
    if generation < 0:
        return  # the store was unreachable when the check began
    try:
        coordination_store().set(
            entry_key(organization_pk, user_sub),
            f"{generation}:{checked_at}",
            ex=RECHECK_SECONDS,
        )
    except redis.RedisError:
        log.warning("Coordination store unreachable; access answer not cached")


def forget_access(*, organization: Organization | int) -> None:
    """Void the cached answers of all the organization's sessions, including one being
    written right now. (Even when one person lost access: it costs the other admins one
    re-check each.) Call on commit, so the re-check reads the change."""
    pk = organization if isinstance(organization, int) else organization.pk
    try:
        pipe = coordination_store().pipeline(transaction=True)
        pipe.incr(generation_key(pk))
        pipe.expire(generation_key(pk), GENERATION_TTL_SECONDS)
        pipe.execute()
    except redis.RedisError:
        # The change is committed; the sessions end when their answer ages out (a minute).
        log.exception("Could not drop cached portal access of organization %s", pk)


def _is_fresh(entry: bytes | str | None, generation: int) -> bool:
    if entry is None:
        return False
    raw = entry.decode() if isinstance(entry, bytes) else entry
    stored_generation, _, checked_at = raw.partition(":")
    try:
        age = time.time() - float(checked_at)
        return int(stored_generation) == generation and 0 <= age <= RECHECK_SECONDS
    except ValueError:
        return False


def end_portal_sessions(user_sub: str) -> None:
    """Sign this person out of the portal on every browser: Django ties each session to a
    hash of the user's password field, so a new random unusable password makes every
    existing session invalid at its next request. A superuser's local break-glass
    password is left alone."""
    from portal.models import User

    for user in User.objects.filter(sub=user_sub, is_superuser=False):
        user.set_unusable_password()
        user.save(update_fields=["password"])
