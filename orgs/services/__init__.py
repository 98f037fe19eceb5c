"""Services: every change the portal makes, each one transaction that writes rows, an
AuditEvent and the SyncOperations it needs (enqueued on commit). Views and commands call
these; nothing else writes the tenant's records."""

from orgs.services.errors import ServiceError

__all__ = ["ServiceError"]
