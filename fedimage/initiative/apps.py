from django.apps import AppConfig


class InitiativeConfig(AppConfig):
    name = "fedimage.initiative"
    label = "initiative"
    verbose_name = "Initiative"

    def ready(self) -> None:
        from fedimage.core import initiative_file
        from fedimage.initiative import rules  # noqa: F401 (defines the initiative's rules)
        from fedimage.initiative.loader import SECTION

        initiative_file.register(SECTION)
