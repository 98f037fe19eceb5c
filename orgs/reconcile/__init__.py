"""Compare what the database wants with what Auth0 has; mark drift with a readable diff,
or (`fix=True`) repair it by recording the same convergent operations a change would.

The work comes in units (one organization with the connections it owns, one shared
connection), each run as bulk priority and marking its findings as it makes them:
- `orgs.tasks.reconcile_all` (beat) fans out one task per unit (`dispatch.fan_out`);
  a task refused by a rate limit sends itself again at `retry_at` (`dispatch.run_unit`);
- `reconcile()` runs every unit in this process, waiting out refusals (the command).
"""

from orgs.reconcile.dispatch import CONNECTION_TASK, ORGANIZATION_TASK, Send, fan_out, run_unit
from orgs.reconcile.report import Drift, ReconcileReport
from orgs.reconcile.units import (
    live_organizations,
    reconcile,
    reconcile_connection,
    reconcile_organization,
    shared_connections,
)

__all__ = [
    "CONNECTION_TASK",
    "ORGANIZATION_TASK",
    "Drift",
    "ReconcileReport",
    "Send",
    "fan_out",
    "live_organizations",
    "reconcile",
    "reconcile_connection",
    "reconcile_organization",
    "run_unit",
    "shared_connections",
]
