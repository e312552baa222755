from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        # Registries are filled once the apps are loaded (their modules import models).
        from prm.menus import MenuItem, register_menu_item
        from prm.permissions import Perm

        from . import metrics, overview, tasks  # noqa: F401  (tasks: registered for fan_out by name)

        register_menu_item(MenuItem("Partners", "partner_list", 20, Perm.VIEW_PROGRAM))
        register_menu_item(MenuItem("Our company", "portal:home", 10, Perm.USE_PORTAL, portal=True))
        overview.register()
        metrics.register_all()
