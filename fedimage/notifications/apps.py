from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "fedimage.notifications"
    label = "notifications"
    verbose_name = "Notifications"
