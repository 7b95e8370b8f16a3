from django.urls import path

from fedimage.reports import views

app_name = "reports"

# Mounted under /meetings/, where the weekly meeting's reports have always been.
urlpatterns = [
    path("reports/", views.report_index, name="index"),
    path("reports/upstream/<slug:key>/", views.upstream_detail, name="upstream"),
    path(
        "reports/upstream/<slug:key>/export.<slug:fmt>",
        views.upstream_export,
        name="upstream-export",
    ),
    path("reports/releases/<slug:key>/", views.release_detail, name="release"),
    path(
        "reports/releases/<slug:key>/export.<slug:fmt>",
        views.release_export,
        name="release-export",
    ),
    path("charts/", views.chart_page, name="charts"),
]
