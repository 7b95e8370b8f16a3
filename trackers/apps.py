from django.apps import AppConfig


class TrackersConfig(AppConfig):
    name = "trackers"
    verbose_name = "Issue trackers"

    def ready(self) -> None:
        from fedimage.core import initiative_file
        from trackers.loader import TRACKERS

        initiative_file.register(TRACKERS)
        from trackers import rules  # noqa: F401 (defines the trackers' rules)
