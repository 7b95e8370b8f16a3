from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "fedimage.health"
    label = "health"
    verbose_name = "Image build health"
