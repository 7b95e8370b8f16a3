"""REST API glue every app shares: Django's ValidationError answered as a field-level 400."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus a service's Django ValidationError as a 400 naming its fields.

    `{"status": ["'x' is not one of ..."]}` for a field error; a message without a field comes
    under `non_field_errors`, as DRF's own serializer errors do. A Django PermissionDenied is a
    403 that keeps its message (the rule's, fedimage.core.permissions).
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)
