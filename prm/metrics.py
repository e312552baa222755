"""The metric catalog: every number the program is judged by, defined once.

A metric has a key, a label, a unit and a set-based computation: for a tenant, a set of
partners and a fiscal period it returns the value for every partner of the set in one query
(an aggregate grouped by partner), never a loop over partners. Each app registers the metrics
it owns from its ``metrics.py`` at start-up; scoring, plans, rebates and dashboards look them
up by key, so no app imports another to use its numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .periods import FiscalPeriod

Value = Decimal | int | None
Computation = Callable[[Any, list[int], FiscalPeriod], dict[int, Value]]


class Unit:
    MONEY = "money"  # in the tenant's reporting currency
    COUNT = "count"
    RATIO = "ratio"  # 0.25 means 25 %
    SCORE = "score"  # 0–100, two decimals


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    compute_values: Computation = field(repr=False)
    definition: str = ""

    def compute(self, *, tenant: Any, partner_ids: Iterable[int], period: FiscalPeriod) -> dict[int, Value]:
        """The value for every partner id given (partners with no data get 0 or None, by metric)."""
        ids = sorted(set(partner_ids))
        if not ids:
            return {}
        values = self.compute_values(tenant, ids, period)
        return {pid: values.get(pid, self.empty) for pid in ids}

    @property
    def empty(self) -> Value:
        return None if self.unit in (Unit.RATIO, Unit.SCORE) else (Decimal("0.00") if self.unit == Unit.MONEY else 0)


_CATALOG: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.key in _CATALOG and _CATALOG[metric.key] is not metric:
        raise ValueError(f"Metric {metric.key!r} is defined twice; a metric has one definition.")
    _CATALOG[metric.key] = metric
    return metric


def get(key: str) -> Metric:
    try:
        return _CATALOG[key]
    except KeyError:
        raise KeyError(f"No metric {key!r}; known: {', '.join(sorted(_CATALOG))}") from None


def catalog() -> list[Metric]:
    return sorted(_CATALOG.values(), key=lambda m: m.key)
