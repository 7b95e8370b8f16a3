"""Pages of image health: parse input, call a selector."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fedimage.health import selectors


@require_GET
def health_grid(request: HttpRequest) -> HttpResponse:
    return render(request, "health/grid.html", {"rows": selectors.health_grid()})


@require_GET
def image_detail(request: HttpRequest, key: str) -> HttpResponse:
    image = selectors.image_get(key=key)
    context = {
        "image": image,
        "row": selectors.image_rows(image=image),
        "changes": selectors.image_changes(image=image),
    }
    return render(request, "health/image_detail.html", context)
