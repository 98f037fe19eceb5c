"""The names a person types when signing up (theirs and their company's): normalised so
look-alike spellings become one, and refused when they hide characters or mix alphabets
to look like another name."""

from __future__ import annotations

import re
import unicodedata

from confusable_homoglyphs import categories, confusables
from django.core.exceptions import ValidationError

from orgs.forms.organizations import suggest_organization_name
from orgs.signup.characters import describe, first_bidi_control, first_invisible

NAME_MAX_LENGTH = 100
_WHITESPACE = re.compile(r"\s+")
# Characters every script uses (digits, punctuation, spaces, combining accents).
_SHARED_SCRIPTS = frozenset({"COMMON", "INHERITED"})
# Scripts that one language writes together: Japanese mixes kanji with both kanas, Korean
# hangul with hanja, Chinese hanzi with bopomofo. Within a family, look-alikes (katakana
# ロ, kanji 口) are ordinary spelling, not a disguise.
_SCRIPT_FAMILIES = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "HANGUL"}),
    frozenset({"HAN", "BOPOMOFO"}),
)


def clean_person_or_company_name(
    value: str, *, field_label: str, max_length: int = NAME_MAX_LENGTH
) -> str:
    """`value` NFKC-normalised, its whitespace collapsed and stripped. Raises ValidationError
    naming the problem. `field_label` is how messages name the field, in lower case after
    "Enter": "your company name", "your name"."""
    text = unicodedata.normalize("NFKC", value)
    bidi = first_bidi_control(text)
    if bidi:
        raise ValidationError(
            f"{_capitalised(field_label)} contains a hidden character that changes the "
            f"direction of text ({describe(bidi)}): type it again without it.",
            code="bidi_control",
        )
    text = _WHITESPACE.sub(" ", text).strip()
    invisible = first_invisible(text)
    if invisible:
        raise ValidationError(
            f"{_capitalised(field_label)} contains an invisible character "
            f"({describe(invisible)}): type it again without it.",
            code="invisible_character",
        )
    if not text:
        raise ValidationError(f"Enter {field_label}.", code="required")
    if len(text) > max_length:
        raise ValidationError(
            f"{_capitalised(field_label)} must be {max_length} characters or fewer.",
            code="max_length",
        )
    mixed = confusable_scripts(text)
    if mixed:
        raise ValidationError(
            f"“{text}” mixes letters from different alphabets that look alike "
            f"({_script_list(mixed)}): type it again in one alphabet.",
            code="confusable",
        )
    return text


def confusable_scripts(text: str) -> set[str]:
    """The scripts (upper-case aliases: "LATIN", "CYRILLIC") whose letters in `text` look
    like letters of another script in it; empty when `text` is in one script (or one
    family of scripts) or its scripts cannot be mistaken for each other."""
    scripts = categories.unique_aliases(text) - _SHARED_SCRIPTS
    if len(scripts) <= 1 or any(scripts <= family for family in _SCRIPT_FAMILIES):
        return set()
    involved: set[str] = set()
    for script in scripts:
        base = _family_of(script)
        # Letters outside `base` that look like a letter of `base` (a Cyrillic A for a Latin one).
        found = confusables.is_confusable(text, greedy=True, preferred_aliases=sorted(base)) or []
        for hit in found:
            if hit["alias"] in scripts:
                involved |= {hit["alias"], script}
    return involved


def suggest_slug(company_name: str) -> str:
    """An Auth0 organization name suggested from the company name ("Café Crème Ltd." ->
    "cafe-creme-ltd"), "" when nothing in it is usable. The staff create form's rule
    (orgs.forms.organizations and its mirror in static/js/portal.js), so a name suggested
    here is one that form would suggest too."""
    return suggest_organization_name(company_name)


def _family_of(script: str) -> frozenset[str]:
    """The script and every script written with it (HAN: kana, hangul and bopomofo too)."""
    return frozenset({script}).union(*(f for f in _SCRIPT_FAMILIES if script in f))


def _script_list(scripts: set[str]) -> str:
    # Latin first: the alphabet most names are typed in, and the one usually imitated.
    names = [s.title() for s in sorted(scripts, key=lambda s: (s != "LATIN", s))]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
