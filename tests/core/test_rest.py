"""Django's ValidationError from a service is a field-level 400 in every app's API."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError

from fedimage.core.rest import exception_handler


def test_a_field_error_is_a_400_naming_the_field():
    response = exception_handler(DjangoValidationError({"stage": "'9' is not a stage."}), {})

    assert response.status_code == 400
    assert response.data == {"stage": ["'9' is not a stage."]}


def test_an_error_without_a_field_is_a_non_field_error():
    response = exception_handler(DjangoValidationError("Pick one."), {})

    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Pick one."]}


def test_other_errors_keep_drf_answers():
    assert exception_handler(PermissionDenied("Leads only."), {}).status_code == 403
    assert exception_handler(ValueError("a bug"), {}) is None  # a 500, as before


def test_a_refusal_keeps_its_rules_message():
    response = exception_handler(PermissionDenied("Only initiative leads may run meetings."), {})

    assert response.status_code == 403
    assert response.data == {"detail": "Only initiative leads may run meetings."}
