from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api, portal, views

urlpatterns = [
    path("mdf/", views.fund_list, name="fund_list"),
    path("mdf/funds/new/", views.fund_create, name="fund_create"),
    path("mdf/funds/<int:fund_id>/", views.fund_detail, name="fund_detail"),
    path("mdf/funds/<int:fund_id>/edit/", views.fund_edit, name="fund_edit"),
    path("mdf/funds/<int:fund_id>/allocate/", views.fund_allocate, name="fund_allocate"),
    path("mdf/funds/<int:fund_id>/tier-rule/", views.fund_apply_tier_rule, name="fund_apply_tier_rule"),
    path("mdf/funds/<int:fund_id>/from-jbp/", views.fund_allocate_from_jbp, name="fund_allocate_from_jbp"),
    path("mdf/requests/", views.request_queue, name="mdf_request_queue"),
    path("mdf/requests/<int:mdf_request_id>/", views.request_detail, name="mdf_request_detail"),
    path("mdf/requests/<int:mdf_request_id>/approve/", views.request_approve, name="mdf_request_approve"),
    path("mdf/requests/<int:mdf_request_id>/reject/", views.request_reject, name="mdf_request_reject"),
    path("mdf/claims/", views.claim_queue, name="mdf_claim_queue"),
    path("mdf/claims/<int:claim_id>/", views.claim_detail, name="mdf_claim_detail"),
    path("mdf/claims/<int:claim_id>/approve/", views.claim_approve, name="mdf_claim_approve"),
    path("mdf/claims/<int:claim_id>/reject/", views.claim_reject, name="mdf_claim_reject"),
    path("mdf/claims/<int:claim_id>/pay/", views.claim_pay, name="mdf_claim_pay"),
    path("mdf/proof/<int:proof_id>/", views.proof_download, name="mdf_proof_download"),
    path("mdf/payouts/", views.payout_list, name="mdf_payout_list"),
    path("mdf/payouts/export.csv", views.payout_export, name="mdf_payout_export"),
    path("rebates/", views.rebate_list, name="rebate_list"),
    path("rebates/new/", views.rebate_create, name="rebate_create"),
    path("rebates/<int:program_id>/", views.rebate_detail, name="rebate_detail"),
    path("rebates/<int:program_id>/accrue/", views.rebate_accrue, name="rebate_accrue"),
    path("rebates/<int:program_id>/close/", views.rebate_close, name="rebate_close"),
    path("rebates/statements/<int:statement_id>/", views.statement_detail, name="rebate_statement_detail"),
    path(
        "rebates/statements/<int:statement_id>/approve/",
        views.statement_approve,
        name="rebate_statement_approve",
    ),
    path("rebates/statements/<int:statement_id>/pay/", views.statement_pay, name="rebate_statement_pay"),
]
portal_urlpatterns = [
    path("mdf/", portal.portal_mdf, name="mdf"),
    path("mdf/requests/new/", portal.portal_request_create, name="mdf_request_create"),
    path("mdf/requests/<int:mdf_request_id>/", portal.portal_request_detail, name="mdf_request_detail"),
    path("mdf/proof/<int:proof_id>/", portal.portal_proof_download, name="mdf_proof_download"),
    path("rebates/", portal.portal_rebates, name="rebates"),
    path(
        "rebates/statements/<int:statement_id>/",
        portal.portal_statement_detail,
        name="rebate_statement_detail",
    ),
]
api_router = SimpleRouter()
api_router.register("mdf-funds", api.FundViewSet, basename="mdf-fund")
api_router.register("mdf-allocations", api.AllocationViewSet, basename="mdf-allocation")
api_router.register("mdf-requests", api.FundRequestViewSet, basename="mdf-request")
api_router.register("mdf-claims", api.ClaimViewSet, basename="mdf-claim")
api_router.register("mdf-payouts", api.PayoutViewSet, basename="mdf-payout")
api_router.register("rebate-programs", api.RebateProgramViewSet, basename="rebate-program")
api_router.register("rebate-accruals", api.RebateAccrualViewSet, basename="rebate-accrual")
api_router.register("rebate-statements", api.RebateStatementViewSet, basename="rebate-statement")
api_urlpatterns = api_router.urls
