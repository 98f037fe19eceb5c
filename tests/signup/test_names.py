from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from orgs.signup.names import clean_person_or_company_name, suggest_slug


def clean(value: str, **kwargs: int) -> str:
    return clean_person_or_company_name(value, field_label="your company name", **kwargs)


def refusal(value: str, **kwargs: int) -> str:
    with pytest.raises(ValidationError) as caught:
        clean(value, **kwargs)
    return caught.value.messages[0]


def test_it_collapses_whitespace_and_strips() -> None:
    assert clean("  Acme \t  Widgets\n Ltd  ") == "Acme Widgets Ltd"


def test_it_turns_full_width_letters_into_plain_ones() -> None:
    assert clean("Ａｃｍｅ") == "Acme"


@pytest.mark.parametrize(
    "name", ["株式会社トヨタ", "Ελληνικά", "Москва Групп", "삼성전자", "Café Crème"]
)
def test_a_name_in_one_writing_system_is_accepted(name: str) -> None:
    assert clean(name) == name


@pytest.mark.parametrize("name", ["Sony ソニー株式会社", "NTTドコモ", "Acme 2.0 (UK)"])
def test_scripts_that_do_not_look_alike_may_mix(name: str) -> None:
    assert clean(name) == name


def test_a_latin_name_with_a_cyrillic_letter_is_refused() -> None:
    assert refusal("\u0410cme") == (
        "“Аcme” mixes letters from different alphabets that look alike (Latin and "
        "Cyrillic): type it again in one alphabet."
    )


def test_a_latin_name_with_a_greek_letter_is_refused() -> None:
    assert "(Latin and Greek)" in refusal("\u03a1ayPal")


@pytest.mark.parametrize(
    "mark", ["\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\u061c"]
)
def test_a_bidi_control_is_refused(mark: str) -> None:
    message = refusal(f"Acme{mark} Ltd")
    assert message.startswith(
        "Your company name contains a hidden character that changes the direction of text (U+"
    )


@pytest.mark.parametrize("hidden", ["\u200b", "\u00ad", "\ufeff", "\x07", "\ue000"])
def test_an_invisible_character_is_refused(hidden: str) -> None:
    assert "contains an invisible character (U+" in refusal(f"Ac{hidden}me")


def test_the_message_names_the_invisible_character() -> None:
    assert "(U+200B ZERO WIDTH SPACE)" in refusal("Ac\u200bme")


@pytest.mark.parametrize("value", ["", "   ", "\u3000\n"])
def test_an_empty_name_is_refused(value: str) -> None:
    assert refusal(value) == "Enter your company name."


def test_a_name_over_the_limit_is_refused() -> None:
    assert clean("x" * 100) == "x" * 100
    assert refusal("x" * 101) == "Your company name must be 100 characters or fewer."


def test_the_limit_is_a_parameter() -> None:
    assert (
        refusal("Ada Lovelace", max_length=5) == "Your company name must be 5 characters or fewer."
    )


def test_the_limit_counts_after_cleaning() -> None:
    assert clean("  " + "x" * 100 + "  ") == "x" * 100


def test_the_error_carries_a_code() -> None:
    with pytest.raises(ValidationError) as caught:
        clean("\u0410cme")
    assert caught.value.code == "confusable"


@pytest.mark.parametrize(
    ("company", "slug"),
    [
        ("Café Crème Ltd.", "cafe-creme-ltd"),
        ("  Acme   Widgets  ", "acme-widgets"),
        ("Ａｃｍｅ", "acme"),
        ("株式会社トヨタ", ""),
        ("", ""),
        ("!!!", ""),
        ("x" * 80, "x" * 50),
        ("a" * 49 + " b", "a" * 49),
    ],
)
def test_suggest_slug(company: str, slug: str) -> None:
    assert suggest_slug(company) == slug
