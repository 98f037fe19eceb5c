"""Creating and deleting user accounts of an own-database organization, through the engine
against the sandbox: the user is made with a random password nobody sees, `email_verified`
false, a member with the chosen roles, and mailed one password-change ticket; retries never
make a second user or a second email; deletion only of the organization's own database
users, never staff, never the last admin, never a non-member."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from orgs.auth0.client import as_dict, management_client
from orgs.models import (
    AuditEvent,
    Member,
    MembershipModel,
    OpState,
    Organization,
    SyncOperation,
)
from orgs.services.organizations import organization_create
from orgs.services.sync_ops import sync_operation_retry
from orgs.services.user_accounts import user_create, user_delete
from orgs.sync.describe import describe_operations, readable_error
from orgs.sync.handlers import users as user_handlers
from orgs.sync.runner import run_operation
from tests.factories import MemberFactory, OrganizationFactory, RoleFactory, UserFactory
from tests.orgs.engine import drain
from tests.orgs.services import demo_app, refused, remote_org, remote_user, settle

pytestmark = pytest.mark.django_db

BOSS, NEWBIE = "boss@initech.test", "newbie@initech.test"
UNKNOWN = "may or may not have gone out"


class LostReplyBackend(LocmemBackend):
    """Takes the message, then loses the reply: the mail went out, nobody can know."""

    losses = 0

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(messages)
        if LostReplyBackend.losses:
            LostReplyBackend.losses -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return sent


class RefusingBackend(LocmemBackend):
    """Refuses every recipient before taking anything: nothing went out."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPRecipientsRefused({})


@pytest.fixture
def lost_reply(settings: Any) -> Iterator[None]:
    settings.EMAIL_BACKEND = f"{__name__}.LostReplyBackend"
    LostReplyBackend.losses = 1
    yield
    LostReplyBackend.losses = 0


def own_database_org(tenant: Any, name: str = "initech") -> Organization:
    org = organization_create(
        actor=None,
        name=name,
        display_name=name.capitalize(),
        membership_model=MembershipModel.OWN_DATABASE,
        application=demo_app(),
    )
    settle(tenant)
    org.refresh_from_db()
    return org


def created_member(org: Organization, email: str, roles: list[str]) -> Member:
    """An account made through the portal (as staff), run to the end."""
    user_create(actor=None, organization=org, email=email, role_names=roles)
    assert set(drain()) == {"succeeded"}
    return Member.objects.get(organization=org, email=email)


def tickets(tenant: Any) -> list[dict[str, Any]]:
    return [t for t in tenant.state()["tickets"].values() if t["kind"] == "password-change"]


def users_with(tenant: Any, email: str) -> list[dict[str, Any]]:
    return [u for u in tenant.state()["users"].values() if u["email"] == email]


@pytest.fixture
def initech(imported_tenant: Any) -> Organization:
    return own_database_org(imported_tenant)


@pytest.fixture
def boss(initech: Organization) -> Any:
    member = created_member(initech, BOSS, ["org-admin"])
    mail.outbox.clear()
    return UserFactory(sub=member.user_id, email=BOSS)


# --- create ----------------------------------------------------------------------------------


def test_a_created_user_gets_a_ticket_by_email_and_is_a_member_with_the_roles(
    imported_tenant: Any, initech: Organization, boss: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    op = user_create(
        actor=boss, organization=initech, email=" Newbie@Initech.test ", role_names=["org-member"]
    )
    assert op.kind == "user.create" and op.payload["email"] == NEWBIE
    assert "password" not in str(op.payload).lower()
    assert describe_operations([op])[op.pk].startswith(f"Create the account of {NEWBIE}")

    assert drain() == ["succeeded"]

    [user] = users_with(imported_tenant, NEWBIE)
    assert user["email_verified"] is False
    assert user["connection"] == "initech-users"
    remote = remote_org(imported_tenant.state(), "initech")
    assert remote is not None and user["user_id"] in remote["members"]
    member = Member.objects.get(organization=initech, user_id=user["user_id"])
    assert member.role_names() == ["org-member"] and member.email == NEWBIE
    [message] = mail.outbox
    assert message.to == [NEWBIE]
    [ticket] = [t for t in tickets(imported_tenant) if t["user_id"] == user["user_id"]]
    assert ticket["id"] in message.body
    op.refresh_from_db()
    assert op.result["user_id"] == user["user_id"] and ticket["id"] not in str(op.result)
    assert AuditEvent.objects.filter(action="user.create", target=NEWBIE).exists()
    # The password is never stored nor logged: nothing it could be is in the logs.
    assert "aA1!" not in caplog.text


def test_a_create_whose_answer_was_lost_adopts_the_user_and_mails_once(
    imported_tenant: Any, initech: Organization, boss: Any
) -> None:
    op = user_create(actor=boss, organization=initech, email=NEWBIE, role_names=[])
    user_handlers.create_account(op)  # ran, but the runner never heard back
    SyncOperation.objects.filter(pk=op.pk).update(result={})  # as if the mail never started
    mail.outbox.clear()

    assert drain() == ["succeeded"]

    assert len(users_with(imported_tenant, NEWBIE)) == 1
    assert len(mail.outbox) == 1
    assert Member.objects.filter(organization=initech, email=NEWBIE).count() == 1


def test_a_ticket_mail_whose_reply_was_lost_is_never_sent_again(
    imported_tenant: Any, initech: Organization, boss: Any, lost_reply: None
) -> None:
    op = user_create(actor=boss, organization=initech, email=NEWBIE, role_names=[])

    assert drain() == ["failed"]

    op.refresh_from_db()
    assert op.state == OpState.FAILED and UNKNOWN in op.last_error
    assert "password reset" in readable_error(op)
    sync_operation_retry(actor=None, operation=op)
    drain()
    op.refresh_from_db()
    assert op.state == OpState.FAILED and len(mail.outbox) == 1
    assert len(users_with(imported_tenant, NEWBIE)) == 1
    with refused("already a member"):  # and asking again does not make a second one
        user_create(actor=boss, organization=initech, email=NEWBIE, role_names=[])


def test_a_mail_refused_before_delivery_is_sent_once_on_retry(
    imported_tenant: Any, initech: Organization, boss: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    op = user_create(actor=boss, organization=initech, email=NEWBIE, role_names=[])
    assert run_operation(op.pk) == "retrying"
    op.refresh_from_db()
    assert op.last_error_code == "mail_not_sent" and op.result == {}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert drain() == ["succeeded"]

    assert len(mail.outbox) == 1 and len(users_with(imported_tenant, NEWBIE)) == 1


def test_someone_elses_account_with_the_email_is_left_alone(
    imported_tenant: Any, initech: Organization, boss: Any
) -> None:
    management_client().users.create(
        connection="initech-users", email=NEWBIE, password="Correct-Horse-9-battery"
    )
    op = user_create(actor=boss, organization=initech, email=NEWBIE, role_names=[])

    assert drain() == ["failed"]

    op.refresh_from_db()
    assert op.last_error_code == "user_exists" and "leaves that account alone" in op.last_error
    assert mail.outbox == [] and not Member.objects.filter(email=NEWBIE).exists()


def test_a_second_request_while_the_first_is_open_is_refused(
    initech: Organization, boss: Any
) -> None:
    user_create(actor=boss, organization=initech, email=NEWBIE, role_names=[])
    with refused("being created already"):
        user_create(actor=boss, organization=initech, email=NEWBIE, role_names=[])


@pytest.mark.parametrize(
    ("model", "words"),
    [
        (MembershipModel.SHARED_DATABASE, "shared with other organizations"),
        (MembershipModel.ENTERPRISE_ONLY, "identity provider only"),
    ],
)
def test_no_accounts_are_made_or_deleted_where_people_sign_in_elsewhere(
    db: None, model: str, words: str
) -> None:
    org = OrganizationFactory(name="acme", membership_model=model)
    RoleFactory(name="org-member")
    member = MemberFactory(organization=org, user_id="auth0|someone", email="a@acme.test")
    with refused(words):
        user_create(actor=None, organization=org, email="x@acme.test", role_names=[])
    with refused(words):
        user_delete(actor=None, member=member)


def test_only_this_organizations_admins_create_users(initech: Organization) -> None:
    outsider = UserFactory(sub="auth0|outsider", email="x@globex.test")
    with refused("Only administrators of Initech"):
        user_create(actor=outsider, organization=initech, email=NEWBIE, role_names=[])


def test_unknown_roles_and_bad_emails_are_refused_on_their_fields(
    initech: Organization, boss: Any
) -> None:
    with refused("Unknown roles: wizard") as error:
        user_create(actor=boss, organization=initech, email=NEWBIE, role_names=["wizard"])
    assert error.value.field == "roles"
    with refused("is not a valid email address") as error:
        user_create(actor=boss, organization=initech, email="nope", role_names=[])
    assert error.value.field == "email"


# --- delete ----------------------------------------------------------------------------------


def test_deleting_removes_the_account_and_the_membership(
    imported_tenant: Any, initech: Organization, boss: Any
) -> None:
    member = created_member(initech, NEWBIE, ["org-member"])
    op = user_delete(actor=boss, member=member)
    assert op.kind == "user.delete" and op.target_id == member.pk

    assert drain() == ["succeeded"]

    assert users_with(imported_tenant, NEWBIE) == []
    assert not Member.objects.filter(pk=member.pk).exists()
    assert AuditEvent.objects.filter(action="user.delete", target=NEWBIE).exists()


def test_a_delete_whose_answer_was_lost_finishes_on_retry(
    imported_tenant: Any, initech: Organization, boss: Any
) -> None:
    member = created_member(initech, NEWBIE, [])
    op = user_delete(actor=boss, member=member)
    user_handlers.delete_account(op)  # the user is gone, the runner never heard
    Member.objects.create(organization=initech, user_id=member.user_id, email=NEWBIE)
    SyncOperation.objects.filter(pk=op.pk).update(target_id=Member.objects.get(email=NEWBIE).pk)

    assert drain() == ["succeeded"]

    assert users_with(imported_tenant, NEWBIE) == []
    assert not Member.objects.filter(email=NEWBIE).exists()


def test_a_user_of_another_connection_is_never_deleted(
    imported_tenant: Any, initech: Organization, boss: Any
) -> None:
    shared = as_dict(
        management_client().users.create(
            connection="Username-Password-Authentication",
            email="shared@elsewhere.test",
            password="Correct-Horse-9-battery",
        )
    )
    member = Member.objects.create(
        organization=initech, user_id=shared["user_id"], email="shared@elsewhere.test"
    )
    user_delete(actor=None, member=member)

    assert drain() == ["failed"]

    assert remote_user(imported_tenant.state(), "shared@elsewhere.test") is not None
    op = SyncOperation.objects.get(kind="user.delete")
    assert op.last_error_code == "not_own_database_user"


def test_the_last_admin_themselves_and_staff_are_never_deleted(
    initech: Organization, boss: Any
) -> None:
    boss_member = Member.objects.get(organization=initech, email=BOSS)
    with refused("You cannot delete your own account"):
        user_delete(actor=boss, member=boss_member)
    with refused("last administrator of Initech"):
        user_delete(actor=None, member=boss_member)
    staff = UserFactory(sub="auth0|staffer", email="staff@portal.test", is_staff=True)
    staff_member = Member.objects.create(organization=initech, user_id=staff.sub, email="s@x")
    with refused("member of the portal's staff"):
        user_delete(actor=boss, member=staff_member)


def test_a_non_admin_or_another_organizations_admin_cannot_delete(
    initech: Organization, boss: Any
) -> None:
    member = Member.objects.create(organization=initech, user_id="auth0|n1", email=NEWBIE)
    other = OrganizationFactory(name="hooli")
    outsider = UserFactory(sub="auth0|globex-boss", email="boss@globex.test")
    MemberFactory(organization=other, user_id=outsider.sub).roles.add(
        *initech.members.get(email=BOSS).roles.all()
    )
    with refused("Only administrators of Initech"):
        user_delete(actor=outsider, member=member)


def test_someone_in_another_organization_too_or_signing_in_elsewhere_is_not_deleted(
    initech: Organization, boss: Any
) -> None:
    both = Member.objects.create(organization=initech, user_id="auth0|both", email="b@x.test")
    MemberFactory(organization=OrganizationFactory(name="hooli"), user_id="auth0|both")
    with refused("also belongs to another organization"):
        user_delete(actor=boss, member=both)
    sso = Member.objects.create(organization=initech, user_id="samlp|okta|x", email="s@x.test")
    with refused("does not sign in with Initech's own database"):
        user_delete(actor=boss, member=sso)
