from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "fedimage.health"
    label = "health"
    verbose_name = "Image build health"

    def ready(self) -> None:
        from fedimage.core import initiative_file
        from fedimage.health import rules  # noqa: F401 (defines the health rules)
        from fedimage.health.loader import IMAGES

        initiative_file.register(IMAGES)
