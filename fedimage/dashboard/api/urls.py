"""The initiative's REST endpoints, registered on the one API root (fedimage/api_urls.py)."""

from fedimage.dashboard.api import views

ROUTES = [
    ("releases", views.ReleaseViewSet, "api-release"),
    ("milestones", views.MilestoneViewSet, "api-milestone"),
    ("subprojects", views.SubprojectViewSet, "api-subproject"),
    ("migrations", views.MigrationViewSet, "api-migration"),
    ("blockers", views.BlockerViewSet, "api-blocker"),
]
