from django.apps import AppConfig


class InitiativeConfig(AppConfig):
    name = "fedimage.initiative"
    label = "initiative"
    verbose_name = "Initiative"
