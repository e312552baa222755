from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        from prm.menus import MenuItem, register_menu_item
        from prm.permissions import Perm

        register_menu_item(MenuItem("Partners", "partner_list", 20, Perm.VIEW_PROGRAM))
        register_menu_item(MenuItem("Tiering", "tiering_home", 40, Perm.VIEW_PROGRAM))
        register_menu_item(MenuItem("Our company", "portal:home", 10, Perm.USE_PORTAL, portal=True))
        register_menu_item(MenuItem("Our tier", "portal:tier", 30, Perm.USE_PORTAL, portal=True))
        from . import metrics, overview, tasks  # noqa: F401  (tasks: registered for fan_out by name)
        from .tiering import section

        overview.register()
        metrics.register_all()
        section.register()
