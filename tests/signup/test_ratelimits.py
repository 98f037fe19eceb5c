from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from orgs.signup.ratelimits import (
    Limit,
    client_ip,
    hit,
    limit_from_setting,
    parse_limit,
    retry_after_words,
    subject_hash,
)
from portal.coordination import coordination_store

FIVE_PER_HOUR = Limit(name="signup_rate_per_ip", count=5, window_seconds=3600)
START = 1_800_000_000.0  # on an hour boundary: 1_800_000_000 / 3600 is whole


def test_attempts_within_the_limit_are_allowed(coordination: str) -> None:
    assert [hit(FIVE_PER_HOUR, "203.0.113.9", now=START + i) for i in range(5)] == [0] * 5


def test_the_attempt_past_the_limit_gets_the_seconds_to_wait(coordination: str) -> None:
    for i in range(5):
        hit(FIVE_PER_HOUR, "203.0.113.9", now=START + i)
    assert hit(FIVE_PER_HOUR, "203.0.113.9", now=START + 600.5) == 3000


def test_the_limit_resets_after_the_window(coordination: str) -> None:
    for i in range(6):
        hit(FIVE_PER_HOUR, "203.0.113.9", now=START + i)
    assert hit(FIVE_PER_HOUR, "203.0.113.9", now=START + 3600) == 0


def test_the_wait_is_at_least_one_second(coordination: str) -> None:
    one_per_minute = Limit(name="t", count=1, window_seconds=60)
    hit(one_per_minute, "ada@acme.com", now=START)
    assert hit(one_per_minute, "ada@acme.com", now=START + 59.9) == 1


def test_subjects_and_limits_are_counted_apart(coordination: str) -> None:
    one = Limit(name="a", count=1, window_seconds=60)
    other = Limit(name="b", count=1, window_seconds=60)
    assert hit(one, "ada@acme.com", now=START) == 0
    assert hit(one, "bob@acme.com", now=START) == 0
    assert hit(other, "ada@acme.com", now=START) == 0
    assert hit(one, "ada@acme.com", now=START) > 0


def test_an_email_is_counted_the_same_whatever_its_case(coordination: str) -> None:
    one = Limit(name="a", count=1, window_seconds=60)
    hit(one, "Ada@Acme.com", now=START)
    assert hit(one, "ada@acme.com ", now=START) > 0


def test_the_key_holds_no_raw_email_or_address(coordination: str) -> None:
    hit(FIVE_PER_HOUR, "ada.lovelace@acme.com", now=START)
    hit(FIVE_PER_HOUR, "203.0.113.9", now=START)
    keys = [key.decode() for key in coordination_store().keys("*")]
    assert len(keys) == 2
    assert all(key.startswith("signup:rate:signup_rate_per_ip:") for key in keys)
    assert not any("ada" in key or "acme" in key or "203.0.113" in key for key in keys)
    assert any(subject_hash("ada.lovelace@acme.com") in key for key in keys)


def test_counters_expire(coordination: str) -> None:
    hit(FIVE_PER_HOUR, "203.0.113.9")
    (key,) = coordination_store().keys("signup:rate:*")
    assert 0 < coordination_store().ttl(key) <= 7200


def test_parse_limit_reads_every_unit() -> None:
    assert parse_limit("X", "5/h") == Limit("x", 5, 3600)
    assert parse_limit("X", "60/m") == Limit("x", 60, 60)
    assert parse_limit("X", "100/d") == Limit("x", 100, 86400)
    assert parse_limit("X", " 10 / s ") == Limit("x", 10, 1)


@pytest.mark.parametrize("text", ["", "5", "5/hour", "five/h", "0/m", "-1/m", "5/w", "5/h/m"])
def test_parse_limit_refuses_bad_text(text: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="SIGNUP_RATE_PER_IP="):
        parse_limit("SIGNUP_RATE_PER_IP", text)


def test_the_default_limits_are_the_documented_ones() -> None:
    assert limit_from_setting("SIGNUP_RATE_PER_IP") == Limit("signup_rate_per_ip", 5, 3600)
    assert limit_from_setting("SIGNUP_RATE_PER_EMAIL") == Limit("signup_rate_per_email", 3, 3600)
    assert limit_from_setting("SIGNUP_NAME_CHECK_RATE_PER_IP") == Limit(
        "signup_name_check_rate_per_ip", 60, 60
    )


def test_the_checks_refuse_a_bad_limit_setting(settings) -> None:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.SIGNUP_RATE_PER_EMAIL = "3 an hour"
    with pytest.raises(SystemCheckError, match="SIGNUP_RATE_PER_EMAIL="):
        call_command("check")


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "in 1 second"),
        (30, "in 30 seconds"),
        (59, "in 59 seconds"),
        (60, "in 1 minute"),
        (61, "in 2 minutes"),
        (42 * 60, "in 42 minutes"),
        (3600, "in 1 hour"),
        (5400, "in 2 hours"),
        (86400, "in 24 hours"),
        (3 * 86400, "in 3 days"),
        (0, "in 1 second"),
    ],
)
def test_retry_after_words(seconds: int, words: str) -> None:
    assert retry_after_words(seconds) == words


def request(remote: str = "198.51.100.7", forwarded: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/signup/", **extra)


def test_without_proxies_the_client_is_remote_addr_and_the_header_is_ignored() -> None:
    assert client_ip(request(forwarded="6.6.6.6")) == "198.51.100.7"


def test_behind_one_proxy_the_client_is_the_last_hop(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request(forwarded="6.6.6.6, 203.0.113.9")) == "203.0.113.9"


def test_behind_two_proxies_the_client_is_two_hops_from_the_right(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 2
    forwarded = "6.6.6.6, 203.0.113.9, 10.0.0.2"
    assert client_ip(request(forwarded=forwarded)) == "203.0.113.9"


def test_behind_proxies_a_missing_header_falls_back_to_remote_addr(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request()) == "198.51.100.7"


def test_a_hop_that_is_not_an_address_falls_back_to_remote_addr(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request(forwarded="unknown")) == "198.51.100.7"


def test_an_ipv6_hop_is_accepted(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request(forwarded="2001:db8::1")) == "2001:db8::1"
