"""The API schema documents every answer an endpoint can give, errors included.

drf-spectacular documents the success answers it can infer; this postprocessing hook adds the
error answers every endpoint can give (fedimage.core.rest, DRF's authentication, permissions
and throttling) with the body DRF sends: `{"detail": "..."}`, or one list of messages per
field for a 400.
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "description": "`detail` says what went wrong; a 400 names each field or query "
    "parameter with a list of messages instead (or as well).",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}

# (status, description), for every operation.
ALWAYS = [
    ("400", "Invalid input: each field or query parameter named with its messages."),
    ("401", "The Authorization header's token or password is not valid."),
    ("403", "Not allowed for you (or not signed in)."),
    ("404", "No such object, or not visible to you; or no such page of a list."),
    ("405", "Method not allowed here."),
    ("406", "No answer in a media type the Accept header allows."),
    ("429", "Too many requests: wait the Retry-After header's seconds."),
]
# ... and for operations with a request body.
WITH_BODY = [
    ("413", "The request body is larger than the limit (README, “API limits”)."),
    ("415", "The request body's media type is not JSON or a form."),
]
WRITE_METHODS = {"post", "put", "patch"}


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """Document the error answers on every operation (SPECTACULAR_SETTINGS' hook)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            extra = ALWAYS + (WITH_BODY if method in WRITE_METHODS else [])
            for code, description in extra:
                operation["responses"].setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
