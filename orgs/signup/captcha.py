"""An optional CAPTCHA on the sign-up form, off by default. SIGNUP_CAPTCHA_VERIFIER names
a callable `(token, remote_ip) -> bool`; the page renders the widget from
SIGNUP_CAPTCHA_SITE_KEY and SIGNUP_CAPTCHA_SCRIPT_URL, and the widget posts its token in
the field SIGNUP_CAPTCHA_FIELD. One verifier ships: Cloudflare Turnstile."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

TURNSTILE_SITEVERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
TURNSTILE_TIMEOUT_SECONDS = 5.0

Verifier = Callable[[str, str], bool]


def captcha_enabled() -> bool:
    return bool(str(settings.SIGNUP_CAPTCHA_VERIFIER).strip())


def verify_captcha(token: str, remote_ip: str) -> bool:
    """True when the CAPTCHA is off or the verifier accepts the token. A verifier that
    raises counts as a refusal (a sign-up is retried more easily than a bot is undone);
    the log names the failure, never the token."""
    if not captcha_enabled():
        return True
    if not token:
        return False
    path = str(settings.SIGNUP_CAPTCHA_VERIFIER).strip()
    try:
        verifier: Verifier = import_string(path)
        return bool(verifier(token, remote_ip))
    except Exception as exc:
        # The exception's text may quote the request, token included: its type only.
        logger.warning("CAPTCHA verifier %s failed: %s", path, type(exc).__name__)
        return False


def turnstile_verify(
    token: str, remote_ip: str, *, transport: httpx.BaseTransport | None = None
) -> bool:
    """Cloudflare Turnstile's siteverify with SIGNUP_CAPTCHA_SECRET: its `success`.
    `transport` lets tests answer without the network."""
    data = {"secret": settings.SIGNUP_CAPTCHA_SECRET, "response": token}
    if remote_ip:
        data["remoteip"] = remote_ip
    with httpx.Client(transport=transport, timeout=TURNSTILE_TIMEOUT_SECONDS) as client:
        response = client.post(TURNSTILE_SITEVERIFY_URL, data=data)
    response.raise_for_status()
    return response.json().get("success") is True
