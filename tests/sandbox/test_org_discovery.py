"""Organization discovery domains."""

from __future__ import annotations

import httpx
import pytest
from auth0.management.client import Auth0
from auth0.management.errors import BadRequestError, ConflictError, NotFoundError

from sandbox import SandboxApp

from .conftest import org_id


def test_create_get_list_update_delete(mgmt: Auth0, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    dd = mgmt.organizations.discovery_domains
    created = dd.create(acme, domain="Acme.Test")
    assert created.domain == "acme.test" and created.status == "pending"
    assert created.verification_host == "_auth0-challenge.acme.test"
    assert created.verification_txt.startswith("auth0-domain-verification=")
    assert created.use_for_organization_discovery is True

    assert dd.get(acme, created.id).domain == "acme.test"
    assert dd.get_by_name(acme, "acme.test").id == created.id
    assert [d.id for d in dd.list(acme)] == [created.id]

    updated = dd.update(acme, created.id, status="verified", use_for_organization_discovery=False)
    assert updated.status == "verified" and updated.use_for_organization_discovery is False

    dd.delete(acme, created.id)
    with pytest.raises(NotFoundError):
        dd.get(acme, created.id)
    with pytest.raises(NotFoundError):
        dd.get_by_name(acme, "acme.test")


def test_duplicate_domain_is_409(mgmt: Auth0, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    mgmt.organizations.discovery_domains.create(acme, domain="acme.test")
    with pytest.raises(ConflictError):
        mgmt.organizations.discovery_domains.create(acme, domain="acme.test")


@pytest.mark.parametrize("domain", ["ab", "not a domain", "-bad.test"])
def test_invalid_domain_is_400(mgmt: Auth0, sandbox: SandboxApp, domain: str) -> None:
    with pytest.raises(BadRequestError):
        mgmt.organizations.discovery_domains.create(org_id(sandbox, "acme"), domain=domain)


def test_checkpoint_paging(api: httpx.Client, mgmt: Auth0, sandbox: SandboxApp) -> None:
    acme = org_id(sandbox, "acme")
    for i in range(3):
        mgmt.organizations.discovery_domains.create(acme, domain=f"d{i}.acme.test")
    first = api.get(f"/api/v2/organizations/{acme}/discovery-domains", params={"take": 2}).json()
    assert len(first["domains"]) == 2 and first["next"]
    rest = api.get(
        f"/api/v2/organizations/{acme}/discovery-domains",
        params={"take": 2, "from": first["next"]},
    ).json()
    assert len(rest["domains"]) == 1 and "next" not in rest
    assert len(list(mgmt.organizations.discovery_domains.list(acme, take=1))) == 3
