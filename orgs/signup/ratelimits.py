"""How often one address or one email may start a sign-up: fixed-window counters in the
coordination store, so every web process shares the count (like orgs.api.ratelimit).
Subjects are stored only as keyed hashes: the store never holds a raw email or IP."""

from __future__ import annotations

import ipaddress
import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from portal.coordination import coordination_store

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LIMIT_TEXT = re.compile(r"^\s*(\d+)\s*/\s*([smhd])\s*$")
# The settings that hold a limit as text ("5/h"); the checks parse each one.
LIMIT_SETTINGS = (
    "SIGNUP_RATE_PER_IP",
    "SIGNUP_RATE_PER_EMAIL",
    "SIGNUP_NAME_CHECK_RATE_PER_IP",
)


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    window_seconds: int


def parse_limit(name: str, text: str) -> Limit:
    """ "5/h" -> 5 per hour; units s, m, h, d. ImproperlyConfigured names the setting."""
    match = _LIMIT_TEXT.match(str(text))
    if not match or int(match[1]) < 1:
        raise ImproperlyConfigured(
            f"{name}={text!r} is not a limit: write a count and a unit, like 5/h "
            "(units: s, m, h, d; the count at least 1)."
        )
    return Limit(name=name.lower(), count=int(match[1]), window_seconds=UNIT_SECONDS[match[2]])


def limit_from_setting(setting_name: str) -> Limit:
    """The limit a setting in LIMIT_SETTINGS holds, read now (so tests can change it)."""
    return parse_limit(setting_name, getattr(settings, setting_name))


def hit(limit: Limit, subject: str, *, now: float | None = None) -> int:
    """Count one attempt by `subject` (an IP or an email). 0 when it may go ahead, else the
    seconds (at least 1) until the window that lets it try again."""
    now = time.time() if now is None else now
    window = int(now // limit.window_seconds)
    key = f"signup:rate:{limit.name}:{subject_hash(subject)}:{window}"
    pipe = coordination_store().pipeline()
    pipe.incr(key)
    pipe.expire(key, limit.window_seconds * 2)
    count = int(pipe.execute()[0])
    if count <= limit.count:
        return 0
    return max(1, math.ceil((window + 1) * limit.window_seconds - now))


def subject_hash(subject: str) -> str:
    """Keyed with SECRET_KEY: a plain sha256 of an IPv4 address is reversed by trying all
    four billion."""
    return salted_hmac(
        "orgs.signup.ratelimits", subject.strip().lower(), algorithm="sha256"
    ).hexdigest()


def retry_after_words(seconds: int) -> str:
    """ "in 30 seconds", "in 1 minute", "in 2 hours": rounded up, never sooner than true."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return _in_units(seconds, "second")
    if seconds < 3600:
        return _in_units(math.ceil(seconds / 60), "minute")
    if seconds < 2 * 86400:
        return _in_units(math.ceil(seconds / 3600), "hour")
    return _in_units(math.ceil(seconds / 86400), "day")


def _in_units(amount: int, unit: str) -> str:
    return f"in {amount} {unit}{'' if amount == 1 else 's'}"


def client_ip(request: HttpRequest) -> str:
    """The address the request came from. Behind TRUSTED_PROXY_COUNT proxies it is the
    X-Forwarded-For entry that many hops from the right: the last proxy's own peer is
    REMOTE_ADDR, and entries further left were written by the client and can be anything."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = int(settings.TRUSTED_PROXY_COUNT)
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if not hops:
        return remote
    # Fewer hops than proxies: a proxy did not add one; the leftmost is the best we have.
    candidate = hops[-proxies] if len(hops) >= proxies else hops[0]
    return candidate if _is_ip(candidate) else remote


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
