"""Tenant checks against the sandbox tenant: each one ok on a tenant set up for
production, and failing, with what to do, when that part is missing or off."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.auth0 import tokens
from orgs.monitoring.models import CheckStatus, TenantCheckResult
from orgs.monitoring.scopes import REQUIRED_SCOPES
from orgs.monitoring.tenant_checks import (
    CHECKS,
    check_email_provider,
    check_log_streams,
    check_m2m_scopes,
    check_roles,
    check_staff_organization,
    run_tenant_checks,
    token_scopes,
)
from sandbox.seed import PORTAL_M2M_CLIENT_ID

from .conftest import add_log_stream, mgmt

pytestmark = pytest.mark.django_db


def _remove_scopes(tenant: Any, *scopes: str) -> None:
    """Take scopes off the portal's client grant; the next token carries what is left."""
    state = tenant.app.state
    with state.lock:
        for grant in state.client_grants.values():
            if grant.client_id == PORTAL_M2M_CLIENT_ID:
                grant.scope = [s for s in grant.scope if s not in scopes]
    tokens.invalidate()


def test_every_check_is_ok_on_a_tenant_set_up_for_production(healthy_tenant: Any) -> None:
    results = run_tenant_checks()
    assert [(r.name, r.status) for r in results] == [(c.name, CheckStatus.OK) for c in CHECKS]
    stored = TenantCheckResult.objects.get(name="email_provider")
    assert stored.ok and stored.details["provider"] == "sendgrid"
    assert TenantCheckResult.objects.count() == len(CHECKS)


def test_no_email_provider_means_auth0s_built_in_one(tenant: Any) -> None:
    result = check_email_provider()
    assert result.status == CheckStatus.PROBLEM
    assert "built-in provider" in result.problem and "Email Provider" in result.what_to_do


def test_a_provider_turned_off_is_a_problem(healthy_tenant: Any) -> None:
    mgmt(healthy_tenant, "PATCH", "/emails/provider", json={"enabled": False})
    result = check_email_provider()
    assert result.status == CheckStatus.PROBLEM and "turned off" in result.problem


def test_no_log_stream_is_a_problem(tenant: Any) -> None:
    result = check_log_streams()
    assert result.status == CheckStatus.PROBLEM
    assert "2 to 30 days" in result.problem and "Streams" in result.what_to_do


def test_a_paused_log_stream_is_a_problem(healthy_tenant: Any) -> None:
    paused = add_log_stream(healthy_tenant, name="datadog")
    mgmt(healthy_tenant, "PATCH", f"/log-streams/{paused}", json={"status": "paused"})
    result = check_log_streams()
    assert result.status == CheckStatus.PROBLEM
    assert "datadog (paused)" in result.problem and "siem" not in result.problem
    assert "Active" in result.what_to_do


def test_a_suspended_log_stream_is_a_problem(healthy_tenant: Any) -> None:
    stream = mgmt(healthy_tenant, "GET", "/log-streams")[0]
    mgmt(healthy_tenant, "PATCH", f"/log-streams/{stream['id']}", json={"status": "suspended"})
    assert check_log_streams().status == CheckStatus.PROBLEM


def test_the_staff_organization_and_roles_are_found(tenant: Any) -> None:
    assert check_staff_organization().status == CheckStatus.OK
    assert check_roles().status == CheckStatus.OK


def test_a_missing_staff_organization_is_a_problem(tenant: Any, settings: Any) -> None:
    settings.AUTH0_STAFF_ORGANIZATION = "operators"
    result = check_staff_organization()
    assert result.status == CheckStatus.PROBLEM
    assert '"operators"' in result.problem and "AUTH0_STAFF_ORGANIZATION" in result.what_to_do


def test_a_missing_role_is_a_problem(tenant: Any) -> None:
    role = next(r for r in mgmt(tenant, "GET", "/roles") if r["name"] == "org-member")
    mgmt(tenant, "DELETE", f"/roles/{role['id']}")
    result = check_roles()
    assert result.status == CheckStatus.PROBLEM
    assert result.details["missing"] == ["org-member"] and "org-member" in result.what_to_do


def test_the_portals_token_holds_every_scope_it_uses(tenant: Any) -> None:
    granted = token_scopes(tokens.management_token())
    assert granted is not None and set(REQUIRED_SCOPES) <= granted
    assert check_m2m_scopes().status == CheckStatus.OK


def test_a_token_without_a_needed_scope_is_a_problem(tenant: Any) -> None:
    _remove_scopes(tenant, "delete:sessions", "read:scim_config")
    result = check_m2m_scopes()
    assert result.status == CheckStatus.PROBLEM
    assert result.details["missing"] == ["delete:sessions", "read:scim_config"]
    assert "DELETE /users/{user_id}/sessions" in result.details["needed_by"]["delete:sessions"]
    assert "Machine to Machine Applications" in result.what_to_do


def test_a_refused_read_names_the_scope_it_lacks(tenant: Any) -> None:
    _remove_scopes(tenant, "read:log_streams")
    [result] = [r for r in run_tenant_checks() if r.name == "log_streams"]
    assert result.status == CheckStatus.PROBLEM
    assert "read:log_streams" in result.problem and "403" not in result.problem


def test_auth0_down_is_unknown_not_a_problem(healthy_tenant: Any) -> None:
    healthy_tenant.add_fault(path="^/api/v2/emails/provider$", status=503)
    [result] = [r for r in run_tenant_checks() if r.name == "email_provider"]
    assert result.status == CheckStatus.UNKNOWN
    assert "could not be reached" in result.problem
    assert TenantCheckResult.objects.get(name="email_provider").status == CheckStatus.UNKNOWN


def test_the_beat_task_runs_and_stores_the_checks(healthy_tenant: Any) -> None:
    from orgs.monitoring.tasks import run_tenant_checks as task

    assert task.apply().get() == {c.name: CheckStatus.OK for c in CHECKS}
    assert TenantCheckResult.objects.filter(status=CheckStatus.OK).count() == len(CHECKS)
