"""Addresses that belong to another organization: refused when importing into an
organization's own connection, so one organization never takes in another's people.

Two signs, both from the portal's own records: the address is a member of (or invited to)
another organization, or its domain (or a parent domain) is verified by another one. The
message never names the other organization: a customer admin must not learn who else is
a customer.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.functions import Lower

from orgs.models import Domain, Invitation, InvitationStatus, Member, Organization

BATCH = 2_000
MEMBER_ELSEWHERE = (
    "This person is a member of another organization (or invited to one): their account "
    "cannot be imported here."
)
DOMAIN_ELSEWHERE = "{domain} is a verified domain of another organization."


def foreign_problems(organization: Organization, emails: Iterable[str]) -> dict[str, str]:
    """{email: message} for every address (lower-case) that belongs elsewhere."""
    wanted = sorted({e for e in emails if e})
    found: dict[str, str] = {}
    verified_elsewhere = _domains_verified_elsewhere(organization)
    for email in wanted:
        domain = _claimed_domain(email.rsplit("@", 1)[-1], verified_elsewhere)
        if domain:
            found[email] = DOMAIN_ELSEWHERE.format(domain=domain)
    for start in range(0, len(wanted), BATCH):
        for email in _members_elsewhere(organization, wanted[start : start + BATCH]):
            found.setdefault(email, MEMBER_ELSEWHERE)
    return found


def _domains_verified_elsewhere(organization: Organization) -> set[str]:
    verified = Domain.objects.filter(status="verified").exclude(organization=organization)
    return {d.lower() for d in verified.values_list("domain", flat=True)}


def _claimed_domain(domain: str, claimed: set[str]) -> str:
    """`domain` or the nearest parent of it in `claimed` ("" when none)."""
    parts = domain.lower().split(".")
    for i in range(len(parts) - 1):
        candidate = ".".join(parts[i:])
        if candidate in claimed:
            return candidate
    return ""


def _members_elsewhere(organization: Organization, emails: list[str]) -> set[str]:
    members = (
        Member.objects.exclude(organization=organization)
        .annotate(address=Lower("email"))
        .filter(address__in=emails, removing=False)
        .values_list("address", flat=True)
    )
    invited = (
        Invitation.objects.exclude(organization=organization)
        .filter(status__in=[InvitationStatus.PENDING, InvitationStatus.SENT])
        .annotate(address=Lower("email"))
        .filter(address__in=emails)
        .values_list("address", flat=True)
    )
    return set(members) | set(invited)
