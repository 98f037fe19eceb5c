"""What the progress page shows: the sign-up's provisioning as a few steps in plain words,
each worked out from the organization's operations (the engine's record of Auth0)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from orgs.models import OpState, SyncOperation
from orgs.signup.models import Signup


class StepState(enum.Enum):
    WAITING = "waiting"
    WORKING = "working"
    RETRYING = "retrying"  # an attempt failed; the engine tries again on its own
    DONE = "done"
    FAILED = "failed"  # failed for good: staff are told and finish it


@dataclass(frozen=True)
class Step:
    label: str
    state: StepState


@dataclass(frozen=True)
class Progress:
    steps: list[Step]
    # Staff deleted the organization since: nothing more will happen on this page.
    removed: bool = False

    @property
    def done(self) -> bool:
        return bool(self.steps) and all(step.state is StepState.DONE for step in self.steps)

    @property
    def failed(self) -> bool:
        return any(step.state is StepState.FAILED for step in self.steps)

    @property
    def troubled(self) -> bool:
        return any(step.state in (StepState.RETRYING, StepState.FAILED) for step in self.steps)

    @property
    def settled(self) -> bool:
        """Nothing will change without a person: the page stops polling."""
        return self.done or self.failed or self.removed

    @property
    def done_count(self) -> int:
        return sum(step.state is StepState.DONE for step in self.steps)


SIGN_IN_KINDS = ("connection.create", "organization_connection.sync")


def provisioning_progress(signup: Signup) -> Progress:
    organization = signup.organization
    if organization is None or not organization.is_live:
        return Progress([], removed=True)
    operations = list(organization.sync_operations.only("kind", "state", "attempts", "last_error"))
    by_kind = {
        "create": [op for op in operations if op.kind == "organization.create"],
        "sign_in": [op for op in operations if op.kind in SIGN_IN_KINDS],
        "invite": [op for op in operations if op.kind == "invitation.send"],
    }
    return Progress(
        [
            Step(f"Create {signup.company_name} in our sign-in service", _state(by_kind["create"])),
            Step("Turn on sign-in for your organization", _state(by_kind["sign_in"])),
            Step(f"Send your invitation to {signup.email}", _state(by_kind["invite"])),
        ]
    )


def _state(operations: Iterable[SyncOperation]) -> StepState:
    ops = list(operations)
    if not ops:
        return StepState.WAITING
    states = {op.state for op in ops}
    if states & {OpState.FAILED, OpState.CANCELLED}:
        return StepState.FAILED
    if states == {OpState.SUCCEEDED}:
        return StepState.DONE
    if any(op.state in (OpState.QUEUED, OpState.RUNNING) and op.last_error for op in ops):
        return StepState.RETRYING
    if OpState.RUNNING in states or OpState.SUCCEEDED in states:
        return StepState.WORKING
    return StepState.WAITING
