"""The GET forms that filter the staff lists: organizations, the audit log and the
operations queue. Every field is optional and a field's name is its query parameter, so a
filtered page's address can be shared and `{% querystring %}` keeps the filters in
pagination and sort links. A field that does not validate is left out of the filtering
(the page says what is wrong and filters by the rest)."""

from __future__ import annotations

from typing import Any

from django import forms

from orgs.audit_words import ACTION_WORDS
from orgs.models import MembershipModel, OpState, OrgStatus, Origin, Priority, SyncOperation
from orgs.models.base import SyncState
from orgs.sync.describe import describe_operations
from orgs.sync.registry import HANDLERS
from portal.forms import PortalForm

# The organization list's sort keys; "-" before one sorts it the other way.
ORGANIZATION_SORTS = ("name", "display_name", "created", "status", "failures")
DEFAULT_ORGANIZATION_SORT = "name"
HAS_FAILURES, NO_FAILURES = "yes", "no"
# The operations queue's default: what still needs the engine or a person.
UNSETTLED, ANY_STATE = "", "all"


class FilterForm(PortalForm):
    """Labels without Django's trailing colon, and no `required` on any field: an empty
    field means "any"."""

    use_required_attribute = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def valid_filters(self) -> dict[str, Any]:
        """The fields that validated, with a value (the rest filter nothing)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


def _choices(empty: str, choices: Any) -> list[tuple[str, str]]:
    return [("", empty), *((str(value), str(label)) for value, label in choices)]


class OrganizationFilterForm(FilterForm):
    q = forms.CharField(
        label="Search",
        max_length=255,
        strip=True,
        help_text="Name, display name, domain or an admin's email",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(
        label="Status",
        choices=_choices("Any status", [(s, s.label) for s in OrgStatus if s != OrgStatus.DELETED]),
    )
    sync = forms.ChoiceField(
        label="Sync state", choices=_choices("Any sync state", SyncState.choices)
    )
    membership = forms.ChoiceField(
        label="Membership model",
        choices=_choices("Any membership model", MembershipModel.choices),
    )
    failures = forms.ChoiceField(
        label="Failed operations",
        choices=_choices(
            "Any", [(HAS_FAILURES, "Has failed operations"), (NO_FAILURES, "No failed operations")]
        ),
    )
    # Set by the column headers' links; kept when the filters are applied again.
    sort = forms.ChoiceField(
        choices=[(key, key) for name in ORGANIZATION_SORTS for key in (name, f"-{name}")],
        widget=forms.HiddenInput,
    )


def _action_choices() -> list[tuple[str, str]]:
    by_words = sorted(ACTION_WORDS.items(), key=lambda item: item[1])
    return [("", "Any action"), *by_words]


class DateRangeFilterForm(FilterForm):
    """A filter form ending with a From / To pair of days (UTC), the end not before the start."""

    date_from = forms.DateField(
        label="From",
        help_text="On or after this day (UTC)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label="To",
        help_text="On or before this day (UTC)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dates = ["date_from", "date_to"]
        self.order_fields([name for name in self.fields if name not in dates] + dates)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date must be the same as or after the start date.")
        return cleaned


class AuditFilterForm(DateRangeFilterForm):
    organization = forms.CharField(
        label="Organization", max_length=255, help_text="Part of its name or display name"
    )
    actor = forms.CharField(label="Who", max_length=255, help_text="Part of their email")
    action = forms.ChoiceField(label="What", choices=_action_choices)


def kind_choices() -> list[tuple[str, str]]:
    """Every kind of operation the engine runs, in the words the tables use. The
    operations are never saved: describe_operations only needs a kind, an id to key its
    answer by and, for names, a payload (empty here, so it reads nothing)."""
    samples = [SyncOperation(pk=index, kind=kind) for index, kind in enumerate(HANDLERS, 1)]
    words = describe_operations(samples)
    return sorted(((op.kind, words[op.pk]) for op in samples), key=lambda item: item[1])


class OperationFilterForm(FilterForm):
    state = forms.ChoiceField(
        label="State",
        choices=[
            (UNSETTLED, "Queued, running or failed"),
            *OpState.choices,
            (ANY_STATE, "Any state"),
        ],
    )
    lane = forms.ChoiceField(label="Lane", choices=_choices("Both lanes", Priority.choices))
    kind = forms.ChoiceField(label="Change", choices=lambda: [("", "Any change"), *kind_choices()])
    organization = forms.CharField(
        label="Organization", max_length=255, help_text="Part of its name or display name"
    )
    origin = forms.ChoiceField(label="Started by", choices=_choices("Anyone", Origin.choices))
