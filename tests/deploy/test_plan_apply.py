from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orgs.models import AuditEvent, Organization, OrgStatus, Priority, SyncOperation
from tests.deploy.conftest import run
from tests.orgs.engine import drain

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(portal_orgs: dict[str, Organization], tmp_path: Path) -> Path:
    assert run("export", str(tmp_path))[0] == 0
    return tmp_path


def _edit(path: Path, change: Any) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def test_an_export_plans_no_changes(exported: Path) -> None:
    code, out, err = run("plan", str(exported))
    assert (code, out.strip()) == (0, "No changes."), err


def test_an_edited_file_shows_the_field_diff(exported: Path) -> None:
    _edit(exported / "organizations/hooli.json", lambda d: d.update(display_name="Hooli XYZ"))
    code, out, _ = run("plan", str(exported))
    assert code == 2
    assert "update organization hooli" in out
    assert 'display_name: "Hooli" -> "Hooli XYZ"' in out


def test_apply_records_bulk_operations_that_reach_the_sandbox(
    exported: Path, imported_tenant: Any
) -> None:
    _edit(exported / "organizations/hooli.json", lambda d: d.update(display_name="Hooli XYZ"))
    before = SyncOperation.objects.count()
    code, out, _ = run("apply", str(exported))
    assert code == 0 and "update organization hooli" in out
    new_ops = SyncOperation.objects.order_by("id")[before:]
    assert new_ops and {op.priority for op in new_ops} == {Priority.BULK}
    assert AuditEvent.objects.filter(action="organization.update", actor_label="system").exists()
    assert set(drain()) == {"succeeded"}
    remote = next(
        o for o in imported_tenant.state()["organizations"].values() if o["name"] == "hooli"
    )
    assert remote["display_name"] == "Hooli XYZ"
    assert run("plan", str(exported))[0] == 0  # applied twice = nothing the second time


def test_a_new_organization_file_creates_it(exported: Path) -> None:
    shared = json.loads((exported / "organizations/hooli.json").read_text())["connections"]
    (exported / "organizations/initech.json").write_text(
        json.dumps({"name": "initech", "display_name": "Initech", "connections": shared})
    )
    code, out, _ = run("plan", str(exported))
    assert code == 2 and "create organization initech" in out
    assert run("apply", str(exported))[0] == 0
    assert Organization.objects.get(name="initech").membership_model == "shared_db"
    assert set(drain()) == {"succeeded"}
    assert run("plan", str(exported))[0] == 0


def test_a_removed_file_deletes_only_with_allow_delete(exported: Path) -> None:
    (exported / "organizations/beta.json").unlink()
    (exported / "portal/organizations/beta.json").unlink()
    code, out, _ = run("plan", str(exported))
    assert code == 0 and "would delete organization beta, pass --allow-delete" in out
    run("apply", str(exported))
    assert Organization.objects.get(name="beta").status == OrgStatus.ACTIVE
    code, out, _ = run("plan", str(exported), "--allow-delete")
    assert code == 2 and "delete organization beta" in out
    run("apply", str(exported), "--allow-delete")
    assert Organization.objects.get(name="beta").status == OrgStatus.DELETING


def test_an_unknown_field_is_refused_with_file_line_and_field(exported: Path) -> None:
    path = exported / "organizations/hooli.json"
    _edit(path, lambda d: d.update(colour="red"))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if '"colour"' in text)
    code, _, err = run("plan", str(exported))
    assert code == 1
    assert f"organizations/hooli.json:{line}: field 'colour': Unknown field." in err


def test_an_invalid_value_is_refused_with_file_line_and_field(exported: Path) -> None:
    path = exported / "organizations/hooli.json"
    _edit(path, lambda d: d["branding"]["colors"].update(primary="red"))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if '"red"' in text)
    code, _, err = run("plan", str(exported))
    assert code == 1
    assert f"organizations/hooli.json:{line}: field 'branding.colors.primary'" in err


def test_a_secret_written_in_a_file_is_refused(exported: Path) -> None:
    path = exported / "connections/hooli-oidc.json"
    _edit(path, lambda d: d["options"].update(client_secret="plain-text"))
    code, _, err = run("plan", str(exported))
    assert code == 1 and "field 'options.client_secret'" in err and "placeholder" in err


def test_what_a_deploy_cli_export_adds_plans_no_changes(exported: Path) -> None:
    """`a0deploy export` writes each link's is_enabled, the options Auth0 fills in and the
    staff organization (tests/deploy/test_deploy_cli_roundtrip.py runs the real one)."""
    _edit(
        exported / "organizations/hooli.json", lambda d: d["connections"][0].update(is_enabled=True)
    )
    _edit(
        exported / "database-connections/beta-users/database.json",
        lambda d: d["options"].update(mfa={"active": True, "return_enroll_settings": True}),
    )
    _edit(exported / "connections/hooli-oidc.json", lambda d: d["options"].update(scope="openid"))
    (exported / "organizations/staff.json").write_text(
        json.dumps({"name": "staff", "display_name": "Someone else's idea"})
    )
    code, out, err = run("plan", str(exported))
    assert (code, out.strip()) == (0, "No changes."), err


def test_a_link_turned_off_is_refused(exported: Path) -> None:
    path = exported / "organizations/hooli.json"
    _edit(path, lambda d: d["connections"][0].update(is_enabled=False))
    code, _, err = run("plan", str(exported))
    assert code == 1 and "field 'connections.0.is_enabled'" in err
