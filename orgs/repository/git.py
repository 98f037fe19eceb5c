"""The one wrapper around git: the git CLI, run as a subprocess with a timeout.

Why the CLI rather than dulwich or pygit2: a deploy pulls (fetch + merge) and pushes, and
the CLI's merge, conflict handling and transports (ssh, https with the host's credential
helpers, local paths) are the ones people already run against the same repository by
hand; dulwich has no full merge and pygit2 needs libgit2 built for the host. git 2.x is
in the image. Every call has a timeout and raises GitError with git's own words.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

GIT_TIMEOUT = 120.0
# Who commits (authors are the people): the portal itself.
COMMITTER_NAME = "Organization Admin Portal"
COMMITTER_EMAIL = "portal@localhost"


class GitError(Exception):
    """A git command failed; `output` is what it said."""

    def __init__(self, command: list[str], output: str) -> None:
        super().__init__(f"git {' '.join(command)} failed: {output.strip()}")
        self.output = output


@dataclass(frozen=True)
class Author:
    name: str
    email: str


def repository_path() -> Path:
    return Path(settings.ORG_CONFIG_REPOSITORY)


def git(*args: str, cwd: Path | None = None, author: Author | None = None) -> str:
    """Run `git args...` in the repository; its stdout, or GitError with its output."""
    env = {
        **os.environ,
        "GIT_COMMITTER_NAME": COMMITTER_NAME,
        "GIT_COMMITTER_EMAIL": COMMITTER_EMAIL,
        "GIT_TERMINAL_PROMPT": "0",  # never wait for a password on a deploy
        "LC_ALL": "C",
    }
    if author is not None:
        env.update(GIT_AUTHOR_NAME=author.name, GIT_AUTHOR_EMAIL=author.email)
    command = list(args)
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, arguments are ours
            ["git", *command],  # noqa: S607 - git from PATH, like a person would
            cwd=cwd or repository_path(),
            env=env,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(command, str(exc)) from exc
    if done.returncode != 0:
        raise GitError(command, done.stdout + done.stderr)
    return done.stdout


def ensure_repository() -> Path:
    """The working repository, created (on ORG_CONFIG_BRANCH) when it does not exist yet;
    a remote is cloned so the portal's commits follow what is already there."""
    path = repository_path()
    if (path / ".git").exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    remote, branch = settings.ORG_CONFIG_REMOTE, settings.ORG_CONFIG_BRANCH
    if remote and _remote_has_branch(remote, branch):
        git("clone", "--branch", branch, remote, str(path), cwd=path.parent)
        return path
    path.mkdir(parents=True, exist_ok=True)
    git("init", "--initial-branch", branch)
    if remote:
        git("remote", "add", "origin", remote)
    return path


def _remote_has_branch(remote: str, branch: str) -> bool:
    out = git("ls-remote", "--heads", remote, branch, cwd=repository_path().parent)
    return bool(out.strip())


def head_sha() -> str:
    """The current commit, or "" before the first."""
    try:
        return git("rev-parse", "--verify", "--quiet", "HEAD").strip()
    except GitError:
        return ""


def commit_all(message: str, author: Author) -> str:
    """Commit the working tree as it is (an unchanged tree still makes the commit: one
    commit per saved change). Returns its sha."""
    git("add", "--all")
    git("commit", "--allow-empty", "--no-verify", "--quiet", "-m", message, author=author)
    return head_sha()
