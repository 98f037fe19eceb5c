"""Checking a claim: what DNS or the well-known file says now, in words, and the change
of status that follows. A verified domain reaches Auth0 (orgs.domains.propagate)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import dns.resolver
from django.db import IntegrityError, transaction
from django.utils import timezone

from orgs.domains import wellknown
from orgs.domains.claims import verified_parent_elsewhere
from orgs.domains.dns import txt_records
from orgs.domains.propagate import domains_changed
from orgs.models import Domain
from orgs.models.organizations import DomainProof, DomainStatus
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from portal.models import User

# The TXT record's host: a name of the portal's own under the claimed domain, so it never
# collides with the records Auth0's or anyone else's verification asks for.
VERIFICATION_HOST_PREFIX = "_portal-verification"
CHECKABLE = (DomainStatus.PENDING, DomainStatus.FAILED)


def verification_host(domain: Domain | str) -> str:
    name = domain.domain if isinstance(domain, Domain) else domain
    return f"{VERIFICATION_HOST_PREFIX}.{name}"


@dataclass(frozen=True)
class Evidence:
    proven: bool
    words: str  # what was found now, for the person checking


@dataclass(frozen=True)
class Probes:
    """Where a check looks: injectable so tests use a stub DNS and a local file server."""

    resolver: dns.resolver.Resolver | None = None
    url_for: Callable[[str], str] | None = None


def evidence(domain: Domain, proof: str, probes: Probes | None = None) -> Evidence:
    probes = probes or Probes()
    if proof == DomainProof.HTTPS:
        url = (probes.url_for or wellknown.url_for)(domain.domain)
        found = wellknown.file_proves(url, domain.verification_token)
        return Evidence(found.proven, found.words)
    host = verification_host(domain)
    answer = txt_records(host, probes.resolver)
    if answer.unavailable:
        return Evidence(False, answer.unavailable)
    if domain.verification_token in (record.strip() for record in answer.records):
        return Evidence(True, f"The TXT record at {host} holds the token.")
    if not answer.records:
        return Evidence(False, f"No TXT record at {host}.")
    shown = ", ".join(f'"{record}"' for record in answer.records)
    return Evidence(False, f"We found these TXT records at {host}: {shown}.")


@transaction.atomic
def domain_check(
    *,
    actor: User | None,
    domain: Domain,
    proof: str,
    probes: Probes | None = None,
    now: datetime | None = None,
) -> Evidence:
    """Check a pending or failed claim now; verified when the proof holds the token."""
    domain = Domain.objects.select_for_update().select_related("organization").get(pk=domain.pk)
    if proof not in DomainProof.values:
        raise ServiceError("Choose how to check: the DNS TXT record or the well-known file.")
    if domain.status not in CHECKABLE:
        raise ServiceError(f"{domain.domain} is {domain.get_status_display().lower()}.")
    found = evidence(domain, proof, probes)
    domain.last_checked_at = now or timezone.now()
    domain.last_check_detail = found.words[:1000]
    if not found.proven:
        domain.save(update_fields=["last_checked_at", "last_check_detail"])
        return found
    return _verify(actor, domain, proof) or found


def _verify(actor: User | None, domain: Domain, proof: str) -> Evidence | None:
    """Mark it verified (None), or say why it waits for staff instead."""
    name = domain.domain
    taken = Domain.objects.filter(domain=name, status=DomainStatus.VERIFIED)
    if taken.exclude(pk=domain.pk).exists():
        raise ServiceError(f"{name} is already verified by another organization.")
    if domain.approved_at is None and verified_parent_elsewhere(name, domain.organization):
        domain.status = DomainStatus.AWAITING_APPROVAL
        domain.save()
        return Evidence(
            False,
            f"Another organization has verified a domain above {name}, so staff must "
            "approve this claim before it can be verified.",
        )
    domain.status = DomainStatus.VERIFIED
    domain.verified_at = domain.last_checked_at
    domain.verified_by = proof
    domain.failing_since = None
    try:
        with transaction.atomic():
            domain.save()
    except IntegrityError:  # another organization verified it a moment ago
        raise ServiceError(f"{name} is already verified by another organization.") from None
    audit(
        actor=actor,
        action="domain.verify",
        organization=domain.organization,
        target=name,
        proof=proof,
    )
    domains_changed(actor, domain.organization)
    return None
