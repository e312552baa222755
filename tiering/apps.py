from django.apps import AppConfig


class TieringConfig(AppConfig):
    """Tiers in practice: scorecards, scores, proposals, the tier history, portfolio reviews.

    Stands on ``partners`` (the partner and its ``Tier``); adds its menu entries, the score section
    of the partner page, the ``partner_score`` metric, the nightly recalculation and the re-check of
    pending proposals when ``partners.signals.partner_standing_changed`` is sent."""

    name = "tiering"

    def ready(self) -> None:
        # Registries are filled once the apps are loaded (their modules import models).
        from prm.menus import MenuItem, register_menu_item
        from prm.permissions import Perm

        from . import metrics, section, tasks  # noqa: F401  (tasks: registered for fan_out by name)

        register_menu_item(MenuItem("Tiering", "tiering_home", 40, Perm.VIEW_PROGRAM))
        register_menu_item(MenuItem("Our tier", "portal:tier", 30, Perm.USE_PORTAL, portal=True))
        metrics.register_all()
        section.register()
        # A plan signed, a certification earned or removed, a rating changed: re-check proposals.
        from partners.signals import partner_standing_changed

        from .tasks import on_standing_changed

        partner_standing_changed.connect(on_standing_changed, dispatch_uid="tiering.reevaluate_proposal")
        # A tier set directly on a partner joins the tier history (reports use tiers as they were).
        from partners.signals import tier_set

        from .services import record_direct_tier_change

        tier_set.connect(record_direct_tier_change, dispatch_uid="tiering.record_direct_tier_change")
