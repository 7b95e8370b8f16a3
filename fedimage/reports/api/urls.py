from rest_framework.routers import DefaultRouter

from fedimage.reports.api import views

router = DefaultRouter()
router.register("upstream", views.UpstreamReportViewSet, basename="api-report-upstream")
router.register("releases", views.ReleaseReportViewSet, basename="api-report-release")

urlpatterns = router.urls
