from django.urls import path

from fedimage.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("releases/<slug:key>/", views.release_detail, name="release-detail"),
    path("milestones/<slug:key>/", views.milestone_detail, name="milestone-detail"),
    path("milestones/<slug:key>/plan/", views.milestone_plan, name="milestone-plan"),
    path("subprojects/<slug:key>/", views.subproject_detail, name="subproject-detail"),
    path("blockers/", views.blocker_list, name="blocker-list"),
    path("blockers/new/", views.blocker_create, name="blocker-create"),
    path("blockers/<int:pk>/", views.blocker_detail, name="blocker-detail"),
    path("blockers/<int:pk>/edit/", views.blocker_edit, name="blocker-edit"),
    path("blockers/<int:pk>/status/", views.blocker_set_status, name="blocker-set-status"),
    path("changes/", views.changes, name="changes"),
]
