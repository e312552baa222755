from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    name = "incentives"

    def ready(self) -> None:
        # Registries are filled once the apps are loaded (their modules import models).
        from prm.menus import MenuItem, register_menu_item
        from prm.permissions import Perm

        register_menu_item(MenuItem("MDF", "fund_list", 60, Perm.VIEW_PROGRAM))
        register_menu_item(MenuItem("Rebates", "rebate_list", 70, Perm.VIEW_PROGRAM))
        register_menu_item(MenuItem("MDF", "portal:mdf", 50, Perm.USE_PORTAL, portal=True))
        register_menu_item(MenuItem("Rebates", "portal:rebates", 60, Perm.USE_PORTAL, portal=True))
        from . import metrics, overview, sections, tasks  # noqa: F401  (tasks: registered for fan_out by name)

        metrics.register_all()
        sections.register()
        overview.register()
