"""A new customer's journey, in a real browser against the whole stack: from the sign-in
page to the sign-up form (short name suggested and checked as they type; a consumer
address refused first), the verification email in the sandbox's outbox, the progress page
turning every step green without a reload, the invitation email, choosing a password,
and landing in their organization's admin area with its "Set up your organization"
checklist. Every page on the way is screenshotted (desktop and 390 px) and checked by
axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.browser import Checks
from tests.e2e.stack import RunningStack
from tests.e2e.test_sso_journey import SETTLE_MS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

COMPANY = "Hooli Labs"
SLUG = "hooli-labs"
ADMIN = "Gavin Belson"
EMAIL = "gavin@hooli.test"
PASSWORD = "Hooli-admin-2026!"


def test_new_customer_signs_up_and_lands_as_admin(stack: RunningStack, new_page: Any) -> None:
    checks = Checks("signup-journey")
    page = new_page()
    fill_the_sign_up_form(page, stack, checks)
    open_the_verification_email(page, stack, checks)
    watch_the_setup_finish(page, checks)
    accept_the_invitation(page, stack, checks)
    checks.assert_clean()


def fill_the_sign_up_form(page: Any, stack: RunningStack, checks: Checks) -> None:
    page.goto(f"{stack.portal_url}/")
    page.get_by_role("link", name="Sign up your organization").click()
    page.get_by_role("heading", name="Sign up your organization").wait_for()
    # portal.js (deferred) must be listening before typing, or no short name is suggested.
    page.wait_for_load_state()
    checks.page(page, "sign-up form")
    page.get_by_label("Company name").fill(COMPANY)
    page.wait_for_function("slug => document.querySelector('#id_slug').value === slug", arg=SLUG)
    page.get_by_text(f"{SLUG} is available").wait_for()
    page.get_by_label("Your full name").fill(ADMIN)
    page.get_by_label("Your work email address").fill("gavin.belson@gmail.com")
    page.get_by_label("I accept the terms of service").check()
    page.get_by_role("button", name="Sign up").click()
    # A personal address is refused, with the GOV.UK error summary linking to the field.
    page.get_by_role("heading", name="There is a problem").wait_for()
    page.get_by_role("link", name=re.compile("personal email service")).wait_for()
    checks.page(page, "sign-up form refused")
    page.get_by_label("Your work email address").fill(EMAIL)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    page.get_by_text(EMAIL).first.wait_for()
    checks.page(page, "check your email")


def open_the_verification_email(page: Any, stack: RunningStack, checks: Checks) -> None:
    page.get_by_role("link", name="sandbox's outbox").click()
    page.get_by_role("row").filter(has_text="Confirm your email").get_by_role("link").first.click()
    checks.page(page, "verification email", phone=False)
    page.get_by_role("link", name=re.compile(r"signup.verify")).first.click()
    page.get_by_role("heading", name=f"Setting up {COMPANY}").wait_for()


def watch_the_setup_finish(page: Any, checks: Checks) -> None:
    """The steps turn green by themselves: the marker set before waiting survives, so the
    page was never reloaded."""
    page.evaluate("window.__notReloaded = true")
    checks.page(page, "setup in progress")
    page.get_by_text("Done: your organization is ready.").wait_for(timeout=SETTLE_MS)
    assert page.evaluate("window.__notReloaded === true")
    assert page.locator(".signup-steps .badge-ok").count() == 3
    page.get_by_role("heading", name="Open your invitation").wait_for()
    checks.page(page, "setup done")


def accept_the_invitation(page: Any, stack: RunningStack, checks: Checks) -> None:
    page.get_by_role("link", name="sandbox's outbox").click()
    invitation = page.get_by_role("row").filter(has_text=EMAIL).filter(has_text="invit")
    invitation.get_by_role("link").first.click()
    page.get_by_role("link", name=re.compile("invitation=")).first.click()
    page.get_by_label("Choose a password").fill(PASSWORD)
    checks.page(page, "accept invitation")
    page.get_by_role("button", name="Create account and accept").click()
    page.get_by_role("heading", name=re.compile(COMPANY)).wait_for()
    page.get_by_role("heading", name="Set up your organization").wait_for()
    page.get_by_text("0 of 3 done").wait_for()
    assert page.get_by_role("link", name="Organizations").count() == 0  # not staff
    checks.page(page, "admin's first page")
