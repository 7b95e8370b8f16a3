"""URL configuration of fedimage."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fedimage.accounts import views as account_views
from fedimage.dashboard import metrics, probes

admin.site.site_header = "fedimage administration"
admin.site.site_title = "fedimage"

urlpatterns = [
    path("", include("fedimage.dashboard.urls")),
    path("health/", include("fedimage.health.urls")),
    path("trackers/", include("trackers.urls")),
    path("ci/", include("fedimage.ci.urls")),
    path("hooks/", include("trackers.hook_urls")),
    path("meetings/", include("fedimage.reports.urls")),
    path("meetings/", include("fedimage.meetings.urls")),
    path("feeds/", include("fedimage.reports.feed_urls")),
    path("notifications/", include("fedimage.notifications.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # Swagger UI (self-hosted) sets inline styles; only this page allows them.
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("api/", include("fedimage.api_urls")),
    path("accounts/login/", account_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", account_views.SignOutView.as_view(), name="logout"),
    path("accounts/", include("fedimage.accounts.urls")),
    path("admin/", admin.site.urls),
    path("healthz", probes.healthz, name="healthz"),
    path("readyz", probes.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    # Pages that do not name their icon (the browsable API's) get it here, not a 404.
    path("favicon.ico", lambda request: redirect(static("img/favicon.svg")), name="favicon"),
]

# A URL nothing answers: JSON under /api/ (as the API schema documents), else the 404 page.
handler404 = "fedimage.core.rest.page_not_found"
