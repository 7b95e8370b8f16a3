from rest_framework.routers import SimpleRouter

from fedimage.meetings.api import meeting_views

router = SimpleRouter()
router.register("action-items", meeting_views.ActionItemViewSet, basename="api-action-item")
router.register("reviews", meeting_views.ReviewViewSet, basename="api-review")
# Registered last: its list is the prefix's root.
router.register("", meeting_views.MeetingViewSet, basename="api-meeting")

urlpatterns = router.urls
