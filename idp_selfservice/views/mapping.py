"""Step 4: which of the IdP's attributes (SAML) or claims (OIDC) fill the email, the
names and the user id, prefilled with the provider's defaults."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from idp_selfservice import services
from idp_selfservice.access import get_setup_for
from idp_selfservice.forms import MappingForm
from idp_selfservice.providers import ADFS_FAMILY, OIDC_FAMILY
from idp_selfservice.views.common import (
    READ_METHODS,
    actor,
    locked_reason,
    refuse_method,
    render_step,
)
from orgs.services import ServiceError
from portal.link_access import link_or_login_required


@link_or_login_required("sso")
def mapping(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    refused = refuse_method(request, (*READ_METHODS, "POST"))
    if refused:
        return refused
    provider = services.provider_of(setup)
    locked = locked_reason(setup)
    adfs = provider.family == ADFS_FAMILY
    initial = {**provider.default_attribute_map(), **setup.attribute_map}
    if request.method == "POST" and not locked and not adfs:
        form = MappingForm(request.POST, provider=provider, label_suffix="")
        if form.is_valid():
            try:
                services.setup_save_mapping(
                    actor=actor(request), setup=setup, attribute_map=form.attribute_map()
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, "The attribute mapping is saved.")
                return redirect("idp_selfservice:setup", org_pk=org_pk, setup_pk=setup_pk)
    else:
        form = MappingForm(initial=initial, provider=provider, label_suffix="")
    context = {
        "form": form,
        "locked": locked,
        "adfs": adfs,
        "oidc": provider.family == OIDC_FAMILY,
        "defaults": provider.default_attribute_map(),
    }
    return render_step(
        request, setup, "idp_selfservice/mapping.html", context, step=4, title="Attribute mapping"
    )
