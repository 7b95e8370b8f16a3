from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "fedimage.meetings"
    label = "meetings"
    verbose_name = "Meetings"

    def ready(self) -> None:
        from fedimage.meetings import rules  # noqa: F401 (defines the meetings' rules)
