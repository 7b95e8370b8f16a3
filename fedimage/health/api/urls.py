"""Image health's REST endpoints, registered on the one API root under /api/health/."""

from fedimage.health.api import views

ROUTES = [
    ("images", views.WatchedImageViewSet, "health-image"),
    ("tags", views.TagStateViewSet, "health-tag"),
]
