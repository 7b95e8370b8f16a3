"""The reports' REST endpoints, registered on the one API root under /api/reports/."""

from fedimage.reports.api import views

ROUTES = [
    ("upstream", views.UpstreamReportViewSet, "api-report-upstream"),
    ("releases", views.ReleaseReportViewSet, "api-report-release"),
]
