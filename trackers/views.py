"""Pages of the trackers app (sync status, upstream issues, boards) and the webhook endpoints."""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from fedimage.core.durations import duration_words
from fedimage.core.permissions import allowed, require
from trackers import selectors, services, webhooks
from trackers.models import IssueState, SyncRun, TrackerKind, TrackerSource
from trackers.status import source_status

logger = logging.getLogger("trackers.webhooks")


@require_GET
def sync_status(request: HttpRequest) -> HttpResponse:
    sources = list(selectors.source_list())
    now = timezone.now()
    rows = [(source, source_status(source, now=now)) for source in sources]
    enabled = [status for source, status in rows if source.enabled]
    context = {
        "rows": rows,
        "runs": selectors.run_list()[:30],
        "can_sync": allowed(request.user, "trackers.sync_now"),
        "summary": {
            "enabled": len(enabled),
            "failing": sum(1 for s in enabled if s.state in ("failing", "paused")),
            "never": sum(1 for s in enabled if s.state == "never"),
        },
    }
    return render(request, "trackers/sync_status.html", context)


@require_GET
def source_detail(request: HttpRequest, name: str) -> HttpResponse:
    source = selectors.source_get(name=name)
    runs = Paginator(selectors.run_list(source=source), 50).get_page(request.GET.get("page"))
    context = {
        "source": source,
        "status": source_status(source),
        "runs": runs,
        "page": runs,
        "can_sync": allowed(request.user, "trackers.sync_now"),
    }
    return render(request, "trackers/source_detail.html", context)


# Sync now: leads queue a sync and follow it in place (htmx polls the run until it is done).


def _sync_control(
    request: HttpRequest,
    source: TrackerSource,
    *,
    run: SyncRun | None,
    message: str = "",
    tone: str = "",
) -> HttpResponse:
    context = {
        "source": source,
        "run": run,
        "message": message,
        "tone": tone,
        "can_sync": allowed(request.user, "trackers.sync_now"),
        # A finished run changed the source's status and counts: the page updates them too.
        "oob_status": source_status(source) if run is not None and run.is_finished else None,
    }
    return render(request, "trackers/_sync_control.html", context)


@require_POST
def sync_now(request: HttpRequest, name: str) -> HttpResponse:
    source = selectors.source_get(name=name)
    require(request.user, "trackers.sync_now", source)
    if not source.enabled:
        message, tone, run = f"{source.name} is disabled in the initiative file.", "error", None
    else:
        asked = services.sync_now(source=source, requested_by=request.user.get_username())
        run = asked.run
        if asked.queued:
            message, tone = "Sync queued.", "success"
        elif asked.paused_until is not None:
            left = duration_words(asked.paused_until - timezone.now())
            at = timezone.localtime(asked.paused_until)
            message = (
                f"{source.name} is paused by a rate limit until {at:%H:%M:%S} (in {left}); "
                "its sync resumes then, where it stopped."
            )
            tone = "warn"
        else:
            message, tone = "A sync of this source is already under way: its progress is below.", ""
    if not request.htmx:
        level = {"error": messages.ERROR, "warn": messages.WARNING}.get(tone, messages.SUCCESS)
        messages.add_message(request, level, message)
        return redirect(source.get_absolute_url())
    return _sync_control(request, source, run=run, message=message, tone=tone)


@require_GET
def run_progress(request: HttpRequest, name: str, pk: int) -> HttpResponse:
    source = selectors.source_get(name=name)
    run = selectors.run_get(pk=pk, source=source)
    return _sync_control(request, source, run=run)


class IssueFilterForm(forms.Form):
    source = forms.ChoiceField(required=False)
    state = forms.ChoiceField(required=False, choices=[("", "Any"), *IssueState.choices])
    label = forms.CharField(required=False, max_length=200)
    q = forms.CharField(required=False, max_length=200, label="Title")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        names = selectors.source_names()
        self.fields["source"].choices = [("", "Upstream sources"), *((n, n) for n in names)]


@require_GET
def issue_list(request: HttpRequest) -> HttpResponse:
    form = IssueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    filters = {**filters, "upstream": not filters.get("source")}
    issues = selectors.issue_list(user=request.user, filters=filters)
    page = Paginator(issues, 50).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "filters_invalid": form.is_bound and not form.is_valid()}
    # htmx swaps in the table alone, except when it restores a page from history.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "trackers/_issue_table.html" if partial else "trackers/issue_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


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
