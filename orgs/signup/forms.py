"""The sign-up form and the "choose another short name" form. Every rule is checked on the
server; the page's script only suggests the short name and asks for its availability."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from orgs.forms.organizations import NAME_MAX
from orgs.models.organizations import organization_name_validator
from orgs.signup.emails_policy import email_domain_problem, normalise_email
from orgs.signup.names import clean_person_or_company_name
from orgs.signup.services import SignupDetails, slug_problem
from portal.forms import PortalForm

NAME_LENGTH = 100
# Bots fill every field they find; people never see this one (templates/signup/form.html).
HONEYPOT_FIELD = "website"


def slug_widget_attrs() -> dict[str, str]:
    """The short name asks signup:name_check as you type (htmx); static/js/portal.js fills
    it from the company name until the person edits it."""
    return {
        "autocapitalize": "none",
        "spellcheck": "false",
        "autocomplete": "off",
        "data-suggest-from": "id_company_name",
        "aria-describedby": "id_slug_helptext slug-availability",
        "hx-get": reverse("signup:name_check"),
        "hx-trigger": "input changed delay:400ms",
        "hx-target": "#slug-availability",
        "hx-sync": "this:replace",
    }


def clean_slug_value(value: str) -> str:
    slug = value.strip().lower()
    try:
        organization_name_validator(slug)
    except ValidationError as exc:
        raise ValidationError(" ".join(exc.messages)) from None
    problem = slug_problem(slug)
    if problem:
        raise ValidationError(problem)
    return slug


class SignupForm(PortalForm):
    company_name = forms.CharField(
        label="Company name",
        max_length=NAME_LENGTH * 2,  # cleaned below, after normalising
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        error_messages={"required": "Enter your company name."},
    )
    slug = forms.CharField(
        label="Short name",
        max_length=NAME_MAX,
        help_text="Your people type it when they sign in. Lowercase letters, numbers, - and _.",
        error_messages={"required": "Enter a short name."},
    )
    admin_name = forms.CharField(
        label="Your full name",
        max_length=NAME_LENGTH * 2,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Enter your full name."},
    )
    email = forms.CharField(
        label="Your work email address",
        max_length=254,
        help_text="We send a link to it. You become your organization's first administrator.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"required": "Enter your work email address."},
    )
    terms = forms.BooleanField(
        label="I accept the terms of service",
        error_messages={"required": "Accept the terms of service to sign up."},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")  # GOV.UK labels: no colon
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["slug"].widget.attrs.update(slug_widget_attrs())
        self.fields["terms"].help_text = format_html(
            'Read them first: <a href="{}" target="_blank" rel="noopener">terms of service</a> '
            "(opens in a new tab).",
            settings.SIGNUP_TERMS_URL,
        )

    def clean_company_name(self) -> str:
        return clean_person_or_company_name(
            self.cleaned_data["company_name"],
            field_label="your company name",
            max_length=NAME_LENGTH,
        )

    def clean_admin_name(self) -> str:
        return clean_person_or_company_name(
            self.cleaned_data["admin_name"], field_label="your full name", max_length=NAME_LENGTH
        )

    def clean_slug(self) -> str:
        return clean_slug_value(self.cleaned_data["slug"])

    def clean_email(self) -> str:
        try:
            email = normalise_email(self.cleaned_data["email"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        try:
            forms.EmailField().clean(email)
        except ValidationError:
            raise ValidationError("Enter an email address like name@yourcompany.com.") from None
        problem = email_domain_problem(email)
        if problem:
            raise ValidationError(problem)
        return email

    def details(self) -> SignupDetails:
        data = self.cleaned_data
        return SignupDetails(
            company_name=data["company_name"],
            slug=data["slug"],
            admin_name=data["admin_name"],
            email=data["email"],
        )


class NewSlugForm(PortalForm):
    slug = forms.CharField(
        label="Choose another short name",
        max_length=NAME_MAX,
        help_text="Lowercase letters, numbers, - and _.",
        error_messages={"required": "Enter a short name."},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")  # GOV.UK labels: no colon
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        attrs = slug_widget_attrs()
        attrs.pop("data-suggest-from")
        self.fields["slug"].widget.attrs.update(attrs)

    def clean_slug(self) -> str:
        return clean_slug_value(self.cleaned_data["slug"])
