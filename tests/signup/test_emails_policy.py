from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from orgs.signup.emails_policy import email_domain_problem, normalise_email


def test_it_allows_a_work_address() -> None:
    assert email_domain_problem("ada@acme-engineering.com") == ""


def test_it_refuses_a_personal_address_by_default() -> None:
    assert email_domain_problem("ada@gmail.com") == (
        "Use your work email address: gmail.com is a personal email service."
    )


def test_it_allows_a_personal_address_when_the_policy_allows_them(settings) -> None:
    settings.SIGNUP_CONSUMER_EMAILS = "allow"
    assert email_domain_problem("ada@outlook.com") == ""


def test_it_refuses_a_disposable_address_by_default() -> None:
    assert email_domain_problem("bot@mailinator.com") == (
        "mailinator.com is a disposable email service: use your work email address."
    )


def test_it_allows_a_disposable_address_when_the_policy_allows_them(settings) -> None:
    settings.SIGNUP_DISPOSABLE_EMAILS = "allow"
    settings.SIGNUP_CONSUMER_EMAILS = "allow"  # mailinator.com is on both lists
    assert email_domain_problem("bot@mailinator.com") == ""


def test_allowing_disposable_mail_leaves_personal_mail_to_its_own_policy(settings) -> None:
    settings.SIGNUP_DISPOSABLE_EMAILS = "allow"
    assert email_domain_problem("bot@10minutemail.co.uk") == ""  # disposable only
    assert "personal email service" in email_domain_problem("bot@mailinator.com")


def test_a_subdomain_counts_as_its_parent() -> None:
    assert email_domain_problem("ada@mail.gmail.com") == (
        "Use your work email address: mail.gmail.com is a personal email service."
    )


def test_the_domain_is_matched_in_lower_case() -> None:
    assert "personal email service" in email_domain_problem("Ada@GMail.COM")


def test_the_allow_list_overrides_the_maintained_lists(settings) -> None:
    settings.SIGNUP_EMAIL_DOMAINS_ALLOWED = ["gmail.com"]
    assert email_domain_problem("ada@gmail.com") == ""
    assert email_domain_problem("ada@mail.gmail.com") == ""


def test_the_refuse_list_refuses_a_domain_and_its_subdomains(settings) -> None:
    settings.SIGNUP_EMAIL_DOMAINS_REFUSED = ["competitor.example"]
    expected = "{} email addresses cannot be used to sign up: use your work email address."
    assert email_domain_problem("spy@competitor.example") == expected.format("competitor.example")
    assert email_domain_problem("spy@eu.competitor.example") == expected.format(
        "eu.competitor.example"
    )


def test_the_nearest_list_entry_wins(settings) -> None:
    settings.SIGNUP_EMAIL_DOMAINS_REFUSED = ["example.org"]
    settings.SIGNUP_EMAIL_DOMAINS_ALLOWED = ["research.example.org"]
    assert email_domain_problem("ada@research.example.org") == ""
    assert email_domain_problem("ada@sales.example.org") != ""


def test_a_unicode_domain_is_matched_in_its_idna_form(settings) -> None:
    settings.SIGNUP_EMAIL_DOMAINS_REFUSED = ["xn--bcher-kva.example"]
    assert email_domain_problem("ada@Bücher.example") == (
        "bücher.example email addresses cannot be used to sign up: use your work email address."
    )


def test_a_list_entry_written_in_unicode_matches_too(settings) -> None:
    settings.SIGNUP_EMAIL_DOMAINS_REFUSED = ["bücher.example"]
    assert email_domain_problem("ada@xn--bcher-kva.example") != ""


def test_an_address_without_a_real_domain_gets_a_plain_message() -> None:
    assert email_domain_problem("ada") == "Enter an email address like name@example.com."
    assert email_domain_problem("ada@localhost") == "Enter an email address like name@example.com."


def test_normalise_strips_and_lower_cases_the_whole_address() -> None:
    assert normalise_email("  Ada.Lovelace@Acme.COM \n") == "ada.lovelace@acme.com"


def test_normalise_applies_nfkc() -> None:
    assert normalise_email("ａｄａ@ａｃｍｅ.com") == "ada@acme.com"


@pytest.mark.parametrize("hidden", ["\u202e", "\u200f", "\u2066", "\u061c"])
def test_normalise_refuses_a_bidi_control(hidden: str) -> None:
    with pytest.raises(ValueError, match="hidden character"):
        normalise_email(f"ada{hidden}@acme.com")


@pytest.mark.parametrize("hidden", ["\u200b", "\u00ad", "\x00"])
def test_normalise_refuses_an_invisible_character(hidden: str) -> None:
    with pytest.raises(ValueError, match=r"hidden character \(U\+"):
        normalise_email(f"ada@ac{hidden}me.com")


def test_the_checks_refuse_a_misspelt_policy(settings) -> None:
    settings.SIGNUP_CONSUMER_EMAILS = "refused"
    with pytest.raises(SystemCheckError, match="SIGNUP_CONSUMER_EMAILS='refused' is not a policy"):
        call_command("check")


def test_the_checks_refuse_a_list_entry_that_is_not_a_domain(settings) -> None:
    settings.SIGNUP_EMAIL_DOMAINS_ALLOWED = ["https://acme.com"]
    with pytest.raises(SystemCheckError, match="SIGNUP_EMAIL_DOMAINS_ALLOWED has"):
        call_command("check")


def test_the_checks_pass_with_the_defaults() -> None:
    call_command("check")
