"""The history tab's compare form: two versions picked by number (a GET form, so a
comparison's address can be shared)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from portal.forms import PortalForm


def version_choices(versions: Sequence[tuple[int, datetime]]) -> list[tuple[int, str]]:
    """(number, "Version 3 · 2 Dec 2026, 18:48") for every version, newest first."""
    return [
        (number, f"Version {number} · {date_format(timezone.localtime(at), 'j M Y, H:i')}")
        for number, at in versions
    ]


class CompareVersionsForm(PortalForm):
    older = forms.TypedChoiceField(label="Compare version", coerce=int)
    newer = forms.TypedChoiceField(label="with version", coerce=int)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for name in ("older", "newer"):
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        older, newer = cleaned.get("older"), cleaned.get("newer")
        if older is not None and older == newer:
            self.add_error("newer", "Choose two different versions.")
        elif older is not None and newer is not None and older > newer:
            cleaned["older"], cleaned["newer"] = newer, older  # always read old → new
        return cleaned
