"""Claims shaped like Fedora Accounts', and misbehaviours a test can switch on."""

import base64
import json
import time

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator

# One of "", "tampered", "wrong_nonce", "expired", "wrong_issuer"; set through /control/mode.
MODE = {"value": ""}


class FedoraLikeValidator(OAuth2Validator):
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "groups": settings.GROUPS_SCOPE,
    }

    def get_additional_claims(self, request):
        user = request.user
        return {
            "nickname": user.username,
            "email": user.email,
            "email_verified": True,
            "name": user.get_full_name() or user.username,
            "groups": sorted(g.name for g in user.groups.all()),
        }

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        # Like Fedora Accounts, groups come from the userinfo endpoint, not the ID token.
        claims.pop("groups", None)
        if MODE["value"] == "expired":
            claims["exp"] = int(time.time()) - 3600
        if MODE["value"] == "wrong_issuer":
            claims["iss"] = "https://id.example.invalid/openidc/"
        return claims, expiration_time

    def finalize_id_token(self, id_token, token, token_handler, request):
        if MODE["value"] == "expired":
            id_token["iat"] = int(time.time()) - 7200
        if MODE["value"] == "wrong_nonce":
            id_token["nonce"] = "a-nonce-this-client-never-sent"
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        if MODE["value"] != "tampered":
            return signed
        header, payload, signature = signed.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["nickname"] = "someone-else"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"
