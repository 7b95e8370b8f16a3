from rest_framework.routers import DefaultRouter

from fedimage.initiative.api import views

router = DefaultRouter()
router.register("releases", views.ReleaseViewSet, basename="release")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("subprojects", views.SubprojectViewSet, basename="subproject")
router.register("migrations", views.MigrationViewSet, basename="migration")
router.register("blockers", views.BlockerViewSet, basename="blocker")

urlpatterns = router.urls
