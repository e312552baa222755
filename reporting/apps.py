from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self) -> None:
        from . import cache, tasks  # noqa: F401 (tasks register with Celery)

        cache.connect()
