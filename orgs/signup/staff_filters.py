"""The staff list's view of a sign-up's state, as Q objects in one place, so a tab's rows,
its count and each row's badge all come from the same conditions.

A provisioned sign-up's state is its organization's kept operation counters
(orgs/sync/counts.py), never the operations table: failed while any operation failed,
provisioning while any is open, done when neither."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When

from orgs.signup.models import Signup, SignupStatus

_PROVISIONED = Q(status=SignupStatus.PROVISIONED)
_HAS_FAILED = Q(organization__failed_operations__gt=0)
# An organization removed from the database altogether (the link is SET_NULL) has nothing
# left to do, so such a sign-up counts as done rather than belonging to no tab.
_SETTLED = Q(organization__isnull=True) | Q(
    organization__failed_operations=0, organization__open_operations=0
)


@dataclass(frozen=True)
class SignupState:
    key: str  # the ?status= value
    label: str
    condition: Q
    badge: str  # the badge's modifier class ("" for a plain badge)


STATES: tuple[SignupState, ...] = (
    SignupState(
        "awaiting_verification",
        "Awaiting verification",
        Q(status=SignupStatus.AWAITING_VERIFICATION),
        "badge-info",
    ),
    SignupState(
        "awaiting_approval",
        "Awaiting approval",
        Q(status=SignupStatus.AWAITING_APPROVAL),
        "badge-warn",  # waits for staff
    ),
    SignupState(
        "name_taken", "Needs another short name", Q(status=SignupStatus.NAME_TAKEN), "badge-info"
    ),
    SignupState(
        "provisioning",
        "Provisioning",
        _PROVISIONED & Q(organization__failed_operations=0, organization__open_operations__gt=0),
        "badge-info",
    ),
    SignupState("done", "Done", _PROVISIONED & _SETTLED, "badge-ok"),
    SignupState("failed", "Failed", _PROVISIONED & _HAS_FAILED, "badge-bad"),
    SignupState("abandoned", "Abandoned", Q(status=SignupStatus.EXPIRED), ""),
    SignupState("refused", "Refused", Q(status=SignupStatus.REFUSED), ""),
)
STATES_BY_KEY = {state.key: state for state in STATES}
ALL = "all"


def with_state(signups: QuerySet[Signup]) -> QuerySet[Signup]:
    """Each row annotated with `staff_state`, the key of the state it is in."""
    return signups.annotate(
        staff_state=Case(
            *(When(state.condition, then=Value(state.key)) for state in STATES),
            default=Value(""),
            output_field=CharField(),
        )
    )


def filtered(signups: QuerySet[Signup], key: str) -> QuerySet[Signup]:
    """The sign-ups in state `key` (all of them for "all" or a key that is no state)."""
    state = STATES_BY_KEY.get(key)
    return signups.filter(state.condition) if state is not None else signups


def state_counts(signups: QuerySet[Signup]) -> dict[str, int]:
    """How many of `signups` are in each state, and in all, in one query."""
    counts = signups.order_by().aggregate(
        **{state.key: Count("pk", filter=state.condition) for state in STATES},
        **{ALL: Count("pk")},
    )
    return {key: int(value or 0) for key, value in counts.items()}
