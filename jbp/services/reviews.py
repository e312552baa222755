"""Quarterly reviews of a signed plan (attainment frozen as of the review) and their action items."""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from prm import actors, audit
from prm.access import TenantAccess, require
from prm.permissions import Perm
from prm.references import check_user_references

from .. import queries
from ..models import ActionItem, Plan, Review, Side
from ._common import Status, _audit, _clean_save, _own_plan

# --- reviews and action items ------------------------------------------------------------------


def review_snapshot(plan: Plan) -> list[dict[str, Any]]:
    """The plan's targets with actuals and attainment as of now, JSON-safe, to freeze in a review."""
    return [
        {
            "target": f"{row.target.get_kind_display()} · {row.label} · {row.when}",
            "unit": row.unit,
            "value": str(row.target.value),
            "actual": None if row.actual is None else str(row.actual),
            "attainment": None if row.attainment is None else str(row.attainment),
        }
        for row in queries.scorecard(plan)
    ]


@dataclass(frozen=True)
class NewActionItem:
    title: str
    owner_side: str
    owner_name: str
    due_on: date
    owner_id: int | None = None


@transaction.atomic
def review_record(
    *, access: TenantAccess, plan: Plan, fields: Mapping[str, Any], action_items: Sequence[NewActionItem] = ()
) -> Review:
    """Record a quarterly review of a signed plan with the attainment frozen as of now and its new
    action items; open items of earlier reviews stay open and carry into this one. Moves the
    plan's next review date by its cadence when it was due."""
    require(access, Perm.MANAGE_PLANS)
    if plan.status not in (Status.ACTIVE, Status.CLOSED):
        raise ValidationError("Reviews are held on signed plans.")
    review = Review(plan=plan, **actors.by(access, "recorded_by"), snapshot=review_snapshot(plan))
    for name in ("quarter", "held_on", "vendor_attendees", "partner_attendees", "notes", "decisions"):
        if name in fields:
            setattr(review, name, fields[name])
    _clean_save(review)
    for item in action_items:
        action_item_add(access=access, review=review, item=item)
    cadence: dict[str, int] = {
        Plan.Cadence.MONTHLY: 1,
        Plan.Cadence.QUARTERLY: 3,
        Plan.Cadence.HALF_YEARLY: 6,
    }
    # The review that was due (or one held up to two weeks early) moves the next one on by the cadence.
    if plan.next_review_on is None or plan.next_review_on <= review.held_on + timedelta(days=14):
        plan.next_review_on = _add_months(review.held_on, cadence[plan.review_cadence])
        plan.review_reminded_for = None
        plan.save(update_fields=["next_review_on", "review_reminded_for", "updated_at"])
    _audit(
        access,
        "plan.reviewed",
        plan,
        after={"review": review.pk, "quarter": review.quarter, "held_on": str(review.held_on)},
    )
    return review


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def action_item_add(*, access: TenantAccess, review: Review, item: NewActionItem) -> ActionItem:
    require(access, Perm.MANAGE_PLANS)
    check_user_references(access.tenant, {"owner": item.owner_id})
    action = ActionItem(
        plan=review.plan,
        review=review,
        title=item.title,
        owner_side=item.owner_side,
        owner_name=item.owner_name,
        due_on=item.due_on,
        owner_id=item.owner_id,
    )
    _clean_save(action)
    _audit(
        access,
        "plan.action_item_added",
        review.plan,
        target=action,
        after=audit.snapshot(action, ["title", "owner_name", "due_on"]),
    )
    return action


@transaction.atomic
def action_item_complete(*, access: TenantAccess, item: ActionItem) -> ActionItem:
    """Mark an action item done: the vendor team for any item, the partner for its own side's."""
    plan = item.plan
    if access.is_partner:
        require(access, Perm.USE_PORTAL)
        _own_plan(access, plan)
        if item.owner_side != Side.PARTNER:
            raise PermissionDenied("The vendor marks its own action items done.")
    else:
        require(access, Perm.MANAGE_PLANS)
    if item.status == ActionItem.Status.DONE:
        return item
    item.status = ActionItem.Status.DONE
    item.done_at = timezone.now()
    item.save(update_fields=["status", "done_at", "updated_at"])
    _audit(
        access,
        "plan.action_item_done",
        plan,
        target=item,
        before={"status": "open"},
        after={"status": "done"},
    )
    return item
