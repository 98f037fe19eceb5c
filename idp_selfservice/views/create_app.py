"""Step 2: create the app in the IdP, in the IdP's own words, with each of our values
(from the tenant, never typed by hand) beside a copy button; and our SP metadata file."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from idp_selfservice import services
from idp_selfservice.access import get_setup_for
from idp_selfservice.models import SsoSetup
from idp_selfservice.providers import Provider
from idp_selfservice.sp_metadata import (
    CONTENT_TYPE,
    setup_sp_values,
    sp_metadata_filename,
    sp_metadata_xml,
)
from idp_selfservice.views.common import READ_METHODS, refuse_method, render_step
from portal.link_access import link_or_login_required

# Values that exist only once Auth0 has the connection (after step 3).
NEEDS_CONNECTION = frozenset({"sp_metadata_url"})


@link_or_login_required("sso")
def create_app(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    refused = refuse_method(request, READ_METHODS)
    if refused:
        return refused
    provider = services.provider_of(setup)
    context = {
        "instructions": instructions(setup, provider),
        "attributes": provider.attributes if provider.is_saml_like else (),
        "saml_like": provider.is_saml_like,
        "auth0_metadata_url": _auth0_metadata_url(setup),
        "draft_acs_url": setup_sp_values(setup).acs_url if setup.replaces_id else "",
    }
    return render_step(
        request,
        setup,
        "idp_selfservice/create_app.html",
        context,
        step=2,
        title=f"Create the app in {provider.name}",
    )


def instructions(setup: SsoSetup, provider: Provider) -> list[dict[str, Any]]:
    """The provider's numbered steps, each with our values under the IdP's labels."""
    values = setup_sp_values(setup).as_dict()
    in_auth0 = _in_auth0(setup)
    steps = []
    for number, step in enumerate(provider.steps, start=1):
        rows = [
            {
                "id": f"sp-{number}-{key.replace('_', '-')}",
                "key": key,
                "label": label,
                "value": values[key],
                "later": key in NEEDS_CONNECTION and not in_auth0,
            }
            for key, label in step.values
        ]
        steps.append({"number": number, "text": step.text, "values": rows})
    return steps


def _in_auth0(setup: SsoSetup) -> bool:
    connection = setup.connection
    return connection is not None and bool(connection.auth0_id)


def _auth0_metadata_url(setup: SsoSetup) -> str:
    """Auth0's own SP metadata, once the connection exists there."""
    if not _in_auth0(setup) or not services.provider_of(setup).is_saml_like:
        return ""
    return setup_sp_values(setup).sp_metadata_url


@link_or_login_required("sso")
def sp_metadata(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    """Our SP metadata, as a file to download and import into the IdP (SAML only)."""
    setup = get_setup_for(request, org_pk, setup_pk)
    refused = refuse_method(request, READ_METHODS)
    if refused:
        return refused
    if not services.provider_of(setup).is_saml_like:
        raise Http404
    response = HttpResponse(sp_metadata_xml(setup_sp_values(setup)), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{sp_metadata_filename(setup)}"'
    return response
