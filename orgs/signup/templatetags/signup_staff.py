"""The staff navigation's "Sign-ups" badge: how many sign-ups wait for a decision. A tag,
not a context processor, so the count is asked only where the staff navigation is drawn
(one indexed count), never for customer pages or htmx partials."""

from __future__ import annotations

from django import template

from orgs.signup.models import Signup, SignupStatus

register = template.Library()


@register.simple_tag
def signups_awaiting_approval() -> int:
    return Signup.objects.filter(status=SignupStatus.AWAITING_APPROVAL).count()
