"""Shared by the plan's use cases: the fields each part may set, the partner's own-plan check,
saving with full validation, and the audit event."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from prm import audit
from prm.access import TenantAccess

from ..models import Plan, Target

Status = Plan.Status

PLAN_FIELDS = [
    "title",
    "summary",
    "objectives",
    "vendor_owner",
    "vendor_sponsor",
    "partner_owner",
    "partner_sponsor",
    "review_cadence",
    "next_review_on",
]
TARGET_FIELDS = ["kind", "metric_key", "quarter", "value", "note"]
INVESTMENT_FIELDS = [
    "side",
    "kind",
    "description",
    "quarter",
    "amount",
    "quantity",
    "delivered_amount",
    "delivered_note",
]
ACTIVITY_FIELDS = ["name", "type", "quarter", "budget", "owner_side", "owner_name", "status"]
KIND_METRIC: dict[str, str] = {Target.Kind.REVENUE: "revenue", Target.Kind.PIPELINE: "pipeline_sourced"}


def _own_plan(access: TenantAccess, plan: Plan) -> None:
    """Partner callers act on their own company's shared plans only (404 otherwise)."""
    if access.is_partner and (plan.partner_id != access.partner_id or plan.status == Status.DRAFT):
        raise PermissionDenied("This plan is not yours.")


def _clean_save(obj: Any) -> None:
    obj.assign_tenant()
    obj.full_clean()
    obj.save()


def _audit(
    access: TenantAccess | None,
    verb: str,
    plan: Plan,
    before: dict | None = None,
    after: dict | None = None,
    target: Any = None,
) -> None:
    audit.record(
        access=access,
        verb=verb,
        target=target or plan,
        before=before,
        after=after,
        partner_id=plan.partner_id,
    )
