"""The organization page's Invitations tab: invitations with their roles, status and
expiry, inviting someone, resending, and revoking after a confirmation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from orgs.models import (
    AuditEvent,
    Invitation,
    InvitationStatus,
    OrgStatus,
    Origin,
    Role,
    SyncOperation,
    SyncState,
)
from tests.conftest import People, log_in
from tests.factories import ApplicationFactory
from tests.orgs.engine import sent_ops
from tests.orgs.services import rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(people: People) -> Any:
    ApplicationFactory(name="Back Office", initiate_login_uri="")  # takes no invitations
    return ApplicationFactory(name="Demo SaaS App")


def _invitation(people: People, app: Any, email: str, **fields: Any) -> Invitation:
    fields.setdefault("status", InvitationStatus.SENT)
    fields.setdefault("sync_state", SyncState.IN_SYNC)
    invitation = Invitation.objects.create(
        organization=people.organization,
        email=email,
        inviter_name="Staff",
        application=app,
        **fields,
    )
    invitation.roles.set(Role.objects.filter(name="org-member"))
    return invitation


@pytest.fixture
def sent(people: People, app: Any) -> Invitation:
    expires_at = timezone.now() + timedelta(days=7) - timedelta(minutes=1)
    return _invitation(people, app, "new@acme.test", expires_at=expires_at)


def _url(people: People, suffix: str = "") -> str:
    return f"/orgs/{people.organization.pk}/invitations/{suffix}"


def _row(content: str, invitation: Invitation) -> str:
    return content.split(f'id="invitation-{invitation.pk}"')[1].split("</tr>")[0]


# --- the list ---------------------------------------------------------------------------------


def test_staff_see_each_invitation_with_its_roles_status_and_expiry(
    client: Client, people: People, app: Any, sent: Invitation
) -> None:
    overdue = _invitation(
        people, app, "late@acme.test", expires_at=timezone.now() - timedelta(hours=1)
    )
    accepted = _invitation(people, app, "joined@acme.test", status=InvitationStatus.ACCEPTED)
    waiting = _invitation(people, app, "soon@acme.test", status=InvitationStatus.PENDING)
    log_in(client, people.staff)
    content = client.get(_url(people)).content.decode()
    row = _row(content, sent)
    assert "new@acme.test" in row and "org-member" in row and "In sync" in row
    assert "Sent, expires in 6\xa0days" in row and "Resend" in row and "Revoke" in row
    assert "Expired" in _row(content, overdue)
    assert "Waiting to be sent" in _row(content, waiting)
    accepted_row = _row(content, accepted)
    assert "Accepted" in accepted_row
    assert "Resend" not in accepted_row and "Revoke" not in accepted_row


def test_a_failed_invitation_says_where_to_look(
    client: Client, people: People, sent: Invitation
) -> None:
    Invitation.objects.filter(pk=sent.pk).update(
        sync_state=SyncState.FAILED, sync_error="Auth0 400: bad invitee"
    )
    log_in(client, people.staff)
    row = _row(client.get(_url(people)).content.decode(), sent)
    assert "Failed" in row and "See why in Activity" in row and "bad invitee" not in row


def test_the_form_offers_roles_and_the_applications_that_take_invitations(
    client: Client, people: People, app: Any
) -> None:
    log_in(client, people.staff)
    content = client.get(_url(people)).content.decode()
    assert 'type="checkbox" name="roles" value="org-admin"' in content
    assert "<legend>Roles</legend>" in content
    select = content.split('name="application"')[1].split("</select>")[0]
    assert f'<option value="{app.pk}" selected>Demo SaaS App</option>' in select
    assert "Back Office" not in select


def test_fifty_one_invitations_make_two_pages(client: Client, people: People, app: Any) -> None:
    for index in range(51):
        _invitation(people, app, f"person{index}@acme.test")
    log_in(client, people.staff)
    content = client.get(_url(people)).content.decode()
    assert "Page 1 of 2" in content and 'aria-label="Invitation pages"' in content


def test_the_organizations_own_admin_sees_the_tab(
    client: Client, people: People, sent: Invitation
) -> None:
    log_in(client, people.org_admin, people.organization)
    response = client.get(_url(people))
    assert response.status_code == 200 and b"new@acme.test" in response.content


def test_another_organizations_admin_and_a_member_get_404(
    client: Client, people: People, app: Any, sent: Invitation
) -> None:
    before = rows()
    log_in(client, people.outsider, people.other_organization)
    assert client.get(_url(people)).status_code == 404
    assert client.get(_url(people, f"{sent.pk}/revoke/")).status_code == 404
    assert client.post(_url(people, f"{sent.pk}/revoke/")).status_code == 404
    assert client.post(_url(people, f"{sent.pk}/resend/")).status_code == 404
    assert client.post(_url(people, "new/"), {"email": "x@acme.test"}).status_code == 404
    client.logout()
    log_in(client, people.org_member)
    assert client.get(_url(people)).status_code == 404
    assert rows() == before


def test_an_invitation_of_another_organization_is_not_found_from_this_one(
    client: Client, people: People, app: Any
) -> None:
    theirs = Invitation.objects.create(
        organization=people.other_organization, email="a@globex.test", application=app
    )
    log_in(client, people.staff)
    assert client.post(_url(people, f"{theirs.pk}/revoke/")).status_code == 404
    assert Invitation.objects.get(pk=theirs.pk).status == InvitationStatus.PENDING


@pytest.mark.parametrize("suffix", ["", "new/", "1/resend/", "1/revoke/"])
def test_anonymous_visitors_are_sent_to_login(client: Client, people: People, suffix: str) -> None:
    response = client.post(_url(people, suffix))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- invite -------------------------------------------------------------------------------------


def test_inviting_someone_records_the_send_and_an_audit_event(
    client: Client, people: People, app: Any, django_capture_on_commit_callbacks: Any
) -> None:
    log_in(client, people.org_admin, people.organization)
    data = {"email": "New.Person@Acme.test", "roles": ["org-member"], "application": app.pk}
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(_url(people, "new/"), data, follow=True)
    assert "Inviting new.person@acme.test." in response.content.decode()
    invitation = Invitation.objects.get(email="new.person@acme.test")
    assert invitation.application == app
    assert [role.name for role in invitation.roles.all()] == ["org-member"]
    [op] = SyncOperation.objects.filter(kind="invitation.send")
    assert op.target_id == invitation.pk and op.origin == Origin.CUSTOMER
    assert sent_ops(callbacks) == [op.pk]
    [event] = AuditEvent.objects.filter(action="invitation.create")
    assert event.target == "new.person@acme.test" and event.details["roles"] == ["org-member"]


def test_an_invalid_email_is_refused_on_its_field(client: Client, people: People, app: Any) -> None:
    before = rows()
    log_in(client, people.staff)
    data = {"email": "not-an-email", "application": app.pk}
    content = client.post(_url(people, "new/"), data).content.decode()
    assert '<a href="#id_email">Enter an email address like name@example.com.' in content
    assert rows() == before


def test_a_second_open_invitation_is_refused_on_the_email_field(
    client: Client, people: People, app: Any, sent: Invitation
) -> None:
    before = rows()
    log_in(client, people.staff)
    data = {"email": "new@acme.test", "application": app.pk}
    content = client.post(_url(people, "new/"), data).content.decode()
    assert '<a href="#id_email">new@acme.test already has an open invitation.' in content
    assert rows() == before


def test_a_suspended_organization_cannot_invite(client: Client, people: People, app: Any) -> None:
    people.organization.status = OrgStatus.SUSPENDED
    people.organization.save()
    before = rows()
    log_in(client, people.staff)
    data = {"email": "x@acme.test", "application": app.pk}
    content = client.post(_url(people, "new/"), data).content.decode()
    assert "There is a problem" in content
    assert "Acme cannot invite people right now (suspended)." in content
    assert rows() == before


# --- resend and revoke ------------------------------------------------------------------------


def test_resending_revokes_the_old_invitation_and_sends_a_new_one(
    client: Client, people: People, sent: Invitation
) -> None:
    log_in(client, people.staff)
    response = client.post(_url(people, f"{sent.pk}/resend/"), follow=True)
    assert "Sending new@acme.test a new invitation." in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == InvitationStatus.REVOKED
    fresh = Invitation.objects.exclude(pk=sent.pk).get(email="new@acme.test")
    assert [role.name for role in fresh.roles.all()] == ["org-member"]
    kinds = list(SyncOperation.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["invitation.revoke", "invitation.send"]
    assert AuditEvent.objects.filter(action="invitation.create").exists()


def test_an_accepted_invitation_is_not_resent(client: Client, people: People, app: Any) -> None:
    accepted = _invitation(people, app, "joined@acme.test", status=InvitationStatus.ACCEPTED)
    before = rows()
    log_in(client, people.staff)
    response = client.post(_url(people, f"{accepted.pk}/resend/"), follow=True)
    assert "This invitation was accepted already." in response.content.decode()
    assert rows() == before


def test_a_resend_the_organization_cannot_send_changes_nothing(
    client: Client, people: People, sent: Invitation
) -> None:
    people.organization.status = OrgStatus.SUSPENDED
    people.organization.save()
    before = rows()
    log_in(client, people.staff)
    response = client.post(_url(people, f"{sent.pk}/resend/"), follow=True)
    assert "cannot invite people right now" in response.content.decode()
    assert rows() == before  # the old invitation was not revoked either


def test_revoking_asks_first_and_changes_nothing_until_confirmed(
    client: Client, people: People, sent: Invitation
) -> None:
    before = rows()
    log_in(client, people.staff)
    revoke_url = _url(people, f"{sent.pk}/revoke/")
    assert f'href="{revoke_url}"' in client.get(_url(people)).content.decode()
    page = client.get(revoke_url).content.decode()
    assert "Revoke the invitation for new@acme.test?" in page
    assert "The link in the invitation email stops working." in page
    assert "Revoke invitation" in page and f'action="{revoke_url}"' in page
    assert rows() == before


def test_revoking_records_the_revoke_and_an_audit_event(
    client: Client, people: People, sent: Invitation
) -> None:
    log_in(client, people.org_admin, people.organization)
    response = client.post(_url(people, f"{sent.pk}/revoke/"), follow=True)
    assert "Revoking the invitation for new@acme.test." in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == InvitationStatus.REVOKED
    [op] = SyncOperation.objects.filter(kind="invitation.revoke")
    assert op.target_id == sent.pk and op.origin == Origin.CUSTOMER
    assert AuditEvent.objects.filter(action="invitation.revoke", target="new@acme.test").exists()


def test_an_invitation_no_longer_open_has_nothing_to_revoke(
    client: Client, people: People, app: Any
) -> None:
    revoked = _invitation(people, app, "gone@acme.test", status=InvitationStatus.REVOKED)
    before = rows()
    log_in(client, people.staff)
    response = client.post(_url(people, f"{revoked.pk}/revoke/"), follow=True)
    assert "is revoked: there is nothing to revoke." in response.content.decode()
    assert rows() == before
