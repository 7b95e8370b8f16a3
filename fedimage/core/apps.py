from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fedimage.core"
    label = "core"
    verbose_name = "fedimage infrastructure"

    def ready(self) -> None:
        # Connects the Celery signals that count task runs (for /metrics) in every process.
        from fedimage.core import metrics  # noqa: F401
