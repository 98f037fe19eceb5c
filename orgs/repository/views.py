"""Repository mode's pages: the organization's History tab read from commits (list,
compare, one commit, restore), and the staff page of deploys (Deploy now, output, Retry).

orgs.views.org_history hands its History tab here in repository mode. Access is the
same: staff and the organization's own admin read the history, only staff restore and
deploy."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from orgs.history.diff import describe_changes, summary
from orgs.history.restore import plan_snapshot_restore, restore_snapshot
from orgs.models import Organization
from orgs.repository import history
from orgs.repository.deploys import start_deploy
from orgs.repository.forms import CompareCommitsForm
from orgs.repository.models import CommitState, ConfigCommit, ConfigDeploy, DeployState
from orgs.services import ServiceError
from orgs.views.access import get_organization_for, staff_required
from orgs.views.tabs import render_tab
from portal.confirm import Confirmation, render_confirmation
from portal.models import User

TAB = "orgs:history"
PER_PAGE = 25


def organization_history(request: HttpRequest, org: Organization) -> HttpResponse:
    versions = history.commit_versions(org)
    page = Paginator(versions, PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "version": version,
            "summary": summary(
                describe_changes(
                    history.snapshot_before(org, version.sha), history.snapshot_at(org, version.sha)
                )
            ),
        }
        for version in page.object_list
    ]
    initial = {"newer": versions[0].sha, "older": versions[1].sha} if len(versions) > 1 else {}
    context = {
        "page": page,
        "rows": rows,
        "form": CompareCommitsForm(initial=initial, versions=versions),
        "can_compare": len(versions) > 1,
        "waiting": _waiting_commits(org),
    }
    return render_tab(request, org, TAB, "org_repository/history.html", context)


def _waiting_commits(org: Organization) -> list[ConfigCommit]:
    return list(
        ConfigCommit.objects.filter(organization=org)
        .exclude(state=CommitState.COMMITTED)
        .order_by("id")
    )


@login_required
def commit_compare(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    versions = history.commit_versions(org)
    form = CompareCommitsForm(request.GET, versions=versions)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        by_sha = {v.sha: v for v in versions}
        older, newer = by_sha[form.cleaned_data["older"]], by_sha[form.cleaned_data["newer"]]
        changes = describe_changes(
            history.snapshot_at(org, older.sha), history.snapshot_at(org, newer.sha)
        )
        context.update(older=older, newer=newer, changes=changes)
    return render_tab(request, org, TAB, "org_repository/history_compare.html", context)


@login_required
def commit_version(request: HttpRequest, pk: int, sha: str) -> HttpResponse:
    from orgs.views.org_history import readable_configuration

    org = get_organization_for(request, pk)
    version = _version(org, sha)
    snapshot = history.snapshot_at(org, sha)
    context: dict[str, Any] = {
        "version": version,
        "configuration": readable_configuration(snapshot),
        "changes": describe_changes(history.snapshot_before(org, sha), snapshot),
        "restorable": "",
        "restore_changes": [],
    }
    if request.user.is_staff:
        try:
            context["restore_changes"] = plan_snapshot_restore(
                org, snapshot, label=_label(version)
            ).changes
        except ServiceError as exc:
            context["restorable"] = exc.message
    return render_tab(request, org, TAB, "org_repository/history_version.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def commit_restore(request: HttpRequest, pk: int, sha: str) -> HttpResponse:
    """GET: the changes restoring the commit records; POST: record them (audited, so
    they become a new commit)."""
    org = get_organization_for(request, pk)
    version = _version(org, sha)
    snapshot = history.snapshot_at(org, sha)
    back = reverse("org_repository:commit_version", args=[org.pk, sha])
    try:
        plan = plan_snapshot_restore(org, snapshot, label=_label(version))
        if request.method != "POST":
            return render_confirmation(request, _confirmation(org, version, plan.changes, back))
        restore_snapshot(
            actor=cast(User, request.user),
            organization=org,
            snapshot=snapshot,
            label=_label(version),
            restored_commit=sha,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        f"Restoring commit {version.short}: its changes are recorded as a new commit and go "
        "to Auth0 now (see Activity).",
    )
    return redirect(TAB, pk=org.pk)


def _label(version: history.CommitVersion) -> str:
    return f"Commit {version.short}"


def _version(org: Organization, sha: str) -> history.CommitVersion:
    version = history.find_version(org, sha)
    if version is None:
        raise Http404
    return version


def _confirmation(
    org: Organization, version: history.CommitVersion, changes: list[str], back: str
) -> Confirmation:
    return Confirmation(
        title=f"Restore commit {version.short} of {org.display_name}?",
        action_url=reverse("org_repository:commit_restore", args=[org.pk, version.sha]),
        button=f"Restore commit {version.short}",
        cancel_url=back,
        impact=(
            *changes,
            "Each change is recorded and sent to Auth0 like any other, and the result is a "
            "new commit: restoring the commit before it undoes it.",
        ),
    )


# --- Deploys (staff) -------------------------------------------------------------------


@staff_required
def deploy_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(ConfigDeploy.objects.order_by("-id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    failed_commits = ConfigCommit.objects.filter(state=CommitState.FAILED).count()
    pending_commits = ConfigCommit.objects.filter(state=CommitState.PENDING).count()
    context = {
        "page": page,
        "failed_commits": failed_commits,
        "pending_commits": pending_commits,
        "busy": ConfigDeploy.objects.filter(
            state__in=[DeployState.QUEUED, DeployState.RUNNING]
        ).exists(),
    }
    return render(request, "org_repository/deploys.html", context)


@require_POST
@staff_required
def deploy_now(request: HttpRequest) -> HttpResponse:
    try:
        deploy = start_deploy(actor=cast(User, request.user))
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("org_repository:deploys")
    messages.success(request, f"Deploy {deploy.pk} is queued.")
    return redirect("org_repository:deploy", deploy_id=deploy.pk)


@staff_required
def deploy_detail(request: HttpRequest, deploy_id: int) -> HttpResponse:
    deploy = get_object_or_404(ConfigDeploy.objects.select_related("retry_of"), pk=deploy_id)
    return render(request, "org_repository/deploy.html", {"deploy": deploy})


@require_POST
@staff_required
def deploy_retry(request: HttpRequest, deploy_id: int) -> HttpResponse:
    deploy = get_object_or_404(ConfigDeploy, pk=deploy_id)
    try:
        retry = start_deploy(actor=cast(User, request.user), retry_of=deploy)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("org_repository:deploy", deploy_id=deploy.pk)
    messages.success(request, f"Deploy {retry.pk} retries deploy {deploy.pk}.")
    return redirect("org_repository:deploy", deploy_id=retry.pk)
