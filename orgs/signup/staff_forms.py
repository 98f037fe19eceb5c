"""The staff sign-up pages' forms: the list's search, and the reason a refusal gives."""

from __future__ import annotations

from typing import Any

from django import forms

from orgs.forms.filters import FilterForm
from orgs.signup.staff_filters import ALL, STATES
from portal.forms import PortalForm

REASON_MAX_LENGTH = 500  # Signup.refusal_reason


class SignupSearchForm(FilterForm):
    q = forms.CharField(
        label="Search",
        max_length=255,
        strip=True,
        help_text="Company, short name or email",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    # The tab chosen; kept when a search is made from it.
    status = forms.ChoiceField(
        choices=[(ALL, ALL), *((state.key, state.key) for state in STATES)],
        widget=forms.HiddenInput,
    )

    def chosen_state(self) -> str:
        return str(self.valid_filters().get("status") or ALL)

    def query(self) -> str:
        return str(self.valid_filters().get("q") or "")


class RefuseForm(PortalForm):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=REASON_MAX_LENGTH,
        strip=True,
        help_text=f"Shown to the person in the email. At most {REASON_MAX_LENGTH} characters.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
