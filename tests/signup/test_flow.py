"""Self sign-up's services against the sandbox: start, verify, provision, and the cases that
must end with exactly one organization and one invitation (replays, two tabs at once)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from orgs.models import Invitation, OpState, Organization, Priority, SyncOperation
from orgs.signup.models import Signup, SignupStatus
from orgs.signup.progress import StepState, provisioning_progress
from orgs.signup.services import (
    SignupDetails,
    expire_unverified,
    send_verification,
    signup_start,
    signup_verify,
)
from orgs.signup.tokens import LinkProblem, make_token
from tests.conftest import require_service
from tests.orgs.engine import drain
from tests.orgs.services import remote_org

DETAILS = SignupDetails(
    company_name="Hooli Labs",
    slug="hooli-labs",
    admin_name="Gavin Belson",
    email="gavin@hooli.test",
)


def _token_from_mail() -> str:
    body = mail.outbox[-1].body
    match = re.search(r"/signup/verify/([^/\s]+)/", body)
    assert match, body
    return match.group(1)


def test_start_records_and_mails_but_sends_nothing_to_auth0(imported_tenant: Any) -> None:
    signup = signup_start(details=DETAILS, ip="203.0.113.9")
    assert signup.status == SignupStatus.AWAITING_VERIFICATION
    assert [m.to for m in mail.outbox] == [["gavin@hooli.test"]]
    assert "Hooli Labs" in mail.outbox[0].subject
    assert mail.outbox[0].alternatives, "an html part too"
    assert not Organization.objects.filter(name="hooli-labs").exists()
    assert not SyncOperation.objects.exists()
    assert signup.ip_hash and "203.0.113.9" not in signup.ip_hash


def test_verification_provisions_in_the_interactive_lane(imported_tenant: Any) -> None:
    signup_start(details=DETAILS, ip="203.0.113.9")
    outcome = signup_verify(_token_from_mail())
    assert outcome.problem is None and outcome.signup is not None
    signup = Signup.objects.get()
    assert signup.status == SignupStatus.PROVISIONED and signup.verified_at
    org = signup.organization
    assert org is not None and org.name == "hooli-labs" and org.display_name == "Hooli Labs"
    ops = list(org.sync_operations.all())
    assert ops and {op.priority for op in ops} == {Priority.INTERACTIVE}
    assert provisioning_progress(signup).steps[0].state in (StepState.WAITING, StepState.WORKING)

    drain()
    signup.refresh_from_db()
    progress = provisioning_progress(signup)
    assert progress.done, progress.steps
    invitation = Invitation.objects.get(organization=org)
    assert invitation.email == "gavin@hooli.test"
    assert [role.name for role in invitation.roles.all()] == ["org-admin"]
    assert invitation.application is not None and invitation.application.is_portal_login
    remote = remote_org(imported_tenant.state(), "hooli-labs")
    assert remote is not None and remote["display_name"] == "Hooli Labs"
    assert remote["metadata"]["portal_id"] == str(org.portal_id)


def test_replayed_link_changes_nothing(imported_tenant: Any) -> None:
    signup_start(details=DETAILS, ip="203.0.113.9")
    token = _token_from_mail()
    for _ in range(3):  # a double click, a reload, the link from another tab
        assert signup_verify(token).problem is None
    drain()
    assert signup_verify(token).problem is None  # after provisioning, too
    drain()
    assert Organization.objects.filter(name="hooli-labs").count() == 1
    assert Invitation.objects.count() == 1
    assert SyncOperation.objects.filter(kind="organization.create").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_tabs_verifying_at_once_make_one_organization(imported_tenant: Any) -> None:
    if connection.vendor != "postgresql":
        # SQLite's shared in-memory test database refuses a second writer outright.
        require_service("two writers at once need PostgreSQL")
    signup_start(details=DETAILS, ip="203.0.113.9")
    token = _token_from_mail()
    start, errors = threading.Barrier(2), []

    def tab() -> None:
        try:
            start.wait(5)
            signup_verify(token)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    tabs = [threading.Thread(target=tab) for _ in range(2)]
    for thread in tabs:
        thread.start()
    for thread in tabs:
        thread.join(15)
    assert not errors, errors
    assert Organization.objects.filter(name="hooli-labs").count() == 1
    assert Invitation.objects.count() == 1


def test_tampered_token_is_refused(imported_tenant: Any) -> None:
    signup_start(details=DETAILS, ip="203.0.113.9")
    token = _token_from_mail()
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert signup_verify(tampered).problem is LinkProblem.INVALID
    assert signup_verify("not-a-token").problem is LinkProblem.INVALID
    assert Signup.objects.get().status == SignupStatus.AWAITING_VERIFICATION


def test_a_link_for_another_nonce_is_refused(imported_tenant: Any) -> None:
    signup = signup_start(details=DETAILS, ip="203.0.113.9")
    signup.token_nonce = "a-new-nonce"
    forged = make_token(signup)  # signed, but not with the nonce the sign-up holds
    assert signup_verify(forged).problem is LinkProblem.INVALID


def test_expired_token_names_its_signup(imported_tenant: Any, settings: Any) -> None:
    signup_start(details=DETAILS, ip="203.0.113.9")
    token = _token_from_mail()
    settings.SIGNUP_VERIFY_HOURS = 0  # every link is now older than its life
    outcome = signup_verify(token)
    assert outcome.problem is LinkProblem.EXPIRED
    assert outcome.signup == Signup.objects.get()
    assert not Organization.objects.filter(name="hooli-labs").exists()


def test_unverified_signups_are_abandoned_after_seven_days(imported_tenant: Any) -> None:
    signup = signup_start(details=DETAILS, ip="203.0.113.9")
    token = _token_from_mail()
    assert expire_unverified() == 0
    Signup.objects.filter(pk=signup.pk).update(created_at=timezone.now() - timedelta(days=8))
    assert expire_unverified() == 1
    assert Signup.objects.get().status == SignupStatus.EXPIRED
    assert signup_verify(token).problem is LinkProblem.ABANDONED
    assert not Organization.objects.filter(name="hooli-labs").exists()
    assert not SyncOperation.objects.exists()


def test_approval_mode_waits_for_staff(imported_tenant: Any, settings: Any) -> None:
    settings.SIGNUP_APPROVAL_REQUIRED = True
    settings.STAFF_ALERT_EMAILS = ["oncall@portal.test"]
    signup_start(details=DETAILS, ip="203.0.113.9")
    with_mail = len(mail.outbox)
    signup_verify(_token_from_mail())
    assert Signup.objects.get().status == SignupStatus.AWAITING_APPROVAL
    assert not Organization.objects.filter(name="hooli-labs").exists()
    assert len(mail.outbox) >= with_mail  # the staff alert goes out on commit


def test_failed_setup_steps_say_so(imported_tenant: Any) -> None:
    signup_start(details=DETAILS, ip="203.0.113.9")
    signup_verify(_token_from_mail())
    signup = Signup.objects.get()
    SyncOperation.objects.filter(kind="organization.create").update(
        state=OpState.QUEUED, last_error="Auth0 could not be reached", attempts=1
    )
    assert provisioning_progress(signup).steps[0].state is StepState.RETRYING
    SyncOperation.objects.filter(kind="organization.create").update(state=OpState.FAILED)
    progress = provisioning_progress(signup)
    assert progress.failed and progress.settled and not progress.done


def test_a_removed_organization_settles_the_page(imported_tenant: Any) -> None:
    signup_start(details=DETAILS, ip="203.0.113.9")
    signup_verify(_token_from_mail())
    signup = Signup.objects.get()
    Organization.objects.filter(pk=signup.organization_id).update(status="deleted")
    signup.refresh_from_db()
    progress = provisioning_progress(signup)
    assert progress.removed and progress.settled and not progress.done


def test_a_refused_mail_server_is_said_and_retryable(imported_tenant: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.signup.test_flow.RefusingBackend"
    signup = signup_start(details=DETAILS, ip="203.0.113.9")
    assert signup.verification_send_failed
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Signup.objects.update(verification_sent_at=timezone.now() - timedelta(minutes=5))
    send_verification(Signup.objects.get())
    assert not Signup.objects.get().verification_send_failed
    assert len(mail.outbox) == 1


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError("the mail server is down")
