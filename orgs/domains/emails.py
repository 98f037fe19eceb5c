"""The email telling an organization's admins that a verified domain failed its daily
re-checks. A send failure is raised as it came: the recheck's transaction rolls back,
so the domain stays verified and tomorrow's run tries again."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import get_connection
from django.urls import reverse

from idp_selfservice.emails import organization_admin_emails
from orgs.emails import render_email
from orgs.models import Domain

log = logging.getLogger(__name__)
TEMPLATE = "domain_failed"


def send_domain_failed(domain: Domain) -> int:
    organization = domain.organization
    recipients = organization_admin_emails(organization)
    if not recipients:
        log.warning("no admin with an email to tell that domain %s failed", domain.pk)
        return 0
    from orgs.domains.checks import verification_host
    from orgs.domains.recheck import FAILURE_DAYS

    context = {
        "domain": domain,
        "organization": organization,
        "days": FAILURE_DAYS,
        "host": verification_host(domain),
        "portal_url": settings.PORTAL_BASE_URL + reverse("orgs:domains", args=[organization.pk]),
    }
    rendered = render_email(TEMPLATE, context)
    return get_connection().send_messages([rendered.to(a) for a in recipients]) or 0
