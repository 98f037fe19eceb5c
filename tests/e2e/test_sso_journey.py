"""The customer admin's single sign-on journey, in a real browser against the whole stack:
sign in through the acme organization; set up Okta (SAML) from okta.xml; watch the
connection reach Auth0 without reloading; test the sign-in in a new tab through the
sandbox's stand-in IdP and see the attributes that came back (the first tab follows by
itself); turn it on; a new person of that IdP signs in to the demo app through the
organization and becomes a member; then the admin changes the connection on a draft
copy, tests the draft and swaps it in.

Every page on the way is screenshotted (desktop and 390 px) and checked by axe-core."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sandbox.seed import DEMO_CREDENTIALS
from tests.e2e.browser import Checks
from tests.e2e.stack import RunningStack

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

ADMIN_EMAIL = "admin@acme.test"
ORGANIZATION = "acme"
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "saml-metadata"
OKTA_XML = FIXTURES / "okta.xml"
OKTA_ENTITY_ID = "http://www.okta.com/exkdoocxa1VmjpXmX697"
OKTA_SIGN_IN_URL = (
    "https://trial-1022863.okta.com/app/trial-1022863_oktalocalhostbis_1/"
    "exkdoocxa1VmjpXmX697/sso/saml"
)
OKTA_SIGN_OUT_URL = "https://trial-1022863.okta.com/login/signout"
# acme has no verified domain in the demo seed, so any address passes the test's check.
TESTER = "jane.doe@acme.test"
NEW_PERSON = "sam@acme.test"
SETTLE_MS = 60_000
SECTIONS = "Organization sections"


def test_customer_admin_sets_up_sso(stack: RunningStack, new_page: Any) -> None:
    checks = Checks("sso-journey")
    admin = new_page()
    sign_in_as_customer_admin(admin, stack, checks)
    pick_okta(admin, checks)
    create_the_app_in_okta(admin, stack, checks)
    upload_okta_metadata(admin, checks)
    save_the_mapping(admin, checks)
    wait_until_in_auth0(admin, checks, "task list settled")
    run_a_test_sign_in(admin, checks, "")
    turn_it_on(admin, checks)
    new_person_signs_in_through_the_organization(new_page(), stack, checks)
    see_the_new_member(admin, checks)
    change_it_on_a_draft_copy(admin, checks)
    checks.assert_clean()


# --- 1. sign in and open the Single sign-on tab ----------------------------------------------


def sign_in_as_customer_admin(page: Any, stack: RunningStack, checks: Checks) -> None:
    page.goto(f"{stack.portal_url}/")
    page.get_by_label("Your organization").fill(ORGANIZATION)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Email address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(DEMO_CREDENTIALS[ADMIN_EMAIL])
    page.get_by_role("button", name="Continue").click()
    _section(page, "Single sign-on").click()
    page.get_by_role("heading", name="Single sign-on", exact=True).wait_for()
    checks.page(page, "sso index empty")


def _section(page: Any, name: str) -> Any:
    return page.get_by_role("navigation", name=SECTIONS).get_by_role("link", name=name)


# --- 2. pick Okta, and create the app in Okta ----------------------------------------------


def pick_okta(page: Any, checks: Checks) -> None:
    page.get_by_role("link", name="Set up single sign-on").click()
    page.get_by_role("heading", name=re.compile("Pick your identity provider")).wait_for()
    checks.page(page, "step 1 pick the identity provider")
    page.get_by_label("Okta").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Set up single sign-on with Okta").wait_for()
    checks.page(page, "task list new")


def create_the_app_in_okta(page: Any, stack: RunningStack, checks: Checks) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.portal_url)
    page.get_by_role("link", name="Create the app in Okta").click()
    page.get_by_role("heading", name=re.compile("Step 2 of 6")).wait_for()
    acs = page.get_by_text("Single sign-on URL", exact=True)
    audience = page.get_by_text("Audience URI (SP Entity ID)", exact=True)
    acs.wait_for()
    audience.wait_for()
    checks.page(page, "step 2 create the app in okta")
    page.get_by_role("button", name="Copy Single sign-on URL").click()
    field = page.locator(".copy-field").filter(has_text="Single sign-on URL")
    field.get_by_role("status").get_by_text("Copied to the clipboard.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert re.search(r"/login/callback\?connection=", copied), copied
    page.get_by_role("link", name="Continue", exact=True).click()


# --- 3. the metadata file, and what we found ----------------------------------------------


def upload_okta_metadata(page: Any, checks: Checks) -> None:
    page.get_by_role("heading", name=re.compile("Step 3 of 6")).wait_for()
    page.get_by_label("Upload the metadata file").check()
    page.locator("input[type=file][name=metadata_file]").set_input_files(str(OKTA_XML))
    checks.page(page, "step 3 tell us about okta")
    page.get_by_role("button", name="Check and save").click()
    page.get_by_role("heading", name=re.compile("What we found")).wait_for()
    page.get_by_text(OKTA_ENTITY_ID, exact=True).wait_for()
    page.get_by_text("SHA-256 fingerprint").first.wait_for()
    page.get_by_text("Valid to").first.wait_for()
    checks.page(page, "step 3 found")


def enter_okta_by_hand(page: Any, checks: Checks) -> None:
    """The same IdP by hand (its entity ID, sign-in URL and certificate from okta.xml),
    now with a sign-out URL, which the metadata file did not have: the change."""
    page.get_by_role("heading", name=re.compile("Step 3 of 6")).wait_for()
    page.get_by_label("Enter the details by hand").check()
    page.get_by_label("Entity ID (Issuer)").fill(OKTA_ENTITY_ID)
    page.get_by_label("Sign-in URL (single sign-on URL)").fill(OKTA_SIGN_IN_URL)
    page.get_by_label("Sign-out URL (optional)").fill(OKTA_SIGN_OUT_URL)
    page.get_by_label("Signing certificate", exact=True).fill(_okta_certificate())
    checks.page(page, "draft step 3 by hand")
    page.get_by_role("button", name="Check and save").click()
    page.get_by_role("heading", name=re.compile("What we found")).wait_for()
    page.get_by_text("Entered by hand", exact=True).wait_for()
    page.get_by_text(OKTA_SIGN_OUT_URL, exact=True).wait_for()
    checks.page(page, "draft step 3 found")


def _okta_certificate() -> str:
    found = re.search(r"X509Certificate>\s*([A-Za-z0-9+/=\s]+?)\s*<", OKTA_XML.read_text())
    assert found, "okta.xml has a signing certificate"
    body = "".join(found.group(1).split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN CERTIFICATE-----", *lines, "-----END CERTIFICATE-----"])


# --- 4. the attribute mapping -------------------------------------------------------------


def save_the_mapping(page: Any, checks: Checks) -> None:
    page.get_by_role("link", name="Continue to attribute mapping").click()
    page.get_by_role("heading", name=re.compile("Step 4 of 6")).wait_for()
    assert page.get_by_label("The attribute that holds the email address").input_value() == "email"
    first = page.get_by_label(re.compile("holds the first name"))
    last = page.get_by_label(re.compile("holds the last name"))
    assert first.input_value() == "firstName"
    assert last.input_value() == "lastName"
    checks.page(page, "step 4 mapping")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Set up single sign-on with Okta").wait_for()


# --- 5. the changes reach Auth0 -----------------------------------------------------------


def wait_until_in_auth0(page: Any, checks: Checks, name: str) -> None:
    """The operations table turns green by itself: the marker set before waiting
    survives, so the page was never reloaded."""
    page.evaluate("window.__notReloaded = true")
    page.locator("#operations").get_by_text("All changes are in Auth0").wait_for(timeout=SETTLE_MS)
    assert page.evaluate("window.__notReloaded === true")
    assert page.locator("#operations .badge-bad").count() == 0
    checks.page(page, name)


# --- 6. the test sign-in, in a new tab ----------------------------------------------------


def run_a_test_sign_in(page: Any, checks: Checks, prefix: str) -> None:
    page.get_by_role("link", name="Test sign-in").click()
    page.get_by_role("heading", name="Step 5 of 6: Test the sign-in").wait_for()
    checks.page(page, f"{prefix}step 5 test sign-in")
    page.evaluate("window.__notReloaded = true")
    with page.context.expect_page() as opened:
        page.get_by_role("button", name=re.compile("Start the test sign-in")).click()
    idp = opened.value
    idp.get_by_role("heading", name=re.compile("as the identity provider would")).wait_for()
    checks.page(idp, f"{prefix}stand-in idp")
    idp.get_by_label(re.compile("^Email address")).fill(TESTER)
    idp.get_by_role("button", name="Sign in").click()
    idp.get_by_role("heading", name=re.compile("^Test sign-in of")).wait_for()
    idp.get_by_text("The test sign-in worked.").wait_for()
    for name, value in (("email", TESTER), ("firstName", "Jane"), ("lastName", "Doe")):
        row = idp.locator("#attributes-title + * tr, section:has(#attributes-title) tr").filter(
            has=idp.get_by_text(name, exact=True)
        )
        row.get_by_text(value, exact=True).first.wait_for()
    checks.page(idp, f"{prefix}test result passed")
    idp.close()
    # The first tab follows by itself.
    page.locator("#test-latest").get_by_text("The test sign-in worked.").wait_for(timeout=SETTLE_MS)
    assert page.evaluate("window.__notReloaded === true")
    checks.page(page, f"{prefix}step 5 passed")


# --- 7. turn it on ------------------------------------------------------------------------


def turn_it_on(page: Any, checks: Checks) -> None:
    page.get_by_role("link", name=re.compile("Back to the task list")).first.click()
    page.get_by_role("link", name="Turn it on").click()
    page.get_by_role("heading", name="Step 6 of 6: Turn it on").wait_for()
    page.get_by_label("Show it as a button on the login page").check()
    page.get_by_label("Add people to the organization when they first sign in").check()
    checks.page(page, "step 6 turn it on")
    page.get_by_role("button", name="Turn it on").click()
    page.get_by_role("heading", name="Set up single sign-on with Okta").wait_for()
    wait_until_in_auth0(page, checks, "turned on settled")
    page.get_by_text("On: members sign in through it").first.wait_for()


# --- 8. a person of that IdP signs in through the organization ----------------------------


def new_person_signs_in_through_the_organization(
    page: Any, stack: RunningStack, checks: Checks
) -> None:
    page.goto(f"{stack.sandbox_url}/__sandbox__/demo-app/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Organization name").fill(ORGANIZATION)
    page.get_by_role("button", name="Continue").click()
    button = page.get_by_role("link", name=re.compile("Continue with .*Okta"))
    button.wait_for()
    checks.page(page, "demo app login with the sso button")
    button.click()
    page.get_by_label(re.compile("^Email address")).fill(NEW_PERSON)
    checks.page(page, "stand-in idp for the demo app")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Signed in to Demo SaaS App").wait_for()


def see_the_new_member(page: Any, checks: Checks) -> None:
    """Read from Auth0: the person who just signed in is a member now."""
    _section(page, "Members").click()
    page.get_by_role("row").filter(has_text=NEW_PERSON).first.wait_for()
    checks.page(page, "members with the new person")


# --- 9. change it on a draft copy, test it, swap it in -------------------------------------


def change_it_on_a_draft_copy(page: Any, checks: Checks) -> None:
    _section(page, "Single sign-on").click()
    page.get_by_role("heading", name="Single sign-on", exact=True).wait_for()
    checks.page(page, "sso index active")
    page.get_by_role("link", name="Manage acme-okta").click()
    page.get_by_role("button", name="Edit as a draft copy").click()
    page.get_by_text(re.compile("draft changes to the live connection")).wait_for()
    checks.page(page, "draft task list")
    page.get_by_role("link", name="Tell us about Okta").click()  # the copy has the live details
    page.get_by_role("link", name="Change these details").click()
    enter_okta_by_hand(page, checks)
    page.get_by_role("link", name="Back to the task list").click()
    page.get_by_text(f"Entered by hand: {OKTA_ENTITY_ID}").wait_for()
    wait_until_in_auth0(page, checks, "draft task list settled")
    run_a_test_sign_in(page, checks, "draft ")
    page.get_by_role("link", name=re.compile("Back to the task list")).first.click()
    page.get_by_role("link", name=re.compile("^Swap it in")).first.click()
    page.get_by_role("button", name="Swap it in").wait_for()
    page.get_by_text(re.compile("These settings change: Sign-out URL")).wait_for()
    checks.page(page, "swap confirmation")
    page.get_by_role("button", name="Swap it in").click()
    page.get_by_role("heading", name="Set up single sign-on with Okta").wait_for()
    page.get_by_text("On: members sign in through it").first.wait_for()
    assert page.get_by_text(re.compile("draft changes to the live connection")).count() == 0
    wait_until_in_auth0(page, checks, "swapped in settled")
    _section(page, "Single sign-on").click()
    assert page.locator("tr.draft-row").count() == 0
    checks.page(page, "sso index after the swap")
