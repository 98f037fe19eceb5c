"""Forms of the organization page's tabs: connections, application URLs and invitations.

Field names match the `field=` of the services' errors, so a ServiceError lands on the
field it is about (PortalForm.add_service_error)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from orgs.models import Application, Connection, Organization, Role
from orgs.models.applications import UrlKind
from orgs.services import ServiceError
from orgs.services.invitations import default_application
from portal.forms import PortalForm

# Auth0's three flags of a connection on an organization, as a person reads them.
MEMBERSHIP_HINT = "Add people who sign in with this connection to the organization automatically"
BUTTON_HINT = "Show a button for it on the login page"
SIGNUP_HINT = "Let people sign up with it"
FLAG_NAMES = ("assign_membership_on_login", "show_as_button", "is_signup_enabled")


class TabForm(PortalForm):
    """Labels without Django's trailing colon, as the GOV.UK patterns write them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ConnectionSettingsForm(TabForm):
    """The flags of one enabled connection. Auth0 uses `show_as_button` only for
    enterprise connections and `is_signup_enabled` only for database ones, so a connection
    gets just the flags that do something for it."""

    assign_membership_on_login = forms.BooleanField(
        label="Add members automatically", help_text=MEMBERSHIP_HINT, required=False
    )
    show_as_button = forms.BooleanField(
        label="Show on the login page", help_text=BUTTON_HINT, required=False
    )
    is_signup_enabled = forms.BooleanField(
        label="Allow sign-up", help_text=SIGNUP_HINT, required=False
    )

    def __init__(self, *args: Any, connection: Connection, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["show_as_button" if connection.is_database else "is_signup_enabled"]

    def flags(self) -> dict[str, bool]:
        return {name: self.cleaned_data[name] for name in FLAG_NAMES if name in self.fields}


class ConnectionLabelChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        connection: Connection = obj
        owner = "this organization's own" if connection.organization_id else "shared"
        kind = connection.get_strategy_display()
        return f"{connection.display_name or connection.name} ({kind}, {owner})"


def connections_to_enable(organization: Organization) -> QuerySet[Connection]:
    """Shared connections and the organization's own, not yet enabled on it."""
    return (
        Connection.objects.filter(deleted_at=None)
        .filter(Q(organization=None) | Q(organization=organization))
        .exclude(organization_links__organization=organization)
        .order_by("name")
    )


class ConnectionEnableForm(TabForm):
    connection = ConnectionLabelChoice(
        queryset=Connection.objects.none(),
        label="Connection",
        empty_label="Choose a connection",
        error_messages={
            "required": "Choose the connection to enable.",
            "invalid_choice": "That connection is already enabled or belongs to another "
            "organization: choose another.",
        },
    )
    assign_membership_on_login = forms.BooleanField(
        label="Add members automatically", help_text=MEMBERSHIP_HINT, required=False
    )
    show_as_button = forms.BooleanField(
        label="Show on the login page",
        help_text=f"{BUTTON_HINT} (not for database connections)",
        required=False,
        initial=True,
    )
    is_signup_enabled = forms.BooleanField(
        label="Allow sign-up",
        help_text=f"{SIGNUP_HINT} (database connections only)",
        required=False,
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["connection"]  # type: ignore[assignment]
        field.queryset = connections_to_enable(organization)

    def flags(self) -> dict[str, bool]:
        return {name: self.cleaned_data[name] for name in FLAG_NAMES}


class ConnectionApplicationForm(TabForm):
    """Let one more application sign people in with an organization's own connection."""

    application = forms.ModelChoiceField(
        queryset=Application.objects.none(),
        label="Application",
        empty_label="Choose an application",
        error_messages={
            "required": "Choose the application that should use this connection.",
            "invalid_choice": "That application uses this connection already: choose another.",
        },
    )

    def __init__(self, *args: Any, connection: Connection, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["application"]  # type: ignore[assignment]
        field.queryset = Application.objects.exclude(connection_links__connection=connection)


def _default_application() -> Application | None:
    try:
        return default_application()
    except ServiceError:
        return None


class ApplicationUrlForm(TabForm):
    application = forms.ModelChoiceField(
        queryset=Application.objects.order_by("name"),
        label="Application",
        empty_label=None,
        error_messages={"required": "Choose the application the URL is for."},
    )
    kind = forms.ChoiceField(
        choices=UrlKind.choices,
        label="Kind of URL",
        help_text="Callback URL: where people return after signing in. Logout URL: where "
        "they land after signing out. Web origin: a site that signs people in from the "
        "browser.",
    )
    # A plain text field, so the service's own messages say what is wrong with a URL.
    url = forms.CharField(
        label="URL",
        max_length=1024,
        help_text="For example https://acme.app.example.com/callback",
        error_messages={"required": "Enter the URL."},
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("application", _default_application())


class InvitationForm(TabForm):
    email = forms.EmailField(
        label="Email address",
        error_messages={
            "required": "Enter the email address of the person to invite.",
            "invalid": "Enter an email address like name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    roles = forms.ModelMultipleChoiceField(
        queryset=Role.objects.order_by("name"),
        to_field_name="name",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Roles",
        help_text="What they may do in the organization once they have joined.",
    )
    application = forms.ModelChoiceField(
        # Applications that can take an invitation: a login URL and organizations allowed.
        queryset=Application.objects.exclude(initiate_login_uri="")
        .filter(organization_usage__in=("allow", "require"))
        .order_by("name"),
        label="Application",
        empty_label=None,
        help_text="The application the invitation link opens.",
        error_messages={"required": "Choose the application the invitation opens."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("application", _default_application())

    def role_names(self) -> list[str]:
        return sorted(role.name for role in self.cleaned_data["roles"])
