"""The identity providers a customer admin can pick, what each maps to in Auth0, and how
to walk an IT admin through creating the app on their side, in their IdP's own words.

Why each strategy (docs/sso.md says more): Okta, Microsoft Entra ID and Google Workspace go
to `samlp` rather than Auth0's `okta`, `waad` and `google-apps` strategies. SAML needs no
client secret that expires (Entra's expire within two years, and nobody is told), its
signing certificates are published in a metadata URL the portal re-reads daily, it maps
any attribute the IdP sends, and it is the app type each of these consoles offers an IT
admin first. ADFS keeps Auth0's `adfs` strategy (it reads the federation metadata ADFS
publishes, WS-Federation's claims included), PingFederate keeps `pingfederate` (its
server URL is all Auth0 needs besides the certificate). Generic OIDC is `oidc`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orgs.models.connections import Strategy

SAML_FAMILY = "saml"  # metadata URL, file or manual entry
OIDC_FAMILY = "oidc"  # discovery URL, client id and secret
ADFS_FAMILY = "adfs"  # federation metadata URL or file
PING_FAMILY = "ping"  # server URL and signing certificate (or a metadata file)

# Auth0's SAML defaults when no fieldsMap is set (the WS-Federation claim names).
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"


@dataclass(frozen=True)
class Step:
    """One numbered instruction; `values` are SP value keys (sp_values.SpValues.as_dict)
    shown under it with the IdP's own label and a copy button."""

    text: str
    values: tuple[tuple[str, str], ...] = ()  # (value key, the IdP's label for it)


@dataclass(frozen=True)
class Attribute:
    """An attribute statement to add in the IdP: what it is, the name to give it, and
    which of the IdP's user fields fills it."""

    profile_field: str  # email | given_name | family_name | name
    attribute_name: str
    idp_value: str


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    strategy: str
    family: str
    summary: str  # one line on the picker
    steps: tuple[Step, ...]
    attributes: tuple[Attribute, ...] = ()
    assign_step: str = ""
    metadata_url_label: str = "Metadata URL"
    metadata_url_hint: str = ""
    metadata_file_hint: str = ""
    default_scopes: str = "openid profile email"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def logo(self) -> str:
        return f"idp_selfservice/logos/{self.key}.svg"

    @property
    def is_saml_like(self) -> bool:
        return self.family in (SAML_FAMILY, ADFS_FAMILY, PING_FAMILY)

    def default_attribute_map(self) -> dict[str, str]:
        """Profile field -> the attribute name this IdP sends, as our steps set it up."""
        mapping = {a.profile_field: a.attribute_name for a in self.attributes}
        if self.family == OIDC_FAMILY:
            mapping = {
                "email": "email",
                "given_name": "given_name",
                "family_name": "family_name",
                "name": "name",
            }
        mapping.setdefault("user_id", "")
        return mapping


_SIMPLE_ATTRIBUTES = (
    Attribute("email", "email", "the user's primary email"),
    Attribute("given_name", "firstName", "the user's first name"),
    Attribute("family_name", "lastName", "the user's last name"),
)

PROVIDERS: dict[str, Provider] = {
    p.key: p
    for p in (
        Provider(
            key="okta",
            name="Okta",
            strategy=Strategy.SAML,
            family=SAML_FAMILY,
            summary="A SAML app in your Okta Admin Console.",
            steps=(
                Step(
                    "In the Okta Admin Console, open Applications › Applications and choose "
                    "Create App Integration. Pick SAML 2.0 and select Next."
                ),
                Step("Name the app (for example, our product's name) and select Next."),
                Step(
                    "Under SAML Settings, enter these two values:",
                    (
                        ("acs_url", "Single sign-on URL"),
                        ("entity_id", "Audience URI (SP Entity ID)"),
                    ),
                ),
                Step("Set Name ID format to EmailAddress and Application username to Email."),
                Step("Under Attribute Statements, add the three statements below."),
                Step(
                    "Select Next, then Finish. On the app's Sign On tab, copy the Metadata URL "
                    "for the next step."
                ),
            ),
            attributes=(
                Attribute("email", "email", "user.email"),
                Attribute("given_name", "firstName", "user.firstName"),
                Attribute("family_name", "lastName", "user.lastName"),
            ),
            assign_step=(
                "On the app's Assignments tab, choose Assign › Assign to People and assign "
                "yourself, so that you can test the sign-in."
            ),
            metadata_url_hint="On the app's Sign On tab, under SAML Signing Certificates.",
            metadata_file_hint=(
                "On the Sign On tab, Actions › View IdP metadata, then save the page."
            ),
        ),
        Provider(
            key="entra",
            name="Microsoft Entra ID",
            strategy=Strategy.SAML,
            family=SAML_FAMILY,
            summary="An enterprise application with SAML sign-in (formerly Azure AD).",
            steps=(
                Step(
                    "In the Microsoft Entra admin center, open Enterprise applications and "
                    "choose New application › Create your own application. Name it, pick "
                    "“Integrate any other application you don't find in the gallery”, and "
                    "select Create."
                ),
                Step("Open Single sign-on and choose SAML."),
                Step(
                    "Under Basic SAML Configuration, select Edit and enter:",
                    (
                        ("entity_id", "Identifier (Entity ID)"),
                        ("acs_url", "Reply URL (Assertion Consumer Service URL)"),
                    ),
                ),
                Step(
                    "Under Attributes & Claims the defaults are right: Entra ID sends the "
                    "claims below, which we read."
                ),
                Step(
                    "Under SAML Certificates, copy the App Federation Metadata Url for the "
                    "next step."
                ),
            ),
            attributes=(
                Attribute("email", f"{CLAIMS}/emailaddress", "user.mail"),
                Attribute("given_name", f"{CLAIMS}/givenname", "user.givenname"),
                Attribute("family_name", f"{CLAIMS}/surname", "user.surname"),
            ),
            assign_step=(
                "Open Users and groups, choose Add user/group and add yourself, so that you "
                "can test the sign-in."
            ),
            metadata_url_label="App Federation Metadata Url",
            metadata_url_hint="In the app's Single sign-on page, under SAML Certificates.",
            metadata_file_hint="Federation Metadata XML, under SAML Certificates (Download).",
        ),
        Provider(
            key="google",
            name="Google Workspace",
            strategy=Strategy.SAML,
            family=SAML_FAMILY,
            summary="A custom SAML app in the Google Admin console.",
            steps=(
                Step(
                    "In the Google Admin console, open Apps › Web and mobile apps and choose "
                    "Add app › Add custom SAML app. Name it and select Continue."
                ),
                Step(
                    "On the Google Identity Provider details page, choose Download metadata "
                    "(you upload that file in the next step) and select Continue."
                ),
                Step(
                    "Under Service provider details, enter:",
                    (("acs_url", "ACS URL"), ("entity_id", "Entity ID")),
                ),
                Step(
                    "Set Name ID format to EMAIL and Name ID to Basic Information › Primary email."
                ),
                Step("Under Attribute mapping, add the three mappings below, then Finish."),
            ),
            attributes=(
                Attribute("email", "email", "Basic Information › Primary email"),
                Attribute("given_name", "firstName", "Basic Information › First name"),
                Attribute("family_name", "lastName", "Basic Information › Last name"),
            ),
            assign_step=(
                "Open the app's User access and turn it ON for your organizational unit (or "
                "a group with you in it), so that you can test the sign-in. Google can take "
                "a few minutes to apply this."
            ),
            metadata_file_hint="The GoogleIDPMetadata.xml file from “Download metadata”.",
        ),
        Provider(
            key="adfs",
            name="ADFS",
            strategy=Strategy.ADFS,
            family=ADFS_FAMILY,
            summary="A relying party trust in Active Directory Federation Services.",
            steps=(
                Step(
                    "In AD FS Management, open Relying Party Trusts and choose Add Relying "
                    "Party Trust. Pick Claims aware and select Start."
                ),
                Step(
                    "Choose “Import data about the relying party published online” and enter "
                    "the Federation metadata address below; or enter the values by hand:",
                    (
                        ("sp_metadata_url", "Federation metadata address"),
                        ("acs_url", "Relying party WS-Federation Passive protocol URL"),
                        ("entity_id", "Relying party trust identifier"),
                    ),
                ),
                Step("Pick an access control policy (for example, Permit everyone) and Finish."),
                Step(
                    "Edit the trust's Claim Issuance Policy: add a rule “Send LDAP Attributes "
                    "as Claims” with the mappings below."
                ),
            ),
            attributes=(
                Attribute("email", f"{CLAIMS}/emailaddress", "E-Mail-Addresses"),
                Attribute("given_name", f"{CLAIMS}/givenname", "Given-Name"),
                Attribute("family_name", f"{CLAIMS}/surname", "Surname"),
            ),
            assign_step="Make sure your own account is allowed by the access control policy.",
            metadata_url_label="Federation metadata URL",
            metadata_url_hint=(
                "Usually https://your-adfs-server/FederationMetadata/2007-06/FederationMetadata.xml"
            ),
            metadata_file_hint="FederationMetadata.xml, saved from the address above.",
        ),
        Provider(
            key="ping",
            name="PingFederate",
            strategy=Strategy.PING,
            family=PING_FAMILY,
            summary="An SP connection in PingFederate (or PingOne).",
            steps=(
                Step(
                    "In the PingFederate administrative console, open Applications › SP "
                    "Connections and create a connection. Choose Browser SSO and SAML 2.0."
                ),
                Step(
                    "Import our metadata from the URL below, or enter the values by hand:",
                    (
                        ("sp_metadata_url", "Metadata URL"),
                        ("entity_id", "Partner's Entity ID (Connection ID)"),
                        ("acs_url", "Assertion Consumer Service URL (POST binding)"),
                    ),
                ),
                Step("Under Attribute Contract, extend it with the attributes below."),
                Step(
                    "Export the signing certificate (or the connection's metadata) for the "
                    "next step."
                ),
            ),
            attributes=(
                Attribute("email", "email", "mail"),
                Attribute("given_name", "given_name", "givenName"),
                Attribute("family_name", "family_name", "sn"),
            ),
            assign_step="Make sure your own account can use the SP connection.",
            metadata_file_hint="The IdP metadata export, used for the server URL and certificate.",
        ),
        Provider(
            key="saml",
            name="Other SAML provider",
            strategy=Strategy.SAML,
            family=SAML_FAMILY,
            summary="Any SAML 2.0 identity provider (JumpCloud, Keycloak, OneLogin, ...).",
            steps=(
                Step(
                    "In your identity provider, create a SAML 2.0 application (service provider)."
                ),
                Step(
                    "Enter these values (they are also in our metadata file below):",
                    (
                        ("acs_url", "Assertion Consumer Service (ACS) URL"),
                        ("entity_id", "Audience / SP Entity ID"),
                    ),
                ),
                Step("Send the user's email address as the NameID, and the attributes below."),
                Step("Copy the IdP's metadata URL, or download its metadata file."),
            ),
            attributes=_SIMPLE_ATTRIBUTES,
            assign_step="Assign yourself to the application, so that you can test the sign-in.",
        ),
        Provider(
            key="oidc",
            name="Other OpenID Connect provider",
            strategy=Strategy.OIDC,
            family=OIDC_FAMILY,
            summary="Any OpenID Connect provider, with a client id and secret.",
            steps=(
                Step("In your identity provider, create a web application (confidential client)."),
                Step(
                    "Allow this redirect URI (sign-in redirect / callback URL):",
                    (("redirect_uri", "Redirect URI"),),
                ),
                Step(
                    "Allow the authorization code grant and the scopes openid, profile and email."
                ),
                Step("Copy the client ID, the client secret and the issuer or discovery URL."),
            ),
            assign_step="Assign yourself to the application, so that you can test the sign-in.",
        ),
    )
}


def get_provider(key: str) -> Provider | None:
    return PROVIDERS.get(key)
