"""Response helpers shared by the login routes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Response

from . import pages
from .html import esc, page

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def html(body: str, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    resp = Response(body, status=status, mimetype="text/html")
    resp.headers.update(NO_STORE)
    if headers:
        resp.headers.update(headers)
    return resp


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    resp = Response(json.dumps(body), status=status, mimetype="application/json")
    if headers:
        resp.headers.update(headers)
    return resp


def redirect(location: str, status: int = 302) -> Response:
    resp = Response("", status=status)
    resp.headers["Location"] = location
    resp.headers.update(NO_STORE)
    return resp


def with_query(url: str, params: Mapping[str, str | None]) -> str:
    """``url`` with ``params`` appended to its query (None values left out)."""
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query and extra else (parts.query or extra)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def to_client(
    redirect_uri: str, params: Mapping[str, str | None], response_mode: str | None = None
) -> Response:
    """Send the browser back to the relying party, by query redirect or form_post."""
    if response_mode == "form_post":
        fields = "".join(
            f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">'
            for k, v in params.items()
            if v is not None
        )
        body = (
            f'<form method="post" action="{esc(redirect_uri)}" id="f">{fields}'
            '<button type="submit">Continue</button></form>'
            "<script>document.getElementById('f').submit()</script>"
        )
        return html(page("Submit this form", body, tag=None))
    return redirect(with_query(redirect_uri, params))


def error_to_client(
    redirect_uri: str,
    error: str,
    description: str,
    state: str | None,
    response_mode: str | None = None,
) -> Response:
    params = {"error": error, "error_description": description, "state": state}
    return to_client(redirect_uri, params, response_mode)


def error_page(error: str, description: str, status: int = 400) -> Response:
    return html(pages.error_page("Oops, something went wrong", error, description), status)
