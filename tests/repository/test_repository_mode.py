"""Repository mode: every saved change is one commit (author the person, message the
audit event, the organization's files as the portal holds them), a deploy pulls outside
commits and applies head through the engine or a deploy command, then pushes; history
and back-out read the repository's commits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from orgs.models import Organization, Priority, SyncOperation
from orgs.repository import history
from orgs.repository.models import CommitState, ConfigCommit
from orgs.repository.tasks import retry_config_commits
from orgs.services.organizations import organization_update
from portal.models import User
from tests.conftest import log_in
from tests.orgs.engine import drain
from tests.repository.conftest import Repo, deploy, git

pytestmark = pytest.mark.django_db

ORG_FILE = "organizations/hooli.json"


def _hooli() -> Organization:
    return Organization.objects.get(name="hooli")


def _rename(actor: User | None, display_name: str, capture: Any) -> None:
    with capture(execute=True):
        organization_update(actor=actor, organization=_hooli(), display_name=display_name)


def _remote_head(repo: Repo) -> str:
    return git(repo.tmp, "--git-dir", str(repo.remote), "rev-parse", "main").strip()


def test_a_staff_change_makes_one_commit_with_its_author_and_message(
    repo: Repo, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    before = repo.count()
    _rename(staff, "Hooli Inc", django_capture_on_commit_callbacks)
    assert repo.count() == before + 1
    sha, name, email, subject = repo.log()[0].split("|")
    assert (name, email, subject) == (
        "Sam Staff",
        "sam@portal.test",
        "hooli: Changed the organization",
    )
    document = repo.show(ORG_FILE)
    assert document["display_name"] == "Hooli Inc"
    assert document["metadata"]["tier"] == "gold"
    row = ConfigCommit.objects.get()
    assert (row.state, row.sha) == (CommitState.COMMITTED, sha)


def test_two_changes_make_two_commits(
    repo: Repo, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    before = repo.count()
    _rename(staff, "Hooli One", django_capture_on_commit_callbacks)
    _rename(None, "Hooli Two", django_capture_on_commit_callbacks)
    assert repo.count() == before + 2
    newest, older = repo.log(ORG_FILE)[:2]
    assert newest.split("|")[1] == "system" and older.split("|")[1] == "Sam Staff"
    assert repo.show(ORG_FILE, "HEAD~1")["display_name"] == "Hooli One"
    assert repo.show(ORG_FILE)["display_name"] == "Hooli Two"


def test_a_deploy_pushes_the_portals_commits(
    repo: Repo, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    _rename(staff, "Hooli Inc", django_capture_on_commit_callbacks)
    done = deploy(staff)
    assert done.state == "succeeded", done.output
    head = git(repo.path, "rev-parse", "HEAD").strip()
    assert _remote_head(repo) == head == done.commit_sha
    assert "The portal already holds head" in done.output and "Pushed to main" in done.output
    assert done.started_by_label == "sam@portal.test" and done.finished_at is not None


def test_an_outside_commit_is_applied_by_the_next_deploy_and_shown_in_history(
    repo: Repo, staff: User, imported_tenant: Any, client: Client
) -> None:
    outside = repo.outside_commit(ORG_FILE, lambda d: d.update(display_name="Hooli Outside"))
    before = SyncOperation.objects.count()
    done = deploy(staff)
    assert done.state == "succeeded", done.output
    assert "update organization hooli" in done.output
    assert _hooli().display_name == "Hooli Outside"
    new_ops = SyncOperation.objects.order_by("id")[before:]
    assert new_ops and {op.priority for op in new_ops} == {Priority.BULK}
    assert set(drain()) == {"succeeded"}
    remote = next(
        o for o in imported_tenant.state()["organizations"].values() if o["name"] == "hooli"
    )
    assert remote["display_name"] == "Hooli Outside"
    versions = history.commit_versions(_hooli())
    assert versions[0].sha == outside and versions[0].author_name == "Outside Olga"
    page = log_in(client, staff).get(reverse("orgs:history", args=[_hooli().pk]))
    assert page.status_code == 200
    assert "Outside Olga" in page.text and "Rename hooli (pull request 7)" in page.text
    assert "Display name: &#x27;Hooli&#x27; → &#x27;Hooli Outside&#x27;" in page.text
    shown = client.get(reverse("org_repository:commit_version", args=[_hooli().pk, outside]))
    assert (
        "Rename hooli (pull request 7)" in shown.text and "Restore this version" not in shown.text
    )
    compare = client.get(
        reverse("org_repository:commit_compare", args=[_hooli().pk]),
        {"older": versions[1].sha, "newer": outside},
    )
    assert "Display name: &#x27;Hooli&#x27; → &#x27;Hooli Outside&#x27;" in compare.text


def test_restoring_the_previous_commit_backs_the_outside_change_out(
    repo: Repo,
    staff: User,
    imported_tenant: Any,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    repo.outside_commit(ORG_FILE, lambda d: d.update(display_name="Hooli Outside"))
    assert deploy(staff).state == "succeeded"
    drain()
    previous = history.commit_versions(_hooli())[1]
    log_in(client, staff)
    restore = reverse("org_repository:commit_restore", args=[_hooli().pk, previous.sha])
    confirm = client.get(restore)
    assert "Display name: &#x27;Hooli Outside&#x27; → &#x27;Hooli&#x27;" in confirm.text
    before_ops, before_commits = SyncOperation.objects.count(), repo.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(restore).status_code == 302
    assert repo.count() == before_commits + 1
    _sha, name, _email, subject = repo.log()[0].split("|")
    assert (name, subject) == ("Sam Staff", "hooli: Restored an earlier version")
    assert repo.show(ORG_FILE)["display_name"] == "Hooli"
    assert SyncOperation.objects.count() > before_ops
    assert set(drain()) == {"succeeded"}
    remote = next(
        o for o in imported_tenant.state()["organizations"].values() if o["name"] == "hooli"
    )
    assert remote["display_name"] == "Hooli"
    # Reversible: the outside commit can be restored in turn.
    assert history.find_version(_hooli(), history.commit_versions(_hooli())[1].sha) is not None


def test_a_failing_deploy_command_fails_with_its_output_and_retry_works(
    repo: Repo, staff: User, settings: Any, client: Client
) -> None:
    settings.ORG_CONFIG_DEPLOY_COMMAND = "sh -c 'echo importing {dir}; exit 3'"
    failed = deploy(staff)
    assert failed.state == "failed"
    assert f"importing {repo.path}" in failed.output
    assert "the deploy command exited with status 3" in failed.output
    page = log_in(client, staff).get(reverse("org_repository:deploy", args=[failed.pk]))
    assert "Retry" in page.text and "exited with status 3" in page.text
    settings.ORG_CONFIG_DEPLOY_COMMAND = "ls {dir}/organizations"
    retried = deploy(staff, retry_of=failed)
    assert retried.state == "succeeded", retried.output
    assert "hooli.json" in retried.output and retried.retry_of_id == failed.pk


def test_a_failed_commit_is_shown_and_retried(
    repo: Repo,
    staff: User,
    settings: Any,
    tmp_path: Path,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    (tmp_path / "a-file").write_text("")
    settings.ORG_CONFIG_REPOSITORY = tmp_path / "a-file" / "repo"  # cannot be created
    _rename(staff, "Hooli Inc", django_capture_on_commit_callbacks)
    row = ConfigCommit.objects.get()
    assert row.state == CommitState.FAILED and row.error
    page = log_in(client, staff).get(reverse("orgs:history", args=[_hooli().pk]))
    assert "Commit failed" in page.text
    settings.ORG_CONFIG_REPOSITORY = repo.path
    assert retry_config_commits() == 1
    assert ConfigCommit.objects.get().state == CommitState.COMMITTED
    assert repo.show(ORG_FILE)["display_name"] == "Hooli Inc"


def test_the_deploys_page_is_for_staff_and_starts_one_deploy_at_a_time(
    repo: Repo, staff: User, client: Client
) -> None:
    log_in(client, staff)
    assert client.get(reverse("org_repository:deploys")).status_code == 200
    client.post(reverse("org_repository:deploy_now"))
    client.post(reverse("org_repository:deploy_now"))  # refused: one is queued
    assert [d.state for d in repo_deploys()] == ["queued", "succeeded"]
    outsider = User.objects.create_user(sub="auth0|olga", email="olga@outside.test")
    client.force_login(outsider)
    assert client.get(reverse("org_repository:deploys")).status_code == 404


def repo_deploys() -> list[Any]:
    from orgs.repository.models import ConfigDeploy

    return list(ConfigDeploy.objects.order_by("-id"))


def test_live_mode_writes_no_commits(
    portal_orgs: dict[str, Organization],
    settings: Any,
    tmp_path: Path,
    staff: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.ORG_CONFIG_MODE = "live"
    settings.ORG_CONFIG_REPOSITORY = tmp_path / "org-config"
    _rename(staff, "Hooli Inc", django_capture_on_commit_callbacks)
    assert not ConfigCommit.objects.exists()
    assert not (tmp_path / "org-config").exists()
