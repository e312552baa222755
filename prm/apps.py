from django.apps import AppConfig


class PrmConfig(AppConfig):
    name = "prm"
    verbose_name = "PRM core"

    def ready(self) -> None:
        # checks: registers the deployment checks; signals: the cross-tenant M2M guard.
        from . import checks, menus, signals  # noqa: F401

        menus.register_core_items()
