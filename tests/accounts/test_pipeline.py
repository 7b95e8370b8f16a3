"""Sign in with Fedora, end to end against a real OpenID Connect provider process."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User

from fedimage.accounts.models import Profile
from fedimage.initiative.rules import is_lead
from tests.accounts.provider import path_of

pytestmark = pytest.mark.django_db


def begin(client, next_url="/"):
    response = client.post("/accounts/login/fedora-oidc/", {"next": next_url})
    assert response.status_code == 302
    return response["Location"]


def sign_in(client, provider, nickname, next_url="/"):
    authorize_url = begin(client, next_url)
    return client.get(path_of(provider.authorize(authorize_url, nickname)))


def test_first_sign_in_creates_the_user_with_email_and_roles(client, fedora):
    fedora.set_user(
        sub=101, nickname="alice", email="alice@fedoraproject.org", groups=["bootc-sig", "packager"]
    )

    response = sign_in(client, fedora, "alice", next_url="/blockers/")

    assert response.status_code == 302
    assert response["Location"] == "/blockers/"
    user = User.objects.get(username="alice")
    assert user.email == "alice@fedoraproject.org"
    assert user.social_auth.get().uid == "101"
    assert Profile.objects.get(user=user).fas_groups == ["bootc-sig", "packager"]
    assert is_lead(User.objects.get(pk=user.pk))
    assert not user.is_staff
    page = client.get("/accounts/profile/")
    assert page.status_code == 200
    assert "alice@fedoraproject.org" in page.content.decode()


def test_the_request_speaks_oidc_with_pkce_state_and_nonce(client, fedora):
    query = parse_qs(urlsplit(begin(client)).query)
    assert query["response_type"] == ["code"]
    assert set(query["scope"][0].split()) == {
        "openid",
        "profile",
        "email",
        "https://id.fedoraproject.org/scope/groups",
    }
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0]
    assert query["nonce"][0]
    assert query["code_challenge"][0]
    assert query["redirect_uri"] == ["http://testserver/accounts/complete/fedora-oidc/"]


def test_a_later_sign_in_with_changed_groups_changes_roles(client, fedora, settings):
    fedora.set_user(sub=102, nickname="bob", email="bob@example.org", groups=["bootc-sig"])
    sign_in(client, fedora, "bob")
    assert is_lead(User.objects.get(username="bob"))
    client.post("/accounts/logout/")

    fedora.set_user(sub=102, nickname="bob", email="bob@new.example.org", groups=["packager"])
    response = sign_in(client, fedora, "bob")

    assert response.status_code == 302
    bob = User.objects.get(username="bob")
    assert not is_lead(bob)
    assert bob.email == "bob@new.example.org"
    assert Profile.objects.get(user=bob).fas_groups == ["packager"]
    assert User.objects.filter(username__startswith="bob").count() == 1

    fedora.set_user(sub=102, nickname="bob", email="bob@new.example.org", groups=["packager"])
    client.post("/accounts/logout/")
    settings.FEDORA_LEAD_USERS = ["bob"]
    sign_in(client, fedora, "bob")
    assert is_lead(User.objects.get(username="bob"))


def test_a_renamed_fas_account_keeps_its_fedimage_account(client, fedora):
    fedora.set_user(sub=103, nickname="carol", email="c@example.org", groups=[])
    sign_in(client, fedora, "carol")
    client.post("/accounts/logout/")
    fedora.set_user(sub=103, nickname="carol2", email="c@example.org", groups=[])

    sign_in(client, fedora, "carol2")

    assert list(
        User.objects.filter(username__startswith="carol").values_list("username", flat=True)
    ) == ["carol2"]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("tampered", "signature that does not verify"),
        ("wrong_nonce", "not issued for this sign-in"),
        ("expired", "has expired"),
        ("wrong_issuer", "issued by another provider"),
    ],
)
def test_a_bad_id_token_is_refused_with_a_clear_page(client, fedora, mode, reason):
    fedora.set_user(sub=104, nickname="mallory", email="m@example.org", groups=["bootc-sig"])
    fedora.set_mode(mode)

    response = sign_in(client, fedora, "mallory")

    assert response.status_code == 403
    body = response.content.decode()
    assert "Sign-in with Fedora refused" in body
    assert reason in body
    assert not User.objects.filter(username__in=["mallory", "someone-else"]).exists()
    assert "_auth_user_id" not in client.session


def test_an_answer_for_another_sign_in_is_refused(client, fedora):
    fedora.set_user(sub=105, nickname="dave", email="d@example.org", groups=[])
    back = fedora.authorize(begin(client), "dave")
    forged = back.replace("state=", "state=x")

    response = client.get(path_of(forged))

    assert response.status_code == 403
    assert "Sign-in with Fedora refused" in response.content.decode()
    assert not User.objects.filter(username="dave").exists()


def test_sign_out_ends_the_session(client, fedora):
    fedora.set_user(sub=106, nickname="erin", email="e@example.org", groups=[])
    sign_in(client, fedora, "erin")
    assert client.get("/accounts/profile/").status_code == 200

    response = client.post("/accounts/logout/", follow=True)

    assert "You are signed out." in response.content.decode()
    assert client.get("/accounts/profile/").status_code == 302


def test_a_fas_name_never_takes_over_a_local_account(client, fedora, django_user_model):
    local = django_user_model.objects.create_user("frank", password="local-pw-123", email="f@local")
    fedora.set_user(sub=107, nickname="frank", email="attacker@example.org", groups=["bootc-sig"])

    response = sign_in(client, fedora, "frank")

    assert response.status_code == 403
    body = response.content.decode()
    assert "already exists here" in body
    assert "Link my Fedora account" in body
    local.refresh_from_db()
    assert local.email == "f@local"
    assert not local.social_auth.exists()
    assert "_auth_user_id" not in client.session


def test_a_local_account_links_its_fedora_account_by_the_explicit_step(
    client, fedora, django_user_model
):
    local = django_user_model.objects.create_user("grace", password="local-pw-123")
    fedora.set_user(
        sub=108, nickname="grace", email="grace@fedoraproject.org", groups=["bootc-sig"]
    )
    client.force_login(local)
    assert "Link my Fedora account" in client.get("/accounts/profile/").content.decode()

    response = client.post("/accounts/fedora/link/")
    assert response.status_code == 302
    back = client.get(path_of(fedora.authorize(response["Location"], "grace")))

    assert back.status_code == 302
    local.refresh_from_db()
    assert local.social_auth.get().uid == "108"
    assert local.email == "grace@fedoraproject.org"
    client.post("/accounts/logout/")
    sign_in(client, fedora, "grace")
    assert int(client.session["_auth_user_id"]) == local.pk


def test_linking_needs_the_same_name(client, fedora, django_user_model):
    local = django_user_model.objects.create_user("heidi", password="local-pw-123")
    fedora.set_user(sub=109, nickname="heidi-fas", email="h@example.org", groups=[])
    client.force_login(local)

    response = client.post("/accounts/fedora/link/")
    back = client.get(path_of(fedora.authorize(response["Location"], "heidi-fas")))

    assert back.status_code == 403
    assert "only an account of the same name can be linked" in back.content.decode()
    assert not local.social_auth.exists()


def test_member_groups_restrict_who_may_sign_in(client, fedora, settings):
    settings.FEDORA_MEMBER_GROUPS = ["fedora-contributor"]
    fedora.set_user(sub=110, nickname="ivan", email="i@example.org", groups=["packager"])

    response = sign_in(client, fedora, "ivan")

    assert response.status_code == 403
    assert "not in a group allowed to sign in" in response.content.decode()
    assert not User.objects.filter(username="ivan").exists()


def test_without_a_client_id_only_local_sign_in_is_offered(client, settings):
    settings.FEDORA_SIGN_IN = False
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Fedora" not in page
    assert client.post("/accounts/login/fedora-oidc/").status_code == 404


def test_the_sign_in_page_offers_fedora_when_configured(client, fedora):
    page = client.get("/accounts/login/?next=/blockers/").content.decode()
    assert "Sign in with Fedora" in page
    assert 'action="/accounts/login/fedora-oidc/"' in page


def test_the_pages_with_fedora_forms_let_them_go_on_to_the_provider(client, fedora, member):
    """A POST answered by a redirect to the provider is held to the page's CSP form-action."""
    origin = fedora.url
    assert (
        f"form-action 'self' {origin}" in client.get("/accounts/login/")["Content-Security-Policy"]
    )
    client.force_login(member)
    profile = client.get("/accounts/profile/")
    assert f"form-action 'self' {origin}" in profile["Content-Security-Policy"]
    assert origin not in client.get("/blockers/new/")["Content-Security-Policy"]


def test_without_fedora_sign_in_forms_go_only_to_fedimage(client, settings):
    settings.FEDORA_SIGN_IN = False
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    assert "form-action 'self';" in policy or policy.endswith("form-action 'self'")
