"""The CI results page: test runs read from the report tracker, unparsed ones with the reason."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fedimage.ci import selectors
from fedimage.ci.forms import RunFilterForm


@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    form = RunFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else {}
    runs = selectors.run_list(filters=filters)
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "counts": selectors.run_counts(),
        "source": settings.CI_REPORT_SOURCE,
        "filters_invalid": form.is_bound and not form.is_valid(),
    }
    return render(request, "ci/run_list.html", context)
