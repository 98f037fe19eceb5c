"""Per-organization application URLs: callback, logout and web-origin URLs."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.models import ApplicationURL, Organization
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add, application_url_remove
from orgs.services.organizations import organization_create, organization_delete
from tests.orgs.engine import sent_ops
from tests.orgs.services import (
    assert_in_sync,
    audited,
    demo_app,
    operations,
    refused,
    settle,
    staff_user,
)

pytestmark = pytest.mark.django_db


def _org(name: str = "acme") -> Organization:
    return Organization.objects.get(name=name)


def _remote_urls(tenant: Any, kind: str = UrlKind.CALLBACK) -> list[str]:
    urls: list[str] = tenant.state()["clients"]["sandbox-demo-app"][kind]
    return urls


def _add(url: str, org: str = "acme", kind: str = UrlKind.CALLBACK) -> ApplicationURL:
    return application_url_add(
        actor=None, organization=_org(org), application=demo_app(), kind=kind, url=url
    )


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        (UrlKind.CALLBACK, "https://acme.example.com/callback"),
        (UrlKind.LOGOUT, "https://acme.example.com/signed-out"),
        (UrlKind.WEB_ORIGIN, "https://acme.example.com"),
        (UrlKind.CALLBACK, "http://localhost:3000/callback"),
    ],
)
def test_it_adds_a_url_to_the_application(
    imported_tenant: Any, kind: str, url: str, django_capture_on_commit_callbacks: Any
) -> None:
    seeded = _remote_urls(imported_tenant, kind)

    with django_capture_on_commit_callbacks() as callbacks:
        row = application_url_add(
            actor=staff_user(),
            organization=_org(),
            application=demo_app(),
            kind=kind,
            url=f" {url} ",
        )

    assert len(sent_ops(callbacks)) == 1
    assert row.url == url and not row.removing
    assert operations(organization=_org()) == [("application_urls.sync", None)]
    assert audited() == ["application_url.add"]
    assert _remote_urls(imported_tenant, kind) == seeded  # not before the worker runs

    settle(imported_tenant)

    assert _remote_urls(imported_tenant, kind) == [*seeded, url]
    assert_in_sync(row)


def test_urls_of_an_organization_still_being_created_reach_the_application(
    imported_tenant: Any,
) -> None:
    org = organization_create(actor=None, name="initech", display_name="Initech")
    row = application_url_add(
        actor=None,
        organization=org,
        application=demo_app(),
        kind=UrlKind.CALLBACK,
        url="https://initech.example.com/cb",
    )

    settle(imported_tenant)

    assert "https://initech.example.com/cb" in _remote_urls(imported_tenant)
    assert_in_sync(row)


@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        (UrlKind.CALLBACK, "not a url", "'not a url' is not a valid URL."),
        (UrlKind.CALLBACK, "ftp://acme.example.com/cb", "is not a valid URL."),
        (
            UrlKind.CALLBACK,
            "http://acme.example.com/cb",
            "Use https (http is only allowed for localhost).",
        ),
        (
            UrlKind.CALLBACK,
            "http://localhost.evil.example/cb",
            "Use https (http is only allowed for localhost).",
        ),
        (
            UrlKind.CALLBACK,
            "HTTP://acme.example.com/cb",
            "Use https (http is only allowed for localhost).",
        ),
        (
            UrlKind.WEB_ORIGIN,
            "https://acme.example.com/app",
            "A web origin has no path: use scheme://host[:port].",
        ),
        ("homepage", "https://acme.example.com", "Choose callback, logout or web origin."),
    ],
)
def test_it_refuses_an_unusable_url(demo: None, kind: str, url: str, message: str) -> None:
    with refused(message):
        _add(url, kind=kind)


def test_it_refuses_a_duplicate_url(demo: None) -> None:
    _add("https://acme.example.com/cb")
    with refused("https://acme.example.com/cb is already on Demo SaaS App for Acme Corp."):
        _add("https://acme.example.com/cb")


def test_it_refuses_urls_for_an_organization_being_deleted(demo: None) -> None:
    organization_delete(actor=None, organization=_org(), confirm_name="acme")
    with refused("Acme Corp is being deleted."):
        _add("https://acme.example.com/cb")


def test_removing_a_url_drops_it_from_the_application(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    row = _add("https://acme.example.com/cb")
    settle(imported_tenant)

    with django_capture_on_commit_callbacks() as callbacks:
        application_url_remove(actor=staff_user(), row=row)

    assert len(sent_ops(callbacks)) == 1
    row.refresh_from_db()
    assert row.removing and audited()[-1] == "application_url.remove"
    assert operations()[-1] == ("application_urls.sync", None)
    settle(imported_tenant)
    assert "https://acme.example.com/cb" not in _remote_urls(imported_tenant)
    assert not ApplicationURL.objects.filter(pk=row.pk).exists()


def test_a_url_another_organization_wants_stays_on_the_application(imported_tenant: Any) -> None:
    shared = "https://shared.example.com/cb"
    acme_row, globex_row = _add(shared), _add(shared, org="globex")
    settle(imported_tenant)

    application_url_remove(actor=None, row=acme_row)
    settle(imported_tenant)

    assert _remote_urls(imported_tenant).count(shared) == 1  # globex still uses it
    assert list(ApplicationURL.objects.values_list("pk", flat=True)) == [globex_row.pk]

    application_url_remove(actor=None, row=globex_row)
    settle(imported_tenant)

    assert shared not in _remote_urls(imported_tenant)


def test_adding_back_a_url_being_removed_keeps_it(imported_tenant: Any) -> None:
    row = _add("https://acme.example.com/cb")
    settle(imported_tenant)
    application_url_remove(actor=None, row=row)

    again = _add("https://acme.example.com/cb")

    assert again.pk == row.pk and not again.removing
    settle(imported_tenant)
    assert "https://acme.example.com/cb" in _remote_urls(imported_tenant)
    assert_in_sync(again)
