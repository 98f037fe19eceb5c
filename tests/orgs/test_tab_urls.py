"""The organization page's Application URLs tab: the organization's URLs by application
and kind, adding one, and removing one after a confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orgs.models import ApplicationURL, AuditEvent, OrgStatus, Origin, SyncOperation, SyncState
from orgs.models.applications import UrlKind
from tests.conftest import People, log_in
from tests.factories import ApplicationFactory
from tests.orgs.engine import sent_ops
from tests.orgs.services import rows

pytestmark = pytest.mark.django_db

CALLBACK = "https://acme.app.example.test/callback"


@pytest.fixture
def app(people: People) -> Any:
    return ApplicationFactory(name="Demo SaaS App")


@pytest.fixture
def callback(people: People, app: Any) -> ApplicationURL:
    return ApplicationURL.objects.create(
        organization=people.organization,
        application=app,
        kind=UrlKind.CALLBACK,
        url=CALLBACK,
        sync_state=SyncState.IN_SYNC,
    )


def _url(people: People, suffix: str = "") -> str:
    return f"/orgs/{people.organization.pk}/urls/{suffix}"


def _add(app: Any, url: str, kind: str = UrlKind.CALLBACK) -> dict[str, Any]:
    return {"application": app.pk, "kind": kind, "url": url}


def test_staff_see_the_urls_by_application_and_kind_with_their_state(
    client: Client, people: People, app: Any, callback: ApplicationURL
) -> None:
    ApplicationURL.objects.create(
        organization=people.organization,
        application=app,
        kind=UrlKind.LOGOUT,
        url="https://acme.app.example.test/bye",
        removing=True,
    )
    log_in(client, people.staff)
    content = client.get(_url(people)).content.decode()
    assert CALLBACK in content and "Callback URL" in content and "In sync" in content
    assert "Logout URL" in content and "Removing" in content
    assert content.count(">Remove<span") == 1  # a URL on its way out has no Remove


def test_a_failed_url_says_where_to_look(
    client: Client, people: People, callback: ApplicationURL
) -> None:
    ApplicationURL.objects.filter(pk=callback.pk).update(
        sync_state=SyncState.FAILED, sync_error="Auth0 400: invalid callback"
    )
    log_in(client, people.staff)
    content = client.get(_url(people)).content.decode()
    assert "Failed" in content and "See why in Activity" in content
    assert "invalid callback" not in content


def test_the_organizations_own_admin_sees_the_tab(
    client: Client, people: People, callback: ApplicationURL
) -> None:
    log_in(client, people.org_admin, people.organization)
    response = client.get(_url(people))
    assert response.status_code == 200 and CALLBACK in response.content.decode()


def test_another_organizations_admin_and_a_member_get_404(
    client: Client, people: People, app: Any, callback: ApplicationURL
) -> None:
    before = rows()
    log_in(client, people.outsider, people.other_organization)
    for url in (_url(people), _url(people, f"{callback.pk}/remove/")):
        assert client.get(url).status_code == 404
    assert client.post(_url(people, "add/"), _add(app, CALLBACK + "2")).status_code == 404
    assert client.post(_url(people, f"{callback.pk}/remove/")).status_code == 404
    client.logout()
    log_in(client, people.org_member)
    assert client.get(_url(people)).status_code == 404
    assert rows() == before


def test_a_url_of_another_organization_is_not_found_from_this_one(
    client: Client, people: People, app: Any
) -> None:
    theirs = ApplicationURL.objects.create(
        organization=people.other_organization, application=app, kind=UrlKind.CALLBACK, url=CALLBACK
    )
    log_in(client, people.staff)
    assert client.post(_url(people, f"{theirs.pk}/remove/")).status_code == 404
    assert not ApplicationURL.objects.get(pk=theirs.pk).removing


@pytest.mark.parametrize("suffix", ["", "add/", "1/remove/"])
def test_anonymous_visitors_are_sent_to_login(client: Client, people: People, suffix: str) -> None:
    response = client.post(_url(people, suffix))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_adding_a_url_records_the_applications_sync_and_an_audit_event(
    client: Client, people: People, app: Any, django_capture_on_commit_callbacks: Any
) -> None:
    log_in(client, people.org_admin, people.organization)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(_url(people, "add/"), _add(app, CALLBACK), follow=True)
    content = response.content.decode()
    assert f"Adding {CALLBACK} to Demo SaaS App. It shows as In sync once Auth0 has it." in content
    row = ApplicationURL.objects.get(organization=people.organization, url=CALLBACK)
    assert row.kind == UrlKind.CALLBACK and row.sync_state == SyncState.PENDING
    [op] = SyncOperation.objects.filter(kind="application_urls.sync")
    assert op.target_type == "application" and op.target_id == app.pk
    assert op.organization == people.organization and op.origin == Origin.CUSTOMER
    assert sent_ops(callbacks) == [op.pk]
    [event] = AuditEvent.objects.filter(action="application_url.add")
    assert event.target == CALLBACK and event.details["kind"] == UrlKind.CALLBACK


@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        (UrlKind.CALLBACK, "not a url", "&#x27;not a url&#x27; is not a valid URL."),
        (UrlKind.CALLBACK, "http://acme.example.test/cb", "Use https (http is only allowed"),
        (UrlKind.WEB_ORIGIN, "https://acme.example.test/path", "A web origin has no path"),
    ],
)
def test_the_services_refusal_shows_on_the_url_field_and_nothing_changes(
    client: Client, people: People, app: Any, kind: str, url: str, message: str
) -> None:
    before = rows()
    log_in(client, people.staff)
    response = client.post(_url(people, "add/"), _add(app, url, kind))
    content = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in content
    assert f'<a href="#id_url">{message}' in content and 'id="id_url_error"' in content
    assert rows() == before


def test_a_url_already_there_is_refused(
    client: Client, people: People, app: Any, callback: ApplicationURL
) -> None:
    before = rows()
    log_in(client, people.staff)
    content = client.post(_url(people, "add/"), _add(app, CALLBACK)).content.decode()
    assert f"{CALLBACK} is already on Demo SaaS App for Acme." in content
    assert rows() == before


def test_an_empty_form_names_each_missing_field(client: Client, people: People) -> None:
    log_in(client, people.staff)
    content = client.post(_url(people, "add/"), {}).content.decode()
    assert '<a href="#id_application">Choose the application the URL is for.' in content
    assert '<a href="#id_url">Enter the URL.' in content


def test_a_deleted_organization_cannot_get_urls(client: Client, people: People, app: Any) -> None:
    people.organization.status = OrgStatus.DELETING
    people.organization.save()
    before = rows()
    log_in(client, people.staff)
    content = client.post(_url(people, "add/"), _add(app, CALLBACK)).content.decode()
    assert "Acme is being deleted." in content and rows() == before


def test_removing_asks_first_and_changes_nothing_until_confirmed(
    client: Client, people: People, callback: ApplicationURL
) -> None:
    before = rows()
    log_in(client, people.staff)
    remove_url = _url(people, f"{callback.pk}/remove/")
    assert f'href="{remove_url}"' in client.get(_url(people)).content.decode()
    page = client.get(remove_url).content.decode()
    assert "Remove this callback URL from Demo SaaS App?" in page
    assert f"Demo SaaS App stops accepting {CALLBACK} as a callback URL for Acme." in page
    assert "Remove URL" in page and f'action="{remove_url}"' in page
    assert rows() == before


def test_removing_marks_the_url_and_records_the_applications_sync(
    client: Client, people: People, callback: ApplicationURL
) -> None:
    log_in(client, people.staff)
    response = client.post(_url(people, f"{callback.pk}/remove/"), follow=True)
    content = response.content.decode()
    assert f"Removing {CALLBACK} from Demo SaaS App." in content and "Removing</span>" in content
    callback.refresh_from_db()
    assert callback.removing
    [op] = SyncOperation.objects.filter(kind="application_urls.sync")
    assert op.origin == Origin.STAFF
    assert AuditEvent.objects.filter(action="application_url.remove", target=CALLBACK).exists()


def test_removing_a_url_twice_records_nothing_more(
    client: Client, people: People, callback: ApplicationURL
) -> None:
    log_in(client, people.staff)
    client.post(_url(people, f"{callback.pk}/remove/"))
    before = rows()
    response = client.post(_url(people, f"{callback.pk}/remove/"), follow=True)
    assert f"{CALLBACK} is being removed already." in response.content.decode()
    assert rows() == before
