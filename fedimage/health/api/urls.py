from rest_framework.routers import SimpleRouter

from fedimage.health.api import views

router = SimpleRouter()
router.register("images", views.WatchedImageViewSet, basename="health-image")
router.register("tags", views.TagStateViewSet, basename="health-tag")

urlpatterns = router.urls
