"""The wizard's pages as a person sees them: the SSO index, step 1 (pick), the task list,
step 2 (create the app, copy buttons, SP metadata), what we found, and step 4."""

from __future__ import annotations

from importlib.util import find_spec
from xml.etree import ElementTree

import pytest
from django.test import Client

from idp_selfservice.models import SetupState, SsoSetup, SsoTest
from idp_selfservice.models import TestOutcome as Outcome
from idp_selfservice.sp_values import sp_values
from orgs.models import Domain
from orgs.models.organizations import DomainStatus
from tests.conftest import People, log_in
from tests.idp_selfservice._wizard import (
    ORG_ROUTES,
    SAML_SUMMARY,
    SETUP_ROUTES,
    make_setup,
    org_url,
    url,
)

pytestmark = pytest.mark.django_db

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
HAS_TEST_PAGES = find_spec("idp_selfservice.views.testing") is not None
HAS_LIFECYCLE = find_spec("idp_selfservice.views.lifecycle") is not None


def _page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


@pytest.mark.parametrize("who", ["staff", "org_admin"])
@pytest.mark.parametrize("provider", ["okta", "entra", "google", "adfs", "ping", "saml", "oidc"])
def test_every_page_renders_for_the_admin_and_staff(
    client: Client, people: People, who: str, provider: str
) -> None:
    setup = make_setup(people.organization, provider, idp_summary=SAML_SUMMARY)
    log_in(client, getattr(people, who), None if who == "staff" else people.organization)
    for name in SETUP_ROUTES:
        if name == "sp_metadata" and provider == "oidc":
            assert client.get(url(name, setup)).status_code == 404
            continue
        response = client.get(url(name, setup))
        assert response.status_code == 200, (provider, name)
    for name in ORG_ROUTES:
        assert client.get(org_url(name, people.organization)).status_code == 200


def test_the_organization_page_has_a_single_sign_on_tab(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    page = _page(client, f"/orgs/{people.organization.pk}/domains/")
    assert f'href="/sso/{people.organization.pk}/">Single sign-on</a>' in page
    assert page.index(">Domains</a>") < page.index(">Single sign-on</a>")


# --- the index -------------------------------------------------------------------------------


def test_the_index_lists_setups_with_drafts_certificates_and_the_verified_domains(
    client: Client, people: People
) -> None:
    org = people.organization
    live = make_setup(org, "okta", state=SetupState.ACTIVE, idp_summary=SAML_SUMMARY)
    draft = make_setup(
        org, "okta", connection_name="acme-okta-draft", replaces=live, idp_summary=SAML_SUMMARY
    )
    make_setup(org, "oidc")
    make_setup(org, "saml", connection_name="acme-gone", state=SetupState.DELETED)
    Domain.objects.create(
        organization=org, domain="acme.test", verification_token="t", status=DomainStatus.VERIFIED
    )
    Domain.objects.create(organization=org, domain="acme.example", verification_token="u")
    log_in(client, people.org_admin, org)
    page = _page(client, org_url("index", org))
    assert "Set up single sign-on" in page and f'href="/sso/{org.pk}/new"' in page
    live_row = page.split(f'id="setup-{live.pk}"')[1].split("</tr>")[0]
    assert "On: members sign in through it" in live_row and "is valid until" in live_row
    assert 'src="/static/idp_selfservice/logos/okta.svg"' in live_row
    draft_row = page.split(f'id="setup-{draft.pk}"')[1].split("</tr>")[0]
    assert "Draft changes" in draft_row and "the live connection keeps working" in draft_row
    assert page.index(f'id="setup-{live.pk}"') < page.index(f'id="setup-{draft.pk}"')
    assert "OpenID Connect uses the provider's published keys" in page
    assert "acme-gone" not in page
    assert (
        "<code>acme.test</code>" in page and "Not verified yet: <code>acme.example</code>" in page
    )
    assert "When you turn a connection on, it gets these domains" in page


def test_an_expiring_certificate_is_flagged_on_the_index(client: Client, people: People) -> None:
    summary = {
        **SAML_SUMMARY,
        "certificates": [
            {**SAML_SUMMARY["certificates"][0], "not_after": "2020-01-01T00:00:00+00:00"}
        ],
    }
    setup = make_setup(people.organization, idp_summary=summary)
    log_in(client, people.staff)
    row = _page(client, org_url("index", people.organization)).split(f'id="setup-{setup.pk}"')[1]
    assert 'badge badge-bad">Expired' in row.split("</tr>")[0]


# --- step 1 ------------------------------------------------------------------------------------


def test_the_picker_is_a_radio_list_with_logos_names_and_summaries(
    client: Client, people: People
) -> None:
    log_in(client, people.org_admin, people.organization)
    page = _page(client, org_url("pick", people.organization))
    assert "Step 1 of 6: Pick your identity provider" in page
    for key, name in [("okta", "Okta"), ("entra", "Microsoft Entra ID"), ("oidc", "Other OpenID")]:
        assert f'type="radio" name="provider" value="{key}"' in page
        assert f"/static/idp_selfservice/logos/{key}.svg" in page
        assert name in page
    assert "A SAML app in your Okta Admin Console." in page


def test_picking_a_provider_starts_a_setup_and_shows_its_task_list(
    client: Client, people: People
) -> None:
    log_in(client, people.org_admin, people.organization)
    response = client.post(org_url("pick", people.organization), {"provider": "entra"})
    setup = SsoSetup.objects.get()
    assert (setup.organization, setup.provider, setup.state) == (
        people.organization,
        "entra",
        SetupState.DRAFT,
    )
    assert response.status_code == 302 and response["Location"] == url("setup", setup)


def test_picking_nothing_says_what_to_do_and_starts_nothing(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    response = client.post(org_url("pick", people.organization), {"provider": "nope"})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    response = client.post(org_url("pick", people.organization), {})
    assert "Choose your identity provider." in response.content.decode()
    assert not SsoSetup.objects.exists()


# --- the task list --------------------------------------------------------------------------


def _status(page: str, number: int) -> str:
    return page.split(f'id="task-{number}-status"')[1].split("</div>")[0]


def test_a_new_setup_has_steps_to_start_and_steps_that_cannot_start_yet(
    client: Client, people: People
) -> None:
    setup = make_setup(people.organization)
    log_in(client, people.org_admin, people.organization)
    page = _page(client, url("setup", setup))
    assert "Completed" in _status(page, 1)
    assert "Not started" in _status(page, 2) and "Not started" in _status(page, 3)
    for number in (4, 5, 6):
        assert "Cannot start yet" in _status(page, number)
    assert f'href="{url("create_app", setup)}" aria-describedby="task-2-status"' in page
    assert f'href="{url("details", setup)}"' in page
    assert "Changes sent to Auth0" not in page  # no connection yet


@pytest.mark.skipif(not (HAS_TEST_PAGES and HAS_LIFECYCLE), reason="steps 5-6 not installed")
def test_a_tested_setup_links_to_the_test_and_turning_it_on(client: Client, people: People) -> None:
    from tests.factories import ConnectionFactory

    connection = ConnectionFactory(name="acme-okta", strategy="samlp")
    setup = make_setup(
        people.organization,
        connection=connection,
        state=SetupState.TESTED,
        idp_summary=SAML_SUMMARY,
    )
    log_in(client, people.staff)
    page = _page(client, url("setup", setup))
    assert "Passed" in _status(page, 5) and "Not started" in _status(page, 6)
    assert f'href="{url("test", setup)}"' in page and f'href="{url("activate", setup)}"' in page
    assert "Changes sent to Auth0" in page


def test_a_failed_test_shows_failed_with_the_reason(client: Client, people: People) -> None:
    from tests.factories import ConnectionFactory

    setup = make_setup(
        people.organization,
        connection=ConnectionFactory(name="acme-okta"),
        idp_summary=SAML_SUMMARY,
    )
    SsoTest.objects.create(setup=setup, outcome=Outcome.FAILED, reason="The audience is wrong.")
    log_in(client, people.staff)
    page = _page(client, url("setup", setup))
    assert "Failed" in _status(page, 5) and "The audience is wrong." in page
    assert "Completed" in _status(page, 3) and "Completed" in _status(page, 4)
    assert "Cannot start yet" in _status(page, 6)


def test_a_draft_copy_is_titled_as_a_draft_of_the_live_one(client: Client, people: People) -> None:
    live = make_setup(people.organization, state=SetupState.ACTIVE)
    draft = make_setup(people.organization, connection_name="acme-okta-draft", replaces=live)
    log_in(client, people.staff)
    page = _page(client, url("setup", draft))
    assert "Draft changes to Okta (acme-okta)" in page
    assert "Swap the changes into acme-okta" in page


# --- step 2 ------------------------------------------------------------------------------------


def test_create_app_shows_okta_s_labels_with_copy_buttons_and_the_metadata_link(
    client: Client, people: People
) -> None:
    setup = make_setup(people.organization, "okta")
    values = sp_values(setup.connection_name)
    log_in(client, people.org_admin, people.organization)
    page = _page(client, url("create_app", setup))
    assert "Step 2 of 6: Create the app in Okta" in page
    assert f'href="{url("setup", setup)}">Back to the task list' in page
    for label, value in [
        ("Single sign-on URL", values.acs_url),
        ("Audience URI (SP Entity ID)", values.entity_id),
    ]:
        assert f">{label}</p>" in page
        box = page.split(f">{label}</p>")[1].split("</div>")[0]
        assert value.replace("&", "&amp;") in box
        assert f'aria-label="Copy {label}"' in box and 'type="button"' in box
        code_id = box.split('<code id="')[1].split('"')[0]
        assert f'data-copy="#{code_id}"' in box
    assert "<code>user.firstName</code>" in page and "<code>firstName</code>" in page
    assert "Assign yourself to test" in page and "Assign to People" in page
    assert f'href="{url("sp_metadata", setup)}"' in page
    assert f'href="{url("details", setup)}">Continue' in page


def test_create_app_for_oidc_shows_the_redirect_uri_and_no_saml_parts(
    client: Client, people: People
) -> None:
    setup = make_setup(people.organization, "oidc")
    log_in(client, people.staff)
    page = _page(client, url("create_app", setup))
    assert 'aria-label="Copy Redirect URI"' in page
    assert sp_values(setup.connection_name).redirect_uri in page
    assert "sp-metadata.xml" not in page and "Attribute statements" not in page


def test_create_app_for_a_draft_copy_says_to_add_its_acs_url_as_an_extra_one(
    client: Client, people: People
) -> None:
    live = make_setup(people.organization, "entra", state=SetupState.ACTIVE)
    draft = make_setup(
        people.organization, "entra", connection_name="acme-entra-draft", replaces=live
    )
    log_in(client, people.staff)
    page = _page(client, url("create_app", draft))
    assert "stays as it is for the live connection" in page and "a second Reply URL" in page
    assert sp_values("acme-entra-draft").acs_url in page
    # The draft presents itself with the live entity ID, which the IdP already has.
    assert sp_values("acme-entra").entity_id in page
    assert sp_values("acme-entra-draft").entity_id not in page


def test_the_sp_metadata_is_a_well_formed_download_with_the_entity_id_and_acs(
    client: Client, people: People
) -> None:
    setup = make_setup(people.organization, "okta")
    values = sp_values(setup.connection_name)
    log_in(client, people.org_admin, people.organization)
    response = client.get(url("sp_metadata", setup))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/samlmetadata+xml"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{setup.connection_name}-sp-metadata.xml"'
    )
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{MD}EntityDescriptor" and root.get("entityID") == values.entity_id
    sp = root.find(f"{MD}SPSSODescriptor")
    assert sp is not None
    acs = sp.find(f"{MD}AssertionConsumerService")
    assert acs is not None and acs.get("Location") == values.acs_url
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    name_id = sp.find(f"{MD}NameIDFormat")
    assert name_id is not None
    assert name_id.text == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"


# --- what we found; step 4 -----------------------------------------------------------------------


def test_found_shows_the_entity_id_endpoints_certificates_and_warnings(
    client: Client, people: People
) -> None:
    setup = make_setup(people.organization, idp_summary=SAML_SUMMARY)
    log_in(client, people.staff)
    page = _page(client, url("found", setup))
    assert SAML_SUMMARY["entity_id"] in page and "HTTP-Redirect" in page
    assert "AA:BB" in page and "1 Jan 2034" in page and "Days left" in page
    assert "Please check" in page and "Check this." in page
    assert f'href="{url("mapping", setup)}">Continue to attribute mapping' in page


def test_found_without_details_goes_to_step_3(client: Client, people: People) -> None:
    setup = make_setup(people.organization)
    log_in(client, people.staff)
    response = client.get(url("found", setup))
    assert response.status_code == 302 and response["Location"] == url("details", setup)


def test_the_mapping_is_prefilled_with_the_provider_s_defaults(
    client: Client, people: People
) -> None:
    setup = make_setup(people.organization, "entra")
    log_in(client, people.staff)
    page = _page(client, url("mapping", setup))
    assert "Step 4 of 6: Attribute mapping" in page
    assert 'value="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"' in page
    assert "Leave blank to use the NameID." in page


def test_the_oidc_mapping_speaks_of_claims_and_sub(client: Client, people: People) -> None:
    setup = make_setup(people.organization, "oidc")
    log_in(client, people.staff)
    page = _page(client, url("mapping", setup))
    assert "The claim that holds the email address" in page and "use the sub claim" in page


def test_an_active_setup_is_not_changed_in_steps_3_and_4(client: Client, people: People) -> None:
    setup = make_setup(
        people.organization, state=SetupState.ACTIVE, attribute_map={"email": "email"}
    )
    log_in(client, people.staff)
    for name in ("details", "mapping"):
        page = _page(client, url(name, setup))
        assert "edit it as a draft copy" in page and '<form method="post"' not in page.split(
            'class="tabs"'
        )[1].split("</main>")[0].replace('action="/logout/"', "")
    client.post(url("mapping", setup), {"email": "mail"})
    setup.refresh_from_db()
    assert setup.attribute_map == {"email": "email"}


def test_the_task_list_polls_its_operations_until_they_settle(
    client: Client, people: People
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from orgs.models import SyncOperation
    from tests.idp_selfservice._wizard import fixture

    setup = make_setup(people.organization)
    log_in(client, people.org_admin, people.organization)
    upload = SimpleUploadedFile("okta.xml", fixture("okta.xml"))
    client.post(url("details", setup), {"method": "file", "metadata_file": upload})
    live = url("setup", setup) + "?part=operations"
    page = _page(client, url("setup", setup))
    assert f'hx-get="{live}"' in page and "Create the connection" in page
    partial = client.get(live)
    assert "Create the connection" in partial.content.decode()
    assert "HX-Trigger" not in partial
    SyncOperation.objects.update(state="succeeded")
    partial = client.get(live)
    assert partial["HX-Trigger"] == "operationsSettled"
    assert "hx-get" not in partial.content.decode()
