"""The staff admin's journey, in a real browser against the whole stack: sign in on the
sandbox's page; create an organization with its first admin and a callback URL; watch
its changes reach Auth0 without reloading; the invitee accepts from the sandbox outbox,
sets a password and lands in the portal as its admin; staff suspends and reactivates it;
bulk-imports a 50-row CSV with 2 bad rows and watches the progress reach 48 done.

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

STAFF_EMAIL = "staff@portal.test"
NEW_ORG = "Initech Labs"
NEW_SLUG = "initech-labs"
FIRST_ADMIN = "peter@initech.test"
FIRST_ADMIN_PASSWORD = "Initech-admin-2026!"
CALLBACK = "https://initech.app.example.com/callback"
SETTLE_MS = 60_000


def test_staff_provision_and_run_organizations(
    stack: RunningStack, new_page: Any, tmp_path: Path
) -> None:
    checks = Checks("staff-journey")
    staff = new_page()
    sign_in_as_staff(staff, stack, checks)
    create_organization(staff, checks)
    watch_changes_reach_auth0(staff, checks)
    invitee_accepts_and_lands_as_admin(new_page(), stack, checks)
    see_the_new_admin_among_the_members(staff, checks)
    suspend_and_reactivate(staff, checks)
    bulk_import(staff, checks, tmp_path / "organizations.csv")
    visit_the_staff_pages(staff, checks)
    checks.assert_clean()


def sign_in_as_staff(page: Any, stack: RunningStack, checks: Checks) -> None:
    page.goto(f"{stack.portal_url}/")
    checks.page(page, "portal sign-in")
    page.get_by_role("button", name="Staff sign-in").click()
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(DEMO_CREDENTIALS[STAFF_EMAIL])
    checks.page(page, "sandbox sign-in")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Organizations").wait_for()
    checks.page(page, "organization list")


def create_organization(page: Any, checks: Checks) -> None:
    page.get_by_role("link", name="New organization").click()
    # The new page, loaded: portal.js (deferred) must be listening before typing, or no
    # short name is suggested.
    page.get_by_label("Display name").wait_for()
    page.wait_for_load_state()
    page.get_by_label("Display name").fill(NEW_ORG)
    short_name = page.get_by_label("Short name")
    page.wait_for_function(
        "slug => document.querySelector('#id_name').value === slug", arg=NEW_SLUG
    )
    assert short_name.input_value() == NEW_SLUG  # suggested from the display name
    page.get_by_text(f"{NEW_SLUG} is available").wait_for()
    page.get_by_label("Callback URLs").fill(CALLBACK)
    page.get_by_label("First admin email").fill(FIRST_ADMIN)
    checks.page(page, "new organization form")
    page.get_by_role("button", name="Create organization").click()
    page.get_by_role("heading", name=re.compile(NEW_ORG)).wait_for()


def watch_changes_reach_auth0(page: Any, checks: Checks) -> None:
    """The activity table turns green by itself: the marker set before waiting survives,
    so the page was never reloaded."""
    page.evaluate("window.__notReloaded = true")
    page.locator("#operations").get_by_text("All changes are in Auth0").wait_for(timeout=SETTLE_MS)
    # The page around the table follows once settled: status, sync state, Auth0 id.
    page.locator(".page-header").get_by_text("In sync", exact=True).wait_for()
    page.locator(".page-header").get_by_text("Active", exact=True).wait_for()
    assert page.get_by_text("not created yet").count() == 0
    assert page.evaluate("window.__notReloaded === true")
    assert page.locator("#operations .badge-bad").count() == 0
    checks.page(page, "organization overview settled")
    tabs = ("Connections", "Application URLs", "Invitations", "Members", "Domains", "Activity")
    for tab in (*tabs, "Audit trail"):
        page.get_by_role("navigation", name="Organization sections").get_by_role(
            "link", name=tab
        ).click()
        page.get_by_role("link", name=tab, exact=True).and_(
            page.locator("[aria-current=page]")
        ).wait_for()
        checks.page(page, f"tab {tab}")


def invitee_accepts_and_lands_as_admin(page: Any, stack: RunningStack, checks: Checks) -> None:
    page.goto(f"{stack.sandbox_url}/__sandbox__/emails")
    checks.page(page, "sandbox outbox", phone=False)
    page.get_by_role("row").filter(has_text=FIRST_ADMIN).get_by_role("link").first.click()
    checks.page(page, "invitation email", phone=False)
    page.get_by_role("link", name=re.compile("invitation=")).first.click()
    page.get_by_label("Choose a password").fill(FIRST_ADMIN_PASSWORD)
    checks.page(page, "accept invitation")
    page.get_by_role("button", name="Create account and accept").click()
    page.get_by_role("heading", name=re.compile(NEW_ORG)).wait_for()
    assert page.get_by_role("link", name="Organizations").count() == 0  # not staff
    checks.page(page, "new admin lands in their organization")


def see_the_new_admin_among_the_members(page: Any, checks: Checks) -> None:
    """Read from Auth0: the admin who just accepted, with the org-admin role."""
    page.get_by_role("navigation", name="Organization sections").get_by_role(
        "link", name="Members"
    ).click()
    row = page.get_by_role("row").filter(has_text=FIRST_ADMIN)
    row.get_by_text("org-admin").wait_for()
    row.get_by_role("link", name=FIRST_ADMIN).click()
    page.get_by_role("button", name="Send password reset").wait_for()
    checks.page(page, "member page")


def suspend_and_reactivate(page: Any, checks: Checks) -> None:
    page.get_by_role("navigation", name="Organization sections").get_by_role(
        "link", name="Overview"
    ).click()
    page.get_by_role("link", name="Suspend").click()
    checks.page(page, "suspend confirmation")
    page.get_by_role("button", name=re.compile("Suspend")).click()
    page.locator(".page-header").get_by_text("Suspended", exact=True).wait_for()
    page.get_by_role("link", name="Reactivate").click()
    page.get_by_role("button", name=re.compile("Reactivate")).click()
    page.locator(".page-header").get_by_text("Active", exact=True).wait_for()
    page.locator("#operations").get_by_text("All changes are in Auth0").wait_for(timeout=SETTLE_MS)
    checks.page(page, "reactivated")


def bulk_import(page: Any, checks: Checks, csv_file: Path) -> None:
    csv_file.write_text(_fifty_rows_two_bad(), encoding="utf-8")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Bulk import").click()
    page.get_by_role("link", name="Import organizations from a CSV file").first.click()
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    checks.page(page, "bulk upload")
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("48 ready, 2 with problems", exact=True).wait_for()
    checks.page(page, "bulk report")
    page.get_by_role("button", name="Create 48 organizations").click()
    if page.get_by_role("heading", name="Bulk import progress").count() == 0:
        page.get_by_role("button", name=re.compile("Create 48")).click()  # confirmation page
    page.get_by_role("heading", name="Bulk import progress").wait_for()
    checks.page(page, "bulk progress")
    page.locator("#bulk-count-done").get_by_text("48 done").wait_for(timeout=180_000)
    checks.page(page, "bulk done")


def visit_the_staff_pages(page: Any, checks: Checks) -> None:
    """The cross-organization pages, the edit form and the delete confirmation (left
    with Cancel)."""
    main_nav = page.get_by_role("navigation", name="Main")
    for link, heading in (
        ("Operations", "Operations"),
        ("Audit log", "Audit log"),
        ("Applications", "Applications"),
        ("Tenant", "Tenant operations"),
    ):
        main_nav.get_by_role("link", name=link).click()
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        checks.page(page, f"staff page {link}")
    main_nav.get_by_role("link", name="Organizations").click()
    # The new page first: a Tab pressed while the old one is still shown moves its focus.
    page.get_by_role("heading", name="Organizations", exact=True).wait_for()
    page.wait_for_load_state()
    # By keyboard: the first Tab reaches "Skip to content", which moves focus to the page.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_label("Search").fill(NEW_SLUG)
    page.get_by_label("Search").press("Enter")  # the filters submit from the keyboard
    page.get_by_role("link", name=NEW_ORG).click()
    page.get_by_role("link", name="Edit").click()
    checks.page(page, "edit organization")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Delete").click()
    page.get_by_text(f"Type {NEW_SLUG} to confirm").wait_for()
    checks.page(page, "delete confirmation")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("heading", name=re.compile(NEW_ORG)).wait_for()


def _fifty_rows_two_bad() -> str:
    lines = ["name,display_name,membership_model,admin_email,callback_urls"]
    for n in range(1, 49):
        lines.append(
            f"bulk-{n:02d},Bulk Customer {n},shared_db,admin{n}@bulk{n}.test,"
            f"https://bulk-{n:02d}.app.example.com/callback"
        )
    lines.append("Not A Slug!,Broken Name,shared_db,,")
    lines.append("bulk-01,Duplicate of row 2,shared_db,,")
    return "\n".join(lines) + "\n"
