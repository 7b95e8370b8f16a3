"""Request middleware of core: HEAD served as GET, and NUL characters refused.

HEAD works wherever GET does (uptime monitors and link checkers use HEAD).

Views declare the methods they allow (`require_GET`, `require_http_methods`), and many forget
HEAD. This middleware, first in the chain, serves a HEAD request as the GET it mirrors and
drops the body, keeping the status and headers (Content-Length included), as RFC 9110 asks.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import (
    HttpRequest,
    HttpResponseBadRequest,
    HttpResponseBase,
    JsonResponse,
    QueryDict,
)


class HeadAsGetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        response = self.get_response(request)
        request.method = "HEAD"
        if response.streaming:
            response.streaming_content = []  # type: ignore[attr-defined]
        else:
            length = len(response.content)  # type: ignore[attr-defined]
            response.content = b""  # type: ignore[attr-defined]
            response["Content-Length"] = str(length)
        return response


class RefuseNulMiddleware:
    """A NUL character in the path, the query or a posted form is a 400, before any view.

    PostgreSQL can neither store nor compare a string holding NUL, so any lookup with one
    (`/api/milestones/a%00b/`, `?milestone=a%00b`) would otherwise end in a 500.
    """

    FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        where = self._nul_in(request)
        if where is None:
            return self.get_response(request)
        message = f"The {where} holds a null character."
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")

    def _nul_in(self, request: HttpRequest) -> str | None:
        if "\x00" in request.path_info:
            return "path"
        if _has_nul(request.GET):
            return "query"
        is_form = request.method == "POST" and request.content_type in self.FORMS
        if is_form and _has_nul(request.POST):
            return "form"
        return None


def _has_nul(data: QueryDict) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in data.lists()
    )
