"""Whole pages from the cache, valid while the data they show is unchanged; conditional GET.

A page (a URL name) is registered with the topics of data it shows (`register_pages`), and
each model with the topic it belongs to (`watch`). Saving a watched model gives its topic a new
version (now and after the commit); a cached page carries the versions it was built from and
is served only while they are current, so a change shows on the next request and nothing is
invalidated by hand: old entries age out (`PAGE_CACHE_SECONDS`, which also bounds how stale
"3 minutes ago" wording can get). A hit costs one cache round trip (the copy, the versions,
the session's marker and the session itself in one read).

One middleware, `PageCacheMiddleware`, right after ConditionalGetMiddleware: it resolves the
URL itself and answers a registered GET from the cache before any session, CSRF, user, time
zone, messages, CSP or htmx work (a hit is one cache read and a copy of stored headers);
otherwise it stores the fresh 200 once every inner middleware had its say (their
headers included), and never one that gives the browser a new cookie. The key holds the
request's cookies (session and CSRF: a page's forms carry a token of its browser), Host,
scheme, Accept and htmx headers; a request with credentials in an Authorization header (API
tokens) is never answered from the cache.
A signed-in session's pages are served only while its marker lives (logging out deletes
it) and the session itself is still there for the same user (deleted or expired on the
server: none). Every stored page gets an ETag, so `ConditionalGetMiddleware` answers a
repeated request with 304 and no body.

Bumps are unique tokens rather than increments: two processes bumping at once each leave a
new value, which is all a key needs (the file cache of the embedded default has no atomic
increment).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterable
from functools import partial
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.core.cache import DEFAULT_CACHE_ALIAS, cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import set_response_etag
from rest_framework.request import Request
from rest_framework.views import APIView

PREFIX = "pc:"
# Request headers that change what a page says (besides cookies): content negotiation, htmx.
KEY_HEADERS: tuple[str, ...] = (
    "HTTP_ACCEPT",
    "HTTP_HX_REQUEST",
    "HTTP_HX_BOOSTED",
    "HTTP_HX_HISTORY_RESTORE_REQUEST",
    "HTTP_HX_TARGET",
    "HTTP_HX_TRIGGER",
)

# What Django gives as a session key (get_random_string of lowercase letters and digits).
_SESSION_KEY = re.compile(r"[a-z0-9]{8,64}")

_pages: dict[str, tuple[str, ...]] = {}
_topics_by_model: dict[Any, str] = {}


def register_pages(pages: dict[str, Iterable[str]]) -> None:
    """Cache these URL names (`namespace:name` as `reverse` takes it), each with its topics."""
    for name, topics in pages.items():
        _pages[name] = tuple(sorted(set(topics)))


def cached_pages() -> dict[str, tuple[str, ...]]:
    return dict(_pages)


def watch(model: type[Model], topic: str, *, deletes: bool = True) -> None:
    """Bump `topic` whenever `model` is saved (and deleted, unless `deletes` is False).

    Pass deletes=False for high-volume history (samples, runs): a delete receiver turns
    Django's fast bulk delete into one that loads every row, and pruning old history changes
    nothing a cached page shows before the page ages out.
    """
    _topics_by_model[model] = topic
    uid = f"pagecache-{model._meta.label}"
    post_save.connect(_on_change, sender=model, dispatch_uid=uid, weak=False)
    if deletes:
        post_delete.connect(_on_change, sender=model, dispatch_uid=uid, weak=False)
    for field in model._meta.local_many_to_many:
        through = field.remote_field.through
        m2m_changed.connect(_on_m2m, sender=through, dispatch_uid=f"{uid}-{field.name}", weak=False)
        _topics_by_model[through] = topic


def _on_change(sender: type[Model], **kwargs: Any) -> None:
    bump(_topics_by_model[sender])


def _on_m2m(sender: type[Model], action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        bump(_topics_by_model[sender])


def bump(*topics: str) -> None:
    """Give the topics new versions now, and again once the current transaction commits.

    Now, so no page cached before the change is served again; after the commit, because a
    request may have cached the page from the data before the commit under the new version.
    """
    if not topics:
        return
    _set_versions(topics)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(partial(_set_versions, topics))


def is_version_bump(callback: Callable[[], Any]) -> bool:
    """Whether an on-commit callback is one of bump()'s (tests count the others)."""
    return getattr(callback, "func", None) is _set_versions


def bump_all() -> None:
    """New versions for every topic a page shows: every cached page is forgotten."""
    _set_versions({t for topics in _pages.values() for t in topics})


def _set_versions(topics: Iterable[str]) -> None:
    cache.set_many({f"{PREFIX}v:{t}": uuid.uuid4().hex for t in topics}, timeout=None)


def versions(topics: Iterable[str]) -> list[str]:
    """The current version of each topic (a topic never seen, or evicted, gets a new one)."""
    keys = [f"{PREFIX}v:{t}" for t in topics]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, uuid.uuid4().hex, timeout=None)
            found[key] = cache.get(key)
    return [str(found[k]) for k in keys]


def _session_marker(request: HttpRequest) -> str | None:
    value = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not value:
        return None
    return PREFIX + "s:" + hashlib.sha256(value.encode()).hexdigest()


def _session_entry(request: HttpRequest) -> str | None:
    """The cache key of the browser's session itself, where sessions live in this cache.

    A hit is answered before SessionMiddleware: it reads the session's own entry in the same
    round trip, so a session deleted or expired on the server (signed out in another tab, by
    an administrator, by its age) gets no page it was given, however recent. With the marker
    alone its pages were served until they aged out. None where sessions are kept elsewhere
    (then the marker alone), or for a value Django never gives as a session key (no marker
    is ever stored for one).
    """
    engine = import_module(settings.SESSION_ENGINE)
    prefix = getattr(engine.SessionStore, "cache_key_prefix", None)
    if prefix is None or settings.SESSION_CACHE_ALIAS != DEFAULT_CACHE_ALIAS:
        return None
    value = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    return prefix + value if _SESSION_KEY.fullmatch(value) else None


def _still_signed_in(found: dict[str, Any], marker: str, session: str | None) -> bool:
    """The session's marker lives, and its session still names the user the marker names."""
    if marker not in found:
        return False  # a session not seen signed in lately: the view checks it
    if session is None:
        return True
    data = found.get(session)
    return isinstance(data, dict) and str(data.get(SESSION_KEY)) == str(found[marker])


def forget_session(request: HttpRequest) -> None:
    """Serve no more cached pages to this browser's session (on logout)."""
    marker = _session_marker(request)
    if marker:
        cache.delete(marker)


def _page_key(request: HttpRequest) -> str:
    parts = [
        request.get_full_path(),
        request.get_host(),
        "https" if request.is_secure() else "http",
        *(request.META.get(h, "") for h in KEY_HEADERS),
        *(f"{k}={v}" for k, v in sorted(request.COOKIES.items())),
    ]
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
    return f"{PREFIX}p:{digest}"


def _enabled() -> bool:
    return getattr(settings, "PAGE_CACHE_SECONDS", 0) > 0


class PageCacheMiddleware:
    """Answer a registered GET from the cache, or store the fresh 200 the inner layers built.

    Placed right after ConditionalGetMiddleware, before sessions, CSRF, users, time zones,
    messages, CSP and htmx: a hit is one cache round trip and a copy of the stored headers,
    which already hold everything those layers added when the page was built.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and _enabled():
            cached = _fetch(request)
            if cached is not None:
                return cached
        response = self.get_response(request)
        _store(request, response)
        return response


def _fetch(request: HttpRequest) -> HttpResponse | None:
    # A flash message is shown once: a page carrying one is never cached nor served cached.
    # A client sending credentials (an API token) is checked, and its use recorded, on every
    # request: its pages are built each time (and still answered 304 when unchanged).
    if "messages" in request.COOKIES or "HTTP_AUTHORIZATION" in request.META:
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    topics = _pages.get(match.view_name)
    if topics is None:
        return None
    request.resolver_match = match  # the request metrics label a hit by its view's name too
    # One round trip: the page's copy, its topics' versions, the session's marker and the
    # session itself. The copy is used only if it was built from the versions current now.
    marker = _session_marker(request)
    session = _session_entry(request) if marker else None
    key = _page_key(request)
    keys = [f"{PREFIX}v:{t}" for t in topics]
    extra = [k for k in (marker, session) if k]
    found = cache.get_many([key, *keys, *extra])
    if all(k in found for k in keys):
        topic_versions = [str(found[k]) for k in keys]
    else:
        topic_versions = versions(topics)
    # Stored with the versions read before the view ran: a change committed meanwhile makes
    # this copy stale at once.
    request._page_cache_entry = (key, topic_versions)  # type: ignore[attr-defined]
    if marker and not _still_signed_in(found, marker, session):
        return None
    entry = found.get(key)
    if entry is None or entry[0] != topic_versions:
        return None
    if not _throttles_allow(request, match.func, found.get(marker) if marker else None):
        return None  # the view answers 429 itself, with its Retry-After
    _, status, headers, content = entry
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    return response


def _throttles_allow(request: HttpRequest, view_func, user_pk: int | None) -> bool:
    """Whether an API view's throttles let this request through (and count it if so).

    A page from the cache still counts against its client's API rate, as a built one would.
    The signed-in user is the one the session's marker names: no session or user query.
    """
    view_class = getattr(view_func, "cls", None)
    if view_class is None or not issubclass(view_class, APIView):
        return True
    view = view_class(**getattr(view_func, "initkwargs", {}))
    drf_request = Request(request)
    user = _ThrottledUser(user_pk) if user_pk else AnonymousUser()
    original = request.__dict__.get("user")
    drf_request.user = user  # sets the Django request's user too: put back below
    try:
        return all(t.allow_request(drf_request, view) for t in view.get_throttles())
    finally:
        if original is None:
            request.__dict__.pop("user", None)
        else:
            request.user = original


class _ThrottledUser:
    """What a throttle asks of a signed-in user: that it is one, and who."""

    is_authenticated = True

    def __init__(self, pk: int) -> None:
        self.pk = self.id = pk


def _sets_cookies(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether the response gives the browser a cookie it does not hold yet.

    Django sends the CSRF cookie again with every page using it, only to renew its expiry:
    that page is still the same for the same cookies, and its copy is stored without it.
    """
    renewed = {
        name
        for name, morsel in response.cookies.items()
        if name == settings.CSRF_COOKIE_NAME and request.COOKIES.get(name) == morsel.value
    }
    return bool(set(response.cookies) - renewed)


def _store(request: HttpRequest, response: HttpResponse) -> None:
    """Store a fresh 200 of a registered page, with the headers every inner layer added."""
    entry = getattr(request, "_page_cache_entry", None)
    if entry is None:
        return
    if response.status_code != 200 or response.streaming or _sets_cookies(request, response):
        return
    cache_control = response.get("Cache-Control", "")
    if "no-store" in cache_control or "private" in cache_control:
        return
    marker = _session_marker(request)
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    if marker and not signed_in:
        return  # a stale session cookie: not worth an entry of its own
    if not response.has_header("ETag"):
        set_response_etag(response)
    headers = [(k, v) for k, v in response.items() if k.lower() != "set-cookie"]
    key, topic_versions = entry
    entries: dict[str, Any] = {
        key: (topic_versions, response.status_code, headers, response.content)
    }
    if marker:
        entries[marker] = user.pk  # type: ignore[union-attr]
    cache.set_many(entries, timeout=settings.PAGE_CACHE_SECONDS)
