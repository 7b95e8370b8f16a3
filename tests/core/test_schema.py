"""The API schema documents the error answers every endpoint can give."""

import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_every_operation_documents_its_error_answers(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)

    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403", "404", "429"} <= codes, (method, path)
            if method in ("post", "patch", "put"):
                assert {"413", "415"} <= codes, (method, path)
    assert schema["components"]["schemas"]["Error"]["properties"] == {"detail": {"type": "string"}}
