from orgs.usermigration.models.exports import ExportFormat, ExportStatus, UserExport
from orgs.usermigration.models.migrations import (
    ChunkStatus,
    MigrationChunk,
    MigrationRow,
    MigrationStatus,
    RowStatus,
    UserMigration,
)

__all__ = [
    "ChunkStatus",
    "ExportFormat",
    "ExportStatus",
    "MigrationChunk",
    "MigrationRow",
    "MigrationStatus",
    "RowStatus",
    "UserExport",
    "UserMigration",
]
