"""Pages, included at /trackers/; the webhook endpoints are in trackers/hook_urls.py."""

from django.urls import path

from trackers import views

app_name = "trackers"

urlpatterns = [
    path("", views.sync_status, name="sync-status"),
    path("sources/<slug:name>/", views.source_detail, name="source-detail"),
    path("sources/<slug:name>/sync/", views.sync_now, name="sync-now"),
    path("sources/<slug:name>/runs/<int:pk>/", views.run_progress, name="run-progress"),
    path("issues/", views.issue_list, name="issue-list"),
    path("boards/<slug:name>/", views.board, name="board"),
]
