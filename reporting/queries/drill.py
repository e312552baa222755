"""The rows behind a figure: each partner of a group with the metric's parts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import Http404

import prm.metrics as catalog
from partners import queries as partner_queries
from prm.access import TenantAccess
from prm.metrics import PARTNER, TOTAL, Metric
from prm.periods import FiscalPeriod
from prm.replica import replica_reads

from .common import CLASS, CLASS_LABELS, HEADLINE, TIER, UNTIERED, partners_grouping
from .dashboard import TierRow, tier_rows

# --- drill-down --------------------------------------------------------------------------------


@dataclass
class DrillRow:
    partner_id: int
    partner: str
    tier: str
    classification: str
    parts: list[Any]
    value: Any


@dataclass
class Drill:
    metric: Metric
    period: FiscalPeriod
    group: str
    group_label: str
    part_names: list[str]
    rows: list[DrillRow]
    total: Any


def parse_group(group: str | None, tiers: list[TierRow]) -> tuple[str, str, str]:
    """``total``, ``class_key:strategic`` or ``tier_key:3`` → (grouping, key, label); 404 otherwise."""
    if not group or group == "total":
        return TOTAL, "", "All partners"
    grouping, _, key = group.partition(":")
    if grouping == CLASS and key in CLASS_LABELS:
        return CLASS, key, f"{CLASS_LABELS[key]} partners"
    if grouping == TIER:
        for row in tiers:
            if ("" if row.key is None else str(row.key)) == key:
                return TIER, key, f"Tier {row.name}"
    raise Http404("No such group")


def metric_or_404(key: str | None) -> Metric:
    if key not in HEADLINE:
        raise Http404("No such figure")
    return catalog.get(key)


@replica_reads()  # the heavy aggregates: from the replica when one is configured
def drill(access: TenantAccess, metric: Metric, period: FiscalPeriod, group: str | None) -> Drill:
    """The rows behind one figure: each partner of the group with the metric's parts and value,
    and the group's value computed from the summed parts (the figure on the dashboard). Groups
    and the tier shown are each partner's tier at the end of the period, as on the dashboard."""
    tenant = access.tenant
    tiers = tier_rows(access, period.end)
    grouping, key, label = parse_group(group, tiers)
    members = partners_grouping(access, period.end)
    if grouping == TIER:
        members = members.filter(tier_key=int(key)) if key else members.filter(tier_key__isnull=True)
    elif grouping == CLASS:
        members = members.filter(class_key=key)
    groupings = [PARTNER, TOTAL]
    if metric.parts is not None:
        summed = catalog.grouped_parts(
            metric, tenant=tenant, partners=members, groupings=groupings, periods=[period]
        )
        values = {slot: metric.rounded(metric.parts.combine(p)) for slot, p in summed.items()}
        parts = {int(k): list(p.values()) for (_, g, k), p in summed.items() if g == PARTNER}
    else:
        values = catalog.compute_grouped(
            metric, tenant=tenant, partners=members, groupings=groupings, periods=[period]
        )
        parts = {}
    ids = [int(k) for (_, g, k) in values if g == PARTNER]
    info = partner_queries.partner_tiers(access, ids)
    held = {row["id"]: row for row in members.filter(id__in=ids)}
    tier_names = {row.key: row.name for row in tiers}
    rows = [
        DrillRow(
            partner_id=pid,
            partner=info[pid]["name"],
            tier=tier_names.get(held[pid]["tier_key"]) or "No tier",
            classification=CLASS_LABELS.get(held[pid]["class_key"] or UNTIERED, ""),
            parts=parts.get(pid, []),
            value=values[(period.label, PARTNER, str(pid))],
        )
        for pid in ids
        if pid in info and pid in held
    ]
    rows.sort(key=lambda r: (r.value is None, -(Decimal(r.value) if r.value is not None else 0), r.partner))
    return Drill(
        metric=metric,
        period=period,
        group=group or "total",
        group_label=label,
        part_names=list(metric.parts.names) if metric.parts else [],
        rows=rows,
        total=values.get((period.label, TOTAL, ""), metric.empty_value),
    )
