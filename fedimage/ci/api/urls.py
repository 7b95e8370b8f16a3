"""CI results' REST endpoints, registered on the one API root under /api/ci/."""

from fedimage.ci.api import views

ROUTES = [("runs", views.CiRunViewSet, "ci-run")]
