from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api, portal, views

P = "plans/<int:plan_id>/"

urlpatterns = [
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path(P, views.plan_detail, name="plan_detail"),
    path(P + "edit/", views.plan_edit, name="plan_edit"),
    path(P + "targets/new/", views.target_edit, name="target_create"),
    path(P + "targets/<int:target_id>/", views.target_edit, name="target_edit"),
    path(P + "investments/new/", views.investment_edit, name="investment_create"),
    path(P + "investments/<int:investment_id>/", views.investment_edit, name="investment_edit"),
    path(P + "activities/new/", views.activity_edit, name="activity_create"),
    path(P + "activities/<int:activity_id>/", views.activity_edit, name="activity_edit"),
    path(P + "share/", views.plan_share, name="plan_share"),
    path(P + "withdraw/", views.plan_unshare, name="plan_unshare"),
    path(P + "sign-off/", views.plan_sign_off, name="plan_sign_off"),
    path(P + "close/", views.plan_close, name="plan_close"),
    path(P + "supersede/", views.plan_supersede, name="plan_supersede"),
    path(P + "comments/", views.comment_add, name="plan_comment"),
    path(P + "versions/", views.plan_versions, name="plan_versions"),
    path(P + "reviews/new/", views.review_create, name="review_create"),
    path(P + "reviews/<int:plan_review_id>/", views.review_detail, name="review_detail"),
    path(P + "actions/<int:action_item_id>/done/", views.action_item_done, name="action_item_done"),
    path(P + "exports/", views.export_request, name="plan_export"),
    path(P + "exports/<int:export_id>/", views.plan_export_status, name="plan_export_status"),
    path(P + "exports/<int:export_id>/download/", views.plan_export_download, name="plan_export_download"),
]
portal_urlpatterns = [
    path("plans/", portal.portal_plan_list, name="plan_list"),
    path(P, portal.portal_plan_detail, name="plan_detail"),
    path(P + "investments/new/", portal.portal_investment_edit, name="investment_create"),
    path(P + "investments/<int:investment_id>/", portal.portal_investment_edit, name="investment_edit"),
    path(P + "approve/", portal.portal_plan_approve, name="plan_approve"),
    path(P + "comments/", portal.portal_comment_add, name="plan_comment"),
    path(P + "versions/", portal.portal_plan_versions, name="plan_versions"),
    path(P + "reviews/<int:plan_review_id>/", portal.portal_review_detail, name="review_detail"),
    path(P + "actions/<int:action_item_id>/done/", portal.portal_action_item_done, name="action_item_done"),
    path(P + "exports/", portal.portal_export_request, name="plan_export"),
    path(P + "exports/<int:export_id>/", portal.portal_export_status, name="plan_export_status"),
    path(P + "exports/<int:export_id>/download/", portal.portal_export_download, name="plan_export_download"),
]
api_router = SimpleRouter()
api_router.register("plans", api.PlanViewSet, basename="plan")
api_router.register("plan-targets", api.TargetViewSet, basename="plan-target")
api_router.register("plan-investments", api.InvestmentViewSet, basename="plan-investment")
api_router.register("plan-activities", api.ActivityViewSet, basename="plan-activity")
api_router.register("plan-reviews", api.ReviewViewSet, basename="plan-review")
api_router.register("plan-action-items", api.ActionItemViewSet, basename="plan-action-item")
api_router.register("plan-exports", api.ExportViewSet, basename="plan-export")
api_urlpatterns = api_router.urls
