"""The offboarding API's endpoints (`/api/v1/`, OpenAPI at `/api/v1/openapi.json`, docs at
`/api/v1/docs`).

Every change goes through the same services as the portal's pages, with actor None (the
portal itself); every event recorded meanwhile, the services' own included, is labelled
with the key's name (orgs.services.audit.acting_as). Actor None is how the services say
"staff or system", so the rules a customer admin is held to (no staff member, nobody who
also belongs to another organization, not the last administrator) are checked here first,
and the key only ever sees its own organization: anything else is not_found."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.responses import Status

from orgs.api.auth import ApiKeyAuth, require_scope
from orgs.api.errors import ApiError, not_found
from orgs.api.schemas import (
    ErrorOut,
    InviteIn,
    MemberOut,
    MemberPage,
    OperationOut,
    QueuedOut,
)
from orgs.models import ApiKey, ApiScope, Member, SyncOperation
from orgs.services import invitations, users
from orgs.services.audit import acting_as, audit
from orgs.services.errors import ServiceError
from orgs.sync.describe import readable_error

T = TypeVar("T")
MAX_PER_PAGE = 100
ERRORS: dict[int | str, Any] = dict.fromkeys((401, 403, 404, 409, 422, 429), ErrorOut)

api = NinjaAPI(
    title="Organization Admin Portal: offboarding API",
    version="1.0.0",
    description=(
        "Manage your organization's members from your own systems. Authenticate with "
        "`Authorization: Bearer <API key>`; an administrator makes keys on the "
        "organization's API keys page. Changes are queued and run by the portal: each "
        "answer gives the operation to follow. Errors are "
        '`{"error": {"code": ..., "message": ...}}`.'
    ),
    urls_namespace="api",
    auth=ApiKeyAuth(),
)


def _error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message}}, status=status
    )


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = _error(request, exc.status, exc.code, exc.message)
    for name, value in exc.headers.items():
        response[name] = value
    return response


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = {".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors}
    where = ", ".join(sorted(f for f in fields if f)) or "the request"
    return _error(request, 422, "invalid_request", f"Check {where}: it is missing or wrong.")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "invalid_key", "This API key is not valid.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


# --- helpers ---------------------------------------------------------------------------------


def _key(request: HttpRequest) -> ApiKey:
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    return key


def _audited(request: HttpRequest, endpoint: str, target: str, work: Callable[[], T]) -> T:
    """Run `work` and record the call, in one transaction; a refused call is recorded
    too, with its code (the key itself is never recorded, only its name)."""
    key = _key(request)
    try:
        with transaction.atomic(), acting_as(key.label):
            result = work()
            _record(key, endpoint, target, "ok")
    except ServiceError as exc:
        _record(key, endpoint, target, "refused")
        raise ApiError(422 if exc.field else 409, "refused", exc.message) from None
    except ApiError as exc:
        _record(key, endpoint, target, exc.code)
        raise
    return result


def _record(key: ApiKey, endpoint: str, target: str, outcome: str) -> None:
    with acting_as(key.label):
        audit(
            actor=None,
            action=f"api.{endpoint}",
            organization=key.organization,
            target=target,
            key_name=key.name,
            outcome=outcome,
        )


def _member(key: ApiKey, ident: str) -> Member:
    """The key's organization's member with this Auth0 user id or email."""
    matches = Member.objects.filter(organization=key.organization).filter(
        Q(user_id=ident) | Q(email__iexact=ident)
    )
    found = list(matches[:2])
    if len(found) != 1:
        raise not_found("This member")
    return found[0]


def _customer_rules(member: Member, *, whole_user: bool, blocking: bool = False) -> None:
    """What a customer admin may not do (orgs.services.users), asked for actor None."""
    if users.is_staff_user(member.user_id):
        raise ApiError(
            409, "staff_member", f"{member} is a member of the portal's staff: ask the staff."
        )
    elsewhere = (
        Member.objects.filter(user_id=member.user_id)
        .exclude(organization_id=member.organization_id)
        .exists()
    )
    if whole_user and elsewhere:
        raise ApiError(
            409,
            "belongs_elsewhere",
            f"{member} also belongs to another organization, and this would change their "
            "account there too. Ask the portal's staff to do it.",
        )
    if blocking and users.is_last_admin(member):
        raise ApiError(
            409, "last_admin", f"{member} is the last administrator of {member.organization}."
        )


def _operation_out(op: SyncOperation) -> OperationOut:
    return OperationOut(
        id=op.pk,
        kind=op.kind,
        state=op.state,
        attempts=op.attempts,
        created_at=op.created_at,
        finished_at=op.finished_at,
        error=readable_error(op),
    )


def _queued(op: SyncOperation) -> QueuedOut:
    return QueuedOut(operation=_operation_out(op))


def _member_out(member: Member) -> MemberOut:
    return MemberOut(
        user_id=member.user_id,
        email=member.email,
        name=member.name,
        roles=sorted(role.name for role in member.roles.all()),
        removing=member.removing,
    )


# --- endpoints -------------------------------------------------------------------------------


class MemberFilter(Schema):
    q: str = ""
    page: int = 1
    per_page: int = 50


@api.get("/members", response={200: MemberPage, **ERRORS}, tags=["members"])
def list_members(request: HttpRequest, filters: Query[MemberFilter]) -> MemberPage:
    """The organization's members, by email; `q` searches email, name and user id."""
    key = _key(request)

    def work() -> MemberPage:
        require_scope(key, ApiScope.MEMBERS_READ)
        per_page = min(max(filters.per_page, 1), MAX_PER_PAGE)
        page = max(filters.page, 1)
        members = Member.objects.filter(organization=key.organization).order_by("email", "pk")
        if filters.q:
            text = filters.q.strip()
            members = members.filter(
                Q(email__icontains=text) | Q(name__icontains=text) | Q(user_id__icontains=text)
            )
        rows = members.prefetch_related("roles")[(page - 1) * per_page : page * per_page]
        return MemberPage(
            items=[_member_out(m) for m in rows],
            page=page,
            per_page=per_page,
            total=members.count(),
        )

    return _audited(request, "members_list", filters.q, work)


@api.post("/invitations", response={202: QueuedOut, **ERRORS}, tags=["members"])
def invite(request: HttpRequest, body: InviteIn) -> Status[QueuedOut]:
    """Invite someone by email with roles (Auth0 sends the invitation email)."""
    key = _key(request)

    def work() -> QueuedOut:
        require_scope(key, ApiScope.MEMBERS_WRITE)
        invitation = invitations.invitation_create(
            actor=None, organization=key.organization, email=body.email, role_names=body.roles
        )
        op = SyncOperation.objects.get(
            kind="invitation.send", target_type="invitation", target_id=invitation.pk
        )
        return _queued(op)

    return Status(202, _audited(request, "invite", body.email, work))


def _change(
    request: HttpRequest, endpoint: str, ident: str, change: Callable[[Member], SyncOperation]
) -> Status[QueuedOut]:
    key = _key(request)

    def work() -> QueuedOut:
        require_scope(key, ApiScope.MEMBERS_WRITE)
        return _queued(change(_member(key, ident)))

    return Status(202, _audited(request, endpoint, ident, work))


def _block(member: Member) -> SyncOperation:
    _customer_rules(member, whole_user=True, blocking=True)
    return users.user_block(actor=None, member=member)


def _unblock(member: Member) -> SyncOperation:
    _customer_rules(member, whole_user=True)
    return users.user_unblock(actor=None, member=member)


def _sign_out(member: Member) -> SyncOperation:
    _customer_rules(member, whole_user=True)
    return users.user_sign_out_everywhere(actor=None, member=member)


def _remove(member: Member) -> SyncOperation:
    _customer_rules(member, whole_user=False)
    users.member_remove_from_organization(actor=None, member=member)
    return SyncOperation.objects.filter(
        kind="member.remove", target_type="member", target_id=member.pk
    ).latest("pk")


@api.post("/members/{user_id}/block", response={202: QueuedOut, **ERRORS}, tags=["members"])
def block(request: HttpRequest, user_id: str) -> Status[QueuedOut]:
    """Stop the user signing in (their Auth0 user is blocked). `user_id` is their Auth0
    user id or their email."""
    return _change(request, "block", user_id, _block)


@api.post("/members/{user_id}/unblock", response={202: QueuedOut, **ERRORS}, tags=["members"])
def unblock(request: HttpRequest, user_id: str) -> Status[QueuedOut]:
    """Let a blocked user sign in again."""
    return _change(request, "unblock", user_id, _unblock)


@api.post("/members/{user_id}/sign-out", response={202: QueuedOut, **ERRORS}, tags=["members"])
def sign_out(request: HttpRequest, user_id: str) -> Status[QueuedOut]:
    """End the user's sessions and revoke their refresh tokens, everywhere."""
    return _change(request, "sign_out", user_id, _sign_out)


@api.delete("/members/{user_id}", response={202: QueuedOut, **ERRORS}, tags=["members"])
def remove(request: HttpRequest, user_id: str) -> Status[QueuedOut]:
    """Remove the member from the organization (their Auth0 user stays)."""
    return _change(request, "remove", user_id, _remove)


@api.get("/operations/{op_id}", response={200: OperationOut, **ERRORS}, tags=["operations"])
def operation(request: HttpRequest, op_id: int) -> OperationOut:
    """Where a queued change is: queued, running, retrying, succeeded, failed..."""
    key = _key(request)

    def work() -> OperationOut:
        require_scope(key, ApiScope.MEMBERS_READ)
        op = SyncOperation.objects.filter(pk=op_id, organization=key.organization).first()
        if op is None:
            raise not_found("This operation")
        return _operation_out(op)

    return _audited(request, "operation", str(op_id), work)
