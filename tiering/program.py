"""The tenant's tiering program as every part of tiering reads it: its settings, the active
scorecard (created from the default criteria on first use), the strategic count, and the
direction of a move. Services, queries and the recalculation all stand on this module."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from partners.models import Partner, Tier
from partners.vocab import Classification
from prm import actors, metrics
from prm.access import TenantAccess

from .models import Criterion, Scorecard, TieringSettings
from .models import TierChangeProposal as Proposal
from .scoring import CriterionSpec

# The default scorecard: the practitioner scorecard (fit, coverage, pipeline, sponsorship, ease
# of working) plus revenue, growth, win rate and certification depth. Weights add up to 100.
DEFAULT_CRITERIA: list[dict[str, Any]] = [
    {
        "key": "revenue_ttm",
        "label": "Revenue (TTM)",
        "kind": "computed",
        "metric_key": "revenue_ttm",
        "normalisation": "percentile",
        "weight": 20,
    },
    {
        "key": "pipeline_sourced",
        "label": "Pipeline sourced",
        "kind": "computed",
        "metric_key": "pipeline_sourced",
        "normalisation": "percentile",
        "weight": 20,
    },
    {
        "key": "revenue_growth",
        "label": "Revenue growth",
        "kind": "computed",
        "metric_key": "revenue_growth",
        "normalisation": "target",
        "target": Decimal("0.25"),
        "weight": 10,
    },
    {
        "key": "win_rate",
        "label": "Win rate",
        "kind": "computed",
        "metric_key": "win_rate",
        "normalisation": "target",
        "target": Decimal("0.50"),
        "weight": 10,
    },
    {
        "key": "active_certifications",
        "label": "Active certifications",
        "kind": "computed",
        "metric_key": "active_certifications",
        "normalisation": "target",
        "target": Decimal("5"),
        "weight": 10,
    },
    {"key": "fit_to_icp", "label": "Fit to ICP", "kind": "manual", "weight": 10},
    {"key": "use_case_coverage", "label": "Use-case coverage", "kind": "manual", "weight": 5},
    {"key": "executive_sponsorship", "label": "Executive sponsorship", "kind": "manual", "weight": 5},
    {"key": "ease_of_working", "label": "Ease of working", "kind": "manual", "weight": 5},
    {"key": "willingness_to_invest", "label": "Willingness to invest", "kind": "manual", "weight": 5},
]


# The rules of a tier that an admin edits (and a what-if may try out).
TIER_FIELDS = [
    "name",
    "benefits",
    "mdf_eligible",
    "rebate_eligible",
    "deal_protection_days",
    "min_score",
    "min_active_certifications",
    "min_revenue_ttm",
    "requires_signed_jbp",
]


def tiering_settings() -> TieringSettings:
    """The tenant's portfolio settings; the defaults (unsaved) until an admin saves some."""
    found = TieringSettings.objects.first()
    return found if found is not None else TieringSettings()


def active_scorecard() -> Scorecard:
    """The active scorecard version (version 1 with the default criteria on first use)."""
    found = Scorecard.objects.filter(is_active=True).first()
    if found is not None:
        return found
    with transaction.atomic():
        return create_scorecard_version(criteria=DEFAULT_CRITERIA, note="Default scorecard", actor=None)


def active_criteria() -> list[CriterionSpec]:
    return [CriterionSpec.of(c) for c in active_scorecard().criteria.all()]


def validate_criteria(criteria: list[dict[str, Any]]) -> list[CriterionSpec]:
    """Check a set of criteria (weights add up to 100, metrics exist, targets given)."""
    errors: list[str] = []
    specs: list[CriterionSpec] = []
    keys: set[str] = set()
    for index, c in enumerate(criteria, start=1):
        label = (c.get("label") or "").strip()
        key = (c.get("key") or "").strip()
        name = label or f"criterion {index}"
        if not key or not label:
            errors.append(f"Criterion {index}: give it a key and a label.")
            continue
        if key in keys:
            errors.append(f"{name}: the key “{key}” is used twice.")
        keys.add(key)
        kind = c.get("kind")
        try:
            weight = int(c.get("weight") or 0)
        except (TypeError, ValueError):
            weight = 0
        if not 1 <= weight <= 100:
            errors.append(f"{name}: the weight must be a whole number from 1 to 100.")
        target = c.get("target")
        if kind == "computed":
            try:
                metrics.get(c.get("metric_key") or "")
            except KeyError:
                errors.append(f"{name}: “{c.get('metric_key')}” is not a metric of the catalog.")
            if c.get("normalisation") not in ("target", "percentile"):
                errors.append(f"{name}: choose a normalisation (target or percentile).")
            if c.get("normalisation") == "target" and (target is None or Decimal(target) <= 0):
                errors.append(f"{name}: a target normalisation needs a target above 0.")
        elif kind != "manual":
            errors.append(f"{name}: the kind must be computed or manual.")
        specs.append(
            CriterionSpec(
                key=key,
                label=label,
                kind=kind or "",
                weight=weight,
                metric_key=c.get("metric_key") or "",
                normalisation=c.get("normalisation") or "" if kind == "computed" else "",
                target=Decimal(target) if target not in (None, "") and kind == "computed" else None,
            )
        )
    total = sum(s.weight for s in specs)
    if specs and total != 100:
        errors.append(f"The weights add up to {total}; they must add up to 100.")
    if not criteria:
        errors.append("A scorecard needs at least one criterion.")
    if errors:
        raise ValidationError({"criteria": errors})
    return specs


def create_scorecard_version(
    *, criteria: list[dict[str, Any]], note: str, actor: TenantAccess | None
) -> Scorecard:
    """A new active scorecard version from ``criteria`` (validated), unaudited: the building block
    of ``scorecard_save_version`` (an admin's) and of the default scorecard the program creates
    for itself on first use (``actor`` None). Callers hold the transaction."""
    specs = validate_criteria(criteria)
    latest = Scorecard.objects.order_by("-version").values_list("version", flat=True).first() or 0
    Scorecard.objects.filter(is_active=True).update(is_active=False)
    card = Scorecard.objects.create(
        version=latest + 1, is_active=True, note=note, **actors.by(actor, "created_by")
    )
    Criterion.objects.bulk_create(
        [
            Criterion(
                scorecard=card,
                key=s.key,
                label=s.label,
                kind=s.kind,
                metric_key=s.metric_key,
                normalisation=s.normalisation,
                target=s.target,
                weight=s.weight,
                position=i,
            )
            for i, s in enumerate(specs)
        ]
    )
    return card


def direction(from_tier: Tier | None, to_tier: Tier) -> str:
    """Promotion when the target tier ranks higher (a lower rank number) or there was none."""
    if from_tier is None or to_tier.rank < from_tier.rank:
        return Proposal.Direction.PROMOTION
    return Proposal.Direction.DEMOTION


def strategic_count() -> int:
    return Partner.objects.filter(
        archived_at__isnull=True, tier__classification=Classification.STRATEGIC
    ).count()
