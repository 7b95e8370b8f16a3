"""How the API's authentication appears in the OpenAPI schema (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "fedimage.accounts.api.authentication.TokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from your profile page: "
            "`Authorization: Bearer <token>` (or `Token <token>`).",
        }


class BasicScheme(OpenApiAuthenticationExtension):
    target_class = "fedimage.accounts.api.authentication.BasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Only where API_BASIC_AUTH is on.",
        }
