"""The parts of a plan: targets, investments (both sides) and co-marketing activities. Each change
follows the change protocol: an amendment of an active plan freezes a new version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

import prm.metrics
from prm import audit
from prm.access import TenantAccess
from prm.metrics import Unit

from ..models import Activity, Investment, Plan, Side, Target
from ._common import ACTIVITY_FIELDS, INVESTMENT_FIELDS, KIND_METRIC, TARGET_FIELDS, _audit, _clean_save
from .versions import _begin_change, _end_change

# --- targets, investments, activities ----------------------------------------------------------


def _metric_for(kind: str, metric_key: str) -> str:
    key = KIND_METRIC.get(kind, metric_key)
    try:
        prm.metrics.get(key)
    except KeyError:
        raise ValidationError({"metric_key": f"“{key}” is not a metric of the catalog."}) from None
    return key


@transaction.atomic
def target_save(
    *,
    access: TenantAccess,
    plan: Plan,
    fields: Mapping[str, Any],
    target: Target | None = None,
    change_summary: str = "",
) -> Target:
    """Add or change a target. Revenue commitments measure ``revenue`` and pipeline targets
    ``pipeline_sourced``; other targets name any catalog metric. Ratio targets are given as
    fractions (0.25 for 25 %)."""
    _begin_change(access, plan, change_summary)
    target = target or Target(plan=plan)
    if target.plan_id != plan.pk:
        raise PermissionDenied
    for name in TARGET_FIELDS:
        if name in fields:
            setattr(target, name, fields[name])
    target.metric_key = _metric_for(target.kind, target.metric_key)
    if target.value is not None and target.value < 0:
        raise ValidationError({"value": "A target cannot be negative."})
    if (
        prm.metrics.get(target.metric_key).unit == Unit.RATIO
        and target.value is not None
        and target.value > 10
    ):
        raise ValidationError({"value": "Give a ratio as a fraction: 0.25 for 25 %."})
    duplicate = plan.targets.filter(metric_key=target.metric_key, quarter=target.quarter).exclude(
        pk=target.pk
    )
    if duplicate.exists():
        raise ValidationError({"quarter": "The plan already has a target on this metric for this quarter."})
    _clean_save(target)
    _audit(access, "plan.target_saved", plan, after=audit.snapshot(target, TARGET_FIELDS))
    _end_change(access, plan, change_summary, f"target {target}")
    return target


@transaction.atomic
def target_remove(*, access: TenantAccess, plan: Plan, target: Target, change_summary: str = "") -> None:
    _begin_change(access, plan, change_summary)
    if target.plan_id != plan.pk:
        raise PermissionDenied
    before = audit.snapshot(target, TARGET_FIELDS)
    target.delete()
    _audit(access, "plan.target_removed", plan, before=before)
    _end_change(access, plan, change_summary, "target removed")


@transaction.atomic
def investment_save(
    *,
    access: TenantAccess,
    plan: Plan,
    fields: Mapping[str, Any],
    investment: Investment | None = None,
    change_summary: str = "",
) -> Investment:
    """Add or change an investment. The partner admin edits the partner's own investments
    while the plan is shared; the vendor edits both sides."""
    _begin_change(access, plan, change_summary, partner_part=True)
    investment = investment or Investment(plan=plan)
    if investment.plan_id != plan.pk:
        raise PermissionDenied
    for name in INVESTMENT_FIELDS:
        if name in fields:
            setattr(investment, name, fields[name])
    if access.is_partner and (investment.side != Side.PARTNER):
        raise ValidationError({"side": "Partners edit the partner's own investments only."})
    if investment.amount is None and investment.quantity is None:
        raise ValidationError({"amount": "Give an amount or a quantity (people, seats, days)."})
    _clean_save(investment)
    _audit(access, "plan.investment_saved", plan, after=audit.snapshot(investment, INVESTMENT_FIELDS))
    _end_change(access, plan, change_summary, f"investment {investment}")
    return investment


@transaction.atomic
def investment_remove(
    *, access: TenantAccess, plan: Plan, investment: Investment, change_summary: str = ""
) -> None:
    _begin_change(access, plan, change_summary, partner_part=True)
    if investment.plan_id != plan.pk or (access.is_partner and investment.side != Side.PARTNER):
        raise PermissionDenied
    before = audit.snapshot(investment, INVESTMENT_FIELDS)
    investment.delete()
    _audit(access, "plan.investment_removed", plan, before=before)
    _end_change(access, plan, change_summary, "investment removed")


@transaction.atomic
def activity_save(
    *,
    access: TenantAccess,
    plan: Plan,
    fields: Mapping[str, Any],
    activity: Activity | None = None,
    change_summary: str = "",
) -> Activity:
    """Add or change a co-marketing activity (a status change on an active plan is an amendment too)."""
    _begin_change(access, plan, change_summary)
    activity = activity or Activity(plan=plan)
    if activity.plan_id != plan.pk:
        raise PermissionDenied
    for name in ACTIVITY_FIELDS:
        if name in fields:
            setattr(activity, name, fields[name])
    _clean_save(activity)
    _audit(access, "plan.activity_saved", plan, after=audit.snapshot(activity, ACTIVITY_FIELDS))
    _end_change(access, plan, change_summary, f"activity {activity}")
    return activity
