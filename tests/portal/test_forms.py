"""The one way to do forms (portal.forms) and confirmations (portal.confirm)."""

from __future__ import annotations

import pytest
from django import forms
from django.test import RequestFactory

from orgs.services import ServiceError
from portal.confirm import Confirmation, render_confirmation, typed_matches
from portal.forms import PortalForm


class ExampleForm(PortalForm):
    name = forms.CharField(label="Short name", help_text="Lowercase letters and digits.")
    email = forms.EmailField(label="Admin email", required=False)
    notify = forms.BooleanField(label="Email the admin", required=False)


def test_a_valid_form_renders_labelled_fields_and_no_summary() -> None:
    html = str(ExampleForm())
    assert 'for="id_name"' in html and "Short name" in html
    assert 'id="id_name_helptext"' in html and 'aria-describedby="id_name_helptext"' in html
    assert "There is a problem" not in html


def test_errors_are_summarised_at_the_top_with_links_to_each_field() -> None:
    form = ExampleForm(data={"name": "", "email": "not-an-email"})
    assert not form.is_valid()
    html = str(form)
    summary = html.split("data-error-summary>")[1].split("</div>")[0]
    assert '<a href="#id_name">' in summary and '<a href="#id_email">' in summary
    assert html.index("There is a problem") < html.index('for="id_name"')


def test_each_invalid_field_describes_itself_by_its_hint_and_its_error() -> None:
    form = ExampleForm(data={"name": "", "email": "nope"})
    form.is_valid()
    html = str(form["name"].as_field_group())
    assert 'id="id_name_error"' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'aria-invalid="true"' in html


def test_a_service_error_lands_on_the_field_it_names_or_on_the_form() -> None:
    form = ExampleForm(data={"name": "acme"})
    form.is_valid()
    form.add_service_error(ServiceError("An organization named 'acme' exists.", field="name"))
    form.add_service_error(ServiceError("Auth0 is read-only today.", field="unknown"))
    assert form.errors["name"] == ["An organization named 'acme' exists."]
    assert form.non_field_errors() == ["Auth0 is read-only today."]


def test_a_checkbox_puts_its_box_before_its_label() -> None:
    html = str(ExampleForm()["notify"].as_field_group())
    assert html.index('type="checkbox"') < html.index("Email the admin")


@pytest.mark.django_db
def test_a_confirmation_says_what_happens_and_asks_for_the_typed_word() -> None:
    request = RequestFactory().post("/x", {"confirm": "acm"})
    request.user = type("U", (), {"is_authenticated": False, "is_staff": False})()
    confirmation = Confirmation(
        title="Delete Acme?",
        action_url="/orgs/1/delete/",
        button="Delete organization",
        cancel_url="/orgs/1/",
        impact=["3 members lose access."],
        type_to_confirm="acme",
    )
    html = render_confirmation(request, confirmation, error="Type acme exactly.").content.decode()
    assert "3 members lose access." in html and 'action="/orgs/1/delete/"' in html
    assert 'value="acm"' in html and 'href="#confirm-word"' in html
    assert not typed_matches(request, "acme")
    assert typed_matches(RequestFactory().post("/x", {"confirm": " acme "}), "acme")
