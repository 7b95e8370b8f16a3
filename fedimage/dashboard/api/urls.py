from rest_framework.routers import DefaultRouter

from fedimage.dashboard.api import views

router = DefaultRouter()
router.register("releases", views.ReleaseViewSet, basename="api-release")
router.register("milestones", views.MilestoneViewSet, basename="api-milestone")
router.register("subprojects", views.SubprojectViewSet, basename="api-subproject")
router.register("migrations", views.MigrationViewSet, basename="api-migration")
router.register("blockers", views.BlockerViewSet, basename="api-blocker")

urlpatterns = router.urls
