"""Sign-in (local and Fedora), sign-out, the profile page and personal API tokens."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from social_core.exceptions import SocialAuthBaseException
from social_django import views as social_views

from fedimage.accounts import selectors, services
from fedimage.accounts.forms import ApiTokenForm, EmailForm, ProfileForm
from fedimage.accounts.middleware import remember_time_zone
from fedimage.accounts.network import client_ip
from fedimage.accounts.pipeline import LINK_SESSION_KEY, SignInRefused
from fedimage.initiative.rules import is_lead
from fedimage.notifications import selectors as notification_selectors
from fedimage.notifications import services as notification_services
from fedimage.notifications.forms import EmailSubscriptionsForm

audit = logging.getLogger("fedimage.accounts.audit")

BACKEND = "fedora-oidc"


def allow_fedora_form_action(response: HttpResponse) -> HttpResponse:
    """Let this page's forms go on to Fedora Accounts.

    A form POSTs to our own /accounts/login/fedora-oidc/ (or /accounts/fedora/link/), which
    answers with a redirect to the provider's authorization endpoint; browsers hold that
    redirect to the page's CSP `form-action` too, so the provider's origin (the issuer's, where
    Fedora Accounts serves its endpoints) is added to `'self'` on these pages only.
    """
    if settings.FEDORA_SIGN_IN:
        issuer = urlsplit(settings.SOCIAL_AUTH_FEDORA_OIDC_OIDC_ENDPOINT)
        response._csp_update = {"form-action": [f"{issuer.scheme}://{issuer.netloc}"]}  # type: ignore[attr-defined]
    return response


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        return allow_fedora_form_action(super().dispatch(request, *args, **kwargs))

    def get_context_data(self, **kwargs):
        return super().get_context_data(fedora_sign_in=settings.FEDORA_SIGN_IN, **kwargs)


class SignOutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.info(request, "You are signed out.")
        return response


# Fedora sign-in ------------------------------------------------------------------------------

# What went wrong, in words, by the library's error code (and claim where it matters).
REFUSALS = {
    "invalid_signature": "Its ID token carries a signature that does not verify: it may have "
    "been altered on the way.",
    "response_expired": "Its ID token has expired (or was issued too long ago).",
    "response_not_yet_valid": "Its ID token is not valid yet (check the clocks).",
    "nonce_mismatch": "Its ID token was not issued for this sign-in (the nonce does not match).",
    "state_mismatch": "The answer does not belong to the sign-in this browser started.",
    "session_context_missing": "This browser has no sign-in in progress (it expired, or "
    "cookies are blocked).",
    "authorization_declined": "The sign-in was cancelled at Fedora Accounts.",
    "connection_failed": "Fedora Accounts could not be reached.",
    "timeout": "Fedora Accounts did not answer in time.",
    "authorization_code_rejected": "Fedora Accounts refused the sign-in code (it was used "
    "already or expired).",
}
CLAIMS = {
    "iss": "Its ID token was issued by another provider than the one configured.",
    "aud": "Its ID token was issued for another application.",
    "at_hash": "Its ID token does not match the access token it came with.",
}


def _refusal_reason(exc: SocialAuthBaseException) -> str:
    if isinstance(exc, SignInRefused):
        return exc.user_message
    claim = getattr(exc, "claim", None)
    if claim in CLAIMS and exc.code in ("invalid_claim", "missing_claim"):
        return CLAIMS[claim]
    return REFUSALS.get(exc.code, getattr(exc, "safe_message", "") or str(exc.code))


@csrf_exempt  # the provider redirects the browser here; the state parameter guards it
@never_cache
def fedora_complete(request: HttpRequest, backend: str) -> HttpResponse:
    """Fedora Accounts sends the browser back here; the library checks the answer."""
    if backend != BACKEND or not settings.FEDORA_SIGN_IN:
        raise Http404("Unknown sign-in provider.")
    try:
        return social_views.complete(request, backend)
    except SocialAuthBaseException as exc:
        reason = _refusal_reason(exc)
        audit.warning(
            "fedora sign-in refused: code=%s claim=%s address=%s reason=%s",
            exc.code,
            getattr(exc, "claim", None),
            client_ip(request),
            reason,
        )
        status = 502 if exc.code in ("connection_failed", "timeout", "tls_error") else 403
        if isinstance(exc, SignInRefused):
            status = 403
        return render(
            request,
            "accounts/sign_in_refused.html",
            {"reason": reason, "code": exc.code, "own_decision": isinstance(exc, SignInRefused)},
            status=status,
        )


@require_POST
def fedora_begin(request: HttpRequest, backend: str) -> HttpResponse:
    if backend != BACKEND or not settings.FEDORA_SIGN_IN:
        raise Http404("Unknown sign-in provider.")
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    return social_views.auth(request, backend)


@login_required
@require_POST
def fedora_link(request: HttpRequest) -> HttpResponse:
    """The explicit step that links a local account to the Fedora account of the same name."""
    if not settings.FEDORA_SIGN_IN:
        raise Http404("Sign-in with Fedora is not configured.")
    if selectors.fedora_linked(user=request.user):
        messages.info(request, "Your account is already linked to Fedora Accounts.")
        return redirect("accounts:profile")
    request.session[LINK_SESSION_KEY] = request.user.pk
    audit.info("fedora link started: %s", request.user.get_username())
    return social_views.auth(request, BACKEND)


# Profile -------------------------------------------------------------------------------------


def _roles(user) -> list[str]:
    roles = []
    if user.is_superuser:
        roles.append("Superuser: everything, and the admin")
    if is_lead(user):
        roles.append("Lead: milestone statuses, migration stages, every blocker, meetings")
    owned = selectors.owned_subprojects(user=user)
    if owned:
        names = ", ".join(sp.name for sp in owned)
        roles.append(f"Owner of {names}: its migration stage and its blockers")
    roles.append("Member: file blockers, vote, subscribe")
    return roles


def _profile_page(request, *, status=200, new_token=None, **forms) -> HttpResponse:
    user = request.user
    profile = selectors.profile_get(user=user)
    context = {
        "profile": profile,
        "fedora_linked": selectors.fedora_linked(user=user),
        "roles": _roles(user),
        "profile_form": forms.get("profile_form") or ProfileForm(instance=profile),
        "email_form": forms.get("email_form") or EmailForm(),
        "subscriptions_form": forms.get("subscriptions_form")
        or EmailSubscriptionsForm(
            initial={"kinds": sorted(notification_selectors.email_kinds_of(user=user))}
        ),
        "token_form": forms.get("token_form") or ApiTokenForm(),
        "tokens": list(selectors.api_token_list(user=user)),
        "new_token": new_token,
        "fedora_sign_in": settings.FEDORA_SIGN_IN,
    }
    return allow_fedora_form_action(
        render(request, "accounts/profile.html", context, status=status)
    )


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _profile_page(request)
    which = request.POST.get("form")
    user = request.user
    if which == "profile":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                saved = services.profile_update(
                    user=user,
                    matrix_id=form.cleaned_data["matrix_id"],
                    time_zone=form.cleaned_data["time_zone"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                remember_time_zone(request, saved.time_zone)
                messages.success(request, "Your profile is saved.")
                return redirect("accounts:profile")
        return _profile_page(request, status=400, profile_form=form)
    if which == "email":
        form = EmailForm(request.POST)
        if form.is_valid():
            try:
                services.email_change_request(
                    user=user,
                    email=form.cleaned_data["email"],
                    confirm_url=lambda token: request.build_absolute_uri(
                        reverse("accounts:email-confirm", args=[token])
                    ),
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"We sent a confirmation link to {form.cleaned_data['email']}; "
                    "the address is used once you follow it.",
                )
                return redirect("accounts:profile")
        return _profile_page(request, status=400, email_form=form)
    if which == "subscriptions":
        form = EmailSubscriptionsForm(request.POST)
        if form.is_valid():
            notification_services.email_subscriptions_set(
                user=user, kinds=set(form.cleaned_data["kinds"])
            )
            messages.success(request, "Your e-mail subscriptions are saved.")
            return redirect("accounts:profile")
        return _profile_page(request, status=400, subscriptions_form=form)
    if which == "token":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, key = services.api_token_create(
                    user=user,
                    name=form.cleaned_data["name"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                # Shown in this response only: the secret is stored nowhere.
                return _profile_page(request, status=201, new_token={"token": token, "key": key})
        return _profile_page(request, status=400, token_form=form)
    return _profile_page(request, status=400)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = selectors.api_token_get(user=request.user, pk=pk)
    services.api_token_revoke(user=request.user, token=token)
    messages.success(request, f"The token “{token.name}” is revoked.")
    return redirect("accounts:profile")


@login_required
@never_cache
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        email = services.email_change_confirm(user=request.user, token=token)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:profile")
    messages.success(request, f"Your e-mail address is now {email}.")
    return redirect("accounts:profile")
