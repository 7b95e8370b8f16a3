"""The trackers' REST endpoints, registered on the one API root under /api/trackers/."""

from trackers.api import views

ROUTES = [
    ("sources", views.TrackerSourceViewSet, "tracker-source"),
    ("issues", views.TrackedIssueViewSet, "tracked-issue"),
    ("runs", views.SyncRunViewSet, "sync-run"),
]
