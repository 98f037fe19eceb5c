"""Auth0-shaped errors.

Management API errors are `{statusCode, error, message, errorCode}`; Authentication API
errors are `{error, error_description}`. Handlers raise these; the app turns them into
responses, so a handler never builds an error body by hand.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class SandboxError(Exception):
    """A Management API error: `{statusCode, error, message, errorCode}`."""

    def __init__(
        self,
        status: int,
        message: str,
        error_code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "statusCode": self.status,
            "error": reason(self.status),
            "message": self.message,
        }
        if self.error_code:
            body["errorCode"] = self.error_code
        return body


class OAuthError(Exception):
    """An Authentication API error: `{error, error_description}`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.description}


def bad_request(message: str, error_code: str = "invalid_body") -> SandboxError:
    return SandboxError(400, message, error_code)


def invalid_query(message: str) -> SandboxError:
    return SandboxError(400, message, "invalid_query_string")


def unauthorized(message: str = "Invalid token") -> SandboxError:
    return SandboxError(401, message)


def forbidden(message: str, error_code: str = "insufficient_scope") -> SandboxError:
    return SandboxError(403, message, error_code)


def not_found(message: str, error_code: str | None = None) -> SandboxError:
    return SandboxError(404, message, error_code)


def conflict(message: str, error_code: str | None = None) -> SandboxError:
    return SandboxError(409, message, error_code)


def too_many_requests(message: str = "Global limit has been reached") -> SandboxError:
    return SandboxError(429, message, "too_many_requests")
