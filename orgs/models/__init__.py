"""The portal's record of the tenant: what we want Auth0 to hold, and how far it got."""

from orgs.models.api_keys import ApiKey, ApiScope
from orgs.models.applications import Application, ApplicationURL
from orgs.models.audit import AuditEvent
from orgs.models.base import Synced, SyncState
from orgs.models.bulk import BulkRow, BulkRowStatus, BulkRun, BulkRunStatus
from orgs.models.connections import Connection, ConnectionApplication, OrganizationConnection
from orgs.models.organizations import Domain, MembershipModel, Organization, OrgStatus
from orgs.models.people import Invitation, InvitationStatus, Member, Role
from orgs.models.sync import (
    OPEN_STATES,
    UNSETTLED_STATES,
    ArchivedOperation,
    OpState,
    Origin,
    Priority,
    SyncOperation,
)
from orgs.models.versions import OrganizationVersion

__all__ = [
    "OPEN_STATES",
    "UNSETTLED_STATES",
    "ApiKey",
    "ApiScope",
    "Application",
    "ApplicationURL",
    "ArchivedOperation",
    "AuditEvent",
    "BulkRow",
    "BulkRowStatus",
    "BulkRun",
    "BulkRunStatus",
    "Connection",
    "ConnectionApplication",
    "Domain",
    "Invitation",
    "InvitationStatus",
    "Member",
    "MembershipModel",
    "OpState",
    "OrgStatus",
    "Organization",
    "OrganizationConnection",
    "OrganizationVersion",
    "Origin",
    "Priority",
    "Role",
    "SyncOperation",
    "SyncState",
    "Synced",
]
