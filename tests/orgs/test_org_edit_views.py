"""Editing an organization (orgs:edit): display name, branding and metadata, and two staff
editing at once (the second save is refused with what changed, never applied silently)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orgs.models import AuditEvent, Organization, OrgStatus, SyncOperation
from tests.conftest import People, log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _edit_url(org: Organization) -> str:
    return f"/orgs/{org.pk}/edit/"


def _form(org: Organization, **overrides: Any) -> dict[str, Any]:
    """The edit form as the browser posts it, opened at the organization's version now."""
    data: dict[str, Any] = {
        "display_name": org.display_name,
        "logo_url": org.logo_url,
        "primary_color": org.primary_color,
        "page_background_color": org.page_background_color,
        "version": org.version,
    }
    for index, (key, value) in enumerate(org.metadata.items()):
        data[f"meta_key_{index}"], data[f"meta_value_{index}"] = key, value
    data.update(overrides)
    return data


@pytest.fixture
def acme(people: People) -> Organization:
    org: Organization = people.organization
    org.display_name, org.metadata = "Acme", {"plan": "gold", "region": "eu"}
    org.save()
    return org


def test_the_form_shows_the_current_values_and_the_fixed_short_name(
    client: Client, people: People, acme: Organization
) -> None:
    log_in(client, people.staff)
    html = client.get(_edit_url(acme)).content.decode()

    assert "Edit Acme" in html and "Save changes" in html
    assert "<code>acme</code>" in html and "cannot be changed" in html
    assert 'name="name"' not in html  # no short name field
    assert f'name="version" value="{acme.version}"' in html
    assert 'name="meta_key_0" value="plan"' in html and 'name="meta_value_1" value="eu"' in html
    assert 'name="meta_key_4"' in html and 'name="meta_key_5"' not in html  # 3 empty rows
    assert "Callback URLs" not in html and "First admin" not in html


def test_staff_save_a_change_which_goes_to_auth0(
    client: Client, people: People, acme: Organization
) -> None:
    log_in(client, people.staff)
    response = client.post(
        _edit_url(acme),
        _form(
            acme,
            display_name="Acme Corporation",
            primary_color="#112233",
            page_background_color="#ffffff",
            meta_key_1="",
            meta_value_1="",  # region cleared: removed
            meta_key_2="tier",
            meta_value_2="1",
        ),
    )

    assert response.status_code == 302 and response["Location"] == f"/orgs/{acme.pk}/"
    acme.refresh_from_db()
    assert acme.display_name == "Acme Corporation" and acme.version == 2
    assert acme.metadata == {"plan": "gold", "tier": "1"}
    assert acme.primary_color == "#112233"
    op = SyncOperation.objects.get(kind="organization.update")
    assert op.payload["removed_keys"] == ["region"]
    event = AuditEvent.objects.get(action="organization.update")
    assert set(event.details["changed"]) == {
        "display_name",
        "metadata",
        "primary_color",
        "page_background_color",
    }
    assert (
        "Saved. The change to Acme Corporation" in client.get(response["Location"]).content.decode()
    )


def test_saving_without_a_change_records_nothing(
    client: Client, people: People, acme: Organization
) -> None:
    log_in(client, people.staff)
    response = client.post(_edit_url(acme), _form(acme), follow=True)
    assert "Nothing changed, so nothing was saved." in response.content.decode()
    assert not SyncOperation.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"display_name": ""}, "display_name", "Enter a display name."),
        ({"logo_url": "http://cdn.acme.test/logo.png"}, "logo_url", "served over https"),
        ({"primary_color": "#12345"}, "primary_color", "Use a colour like #3b4cca"),
        ({"meta_key_2": "portal_id", "meta_value_2": "x"}, "meta_key_2", "kept for the portal"),
    ],
)
def test_a_problem_is_shown_and_nothing_is_saved(
    client: Client,
    people: People,
    acme: Organization,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    log_in(client, people.staff)
    response = client.post(_edit_url(acme), _form(acme, **overrides))

    assert response.status_code == 200
    summary = response.content.decode().split("data-error-summary>")[1].split("</div>")[0]
    assert message in summary and f'href="#id_{field}"' in summary
    acme.refresh_from_db()
    assert acme.version == 1 and not SyncOperation.objects.exists()


def test_the_second_of_two_staff_editing_at_once_is_told_what_changed(
    people: People, acme: Organization
) -> None:
    first = log_in(Client(), people.staff)
    colleague = UserFactory(sub="auth0|staff2", email="colleague@portal.test", is_staff=True)
    second = log_in(Client(), colleague)
    opened_first, opened_second = _form(acme), _form(acme)  # both open the form at version 1
    assert first.get(_edit_url(acme)).status_code == second.get(_edit_url(acme)).status_code

    saved = first.post(_edit_url(acme), opened_first | {"display_name": "Acme Industries"})
    assert saved.status_code == 302
    refused = second.post(_edit_url(acme), opened_second | {"logo_url": "https://acme.test/l.png"})

    assert refused.status_code == 200
    html = refused.content.decode()
    summary = html.split("data-error-summary>")[1].split("</div>")[0]
    assert "staff@portal.test changed display name of Acme Industries while you were editing" in (
        summary
    )
    assert "Your changes were not saved" in summary
    assert 'value="Acme Industries"' in html and 'name="version" value="2"' in html
    acme.refresh_from_db()
    assert acme.display_name == "Acme Industries" and acme.logo_url == "" and acme.version == 2

    # Saving again from the refreshed form (now at version 2) works.
    again = second.post(_edit_url(acme), _form(acme, logo_url="https://acme.test/l.png", version=2))
    assert again.status_code == 302
    acme.refresh_from_db()
    assert acme.logo_url == "https://acme.test/l.png" and acme.version == 3


def test_an_organization_being_deleted_cannot_be_edited(
    client: Client, people: People, acme: Organization
) -> None:
    Organization.objects.filter(pk=acme.pk).update(status=OrgStatus.DELETING)
    log_in(client, people.staff)
    response = client.post(_edit_url(acme), _form(acme, display_name="Too late"))
    assert response.status_code == 200
    assert "is being deleted; it can no longer be changed." in response.content.decode()
    acme.refresh_from_db()
    assert acme.display_name == "Acme"


def test_the_overview_links_staff_to_the_form(client: Client, people: People) -> None:
    log_in(client, people.staff)
    html = client.get(f"/orgs/{people.organization.pk}/").content.decode()
    assert f'href="/orgs/{people.organization.pk}/edit/">Edit</a>' in html


def test_customer_admins_see_no_staff_actions(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    html = client.get(f"/orgs/{people.organization.pk}/").content.decode()
    assert "/edit/" not in html and "/suspend/" not in html and "/delete/" not in html


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, people: People) -> None:
    response = client.get(_edit_url(people.organization))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_customers_get_404_even_for_their_own_organization(
    client: Client, people: People, acme: Organization
) -> None:
    log_in(client, people.org_admin, acme)
    assert client.get(_edit_url(acme)).status_code == 404
    assert client.post(_edit_url(acme), _form(acme, display_name="Mine")).status_code == 404
    log_in(client, people.outsider, people.other_organization)
    assert client.get(_edit_url(acme)).status_code == 404
    log_in(client, people.org_member)
    assert client.get(_edit_url(acme)).status_code == 404
    acme.refresh_from_db()
    assert acme.display_name == "Acme"
