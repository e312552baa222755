from django.apps import AppConfig


class JbpConfig(AppConfig):
    name = "jbp"

    def ready(self) -> None:
        # Registries are filled once the apps are loaded (their modules import models).
        from prm.menus import MenuItem, register_menu_item
        from prm.permissions import Perm

        register_menu_item(MenuItem("Plans", "plan_list", 50, Perm.VIEW_PROGRAM))
        register_menu_item(MenuItem("Plans", "portal:plan_list", 40, Perm.USE_PORTAL, portal=True))
        from . import metrics, overview, sections, tasks  # noqa: F401  (tasks: registered for fan_out by name)

        metrics.register_all()
        sections.register()
        overview.register()
