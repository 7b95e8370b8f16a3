"""Webhook endpoints, included at /hooks/: /hooks/gitlab/, /hooks/github/, /hooks/forgejo/."""

from django.urls import path

from trackers import views

app_name = "hooks"

urlpatterns = [
    path("gitlab/", views.gitlab_hook, name="gitlab"),
    path("github/", views.github_hook, name="github"),
    path("forgejo/", views.forgejo_hook, name="forgejo"),
]
