from django.urls import path

from fedimage.health import views

app_name = "health"

urlpatterns = [
    path("", views.health_grid, name="grid"),
    path("images/<slug:key>/", views.image_detail, name="image"),
]
