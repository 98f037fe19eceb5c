"""Creating an organization from the browser (orgs:create) and the short name's live
availability check (orgs:name_check)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orgs.forms.organizations import suggest_organization_name
from orgs.models import (
    Application,
    ApplicationURL,
    Connection,
    ConnectionApplication,
    Invitation,
    MembershipModel,
    Organization,
    Role,
    SyncOperation,
)
from orgs.models.applications import UrlKind
from orgs.services.organizations import organization_provision
from tests.conftest import People, log_in
from tests.factories import ApplicationFactory
from tests.orgs.services import (
    demo_app,
    operations,
    refused,
    remote_org,
    settle,
    shared_connection,
    staff_user,
)

pytestmark = pytest.mark.django_db

CREATE_URL = "/orgs/new/"
CHECK_URL = "/orgs/new/name-check/"


def _form(**overrides: Any) -> dict[str, Any]:
    """A valid create form for Initech, as the browser posts it."""
    data: dict[str, Any] = {
        "display_name": "Initech Ltd",
        "name": "initech",
        "membership_model": MembershipModel.SHARED_DATABASE,
        "applications": [demo_app().pk],
        "callbacks": "https://{org}.app.example.com/callback",
        "allowed_logout_urls": "",
        "web_origins": "",
        "logo_url": "",
        "primary_color": "",
        "page_background_color": "",
        "first_admin_email": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def staff(imported_tenant: Any, client: Client) -> Client:
    return log_in(client, staff_user())


def _nothing_created() -> None:
    assert not Organization.objects.filter(name__startswith="initech").exists()
    assert not SyncOperation.objects.exists()
    assert not ApplicationURL.objects.filter(url__contains="initech").exists()


# --- the page ----------------------------------------------------------------------------


def test_the_form_offers_every_choice_with_the_url_templates_filled_in(staff: Client) -> None:
    html = staff.get(CREATE_URL).content.decode()
    for label in (
        "Display name",
        "Short name",
        "Members sign in with",
        "Applications",
        "Callback URLs",
        "Logout URLs",
        "Web origins",
        "Logo URL (optional)",
        "Primary colour (optional)",
        "Page background colour (optional)",
        "Key 1",
        "Value 1",
        "First admin email (optional)",
        "Create organization",
    ):
        assert label in html, label
    assert "https://{org}.app.example.com/callback" in html
    assert 'hx-get="/orgs/new/name-check/"' in html and 'id="name-availability"' in html
    assert "Demo SaaS App" in html and "Organization Admin Portal</label>" not in html
    assert f'value="{demo_app().pk}" id="id_applications_0" checked' in html
    assert "Shared database connection" in html and "Enterprise connections only" in html


def test_the_short_name_is_suggested_to_auth0s_rule() -> None:
    assert suggest_organization_name("Crème Brûlée & Co.") == "creme-brulee-co"
    assert suggest_organization_name("  --Acme_Corp  ") == "acme_corp"
    assert suggest_organization_name("x" * 80) == "x" * 50
    assert suggest_organization_name("!!!") == ""


# --- creating ----------------------------------------------------------------------------


def test_staff_create_an_organization_with_its_urls_admin_and_branding(
    staff: Client, imported_tenant: Any
) -> None:
    response = staff.post(
        CREATE_URL,
        _form(
            name="",  # left empty: the one suggested from the display name
            callbacks="https://{org}.app.example.com/callback\nhttps://initech.example.com/cb",
            allowed_logout_urls="https://{org}.app.example.com/",
            web_origins="https://{org}.app.example.com",
            logo_url="https://cdn.initech.test/logo.png",
            primary_color="#112233",
            page_background_color="FAFAFA",
            meta_key_0="plan",
            meta_value_0="gold",
            meta_key_1="",
            meta_value_1="",
            first_admin_email="Boss@Initech.test",
        ),
    )

    org = Organization.objects.get(name="initech-ltd")
    assert response.status_code == 302 and response["Location"] == f"/orgs/{org.pk}/"
    page = staff.get(response["Location"]).content.decode()
    assert "Initech Ltd is being set up in Auth0" in page
    assert org.display_name == "Initech Ltd" and org.metadata == {"plan": "gold"}
    assert (org.primary_color, org.page_background_color) == ("#112233", "#fafafa")
    assert org.organization_connections.get().connection == shared_connection()
    urls = set(org.application_urls.values_list("application__name", "kind", "url"))
    assert urls == {
        ("Demo SaaS App", UrlKind.CALLBACK, "https://initech-ltd.app.example.com/callback"),
        ("Demo SaaS App", UrlKind.CALLBACK, "https://initech.example.com/cb"),
        ("Demo SaaS App", UrlKind.LOGOUT, "https://initech-ltd.app.example.com/"),
        ("Demo SaaS App", UrlKind.WEB_ORIGIN, "https://initech-ltd.app.example.com"),
    }
    assert Invitation.objects.get(organization=org).email == "boss@initech.test"
    assert [kind for kind, _ in operations()] == [
        "organization.create",
        "organization_connection.sync",
        "invitation.send",
        "application_urls.sync",
    ]

    state = settle(imported_tenant)
    remote = remote_org(state, "initech-ltd")
    assert remote is not None and remote["metadata"]["plan"] == "gold"
    assert len(remote["invitations"]) == 1
    demo = state["clients"]["sandbox-demo-app"]
    assert "https://initech-ltd.app.example.com/callback" in demo["callbacks"]
    assert "https://initech-ltd.app.example.com" in demo["web_origins"]


def test_its_own_database_connection_serves_the_applications_ticked(
    staff: Client, imported_tenant: Any
) -> None:
    reports = ApplicationFactory(client_id="reports", name="Reports", organization_usage="allow")
    ApplicationFactory(client_id="billing", name="Billing", organization_usage="allow")

    response = staff.post(
        CREATE_URL,
        _form(membership_model=MembershipModel.OWN_DATABASE, applications=[reports.pk]),
    )

    assert response.status_code == 302
    org = Organization.objects.get(name="initech")
    connection = Connection.objects.get(organization=org)
    served = ConnectionApplication.objects.filter(connection=connection)
    # the ticked application, and the portal's login for the organization's admins
    assert {link.application for link in served} - {reports} == {
        Application.objects.get(is_portal_login=True)
    }
    assert org.application_urls.get().application == reports


def test_an_enterprise_only_organization_gets_no_connection(staff: Client) -> None:
    staff.post(CREATE_URL, _form(membership_model=MembershipModel.ENTERPRISE_ONLY))

    org = Organization.objects.get(name="initech")
    assert not org.organization_connections.exists()
    assert operations()[0] == ("organization.create", None)


# --- every refusal: the message beside its field, summarised on top, nothing created ------

LONG = "x" * 256
TOO_MANY_KEYS = {f"meta_key_{i}": f"k{i}" for i in range(25)} | {
    f"meta_value_{i}": "v" for i in range(25)
}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"display_name": ""}, "display_name", "Enter a display name."),
        ({"name": "Acme Corp"}, "name", "Use 1 to 50 lowercase letters, digits, &#x27;-&#x27;"),
        ({"name": "-acme"}, "name", "starting with a letter or digit"),
        ({"name": "admin"}, "name", "admin is reserved for the portal"),
        ({"name": "login"}, "name", "login is reserved for the portal"),
        ({"name": "staff"}, "name", "staff is reserved for the portal"),
        ({"name": "acme"}, "name", "acme is taken: choose another short name."),
        ({"primary_color": "#112233"}, "page_background_color", "Give a page background"),
        ({"page_background_color": "#112233"}, "primary_color", "Give a primary colour too"),
        ({"primary_color": "blue", "page_background_color": "#fff"}, "primary_color", "#3b4cca"),
        ({"logo_url": "http://cdn.test/l.png"}, "logo_url", "must be served over https"),
        ({"logo_url": "logo.png"}, "logo_url", "Enter the logo&#x27;s full address"),
        ({"meta_key_0": "portal_id", "meta_value_0": "1"}, "meta_key_0", "kept for the portal"),
        ({"meta_key_0": "", "meta_value_0": "gold"}, "meta_key_0", "Give this value a key"),
        ({"meta_key_0": "plan", "meta_value_0": LONG}, "meta_value_0", "at most 255 characters"),
        ({"meta_key_0": LONG, "meta_value_0": "v"}, "meta_key_0", "Keys are at most 255"),
        (
            {"meta_key_0": "a", "meta_value_0": "1", "meta_key_1": "a", "meta_value_1": "2"},
            "meta_key_1",
            "The key a is already used above.",
        ),
        (TOO_MANY_KEYS, "meta_key_24", "At most 24 metadata keys"),
        ({"callbacks": "not a url"}, "callbacks", "&#x27;not a url&#x27; is not a valid URL."),
        ({"callbacks": "http://initech.test/cb"}, "callbacks", "Use https"),
        ({"web_origins": "https://initech.test/path"}, "web_origins", "A web origin has no path"),
        ({"first_admin_email": "boss@"}, "first_admin_email", "Enter an email address like"),
        ({"membership_model": "ldap"}, "membership_model", "Select a valid choice"),
    ],
)
def test_each_problem_is_shown_on_its_field_and_nothing_is_created(
    staff: Client, overrides: dict[str, Any], field: str, message: str
) -> None:
    response = staff.post(CREATE_URL, _form(**overrides))

    assert response.status_code == 200
    html = response.content.decode()
    summary = html.split("data-error-summary>")[1].split("</div>")[0]
    assert message in summary and f'href="#id_{field}"' in summary
    assert f'id="id_{field}_error"' in html
    _nothing_created()


def test_the_staff_organization_setting_is_reserved_too(staff: Client, settings: Any) -> None:
    settings.AUTH0_STAFF_ORGANIZATION = "Crew"
    response = staff.post(CREATE_URL, _form(name="crew"))
    assert "crew is reserved for the portal" in response.content.decode()
    _nothing_created()


def test_an_organization_of_its_own_database_needs_an_application(staff: Client) -> None:
    response = staff.post(
        CREATE_URL, _form(membership_model=MembershipModel.OWN_DATABASE, applications=[])
    )
    assert "Choose at least one application" in response.content.decode()
    _nothing_created()


def test_a_refusal_after_the_organization_was_made_undoes_all_of_it(staff: Client) -> None:
    Role.objects.filter(name="org-admin").delete()  # the invitation is refused last

    response = staff.post(CREATE_URL, _form(first_admin_email="boss@initech.test"))

    assert response.status_code == 200
    assert "Unknown roles: org-admin" in response.content.decode()
    _nothing_created()
    assert not Connection.objects.filter(name__startswith="initech").exists()


def test_a_bad_url_reaching_the_service_leaves_nothing_created(imported_tenant: Any) -> None:
    with refused("'https://initech.test/a b' is not a valid URL.") as error:
        organization_provision(
            actor=staff_user(),
            name="initech",
            display_name="Initech",
            membership_model=MembershipModel.OWN_DATABASE,
            applications=[demo_app()],
            urls={UrlKind.CALLBACK: ["https://initech.test/ok", "https://initech.test/a b"]},
            first_admin_email="boss@initech.test",
        )
    assert error.value.field == UrlKind.CALLBACK


# --- the availability check --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("initech", "✓ initech is available"),
        ("Initech", "✓ initech is available"),
        ("acme", "acme is taken: choose another short name."),
        ("support", "support is reserved for the portal"),
        ("acme corp", "Use 1 to 50 lowercase letters"),
    ],
)
def test_the_name_check_says_whether_a_short_name_is_free(
    staff: Client, name: str, answer: str
) -> None:
    response = staff.get(CHECK_URL, {"name": name}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert answer in response.content.decode()
    assert "<html" not in response.content.decode()


def test_the_name_check_says_nothing_about_an_empty_name(staff: Client) -> None:
    assert staff.get(CHECK_URL, {"name": " "}).content.decode().strip() == ""


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [CREATE_URL, CHECK_URL + "?name=initech"])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, people: People, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("url", [CREATE_URL, CHECK_URL + "?name=initech"])
def test_customer_admins_and_members_get_404(client: Client, people: People, url: str) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get(url).status_code == 404
    assert client.post(CREATE_URL, {"display_name": "Sneaky"}).status_code == 404
    log_in(client, people.org_member)
    assert client.get(url).status_code == 404
    assert not Organization.objects.filter(display_name="Sneaky").exists()
