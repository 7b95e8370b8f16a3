from django.urls import path

from fedimage.meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/present/", views.meeting_present, name="present"),
    path("<int:pk>/minutes/<slug:fmt>/", views.meeting_minutes, name="minutes"),
    path("<int:pk>/attendees/", views.meeting_attendees, name="attendees"),
    path("<int:pk>/attend/", views.meeting_attend, name="attend"),
    path("<int:pk>/notes/", views.meeting_notes, name="notes"),
    path("<int:pk>/decisions/", views.decision_add, name="decision-add"),
    path("<int:pk>/actions/", views.action_add, name="action-add"),
    path("<int:pk>/reviews/<int:blocker_pk>/", views.review_decide, name="review-decide"),
    path("<int:pk>/reviews/defer/", views.review_defer, name="review-defer"),
    path("actions/<int:item_pk>/status/", views.action_status, name="action-status"),
    path("actions/<int:item_pk>/owner/", views.action_owner, name="action-owner"),
    path("blockers/<int:blocker_pk>/vote/", views.vote, name="vote"),
    path("blockers/<int:blocker_pk>/justification/", views.justify, name="justify"),
]
