from django.urls import path

from fedimage.meetings import feeds

urlpatterns = [
    path("blockers.atom", feeds.BlockerFeed(), name="feed-blockers"),
    path("calendar.ics", feeds.calendar, name="feed-calendar"),
]
