from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The project layer's pages: the initiative's pages, composed from every app below."""

    name = "fedimage.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"

    def ready(self) -> None:
        from fedimage.dashboard import caching

        caching.connect()
