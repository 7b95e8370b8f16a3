from django.urls import path

from fedimage.reports import feeds

app_name = "feeds"

urlpatterns = [
    path("blockers.atom", feeds.BlockerFeed(), name="blockers"),
    path("calendar.ics", feeds.calendar, name="calendar"),
]
