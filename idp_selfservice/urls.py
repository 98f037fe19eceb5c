"""Self-service SSO pages, under /sso/. The organization's pk is in every URL; each view
checks it (idp_selfservice.access). One flat list, a comment per group: each part of the
wizard adds its own routes here."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.urls import URLPattern, path

from idp_selfservice.views import create_app, details, index, mapping, tasklist

app_name = "idp_selfservice"

SETUP = "<int:org_pk>/<int:setup_pk>/"


def _installed(module: str, routes: list[tuple[str, str, str]]) -> list[URLPattern]:
    """The routes (route, view function, name) of a part of the wizard that may not be
    installed yet: none when its module is missing, and only the views it has."""
    if find_spec(module) is None:
        return []
    views = import_module(module)
    return [path(r, getattr(views, v), name=n) for r, v, n in routes if hasattr(views, v)]


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
    # Step 5: test sign-in (idp_selfservice.views.testing, while it is being written).
    *_installed(
        "idp_selfservice.views.testing",
        [
            (SETUP + "test", "test_page", "test"),
            (SETUP + "test/start", "test_start", "test_start"),
            (SETUP + "tests/<int:test_pk>", "test_result", "test_result"),
        ],
    ),
    # Step 6 and the lifecycle (idp_selfservice.views.lifecycle, while it is being written).
    *_installed(
        "idp_selfservice.views.lifecycle",
        [
            (SETUP + "activate", "activate", "activate"),
            (SETUP + "disable", "disable", "disable"),
            (SETUP + "enable", "enable", "enable"),
            (SETUP + "delete", "delete", "delete"),
            (SETUP + "edit", "edit", "edit"),
            (SETUP + "swap", "swap", "swap"),
            (SETUP + "discard", "discard", "discard"),
        ],
    ),
    # Certificate lifecycle: confirm a staged rollover; staff: every certificate.
    *_installed(
        "idp_selfservice.views.certificates",
        [
            (SETUP + "certificate/swap", "certificate_swap", "certificate_swap"),
            ("certificates/", "certificates", "certificates"),
        ],
    ),
]
