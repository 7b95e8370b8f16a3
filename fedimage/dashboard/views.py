"""The initiative's pages: parse input, check permission, call selectors or a service.

They show what the trackers, health and meetings apps add to the initiative's objects (linked
issue progress, fixed-upstream flags, image health, blocker reviews), hence here, above them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fedimage.core.permissions import allowed, message, require
from fedimage.dashboard import selectors as dashboard_selectors
from fedimage.health import selectors as health_selectors
from fedimage.initiative import selectors, services
from fedimage.initiative.forms import (
    BlockerFileForm,
    BlockerFilterForm,
    BlockerForm,
    BlockerStatusForm,
    MigrationStageForm,
    MilestonePlanForm,
    MilestoneStatusForm,
)
from fedimage.initiative.history import Change, change_feed
from fedimage.initiative.models import Blocker, BlockerStatus, Migration
from fedimage.meetings import selectors as meeting_selectors
from fedimage.meetings import services as meeting_services
from trackers import selectors as tracker_selectors

# A page about one release, milestone or subproject lists this many of its blockers, with a
# link to all of them in the (paginated) blocker list.
BLOCKERS_SHOWN = 25
# The overview shows the latest few changes and links to the week's.
OVERVIEW_CHANGES = 6


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    releases = tracker_selectors.releases_with_progress(user=user)
    truths = dashboard_selectors.release_truths(releases)
    health_rows = health_selectors.health_grid()
    open_by_severity = selectors.open_blockers_by_severity(user=user)
    next_milestone = selectors.next_milestone()
    context = {
        "initiative": selectors.initiative_get(),
        "next_milestone": next_milestone,
        "next_truth": next(
            (t for t in truths if next_milestone and t.release.pk == next_milestone.release_id),
            None,
        ),
        "behind": [t for t in truths if t.is_behind],
        "attention": dashboard_selectors.needs_attention(
            user=user,
            truths=truths,
            health_rows=health_rows,
            critical_total={s: n for s, _, n in open_by_severity}.get("critical", 0),
        ),
        "releases": releases,
        "matrix": _with_evidence(selectors.migration_matrix(user=user)),
        "health_rows": health_rows,
        "open_by_severity": open_by_severity,
        "open_total": sum(n for _, _, n in open_by_severity),
        "changes": change_feed(user=user, limit=OVERVIEW_CHANGES, origin="people"),
        "today": timezone.localdate(),
    }
    return render(request, "initiative/overview.html", context)


def _with_evidence(rows: list[selectors.MatrixRow]) -> list[selectors.MatrixRow]:
    """Put the registry's evidence beside each subproject's declared migration stage."""
    evidence = health_selectors.base_evidence_by_subproject()
    return [replace(row, evidence=evidence.get(row.subproject.pk)) for row in rows]


@require_GET
def release_detail(request: HttpRequest, key: str) -> HttpResponse:
    user = request.user
    release = selectors.release_get(key=key)
    milestones = tracker_selectors.milestones_with_progress(user=user, release=release)
    blockers, total = _most_pressing(user, {"status": "unresolved", "release": release})
    context = {
        "release": release,
        "milestones": milestones,
        "blockers": blockers,
        "blockers_total": total,
        "blockers_all_url": _all_blockers_url(release=release.key),
        "changes": change_feed(
            user=user,
            limit=20,
            milestones=[m.pk for m in milestones],
            migrations=[],
            blockers=selectors.release_blocker_ids(user=user, release=release),
        ),
    }
    return render(request, "initiative/release_detail.html", context)


def _most_pressing(user, filters: dict) -> tuple[list[Blocker], int]:
    """The first BLOCKERS_SHOWN blockers matching, most pressing first, and how many match."""
    return tracker_selectors.most_pressing_blockers(
        user=user, filters=filters, limit=BLOCKERS_SHOWN
    )


def _all_blockers_url(**filters: str) -> str:
    """The blocker list filtered to what a page shows the first of."""
    return f"{reverse('dashboard:blocker-list')}?{urlencode(filters)}"


@require_http_methods(["GET", "POST"])
def milestone_detail(request: HttpRequest, key: str) -> HttpResponse:
    user = request.user
    milestone = tracker_selectors.milestone_with_progress(user=user, key=key)
    form = MilestoneStatusForm(initial={"status": milestone.status, "note": milestone.status_note})
    if request.method == "POST":
        require(user, "initiative.set_milestone_status", milestone)
        form = MilestoneStatusForm(request.POST)
        if form.is_valid():
            services.milestone_set_status(milestone=milestone, user=user, **form.cleaned_data)
            messages.success(request, f"Status of “{milestone.title}” recorded.")
            return redirect(milestone)
    blockers, total = _most_pressing(user, {"milestone": milestone})
    context = {
        "milestone": milestone,
        "plan_form": MilestonePlanForm(
            initial={"target_date": milestone.target_date, "owner": milestone.owner}
        ),
        "blockers": blockers,
        "blockers_total": total,
        "blockers_all_url": _all_blockers_url(milestone=milestone.key, status=""),
        "form": form,
        "health_rows": health_selectors.health_grid(milestone=milestone),
        "changes": change_feed(
            user=user,
            limit=30,
            milestones=[milestone.pk],
            migrations=[],
            blockers=selectors.blocker_ids(user=user, filters={"milestone": milestone}),
        ),
    }
    return render(
        request, "initiative/milestone_detail.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def milestone_plan(request: HttpRequest, key: str) -> HttpResponse:
    """A lead changes a milestone's target date and owner (the file still creates it)."""
    milestone = selectors.milestone_get(user=request.user, key=key)
    require(request.user, "initiative.edit_milestone", milestone)
    form = MilestonePlanForm(request.POST)
    if form.is_valid():
        services.milestone_edit_plan(milestone=milestone, user=request.user, **form.cleaned_data)
        messages.success(request, f"Target date and owner of “{milestone.title}” saved.")
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label or field}: {' '.join(errors)}")
    return redirect(milestone)


@require_http_methods(["GET", "POST"])
def subproject_detail(request: HttpRequest, key: str) -> HttpResponse:
    user = request.user
    subproject = tracker_selectors.subproject_with_links(user=user, key=key)
    migration: Migration | None = getattr(subproject, "migration", None)
    form = MigrationStageForm(
        initial={
            "stage": migration.stage,
            "note": migration.note,
            "evidence_url": migration.evidence_url,
        }
        if migration
        else None
    )
    if request.method == "POST":
        require(user, "initiative.set_migration_stage", migration)
        if migration is None:
            raise PermissionDenied(message("initiative.set_migration_stage"))
        form = MigrationStageForm(request.POST)
        if form.is_valid():
            services.migration_set_stage(migration=migration, user=user, **form.cleaned_data)
            messages.success(request, f"Migration stage of {subproject.name} recorded.")
            return redirect(subproject)
    blockers, total = _most_pressing(user, {"subproject": subproject})
    row = selectors.matrix_row(subproject)
    context = {
        "subproject": subproject,
        "migration": migration,
        "row": row,
        "health_rows": health_selectors.health_grid(subproject=subproject),
        "health_evidence": health_selectors.base_evidence_by_subproject().get(subproject.pk),
        "blockers": blockers,
        "blockers_total": total,
        "blockers_all_url": _all_blockers_url(subproject=subproject.key, status=""),
        "form": form,
        "can_set_stage": migration is not None
        and allowed(user, "initiative.set_migration_stage", migration),
        "changes": change_feed(
            user=user,
            limit=30,
            milestones=[],
            migrations=[migration.pk] if migration else [],
            blockers=selectors.blocker_ids(user=user, filters={"subproject": subproject}),
        ),
    }
    return render(
        request, "initiative/subproject_detail.html", context, status=400 if form.errors else 200
    )


@require_GET
def blocker_list(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    # Unresolved blockers unless the visitor chose (even "any status", sent as status=).
    params.setdefault("status", "unresolved")
    form = BlockerFilterForm(params)
    valid = form.is_valid()
    filters = form.cleaned_data if valid else {}
    blockers = selectors.blockers_ordered(
        tracker_selectors.blockers_with_flags(user=request.user, filters=filters),
        filters.get("sort", ""),
    )
    page = Paginator(blockers, 25).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "filters_invalid": not valid,
        "orders": [(key, words) for key, words, _ in selectors.BLOCKER_ORDERS],
        "order": filters.get("sort") or selectors.BLOCKER_ORDERS[0][0],
    }
    # htmx swaps in the table alone, except when it restores a page from history.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "initiative/_blocker_table.html" if partial else "initiative/blocker_list.html"
    response = render(request, template, context, status=200 if valid else 400)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def blocker_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    blocker = tracker_selectors.blocker_with_flags(user=user, pk=pk)
    tally = meeting_selectors.review_tally(blocker=blocker)
    context = {
        "blocker": blocker,
        "can_edit": allowed(user, "initiative.edit_blocker", blocker),
        "status_choices": BlockerStatus.choices,
        "upstream": tracker_selectors.upstream_state(blocker=blocker, user=user),
        "tally": tally,
        "my_vote": tally.vote_of(user),
        "can_justify": allowed(user, "meetings.justify", blocker),
        "next": request.path,
        "changes": _newest_first(
            change_feed(user=user, limit=0, milestones=[], migrations=[], blockers=[blocker.pk]),
            meeting_selectors.meeting_changes(user=user, limit=0, blockers=[blocker.pk]),
        ),
    }
    return render(request, "initiative/blocker_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def blocker_create(request: HttpRequest) -> HttpResponse:
    form = BlockerFileForm(request.POST or None, initial=_initial_links(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        filed = _file_once(request, data)
        if filed is None:
            form.add_error(None, "This form was sent by someone else; reload the page.")
        else:
            return redirect(filed)
    return render(
        request,
        "initiative/blocker_form.html",
        {"form": form, "creating": True},
        status=400 if form.errors else 200,
    )


def _file_once(request: HttpRequest, data: dict) -> Blocker | None:
    """File the form's blocker once per form token; a repeat finds the one filed first.

    None if the token is someone else's. Two submissions at once: the second one's insert
    waits for the first's commit, fails on the unique token and finds the first's blocker.
    """
    justification = data.pop("justification", "")
    submission = data.pop("submission", None)
    filed = selectors.blocker_submitted(submission=submission) if submission else None
    if filed is None:
        try:
            with transaction.atomic():
                blocker = services.blocker_file(
                    reporter=request.user, submission=submission, **data
                )
                if justification.strip():
                    meeting_services.review_justify(
                        blocker=blocker, user=request.user, justification=justification
                    )
        except IntegrityError:
            filed = selectors.blocker_submitted(submission=submission) if submission else None
            if filed is None:
                raise
        else:
            messages.success(request, f"Blocker #{blocker.pk} filed. Thank you.")
            return blocker
    if filed.reporter_id != request.user.pk:
        return None
    messages.info(request, f"This form was already sent: blocker #{filed.pk} was filed once.")
    return filed


def _initial_links(request: HttpRequest) -> dict:
    """Pre-tick the milestone or subproject the user came from (?milestone=key)."""
    initial = {}
    form = BlockerFilterForm(request.GET)
    if form.is_valid():
        if form.cleaned_data.get("milestone"):
            initial["milestones"] = [form.cleaned_data["milestone"]]
        if form.cleaned_data.get("subproject"):
            initial["subprojects"] = [form.cleaned_data["subproject"]]
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def blocker_edit(request: HttpRequest, pk: int) -> HttpResponse:
    blocker = selectors.blocker_get(user=request.user, pk=pk)
    require(request.user, "initiative.edit_blocker", blocker)
    form = BlockerForm(request.POST or None, instance=blocker)
    if request.method == "POST" and form.is_valid():
        services.blocker_update(blocker=blocker, user=request.user, **form.cleaned_data)
        messages.success(request, f"Blocker #{blocker.pk} updated.")
        return redirect(blocker)
    return render(
        request,
        "initiative/blocker_form.html",
        {"form": form, "blocker": blocker, "creating": False},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def blocker_set_status(request: HttpRequest, pk: int) -> HttpResponse:
    blocker = selectors.blocker_get(user=request.user, pk=pk)
    form = BlockerStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick one of the listed statuses.")
        return redirect(blocker)
    blocker = services.blocker_update(blocker=blocker, user=request.user, **form.cleaned_data)
    messages.success(
        request, f"Blocker #{blocker.pk} is now {blocker.get_status_display().lower()}."
    )
    return redirect(blocker)


def _newest_first(*feeds: list[Change]) -> list[Change]:
    return sorted((c for feed in feeds for c in feed), key=lambda c: c.when, reverse=True)


@require_GET
def changes(request: HttpRequest) -> HttpResponse:
    """Everything that changed since a date (the weekly meeting's view), default one week."""
    since_text = request.GET.get("since", "")
    try:
        since_day = date.fromisoformat(since_text) if since_text else None
        error = ""
    except ValueError:
        since_day = None
        error = f"“{since_text}” is not a date like 2026-11-18; showing the last 7 days."
    since_day = since_day or timezone.localdate() - timedelta(days=7)
    since = timezone.make_aware(datetime.combine(since_day, time.min))
    # People's changes and what meetings decided, newest first; file reloads kept apart.
    feed = _newest_first(
        change_feed(user=request.user, limit=200, since=since, origin="people"),
        meeting_selectors.meeting_changes(user=request.user, limit=200, since=since),
    )[:200]
    reloads = change_feed(user=request.user, limit=50, since=since, origin="file")
    return render(
        request,
        "initiative/changes.html",
        {"changes": feed, "reloads": reloads, "since": since_day, "error": error},
        status=400 if error else 200,
    )
