"""Expiry notices and certificate health, without Auth0: the certificate in use of every
active setup warns the organization's admins 30, 14, 7 and 1 days ahead, once per
threshold; the SSO pages read its health from `certificate_health`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from idp_selfservice.certificate_watch import (
    certificate_health,
    due_threshold,
    newer_certificate,
    send_expiry_notices,
)
from idp_selfservice.certificates import CertificateInfo
from idp_selfservice.emails import organization_admin_emails
from idp_selfservice.models import CertificateNotice, SetupState
from orgs.models import AuditEvent
from tests.conftest import People
from tests.factories import MemberFactory, RoleFactory
from tests.idp_selfservice.test_certificate_support import NOW, stored_setup

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _days_before(expires: Any, days: float) -> Any:
    return expires - timedelta(days=days)


def test_the_admins_are_the_members_with_the_admin_role_and_an_email(people: People) -> None:
    admin_role = RoleFactory(name="org-admin")
    MemberFactory(
        organization=people.organization,
        user_id="auth0|gone",
        email="gone@acme.test",
        removing=True,
    ).roles.add(admin_role)
    MemberFactory(organization=people.organization, user_id="auth0|noemail", email="").roles.add(
        admin_role
    )
    assert organization_admin_emails(people.organization) == ["admin@acme.test"]


@pytest.mark.parametrize("threshold", [30, 14, 7, 1])
def test_each_threshold_sends_one_notice_to_the_admins(people: People, threshold: int) -> None:
    expires = NOW + timedelta(days=60)
    setup = stored_setup(people.organization, expires=expires)
    at = _days_before(expires, threshold - 0.5)  # just past the threshold
    assert send_expiry_notices(now=at) == 1
    assert [m.to for m in mail.outbox] == [["admin@acme.test"]]
    message = mail.outbox[0]
    assert setup.connection_name in message.subject
    days = threshold - 1
    if threshold == 1:
        assert "within a day" in message.subject
    else:
        assert f"in {days} day" in message.subject
    assert "ask whoever runs your identity provider" in message.body
    assert message.alternatives and "<code>" in str(message.alternatives[0][0])
    notice = CertificateNotice.objects.get(setup=setup)
    assert notice.threshold_days == threshold
    assert AuditEvent.objects.filter(action="sso.certificate_notice").count() == 1
    # Reruns (the same day, the next hour) send nothing more.
    assert send_expiry_notices(now=at) == 0
    assert send_expiry_notices(now=at + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1


def test_a_certificate_walking_towards_expiry_gets_each_notice_exactly_once(
    people: People,
) -> None:
    expires = NOW + timedelta(days=45)
    setup = stored_setup(people.organization, expires=expires)
    sent = []
    moment = NOW
    while moment < expires + 2 * DAY:  # the job, twice a day, until after expiry
        if send_expiry_notices(now=moment):
            sent.append(round((expires - moment) / DAY))
        moment += timedelta(hours=12)
    assert sent == [30, 14, 7, 1]
    assert sorted(
        CertificateNotice.objects.filter(setup=setup).values_list("threshold_days", flat=True)
    ) == [1, 7, 14, 30]
    assert len(mail.outbox) == 4


def test_crossing_several_thresholds_at_once_sends_only_the_smallest(people: People) -> None:
    expires = NOW + timedelta(days=60)
    setup = stored_setup(people.organization, expires=expires)
    first_look = _days_before(expires, 5)  # activated late, or the job was down
    assert send_expiry_notices(now=first_look) == 1
    assert list(
        CertificateNotice.objects.filter(setup=setup).values_list("threshold_days", flat=True)
    ) == [7]
    assert "in 5 days" in mail.outbox[0].subject
    # The bigger thresholds are never sent afterwards; the next smaller one is.
    assert send_expiry_notices(now=first_look + DAY) == 0
    assert send_expiry_notices(now=_days_before(expires, 0.5)) == 1
    assert len(mail.outbox) == 2 and "within a day" in mail.outbox[1].subject


def test_an_expired_certificate_without_a_notice_gets_the_last_one(people: People) -> None:
    expires = NOW - 3 * DAY
    stored_setup(people.organization, expires=expires)
    assert send_expiry_notices(now=NOW) == 1
    assert "has expired" in mail.outbox[0].subject
    assert send_expiry_notices(now=NOW + DAY) == 0


def test_a_notice_recorded_by_a_concurrent_run_is_not_sent_again(people: People) -> None:
    expires = NOW + 10 * DAY
    setup = stored_setup(people.organization, expires=expires)
    fingerprint = setup.certificates()[0]["sha256_fingerprint"]
    CertificateNotice.objects.create(setup=setup, fingerprint=fingerprint, threshold_days=14)
    assert send_expiry_notices(now=NOW) == 0 and not mail.outbox


def test_a_new_certificate_gets_notices_of_its_own(people: People) -> None:
    setup = stored_setup(people.organization, expires=NOW + 5 * DAY)
    assert send_expiry_notices(now=NOW) == 1
    setup.idp_summary = {
        "certificates": [{**setup.certificates()[0], "sha256_fingerprint": "BB:NEW"}]
    }
    setup.save()
    assert send_expiry_notices(now=NOW) == 1  # another fingerprint: another notice
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    "state", [SetupState.DRAFT, SetupState.TESTED, SetupState.DISABLED, SetupState.DELETED]
)
def test_only_active_setups_get_notices(people: People, state: str) -> None:
    stored_setup(people.organization, expires=NOW + 2 * DAY, state=state)
    assert send_expiry_notices(now=NOW) == 0 and not mail.outbox


def test_setups_without_a_certificate_get_no_notice(people: People) -> None:
    stored_setup(people.organization, provider="oidc")
    assert send_expiry_notices(now=NOW) == 0


def test_an_organization_without_admins_records_the_notice_without_mail(people: People) -> None:
    stored_setup(people.other_organization, expires=NOW + 2 * DAY)
    people.other_organization.members.all().delete()
    assert send_expiry_notices(now=NOW) == 1
    assert not mail.outbox and CertificateNotice.objects.count() == 1


def test_a_refused_mail_records_nothing_so_the_next_run_sends_it(
    people: People, settings: Any
) -> None:
    stored_setup(people.organization, expires=NOW + 2 * DAY)
    settings.EMAIL_BACKEND = "tests.idp_selfservice.test_certificate_notices.RefusingBackend"
    assert send_expiry_notices(now=NOW) == 0
    assert not CertificateNotice.objects.exists()
    assert not AuditEvent.objects.filter(action="sso.certificate_notice").exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_expiry_notices(now=NOW) == 1 and len(mail.outbox) == 1


class RefusingBackend:
    def __init__(self, **_: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


# --- due thresholds and health ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (45, None),
        (30.01, None),
        (30, 30),
        (29, 30),
        (14, 14),
        (8, 14),
        (7, 7),
        (1.5, 7),
        (1, 1),
        (0.1, 1),
        (-4, 1),
    ],
)
def test_the_due_threshold_is_the_smallest_crossed(days_left: float, expected: int | None) -> None:
    assert due_threshold(NOW + timedelta(days=days_left), NOW) == expected


@pytest.mark.parametrize(
    ("days_left", "status", "words"),
    [
        (200, "ok", "valid until 20 Jul 2030"),
        (12.5, "expiring", "expires in 12 days"),
        (0.5, "expiring", "expires within a day"),
        (-2, "expired", "expired on 30 Dec 2029"),
    ],
)
def test_health_of_the_certificate_in_use(
    people: People, days_left: float, status: str, words: str
) -> None:
    setup = stored_setup(people.organization, expires=NOW + timedelta(days=days_left))
    health = certificate_health(setup, now=NOW)
    assert health["status"] == status
    assert words in health["words"]
    assert health["days_left"] == (timedelta(days=days_left) // DAY)
    assert health["fingerprint"] == setup.certificates()[0]["sha256_fingerprint"]
    assert health["badge"] in ("badge-ok", "badge-warn", "badge-bad")


def test_health_without_a_certificate_is_unknown(people: People) -> None:
    oidc = certificate_health(stored_setup(people.organization, provider="oidc"), now=NOW)
    assert oidc["status"] == "unknown" and oidc["days_left"] is None
    assert "no certificate to renew" in oidc["words"]
    saml = certificate_health(stored_setup(people.organization, provider="saml"), now=NOW)
    assert saml["status"] == "unknown" and "No signing certificate" in saml["words"]


def test_health_mentions_a_staged_rollover_and_a_failing_check(people: People) -> None:
    setup = stored_setup(
        people.organization,
        expires=NOW + 100 * DAY,
        staged={"sha256_fingerprint": "CC:01", "urgent": True},
    )
    setup.metadata_check_error = "The metadata URL answered with an error (HTTP 404)."
    health = certificate_health(setup, now=NOW)
    assert health["staged"] and health["staged_urgent"]
    assert "confirm the switch" in health["words"]
    assert health["check_error"].startswith("The metadata URL answered")


def test_the_in_use_flag_picks_the_certificate_in_use(people: People) -> None:
    setup = stored_setup(people.organization, expires=NOW + 100 * DAY)
    older = {
        **setup.certificates()[0],
        "sha256_fingerprint": "DD:OLD",
        "in_use": False,
        "not_after": (NOW + DAY).isoformat(),
    }
    setup.idp_summary["certificates"].insert(0, older)
    assert certificate_health(setup, now=NOW)["status"] == "ok"


# --- which published certificate is a rollover -------------------------------------------------


def _info(fingerprint: str, *, starts: int, ends: int) -> CertificateInfo:
    return CertificateInfo(
        subject=f"CN={fingerprint}",
        issuer=f"CN={fingerprint}",
        sha256_fingerprint=fingerprint,
        not_before=NOW + timedelta(days=starts),
        not_after=NOW + timedelta(days=ends),
        signature_algorithm="sha256WithRSAEncryption",
        key_type="RSA",
        key_size=2048,
        der_base64="",
    )


def test_a_rollover_is_a_later_certificate_beside_the_one_in_use() -> None:
    in_use = {"sha256_fingerprint": "A", "not_after": (NOW + 30 * DAY).isoformat()}
    current = _info("A", starts=-300, ends=30)
    older = _info("O", starts=-400, ends=10)
    later = _info("L", starts=-1, ends=700)
    future = _info("F", starts=5, ends=900)
    expired = _info("X", starts=-900, ends=-1)
    assert newer_certificate([current], in_use, NOW) is None
    assert newer_certificate([current, older, expired], in_use, NOW) is None
    assert newer_certificate([current, later], in_use, NOW) == later
    assert newer_certificate([current, future, later], in_use, NOW) == later  # valid now wins
    assert newer_certificate([current, future], in_use, NOW) == future
    # The one in use is gone: whatever valid one is left, even one expiring sooner.
    assert newer_certificate([older], in_use, NOW) == older
    assert newer_certificate([expired], in_use, NOW) is None
