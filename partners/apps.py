from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        from . import metrics, overview

        overview.register()
        metrics.register_all()
