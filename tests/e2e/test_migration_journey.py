"""The user migration's journey, in a real browser against the whole stack: staff creates
an organization with its own database connection, uploads a 1,000-user CSV from a legacy
store (bcrypt hashes) with 20 bad rows, matches its columns, reads the report, confirms,
watches the progress finish without reloading, downloads the results; then one migrated
user signs in to the organization through the sandbox's login page with their old
password.

Every page on the way is screenshotted (desktop and 390 px) and checked by axe-core."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from tests.e2e.browser import Checks
from tests.e2e.stack import RunningStack
from tests.e2e.test_staff_journey import sign_in_as_staff

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

ORG_NAME = "Umbrella Labs"
ORG_SLUG = "umbrella-labs"
USERS = 1_000
BAD_ROWS = 20
OLD_PASSWORD = "legacy-store-password-1"
SIGNS_IN = "user0007@umbrella.test"
SETTLE_MS = 60_000
IMPORT_MS = 120_000


def test_staff_migrates_an_organizations_users(
    stack: RunningStack, new_page: Any, tmp_path: Path
) -> None:
    checks = Checks("migration-journey")
    staff = new_page()
    sign_in_as_staff(staff, stack, checks)
    create_organization_with_its_own_database(staff, checks)
    upload_the_users_file(staff, checks, users_csv(tmp_path / "legacy-users.csv"))
    match_the_columns(staff, checks)
    read_the_report_and_confirm(staff, checks)
    watch_the_import_finish(staff, checks, tmp_path)
    migrated_user_signs_in(new_page(), stack, checks)
    checks.assert_clean()


def users_csv(path: Path) -> Path:
    """1,000 users, 20 of them bad in four ways (five each): an address that is not one,
    an address already used higher up, a hash that is not bcrypt, an algorithm Auth0
    cannot import."""
    hashed = bcrypt.hashpw(OLD_PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Email", "First name", "Last name", "Password hash", "Hash algorithm"])
    for i in range(USERS):
        email, value, algorithm = f"user{i:04d}@umbrella.test", hashed, "bcrypt"
        if 100 <= i < 105:
            email = f"user{i:04d}.umbrella.test"
        elif 200 <= i < 205:
            email = f"user{i - 150:04d}@umbrella.test"
        elif 300 <= i < 305:
            value = "not-a-bcrypt-hash"
        elif 400 <= i < 405:
            algorithm = "crc32"
        writer.writerow([email, "User", f"Number {i}", value, algorithm])
    path.write_text(out.getvalue())
    return path


def create_organization_with_its_own_database(page: Any, checks: Checks) -> None:
    page.get_by_role("link", name="New organization").click()
    page.get_by_label("Display name").wait_for()
    page.wait_for_load_state()
    page.get_by_label("Display name").fill(ORG_NAME)
    page.wait_for_function(
        "slug => document.querySelector('#id_name').value === slug", arg=ORG_SLUG
    )
    page.get_by_label("Its own database connection").check()
    page.get_by_role("button", name="Create organization").click()
    page.get_by_role("heading", name=re.compile(ORG_NAME)).wait_for()
    page.locator("#operations").get_by_text("All changes are in Auth0").wait_for(timeout=SETTLE_MS)
    tab(page, "Migrations")
    checks.page(page, "migrations tab")


def tab(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Organization sections").get_by_role(
        "link", name=name
    ).click()
    page.get_by_role("link", name=name, exact=True).and_(
        page.locator("[aria-current=page]")
    ).wait_for()


def upload_the_users_file(page: Any, checks: Checks, path: Path) -> None:
    page.get_by_role("link", name="Import users").click()
    page.get_by_role("heading", name="Import users from a file").wait_for()
    checks.page(page, "upload question page")
    page.get_by_label("Users file").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()


def match_the_columns(page: Any, checks: Checks) -> None:
    page.get_by_role("heading", name=re.compile("Match the columns")).wait_for()
    # Guessed from the headers: the person only checks them.
    assert page.get_by_label("Email address").input_value() == "Email"
    assert page.get_by_label("Hash algorithm", exact=True).input_value() == "Hash algorithm"
    checks.page(page, "column mapping")
    page.get_by_role("button", name="Check the users").click()


def read_the_report_and_confirm(page: Any, checks: Checks) -> None:
    page.get_by_role("heading", name="Check the report before importing").wait_for(
        timeout=SETTLE_MS
    )
    body = page.locator("main").inner_text()
    assert "980" in body and "20" in body, body[:2000]
    for wording in ("not a valid email", "Also in row", "bcrypt", "crc32"):
        assert wording.lower() in body.lower(), wording
    checks.page(page, "validation report")
    page.get_by_role("button", name=f"Import {USERS - BAD_ROWS} users").click()


def watch_the_import_finish(page: Any, checks: Checks, tmp_path: Path) -> None:
    page.get_by_role("heading", name=re.compile("Importing users from")).wait_for()
    page.evaluate("window.__notReloaded = true")
    checks.page(page, "import in progress")
    page.locator("#migration-live").get_by_text("Finished", exact=True).wait_for(timeout=IMPORT_MS)
    assert page.evaluate("window.__notReloaded === true")
    assert page.locator("#count-imported").inner_text() == f"{USERS - BAD_ROWS} imported"
    page.locator("#count-members").get_by_text(f"{USERS - BAD_ROWS} added as members").wait_for(
        timeout=IMPORT_MS
    )
    checks.page(page, "import finished")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download the results")).click()
    results = tmp_path / "results.csv"
    download.value.save_as(results)
    lines = list(csv.DictReader(results.open()))
    assert len(lines) == USERS
    assert sum(1 for line in lines if line["outcome"] == "imported") == USERS - BAD_ROWS


def migrated_user_signs_in(page: Any, stack: RunningStack, checks: Checks) -> None:
    """Through the customer's application, as the user would: it asks for the organization
    first (the demo app requires one), then Auth0's login page checks the old password."""
    page.goto(f"{stack.sandbox_url}/__sandbox__/demo-app/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Organization name").fill(ORG_SLUG)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Email").fill(SIGNS_IN)
    page.get_by_label("Password").fill("not the old one")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("Wrong email or password").wait_for()
    page.get_by_label("Password").fill(OLD_PASSWORD)
    checks.page(page, "migrated user signs in")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Signed in to Demo SaaS App").wait_for()
