"""Tiering's pages (staff and portal) and API routes, mounted by ``prm.urls`` under the tenant."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api, portal
from . import views as tiering

urlpatterns = [
    path("partners/<int:partner_id>/ratings/", tiering.partner_rate, name="partner_rate"),
    path(
        "partners/<int:partner_id>/tier-proposal/", tiering.partner_propose_tier, name="partner_propose_tier"
    ),
    path("tiering/", tiering.tiering_home, name="tiering_home"),
    path("tiering/recalculate/", tiering.tiering_recalculate, name="tiering_recalculate"),
    path("tiering/runs/<int:run_id>/", tiering.tiering_run_status, name="tiering_run_status"),
    path("tiering/proposals/<int:proposal_id>/", tiering.proposal_detail, name="tiering_proposal"),
    path("tiering/scorecard/", tiering.scorecard, name="tiering_scorecard"),
    path("tiering/tiers/", tiering.tier_list, name="tiering_tiers"),
    path("tiering/tiers/<int:tier_id>/edit/", tiering.tier_edit, name="tiering_tier_edit"),
    path("tiering/settings/", tiering.tiering_settings, name="tiering_settings"),
    path("tiering/reviews/", tiering.review_list, name="tiering_reviews"),
    path("tiering/reviews/<int:review_id>/", tiering.review_detail, name="tiering_review"),
]

portal_urlpatterns = [path("tier/", portal.portal_tier, name="tier")]

router = SimpleRouter()
api.register(router)
api_urlpatterns = router.urls
