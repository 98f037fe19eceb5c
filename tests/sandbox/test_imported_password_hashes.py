"""Users imported with a legacy store's hash sign in with their old password: one case per
algorithm Auth0 lists for `custom_password_hash`, each checked by the function the login
page calls (`sandbox.passwords.verify_password`) and signed in through the page."""

from __future__ import annotations

import json
from typing import Any

import bcrypt
import pytest
from auth0.management.client import Auth0

from sandbox import SandboxApp
from sandbox.passwords import verify_password

from .conftest import FakeClock
from .legacy_hash_cases import CASES, PASSWORD
from .login_support import PORTAL_CALLBACK, login, query
from .mgmt_support import DB


def import_and_settle(
    mgmt: Auth0, app: SandboxApp, clock: FakeClock, users: list[dict[str, Any]]
) -> None:
    conn = app.state.connection_by_name(DB)
    assert conn is not None
    created = mgmt.jobs.users_imports.create(
        users=("users.json", json.dumps(users).encode(), "application/json"),
        connection_id=conn.id,
    )
    clock.advance(10)
    job = mgmt.jobs.get(created.id)
    assert job.status == "completed" and job.summary.failed == 0, mgmt.jobs.errors.get(created.id)


@pytest.mark.parametrize("case", sorted(CASES))
def test_imported_hash_checks_the_old_password(
    case: str, mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock
) -> None:
    email = f"{case}@legacy.test"
    import_and_settle(mgmt, sandbox, clock, [{"email": email, "custom_password_hash": CASES[case]}])
    user = sandbox.state.user_by_email(email, DB)
    assert user is not None
    assert verify_password(PASSWORD, user.password_hash)
    assert not verify_password(PASSWORD + "!", user.password_hash)
    assert not verify_password("", user.password_hash)


@pytest.mark.parametrize("case", [*sorted(CASES), "bcrypt-password_hash"])
def test_an_imported_user_signs_in_through_the_login_page(
    case: str, mgmt: Auth0, sandbox: SandboxApp, clock: FakeClock
) -> None:
    email = f"migrated-{case}@legacy.test"
    if case == "bcrypt-password_hash":  # the plain field, bcrypt only
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
        user: dict[str, Any] = {"email": email, "password_hash": hashed}
    else:
        user = {"email": email, "custom_password_hash": CASES[case]}
    import_and_settle(mgmt, sandbox, clock, [user])
    _, _, refused = login(sandbox, email, "an old guess")
    assert refused.status_code == 400 and "Wrong email or password." in refused.text
    rp, _, callback = login(sandbox, email, PASSWORD)
    assert callback.status_code == 302
    location = callback.headers["location"]
    assert location.startswith(PORTAL_CALLBACK) and "code" in query(location)
    assert rp.id_claims(rp.fetch_token(location)["id_token"])["email"] == email
