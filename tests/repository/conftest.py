"""Repository mode against the sandbox: the deploy tests' two organizations, then the
mode switched on with a working repository and a bare remote in tmp_path, seeded by a
first deploy (which commits an export and pushes it)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orgs.models import Organization
from orgs.repository.deploys import run_deploy, start_deploy
from orgs.repository.models import ConfigDeploy
from portal.models import User
from tests.deploy.conftest import portal_orgs

__all__ = ["portal_orgs"]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={
            "GIT_AUTHOR_NAME": "Outside Olga",
            "GIT_AUTHOR_EMAIL": "olga@outside.test",
            "GIT_COMMITTER_NAME": "Outside Olga",
            "GIT_COMMITTER_EMAIL": "olga@outside.test",
            "HOME": str(cwd),
            "PATH": "/usr/bin:/bin:/usr/local/bin",
        },
    )
    return done.stdout


@dataclass
class Repo:
    path: Path
    remote: Path
    tmp: Path

    def log(self, *paths: str) -> list[str]:
        """`sha|author name|author email|subject`, newest first."""
        out = git(self.path, "log", "--format=%H|%an|%ae|%s", "--", *paths)
        return out.splitlines()

    def show(self, path: str, ref: str = "HEAD") -> Any:
        return json.loads(git(self.path, "show", f"{ref}:{path}"))

    def count(self) -> int:
        return int(git(self.path, "rev-list", "--count", "HEAD").strip())

    def outside_commit(self, path: str, change: Callable[[dict[str, Any]], None]) -> str:
        """Clone the remote, edit one file, commit and push: a merged pull request."""
        clone = self.tmp / "outside"
        if not clone.exists():
            git(self.tmp, "clone", str(self.remote), str(clone))
        git(clone, "pull", "--ff-only")
        document = json.loads((clone / path).read_text())
        change(document)
        (clone / path).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        git(clone, "commit", "-am", "Rename hooli (pull request 7)")
        git(clone, "push", "origin", "HEAD:main")
        return git(clone, "rev-parse", "HEAD").strip()


def deploy(actor: User | None = None, retry_of: ConfigDeploy | None = None) -> ConfigDeploy:
    """Start a deploy and run it as its worker would (the task's body)."""
    started = start_deploy(actor=actor, retry_of=retry_of)
    run_deploy(started.pk)
    return ConfigDeploy.objects.get(pk=started.pk)


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_user(
        sub="auth0|sam", email="sam@portal.test", name="Sam Staff", is_staff=True
    )


@pytest.fixture
def repo(
    portal_orgs: dict[str, Organization],
    settings: Any,
    tmp_path: Path,
) -> Repo:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--bare", "--initial-branch", "main", str(remote))
    settings.ORG_CONFIG_MODE = "repository"
    settings.ORG_CONFIG_REPOSITORY = tmp_path / "org-config"
    settings.ORG_CONFIG_REMOTE = str(remote)
    settings.ORG_CONFIG_BRANCH = "main"
    settings.ORG_CONFIG_DEPLOY_COMMAND = ""
    first = deploy()
    assert first.state == "succeeded", first.output
    return Repo(path=tmp_path / "org-config", remote=remote, tmp=tmp_path)
