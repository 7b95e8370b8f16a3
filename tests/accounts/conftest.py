import pytest

from tests.accounts.provider import CLIENT_ID, CLIENT_SECRET, OidcProvider


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """The test OpenID Connect provider, running for the whole session."""
    provider = OidcProvider(tmp_path_factory.mktemp("oidc-provider"))
    provider.start()
    provider.register_client("http://testserver/accounts/complete/fedora-oidc/")
    yield provider
    provider.stop()


@pytest.fixture
def fedora(oidc_provider, settings):
    """fedimage configured to sign in with the test provider; bootc-sig members are leads."""
    settings.FEDORA_SIGN_IN = True
    settings.SOCIAL_AUTH_FEDORA_OIDC_OIDC_ENDPOINT = oidc_provider.issuer
    settings.SOCIAL_AUTH_FEDORA_OIDC_KEY = CLIENT_ID
    settings.SOCIAL_AUTH_FEDORA_OIDC_SECRET = CLIENT_SECRET
    settings.FEDORA_LEAD_GROUPS = ["bootc-sig"]
    oidc_provider.set_mode("")
    yield oidc_provider
    oidc_provider.set_mode("")
