from __future__ import annotations


class ServiceError(Exception):
    """A change that cannot be made; the message is written for the person who asked."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
