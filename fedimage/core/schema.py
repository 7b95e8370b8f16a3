"""The API schema documents every answer an endpoint can give, errors included.

drf-spectacular documents the success answers it can infer; this postprocessing hook adds the
error answers every endpoint can give (fedimage.core.rest, DRF's authentication, permissions
and throttling) with the body DRF sends: `{"detail": "..."}`, or one list of messages per
field for a 400.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular import openapi

from fedimage.core.permissions import Rules

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
    """Document the error answers on every operation (SPECTACULAR_SETTINGS' hook).

    Also: a read-only URL may be "" (every blank=True URLField of a model).
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR
    ref = {"$ref": "#/components/schemas/Error"}
    _blank_read_only_uris(result)
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


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, closer to what the API really answers.

    - An action without a rule (Rules) needs no sign-in: its security lists `{}`.
    - A read-only field over a nullable model field (`owner`, `beta_target`) is nullable:
      ModelSerializer drops `allow_null` from read-only fields, so spectacular cannot see it.
    """

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if getattr(field, "read_only", False) and _model_field_is_nullable(field):
            meta["nullable"] = True
        return meta

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        ruled = any(isinstance(p, Rules) for p in self.view.get_permissions())
        action = getattr(self.view, "action", None)
        if ruled and action not in getattr(self.view, "rules", {}) and {} not in auths:
            auths.append({})
        return auths


def _blank_read_only_uris(node: Any) -> None:
    """A read-only URL field answers "" when blank (ModelSerializer drops allow_blank)."""
    if isinstance(node, list):
        for item in node:
            _blank_read_only_uris(item)
    elif isinstance(node, dict):
        if node.get("format") == "uri" and node.get("readOnly"):
            del node["format"]
            node["anyOf"] = [{"format": "uri"}, {"maxLength": 0}]
        for value in node.values():
            _blank_read_only_uris(value)


def _model_field_is_nullable(field) -> bool:
    """Whether the model field a serializer field reads (through relations) may be null."""
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    for attr in getattr(field, "source_attrs", []) or []:
        if model is None:
            return False
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return False
        if getattr(model_field, "null", False):
            return True
        model = getattr(model_field, "related_model", None)
    return False
