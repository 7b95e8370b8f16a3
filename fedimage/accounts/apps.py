from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fedimage.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from fedimage.accounts import receivers  # noqa: F401  (connects the sign-in receivers)
