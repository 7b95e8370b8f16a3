"""Test control of the provider: users and their groups, the client, misbehaviours."""

import json
import os
import secrets

from django.contrib.auth.models import Group, User
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_application_model

from tests.accounts.oidc_provider.validator import MODE


def _authorised(request) -> bool:
    return secrets.compare_digest(
        request.headers.get("X-Control-Secret", ""), os.environ["OIDC_PROVIDER_CONTROL_SECRET"]
    )


@csrf_exempt
@require_POST
def control_user(request):
    if not _authorised(request):
        return HttpResponseForbidden()
    data = json.loads(request.body)
    user, _ = User.objects.get_or_create(pk=data["sub"], defaults={"username": data["nickname"]})
    user.username = data["nickname"]
    user.email = data.get("email", "")
    user.set_password(data["password"])
    user.save()
    user.groups.set([Group.objects.get_or_create(name=g)[0] for g in data.get("groups", [])])
    return JsonResponse({"sub": str(user.pk)})


@csrf_exempt
@require_POST
def control_client(request):
    if not _authorised(request):
        return HttpResponseForbidden()
    data = json.loads(request.body)
    Application = get_application_model()
    Application.objects.filter(client_id=data["client_id"]).delete()
    Application.objects.create(
        name="fedimage",
        client_id=data["client_id"],
        client_secret=data["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(data["redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def control_mode(request):
    if not _authorised(request):
        return HttpResponseForbidden()
    MODE["value"] = json.loads(request.body)["mode"]
    return HttpResponse(status=204)
