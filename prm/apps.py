from django.apps import AppConfig


class PrmConfig(AppConfig):
    name = "prm"
    verbose_name = "PRM core"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (registers the cross-tenant M2M guard)
