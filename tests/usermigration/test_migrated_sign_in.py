"""The whole path, per algorithm: a legacy store's user, migrated through the portal with
their hash, signs in to their organization through the sandbox's login page with their old
password (and not with a wrong one)."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.usermigration.models import RowStatus
from tests.sandbox.legacy_hash_cases import CASES, PASSWORD
from tests.sandbox.login_support import PORTAL_CALLBACK, login, query
from tests.usermigration.migration_support import (
    confirm,
    fast_jobs,
    own_db_org,
    run_passes,
    upload_json,
)

__all__ = ["fast_jobs", "own_db_org"]  # fixtures, imported for pytest

pytestmark = pytest.mark.django_db


def test_every_legacy_hash_signs_in_with_the_old_password(tenant: Any, own_db_org: Any) -> None:
    users = [
        {"email": f"{case}@initech.test", "custom_password_hash": CASES[case]}
        for case in sorted(CASES)
    ]
    migration = upload_json(own_db_org, users)
    assert migration.problem_rows == 0, list(migration.rows.exclude(errors=[]).values("errors"))
    confirm(migration)
    run_passes(migration.pk)
    assert set(migration.rows.values_list("status", flat=True)) == {RowStatus.IMPORTED}

    for case in sorted(CASES):
        email = f"{case}@initech.test"
        _, _, refused = login(tenant.app, email, PASSWORD + "!", organization=own_db_org.auth0_id)
        assert refused.status_code == 400, case
        rp, _, callback = login(tenant.app, email, PASSWORD, organization=own_db_org.auth0_id)
        location = callback.headers.get("location", "")
        assert location.startswith(PORTAL_CALLBACK) and "code" in query(location), case
        claims = rp.id_claims(rp.fetch_token(location)["id_token"])
        assert claims["email"] == email
        assert claims["org_id"] == own_db_org.auth0_id
