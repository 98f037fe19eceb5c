"""The service provider (SP) metadata a customer's IT admin can import into their IdP.

The portal writes it itself from `sp_values`, because Auth0's own document
(`/samlp/metadata?connection=`) only exists once the connection has been created, at step 3,
and the IdP's app is created at step 2. It holds what every IdP import reads: the entity
ID, the ACS URL (HTTP-POST) and the NameID format (email address).
"""

from __future__ import annotations

from dataclasses import replace
from xml.etree import ElementTree

from idp_selfservice.models import SsoSetup
from idp_selfservice.providers import get_provider
from idp_selfservice.sp_values import SpValues, sp_values

MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
EMAIL_NAME_ID = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
CONTENT_TYPE = "application/samlmetadata+xml"


def setup_sp_values(setup: SsoSetup) -> SpValues:
    """The values for this setup's IdP app. A SAML draft copy keeps the live connection's
    entity ID (the IdP's app already has it; services.setup_save_idp sets `entityId`) and
    brings its own ACS URL, which the IdP needs as an extra one for the test."""
    values = sp_values(setup.connection_name)
    provider = get_provider(setup.provider)
    live = setup.replaces
    if live is not None and provider is not None and provider.is_saml_like:
        values = replace(values, entity_id=sp_values(live.connection_name).entity_id)
    return values


def sp_metadata_xml(values: SpValues) -> bytes:
    """An EntityDescriptor with one SPSSODescriptor, UTF-8 with an XML declaration."""
    ElementTree.register_namespace("md", MD_NS)
    root = ElementTree.Element(_md("EntityDescriptor"), {"entityID": values.entity_id})
    sp = ElementTree.SubElement(
        root,
        _md("SPSSODescriptor"),
        {
            "protocolSupportEnumeration": SAML2_PROTOCOL,
            "AuthnRequestsSigned": "false",
            "WantAssertionsSigned": "true",
        },
    )
    ElementTree.SubElement(sp, _md("NameIDFormat")).text = EMAIL_NAME_ID
    ElementTree.SubElement(
        sp,
        _md("AssertionConsumerService"),
        {"Binding": HTTP_POST, "Location": values.acs_url, "index": "0", "isDefault": "true"},
    )
    ElementTree.indent(root)
    body: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return body + b"\n"


def sp_metadata_filename(setup: SsoSetup) -> str:
    return f"{setup.connection_name}-sp-metadata.xml"


def _md(tag: str) -> str:
    return "{" + MD_NS + "}" + tag
