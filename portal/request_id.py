"""A request id on every request: in its log lines, on its response, in the tasks it sends.

A load balancer or proxy in front usually sets `X-Request-ID`; keeping theirs lets one id
follow a request through their logs and ours. An incoming id is only kept when it is
short and made of safe characters (it ends up in log lines and a response header), else
the portal makes one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from portal import log_context

REQUEST_ID_RESPONSE_HEADER = "X-Request-ID"
_INCOMING = "HTTP_X_REQUEST_ID"
# UUIDs, hex ids and the "Root=1-..." ids of cloud load balancers fit; nothing that could
# break a log line or a header (spaces, quotes, newlines, commas).
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")


def request_id_from(request: HttpRequest) -> str:
    """The incoming `X-Request-ID` when it is safe, else a new one."""
    incoming = request.META.get(_INCOMING, "")
    if isinstance(incoming, str) and _SAFE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so every later middleware's and view's lines carry the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        with log_context.bound(request_id=request_id):
            response = self.get_response(request)
        response[REQUEST_ID_RESPONSE_HEADER] = request_id
        return response
