"""The portal's record of the tenant: what we want Auth0 to hold, and how far it got."""

from orgs.models.applications import Application, ApplicationURL
from orgs.models.audit import AuditEvent
from orgs.models.base import Synced, SyncState
from orgs.models.connections import Connection, ConnectionApplication, OrganizationConnection
from orgs.models.organizations import Domain, MembershipModel, Organization, OrgStatus
from orgs.models.people import Invitation, InvitationStatus, Member, Role
from orgs.models.sync import OpState, SyncOperation

__all__ = [
    "Application",
    "ApplicationURL",
    "AuditEvent",
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
    "Role",
    "SyncOperation",
    "SyncState",
    "Synced",
]
