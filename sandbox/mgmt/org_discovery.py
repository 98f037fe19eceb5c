"""Organization discovery domains: email domains that point identifier-first login at an
organization. Verification is by a DNS TXT record in Auth0; the sandbox does no DNS and
lets callers set `status` directly (a documented difference)."""

from __future__ import annotations

import secrets

from werkzeug.wrappers import Response

from ..errors import conflict, not_found
from ..paging import checkpoint_page
from ..routing import Call, empty, json_response, mgmt_route
from ..state import JSON, DiscoveryDomain, Organization, new_id
from ..validation import validate
from .org_common import get_org

_STATUS = {"type": "string", "enum": ["pending", "verified"]}
CREATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["domain"],
    "properties": {
        "domain": {"type": "string", "minLength": 3, "maxLength": 255, "format": "hostname"},
        "status": _STATUS,
        "use_for_organization_discovery": {"type": "boolean"},
    },
}
UPDATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"status": _STATUS, "use_for_organization_discovery": {"type": "boolean"}},
}


def render_domain(domain: DiscoveryDomain) -> JSON:
    return {
        "id": domain.id,
        "domain": domain.domain,
        "status": domain.status,
        "use_for_organization_discovery": domain.use_for_organization_discovery,
        "verification_txt": domain.verification_txt,
        "verification_host": domain.verification_host,
    }


def _not_found() -> Exception:
    return not_found("Organization discovery domain not found.")


def _by_id(call: Call, org: Organization) -> DiscoveryDomain:
    domain = org.discovery_domains.get(call.params["discovery_domain_id"])
    if domain is None:
        raise _not_found()
    return domain


@mgmt_route(
    "GET",
    "/organizations/<id>/discovery-domains",
    scope="read:organization_discovery_domains",
    description="Get discovery domains of an Organization",
)
def list_domains(call: Call) -> Response:
    org = get_org(call)
    items = list(org.discovery_domains.values())
    return json_response(checkpoint_page(call, items, "domains", render_domain, lambda d: d.id))


@mgmt_route(
    "POST",
    "/organizations/<id>/discovery-domains",
    scope="create:organization_discovery_domains",
    description="Create a discovery domain for an Organization",
)
def create_domain(call: Call) -> Response:
    org = get_org(call)
    body = call.body()
    validate(body, CREATE_SCHEMA)
    name = body["domain"].lower()
    if any(d.domain == name for d in org.discovery_domains.values()):
        raise conflict(
            "An organization discovery domain with this domain is already registered to "
            "this organization."
        )
    domain = DiscoveryDomain(
        id=new_id("dd"),
        domain=name,
        status=body.get("status", "pending"),
        use_for_organization_discovery=body.get("use_for_organization_discovery", True),
        verification_txt=f"auth0-domain-verification={secrets.token_urlsafe(24)}",
        verification_host=f"_auth0-challenge.{name}",
    )
    org.discovery_domains[domain.id] = domain
    return json_response(render_domain(domain), 201)


@mgmt_route(
    "GET",
    "/organizations/<id>/discovery-domains/<discovery_domain_id>",
    scope="read:organization_discovery_domains",
    description="Get a discovery domain of an Organization",
)
def get_domain(call: Call) -> Response:
    return json_response(render_domain(_by_id(call, get_org(call))))


@mgmt_route(
    "GET",
    "/organizations/<id>/discovery-domains/name/<discovery_domain>",
    scope="read:organization_discovery_domains",
    description="Get a discovery domain of an Organization by name",
)
def get_domain_by_name(call: Call) -> Response:
    org = get_org(call)
    wanted = call.params["discovery_domain"].lower()
    for domain in org.discovery_domains.values():
        if domain.domain == wanted:
            return json_response(render_domain(domain))
    raise _not_found()


@mgmt_route(
    "PATCH",
    "/organizations/<id>/discovery-domains/<discovery_domain_id>",
    scope="update:organization_discovery_domains",
    description="Update a discovery domain of an Organization",
)
def update_domain(call: Call) -> Response:
    org = get_org(call)
    body = call.body()
    validate(body, UPDATE_SCHEMA)
    domain = _by_id(call, org)
    if "status" in body:
        domain.status = body["status"]
    if "use_for_organization_discovery" in body:
        domain.use_for_organization_discovery = body["use_for_organization_discovery"]
    return json_response(render_domain(domain))


@mgmt_route(
    "DELETE",
    "/organizations/<id>/discovery-domains/<discovery_domain_id>",
    scope="delete:organization_discovery_domains",
    description="Delete a discovery domain of an Organization",
)
def delete_domain(call: Call) -> Response:
    org = get_org(call)
    domain = _by_id(call, org)
    del org.discovery_domains[domain.id]
    return empty(204)
