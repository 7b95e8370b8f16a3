from django.apps import AppConfig


class CiConfig(AppConfig):
    name = "fedimage.ci"
    label = "ci"
    verbose_name = "CI results"
