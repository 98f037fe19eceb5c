"""The repository-mode history's compare form: two commits picked by sha (a GET form,
so a comparison's address can be shared)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from orgs.repository.history import CommitVersion
from portal.forms import PortalForm


def commit_choices(versions: list[CommitVersion]) -> list[tuple[str, str]]:
    """(sha, "1a2b3c4 · 2 Dec 2026, 18:48 · Ann") for every commit, newest first."""
    return [
        (
            v.sha,
            f"{v.short} · {date_format(timezone.localtime(v.date), 'j M Y, H:i')}"
            f" · {v.author_name}",
        )
        for v in versions
    ]


class CompareCommitsForm(PortalForm):
    older = forms.ChoiceField(label="Compare commit")
    newer = forms.ChoiceField(label="with commit")

    def __init__(self, *args: Any, versions: list[CommitVersion], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.order = {v.sha: index for index, v in enumerate(versions)}  # 0 = newest
        for name in ("older", "newer"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = commit_choices(versions)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        older, newer = cleaned.get("older"), cleaned.get("newer")
        if older is not None and older == newer:
            self.add_error("newer", "Choose two different commits.")
        elif older and newer and self.order[older] < self.order[newer]:
            cleaned["older"], cleaned["newer"] = newer, older  # always read old → new
        return cleaned
