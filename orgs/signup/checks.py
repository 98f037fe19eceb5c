"""Configuration checks for self sign-up, run with the portal's (portal/checks.py): a typo
in a policy, a limit or the CAPTCHA verifier stops the portal with a clear message instead
of quietly letting everyone in."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from orgs.signup.emails_policy import POLICY_CHOICES, setting_domain_problem
from orgs.signup.ratelimits import LIMIT_SETTINGS, limit_from_setting


def signup_problems() -> list[Error]:
    return [
        *_policy_problems(),
        *_domain_list_problems(),
        *_limit_problems(),
        *_number_problems(),
        *_captcha_problems(),
    ]


def _policy_problems() -> list[Error]:
    return [
        Error(
            f"{name}={getattr(settings, name)!r} is not a policy.",
            hint=f"Use one of: {', '.join(POLICY_CHOICES)}.",
            id="signup.E001",
        )
        for name in ("SIGNUP_CONSUMER_EMAILS", "SIGNUP_DISPOSABLE_EMAILS")
        if getattr(settings, name) not in POLICY_CHOICES
    ]


def _domain_list_problems() -> list[Error]:
    found = []
    for name in ("SIGNUP_EMAIL_DOMAINS_ALLOWED", "SIGNUP_EMAIL_DOMAINS_REFUSED"):
        for entry in getattr(settings, name):
            problem = setting_domain_problem(entry)
            if problem:
                found.append(Error(f"{name} has {entry!r}: {problem}", id="signup.E002"))
    return found


def _limit_problems() -> list[Error]:
    found = []
    for name in LIMIT_SETTINGS:
        try:
            limit_from_setting(name)
        except ImproperlyConfigured as exc:
            found.append(Error(str(exc), id="signup.E003"))
    return found


def _number_problems() -> list[Error]:
    return [
        Error(f"{name} must be 0 or more, not {getattr(settings, name)!r}.", id="signup.E004")
        for name in ("SIGNUP_RESEND_COOLDOWN_SECONDS", "TRUSTED_PROXY_COUNT")
        if getattr(settings, name) < 0
    ]


def _captcha_problems() -> list[Error]:
    path = str(settings.SIGNUP_CAPTCHA_VERIFIER).strip()
    if not path:
        return []
    try:
        verifier = import_string(path)
    except ImportError as exc:
        return [
            Error(f"SIGNUP_CAPTCHA_VERIFIER={path!r} cannot be imported: {exc}", id="signup.E005")
        ]
    found = []
    if not callable(verifier):
        found.append(Error(f"SIGNUP_CAPTCHA_VERIFIER={path!r} is not callable.", id="signup.E005"))
    if not settings.SIGNUP_CAPTCHA_SITE_KEY or not settings.SIGNUP_CAPTCHA_FIELD:
        found.append(
            Error(
                "SIGNUP_CAPTCHA_VERIFIER is set but SIGNUP_CAPTCHA_SITE_KEY or "
                "SIGNUP_CAPTCHA_FIELD is empty: the page could not show the widget.",
                id="signup.E006",
            )
        )
    if path == "orgs.signup.captcha.turnstile_verify" and not settings.SIGNUP_CAPTCHA_SECRET:
        found.append(
            Error(
                "Turnstile needs SIGNUP_CAPTCHA_SECRET (the widget's secret key).", id="signup.E007"
            )
        )
    return found
