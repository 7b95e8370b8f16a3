"""The API answers as its schema says: schemathesis against /api/schema/, in process.

Every operation, anonymous and as a signed-in lead (a personal API token), valid and invalid
inputs, with a fixed seed and a bounded number of examples: 0 server errors, 0 answers the
schema does not describe (status codes, content types, bodies, headers).

Two of schemathesis' checks are left out, both about the data, not the schema:
positive_data_acceptance (input valid by the schema may name a milestone, owner or meeting
that does not exist: a 400 naming the field is the right answer) and negative_data_rejection
(django-filter's convention reads an empty filter, `?kind=`, as no filter).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks

from fedimage.accounts.services import api_token_create

pytestmark = pytest.mark.django_db

EXCLUDED = [checks.positive_data_acceptance, checks.negative_data_rejection]
# Examples per operation and user: the whole test stays within about two minutes.
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 4}


@pytest.fixture
def app():
    """Django's WSGI app, sharing the test's transaction (as Django's test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["anonymous", "lead"])
def headers(request, initiative) -> dict[str, str]:
    if request.param == "anonymous":
        return {}
    lead = request.getfixturevalue("lead")
    _, key = api_token_create(user=lead, name="schemathesis")
    return {"Authorization": f"Bearer {key}"}


def run(operation, mode: GenerationMode, headers: dict[str, str]) -> list[str]:
    failures: list[str] = []

    @seed(1111)
    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        try:
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)
        except (AssertionError, FailureGroup) as failure:
            failures.append(f"{operation.label} [{mode.value}]: {failure}")

    try:
        check()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing to get wrong (no parameters, no body)
    return failures


def test_the_api_answers_as_its_schema_says(app, headers):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += run(operation, mode, headers)
    assert failures == []
