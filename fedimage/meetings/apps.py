from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "fedimage.meetings"
    label = "meetings"
    verbose_name = "Meetings"
