from django.urls import path

from fedimage.accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("profile/email/confirm/<str:token>/", views.email_confirm, name="email-confirm"),
    path("fedora/link/", views.fedora_link, name="fedora-link"),
    # Fedora Accounts: the redirect URI to register is /accounts/complete/fedora-oidc/.
    path("login/<str:backend>/", views.fedora_begin, name="begin"),
    path("complete/<str:backend>/", views.fedora_complete, name="complete"),
]
