"""Claiming a domain, staff approval of a subdomain of one verified elsewhere, and
removing a claim. Refusals are ServiceErrors in plain words, raised before anything is
written."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from orgs.domains.names import normalise, parents, refuse_consumer
from orgs.domains.propagate import domains_changed
from orgs.models import Domain, Organization
from orgs.models.organizations import DomainStatus
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from portal.models import User


def new_token() -> str:
    return f"portal-verification-{secrets.token_urlsafe(24)}"


def verified_parent_elsewhere(domain: str, organization: Organization) -> str:
    """The nearest domain above `domain` that another organization has verified, or ""."""
    above = parents(domain)
    if not above:
        return ""
    taken = set(
        Domain.objects.filter(domain__in=above, status=DomainStatus.VERIFIED)
        .exclude(organization=organization)
        .values_list("domain", flat=True)
    )
    return next((name for name in above if name in taken), "")


@transaction.atomic
def domain_claim(*, actor: User | None, organization: Organization, text: str) -> Domain:
    name = normalise(text)
    refuse_consumer(name)
    if Domain.objects.filter(organization=organization, domain=name).exists():
        raise ServiceError(f"{name} is already claimed by this organization.", field="domain")
    others = Domain.objects.filter(domain=name, status=DomainStatus.VERIFIED)
    if others.exclude(organization=organization).exists():
        raise ServiceError(f"{name} is already verified by another organization.", field="domain")
    parent = verified_parent_elsewhere(name, organization)
    status = DomainStatus.AWAITING_APPROVAL if parent else DomainStatus.PENDING
    domain = Domain.objects.create(
        organization=organization, domain=name, verification_token=new_token(), status=status
    )
    audit(
        actor=actor,
        action="domain.claim",
        organization=organization,
        target=name,
        needs_approval=bool(parent),
    )
    return domain


def _locked(domain: Domain) -> Domain:
    found = Domain.objects.select_for_update().filter(pk=domain.pk).first()
    if found is None:
        raise ServiceError(f"{domain.domain} is no longer claimed.")
    return found


@transaction.atomic
def domain_approve(*, actor: User | None, domain: Domain) -> Domain:
    domain = _locked(domain)
    if domain.status != DomainStatus.AWAITING_APPROVAL:
        raise ServiceError(f"{domain.domain} is not waiting for approval.")
    domain.status = DomainStatus.PENDING
    domain.approved_at = timezone.now()
    domain.save(update_fields=["status", "approved_at"])
    audit(actor=actor, action="domain.approve", organization=domain.organization, target=domain)
    return domain


@transaction.atomic
def domain_refuse(*, actor: User | None, domain: Domain) -> None:
    domain = _locked(domain)
    if domain.status != DomainStatus.AWAITING_APPROVAL:
        raise ServiceError(f"{domain.domain} is not waiting for approval.")
    audit(actor=actor, action="domain.refuse", organization=domain.organization, target=domain)
    domain.delete()


@transaction.atomic
def domain_remove(*, actor: User | None, domain: Domain) -> None:
    """Forget the claim; a verified domain also leaves Auth0's discovery domains and the
    active SSO connections' domain aliases."""
    domain = _locked(domain)
    was_verified = domain.status == DomainStatus.VERIFIED
    organization = domain.organization
    audit(actor=actor, action="domain.remove", organization=organization, target=domain)
    domain.delete()
    if was_verified:
        domains_changed(actor, organization)
