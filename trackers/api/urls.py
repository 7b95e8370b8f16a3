from rest_framework.routers import DefaultRouter

from trackers.api import views

router = DefaultRouter()
router.register("sources", views.TrackerSourceViewSet, basename="tracker-source")
router.register("issues", views.TrackedIssueViewSet, basename="tracked-issue")
router.register("runs", views.SyncRunViewSet, basename="sync-run")

urlpatterns = router.urls
