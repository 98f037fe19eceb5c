"""An organization's history in repository mode: the commits touching its files (the
portal's and outside ones alike), each read back as a snapshot (orgs.repository.files),
so the History tab compares and restores commits with orgs.history's diff and restore."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from orgs.deploy import layout
from orgs.history.snapshot import Snapshot, empty_snapshot
from orgs.models import Organization
from orgs.repository.files import snapshot_from_files
from orgs.repository.git import GitError, git, repository_path

_FIELD = "\x1f"
_LOG_FORMAT = _FIELD.join(("%H", "%an", "%ae", "%ct", "%s"))


@dataclass(frozen=True)
class CommitVersion:
    sha: str
    author_name: str
    author_email: str
    date: datetime
    message: str

    @property
    def short(self) -> str:
        return self.sha[:7]


def organization_paths(organization: Organization) -> tuple[str, str]:
    return layout.organization_file(organization.name), layout.portal_file(organization.name)


def commit_versions(organization: Organization) -> list[CommitVersion]:
    """The commits that changed the organization's files, newest first."""
    if not (repository_path() / ".git").exists():
        return []
    try:
        out = git("log", f"--format={_LOG_FORMAT}", "--", *organization_paths(organization))
    except GitError:
        return []  # no commit yet
    versions = []
    for line in out.splitlines():
        sha, name, email, stamp, subject = line.split(_FIELD, 4)
        when = datetime.fromtimestamp(int(stamp), tz=UTC)
        versions.append(CommitVersion(sha, name, email, when, subject))
    return versions


def find_version(organization: Organization, sha: str) -> CommitVersion | None:
    return next((v for v in commit_versions(organization) if v.sha == sha), None)


def snapshot_at(organization: Organization, sha: str) -> Snapshot:
    """The organization's configuration as commit `sha` holds it (empty when the
    commit has no organization file for it: before its creation or after its deletion)."""
    org_path, side_path = organization_paths(organization)
    snapshot = snapshot_from_files(organization.name, _show(sha, org_path), _show(sha, side_path))
    return snapshot if snapshot is not None else empty_snapshot(organization.name)


def snapshot_before(organization: Organization, sha: str) -> Snapshot:
    """What the commit's parent held (empty for a root commit)."""
    try:
        parent = git("rev-parse", "--verify", "--quiet", f"{sha}^").strip()
    except GitError:
        return empty_snapshot(organization.name)
    return snapshot_at(organization, parent)


def _show(sha: str, path: str) -> str | None:
    try:
        return git("show", f"{sha}:{path}")
    except GitError:
        return None
