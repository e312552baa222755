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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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
    present = sorted(Decimal(v) for v in values.values() if v is not None)
    n = len(present)
    result: dict[int, Decimal] = {}
    lower_count: dict[Decimal, int] = {}
    for index, value in enumerate(present):
        lower_count.setdefault(value, index)  # first index of a value = how many are strictly lower
    for pid, raw in values.items():
        if raw is None:
            result[pid] = ZERO
        elif n == 1:
            result[pid] = HUNDRED
        else:
            result[pid] = q2(Decimal(lower_count[Decimal(raw)]) / Decimal(n - 1) * HUNDRED)
    return result


def normalise_rating(rating: int | None) -> Decimal:
    if rating is None:
        return ZERO
    return q2(Decimal(rating - 1) / Decimal(4) * HUNDRED)


def display(raw: Any, unit: str) -> str:
    """A raw value as people read it: money with separators, ratios in per cent, ratings of 5."""
    if raw is None:
        return "—"
    if unit == "manual":
        return f"{raw} / 5"
    value = Decimal(raw)
    if unit == "money":
        return f"{value:,.0f}"
    if unit == "ratio":
        return f"{value * 100:.1f} %"
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.2f}"


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
    normalised: dict[str, dict[int, Decimal]] = {}
    for c in criteria:
        values = raw.get(c.key, {})
        if c.kind == "manual":
            normalised[c.key] = {pid: normalise_rating(values.get(pid)) for pid in ids}
        elif c.normalisation == "percentile":
            normalised[c.key] = normalise_percentiles({pid: values.get(pid) for pid in ids})
        else:
            normalised[c.key] = {pid: normalise_target(values.get(pid), c.target) for pid in ids}
    # The same (normalised value, weight) always gives the same points: compute each once.
    points: dict[str, dict[Decimal, Decimal]] = {c.key: {} for c in criteria}
    columns = []
    for c in criteria:
        values = raw.get(c.key, {})
        unit = "manual" if c.kind == "manual" else (units or {}).get(c.key, "")
        columns.append((c, values, normalised[c.key], points[c.key], unit))
    results: dict[int, tuple[Decimal, list[dict[str, Any]]]] = {}
    for pid in ids:
        total = ZERO
        breakdown = []
        for c, values, norms, memo, unit in columns:
            norm = norms[pid]
            contribution = memo.get(norm)
            if contribution is None:
                contribution = memo[norm] = q2(norm * c.weight / HUNDRED)
            total += contribution
            value = values.get(pid)
            row = {
                "key": c.key, "label": c.label, "kind": c.kind, "raw": None if value is None else str(value),
                "normalised": str(norm), "weight": c.weight, "contribution": str(contribution),
            }  # fmt: skip
            if units is not None:
                row["display"] = display(value, unit)
            breakdown.append(row)
        results[pid] = (total, breakdown)
    return results


# --- tier rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerFacts:
    """What the tier rules look at, for one partner."""

    score: Decimal
    certifications: int
    revenue_ttm: Decimal
    jbp_signed: bool | None  # None: the signed-plan metric is not in the catalog


def tier_rules(tier: Any, facts: PartnerFacts, currency: str = "") -> list[dict[str, Any]]:
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
                "text": f"Trailing-twelve-month revenue {currency} {facts.revenue_ttm:,.0f} "
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
