"""The meetings' REST endpoints, registered on the one API root under /api/meetings/."""

from fedimage.meetings.api import views

# The meetings' own list answers at the app's prefix: /api/meetings/.
ROUTES = [
    ("action-items", views.ActionItemViewSet, "api-action-item"),
    ("reviews", views.ReviewViewSet, "api-review"),
    ("", views.MeetingViewSet, "api-meeting"),
]
