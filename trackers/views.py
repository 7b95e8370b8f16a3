"""Pages of the trackers app (sync status, upstream issues, boards) and the webhook endpoints."""

from __future__ import annotations

import logging

from django import forms
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from trackers import selectors, services, webhooks
from trackers.models import IssueState, TrackerKind, TrackerSource

logger = logging.getLogger("trackers.webhooks")


@require_GET
def sync_status(request: HttpRequest) -> HttpResponse:
    sources = list(selectors.source_list())
    enabled = [s for s in sources if s.enabled]
    context = {
        "sources": sources,
        "runs": selectors.run_list()[:30],
        "summary": {
            "enabled": len(enabled),
            "failing": sum(1 for s in enabled if s.is_failing),
            "never": sum(1 for s in enabled if s.last_success_at is None and not s.is_failing),
        },
    }
    return render(request, "trackers/sync_status.html", context)


@require_GET
def source_detail(request: HttpRequest, name: str) -> HttpResponse:
    source = selectors.source_get(name=name)
    context = {"source": source, "runs": selectors.run_list(source=source)[:100]}
    return render(request, "trackers/source_detail.html", context)


class IssueFilterForm(forms.Form):
    source = forms.ChoiceField(required=False)
    state = forms.ChoiceField(required=False, choices=[("", "Any"), *IssueState.choices])
    label = forms.CharField(required=False, max_length=200)
    q = forms.CharField(required=False, max_length=200, label="Title")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        names = TrackerSource.objects.values_list("name", flat=True)
        self.fields["source"].choices = [("", "Upstream sources"), *((n, n) for n in names)]


@require_GET
def issue_list(request: HttpRequest) -> HttpResponse:
    form = IssueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    filters = {**filters, "upstream": not filters.get("source")}
    issues = selectors.issue_list(user=request.user, filters=filters)
    page = Paginator(issues, 50).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "filters_invalid": form.is_bound and not form.is_valid()}
    template = "trackers/_issue_table.html" if request.htmx else "trackers/issue_list.html"
    return render(request, template, context)


@require_GET
def board(request: HttpRequest, name: str) -> HttpResponse:
    source = selectors.board_get(name=name)
    columns = selectors.board_columns(user=request.user, source=source)
    return render(request, "trackers/board.html", {"source": source, "columns": columns})


# Webhooks: authenticated by their secret, not by a session, so CSRF does not apply to them.


def _hook(request: HttpRequest, kind: str) -> JsonResponse:
    delivery_id = ""
    try:
        verified = webhooks.verify(kind, request)
        delivery_id = verified.delivery.delivery_id
        if not verified.issue_event:
            return JsonResponse({"status": "ignored", "reason": "not an issue event"})
        if verified.source is None:
            raise webhooks.Refused(404, f"no source for project {verified.delivery.project!r}")
        if not services.webhook_accept(source=verified.source, delivery=verified.delivery):
            raise webhooks.Refused(409, "replayed delivery id")
    except RequestDataTooBig:
        return _refuse(request, kind, delivery_id, webhooks.Refused(413, "body too large"))
    except webhooks.Refused as refused:
        return _refuse(request, kind, delivery_id or _raw_id(request, kind), refused)
    return JsonResponse({"status": "queued"}, status=202)


def _raw_id(request: HttpRequest, kind: str) -> str:
    return webhooks._header(request, webhooks.HEADERS[TrackerKind(kind)][0])[:200]


def _refuse(request: HttpRequest, kind: str, delivery_id: str, refused: webhooks.Refused):
    logger.warning(
        "refused %s webhook delivery %r from %s: %s",
        kind,
        delivery_id,
        request.META.get("REMOTE_ADDR", "?"),
        refused,
    )
    return JsonResponse({"status": "refused", "reason": str(refused)}, status=refused.status)


@csrf_exempt
@require_POST
def gitlab_hook(request: HttpRequest) -> JsonResponse:
    return _hook(request, TrackerKind.GITLAB)


@csrf_exempt
@require_POST
def github_hook(request: HttpRequest) -> JsonResponse:
    return _hook(request, TrackerKind.GITHUB)


@csrf_exempt
@require_POST
def forgejo_hook(request: HttpRequest) -> JsonResponse:
    return _hook(request, TrackerKind.FORGEJO)
