"""One permission layer: named rules (django-rules predicates), each with its refusal message.

Each app defines its rules in its `rules.py` (`define(name, predicate, message)`); pages,
services, the REST API and the admin all ask the same rule: `user.has_perm(name, obj)` (the
rules backend answers), `require(user, name, obj)` (raises PermissionDenied with the rule's
message, which Django answers with a 403), or the DRF permission class `Rules`.
"""

from __future__ import annotations

from typing import Any

import rules
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

_MESSAGES: dict[str, str] = {}


def define(name: str, predicate: rules.Predicate, message: str) -> None:
    """Define (or redefine) the rule `name` and the message a refusal says."""
    rules.set_perm(name, predicate)
    _MESSAGES[name] = message


def message(name: str) -> str:
    return _MESSAGES[name]


def allowed(user: Any, name: str, obj: Any = None) -> bool:
    """Whether the rule lets the user do it (a superuser as any other user: rules decide)."""
    return rules.has_perm(name, user, obj)


def require(user: Any, name: str, obj: Any = None) -> None:
    """Raise PermissionDenied, with the rule's message, unless the rule allows it."""
    if not allowed(user, name, obj):
        raise PermissionDenied(_MESSAGES[name])


def require_user(user: Any, name: str, obj: Any = None) -> User:
    """require(), for rules that only a signed-in user passes; returns that user."""
    require(user, name, obj)
    if not isinstance(user, User):
        raise PermissionDenied(_MESSAGES[name])
    return user


class Rules(BasePermission):
    """DRF permission: the view's `rules` map an action to a rule (an action not named: allowed).

    A detail action asks its rule about the object; any other (a create) asks it without one.
    """

    def _check(self, request: Any, view: Any, obj: Any) -> bool:
        name = getattr(view, "rules", {}).get(getattr(view, "action", None))
        if name is None or allowed(request.user, name, obj):
            return True
        self.message = _MESSAGES[name]
        return False

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(getattr(view, "detail", False)) or self._check(request, view, None)

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return self._check(request, view, obj)
