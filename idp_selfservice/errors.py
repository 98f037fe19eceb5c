"""What the self-service SSO setup refuses, in words a customer's IT admin can act on."""

from __future__ import annotations


class IdpInputError(Exception):
    """Something the customer gave us (a URL, a document, a certificate) cannot be used.

    `str(exc)` is the plain message shown to the person; it never carries a raw
    library error or an internal address.
    """


class FetchRefused(IdpInputError):
    """A URL was not fetched: not https, a forbidden address, too big, too slow, ..."""


class MetadataError(IdpInputError):
    """A SAML metadata document cannot be used."""


class MultipleIdps(MetadataError):
    """The document describes several identity providers: the person picks one."""

    def __init__(self, message: str, entity_ids: list[str]) -> None:
        super().__init__(message)
        self.entity_ids = entity_ids


class CertificateError(IdpInputError):
    """A certificate cannot be read."""


class DiscoveryError(IdpInputError):
    """An OpenID Connect discovery document cannot be used."""
