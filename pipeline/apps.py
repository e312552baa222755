from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "pipeline"

    def ready(self) -> None:
        from . import metrics, tasks  # noqa: F401  (tasks: registered for fan_out by name)

        metrics.register_all()
