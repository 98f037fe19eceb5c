"""Per-organization URLs on applications: callback, logout and web-origin URLs."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from orgs.models import Application, ApplicationURL, Organization
from orgs.models.applications import UrlKind
from orgs.models.base import SyncState
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.sync.outbox import record_operation
from portal.models import User

_url = URLValidator(schemes=["https", "http"])


def _check_url(kind: str, url: str) -> str:
    url = url.strip()
    try:
        _url(url)
    except ValidationError:
        raise ServiceError(f"'{url}' is not a valid URL.", field="url") from None
    if kind not in UrlKind.values:
        raise ServiceError("Choose callback, logout or web origin.", field="kind")
    parts = urlsplit(url)  # compare the parsed host: "http://localhost.evil.test" is not local
    if parts.scheme.lower() == "http" and parts.hostname not in ("localhost", "127.0.0.1"):
        raise ServiceError("Use https (http is only allowed for localhost).", field="url")
    if kind == UrlKind.WEB_ORIGIN and url.rstrip("/").count("/") > 2:
        raise ServiceError("A web origin has no path: use scheme://host[:port].", field="url")
    return url


@transaction.atomic
def application_url_add(
    *, actor: User | None, organization: Organization, application: Application, kind: str, url: str
) -> ApplicationURL:
    url = _check_url(kind, url)
    if not organization.is_live:
        raise ServiceError(f"{organization} is being deleted.")
    row, created = ApplicationURL.objects.get_or_create(
        organization=organization, application=application, kind=kind, url=url
    )
    if not created and not row.removing:
        raise ServiceError(f"{url} is already on {application} for {organization}.", field="url")
    if row.removing:
        row.removing = False
        row.sync_state = SyncState.PENDING
        row.save(update_fields=["removing", "sync_state", "updated_at"])
    _record_sync(organization, application, actor)
    audit(
        actor=actor,
        action="application_url.add",
        organization=organization,
        target=url,
        application=application.name,
        kind=kind,
    )
    return row


@transaction.atomic
def application_url_remove(*, actor: User | None, row: ApplicationURL) -> None:
    ApplicationURL.objects.filter(pk=row.pk).update(removing=True)
    _record_sync(row.organization, row.application, actor)
    audit(
        actor=actor,
        action="application_url.remove",
        organization=row.organization,
        target=row.url,
        application=row.application.name,
        kind=row.kind,
    )


def _record_sync(organization: Organization, application: Application, actor: User | None) -> None:
    # URLs on a client don't need the organization to exist in Auth0: no dependency.
    record_operation(
        kind="application_urls.sync", target=application, organization=organization, actor=actor
    )
