"""The API's refusals: an HTTP status, a stable code a script can branch on, and a plain
message for the person reading the script's log."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def not_found(what: str = "Nothing here") -> ApiError:
    return ApiError(404, "not_found", f"{what} was not found in this organization.")
