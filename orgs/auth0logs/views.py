"""The staff page of the Auth0 log archive (`/ops/auth0-logs/`): how the archive is doing,
the scan's charts, a search over the archive with pages, and CSV / JSON-lines exports of
what was searched. Staff only; everyone else gets a 404.

The page costs the same queries at any size: the session and user, the type choices (one
DISTINCT on the type index), the archive's checkpoint row, the page's count and rows, and
the scan's three grouped queries."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from orgs.auth0logs.archive import checkpoint
from orgs.auth0logs.export import csv_lines, json_lines
from orgs.auth0logs.scan import category_of, scan
from orgs.auth0logs.search import LogSearchForm
from orgs.views.access import staff_required

ENTRIES_PER_PAGE = 50
EXPORTS = {
    "csv": ("text/csv; charset=utf-8", csv_lines),
    "jsonl": ("application/x-ndjson; charset=utf-8", json_lines),
}


@staff_required
def log_list(request: HttpRequest) -> HttpResponse:
    form = LogSearchForm(request.GET)
    entries = form.entries()
    # get_page, not page: a junk or out-of-range ?page= gives the first or last page.
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(entry, category_of(entry.type)) for entry in page.object_list]
    return render(
        request,
        "auth0logs/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "searched": bool(form.valid_filters()),
            "scan": scan(form.chart_range()),
            "archive": checkpoint(),
        },
    )


# staff_required is typed for HttpResponse; a streamed response passes through it the same.
@staff_required  # type: ignore[arg-type]
def log_export(request: HttpRequest, fmt: str) -> StreamingHttpResponse:
    content_type, lines = EXPORTS[fmt]
    entries = LogSearchForm(request.GET).entries()
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(lines(entries), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="auth0-logs-{stamp}.{fmt}"'
    return response
