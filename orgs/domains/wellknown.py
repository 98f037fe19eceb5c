"""The https proof: a file at a well-known path on the domain holding the token, read
through the safe fetcher (idp_selfservice.fetching), which refuses private addresses and
anything but https outside `IDP_FETCH_ALLOWED_ORIGINS`."""

from __future__ import annotations

from dataclasses import dataclass

from idp_selfservice.errors import FetchRefused
from idp_selfservice.fetching import fetch

WELL_KNOWN_PATH = "/.well-known/portal-domain-verification.txt"
MAX_BYTES = 4096  # a token and a newline; anything much larger is not our file


def wellknown_url(domain: str) -> str:
    return f"https://{domain}{WELL_KNOWN_PATH}"


# Where checks read the file: tests point it at a local server on an allowed origin.
url_for = wellknown_url


@dataclass(frozen=True)
class FileAnswer:
    proven: bool
    words: str  # what was found, for the person checking


def file_proves(url: str, token: str) -> FileAnswer:
    """True when the file at `url` holds `token` on a line of its own."""
    try:
        fetched = fetch(url, max_bytes=MAX_BYTES, accept="text/plain")
    except FetchRefused as exc:
        return FileAnswer(False, f"The file at {url} could not be read: {exc}")
    lines = {line.strip() for line in fetched.body.decode("utf-8", "replace").splitlines()}
    if token in lines:
        return FileAnswer(True, f"The file at {url} holds the token.")
    return FileAnswer(False, f"The file at {url} does not hold the token.")
