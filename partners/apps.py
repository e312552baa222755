from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        from . import metrics, overview, tasks  # noqa: F401  (tasks: registered for fan_out by name)
        from .tiering import section

        overview.register()
        metrics.register_all()
        section.register()
