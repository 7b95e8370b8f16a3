"""Report and chart pages, and the reports' Markdown and CSV exports."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fedimage.initiative.selectors import release_get, release_queryset
from fedimage.reports import charts
from fedimage.reports.reports import (
    UPSTREAMS,
    Report,
    release_report,
    to_csv,
    to_markdown,
    upstream_report,
)

EXPORTS = {
    "md": ("text/markdown; charset=utf-8", to_markdown),
    "csv": ("text/csv; charset=utf-8", to_csv),
}


def _viewer(request: HttpRequest):
    """Who the report is built for: `?public=1` builds the shareable one anyone may see."""
    return AnonymousUser() if request.GET.get("public") else request.user


def _export(request: HttpRequest, report: Report, fmt: str) -> HttpResponse:
    if fmt not in EXPORTS:
        raise Http404("No such export format.")
    content_type, render_as = EXPORTS[fmt]
    base_url = request.build_absolute_uri("/").rstrip("/")
    response = HttpResponse(render_as(report, base_url=base_url), content_type=content_type)
    public = "-public" if request.GET.get("public") else ""
    response["Content-Disposition"] = f'attachment; filename="{report.slug}{public}.{fmt}"'
    return response


@require_GET
def report_index(request: HttpRequest) -> HttpResponse:
    context = {"upstreams": UPSTREAMS.values(), "releases": release_queryset()}
    return render(request, "reports/index.html", context)


@require_GET
def upstream_detail(request: HttpRequest, key: str) -> HttpResponse:
    report = upstream_report(key=key, user=_viewer(request))
    return render(request, "reports/report.html", {"report": report})


@require_GET
def upstream_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    return _export(request, upstream_report(key=key, user=_viewer(request)), fmt)


@require_GET
def release_detail(request: HttpRequest, key: str) -> HttpResponse:
    release = release_get(key=key)
    viewer = _viewer(request)
    context = {
        "report": release_report(release=release, user=viewer),
        "charts": charts.release_charts(user=viewer, release=release),
    }
    return render(request, "reports/report.html", context)


@require_GET
def release_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    report = release_report(release=release_get(key=key), user=_viewer(request))
    return _export(request, report, fmt)


@require_GET
def chart_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/charts.html",
        {"charts": charts.initiative_charts(user=request.user), "weeks": charts.DEFAULT_WEEKS},
    )
