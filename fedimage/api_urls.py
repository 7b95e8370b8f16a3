"""The REST API: one browsable root at /api/ listing every app's endpoints.

Each app declares its endpoints as ROUTES in its api/urls.py; they are registered here under
the app's prefix, so /api/ lists them all and the schema at /api/schema/ covers them all.
"""

from rest_framework.routers import APIRootView, DefaultRouter

from fedimage.ci.api.urls import ROUTES as CI
from fedimage.dashboard.api.urls import ROUTES as INITIATIVE
from fedimage.health.api.urls import ROUTES as HEALTH
from fedimage.meetings.api.urls import ROUTES as MEETINGS
from fedimage.reports.api.urls import ROUTES as REPORTS
from trackers.api.urls import ROUTES as TRACKERS

# (URL prefix under /api/, the app's routes), in the order the root lists them.
APPS = [
    ("", INITIATIVE),
    ("health", HEALTH),
    ("trackers", TRACKERS),
    ("ci", CI),
    ("meetings", MEETINGS),
    ("reports", REPORTS),
]


class FedimageAPIRoot(APIRootView):
    """The fedimage API: the initiative (releases, milestones, subprojects, migrations,
    blockers), image health, CI test runs, tracked upstream issues, meetings and reports.

    Anyone reads what is public; signed-in members file blockers and vote; leads steer.
    The OpenAPI schema is at /api/schema/, its documentation at /api/docs/.
    """


class Router(DefaultRouter):
    APIRootView = FedimageAPIRoot


router = Router()
for app_prefix, routes in APPS:
    for prefix, viewset, basename in routes:
        full = "/".join(part for part in (app_prefix, prefix) if part)
        router.register(full, viewset, basename=basename)

urlpatterns = router.urls
