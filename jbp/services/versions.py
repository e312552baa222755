"""What a version of the plan holds, freezing one, comparing two; and the change protocol every
edit follows (an amendment of an active plan freezes a new version)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

import prm.metrics
from prm.access import TenantAccess, require
from prm.metrics import Unit
from prm.permissions import Perm

from .. import queries
from ..models import Plan, PlanVersion
from ._common import Status, _audit, _clean_save, _own_plan

# --- changes -----------------------------------------------------------------------------------


def _begin_change(
    access: TenantAccess, plan: Plan, change_summary: str, *, partner_part: bool = False
) -> None:
    """May the caller change the plan now? Locks the row."""
    Plan.objects.select_for_update().filter(pk=plan.pk).first()
    if partner_part and access.is_partner:
        require(access, Perm.APPROVE_OWN_PLAN)
        _own_plan(access, plan)
        if plan.status != Status.SHARED:
            raise ValidationError("The partner edits its part while the plan is shared for its approval.")
        return
    require(access, Perm.MANAGE_PLANS)
    if plan.status in (Status.CLOSED, Status.SUPERSEDED):
        raise ValidationError(f"A {plan.get_status_display().lower()} plan cannot change.")
    if plan.status == Status.ACTIVE and not change_summary.strip():
        raise ValidationError(
            {"change_summary": "An active plan changes by amendment: say what changes and why."}
        )


def _end_change(access: TenantAccess, plan: Plan, change_summary: str, what: str) -> None:
    """After a change: an amendment freezes a new version; a partner-approved plan goes back
    to the partner for approval."""
    if plan.status == Status.ACTIVE:
        _freeze_version(access, plan, change_summary.strip())
        _audit(
            access,
            "plan.amended",
            plan,
            after={"version": plan.version, "change": what, "summary": change_summary},
        )
    elif plan.status == Status.PARTNER_APPROVED and not access.is_partner:
        plan.status = Status.SHARED
        plan.partner_approved_at = None
        plan.partner_approved_by = None
        plan.partner_approved_by_name = ""
        plan.save(
            update_fields=[
                "status",
                "partner_approved_at",
                "partner_approved_by",
                "partner_approved_by_name",
                "updated_at",
            ]
        )
        _audit(
            access,
            "plan.approval_reset",
            plan,
            before={"status": Status.PARTNER_APPROVED},
            after={"status": Status.SHARED, "change": what},
        )


# --- versions ----------------------------------------------------------------------------------


def _fmt_target(value: Decimal, key: str) -> str:
    try:
        unit = prm.metrics.get(key).unit
    except KeyError:
        unit = Unit.COUNT
    if unit == Unit.RATIO:
        return prm.metrics.display(value, Unit.RATIO)
    if unit == Unit.MONEY:
        return f"{prm.metrics.half_up(value, '0.01'):,}"
    return f"{value.normalize():f}"


def plan_content(plan: Plan) -> dict[str, str]:
    """The plan as a flat mapping of readable names to text: what a version freezes and compares."""
    when = lambda q: f"Q{q}" if q else "Full year"  # noqa: E731
    content: dict[str, str] = {
        "Title": plan.title,
        "Summary": plan.summary,
        "Objectives": plan.objectives,
        "Vendor plan owner": str(plan.vendor_owner or ""),
        "Vendor executive sponsor": str(plan.vendor_sponsor or ""),
        "Partner plan owner": str(plan.partner_owner or ""),
        "Partner executive sponsor": str(plan.partner_sponsor or ""),
        "Review cadence": plan.get_review_cadence_display(),
        "Next review": plan.next_review_on.isoformat() if plan.next_review_on else "",
    }
    for t in plan.targets.all():
        content[f"{t.get_kind_display()} · {queries.metric_label(t.metric_key)} · {when(t.quarter)}"] = (
            _fmt_target(t.value, t.metric_key) + (f" ({t.note})" if t.note else "")
        )
    for i in plan.investments.all():
        figures = ", ".join(
            part
            for part in (
                f"{i.amount:,.2f}" if i.amount is not None else "",
                f"{i.quantity.normalize():f} units" if i.quantity is not None else "",
            )
            if part
        )
        content[
            f"{i.get_side_display()} investment · {i.get_kind_display()} · {i.description} · {when(i.quarter)}"
        ] = figures
    for a in plan.activities.all():
        content[f"Activity · {a.name}"] = (
            f"Q{a.quarter} · {a.get_type_display()} · budget {a.budget:,.2f} · {a.owner_name} ({a.get_owner_side_display()}) · "
            f"{a.get_status_display()}"
        )
    return content


def _freeze_version(access: TenantAccess | None, plan: Plan, summary: str) -> PlanVersion:
    plan.version += 1
    plan.save(update_fields=["version", "updated_at"])
    version = PlanVersion(
        plan=plan,
        number=plan.version,
        change_summary=summary,
        content=plan_content(plan),
        created_by=access.user if access else None,
        created_by_label=access.actor_label if access else "system",
    )
    _clean_save(version)
    return version


@dataclass(frozen=True)
class Difference:
    field: str
    before: str | None  # None: not in the earlier version
    after: str | None  # None: not in the later version

    @property
    def change(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def versions_compare(older: PlanVersion, newer: PlanVersion) -> list[Difference]:
    """What changed between two versions, field by field (in the order of the newer one)."""
    keys = list(newer.content) + [k for k in older.content if k not in newer.content]
    return [
        Difference(k, older.content.get(k), newer.content.get(k))
        for k in keys
        if older.content.get(k) != newer.content.get(k)
    ]
