from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "fedimage.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from fedimage.notifications import receivers, rules  # noqa: F401 (rules: defines them)

        receivers.connect()
