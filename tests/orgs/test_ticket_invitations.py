"""Ticket invitations (own-database organizations) are idempotent: the portal mails each
ticket at most once, even across retries, and adopts or deletes only users it created for
this person's invitations to this organization. Against the live sandbox; the mail side
is Django's (an email backend that loses its reply, or a real SMTP backend that cannot
connect)."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from orgs.auth0.client import as_dict, management_client
from orgs.models import (
    Invitation,
    InvitationStatus,
    MembershipModel,
    OpState,
    Organization,
    SyncOperation,
)
from orgs.services.invitations import invitation_create, invitation_resend, invitation_revoke
from orgs.services.organizations import organization_create
from orgs.services.sync_ops import sync_operation_retry
from orgs.sync.runner import run_operation
from tests.orgs.engine import drain
from tests.orgs.services import demo_app, remote_org, remote_user, settle
from tests.tenant import free_port

pytestmark = pytest.mark.django_db

BOSS = "boss@initech.test"
UNCERTAIN = "may or may not have gone out"
NOT_OURS = "already exists in initech-users and was not created by the portal"


class LostReplyBackend(LocmemBackend):
    """A mail server that takes the message and then drops the connection before it
    answers: the mail went out, the sender cannot know. Only the first `losses` sends."""

    losses = 0

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(messages)
        if LostReplyBackend.losses:
            LostReplyBackend.losses -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return sent


class RevokedWhileMailingBackend(LocmemBackend):
    """Delivers, but a person revokes the invitation while the mail is on its way."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            invitation = Invitation.objects.get(email=message.to[0], status="pending")
            invitation_revoke(actor=None, invitation=invitation)
        return super().send_messages(messages)


@pytest.fixture
def lost_reply(settings: Any) -> Iterator[None]:
    """The first ticket mail is handed over and its reply lost."""
    settings.EMAIL_BACKEND = f"{__name__}.LostReplyBackend"
    LostReplyBackend.losses = 1
    yield
    LostReplyBackend.losses = 0


def _initech(first_admin_email: str = BOSS) -> Organization:
    return organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        membership_model=MembershipModel.OWN_DATABASE,
        first_admin_email=first_admin_email,
        application=demo_app(),
    )


def _invite(org: Organization, email: str = BOSS) -> Invitation:
    return invitation_create(actor=None, organization=org, email=email, role_names=["org-member"])


def _send_op(invitation: Invitation) -> SyncOperation:
    return SyncOperation.objects.get(kind="invitation.send", target_id=invitation.pk)


def _tickets(tenant: Any) -> list[dict[str, Any]]:
    tickets = tenant.state()["tickets"].values()
    return [ticket for ticket in tickets if ticket["kind"] == "password-change"]


def _sandbox_user(tenant: Any, email: str = BOSS) -> dict[str, Any] | None:
    return remote_user(tenant.state(), email)


def _someone_elses_user(app_metadata: dict[str, str] | None) -> str:
    """A user with the invitee's email in the organization's database that the portal did
    not create for this invitation (signed up alone, or made for another invitation)."""
    extra = {"app_metadata": app_metadata} if app_metadata else {}
    created = management_client().users.create(
        connection="initech-users", email=BOSS, password="Correct-Horse-9-battery", **extra
    )
    return str(as_dict(created)["user_id"])


# --- at most one mail ----------------------------------------------------------------------


def test_a_ticket_mail_whose_reply_was_lost_is_never_sent_again_and_the_operation_says_so(
    imported_tenant: Any, lost_reply: None
) -> None:
    _initech()

    outcomes = drain()

    assert "failed" in outcomes, outcomes
    invitation = Invitation.objects.get(email=BOSS)
    send = _send_op(invitation)
    assert send.state == OpState.FAILED
    assert UNCERTAIN in send.last_error and '"Resend"' in send.last_error
    assert len(mail.outbox) == 1

    sync_operation_retry(actor=None, operation=send)  # an operator's retry does not mail
    drain()

    send.refresh_from_db()
    assert send.state == OpState.FAILED and UNCERTAIN in send.last_error
    assert len(mail.outbox) == 1
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.ticket_mail_started_at is not None


def test_resend_after_an_uncertain_ticket_mail_mails_one_new_ticket_to_the_same_user(
    imported_tenant: Any, lost_reply: None
) -> None:
    _initech()
    drain()
    first = Invitation.objects.get(email=BOSS)
    user = _sandbox_user(imported_tenant)
    assert user is not None

    second = invitation_resend(actor=None, invitation=first)
    assert drain() == ["succeeded"]

    assert len(mail.outbox) == 2
    [ticket] = [t for t in _tickets(imported_tenant) if t["id"] in mail.outbox[1].body]
    assert ticket["user_id"] == user["user_id"]
    second.refresh_from_db()
    assert second.status == InvitationStatus.SENT and second.auth0_user_id == user["user_id"]
    assert second.ticket_mail_started_at is not None  # its own record, not the first's


def test_a_refused_smtp_connection_is_retried_and_the_ticket_is_mailed_exactly_once(
    imported_tenant: Any, settings: Any
) -> None:
    org = _initech(first_admin_email="")
    settle(imported_tenant)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    invitation = _invite(org)

    assert run_operation(_send_op(invitation).pk) == "retrying"

    send = _send_op(invitation)
    assert send.last_error_code == "mail_not_sent" and "nothing went out" in send.last_error
    invitation.refresh_from_db()
    assert invitation.ticket_mail_started_at is None  # nothing went out: free to mail
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # server is back

    assert drain() == ["succeeded"]

    [message] = mail.outbox
    assert message.to == [BOSS]
    assert any(ticket["id"] in message.body for ticket in _tickets(imported_tenant))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT


def test_an_invitation_revoked_while_its_ticket_is_mailed_stays_revoked_and_loses_its_user(
    imported_tenant: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.RevokedWhileMailingBackend"
    _initech()

    settle(imported_tenant)

    invitation = Invitation.objects.get(email=BOSS)
    assert invitation.status == InvitationStatus.REVOKED
    assert _sandbox_user(imported_tenant) is None


# --- adopt and delete only our own users --------------------------------------------------


@pytest.mark.parametrize(
    "app_metadata",
    [
        pytest.param(None, id="signed-up-alone"),
        pytest.param({"portal_invitation_id": str(uuid.uuid4())}, id="made-for-another-invitation"),
    ],
)
def test_a_user_the_portal_did_not_create_for_the_invitation_is_neither_adopted_nor_deleted(
    imported_tenant: Any, app_metadata: dict[str, str] | None
) -> None:
    org = _initech(first_admin_email="")
    settle(imported_tenant)
    theirs = _someone_elses_user(app_metadata)
    invitation = _invite(org)

    drain()

    send = _send_op(invitation)
    assert send.state == OpState.FAILED and NOT_OURS in send.last_error
    remote = remote_org(imported_tenant.state(), "initech")
    assert remote is not None and theirs not in remote["members"]
    assert _tickets(imported_tenant) == [] and mail.outbox == []

    invitation_revoke(actor=None, invitation=invitation)
    drain()

    user = _sandbox_user(imported_tenant)
    assert user is not None and user["user_id"] == theirs
    assert user.get("app_metadata") == (app_metadata or {})


def test_revoking_an_invitation_that_points_at_someone_elses_user_leaves_that_user_alone(
    imported_tenant: Any,
) -> None:
    """As the old adoption by email left it: the invitation recorded a user it never made."""
    org = _initech(first_admin_email="")
    settle(imported_tenant)
    theirs = _someone_elses_user(None)
    invitation = _invite(org)
    _send_op(invitation).delete()
    Invitation.objects.filter(pk=invitation.pk).update(
        status=InvitationStatus.SENT, auth0_user_id=theirs
    )
    invitation.refresh_from_db()

    invitation_revoke(actor=None, invitation=invitation)
    drain()

    user = _sandbox_user(imported_tenant)
    assert user is not None and user["user_id"] == theirs
    revoke = SyncOperation.objects.get(kind="invitation.revoke")
    assert revoke.state == OpState.SUCCEEDED and revoke.result["kept_user"] == theirs


def test_resend_adopts_the_first_invitations_user_relabels_it_and_mails_one_new_ticket(
    imported_tenant: Any,
) -> None:
    _initech()
    settle(imported_tenant)
    first = Invitation.objects.get(email=BOSS)
    user = _sandbox_user(imported_tenant)
    assert user is not None
    assert user["app_metadata"]["portal_invitation_id"] == str(first.portal_id)

    second = invitation_resend(actor=None, invitation=first)
    settle(imported_tenant)

    adopted = _sandbox_user(imported_tenant)
    assert adopted is not None and adopted["user_id"] == user["user_id"]
    assert adopted["app_metadata"]["portal_invitation_id"] == str(second.portal_id)
    assert len(mail.outbox) == 2
    [new_ticket] = [t for t in _tickets(imported_tenant) if t["id"] in mail.outbox[1].body]
    assert new_ticket["user_id"] == user["user_id"]
    second.refresh_from_db()
    assert second.status == InvitationStatus.SENT and second.auth0_user_id == user["user_id"]

    invitation_revoke(actor=None, invitation=second)  # now carries the second's id: ours
    settle(imported_tenant)
    assert _sandbox_user(imported_tenant) is None


# --- the same holes in Auth0 invitations (shared-database organizations) ------------------


def test_a_revoke_after_a_lost_invitation_response_deletes_the_invitation_auth0_made(
    imported_tenant: Any, settings: Any
) -> None:
    """The send gave up on the attempt whose answer was lost, so the portal never learnt
    the invitation's id; Auth0 has it (and mailed it) all the same."""
    settings.SYNC_MAX_ATTEMPTS = 1
    imported_tenant.add_fault(
        action="apply_then_fail",
        method="POST",
        path=r"^/api/v2/organizations/[^/]+/invitations$",
        times=1,
        status=503,
    )
    org = organization_create(
        actor=None, name="raviga", display_name="Raviga", first_admin_email="laurie@raviga.test"
    )
    drain()
    invitation = Invitation.objects.get(organization=org)
    assert _send_op(invitation).state == OpState.FAILED and not invitation.auth0_id
    org.refresh_from_db()
    assert len(imported_tenant.state()["organizations"][org.auth0_id]["invitations"]) == 1

    invitation_revoke(actor=None, invitation=invitation)
    drain()

    assert imported_tenant.state()["organizations"][org.auth0_id]["invitations"] == {}
