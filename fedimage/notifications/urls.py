from django.urls import path

from fedimage.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.subscriptions, name="subscriptions"),
    path("<int:pk>/delete/", views.subscription_delete, name="delete"),
]
