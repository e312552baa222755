from django.apps import AppConfig


class PrmConfig(AppConfig):
    name = "prm"
    verbose_name = "PRM core"

    def ready(self) -> None:
        from . import menus, signals  # noqa: F401  (signals: registers the cross-tenant M2M guard)

        menus.register_core_items()
