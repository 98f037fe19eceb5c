"""`{% enforcement_card org %}`: the "Require single sign-on" card on the SSO index, with
its own context (idp_selfservice.enforcement.standing), so the index view need not know it."""

from __future__ import annotations

from typing import Any

from django import template

from idp_selfservice import enforcement
from orgs.models import Organization

register = template.Library()


@register.inclusion_tag("idp_selfservice/enforcement_card.html", takes_context=True)
def enforcement_card(context: template.Context, org: Organization) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "org": org,
        "standing": enforcement.standing(org),
        "is_staff": bool(getattr(user, "is_staff", False)),
    }
