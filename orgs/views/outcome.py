"""The one way an action view reports a service call: its refusal as an error message, its
success as the given words. Views then redirect back to where the person was."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest

from orgs.services import ServiceError


def report(request: HttpRequest, call: Callable[[], object], done: str) -> bool:
    """Run `call`; True when it went through."""
    try:
        call()
    except ServiceError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True
