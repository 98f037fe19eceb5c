"""The public sign-up pages through the test client: the form and its refusals, abuse
protection, "check your email" and resend, the name check, the verification link and the
sign-up's own page as it follows provisioning."""

from __future__ import annotations

import html
import re
import time
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.signing import b62_decode
from django.test import Client
from django.utils import timezone

from orgs.models import Invitation, OpState, Organization, SyncOperation
from orgs.signup.models import Signup, SignupStatus
from orgs.signup.tokens import make_token
from tests.factories import OrganizationFactory
from tests.orgs.engine import drain

FORM = "/signup/"
VALID = {
    "company_name": "Hooli Labs",
    "slug": "hooli-labs",
    "admin_name": "Gavin Belson",
    "email": "gavin@hooli.test",
    "terms": "on",
}


def _sign_up(client: Client, ip: str = "203.0.113.9", **changes: str) -> Any:
    data = {key: value for key, value in {**VALID, **changes}.items() if value is not None}
    return client.post(FORM, data, REMOTE_ADDR=ip)


def _text(response: Any) -> str:
    """The page as a person reads it: tags gone, entities decoded, spaces collapsed."""
    page = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(page))


def _field_error(response: Any, field: str) -> str:
    page = response.content.decode()
    match = re.search(rf'<p class="error-message" id="id_{field}_error">(.*?)</p>', page, re.S)
    assert match, f"no error message on {field}"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))).strip()


def _token_from_mail() -> str:
    match = re.search(r"/signup/verify/([^/\s]+)/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def _verified(client: Client) -> Signup:
    """A sign-up made through the form and verified through its link."""
    assert _sign_up(client).status_code == 302
    response = client.get(f"/signup/verify/{_token_from_mail()}/")
    assert response.status_code == 302
    return Signup.objects.get()


def _progress(client: Client, signup: Signup) -> Any:
    response = client.get(f"/signup/{signup.public_id}/progress/")
    assert response.status_code == 200
    return response


# --- the form ----------------------------------------------------------------------------


def test_the_form_labels_every_field_and_hides_the_honeypot(client: Client, db: None) -> None:
    response = client.get(FORM)
    assert response.status_code == 200
    page = response.content.decode()
    for field in ("company_name", "slug", "admin_name", "email", "terms"):
        assert re.search(rf'<label[^>]* for="id_{field}">[^<:]+</label>', page), field
    honeypot = re.search(r'<div class="honeypot" aria-hidden="true">(.*?)</div>', page, re.S)
    assert honeypot and 'name="website"' in honeypot.group(1)
    assert 'tabindex="-1"' in honeypot.group(1)
    slug = re.search(r'<input[^>]* name="slug"[^>]*>', page)
    assert slug, page
    assert 'data-suggest-from="id_company_name"' in slug.group(0)
    assert 'hx-get="/signup/name-check/"' in slug.group(0)
    assert 'id="slug-availability"' in page
    # portal.js fills in the short name only inside a form marked for it.
    assert re.search(r"<form[^>]* data-org-form", page)


def test_the_sign_in_page_links_to_the_form(client: Client, db: None) -> None:
    assert 'href="/signup/"' in client.get("/login/").content.decode()


def test_with_signup_off_every_page_is_gone(client: Client, db: None, settings: Any) -> None:
    assert _sign_up(client).status_code == 302
    signup = Signup.objects.get()
    settings.SIGNUP_ENABLED = False
    for path in (
        FORM,
        "/signup/name-check/?slug=acme",
        f"/signup/verify/{make_token(signup)}/",
        f"/signup/{signup.public_id}/",
        f"/signup/{signup.public_id}/progress/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/signup/{signup.public_id}/resend/").status_code == 404
    assert _sign_up(client, slug="other").status_code == 404
    assert 'href="/signup/"' not in client.get("/login/").content.decode()


EMPTY = dict.fromkeys(VALID, "")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param(EMPTY, "company_name", "Enter your company name.", id="empty-company"),
        pytest.param(EMPTY, "slug", "Enter a short name.", id="empty-slug"),
        pytest.param(EMPTY, "admin_name", "Enter your full name.", id="empty-name"),
        pytest.param(EMPTY, "email", "Enter your work email address.", id="empty-email"),
        pytest.param(EMPTY, "terms", "Accept the terms of service", id="empty-terms"),
        pytest.param({"terms": ""}, "terms", "Accept the terms of service", id="terms"),
        pytest.param({"slug": "Hooli Labs!"}, "slug", "lowercase letters", id="slug-format"),
        pytest.param({"slug": "admin"}, "slug", "admin is reserved", id="reserved-slug"),
        pytest.param({"slug": "acme"}, "slug", "acme is taken", id="duplicate-slug"),
        pytest.param({"email": "gavin@gmail.com"}, "email", "personal email", id="consumer"),
        pytest.param(
            {"email": "gavin@mailinator.com"}, "email", "disposable email", id="disposable"
        ),
        pytest.param(
            {"company_name": "Hooli\u200f Labs"},
            "company_name",
            "changes the direction of text",
            id="rtl-mark",
        ),
        pytest.param(
            {"company_name": "\u0410cme Labs"},  # a Cyrillic capital A
            "company_name",
            "mixes letters from different alphabets",
            id="confusable",
        ),
    ],
)
def test_an_invalid_form_says_what_to_fix_and_keeps_nothing(
    client: Client, db: None, changes: dict[str, str], field: str, message: str
) -> None:
    OrganizationFactory(name="acme")
    response = _sign_up(client, **changes)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' in page and "There is a problem" in page
    assert f'href="#id_{field}"' in page  # the summary links to the field
    assert message in _field_error(response, field)
    assert "<title>Error: " in page
    assert Signup.objects.count() == 0
    assert mail.outbox == []


def test_a_valid_form_records_one_signup_and_mails_its_link(client: Client, db: None) -> None:
    response = _sign_up(client)
    signup = Signup.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/signup/{signup.public_id}/"
    assert [message.to for message in mail.outbox] == [["gavin@hooli.test"]]
    assert "/signup/verify/" in mail.outbox[0].body
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "gavin@hooli.test" in _text(page)
    assert f'action="/signup/{signup.public_id}/resend/"' in page.content.decode()
    assert "Send the link again" in _text(page)


def test_a_filled_honeypot_looks_done_but_keeps_nothing(client: Client, db: None) -> None:
    response = _sign_up(client, website="https://spam.example")
    assert response.status_code == 200
    assert "Check your email" in _text(response)
    assert Signup.objects.count() == 0
    assert mail.outbox == []


# --- abuse protection --------------------------------------------------------------------


def test_too_many_signups_from_one_address_wait(client: Client, db: None, settings: Any) -> None:
    settings.SIGNUP_RATE_PER_IP = "2/h"
    for n in range(2):
        assert _sign_up(client, slug=f"hooli-{n}", email=f"p{n}@hooli.test").status_code == 302
    response = _sign_up(client, slug="hooli-2", email="p2@hooli.test")
    assert response.status_code == 429
    assert "Too many sign-ups from this network. Try again in" in _text(response)
    assert "There is a problem" in _text(response)
    assert Signup.objects.count() == 2


def test_too_many_signups_for_one_email_wait(client: Client, db: None, settings: Any) -> None:
    settings.SIGNUP_RATE_PER_EMAIL = "2/h"
    for n in range(2):
        assert _sign_up(client, ip=f"198.51.100.{n}", slug=f"hooli-{n}").status_code == 302
    response = _sign_up(client, ip="198.51.100.9", slug="hooli-2")
    assert response.status_code == 429
    assert "Too many sign-ups from this email address. Try again in" in _text(response)
    assert Signup.objects.count() == 2


def test_one_email_may_sign_up_only_so_many_organizations(
    client: Client, db: None, settings: Any
) -> None:
    settings.SIGNUP_MAX_ORGS_PER_EMAIL = 1
    assert _sign_up(client).status_code == 302
    response = _sign_up(client, slug="hooli-two")
    assert response.status_code == 200
    assert "has signed up 1 organization already" in _field_error(response, "email")
    assert Signup.objects.count() == 1


def test_the_same_request_twice_is_one_signup_and_one_email(client: Client, db: None) -> None:
    first, second = _sign_up(client), _sign_up(client)
    assert first["Location"] == second["Location"]
    assert Signup.objects.count() == 1
    assert len(mail.outbox) == 1


# --- resend ------------------------------------------------------------------------------


def test_resend_waits_for_the_cooldown(client: Client, db: None, settings: Any) -> None:
    _sign_up(client)
    signup = Signup.objects.get()
    resend = f"/signup/{signup.public_id}/resend/"
    response = client.post(resend)
    assert response.status_code == 429
    assert "You can ask again" in _text(response)
    assert len(mail.outbox) == 1

    long_ago = timezone.now() - timedelta(seconds=settings.SIGNUP_RESEND_COOLDOWN_SECONDS + 1)
    Signup.objects.filter(pk=signup.pk).update(verification_sent_at=long_ago)
    response = client.post(resend)
    assert response.status_code == 200
    assert "We sent the link again" in _text(response)
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["gavin@hooli.test"]


# --- the name check ----------------------------------------------------------------------


def test_the_name_check_answers_as_you_type(client: Client, db: None, settings: Any) -> None:
    taken = client.get("/signup/name-check/?slug=admin")
    assert taken.status_code == 200 and "admin is reserved" in _text(taken)
    free = client.get("/signup/name-check/?slug=hooli-labs")
    assert free.status_code == 200 and "hooli-labs is available" in _text(free)

    settings.SIGNUP_NAME_CHECK_RATE_PER_IP = "2/m"  # two asked already
    calm = client.get("/signup/name-check/?slug=hooli-labs")
    assert calm.status_code == 200
    assert "checked again when you send the form" in _text(calm)
    assert "is available" not in _text(calm)


# --- the verification link ---------------------------------------------------------------


def test_a_tampered_link_does_not_work(client: Client, db: None) -> None:
    _sign_up(client)
    token = _token_from_mail()
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.get(f"/signup/verify/{tampered}/")
    assert response.status_code == 400
    assert "This link does not work" in _text(response)
    assert Signup.objects.get().status == SignupStatus.AWAITING_VERIFICATION


def test_an_expired_link_offers_a_new_one(client: Client, db: None, settings: Any) -> None:
    _sign_up(client)
    signup = Signup.objects.get()
    past = time.time() - settings.SIGNUP_VERIFY_HOURS * 3600 - 60
    with mock.patch("django.core.signing.time") as signing_clock:
        signing_clock.time.return_value = past
        token = make_token(signup)
    assert b62_decode(token.split(":")[-2]) == int(past)
    response = client.get(f"/signup/verify/{token}/")
    assert response.status_code == 410
    assert "This link has expired" in _text(response)
    page = response.content.decode()
    assert f'action="/signup/{signup.public_id}/resend/"' in page
    assert "Send a new link" in _text(response)


def test_the_link_provisions_and_the_page_follows_it(client: Client, imported_tenant: Any) -> None:
    signup = _verified(client)
    assert signup.status == SignupStatus.PROVISIONED
    page = client.get(f"/signup/{signup.public_id}/")
    assert page.status_code == 200
    text = _text(page)
    assert "Setting up Hooli Labs" in text
    assert "Create Hooli Labs in our sign-in service" in text
    assert "Send your invitation to gavin@hooli.test" in text
    assert 'hx-trigger="every 1s"' in _progress(client, signup).content.decode()

    drain()
    settled = _progress(client, signup)
    assert 'hx-trigger="every 1s"' not in settled.content.decode()
    assert "Open your invitation" in _text(settled)

    replay = client.get(f"/signup/verify/{_token_from_mail()}/")
    assert replay.status_code == 302 and replay["Location"] == f"/signup/{signup.public_id}/"
    assert "Open your invitation" in _text(client.get(replay["Location"]))
    assert Organization.objects.filter(name="hooli-labs").count() == 1
    assert Invitation.objects.filter(organization__name="hooli-labs").count() == 1


def test_an_abandoned_signups_link_is_closed(client: Client, db: None, settings: Any) -> None:
    settings.SIGNUP_UNVERIFIED_DAYS = 5
    _sign_up(client)
    signup = Signup.objects.get()
    Signup.objects.update(status=SignupStatus.EXPIRED)
    response = client.get(f"/signup/verify/{_token_from_mail()}/")
    assert response.status_code == 410
    text = _text(response)
    assert "This sign-up has closed" in text and "within 5 days" in text
    assert "This sign-up has closed" in _text(client.get(f"/signup/{signup.public_id}/"))
    assert not Organization.objects.filter(name="hooli-labs").exists()


def test_in_approval_mode_the_link_only_verifies(client: Client, db: None, settings: Any) -> None:
    settings.SIGNUP_APPROVAL_REQUIRED = True
    signup = _verified(client)
    assert signup.status == SignupStatus.AWAITING_APPROVAL
    text = _text(client.get(f"/signup/{signup.public_id}/"))
    assert "Your email address is verified" in text
    assert "look at every new organization" in text
    assert not Organization.objects.filter(name="hooli-labs").exists()
    # The page polls nothing: there is nothing to follow until staff decide.
    assert client.get(f"/signup/{signup.public_id}/progress/").status_code == 204


def test_a_name_taken_meanwhile_asks_for_another(client: Client, imported_tenant: Any) -> None:
    assert _sign_up(client).status_code == 302
    OrganizationFactory(name="hooli-labs")
    response = client.get(f"/signup/verify/{_token_from_mail()}/", follow=True)
    signup = Signup.objects.get()
    assert signup.status == SignupStatus.NAME_TAKEN
    assert "Choose another short name" in _text(response)
    status_page = f"/signup/{signup.public_id}/"
    assert f'action="{status_page}"' in response.content.decode()

    refused = client.post(status_page, {"slug": "admin"})
    assert refused.status_code == 200
    assert "There is a problem" in _text(refused)
    assert "admin is reserved" in _field_error(refused, "slug")

    chosen = client.post(status_page, {"slug": "hooli-two"})
    assert chosen.status_code == 302 and chosen["Location"] == status_page
    signup.refresh_from_db()
    assert signup.status == SignupStatus.PROVISIONED and signup.slug == "hooli-two"
    assert signup.organization is not None and signup.organization.name == "hooli-two"
    assert "Setting up Hooli Labs" in _text(client.get(status_page))


def test_an_unknown_signup_is_not_found(client: Client, db: None) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/signup/{unknown}/").status_code == 404
    assert client.get(f"/signup/{unknown}/progress/").status_code == 404
    assert client.post(f"/signup/{unknown}/resend/").status_code == 404


# --- the progress steps when setup struggles ---------------------------------------------


def test_a_setup_that_failed_for_good_says_the_team_finishes_it(
    client: Client, imported_tenant: Any
) -> None:
    signup = _verified(client)
    SyncOperation.objects.filter(kind="organization.create").update(state=OpState.FAILED)
    response = _progress(client, signup)
    assert "our team is finishing your setup" in _text(response)
    assert "Our team is on it" in _text(response)
    assert "hx-trigger" not in response.content.decode()


def test_a_setup_step_being_retried_says_so(client: Client, imported_tenant: Any) -> None:
    signup = _verified(client)
    SyncOperation.objects.filter(kind="organization.create").update(
        state=OpState.QUEUED, attempts=1, last_error="Auth0 could not be reached"
    )
    response = _progress(client, signup)
    assert "Trying again" in _text(response)
    assert "Auth0 could not be reached" not in _text(response)
    assert 'hx-trigger="every 1s"' in response.content.decode()
