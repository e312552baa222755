from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    name = "incentives"

    def ready(self) -> None:
        from . import metrics, overview, sections, tasks  # noqa: F401  (tasks: registered for fan_out by name)

        metrics.register_all()
        sections.register()
        overview.register()
