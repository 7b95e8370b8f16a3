from django.urls import path

from fedimage.ci import views

app_name = "ci"

urlpatterns = [path("", views.run_list, name="run-list")]
