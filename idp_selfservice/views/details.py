"""Step 3: tell us about the IdP, read and checked on the spot, then what we found.

A refused input is a form error on the field it came from (never a 500, never a library's
own words) and nothing is saved. A document listing several IdPs comes back with a choice
of entity IDs; an uploaded one is kept in the session meanwhile (at most 4 MB, as the
parser allows), so the person does not upload it again.
"""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from idp_selfservice import services
from idp_selfservice.access import get_setup_for
from idp_selfservice.details import ChooseIdp, DetailsInput, DetailsProblem, build_details
from idp_selfservice.forms import DetailsForm, details_form_class
from idp_selfservice.models import MetadataSource, SsoSetup
from idp_selfservice.providers import OIDC_FAMILY, PING_FAMILY, Provider
from idp_selfservice.views.common import (
    READ_METHODS,
    actor,
    locked_reason,
    refuse_method,
    render_step,
)
from orgs.services import ServiceError
from orgs.services.enterprise_connections import connection_secret_keys
from portal.link_access import link_or_login_required

SESSION_PENDING = "idp_selfservice_pending_choice"
LABEL_SUFFIX = ""  # labels without Django's colon, as on the portal's other forms


@link_or_login_required("sso")
def details(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    refused = refuse_method(request, (*READ_METHODS, "POST"))
    if refused:
        return refused
    provider = services.provider_of(setup)
    locked = locked_reason(setup)
    form_class = details_form_class(provider)
    options: dict[str, Any] = {
        "provider": provider,
        "secret_stored": _secret_stored(setup),
        "label_suffix": LABEL_SUFFIX,
    }
    if request.method == "POST" and not locked:
        pending = _pending(request, setup)
        form = form_class(request.POST, request.FILES, **options, **_pending_options(pending))
        if form.is_valid():
            outcome = _save(request, setup, provider, form, pending)
            if isinstance(outcome, HttpResponse):
                return outcome
            form = outcome
    else:
        _forget(request, setup)
        form = form_class(initial=initial_for(setup, provider), **options)
    context = {
        "form": form,
        "locked": locked,
        "oidc": provider.family == OIDC_FAMILY,
        "kept_document": form.kept_document,
    }
    return render_step(
        request,
        setup,
        "idp_selfservice/details.html",
        context,
        step=3,
        title=f"Tell us about {provider.name}",
    )


def _save(
    request: HttpRequest,
    setup: SsoSetup,
    provider: Provider,
    form: DetailsForm,
    pending: dict[str, Any] | None,
) -> HttpResponse | DetailsForm:
    """Read, check and save; the redirect to what we found, or the form with its errors."""
    given = form.details_input()
    if given.method == "url" and (pending is None or pending.get("url") != given.metadata_url):
        given = replace(given, chosen_entity_id=None)  # a new URL: the old choice is void
    try:
        found = build_details(provider, given)
    except ChooseIdp as exc:
        return _choose(request, setup, provider, form, given, exc)
    except DetailsProblem as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return form
    try:
        services.setup_save_idp(actor=actor(request), setup=setup, details=found)
    except ServiceError as exc:
        form.add_service_error(exc)
        return form
    _forget(request, setup)
    messages.success(request, f"{provider.name}'s details are saved and on their way to Auth0.")
    return redirect("idp_selfservice:found", org_pk=setup.organization_id, setup_pk=setup.pk)


def _choose(
    request: HttpRequest,
    setup: SsoSetup,
    provider: Provider,
    form: DetailsForm,
    given: DetailsInput,
    exc: ChooseIdp,
) -> DetailsForm:
    """The form again, now with a choice of the document's IdPs (the upload kept)."""
    pending = {
        "method": given.method,
        "url": given.metadata_url if given.method == "url" else "",
        "document": base64.b64encode(given.document).decode("ascii")
        if given.method != "url" and given.document
        else "",
        "entity_ids": exc.entity_ids,
    }
    kept = request.session.get(SESSION_PENDING) or {}
    request.session[SESSION_PENDING] = {**kept, str(setup.pk): pending}
    data = request.POST.copy()
    data.pop("idp_choice", None)
    again = details_form_class(provider)(
        data,
        provider=provider,
        secret_stored=form.secret_stored,
        label_suffix=LABEL_SUFFIX,
        **_pending_options(pending),
    )
    again.is_valid()
    again.add_error("idp_choice", exc.message)
    return again


def _pending(request: HttpRequest, setup: SsoSetup) -> dict[str, Any] | None:
    found = (request.session.get(SESSION_PENDING) or {}).get(str(setup.pk))
    return found if isinstance(found, dict) else None


def _pending_options(pending: dict[str, Any] | None) -> dict[str, Any]:
    if not pending:
        return {}
    document = base64.b64decode(pending["document"]) if pending.get("document") else None
    return {"entity_ids": list(pending.get("entity_ids") or []), "kept_document": document}


def _forget(request: HttpRequest, setup: SsoSetup) -> None:
    kept = request.session.get(SESSION_PENDING) or {}
    if str(setup.pk) in kept:
        request.session[SESSION_PENDING] = {k: v for k, v in kept.items() if k != str(setup.pk)}


def _secret_stored(setup: SsoSetup) -> bool:
    return setup.connection is not None and "client_secret" in connection_secret_keys(
        setup.connection
    )


def initial_for(setup: SsoSetup, provider: Provider) -> dict[str, Any]:
    """What was given last time (never a secret), so a change starts from it."""
    summary = setup.idp_summary
    if provider.family == OIDC_FAMILY:
        options = setup.connection.options if setup.connection else {}
        return {
            "discovery_url": options.get("discovery_url", ""),
            "client_id": options.get("client_id", ""),
            "scopes": options.get("scope") or provider.default_scopes,
        }
    methods: dict[str, str] = {
        MetadataSource.URL: "url",
        MetadataSource.FILE: "file",
        MetadataSource.MANUAL: "manual",
        MetadataSource.FIELDS: "fields",
    }
    initial: dict[str, Any] = {"method": methods.get(setup.source)}
    if not setup.source:
        initial["method"] = "fields" if provider.family == PING_FAMILY else "url"
    initial["metadata_url"] = setup.metadata_url
    if setup.source == MetadataSource.MANUAL:
        sso = summary.get("preferred_sso") or {}
        slo = summary.get("preferred_slo") or {}
        initial.update(
            entity_id=summary.get("entity_id", ""),
            sign_in_url=sso.get("location", ""),
            sign_out_url=slo.get("location", ""),
        )
    if setup.source == MetadataSource.FIELDS:
        initial["server_url"] = summary.get("server_url", "")
    return initial


# --- what we found ----------------------------------------------------------------------------


@link_or_login_required("sso")
def found(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    refused = refuse_method(request, READ_METHODS)
    if refused:
        return refused
    if not setup.idp_summary:
        return redirect("idp_selfservice:details", org_pk=org_pk, setup_pk=setup_pk)
    provider = services.provider_of(setup)
    summary = setup.idp_summary
    context = {
        "summary": summary,
        "oidc": provider.family == OIDC_FAMILY,
        "certificates": certificate_rows(summary.get("certificates") or []),
        "warnings": summary.get("warnings") or [],
    }
    return render_step(
        request,
        setup,
        "idp_selfservice/found.html",
        context,
        step=3,
        title=f"What we found in {provider.name}'s details",
    )


def certificate_rows(
    certificates: list[dict[str, Any]], now: datetime | None = None
) -> list[dict[str, Any]]:
    """Summarised certificates ready to show: dates as datetimes, days left."""
    now = now or datetime.now(UTC)
    rows = []
    for cert in certificates:
        not_before = _moment(cert.get("not_before"))
        not_after = _moment(cert.get("not_after"))
        days = (not_after - now).days if not_after else None
        rows.append(
            {
                **cert,
                "name": common_name(str(cert.get("subject") or "")),
                "valid_from": not_before,
                "valid_to": not_after,
                "days_left": days,
            }
        )
    return rows


_COMMON_NAME = re.compile(r"(?:^|,)CN=((?:\\.|[^,])+)")


def common_name(subject: str) -> str:
    """The certificate's CN, to name it by ("trial-1022863"), else the whole subject: the
    full distinguished name, OIDs and all, is shown below it."""
    found = _COMMON_NAME.search(subject)
    return found.group(1).replace("\\", "") if found else subject


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
