"""The scoring math, free of the database: normalisation, weighted scores, tier rules.

- **Target** normalisation: ``min(raw ÷ target, 1) × 100``; a missing or negative raw value is 0.
- **Percentile** normalisation: among the scored partners that have a value, the share of the
  *others* whose value is strictly lower, × 100 (``(rank − 1) ÷ (n − 1)``, SQL's
  ``PERCENT_RANK``); ties share a value; alone in the set is 100; no value is 0.
- **Manual rating** 1–5: ``(rating − 1) ÷ 4 × 100``; unrated is 0.
- A criterion contributes ``normalised × weight ÷ 100``; the score is the sum (weights add up
  to 100, so scores run 0–100). Normalised values and contributions are rounded to 0.01.

A partner qualifies for a tier when it meets every rule of the tier; it is recommended the
best-ranked tier it qualifies for.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any

from prm.metrics import display as metrics_display
from prm.metrics import half_up
from prm.metrics import rounded as metrics_rounded

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    label: str
    kind: str  # "computed" | "manual"
    weight: int
    metric_key: str = ""
    normalisation: str = ""  # "target" | "percentile" for computed criteria
    target: Decimal | None = None

    @classmethod
    def of(cls, criterion: Any) -> CriterionSpec:
        return cls(
            key=criterion.key,
            label=criterion.label,
            kind=criterion.kind,
            weight=criterion.weight,
            metric_key=criterion.metric_key,
            normalisation=criterion.normalisation,
            target=criterion.target,
        )


def normalise_target(raw: Any, target: Decimal | None) -> Decimal:
    if raw is None or not target or target <= 0:
        return ZERO
    value = Decimal(raw)
    if value <= 0:
        return ZERO
    return q2(min(value / Decimal(target), Decimal(1)) * HUNDRED)


def normalise_percentiles(values: Mapping[int, Any]) -> dict[int, Decimal]:
    """Percentile rank of every partner's value among those that have one (see the module doc)."""
    ids = list(values)
    return dict(zip(ids, _percentile_column([values[pid] for pid in ids]), strict=True))


def _percentile_column(column: Sequence[Any]) -> list[Decimal]:
    present = sorted(v for v in column if v is not None)
    n = len(present)
    lower_count: dict[Any, int] = {}
    for index, value in enumerate(present):
        lower_count.setdefault(value, index)  # first index of a value = how many are strictly lower
    # Equal numbers hash alike (Decimal("5.00"), 5): one entry per distinct value, each computed once.
    norms: dict[Any, Decimal] = {None: ZERO}
    for value, lower in lower_count.items():
        norms[value] = HUNDRED if n == 1 else q2(Decimal(lower) / Decimal(n - 1) * HUNDRED)
    return [norms[raw] for raw in column]


def normalise_rating(rating: int | None) -> Decimal:
    if rating is None:
        return ZERO
    return q2(Decimal(rating - 1) / Decimal(4) * HUNDRED)


def display(raw: Any, unit: str) -> str:
    """A raw value as people read it (the catalog's display rule); ratings out of 5."""
    if raw is None:
        return "—"
    if unit == "manual":
        return f"{raw} / 5"
    if unit in ("money", "ratio"):
        return metrics_display(raw, unit)
    value = Decimal(raw)
    return f"{value.normalize():f}" if value == value.to_integral() else f"{half_up(value, '0.01')}"


@dataclass
class ScoreColumns:
    """The scores of a list of partners, column by column (index i is the i-th partner)."""

    scores: list[Decimal]
    normalised: dict[str, list[Decimal]]
    contributions: dict[str, list[Decimal]]


def _memoised(fn: Callable[[Any], Decimal], column: Sequence[Any]) -> list[Decimal]:
    # A column has few distinct values (ratings 1–5, counts, shared amounts): normalise each once.
    memo = {raw: fn(raw) for raw in set(column)}
    return [memo[raw] for raw in column]


def _points(norm: Decimal, weight: int) -> Decimal:
    return q2(norm * weight / HUNDRED)


def score_columns(
    criteria: Sequence[CriterionSpec], raw: Mapping[str, Sequence[Any]], size: int
) -> ScoreColumns:
    """Normalised values, contributions and scores of ``size`` partners from each criterion's
    column of raw values (``raw[key][i]`` is the i-th partner's value, None when it has none)."""
    normalised: dict[str, list[Decimal]] = {}
    contributions: dict[str, list[Decimal]] = {}
    for c in criteria:
        column = raw[c.key]
        if c.kind == "manual":
            norms = _memoised(normalise_rating, column)
        elif c.normalisation == "percentile":
            norms = _percentile_column(column)
        else:
            norms = _memoised(partial(normalise_target, target=c.target), column)
        normalised[c.key] = norms
        # The same (normalised value, weight) always gives the same points: compute each once.
        contributions[c.key] = _memoised(partial(_points, weight=c.weight), norms)
    columns = [contributions[c.key] for c in criteria]
    scores = [sum(row, ZERO) for row in zip(*columns, strict=True)] if columns else [ZERO] * size
    return ScoreColumns(scores, normalised, contributions)


class Breakdowns:
    """Each partner's breakdown from the score columns: each criterion's raw value, normalised
    value, weight and contribution (and a readable ``display`` of the raw value when ``units`` is
    given). A row depends only on the criterion and the raw value, so each distinct row is built
    (and turned into JSON) once and shared: treat the rows as read-only."""

    def __init__(
        self,
        criteria: Sequence[CriterionSpec],
        raw: Mapping[str, Sequence[Any]],
        columns: ScoreColumns,
        units: Mapping[str, str] | None = None,
    ) -> None:
        self.criteria, self.raw, self.columns, self.units = list(criteria), raw, columns, units
        self._rows: list[dict[Any, tuple[dict[str, Any], str]]] = [{} for _ in self.criteria]

    def _row(self, position: int, index: int) -> tuple[dict[str, Any], str]:
        c = self.criteria[position]
        value = self.raw[c.key][index]
        memo = self._rows[position]
        found = memo.get(value)
        if found is None:
            row = {
                "key": c.key,
                "label": c.label,
                "kind": c.kind,
                "raw": None if value is None else str(self._shown(c, value)),
                "normalised": str(self.columns.normalised[c.key][index]),
                "weight": c.weight,
                "contribution": str(self.columns.contributions[c.key][index]),
            }
            if self.units is not None:
                unit = "manual" if c.kind == "manual" else self.units.get(c.key, "")
                row["display"] = display(value, unit)
            found = memo[value] = (row, json.dumps(row))
        return found

    def _shown(self, criterion: CriterionSpec, value: Any) -> Any:
        # The score is computed from the exact value; the breakdown shows it as the catalog does.
        unit = (self.units or {}).get(criterion.key)
        return value if criterion.kind == "manual" or not unit else metrics_rounded(unit, value)

    def of(self, index: int) -> list[dict[str, Any]]:
        return [self._row(position, index)[0] for position in range(len(self.criteria))]

    def json_of(self, index: int) -> str:
        return "[" + ", ".join(self._row(position, index)[1] for position in range(len(self.criteria))) + "]"


def breakdown_of(
    criteria: Sequence[CriterionSpec],
    raw: Mapping[str, Sequence[Any]],
    columns: ScoreColumns,
    index: int,
    units: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The breakdown of the ``index``-th partner (see ``Breakdowns``)."""
    return Breakdowns(criteria, raw, columns, units).of(index)


def score_partners(
    criteria: Iterable[CriterionSpec],
    raw: Mapping[str, Mapping[int, Any]],
    partner_ids: Iterable[int],
    units: Mapping[str, str] | None = None,
) -> dict[int, tuple[Decimal, list[dict[str, Any]]]]:
    """Every partner's score and breakdown from the raw value of each criterion (by key).

    ``units`` (criterion key → catalog unit) adds a readable ``display`` of each raw value."""
    ids = list(partner_ids)
    criteria = list(criteria)
    columns_raw = {c.key: [raw.get(c.key, {}).get(pid) for pid in ids] for c in criteria}
    columns = score_columns(criteria, columns_raw, len(ids))
    return {
        pid: (columns.scores[i], breakdown_of(criteria, columns_raw, columns, i, units))
        for i, pid in enumerate(ids)
    }


# --- tier rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerFacts:
    """What the tier rules look at, for one partner."""

    score: Decimal
    certifications: int
    revenue_ttm: Decimal
    jbp_signed: bool | None  # None: the signed-plan metric is not in the catalog


def tier_rules(
    tier: Any,
    facts: PartnerFacts,
    currency: str = "",
    revenue_text: Callable[[Any, Decimal], str] | None = None,
) -> list[dict[str, Any]]:
    """Each rule of ``tier`` with whether ``facts`` meet it and a sentence saying so."""
    rules = [
        {
            "rule": "min_score",
            "met": facts.score >= tier.min_score,
            "text": f"Score {facts.score} of at least {tier.min_score}",
        }
    ]
    if tier.min_active_certifications:
        rules.append(
            {
                "rule": "min_active_certifications",
                "met": facts.certifications >= tier.min_active_certifications,
                "text": f"{facts.certifications} active certifications of at least {tier.min_active_certifications}",
            }
        )
    if tier.min_revenue_ttm is not None and tier.min_revenue_ttm > 0:
        rules.append(
            {
                "rule": "min_revenue_ttm",
                "met": facts.revenue_ttm >= tier.min_revenue_ttm,
                "text": revenue_text(tier, facts.revenue_ttm)
                if revenue_text is not None
                else f"Trailing-twelve-month revenue {currency} {facts.revenue_ttm:,.0f} "
                f"of at least {currency} {tier.min_revenue_ttm:,.0f}".replace("  ", " ").strip(),
            }
        )
    if tier.requires_signed_jbp:
        if facts.jbp_signed is None:
            rules.append(
                {
                    "rule": "requires_signed_jbp",
                    "met": False,
                    "text": "A signed joint business plan (not checked: plans are not tracked in this installation)",
                }
            )
        else:
            rules.append(
                {
                    "rule": "requires_signed_jbp",
                    "met": facts.jbp_signed,
                    "text": "A signed joint business plan for the fiscal year"
                    + ("" if facts.jbp_signed else " (none signed)"),
                }
            )
    return rules


def qualifies(tier: Any, facts: PartnerFacts) -> bool:
    """Whether ``facts`` meet every rule of ``tier`` (the same rules as ``tier_rules``, no text)."""
    if facts.score < tier.min_score:
        return False
    if tier.min_active_certifications and facts.certifications < tier.min_active_certifications:
        return False
    if (
        tier.min_revenue_ttm is not None
        and tier.min_revenue_ttm > 0
        and facts.revenue_ttm < tier.min_revenue_ttm
    ):
        return False
    return not (tier.requires_signed_jbp and not facts.jbp_signed)


def recommend(
    tiers: list[Any], facts: PartnerFacts, currency: str = ""
) -> tuple[Any | None, list[dict[str, Any]]]:
    """The best-ranked tier whose rules are all met (tiers in rank order, best first), and the
    rules of that tier and of the next better one (the gap), for the explanation."""
    recommended = None
    explained: list[dict[str, Any]] = []
    for index, tier in enumerate(tiers):
        if qualifies(tier, facts):
            rules = tier_rules(tier, facts, currency)
            recommended = tier
            explained = [{"tier": tier.name, "tier_id": tier.pk, "qualifies": True, "rules": rules}]
            if index > 0:
                better = tiers[index - 1]
                explained.insert(
                    0,
                    {
                        "tier": better.name,
                        "tier_id": better.pk,
                        "qualifies": False,
                        "rules": tier_rules(better, facts, currency),
                    },
                )
            break
    if recommended is None and tiers:
        lowest = tiers[-1]
        explained = [
            {
                "tier": lowest.name,
                "tier_id": lowest.pk,
                "qualifies": False,
                "rules": tier_rules(lowest, facts, currency),
            }
        ]
    return recommended, explained


class RuleExplainer:
    """``recommend``'s explanation for many partners, with each tier's fixed parts prepared once
    (the same output as ``recommend(tiers, facts, currency)[1]``, as JSON too)."""

    def __init__(self, tiers: list[Any], currency: str = "") -> None:
        self.tiers, self.currency = tiers, currency
        self._texts: dict[Any, str] = {}
        self._memo: dict[tuple, list[dict[str, Any]]] = {}

    def explain(self, facts: PartnerFacts, recommended_index: int | None) -> list[dict[str, Any]]:
        """The rules of the recommended tier (index in ``tiers``) and of the next better one."""
        if not self.tiers:
            return []
        if recommended_index is None:
            lowest = self.tiers[-1]
            return [
                {
                    "tier": lowest.name,
                    "tier_id": lowest.pk,
                    "qualifies": False,
                    "rules": self._rules(lowest, facts),
                }
            ]
        tier = self.tiers[recommended_index]
        explained = [
            {"tier": tier.name, "tier_id": tier.pk, "qualifies": True, "rules": self._rules(tier, facts)}
        ]
        if recommended_index > 0:
            better = self.tiers[recommended_index - 1]
            explained.insert(
                0,
                {
                    "tier": better.name,
                    "tier_id": better.pk,
                    "qualifies": False,
                    "rules": self._rules(better, facts),
                },
            )
        return explained

    def _revenue_text(self, tier: Any, revenue: Decimal) -> str:
        key = (tier.pk, revenue)
        text = self._texts.get(key)
        if text is None:
            currency = self.currency
            text = self._texts[key] = (
                f"Trailing-twelve-month revenue {currency} {revenue:,.0f} "
                f"of at least {currency} {tier.min_revenue_ttm:,.0f}".replace("  ", " ").strip()
            )
        return text

    def _rules(self, tier: Any, facts: PartnerFacts) -> list[dict[str, Any]]:
        # Memoised on what the tier's rules look at: many partners share a score and the counts.
        key = (
            tier.pk,
            facts.score,
            facts.certifications if tier.min_active_certifications else None,
            facts.revenue_ttm if tier.min_revenue_ttm else None,
            facts.jbp_signed if tier.requires_signed_jbp else None,
        )
        rules = self._memo.get(key)
        if rules is None:
            rules = self._memo[key] = tier_rules(tier, facts, self.currency, revenue_text=self._revenue_text)
        return rules
