from __future__ import annotations

import logging

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from orgs.signup.captcha import captcha_enabled, turnstile_verify, verify_captcha

SEEN: list[tuple[str, str]] = []
TOKEN = "secret-widget-token-0123456789"


def accept_good_token(token: str, remote_ip: str) -> bool:
    SEEN.append((token, remote_ip))
    return token == "good"


def broken_verifier(token: str, remote_ip: str) -> bool:
    raise RuntimeError(f"upstream said no to {token}")


NOT_CALLABLE = 42


@pytest.fixture
def verifier(settings):  # type: ignore[no-untyped-def]
    SEEN.clear()
    settings.SIGNUP_CAPTCHA_VERIFIER = f"{__name__}.accept_good_token"
    settings.SIGNUP_CAPTCHA_SITE_KEY = "site-key"
    return settings


def test_the_captcha_is_off_by_default() -> None:
    assert not captcha_enabled()
    assert verify_captcha("", "203.0.113.9")


def test_a_verifier_turns_it_on(verifier) -> None:  # type: ignore[no-untyped-def]
    assert captcha_enabled()


def test_the_verifier_decides(verifier) -> None:  # type: ignore[no-untyped-def]
    assert verify_captcha("good", "203.0.113.9")
    assert not verify_captcha("bad", "203.0.113.9")
    assert SEEN == [("good", "203.0.113.9"), ("bad", "203.0.113.9")]


def test_a_missing_token_fails_without_asking(verifier) -> None:  # type: ignore[no-untyped-def]
    assert not verify_captcha("", "203.0.113.9")
    assert SEEN == []


def test_a_verifier_that_raises_counts_as_failed_and_the_log_has_no_token(
    verifier, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    verifier.SIGNUP_CAPTCHA_VERIFIER = f"{__name__}.broken_verifier"
    with caplog.at_level(logging.WARNING, logger="orgs.signup.captcha"):
        assert not verify_captcha(TOKEN, "203.0.113.9")
    assert "broken_verifier failed: RuntimeError" in caplog.text
    assert TOKEN not in caplog.text


def test_a_verifier_that_cannot_be_imported_counts_as_failed(verifier) -> None:  # type: ignore[no-untyped-def]
    verifier.SIGNUP_CAPTCHA_VERIFIER = "orgs.signup.captcha.no_such_verifier"
    assert not verify_captcha("good", "203.0.113.9")


def test_the_checks_refuse_a_verifier_that_cannot_be_imported(verifier) -> None:  # type: ignore[no-untyped-def]
    verifier.SIGNUP_CAPTCHA_VERIFIER = "orgs.signup.captcha.no_such_verifier"
    with pytest.raises(SystemCheckError, match="cannot be imported"):
        call_command("check")


def test_the_checks_refuse_a_verifier_that_is_not_callable(verifier) -> None:  # type: ignore[no-untyped-def]
    verifier.SIGNUP_CAPTCHA_VERIFIER = f"{__name__}.NOT_CALLABLE"
    with pytest.raises(SystemCheckError, match="is not callable"):
        call_command("check")


def test_the_checks_want_a_site_key_for_the_widget(verifier) -> None:  # type: ignore[no-untyped-def]
    verifier.SIGNUP_CAPTCHA_SITE_KEY = ""
    with pytest.raises(SystemCheckError, match="SIGNUP_CAPTCHA_SITE_KEY"):
        call_command("check")


def test_the_checks_want_a_secret_for_turnstile(verifier) -> None:  # type: ignore[no-untyped-def]
    verifier.SIGNUP_CAPTCHA_VERIFIER = "orgs.signup.captcha.turnstile_verify"
    verifier.SIGNUP_CAPTCHA_SECRET = ""
    with pytest.raises(SystemCheckError, match="SIGNUP_CAPTCHA_SECRET"):
        call_command("check")


def turnstile(success: bool, sent: list[httpx.Request], status: int = 200) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(status, json={"success": success, "error-codes": []})

    return httpx.MockTransport(answer)


def test_turnstile_posts_the_secret_token_and_address(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SIGNUP_CAPTCHA_SECRET = "turnstile-secret"
    sent: list[httpx.Request] = []
    assert turnstile_verify("tok", "203.0.113.9", transport=turnstile(True, sent))
    (request,) = sent
    assert str(request.url) == "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    assert request.method == "POST"
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form == {"secret": "turnstile-secret", "response": "tok", "remoteip": "203.0.113.9"}


def test_turnstile_returns_its_refusal(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SIGNUP_CAPTCHA_SECRET = "turnstile-secret"
    assert not turnstile_verify("tok", "", transport=turnstile(False, []))


def test_turnstile_raises_on_an_error_status_so_the_hook_fails_it(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SIGNUP_CAPTCHA_SECRET = "turnstile-secret"
    with pytest.raises(httpx.HTTPStatusError):
        turnstile_verify("tok", "", transport=turnstile(True, [], status=500))
