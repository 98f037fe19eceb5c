"""The values a customer's IT admin types into their IdP, all derived from the tenant:
never typed by hand, so they cannot be mistyped (../shared/auth0/NOTES.md)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings

from portal.oidc import tenant_base_url


def tenant_name() -> str:
    """The tenant in `urn:auth0:{tenant}:{connection}`: AUTH0_TENANT_NAME, else the first
    label of AUTH0_DOMAIN ("acme" for acme.eu.auth0.com); the sandbox is "sandbox"."""
    configured: str = settings.AUTH0_TENANT_NAME
    if configured:
        return configured
    host = urlsplit(tenant_base_url()).hostname or ""
    if not host or host.replace(".", "").isdigit() or host == "localhost":
        return "sandbox"
    return host.split(".")[0]


@dataclass(frozen=True)
class SpValues:
    connection_name: str
    acs_url: str  # SAML: where the IdP posts the assertion
    entity_id: str  # SAML: the audience the IdP puts in the assertion
    sp_metadata_url: str  # SAML: all of the above in one document
    redirect_uri: str  # OIDC and the social-style strategies
    sign_out_url: str

    def as_dict(self) -> dict[str, str]:
        return {
            "acs_url": self.acs_url,
            "entity_id": self.entity_id,
            "sp_metadata_url": self.sp_metadata_url,
            "redirect_uri": self.redirect_uri,
            "sign_out_url": self.sign_out_url,
        }


def sp_values(connection_name: str) -> SpValues:
    base = tenant_base_url()
    name = quote(connection_name, safe="")
    return SpValues(
        connection_name=connection_name,
        acs_url=f"{base}/login/callback?connection={name}",
        entity_id=f"urn:auth0:{tenant_name()}:{connection_name}",
        sp_metadata_url=f"{base}/samlp/metadata?connection={name}",
        redirect_uri=f"{base}/login/callback",
        sign_out_url=f"{base}/logout",
    )
