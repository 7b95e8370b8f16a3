from django.contrib.auth import views as auth_views
from django.urls import include, path

from tests.accounts.oidc_provider import views

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("login/", auth_views.LoginView.as_view(template_name="provider_login.html")),
    path("control/user", views.control_user),
    path("control/client", views.control_client),
    path("control/mode", views.control_mode),
]
