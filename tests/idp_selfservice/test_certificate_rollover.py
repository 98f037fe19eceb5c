"""The certificate watch against the real sandbox: the setup's metadata URL is the
sandbox's hosted stand-in IdP, whose certificates are rotated and retired as an IdP's are
during a rollover; swaps reach the sandbox's connection through the engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from idp_selfservice import drafts
from idp_selfservice.certificate_watch import (
    CHECKED,
    FAILED,
    STAGED,
    certificate_in_use,
    certificate_swap,
    refresh_setup,
    run_auto_swaps,
    run_watch,
)
from idp_selfservice.models import SetupState
from idp_selfservice.tasks import refresh_idp_metadata
from orgs.models import AuditEvent, Priority, SyncOperation
from orgs.services.errors import ServiceError
from tests.idp_selfservice.test_certificate_support import (
    acme,
    fingerprint,
    remote_options,
    retire,
    rotate,
    url_setup,
)
from tests.orgs.engine import drain

pytestmark = pytest.mark.django_db


def _staged_audits() -> int:
    return AuditEvent.objects.filter(action="sso.certificate_staged").count()


def test_metadata_without_a_new_certificate_changes_nothing(
    imported_tenant: Any, settings: Any
) -> None:
    setup = url_setup(imported_tenant, settings, acme())
    operations, before = SyncOperation.objects.count(), timezone.now()
    assert refresh_setup(setup) == CHECKED
    setup.refresh_from_db()
    assert setup.staged_certificate == {} and setup.metadata_check_error == ""
    assert setup.metadata_checked_at is not None and setup.metadata_checked_at >= before
    assert SyncOperation.objects.count() == operations
    assert not mail.outbox and _staged_audits() == 0


def test_a_new_certificate_is_staged_and_the_admins_told_once(
    imported_tenant: Any, settings: Any
) -> None:
    setup = url_setup(imported_tenant, settings, acme())
    in_use = certificate_in_use(setup)
    operations = SyncOperation.objects.count()
    new = rotate(imported_tenant, "acme-idp", days=730)
    assert refresh_setup(setup) == STAGED
    setup.refresh_from_db()
    staged = setup.staged_certificate
    assert staged["sha256_fingerprint"] == fingerprint(new)
    assert staged["auth0_signing_cert"] and staged["urgent"] is False
    assert certificate_in_use(setup) == in_use  # nothing switched yet
    assert SyncOperation.objects.count() == operations  # the connection is untouched
    assert [m.to for m in mail.outbox] == [["admin@acme.test"]]
    message = mail.outbox[0]
    assert "published a new signing certificate" in message.body
    assert "Confirm the switch" in message.body and "urgent" not in message.body.lower()
    assert fingerprint(new) in message.body
    assert f"/sso/{setup.organization_id}/{setup.pk}/certificate/swap" in message.body
    event = AuditEvent.objects.get(action="sso.certificate_staged")
    assert event.actor is None and event.details["fingerprint"] == fingerprint(new)
    # The next runs find the same certificate: no second email, no second event.
    assert refresh_setup(setup) == CHECKED
    assert refresh_setup(setup) == CHECKED
    assert len(mail.outbox) == 1 and _staged_audits() == 1


def test_the_certificate_in_use_disappearing_makes_it_urgent(
    imported_tenant: Any, settings: Any
) -> None:
    setup = url_setup(imported_tenant, settings, acme())
    rotate(imported_tenant, "acme-idp")
    assert refresh_setup(setup) == STAGED
    retire(imported_tenant, "acme-idp")  # the IdP stops publishing the one Auth0 has
    assert refresh_setup(setup) == STAGED
    setup.refresh_from_db()
    assert setup.staged_certificate["urgent"] is True
    assert len(mail.outbox) == 2
    urgent = mail.outbox[1]
    assert urgent.subject.startswith("Urgent:")
    assert "no longer lists the certificate in use" in urgent.body
    assert refresh_setup(setup) == CHECKED and len(mail.outbox) == 2


def test_confirming_the_swap_puts_the_new_certificate_on_the_connection(
    imported_tenant: Any, settings: Any
) -> None:
    setup = url_setup(imported_tenant, settings, acme())
    old = certificate_in_use(setup)
    assert old is not None
    new = rotate(imported_tenant, "acme-idp")
    refresh_setup(setup)
    setup.refresh_from_db()
    certificate_swap(actor=None, setup=setup)
    operation = SyncOperation.objects.latest("pk")
    assert operation.kind == "connection.update" and operation.priority == Priority.INTERACTIVE
    assert "succeeded" in drain()
    options = remote_options(imported_tenant, setup)
    assert options["cert"] == new["cert"]  # what Auth0 derives from signingCert
    setup.refresh_from_db()
    assert setup.staged_certificate == {}
    in_use = certificate_in_use(setup)
    assert in_use is not None and in_use["sha256_fingerprint"] == fingerprint(new)
    assert [c["in_use"] for c in setup.certificates()] == [True, False]
    event = AuditEvent.objects.get(action="sso.certificate_swap")
    assert event.details["previous"] == old["sha256_fingerprint"]
    assert event.details["automatic"] is False
    # The old certificate, still published beside the new one, is no rollover.
    assert refresh_setup(setup) == CHECKED
    setup.refresh_from_db()
    assert setup.staged_certificate == {} and len(mail.outbox) == 1
    with pytest.raises(ServiceError, match="No new certificate is waiting"):
        certificate_swap(actor=None, setup=setup)


def test_auto_mode_swaps_only_once_the_old_certificate_is_about_to_expire(
    imported_tenant: Any, settings: Any
) -> None:
    settings.IDP_CERT_ROLLOVER = "auto"
    setup = url_setup(imported_tenant, settings, acme(), days=30)
    new = rotate(imported_tenant, "acme-idp", days=365)
    now = timezone.now()
    assert refresh_setup(setup, now=now) == STAGED
    assert "switches to the new certificate on its own" in mail.outbox[0].body
    assert run_auto_swaps(now=now) == 0
    assert run_auto_swaps(now=now + timedelta(days=28)) == 0
    assert run_auto_swaps(now=now + timedelta(days=29, hours=12)) == 1
    assert "succeeded" in drain()
    assert remote_options(imported_tenant, setup)["cert"] == new["cert"]
    setup.refresh_from_db()
    assert setup.staged_certificate == {}
    assert AuditEvent.objects.get(action="sso.certificate_swap").details["automatic"] is True
    swapped = mail.outbox[-1]
    assert "now uses your identity provider's new signing certificate" in swapped.subject
    assert run_auto_swaps(now=now + timedelta(days=40)) == 0  # nothing staged any more


def test_confirm_mode_never_swaps_on_its_own(imported_tenant: Any, settings: Any) -> None:
    settings.IDP_CERT_ROLLOVER = "confirm"
    setup = url_setup(imported_tenant, settings, acme(), days=30)
    rotate(imported_tenant, "acme-idp", days=365)
    now = timezone.now()
    refresh_setup(setup, now=now)
    assert "on its own" not in mail.outbox[0].body
    assert run_auto_swaps(now=now + timedelta(days=31)) == 0
    setup.refresh_from_db()
    assert setup.staged_certificate


def test_auto_mode_waits_for_a_certificate_that_is_not_valid_yet(
    imported_tenant: Any, settings: Any
) -> None:
    settings.IDP_CERT_ROLLOVER = "auto"
    setup = url_setup(imported_tenant, settings, acme(), days=30)
    rotate(imported_tenant, "acme-idp", days=365)
    refresh_setup(setup)
    setup.refresh_from_db()
    starts = setup.staged_certificate["not_before"]
    setup.staged_certificate = {
        **setup.staged_certificate,
        "not_before": "2999-01-01T00:00:00+00:00",
    }
    setup.save()
    assert run_auto_swaps(now=timezone.now() + timedelta(days=30)) == 0
    setup.staged_certificate = {**setup.staged_certificate, "not_before": starts}
    setup.save()
    assert run_auto_swaps(now=timezone.now() + timedelta(days=30)) == 1


def test_a_failing_fetch_is_recorded_and_changes_nothing(
    imported_tenant: Any, settings: Any
) -> None:
    setup = url_setup(imported_tenant, settings, acme())
    summary, operations = setup.idp_summary, SyncOperation.objects.count()
    imported_tenant.control("DELETE", "/idp-metadata/acme-idp")
    assert refresh_setup(setup) == FAILED
    setup.refresh_from_db()
    assert "404" in setup.metadata_check_error
    assert setup.metadata_checked_at is not None
    assert setup.idp_summary == summary and setup.staged_certificate == {}
    assert SyncOperation.objects.count() == operations and not mail.outbox
    # A URL the safe fetcher refuses is a failure in plain words too.
    settings.IDP_FETCH_ALLOWED_ORIGINS = []
    assert refresh_setup(setup) == FAILED
    setup.refresh_from_db()
    assert "https" in setup.metadata_check_error
    assert "Traceback" not in setup.metadata_check_error
    assert SyncOperation.objects.count() == operations


def test_a_later_good_fetch_clears_the_error(imported_tenant: Any, settings: Any) -> None:
    setup = url_setup(imported_tenant, settings, acme())
    settings.IDP_FETCH_ALLOWED_ORIGINS = []
    assert refresh_setup(setup) == FAILED
    settings.IDP_FETCH_ALLOWED_ORIGINS = [imported_tenant.url]
    assert refresh_setup(setup) == CHECKED
    setup.refresh_from_db()
    assert setup.metadata_check_error == ""


@pytest.mark.parametrize("state", [SetupState.DRAFT, SetupState.TESTED, SetupState.DISABLED])
def test_setups_not_yet_or_no_longer_active_are_watched_too(
    imported_tenant: Any, settings: Any, state: str
) -> None:
    setup = url_setup(imported_tenant, settings, acme(), state=state)
    rotate(imported_tenant, "acme-idp")
    assert refresh_setup(setup) == STAGED


@pytest.mark.parametrize("state", [SetupState.SWAPPED, SetupState.DELETED])
def test_finished_setups_are_not_watched(imported_tenant: Any, settings: Any, state: str) -> None:
    setup = url_setup(imported_tenant, settings, acme(), state=state)
    rotate(imported_tenant, "acme-idp")
    assert refresh_setup(setup) == "skipped"
    assert run_watch().checked == 0 and not mail.outbox


def test_a_draft_copy_is_staged_too_but_the_admins_are_told_once(
    imported_tenant: Any, settings: Any
) -> None:
    live = url_setup(imported_tenant, settings, acme())
    copy = drafts.draft_copy_start(actor=None, setup=live)
    drain()
    new = rotate(imported_tenant, "acme-idp")
    report = run_watch()
    assert report.checked == 2 and report.staged == 2
    for setup in (live, copy):
        setup.refresh_from_db()
        assert setup.staged_certificate["sha256_fingerprint"] == fingerprint(new)
    assert len(mail.outbox) == 1


def test_adfs_reading_its_metadata_url_itself_is_only_kept_current(
    imported_tenant: Any, settings: Any
) -> None:
    setup = url_setup(imported_tenant, settings, acme(), provider_key="adfs")
    assert setup.connection is not None and setup.connection.options["adfs_server"]
    operations = SyncOperation.objects.count()
    new = rotate(imported_tenant, "acme-idp")
    retire(imported_tenant, "acme-idp")
    assert refresh_setup(setup) == CHECKED
    setup.refresh_from_db()
    in_use = certificate_in_use(setup)
    assert in_use is not None and in_use["sha256_fingerprint"] == fingerprint(new)
    assert setup.staged_certificate == {} and not mail.outbox
    assert SyncOperation.objects.count() == operations


def test_the_task_runs_the_whole_watch_as_bulk_work(imported_tenant: Any, settings: Any) -> None:
    settings.IDP_CERT_ROLLOVER = "auto"
    setup = url_setup(imported_tenant, settings, acme(), days=1)  # expires within a day
    new = rotate(imported_tenant, "acme-idp", days=365)
    report = refresh_idp_metadata()
    assert report == {
        "checked": 1,
        "staged": 1,
        "failed": 0,
        "swapped": 1,
        "notices": 0,
        "not_reached": 0,
    }
    operation = SyncOperation.objects.latest("pk")
    assert operation.kind == "connection.update" and operation.priority == Priority.BULK
    assert "succeeded" in drain()
    assert remote_options(imported_tenant, setup)["cert"] == new["cert"]
    subjects = [m.subject for m in mail.outbox]
    assert len(subjects) == 2 and "now uses" in subjects[1]
    # Tomorrow: nothing new, and the new certificate is far from expiry.
    assert refresh_idp_metadata() == {
        "checked": 1,
        "staged": 0,
        "failed": 0,
        "swapped": 0,
        "notices": 0,
        "not_reached": 0,
    }


def test_the_task_sends_expiry_notices_and_records_failures(
    imported_tenant: Any, settings: Any
) -> None:
    setup = url_setup(imported_tenant, settings, acme(), days=10)
    imported_tenant.control("DELETE", "/idp-metadata/acme-idp")
    report = refresh_idp_metadata()
    assert report["failed"] == 1 and report["notices"] == 1
    assert "expires in 9 days" in mail.outbox[0].subject
    setup.refresh_from_db()
    assert setup.metadata_check_error


def test_the_task_is_scheduled_on_the_default_queue() -> None:
    entry = django_settings.CELERY_BEAT_SCHEDULE["refresh-idp-metadata"]
    assert (
        entry["task"] == refresh_idp_metadata.name == "idp_selfservice.tasks.refresh_idp_metadata"
    )
    assert entry["schedule"] == django_settings.IDP_METADATA_REFRESH_SECONDS
    assert refresh_idp_metadata.queue == "default"
