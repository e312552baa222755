"""The reporting API's answers as serializers: the dashboard, the rows behind a figure and a
partner's QBR, read from the same computed objects the pages show.

Figures keep their exact form: money and ratios as strings (never floats), dates in ISO form
(``plain``), so a client reads the numbers the page shows, to the cent.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from . import queries


def plain(value: Any) -> Any:
    """JSON of a figure: money and ratios as strings (never floats), dates in ISO form."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class PlainField(serializers.Field):
    """A read-only figure (a number, a date, or a structure of them) in its exact JSON form."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return plain(value)


class LabelField(serializers.CharField):
    """A fiscal period as its label (``FY2026-Q3``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return str(value.label)


class CellSerializer(serializers.Serializer[queries.Cell]):
    value = PlainField()
    previous = PlainField()
    change = PlainField()
    drill_group = serializers.CharField(source="group", read_only=True)


class TierSerializer(serializers.Serializer[queries.TierRow]):
    tier_id = serializers.IntegerField(source="key", read_only=True, allow_null=True)
    tier = serializers.CharField(source="name", read_only=True)
    classification = serializers.SerializerMethodField()
    partners = serializers.IntegerField(read_only=True)

    def get_classification(self, tier: queries.TierRow) -> str | None:
        return tier.classification or None


class FigureSerializer(serializers.Serializer[queries.Figure]):
    """One headline figure: in total, strategic, tactical, untiered and per tier, with the change,
    the top and bottom partners and the eight-quarter trend. Needs ``dashboard`` in the context."""

    key = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field named like Field.label
    unit = serializers.CharField(read_only=True)
    definition = serializers.CharField(read_only=True)
    total = CellSerializer(read_only=True)
    strategic = CellSerializer(source="by_class.strategic", read_only=True)
    tactical = CellSerializer(source="by_class.tactical", read_only=True)
    untiered = CellSerializer(source=f"by_class.{queries.UNTIERED}", read_only=True)
    by_tier = serializers.SerializerMethodField()
    top = serializers.SerializerMethodField()
    bottom = serializers.SerializerMethodField()
    trend = PlainField()

    def get_by_tier(self, figure: queries.Figure) -> list[dict[str, Any]]:
        tiers = TierSerializer(self.context["dashboard"].tiers, many=True).data
        cells = [CellSerializer(figure.by_tier[t.key]).data for t in self.context["dashboard"].tiers]
        return [
            {key: tier[key] for key in ("tier_id", "tier", "classification")} | dict(cell)
            for tier, cell in zip(tiers, cells, strict=True)
        ]

    def _ranked(self, ranked: list[tuple[int, Any]]) -> list[dict[str, Any]]:
        names = self.context["dashboard"].partner_names
        return [{"partner_id": pid, "partner": names.get(pid, ""), "value": plain(v)} for pid, v in ranked]

    def get_top(self, figure: queries.Figure) -> list[dict[str, Any]]:
        return self._ranked(figure.top)

    def get_bottom(self, figure: queries.Figure) -> list[dict[str, Any]]:
        return self._ranked(figure.bottom)


class MovementSerializer(serializers.Serializer[dict[str, Any]]):
    partner_id = serializers.IntegerField(read_only=True)
    partner = serializers.CharField(read_only=True)
    from_tier = serializers.CharField(source="from", read_only=True)
    to = serializers.CharField(read_only=True)
    promotion = serializers.BooleanField(source="up", read_only=True)
    on = PlainField()

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        return {("from" if key == "from_tier" else key): value for key, value in data.items()}


class BalanceSerializer(serializers.Serializer[queries.Dashboard]):
    partners = serializers.IntegerField(source="partner_count", read_only=True)
    strategic = serializers.IntegerField(source="strategic_count", read_only=True)
    strategic_cap = serializers.IntegerField(read_only=True, allow_null=True)
    tactical = serializers.IntegerField(source="tactical_count", read_only=True)
    untiered = serializers.IntegerField(source="untiered_count", read_only=True)
    top_partner_share = PlainField(source="concentration.top1")
    top_five_share = PlainField(source="concentration.top5")
    tier_movements = MovementSerializer(source="movements", many=True, read_only=True)
    score_bands = serializers.SerializerMethodField()

    def get_score_bands(self, dashboard: queries.Dashboard) -> list[dict[str, Any]]:
        return [{"band": band, "partners": n} for band, n in dashboard.score_bands]


class DashboardSerializer(serializers.Serializer[queries.Dashboard]):
    """The dashboard's numbers as the page shows them (the page's cached ``Dashboard``)."""

    period = LabelField()
    previous_period = LabelField(source="previous")
    computed_at = PlainField()
    cached = serializers.BooleanField(read_only=True)
    quarters = serializers.SerializerMethodField()
    tiers = TierSerializer(many=True, read_only=True)
    figures = serializers.SerializerMethodField()
    balance = BalanceSerializer(source="*", read_only=True)
    plans = PlainField()
    incentives = PlainField()
    mdf_roi_by_tier = PlainField(source="roi_by_tier")

    def get_quarters(self, dashboard: queries.Dashboard) -> list[str]:
        return [q.label for q in dashboard.quarters]

    def get_figures(self, dashboard: queries.Dashboard) -> Any:
        figures: Any = dashboard.figures  # many=True takes the list
        return FigureSerializer(figures, many=True, context={"dashboard": dashboard}).data


class DrillSerializer(serializers.Serializer[queries.Drill]):
    """The heading of the rows behind a figure: the metric, the period, the group and its value."""

    metric = serializers.CharField(source="metric.key", read_only=True)
    label = serializers.CharField(source="metric.label", read_only=True)  # type: ignore[assignment]  # a field named like Field.label
    unit = serializers.CharField(source="metric.unit", read_only=True)
    period = LabelField()
    group = serializers.CharField(read_only=True)
    group_label = serializers.CharField(read_only=True)
    total = PlainField()


class DrillRowSerializer(serializers.Serializer[queries.DrillRow]):
    """One partner behind a figure: its tier, the metric's parts by name and its value. Needs
    ``drill`` (the part names) in the context."""

    partner_id = serializers.IntegerField(read_only=True)
    partner = serializers.CharField(read_only=True)
    tier = serializers.CharField(read_only=True)
    classification = serializers.CharField(read_only=True)
    parts = serializers.SerializerMethodField()
    value = PlainField()

    def get_parts(self, row: queries.DrillRow) -> Any:
        return plain(dict(zip(self.context["drill"].part_names, row.parts, strict=False)))


class QbrFigureSerializer(serializers.Serializer[queries.QbrRow]):
    key = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field named like Field.label
    unit = serializers.CharField(read_only=True)
    value = PlainField()
    previous = PlainField()
    change = PlainField()
    year_ago = PlainField()


class QbrDealSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk", read_only=True)
    opportunity = serializers.CharField(source="opportunity_name", read_only=True)
    customer = serializers.CharField(source="account.name", read_only=True)
    role = serializers.CharField(source="partner_role", read_only=True)
    status = serializers.CharField(read_only=True)
    submitted_on = serializers.SerializerMethodField()
    closed_on = PlainField()
    amount = serializers.SerializerMethodField()

    def get_submitted_on(self, deal: Any) -> str:
        return str(deal.submitted_at.date().isoformat())

    def get_amount(self, deal: Any) -> str | None:
        amount = (
            deal.closed_amount_reporting
            if deal.closed_amount_reporting is not None
            else deal.amount_reporting
        )
        result: str | None = plain(amount)
        return result


class QbrMovementSerializer(MovementSerializer):
    class Meta:
        fields = ["from_tier", "to", "promotion", "on"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {name: field for name, field in fields.items() if name in self.Meta.fields}


class QbrSerializer(serializers.Serializer[queries.Qbr]):
    """A partner's QBR: each figure now, before and a year ago, the trend, deals, tier moves,
    the plan's targets and the partner's incentives."""

    partner_id = serializers.IntegerField(source="partner.pk", read_only=True)
    partner = serializers.CharField(source="partner.name", read_only=True)
    period = LabelField()
    previous_period = LabelField(source="previous")
    figures = QbrFigureSerializer(source="rows", many=True, read_only=True)
    quarters = serializers.SerializerMethodField()
    trend = PlainField()
    deals = QbrDealSerializer(many=True, read_only=True)
    tier_movements = QbrMovementSerializer(source="extra.movements", many=True, read_only=True, default=list)
    plan = PlainField(source="extra.plan", default=None)
    incentives = PlainField(source="extra.incentives", default=None)

    def get_quarters(self, qbr: queries.Qbr) -> list[str]:
        return [p.label for p in qbr.quarters]
