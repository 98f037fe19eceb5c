"""The organization's domains tab: the email domains it has claimed, where each one's
verification stands in words, and the DNS TXT record that proves ownership. Read-only:
domains are claimed and checked elsewhere."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.formats import date_format

from orgs.models import Domain
from orgs.models.organizations import DomainStatus
from orgs.views.access import get_organization_for
from orgs.views.tabs import render_tab

# The TXT record's host: a name of the portal's own under the claimed domain, so it never
# collides with the records Auth0's or anyone else's verification asks for.
VERIFICATION_HOST_PREFIX = "_portal-verification"


def verification_host(domain: Domain) -> str:
    return f"{VERIFICATION_HOST_PREFIX}.{domain.domain}"


def verification_words(domain: Domain) -> str:
    """Where the domain's verification stands, as the organization's people read it."""
    checked = _when(domain.last_checked_at)
    if domain.status == DomainStatus.VERIFIED:
        verified = _when(domain.verified_at)
        return f"Verified{f' on {verified}' if verified else ''}."
    if domain.status == DomainStatus.FAILED:
        when = f" when last checked on {checked}" if checked else ""
        return f"Not verified: the TXT record was not found{when}."
    if checked:
        return f"Waiting for the TXT record: not found yet when last checked on {checked}."
    return "Waiting for the TXT record: not checked yet."


def _when(moment: Any) -> str:
    return date_format(moment, "j M Y, H:i") if moment else ""


@login_required
def organization_domains(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    rows = [
        {
            "domain": domain,
            "words": verification_words(domain),
            "host": verification_host(domain),
        }
        for domain in org.domains.order_by("domain")
    ]
    return render_tab(request, org, "orgs:domains", "orgs/detail/domains.html", {"rows": rows})
