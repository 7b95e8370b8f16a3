"""REST API glue every app shares: field-level 400s, a bounded JSON parser, strict filters.

- A service's Django ValidationError is a field-level 400 (exception_handler).
- Request bodies: at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413), JSON at most JSON_MAX_DEPTH
  levels deep (checked before parsing recurses), no NUL characters, no integer beyond what the
  database stores: 400 naming the field (JSONParser).
- List filters: a query parameter the endpoint does not know is a 400 naming it, never silently
  ignored (FilterBackend).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, filters, parsers, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from fedimage.core import inputs


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus a service's Django ValidationError as a 400 naming its fields.

    `{"status": ["'x' is not one of ..."]}` for a field error; a message without a field comes
    under `non_field_errors`, as DRF's own serializer errors do. A Django PermissionDenied is a
    403 that keeps its message (the rule's, fedimage.core.permissions). A body over
    DATA_UPLOAD_MAX_MEMORY_SIZE is a 413.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = RequestTooLarge(f"The request body is larger than {limit} bytes.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def _field_error(path: tuple[str, ...], message: str) -> exceptions.ValidationError:
    """A 400 under the top-level field, the rest of the path in the message."""
    field = path[0] if path else "non_field_errors"
    where = f" (at {'.'.join(path[1:])})" if len(path) > 1 else ""
    return exceptions.ValidationError({field: [message + where]})


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser within fedimage's input limits (fedimage.core.inputs)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
        try:
            data = inputs.json_loads(raw)
        except inputs.InputRefused as refused:
            raise exceptions.ParseError(str(refused)) from None
        path = inputs.find_nul(data)
        if path is not None:
            raise _field_error(path, inputs.NUL_MESSAGE)
        path = inputs.find_big_int(data)
        if path is not None:
            raise _field_error(
                path, f"Ensure this value is between {inputs.INT_MIN} and {inputs.INT_MAX}."
            )
        return data


def _refuse_nul_fields(data) -> None:
    for key, values in data.lists():
        if "\x00" in key or any("\x00" in value for value in values if isinstance(value, str)):
            raise _field_error((key.replace("\x00", ""),), inputs.NUL_MESSAGE)


class FormParser(parsers.FormParser):
    """DRF's form parser, refusing NUL characters as the JSON parser does."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _refuse_nul_fields(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing NUL characters as the JSON parser does."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_nul_fields(parsed.data)
        return parsed


def refuse_unknown_parameters(request, known: set[str]) -> None:
    """A 400 naming each query parameter not in `known` (and listing those that are)."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise exceptions.ValidationError(
            {name: [f"Unknown query parameter; this endpoint knows: {listed}."] for name in unknown}
        )


class KnownQueryParametersMixin:
    """For a view without the filter backend (a plain ViewSet): unknown parameters are a 400.

    Known: `format` and the view's `query_parameters`.
    """

    query_parameters: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        known = {api_settings.URL_FORMAT_OVERRIDE, *self.query_parameters} - {None}
        refuse_unknown_parameters(request, known)  # type: ignore[arg-type]


PAGINATION_PARAMETERS = (
    "page_query_param",
    "page_size_query_param",
    "limit_query_param",
    "offset_query_param",
    "cursor_query_param",
)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend; a query parameter the endpoint does not know is a 400.

    Known: the filterset's filters, `search` where the view has search_fields, `ordering`, the
    pagination's parameters, `format` and the view's own `query_parameters` (those its
    get_queryset reads and its schema documents). `/api/blockers/?private=true` would otherwise
    answer the unfiltered list as if it were filtered.
    """

    def filter_queryset(self, request, queryset, view):
        refuse_unknown_parameters(request, self.known_parameters(request, queryset, view))
        return super().filter_queryset(request, queryset, view)

    def known_parameters(self, request, queryset, view) -> set[str]:
        known = {api_settings.URL_FORMAT_OVERRIDE} - {None}
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            known |= set(filterset_class.base_filters)
        if getattr(view, "search_fields", None):
            known.add(api_settings.SEARCH_PARAM)
        if any(issubclass(b, filters.OrderingFilter) for b in view.filter_backends):
            known.add(api_settings.ORDERING_PARAM)  # without ordering_fields: the serializer's
        paginator = getattr(view, "paginator", None)
        for name in PAGINATION_PARAMETERS:
            value = getattr(paginator, name, None)
            if value:
                known.add(value)
        known |= set(getattr(view, "query_parameters", ()))
        return known


class UTCIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date and time, in UTC: PostgreSQL refuses offsets of ±16:00 and more."""

    def clean(self, value):
        cleaned = super().clean(value)
        if cleaned is None:
            return None
        try:
            return inputs.as_utc(cleaned)
        except inputs.InputRefused as refused:
            raise DjangoValidationError(str(refused), code="invalid") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """django-filter's ISO 8601 filter, its value in UTC (every API date-time filter)."""

    field_class = UTCIsoDateTimeField


class SearchFilter(filters.SearchFilter):
    """DRF's search, documented only where the view searches (has search_fields)."""

    def get_schema_operation_parameters(self, view):
        if not getattr(view, "search_fields", None):
            return []
        return super().get_schema_operation_parameters(view)


def page_not_found(request, exception):
    """The 404 for a URL nothing answers: JSON under /api/ (as the schema says), else a page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
