"""The daily re-check of verified domains: the proof that verified a domain must still
be there. One failing re-check only starts the count; a domain failing for
FAILURE_DAYS days in a row is marked failed, leaves Auth0 and its admins are told."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from orgs.domains.checks import Probes, evidence
from orgs.domains.emails import send_domain_failed
from orgs.domains.propagate import domains_changed
from orgs.models import Domain
from orgs.models.organizations import DomainProof, DomainStatus
from orgs.services.audit import audit

log = logging.getLogger(__name__)
FAILURE_DAYS = 7


@dataclass
class RecheckRun:
    checked: int = 0
    failing: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"checked": self.checked, "failing": self.failing, "failed": self.failed}


def recheck_verified(*, now: datetime | None = None, probes: Probes | None = None) -> RecheckRun:
    now = now or timezone.now()
    run = RecheckRun()
    ids = Domain.objects.filter(status=DomainStatus.VERIFIED).values_list("pk", flat=True)
    for pk in list(ids):
        outcome = _recheck_one(pk, now, probes)
        run.checked += outcome != "gone"
        run.failing += outcome in ("failing", "failed")
        run.failed += outcome == "failed"
    return run


@transaction.atomic
def _recheck_one(pk: int, now: datetime, probes: Probes | None) -> str:
    domain = (
        Domain.objects.select_for_update()
        .select_related("organization")
        .filter(pk=pk, status=DomainStatus.VERIFIED)
        .first()
    )
    if domain is None:
        return "gone"
    found = evidence(domain, domain.verified_by or DomainProof.DNS, probes)
    domain.last_checked_at = now
    domain.last_check_detail = found.words[:1000]
    if found.proven:
        domain.failing_since = None
        domain.save()
        return "ok"
    domain.failing_since = domain.failing_since or now
    if now - domain.failing_since < timedelta(days=FAILURE_DAYS):
        domain.save()
        return "failing"
    domain.status = DomainStatus.FAILED
    domain.save()
    audit(actor=None, action="domain.fail", organization=domain.organization, target=domain)
    domains_changed(None, domain.organization)
    sent = send_domain_failed(domain)
    log.info("domain %s failed its re-checks; told %d admins", domain.pk, sent)
    return "failed"
