from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self) -> None:
        # Registries are filled once the apps are loaded (their modules import models).
        from partners.sections import PartnerSection, register_section
        from prm.menus import MenuItem, register_menu_item
        from prm.permissions import Perm

        from . import cache, queries, tasks  # noqa: F401 (tasks register with Celery)

        register_menu_item(MenuItem("Reports", "reporting_dashboard", 80, Perm.VIEW_REPORTS))
        register_menu_item(MenuItem("QBR", "portal:qbr", 70, Perm.USE_PORTAL, portal=True))
        cache.connect()
        register_section(
            PartnerSection(
                key="qbr",
                title="Quarterly business review",
                template="reporting/_partner_section.html",
                order=90,
                context=lambda request, partner: {"period": queries.default_period(request.access).label},
                permission=Perm.VIEW_REPORTS,
            )
        )
