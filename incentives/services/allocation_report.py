"""Programmatic allocation (by tier rule, from the JBP): the order partners are served in and the
report of a run — who was allocated what, who was left out and why.

The pool is served in one stated order: strategic partners first, then by partner score (the
catalog's ``partner_score``, the latest snapshot; unscored partners after scored ones), then by
name. Each partner gets its full amount if it still fits in what is left of the fund; one that
does not fit is left out (no partial amounts), and the next partner in the order is tried.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import prm.metrics
from partners.models import Partner
from partners.vocab import Classification
from prm.models import Tenant

from ..models import ZERO
from ._common import current_quarter

PARTNER_SCORE = "partner_score"

ORDER_RULE = (
    "Strategic partners first, then by partner score (latest, highest first; unscored last), then by name."
)
FIT_RULE = (
    "A partner gets its full amount only if it fits in what is left of the fund (no partial amounts); "
    "one that does not fit is left out and the next partner in the order is tried."
)


@dataclass(frozen=True)
class AllocationLine:
    """One partner in a run: allocated ``amount``, or left out with ``reason`` (``amount`` is then
    what it needed, when it had an amount)."""

    partner_id: int
    partner: str
    amount: Decimal | None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "partner_id": self.partner_id,
            "partner": self.partner,
            "amount": None if self.amount is None else f"{self.amount:.2f}",
            "reason": self.reason,
        }


@dataclass
class AllocationReport:
    """What a programmatic allocation did, in the order partners were served."""

    rule: str
    allocated: list[AllocationLine] = field(default_factory=list)
    left_out: list[AllocationLine] = field(default_factory=list)
    left: Decimal = ZERO
    order: str = ORDER_RULE
    fit: str = FIT_RULE

    def allocate(self, partner: Partner, amount: Decimal) -> None:
        self.allocated.append(AllocationLine(partner.pk, partner.name, amount))

    def leave_out(self, partner: Partner, reason: str, needed: Decimal | None = None) -> None:
        self.left_out.append(AllocationLine(partner.pk, partner.name, needed, reason))

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe (money as strings): for the API and the page after a redirect."""
        return {
            "rule": self.rule,
            "order": self.order,
            "fit": self.fit,
            "left": f"{self.left:.2f}",
            "allocated": [line.as_dict() for line in self.allocated],
            "left_out": [line.as_dict() for line in self.left_out],
        }


def pool_exhausted(needed: Decimal, left: Decimal) -> str:
    return f"pool exhausted — needed {needed:,.2f}, {left:,.2f} left"


def allocation_order(tenant: Tenant, partners: list[Partner]) -> list[Partner]:
    """``partners`` in the order the pool serves them (see the module's docstring)."""
    scores: dict[int, Any] = {}
    try:
        metric = prm.metrics.get(PARTNER_SCORE)
    except KeyError:  # tiering not installed: strategic first, then by name
        metric = None
    if metric is not None and partners:
        scores = metric.compute(
            tenant=tenant, partner_ids=[p.pk for p in partners], period=current_quarter(tenant)
        )

    def key(partner: Partner) -> tuple[bool, bool, Decimal, str, int]:
        score = scores.get(partner.pk)
        strategic = partner.tier is not None and partner.tier.classification == Classification.STRATEGIC
        return (
            not strategic,
            score is None,
            -Decimal(str(score)) if score is not None else ZERO,
            partner.name.casefold(),
            partner.pk,
        )

    return sorted(partners, key=key)
