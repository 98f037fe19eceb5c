"""Self-service SSO pages, under /sso/. The organization's pk is in every URL; each view
checks it (idp_selfservice.access). One flat list, a comment per group."""

from __future__ import annotations

from django.urls import URLPattern, path

from idp_selfservice.views import (
    certificates,
    create_app,
    details,
    enforcement,
    index,
    lifecycle,
    mapping,
    scim,
    setup_links,
    sso_tickets,
    tasklist,
    testing,
)

app_name = "idp_selfservice"

SETUP = "<int:org_pk>/<int:setup_pk>/"


urlpatterns: list[URLPattern] = [
    # The organization's single sign-on, and step 1 (pick the identity provider).
    path("<int:org_pk>/", index.index, name="index"),
    path("<int:org_pk>/new", index.pick, name="pick"),
    # A setup's task list (its operations live with ?part=operations).
    path(SETUP, tasklist.setup_page, name="setup"),
    # Step 2: create the app in the IdP, and our SP metadata.
    path(SETUP + "create-app", create_app.create_app, name="create_app"),
    path(SETUP + "sp-metadata.xml", create_app.sp_metadata, name="sp_metadata"),
    # Step 3: tell us about the IdP, and what we found.
    path(SETUP + "idp", details.details, name="details"),
    path(SETUP + "idp/found", details.found, name="found"),
    # Step 4: attribute mapping.
    path(SETUP + "mapping", mapping.mapping, name="mapping"),
    # Step 5: test sign-in (the tested account comes back through /auth/callback).
    path(SETUP + "test", testing.test_page, name="test"),
    path(SETUP + "test/start", testing.test_start, name="test_start"),
    path(SETUP + "tests/<int:test_pk>", testing.test_result, name="test_result"),
    # Step 6 and the lifecycle: turn on/off, delete, edit as a draft copy and swap it in.
    path(SETUP + "activate", lifecycle.activate, name="activate"),
    path(SETUP + "disable", lifecycle.disable, name="disable"),
    path(SETUP + "enable", lifecycle.enable, name="enable"),
    path(SETUP + "delete", lifecycle.delete, name="delete"),
    path(SETUP + "edit", lifecycle.edit, name="edit"),
    path(SETUP + "swap", lifecycle.swap, name="swap"),
    path(SETUP + "discard", lifecycle.discard, name="discard"),
    # Certificate lifecycle: confirm a staged rollover; staff: every certificate.
    path(SETUP + "certificate/swap", certificates.certificate_swap, name="certificate_swap"),
    # Directory provisioning (SCIM) of an active setup's connection, and its tokens.
    path(SETUP + "scim", scim.scim_page, name="scim"),
    path(SETUP + "scim/enable", scim.scim_enable, name="scim_enable"),
    path(SETUP + "scim/disable", scim.scim_disable, name="scim_disable"),
    path(SETUP + "scim/tokens/new", scim.scim_token_new, name="scim_token_new"),
    path(
        SETUP + "scim/tokens/<str:token_id>/revoke",
        scim.scim_token_revoke,
        name="scim_token_revoke",
    ),
    path("certificates/", certificates.certificates, name="certificates"),
    # Require single sign-on (confirmation pages); staff: the break-glass sign-in.
    path("<int:org_pk>/require-sso", enforcement.require, name="require_sso"),
    path("<int:org_pk>/allow-passwords", enforcement.allow, name="allow_passwords"),
    path("<int:org_pk>/break-glass", enforcement.break_glass, name="break_glass"),
    # Setup links for the IT contact (the contact opens them at /setup/<token>, portal/urls.py).
    path("<int:org_pk>/links", setup_links.links, name="setup_links"),
    path("<int:org_pk>/links/new", setup_links.create, name="setup_link_create"),
    path("<int:org_pk>/links/<int:link_pk>/revoke", setup_links.revoke, name="setup_link_revoke"),
    path("<int:org_pk>/links/<int:link_pk>/resend", setup_links.resend, name="setup_link_resend"),
    # Staff: Auth0's own Self-Service SSO tickets (issue, list, revoke; profiles).
    path("<int:org_pk>/sso-tickets", sso_tickets.tickets, name="sso_tickets"),
    path("<int:org_pk>/sso-tickets/profiles", sso_tickets.new_profile, name="sso_ticket_profile"),
    path(
        "<int:org_pk>/sso-tickets/<int:ticket_pk>/revoke",
        sso_tickets.revoke,
        name="sso_ticket_revoke",
    ),
]
