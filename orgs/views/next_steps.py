"""The overview's "Set up your organization" checklist for a customer admin (GOV.UK's task
list pattern, templates/orgs/partials/next_steps.html): three tasks, each a link to the
tab where it is done, with its status. Worked out in one query, whatever the size of the
organization."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.urls import reverse

from idp_selfservice.models import SetupState, SsoSetup
from orgs.models import Domain, Invitation, Member, Organization
from orgs.models.organizations import DomainStatus
from portal.models import User


@dataclass(frozen=True)
class NextStep:
    key: str  # names the task in the page's ids
    label: str
    url: str
    done: bool
    hint: str


@dataclass(frozen=True)
class NextSteps:
    steps: tuple[NextStep, ...]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def all_done(self) -> bool:
        return self.done_count == len(self.steps)


def next_steps_for(organization: Organization, viewer: User) -> NextSteps:
    """What `viewer`, the organization's customer admin, has still to set up."""
    progress = _progress(organization, viewer)
    pk = organization.pk
    return NextSteps(
        steps=(
            NextStep(
                key="domain",
                label="Verify your email domain",
                url=reverse("orgs:domains", args=[pk]),
                done=progress["has_verified_domain"],
                # What a verified domain does (orgs/domains/): it becomes one of the
                # organization's discovery domains in Auth0 and an alias of its SSO.
                hint=(
                    "People who sign in with an address at your domain are sent to your "
                    "organization's sign-in"
                ),
            ),
            NextStep(
                key="sso",
                label="Set up single sign-on",
                url=reverse("idp_selfservice:index", args=[pk]),
                done=progress["has_active_sso"],
                hint=(
                    "Let people sign in with your identity provider "
                    "(Okta, Entra ID, Google Workspace...)"
                ),
            ),
            NextStep(
                key="invite",
                label="Invite your colleagues",
                url=reverse("orgs:invitations", args=[pk]),
                done=progress["has_invited_someone"] or progress["has_other_member"],
                hint="Add the people who will help run it",
            ),
        )
    )


def _progress(organization: Organization, viewer: User) -> dict[str, bool]:
    """Each task's test as an EXISTS on the organization's row: one query in all."""
    own = OuterRef("pk")
    return (
        Organization.objects.filter(pk=organization.pk)
        .annotate(
            has_verified_domain=Exists(
                Domain.objects.filter(organization=own, status=DomainStatus.VERIFIED)
            ),
            has_active_sso=Exists(
                SsoSetup.objects.filter(organization=own, state=SetupState.ACTIVE)
            ),
            # Inviting oneself (an admin testing the form) does not count.
            has_invited_someone=Exists(
                Invitation.objects.filter(organization=own).exclude(email__iexact=viewer.email)
            ),
            # The viewer is a member, so "more than one member" is "someone else is one"
            # (not counting a member on their way out).
            has_other_member=Exists(
                Member.objects.filter(organization=own, removing=False).exclude(
                    user_id=viewer.get_username()
                )
            ),
        )
        .values("has_verified_domain", "has_active_sso", "has_invited_someone", "has_other_member")
        .get()
    )
