"""The customer admin's own-organization journey, in a real browser against the whole stack:
sign in through the acme organization; invite a colleague as an admin; claim a domain and
verify it by a TXT record that the test puts in the stack's stub DNS; create a setup link
for the IT contact, who opens it in a fresh browser context and sets up Okta (SAML) from
okta.xml, tests the sign-in with an address at the verified domain and turns it on; the
link then shows as completed; finally the admin blocks a member and signs them out
everywhere, watching both reach Auth0.

Every page on the way is screenshotted (desktop and 390 px) and checked by axe-core."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from sandbox.seed import DEMO_CREDENTIALS
from tests.e2e.browser import Checks
from tests.e2e.stack import RunningStack
from tests.e2e.test_sso_journey import OKTA_ENTITY_ID, OKTA_XML, SECTIONS, SETTLE_MS
from tests.orgs.test_domains_support import StubDns

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

# This journey leaves acme with a verified domain and a second live connection, which the
# SSO journey (sharing the session's stack) must not meet: tests/e2e/conftest.py runs it last.
RUNS_LAST = True

ADMIN_EMAIL = "admin@acme.test"
ORGANIZATION = "acme"
COLLEAGUE = "kim@acme.test"
DOMAIN = "acme-e2e.test"
IT_CONTACT = "jo.it@acme.test"
# Verified domains now apply to the test sign-in: an address at the one just verified.
TESTER = f"pat@{DOMAIN}"
MEMBER = "member@acme.test"


def test_customer_admin_runs_their_organization(
    stack: RunningStack, stub_dns: StubDns, new_page: Any
) -> None:
    checks = Checks("customer-admin-journey")
    admin = new_page()
    sign_in_as_customer_admin(admin, stack)
    invite_a_colleague_as_admin(admin, checks)
    verify_a_domain(admin, stub_dns, checks)
    link = create_a_setup_link(admin, stack, checks)
    connection = it_contact_sets_up_sso(new_page(), link, checks)
    see_the_link_completed(admin, connection, checks)
    block_and_sign_out_a_member(admin, checks)
    checks.assert_clean()


def _section(page: Any, name: str) -> Any:
    return page.get_by_role("navigation", name=SECTIONS).get_by_role("link", name=name)


def _operations_settle(page: Any, checks: Checks, name: str) -> None:
    """The operations table turns green by itself (the page is never reloaded)."""
    page.evaluate("window.__notReloaded = true")
    page.locator("#operations").get_by_text("All changes are in Auth0").wait_for(timeout=SETTLE_MS)
    assert page.evaluate("window.__notReloaded === true")
    assert page.locator("#operations .badge-bad").count() == 0
    checks.page(page, name)


# --- 1. sign in; invite a colleague with the admin role --------------------------------------


def sign_in_as_customer_admin(page: Any, stack: RunningStack) -> None:
    page.goto(f"{stack.portal_url}/")
    page.get_by_label("Your organization").fill(ORGANIZATION)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Email address").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(DEMO_CREDENTIALS[ADMIN_EMAIL])
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("navigation", name=SECTIONS).wait_for()


def invite_a_colleague_as_admin(page: Any, checks: Checks) -> None:
    _section(page, "Invitations").click()
    page.get_by_role("heading", name="Invite someone").wait_for()
    page.get_by_label("Email address").fill(COLLEAGUE)
    page.get_by_label("org-admin").check()
    checks.page(page, "invitations form")
    page.get_by_role("button", name="Send invitation").click()
    row = page.get_by_role("row").filter(has_text=COLLEAGUE)
    row.get_by_text("org-admin", exact=True).wait_for()
    # The invitations tab does not poll: reload until Auth0 has sent it and the operation
    # that sent it has been marked done (the two are written a moment apart).
    sent = row.get_by_text(re.compile("^Sent, expires in"))
    in_sync = row.get_by_text("In sync", exact=True)
    deadline = time.monotonic() + SETTLE_MS / 1000
    while not (sent.is_visible() and in_sync.is_visible()) and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.reload()
    assert sent.is_visible(), "the invitation reached Auth0"
    assert in_sync.is_visible(), "the invitation's operation finished"
    checks.page(page, "invitation sent")


# --- 2. claim a domain and verify it by DNS ---------------------------------------------------


def verify_a_domain(page: Any, stub_dns: StubDns, checks: Checks) -> None:
    _section(page, "Domains").click()
    page.get_by_role("heading", name="Claim a domain").wait_for()
    page.get_by_label("Email domain").fill(DOMAIN)
    page.get_by_role("button", name="Claim domain").click()
    page.get_by_text(f"{DOMAIN} is claimed.").wait_for()
    card = page.locator("article.domain").filter(has_text=DOMAIN)
    host = card.locator("code[id^=txt-host-]").inner_text().strip()
    value = card.locator("code[id^=txt-value-]").inner_text().strip()
    assert host.endswith(f".{DOMAIN}"), host
    assert value, "the page shows the TXT value"
    checks.page(page, "domain claimed")
    stub_dns.records[host] = [value]
    card.get_by_role("button", name=f"Check now the TXT record of {DOMAIN}").click()
    page.get_by_text(f"{DOMAIN} is verified.").wait_for()
    card = page.locator("article.domain").filter(has_text=DOMAIN)
    card.locator(".badge-ok").wait_for()
    assert host in stub_dns.queries
    checks.page(page, "domain verified")


# --- 3. a setup link for the IT contact --------------------------------------------------------


def create_a_setup_link(page: Any, stack: RunningStack, checks: Checks) -> str:
    _section(page, "Single sign-on").click()
    page.get_by_role("heading", name="Single sign-on", exact=True).wait_for()
    page.get_by_role("link", name="Manage setup links").click()
    page.get_by_role("heading", name="Setup links", exact=True).wait_for()
    checks.page(page, "setup links")
    page.get_by_role("link", name="Create a setup link").click()
    page.get_by_role("heading", name="Create a setup link").wait_for()
    page.get_by_label("Single sign-on setup").check()
    page.get_by_label("Domain verification").uncheck()
    page.get_by_label("Directory provisioning (SCIM)").uncheck()
    page.get_by_label("Their email address").fill(IT_CONTACT)
    checks.page(page, "setup link form")
    page.get_by_role("button", name="Create link").click()
    page.get_by_role("heading", name="Setup link created").wait_for()
    link = page.locator("#setup-link-url").inner_text().strip()
    assert link.startswith(f"{stack.portal_url}/setup/"), link
    checks.page(page, "setup link created")
    return link


# --- 4. the IT contact opens it and sets up Okta -------------------------------------------------


def it_contact_sets_up_sso(page: Any, link: str, checks: Checks) -> str:
    """Returns the name of the connection they made (acme-okta, or acme-okta-2 after the
    SSO journey made one)."""
    page.goto(link)
    page.get_by_role("heading", name=re.compile("^Help set up")).wait_for()
    page.get_by_label("Your work email address").fill(IT_CONTACT)
    checks.page(page, "setup link opened")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text(IT_CONTACT, exact=True).wait_for()
    checks.page(page, "setup link home")
    page.get_by_role("link", name="Single sign-on setup").click()
    page.get_by_role("heading", name="Single sign-on", exact=True).wait_for()
    checks.page(page, "contact sso index")
    page.get_by_role("link", name="Set up single sign-on").click()
    page.get_by_role("heading", name=re.compile("Pick your identity provider")).wait_for()
    page.get_by_label("Okta").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Set up single sign-on with Okta").wait_for()
    checks.page(page, "contact task list new")
    found = re.search(r"Connection in Auth0: (\S+)", page.locator("main").inner_text())
    assert found, "the task list names the connection"
    page.get_by_role("link", name="Tell us about Okta").click()
    _upload_metadata(page, checks)
    _save_mapping(page)
    _operations_settle(page, checks, "contact task list settled")
    _test_sign_in(page, checks)
    _turn_it_on(page, checks)
    return found.group(1)


def _upload_metadata(page: Any, checks: Checks) -> None:
    page.get_by_role("heading", name=re.compile("Step 3 of 6")).wait_for()
    page.get_by_label("Upload the metadata file").check()
    page.locator("input[type=file][name=metadata_file]").set_input_files(str(OKTA_XML))
    page.get_by_role("button", name="Check and save").click()
    page.get_by_role("heading", name=re.compile("What we found")).wait_for()
    page.get_by_text(OKTA_ENTITY_ID, exact=True).wait_for()
    checks.page(page, "contact metadata found")


def _save_mapping(page: Any) -> None:
    page.get_by_role("link", name="Continue to attribute mapping").click()
    page.get_by_role("heading", name=re.compile("Step 4 of 6")).wait_for()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("heading", name="Set up single sign-on with Okta").wait_for()


def _test_sign_in(page: Any, checks: Checks) -> None:
    page.get_by_role("link", name="Test sign-in").click()
    page.get_by_role("heading", name="Step 5 of 6: Test the sign-in").wait_for()
    checks.page(page, "contact step 5 test sign-in")
    with page.context.expect_page() as opened:
        page.get_by_role("button", name=re.compile("Start the test sign-in")).click()
    idp = opened.value
    idp.get_by_role("heading", name=re.compile("as the identity provider would")).wait_for()
    idp.get_by_label(re.compile("^Email address")).fill(TESTER)
    idp.get_by_role("button", name="Sign in").click()
    idp.get_by_role("heading", name=re.compile("^Test sign-in of")).wait_for()
    idp.get_by_text("The test sign-in worked.").wait_for()
    checks.page(idp, "contact test result passed")
    idp.close()
    page.locator("#test-latest").get_by_text("The test sign-in worked.").wait_for(timeout=SETTLE_MS)


def _turn_it_on(page: Any, checks: Checks) -> None:
    page.get_by_role("link", name=re.compile("Back to the task list")).first.click()
    page.get_by_role("link", name="Turn it on").click()
    page.get_by_role("heading", name="Step 6 of 6: Turn it on").wait_for()
    page.get_by_label("Show it as a button on the login page").check()
    checks.page(page, "contact step 6 turn it on")
    page.get_by_role("button", name="Turn it on").click()
    # A link for single sign-on alone closes itself once it is on: the visit ends there.
    page.get_by_role("heading", name="This setup link has done its work").wait_for()
    checks.page(page, "contact link done")


# --- 5. the admin sees the link completed ---------------------------------------------------------


def see_the_link_completed(page: Any, connection: str, checks: Checks) -> None:
    """The contact's connection is on and in Auth0; their link shows as completed."""
    _section(page, "Single sign-on").click()
    page.get_by_role("heading", name="Single sign-on", exact=True).wait_for()
    page.get_by_role("link", name=f"Manage {connection}", exact=True).click()
    page.get_by_role("heading", name="Set up single sign-on with Okta").wait_for()
    _operations_settle(page, checks, "admin sees the contact's connection on")
    page.get_by_text("On: members sign in through it").first.wait_for()
    _section(page, "Single sign-on").click()
    page.get_by_role("link", name="Manage setup links").click()
    page.get_by_role("heading", name="Setup links", exact=True).wait_for()
    row = page.get_by_role("row").filter(has_text=IT_CONTACT)
    row.locator(".badge-info").wait_for()
    row.get_by_text(IT_CONTACT, exact=False).first.wait_for()
    assert row.get_by_role("link", name=re.compile("^Revoke")).count() == 0
    assert "1 time" in row.inner_text()
    checks.page(page, "setup link completed")


# --- 6. block a member and sign them out everywhere ---------------------------------------------


def block_and_sign_out_a_member(page: Any, checks: Checks) -> None:
    _section(page, "Members").click()
    page.get_by_role("heading", name="Members", exact=True).wait_for()
    checks.page(page, "members")
    page.get_by_role("link", name=MEMBER, exact=True).click()
    page.get_by_role("heading", name=MEMBER, exact=True).wait_for()
    checks.page(page, "member")
    page.get_by_role("link", name="Block user").click()
    page.get_by_role("heading", name=f"Block {MEMBER}?").wait_for()
    checks.page(page, "block confirmation")
    page.get_by_role("button", name="Block user").click()
    page.get_by_text(f"Blocking {MEMBER}.").wait_for()
    _operations_settle(page, checks, "member blocked settled")
    page.get_by_role("link", name="Sign out everywhere").click()
    page.get_by_role("heading", name=f"Sign {MEMBER} out everywhere?").wait_for()
    checks.page(page, "sign out everywhere confirmation")
    page.get_by_role("button", name="Sign out everywhere").click()
    page.get_by_text(f"Signing {MEMBER} out everywhere.").wait_for()
    _operations_settle(page, checks, "member signed out settled")
    page.reload()
    page.locator("dd").get_by_text("Blocked", exact=True).wait_for()
    checks.page(page, "member blocked")
