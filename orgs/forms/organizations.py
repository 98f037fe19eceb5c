"""The create and edit organization forms: Auth0's rules checked field by field, so the
person sees every problem at once beside the field it is about; the services check the
same rules again when the change is made."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.forms.boundfield import BoundWidget
from django.urls import reverse

from orgs.models import Application, MembershipModel, Organization
from orgs.models.applications import UrlKind
from orgs.models.organizations import hex_color_validator
from orgs.services import ServiceError
from orgs.services.applications import _check_url
from orgs.services.organizations import METADATA_MAX_KEYS, organization_name_problem
from orgs.services.url_templates import PLACEHOLDER, fill_url_template, url_templates
from portal.forms import PortalForm

NAME_MAX = 50
KEYS_ALLOWED = METADATA_MAX_KEYS - 1  # Auth0 allows 25 keys; the portal keeps portal_id
BLANK_METADATA_ROWS = 3
# A posted form may carry more rows than we show (so "too many keys" is an error, not
# keys silently dropped), but never an unbounded number of fields.
POSTED_ROWS_CAP = 2 * METADATA_MAX_KEYS
URL_MAX = 1024  # ApplicationURL.url
URL_FIELDS: dict[str, str] = {
    UrlKind.CALLBACK: "Callback URLs",
    UrlKind.LOGOUT: "Logout URLs",
    UrlKind.WEB_ORIGIN: "Web origins",
}
MEMBERSHIP_HINTS: dict[str, str] = {
    MembershipModel.SHARED_DATABASE: "The tenant's shared database connection ({shared}): one "
    "account per person, whichever organizations they belong to.",
    MembershipModel.OWN_DATABASE: "A new database connection for this organization only. "
    "Deleting the organization deletes it, with its users.",
    MembershipModel.ENTERPRISE_ONLY: "No database connection: add SAML, OpenID Connect or "
    "other enterprise connections on its Connections tab once it is created.",
}
_https = URLValidator(schemes=["https"])
_metadata_row = re.compile(r"^meta_(?:key|value)_(\d+)$")


def suggest_organization_name(display_name: str) -> str:
    """A short name made from the display name, to Auth0's rule (lowercase letters, digits,
    - and _, starting with a letter or digit). static/js/portal.js does the same as you type."""
    text = re.sub("[\u0300-\u036f]", "", unicodedata.normalize("NFKD", display_name)).lower()
    return re.sub(r"[^a-z0-9_]+", "-", text).lstrip("-_")[:NAME_MAX].rstrip("-_")


class OrganizationDetailsForm(PortalForm):
    """What create and edit share: the display name, branding and the metadata editor."""

    display_name = forms.CharField(
        label="Display name",
        max_length=255,
        help_text="The name people see, for example on the sign-in page.",
        error_messages={"required": "Enter a display name."},
    )
    logo_url = forms.CharField(
        label="Logo URL (optional)",
        required=False,
        max_length=200,
        widget=forms.URLInput(attrs={"data-preview": "logo", "inputmode": "url"}),
        help_text="An https:// address of the logo shown on the sign-in page.",
    )
    primary_color = forms.CharField(
        label="Primary colour (optional)",
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"data-colour": "primary", "placeholder": "#3b4cca"}),
        help_text="Buttons and links, as #rrggbb. Give both colours or neither.",
    )
    page_background_color = forms.CharField(
        label="Page background colour (optional)",
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"data-colour": "background", "placeholder": "#f6f7fb"}),
        help_text="Behind the sign-in box, as #rrggbb.",
    )

    def __init__(self, *args: Any, metadata: dict[str, str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["display_name"].widget.attrs["data-preview"] = "name"
        metadata = metadata or {}
        rows = _metadata_row_count(self.data if self.is_bound else None, len(metadata))
        initial = list(metadata.items())
        for index in range(rows):
            key, value = initial[index] if index < len(initial) else ("", "")
            self.fields[f"meta_key_{index}"] = _metadata_field(f"Key {index + 1}", key, "Keys")
            self.fields[f"meta_value_{index}"] = _metadata_field(
                f"Value {index + 1}", value, "Values"
            )
        self.metadata_row_count = rows

    @property
    def metadata_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"meta_key_{index}"], self[f"meta_value_{index}"])
            for index in range(self.metadata_row_count)
        ]

    def clean_logo_url(self) -> str:
        url: str = self.cleaned_data["logo_url"].strip()
        if not url:
            return ""
        if url.lower().startswith("http://"):
            raise ValidationError("The logo must be served over https: use an https:// address.")
        try:
            _https(url)
        except ValidationError:
            raise ValidationError(
                "Enter the logo's full address, like https://cdn.example.com/logo.png."
            ) from None
        return url

    def clean_primary_color(self) -> str:
        return _colour(self.cleaned_data["primary_color"])

    def clean_page_background_color(self) -> str:
        return _colour(self.cleaned_data["page_background_color"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        primary, background = cleaned.get("primary_color"), cleaned.get("page_background_color")
        if primary and background == "":
            self.add_error(
                "page_background_color", "Give a page background colour too, or neither."
            )
        if background and primary == "":
            self.add_error("primary_color", "Give a primary colour too, or neither.")
        cleaned["metadata"] = self._clean_metadata()
        return cleaned

    def _clean_metadata(self) -> dict[str, str]:
        metadata: dict[str, str] = {}
        for index in range(self.metadata_row_count):
            key_field, value_field = f"meta_key_{index}", f"meta_value_{index}"
            if key_field in self.errors or value_field in self.errors:
                continue  # already told (too long)
            key, value = self.cleaned_data[key_field], self.cleaned_data[value_field]
            problem = _metadata_problem(key, value, metadata)
            if problem:
                self.add_error(key_field, problem)
            elif key:
                metadata[key] = value
        return metadata

    def add_service_error(self, error: ServiceError) -> None:
        if error.field == "metadata" and "meta_key_0" in self.fields:
            error = ServiceError(error.message, field="meta_key_0")
        super().add_service_error(error)

    def branding_values(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in ("display_name", "logo_url", "primary_color", "page_background_color")
        } | {"metadata": self.cleaned_data["metadata"]}


def _metadata_field(label: str, initial: str, what: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=255,
        initial=initial,
        error_messages={"max_length": f"{what} are at most 255 characters."},
    )


def _metadata_row_count(data: Any, existing: int) -> int:
    """Rows to show: every filled row (posted, or the organization's keys) and a few
    empty ones to add keys without JavaScript, within Auth0's limit."""
    filled = existing
    if data is not None:
        indexes = [
            int(match.group(1))
            for name, value in data.items()
            if (match := _metadata_row.match(name)) and str(value).strip()
        ]
        filled = max(indexes, default=-1) + 1
    wanted = filled if filled >= KEYS_ALLOWED else min(filled + BLANK_METADATA_ROWS, KEYS_ALLOWED)
    return min(wanted, POSTED_ROWS_CAP)


def _metadata_problem(key: str, value: str, earlier: dict[str, str]) -> str:
    if not key:
        return "Give this value a key, or clear the value." if value else ""
    if key == "portal_id":
        return "The key portal_id is kept for the portal: choose another key."
    if key in earlier:
        return f"The key {key} is already used above."
    if len(earlier) >= KEYS_ALLOWED:
        return f"At most {KEYS_ALLOWED} metadata keys: Auth0 allows 25 and the portal uses one."
    return ""


def _colour(value: str) -> str:
    value = value.strip().lower()
    if value and not value.startswith("#"):
        value = f"#{value}"  # people paste "3b4cca" from design tools
    if value:
        try:
            hex_color_validator(value)
        except ValidationError:
            raise ValidationError("Use a colour like #3b4cca: # and six hex digits.") from None
    return value


class OrganizationCreateForm(OrganizationDetailsForm):
    """A new organization: name, sign-in, applications and URLs, branding, first admin."""

    name = forms.CharField(
        label="Short name",
        required=False,
        max_length=NAME_MAX,
        help_text=(
            "Auth0's organization name: lowercase letters, digits, - and _, up to 50, "
            "starting with a letter or digit. Suggested from the display name; it cannot be "
            "changed later."
        ),
        error_messages={"max_length": "Use at most 50 characters."},
    )
    membership_model = forms.ChoiceField(
        label="Members sign in with",
        choices=MembershipModel.choices,
        initial=MembershipModel.SHARED_DATABASE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how members sign in."},
    )
    applications = forms.ModelMultipleChoiceField(
        label="Applications",
        queryset=Application.objects.filter(is_portal_login=False),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Where its people sign in. Its own database connection, if it gets one, is "
            "enabled for these, and the URLs below go on the first one ticked."
        ),
    )
    callbacks = forms.CharField(label=URL_FIELDS[UrlKind.CALLBACK], required=False)
    allowed_logout_urls = forms.CharField(label=URL_FIELDS[UrlKind.LOGOUT], required=False)
    web_origins = forms.CharField(label=URL_FIELDS[UrlKind.WEB_ORIGIN], required=False)
    first_admin_email = forms.EmailField(
        label="First admin email (optional)",
        required=False,
        help_text="Invited as the organization's administrator once it exists in Auth0.",
        error_messages={"invalid": "Enter an email address like name@example.com."},
    )

    field_order = [
        "display_name",
        "name",
        "membership_model",
        "applications",
        *URL_FIELDS,
        "logo_url",
        "primary_color",
        "page_background_color",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields([*self.field_order, *self._metadata_names(), "first_admin_email"])
        self.fields["name"].widget.attrs.update(_name_check_attrs())
        self.fields["applications"].initial = [
            app.pk
            for app in self.fields["applications"].queryset  # type: ignore[attr-defined]
            if app.organization_usage in ("allow", "require")
        ]
        for kind, templates in url_templates().items():
            field = self.fields[kind]
            field.widget = forms.Textarea(attrs={"rows": 2, "spellcheck": "false"})
            field.initial = "\n".join(templates)
            field.help_text = f"One per line. {PLACEHOLDER} becomes the short name."

    def _metadata_names(self) -> list[str]:
        return [name for name in self.fields if name.startswith("meta_")]

    @property
    def membership_options(self) -> list[tuple[BoundWidget, str]]:
        """Each radio button with the hint that says what it means."""
        shared = settings.AUTH0_SHARED_DB_CONNECTION
        return [
            (radio, MEMBERSHIP_HINTS[radio.data["value"]].format(shared=shared))
            for radio in self["membership_model"]
        ]

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip().lower()
        name = name or suggest_organization_name(self.cleaned_data.get("display_name", ""))
        if not name:
            raise ValidationError("Enter a short name: lowercase letters, digits, - or _.")
        problem = organization_name_problem(name)
        if problem:
            raise ValidationError(problem)
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        name = cleaned.get("name")
        for kind in URL_FIELDS:
            # Without a valid short name the {org} URLs cannot be checked yet.
            cleaned[kind] = self._clean_urls(kind, name) if name else []
        return cleaned

    def _clean_urls(self, kind: str, name: str) -> list[str]:
        urls: list[str] = []
        for line in self.cleaned_data.get(kind, "").splitlines():
            url = fill_url_template(line, name)
            if not url:
                continue
            try:
                url = _check_url(kind, url)
            except ServiceError as exc:
                self.add_error(kind, exc.message)
                continue
            if len(url) > URL_MAX:
                self.add_error(kind, f"URLs are at most {URL_MAX:,} characters.")
            elif url not in urls:
                urls.append(url)
        return urls

    def provision_arguments(self) -> dict[str, Any]:
        """What orgs.services.organizations.organization_provision takes."""
        data = self.cleaned_data
        return {
            **self.branding_values(),
            "name": data["name"],
            "membership_model": data["membership_model"],
            "applications": list(data["applications"]),
            "urls": {kind: data[kind] for kind in URL_FIELDS},
            "first_admin_email": data["first_admin_email"],
        }


def _name_check_attrs() -> dict[str, str]:
    """The short name asks orgs:name_check as you type (htmx), and answers in a live region."""
    return {
        "autocapitalize": "none",
        "spellcheck": "false",
        "autocomplete": "off",
        "data-suggest-from": "id_display_name",
        "aria-describedby": "id_name_helptext name-availability",
        "hx-get": reverse("orgs:name_check"),
        "hx-trigger": "input changed delay:400ms",
        "hx-target": "#name-availability",
        "hx-sync": "this:replace",
    }


class OrganizationEditForm(OrganizationDetailsForm):
    """An existing organization's display name, branding and metadata; `version` is the
    one the form was opened at, so a save over someone else's is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @classmethod
    def opened(cls, org: Organization) -> OrganizationEditForm:
        """The form as the organization is now, ready to edit."""
        return cls(initial=_current_values(org), metadata=org.metadata)

    @classmethod
    def current(cls, org: Organization) -> OrganizationEditForm:
        """The same, bound, so a message can be shown on it (an edit conflict)."""
        data = _current_values(org)
        for index, (key, value) in enumerate(org.metadata.items()):
            data[f"meta_key_{index}"], data[f"meta_value_{index}"] = key, value
        return cls(data=data)

    def changes(self, org: Organization) -> dict[str, Any]:
        """Only what differs from the organization as it is."""
        return {
            field: value
            for field, value in self.branding_values().items()
            if getattr(org, field) != value
        }


def _current_values(org: Organization) -> dict[str, Any]:
    return {
        "display_name": org.display_name,
        "logo_url": org.logo_url,
        "primary_color": org.primary_color,
        "page_background_color": org.page_background_color,
        "version": org.version,
    }
