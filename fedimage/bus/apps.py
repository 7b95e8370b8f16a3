from django.apps import AppConfig


class BusConfig(AppConfig):
    name = "fedimage.bus"
    label = "bus"
    verbose_name = "Fedora message bus"

    def ready(self) -> None:
        from fedimage.bus import receivers

        receivers.connect()
