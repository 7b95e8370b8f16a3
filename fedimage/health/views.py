"""Pages of image health: parse input, check permission, call one selector or service."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_POST

from fedimage.core.permissions import require
from fedimage.health import selectors, services
from fedimage.health.models import PollTrigger


def _batch(request: HttpRequest) -> selectors.BatchProgress | None:
    try:
        return selectors.batch_progress(batch=UUID(request.GET.get("batch", "")))
    except ValueError:
        return None


@require_GET
def health_grid(request: HttpRequest) -> HttpResponse:
    progress = _batch(request)
    context = {
        "grid": selectors.health_grid_page(page=request.GET.get("page")),
        "counts": selectors.state_counts(),
        "progress": progress,
    }
    response = render(request, "health/grid.html", context)
    if progress is not None:
        # Poll runs change every second while they run: this answer is never stored (the
        # page cache keeps the grid through polls, which do not show on it otherwise).
        patch_cache_control(response, no_store=True)
    return response


@require_GET
def image_detail(request: HttpRequest, key: str) -> HttpResponse:
    image = selectors.image_get(key=key)
    latest = selectors.image_run_latest(image=image)
    progress = _batch(request)
    if progress is None and latest is not None and latest.is_active:
        progress = selectors.batch_progress(batch=latest.batch)
    context = {
        "image": image,
        "row": selectors.image_rows(image=image),
        "changes": selectors.image_changes(image=image, page=request.GET.get("changes")),
        "latest_run": latest,
        "progress": progress,
    }
    return render(request, "health/image_detail.html", context)


@require_POST
def poll_now(request: HttpRequest, key: str | None = None) -> HttpResponse:
    """Ask for a poll of one image (or of all): its progress replaces the button."""
    require(request.user, "health.poll_now")
    if key is not None:
        images = [selectors.image_get(key=key)]
        back = reverse("health:image", kwargs={"key": key})
    else:
        images = list(selectors.active_images())
        back = reverse("health:grid")
    asked = services.polls_request(images=images, trigger=PollTrigger.MANUAL, user=request.user)
    if not request.htmx:
        return redirect(f"{back}?batch={asked.batch}#poll-progress")
    progress = selectors.batch_progress(batch=asked.batch)
    return render(request, "health/_progress.html", {"progress": progress, "fresh": True})


@require_GET
def poll_progress(request: HttpRequest, batch: UUID) -> HttpResponse:
    """The progress box of some runs asked for together; it stops asking once they are done."""
    progress = selectors.batch_progress(batch=batch)
    if progress is None:
        raise Http404("No such poll.")
    response = render(request, "health/_progress.html", {"progress": progress})
    if progress.finished and request.htmx:
        response["HX-Trigger"] = "health-polled"  # the page reloads what the poll changed
    return response
