from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fedimage.core"
    label = "core"
    verbose_name = "fedimage infrastructure"
