from django.urls import path

from fedimage.health import views

urlpatterns = [
    path("", views.health_grid, name="health-grid"),
    path("images/<slug:key>/", views.image_detail, name="health-image"),
]
