"""The one way to confirm a destructive action: a page that says what will happen, and,
for the worst ones, asks the person to type a word (the organization's slug) first.

Destructive buttons are links to the confirmation page (so they work without JavaScript
and by keyboard); the page posts to the action itself, which re-checks the typed word."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@dataclass(frozen=True)
class Confirmation:
    title: str  # "Delete Acme?"
    action_url: str  # where the form posts
    button: str  # "Delete organization"
    cancel_url: str
    impact: Sequence[str] = field(default_factory=tuple)  # what will happen, line by line
    type_to_confirm: str = ""  # the word to type, or "" for a plain confirmation
    danger: bool = True
    hidden: dict[str, str] = field(default_factory=dict)  # extra fields to post back


def render_confirmation(
    request: HttpRequest, confirmation: Confirmation, *, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "elements/confirm.html",
        {"confirm": confirmation, "error": error, "typed": request.POST.get("confirm", "")},
        status=status,
    )


def typed_matches(request: HttpRequest, word: str) -> bool:
    return request.POST.get("confirm", "").strip() == word
