from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "pipeline"

    def ready(self) -> None:
        # Registries are filled once the apps are loaded (their modules import models).
        from prm.menus import MenuItem, register_menu_item
        from prm.permissions import Perm

        register_menu_item(MenuItem("Deals", "registration_queue", 30, Perm.VIEW_PROGRAM))
        register_menu_item(MenuItem("Deals", "portal:registration_list", 20, Perm.USE_PORTAL, portal=True))
        from . import metrics, tasks  # noqa: F401  (tasks: registered for fan_out by name)

        metrics.register_all()
        from . import rollup

        rollup.connect()
