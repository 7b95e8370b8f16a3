from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fedimage.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Connect the sign-in receivers; describe the API's authentication in its schema; read
        # the initiative file's [roles].
        from fedimage.accounts import receivers  # noqa: F401
        from fedimage.accounts.api import schema  # noqa: F401
        from fedimage.accounts.loader import ROLES
        from fedimage.core import initiative_file

        initiative_file.register(ROLES)
