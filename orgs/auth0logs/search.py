"""The archive page's search: a GET form whose fields filter `Auth0LogEntry`, the same
filtered set for the table and both exports, and the range the scan's charts cover."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from orgs.auth0logs.models import Auth0LogEntry
from orgs.auth0logs.scan import CATEGORIES, CATEGORIES_BY_KEY, ScanRange
from orgs.forms.filters import DateRangeFilterForm

# The charts' range when the search names no dates.
DEFAULT_CHART_DAYS = 7


def _type_choices() -> list[tuple[str, Any]]:
    seen = Auth0LogEntry.objects.order_by("type").values_list("type", flat=True).distinct()
    return [
        ("", "Any type"),
        ("Groups", [(c.key, f"{c.title} ({c.types})") for c in CATEGORIES]),
        ("Event codes in the archive", [(code, code) for code in seen]),
    ]


class LogSearchForm(DateRangeFilterForm):
    type = forms.ChoiceField(label="Type", choices=_type_choices)
    client = forms.CharField(
        label="Application", max_length=255, help_text="Part of its client id or name"
    )
    user = forms.CharField(label="User", max_length=255, help_text="Part of their id or name")
    q = forms.CharField(
        label="Text",
        max_length=255,
        help_text="In the description, route, IP address, connection or log id",
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def entries(self) -> QuerySet[Auth0LogEntry]:
        """The entries the valid fields select, newest first."""
        found = self.valid_filters()
        entries = Auth0LogEntry.objects.all()
        if code := found.get("type"):
            category = CATEGORIES_BY_KEY.get(code)
            entries = entries.filter(category.condition if category else Q(type=code))
        if client := found.get("client"):
            entries = entries.filter(
                Q(client_id__icontains=client) | Q(client_name__icontains=client)
            )
        if user := found.get("user"):
            entries = entries.filter(Q(user_id__icontains=user) | Q(user_name__icontains=user))
        if text := found.get("q"):
            entries = entries.filter(
                Q(description__icontains=text)
                | Q(route__icontains=text)
                | Q(ip__icontains=text)
                | Q(connection__icontains=text)
                | Q(log_id=text)
            )
        if start := found.get("date_from"):
            entries = entries.filter(date__gte=_midnight(start))
        if end := found.get("date_to"):
            entries = entries.filter(date__lt=_midnight(end + timedelta(days=1)))
        return entries.order_by("-date", "-log_id")

    def chart_range(self) -> ScanRange:
        """The searched days (up to now), or the last `DEFAULT_CHART_DAYS` days."""
        found = self.valid_filters()
        now = timezone.now()
        start, end = found.get("date_from"), found.get("date_to")
        until = min(_midnight(end + timedelta(days=1)), now) if end else now
        since = _midnight(start) if start else until - timedelta(days=DEFAULT_CHART_DAYS)
        return ScanRange(start=since, end=max(until, since + timedelta(hours=1)))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
