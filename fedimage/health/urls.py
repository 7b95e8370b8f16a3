from django.urls import path

from fedimage.health import views

app_name = "health"

urlpatterns = [
    path("", views.health_grid, name="grid"),
    path("poll/", views.poll_now, name="poll-all"),
    path("polls/<uuid:batch>/", views.poll_progress, name="poll-progress"),
    path("images/<slug:key>/", views.image_detail, name="image"),
    path("images/<slug:key>/poll/", views.poll_now, name="poll-image"),
]
