"""What the API takes and gives: one set of types for the endpoints and the OpenAPI
document."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class ErrorBody(Schema):
    code: str = Field(examples=["not_found"])
    message: str


class ErrorOut(Schema):
    error: ErrorBody


class MemberOut(Schema):
    user_id: str
    email: str
    name: str
    roles: list[str]
    removing: bool


class MemberPage(Schema):
    items: list[MemberOut]
    page: int
    per_page: int
    total: int


class OperationOut(Schema):
    id: int
    kind: str
    state: str
    attempts: int
    created_at: datetime
    finished_at: datetime | None = None
    error: str = ""


class QueuedOut(Schema):
    """A change is made by the portal's sync engine, after the answer: follow it at
    GET /api/v1/operations/{id}."""

    queued: bool = True
    operation: OperationOut


class InviteIn(Schema):
    email: str = Field(max_length=254)
    roles: list[str] = Field(default_factory=list, max_length=20)
