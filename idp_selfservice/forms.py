"""The wizard's forms: the provider picker (step 1), the IdP's details per family (step 3)
and the attribute mapping (step 4).

The details forms carry every field of every way in (metadata URL, file, typed by hand)
so the page works without JavaScript; only the chosen way's fields are checked. Reading
and checking what was given is `idp_selfservice.details`' job, not the form's.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django import forms
from django.core.files.uploadedfile import UploadedFile

from idp_selfservice.details import DetailsInput
from idp_selfservice.providers import (
    ADFS_FAMILY,
    OIDC_FAMILY,
    PING_FAMILY,
    PROVIDERS,
    Provider,
)
from idp_selfservice.saml_metadata import MAX_METADATA_BYTES
from portal.forms import PortalForm

MAX_CERTIFICATE_FILE_BYTES = 64 * 1024
TOO_BIG = (
    "The file is larger than 4 MB, far more than any identity provider's metadata. "
    "Check that you chose the metadata file."
)


class ProviderForm(PortalForm):
    provider = forms.ChoiceField(
        label="Which identity provider does your organization use?",
        choices=[(key, p.name) for key, p in PROVIDERS.items()],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose your identity provider."},
    )

    def options(self) -> list[tuple[Any, Provider]]:
        """(radio, provider) pairs for the picker's template (logo, name, summary)."""
        return [(radio, PROVIDERS[str(radio.data["value"])]) for radio in self["provider"]]


# --- step 3 ---------------------------------------------------------------------------------


class Way(NamedTuple):
    """One way to give the IdP's details: its radio's value, label and hint, its fields."""

    value: str
    label: str
    hint: str
    fields: tuple[str, ...]


class DetailsForm(PortalForm):
    """The shared part: the way in (`method`), the file fields' size caps, the choice of
    IdP when a document lists several. Subclasses list their ways in (`METHODS`, each a
    Way) and turn the valid form into a DetailsInput."""

    METHODS: tuple[Way, ...] = ()
    REQUIRED: dict[str, str] = {}  # field -> message when the chosen way needs it

    def __init__(
        self,
        *args: Any,
        provider: Provider,
        secret_stored: bool = False,
        entity_ids: list[str] | None = None,
        kept_document: bytes | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.secret_stored = secret_stored
        self.kept_document = kept_document
        if "method" in self.fields:
            method = self.fields["method"]
            assert isinstance(method, forms.ChoiceField)
            method.choices = [(value, label) for value, label, _hint, _fields in self.METHODS]
        if entity_ids:
            self.fields["idp_choice"] = forms.ChoiceField(
                label="Which identity provider does your organization sign in with?",
                choices=[(e, e) for e in entity_ids],
                widget=forms.RadioSelect,
                required=False,
                help_text="This metadata describes several identity providers.",
            )
        self.customise(provider)

    def customise(self, provider: Provider) -> None:
        """Labels and hints in the provider's own words."""
        if "metadata_url" in self.fields:
            self.fields["metadata_url"].label = provider.metadata_url_label
            self.fields["metadata_url"].help_text = provider.metadata_url_hint
        if "metadata_file" in self.fields and provider.metadata_file_hint:
            self.fields["metadata_file"].help_text = provider.metadata_file_hint

    def chosen(self) -> str:
        return str(self.cleaned_data.get("method") or "")

    def reveal_groups(self) -> list[dict[str, Any]]:
        """Each way in with its radio and its fields, for the conditional reveal."""
        radios = (
            {str(r.data["value"]): r for r in self["method"]} if "method" in self.fields else {}
        )
        return [
            {
                "value": value,
                "radio": radios.get(value),
                "hint": hint,
                "fields": [self[name] for name in names],
            }
            for value, _label, hint, names in self.METHODS
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for value, _label, _hint, names in self.METHODS:
            if value != self.chosen():
                continue
            for name in names:
                message = self.REQUIRED.get(name)
                if message and not self._given(name, cleaned):
                    self.add_error(name, message)
        return cleaned

    def _given(self, name: str, cleaned: dict[str, Any]) -> bool:
        if name == "metadata_file" and self.kept_document is not None:
            return True
        if name == "certificate":
            return bool(cleaned.get("certificate") or cleaned.get("certificate_file"))
        return bool(cleaned.get(name))

    # -- files: read at once, capped, so a big upload is a form error, never a 400 ----------

    def clean_metadata_file(self) -> bytes | None:
        return _read_upload(self.cleaned_data.get("metadata_file"), MAX_METADATA_BYTES, TOO_BIG)

    def clean_certificate_file(self) -> bytes | None:
        return _read_upload(
            self.cleaned_data.get("certificate_file"),
            MAX_CERTIFICATE_FILE_BYTES,
            "This file is far larger than a certificate. Choose the .pem, .cer or .crt file.",
        )

    def document(self) -> bytes | None:
        uploaded: bytes | None = self.cleaned_data.get("metadata_file")
        return uploaded if uploaded else self.kept_document

    def chosen_entity_id(self) -> str | None:
        """The IdP picked from a document with several; None for a newly uploaded file."""
        if self.cleaned_data.get("metadata_file"):
            return None
        value = self.cleaned_data.get("idp_choice")
        return str(value) if value else None

    def certificate_value(self) -> tuple[str | bytes, str]:
        """The certificate given, and the field to mark when it is refused."""
        pasted = str(self.cleaned_data.get("certificate") or "").strip()
        if pasted:
            return pasted, "certificate"
        uploaded: bytes | None = self.cleaned_data.get("certificate_file")
        return (uploaded or b""), "certificate_file"

    def details_input(self) -> DetailsInput:
        raise NotImplementedError


def _read_upload(upload: Any, limit: int, too_big: str) -> bytes | None:
    if not isinstance(upload, UploadedFile):
        return None
    if upload.size is not None and upload.size > limit:
        raise forms.ValidationError(too_big)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise forms.ValidationError(too_big)
    return data


def _method_field(label: str = "How do you want to give us the details?") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you want to give us the details."},
    )


def _metadata_url() -> forms.CharField:
    return forms.CharField(
        label="Metadata URL",
        required=False,
        max_length=2048,
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )


def _metadata_file() -> forms.FileField:
    return forms.FileField(
        label="Metadata file",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )


def _certificate() -> forms.CharField:
    return forms.CharField(
        label="Signing certificate",
        required=False,
        max_length=64 * 1024,
        help_text="Paste it in PEM form (the block from -----BEGIN CERTIFICATE----- to "
        "-----END CERTIFICATE-----), or upload its file below.",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )


def _certificate_file() -> forms.FileField:
    return forms.FileField(
        label="Or upload the certificate file",
        required=False,
        help_text="A .pem, .cer or .crt file.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pem,.cer,.crt,application/x-x509-ca-cert"}
        ),
    )


class SamlDetailsForm(DetailsForm):
    METHODS = (
        Way(
            "url",
            "Metadata URL",
            "The address where your IdP publishes its metadata. We "
            "re-read it every day, so a new signing certificate is noticed in time.",
            ("metadata_url",),
        ),
        Way(
            "file",
            "Upload the metadata file",
            "The XML file your IdP lets you download.",
            ("metadata_file",),
        ),
        Way(
            "manual",
            "Enter the details by hand",
            "The sign-in URL, entity ID and signing certificate, copied from your IdP.",
            ("entity_id", "sign_in_url", "sign_out_url", "certificate", "certificate_file"),
        ),
    )
    REQUIRED = {
        "metadata_url": "Enter the metadata URL.",
        "metadata_file": "Choose the metadata file to upload.",
        "entity_id": "Enter your identity provider's entity ID.",
        "sign_in_url": "Enter the sign-in URL.",
        "certificate": "Paste the signing certificate, or upload its file.",
    }

    method = _method_field()
    metadata_url = _metadata_url()
    metadata_file = _metadata_file()
    entity_id = forms.CharField(
        label="Entity ID (Issuer)",
        required=False,
        max_length=1024,
        help_text="Your IdP may call it Issuer, IdP Entity ID or Identity Provider Issuer.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    sign_in_url = forms.CharField(
        label="Sign-in URL (single sign-on URL)",
        required=False,
        max_length=2048,
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    sign_out_url = forms.CharField(
        label="Sign-out URL (optional)",
        required=False,
        max_length=2048,
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    certificate = _certificate()
    certificate_file = _certificate_file()

    def details_input(self) -> DetailsInput:
        data = self.cleaned_data
        certificate, certificate_field = self.certificate_value()
        return DetailsInput(
            method=self.chosen(),
            metadata_url=str(data.get("metadata_url") or "").strip(),
            document=self.document(),
            entity_id=str(data.get("entity_id") or ""),
            sign_in_url=str(data.get("sign_in_url") or ""),
            sign_out_url=str(data.get("sign_out_url") or ""),
            certificate=certificate,
            certificate_field=certificate_field,
            chosen_entity_id=self.chosen_entity_id(),
        )


class AdfsDetailsForm(DetailsForm):
    METHODS = (
        Way(
            "url",
            "Federation metadata URL",
            "Auth0 reads your ADFS server's metadata from it.",
            ("metadata_url",),
        ),
        Way(
            "file",
            "Upload the federation metadata file",
            "FederationMetadata.xml, saved from your ADFS server.",
            ("metadata_file",),
        ),
    )
    REQUIRED = {
        "metadata_url": "Enter the federation metadata URL.",
        "metadata_file": "Choose the federation metadata file to upload.",
    }

    method = _method_field()
    metadata_url = _metadata_url()
    metadata_file = _metadata_file()

    def details_input(self) -> DetailsInput:
        return DetailsInput(
            method=self.chosen(),
            metadata_url=str(self.cleaned_data.get("metadata_url") or "").strip(),
            document=self.document(),
            chosen_entity_id=self.chosen_entity_id(),
        )


class PingDetailsForm(DetailsForm):
    METHODS = (
        Way(
            "fields",
            "Server URL and signing certificate",
            "Your PingFederate server's address and the certificate it signs with.",
            ("server_url", "certificate", "certificate_file"),
        ),
        Way(
            "file",
            "Upload the metadata file",
            "The IdP metadata PingFederate exports: it holds both.",
            ("metadata_file",),
        ),
    )
    REQUIRED = {
        "server_url": "Enter your PingFederate server's URL.",
        "certificate": "Paste the signing certificate, or upload its file.",
        "metadata_file": "Choose the metadata file to upload.",
    }

    method = _method_field()
    server_url = forms.CharField(
        label="PingFederate server URL",
        required=False,
        max_length=2048,
        help_text="For example https://sso.example.com:9031",
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    certificate = _certificate()
    certificate_file = _certificate_file()
    metadata_file = _metadata_file()

    def details_input(self) -> DetailsInput:
        certificate, certificate_field = self.certificate_value()
        return DetailsInput(
            method=self.chosen(),
            server_url=str(self.cleaned_data.get("server_url") or ""),
            certificate=certificate,
            certificate_field=certificate_field,
            document=self.document(),
            chosen_entity_id=self.chosen_entity_id(),
        )


class OidcDetailsForm(DetailsForm):
    discovery_url = forms.CharField(
        label="Issuer or discovery URL",
        max_length=2048,
        help_text="For example https://login.example.com, or the full address ending in "
        "/.well-known/openid-configuration.",
        error_messages={"required": "Enter the issuer or discovery URL."},
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    client_id = forms.CharField(
        label="Client ID",
        max_length=255,
        error_messages={"required": "Enter the client ID."},
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        max_length=700,
        strip=False,
        help_text="It is stored encrypted and never shown again.",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    scopes = forms.CharField(
        label="Scopes",
        max_length=255,
        initial="openid profile email",
        help_text="Separated by spaces; openid is needed.",
        error_messages={"required": "Enter the scopes (for example openid profile email)."},
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )

    def customise(self, provider: Provider) -> None:
        self.fields["scopes"].initial = provider.default_scopes
        if self.secret_stored:
            self.fields["client_secret"].help_text = (
                "A secret is stored; leave blank to keep it. It is stored encrypted and "
                "never shown again."
            )

    def details_input(self) -> DetailsInput:
        data = self.cleaned_data
        return DetailsInput(
            discovery_url=str(data.get("discovery_url") or "").strip(),
            client_id=str(data.get("client_id") or ""),
            client_secret=str(data.get("client_secret") or "").strip(),
            scopes=str(data.get("scopes") or ""),
            secret_stored=self.secret_stored,
        )


def details_form_class(provider: Provider) -> type[DetailsForm]:
    return {
        OIDC_FAMILY: OidcDetailsForm,
        ADFS_FAMILY: AdfsDetailsForm,
        PING_FAMILY: PingDetailsForm,
    }.get(provider.family, SamlDetailsForm)


# --- step 4 ---------------------------------------------------------------------------------


class MappingForm(PortalForm):
    """Profile field -> the IdP's attribute (SAML) or claim (OIDC) that fills it."""

    email = forms.CharField(max_length=512)
    given_name = forms.CharField(max_length=512, required=False)
    family_name = forms.CharField(max_length=512, required=False)
    name = forms.CharField(max_length=512, required=False)
    user_id = forms.CharField(max_length=512, required=False)

    def __init__(self, *args: Any, provider: Provider, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        oidc = provider.family == OIDC_FAMILY
        what = "claim" if oidc else "attribute"
        labels = {
            "email": f"The {what} that holds the email address",
            "given_name": f"The {what} that holds the first name (given name)",
            "family_name": f"The {what} that holds the last name (family name)",
            "name": f"The {what} that holds the full name (optional)",
            "user_id": f"The {what} that identifies the user (optional)",
        }
        for name, label in labels.items():
            field = self.fields[name]
            field.label = label
            field.widget.attrs.update({"spellcheck": "false", "autocomplete": "off"})
        self.fields["email"].required = not oidc
        self.fields["email"].error_messages["required"] = (
            "Say which attribute holds the email address."
        )
        self.fields["user_id"].help_text = (
            "Leave blank to use the sub claim." if oidc else "Leave blank to use the NameID."
        )
        if oidc:
            self.fields["email"].help_text = "Leave blank to use the standard email claim."

    def attribute_map(self) -> dict[str, str]:
        return {k: str(self.cleaned_data.get(k) or "").strip() for k in self.fields}
