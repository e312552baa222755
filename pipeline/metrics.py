"""Pipeline and revenue metrics of the catalog. Each is one aggregate query grouped by partner.

Amounts are in the tenant's reporting currency (the ``*_reporting`` columns). A period is a
fiscal period from ``prm.periods``; "in the period" means the date falls within its bounds.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, Count, DecimalField, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from prm.metrics import Metric, Unit, register
from prm.periods import FiscalPeriod

from .models import DealRegistration, RevenueRecord

Status = DealRegistration.Status
ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=16, decimal_places=2))


def _by_partner(queryset, **aggregates) -> dict[int, dict[str, Any]]:
    rows = queryset.order_by().values("partner_id").annotate(**aggregates)
    return {row.pop("partner_id"): row for row in rows}


def _registrations(partner_ids: list[int]):
    return DealRegistration.objects.filter(partner_id__in=partner_ids)


def _in(period: FiscalPeriod, field: str) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lte": period.end})


def _submitted_in(period: FiscalPeriod) -> Q:
    # submitted_at is a datetime: compare by date so the period's last day counts entirely.
    return Q(submitted_at__date__gte=period.start, submitted_at__date__lte=period.end)


def _pipeline(role: str):
    def compute(tenant, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
        rows = _by_partner(
            _registrations(partner_ids).filter(_submitted_in(period), partner_role=role).exclude(
                status=Status.REJECTED
            ),
            value=Sum("amount_reporting"),
        )
        return {pid: row["value"] for pid, row in rows.items()}

    return compute


def _won(tenant, partner_ids, period, *, what: str) -> dict[int, Any]:
    won = _registrations(partner_ids).filter(_in(period, "closed_on"), status=Status.WON)
    if what == "count":
        return {pid: row["value"] for pid, row in _by_partner(won, value=Count("pk")).items()}
    return {pid: row["value"] for pid, row in _by_partner(won, value=Sum("closed_amount_reporting")).items()}


def _win_rate(tenant, partner_ids, period) -> dict[int, Any]:
    decided = _registrations(partner_ids).filter(_in(period, "closed_on"), status__in=[Status.WON, Status.LOST])
    rows = _by_partner(decided, won=Count("pk", filter=Q(status=Status.WON)), decided=Count("pk"))
    return {pid: (Decimal(r["won"]) / Decimal(r["decided"])).quantize(Decimal("0.0001")) for pid, r in rows.items()}


def _average_deal(tenant, partner_ids, period) -> dict[int, Any]:
    won = _registrations(partner_ids).filter(_in(period, "closed_on"), status=Status.WON)
    rows = _by_partner(won, total=Sum("closed_amount_reporting"), n=Count("pk"))
    averages = {pid: (r["total"] / r["n"]).quantize(Decimal("0.01")) for pid, r in rows.items() if r["n"]}
    # Empty (None), not the money default of 0.00, for partners that won nothing: no deal, no size.
    return {pid: averages.get(pid) for pid in partner_ids}


def _booked(partner_ids: list[int], start: date, end: date):
    return RevenueRecord.objects.filter(
        partner_id__in=partner_ids, period__gte=start, period__lte=end, kind__in=sorted(RevenueRecord.BOOKING_KINDS)
    )


def _revenue(tenant, partner_ids, period) -> dict[int, Any]:
    rows = _by_partner(_booked(partner_ids, period.start, period.end), value=Sum("amount_reporting"))
    return {pid: row["value"] for pid, row in rows.items()}


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _revenue_ttm(tenant, partner_ids, period) -> dict[int, Any]:
    start = _months_back(period.end, 11)
    rows = _by_partner(_booked(partner_ids, start, period.end), value=Sum("amount_reporting"))
    return {pid: row["value"] for pid, row in rows.items()}


def _growth(tenant, partner_ids, period) -> dict[int, Any]:
    before_start, before_end = _months_back(period.start, 12), _one_year_before(period.end)
    rows = _by_partner(
        _booked(partner_ids, before_start, period.end),
        now=Sum("amount_reporting", filter=Q(period__gte=period.start)),
        then=Sum("amount_reporting", filter=Q(period__lte=before_end)),
    )
    return {
        pid: ((r["now"] or Decimal(0)) / r["then"] - 1).quantize(Decimal("0.0001"))
        for pid, r in rows.items()
        if r["then"]
    }


def _one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _signed_arr(until: date):
    sign = Case(
        *(When(kind=kind, then=Value(s)) for kind, s in RevenueRecord.ARR_SIGN.items()),
        output_field=IntegerField(),
    )
    return Coalesce(
        Sum(F("amount_reporting") * sign, filter=Q(period__lte=until)), ZERO, output_field=DecimalField()
    )


def _nrr(tenant, partner_ids, period) -> dict[int, Any]:
    """Per partner and account: ARR a year before the period's end and at its end; the cohort is
    the accounts with ARR then. One query: the per-account figures are a grouped subquery that
    the outer query sums per partner (Django's ORM cannot aggregate over a grouped subquery)."""
    end = period.end
    then = _one_year_before(end)
    per_account = (
        RevenueRecord.objects.filter(partner_id__in=partner_ids, recurring=True, period__lte=end)
        .order_by()
        .values("partner_id", "account_id")
        .annotate(arr_then=_signed_arr(then), arr_now=_signed_arr(end))
        .filter(arr_then__gt=0)
    )
    inner_sql, params = per_account.values("partner_id", "arr_then", "arr_now").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT partner_id, SUM(arr_then), SUM(arr_now) FROM ({inner_sql}) AS cohort GROUP BY partner_id",  # noqa: S608 (inner SQL is Django's, parameters bound)
            params,
        )
        rows = cursor.fetchall()
    return {
        pid: (Decimal(now) / Decimal(then_)).quantize(Decimal("0.0001")) for pid, then_, now in rows if then_ and then_ > 0
    }


METRICS = [
    Metric(
        "pipeline_sourced", "Pipeline sourced", Unit.MONEY, _pipeline(DealRegistration.Role.SOURCED),
        "Estimated amount of the partner's registrations with role *sourced* submitted in the period "
        "and not rejected (whatever happened to them since).",
    ),
    Metric(
        "pipeline_influenced", "Pipeline influenced", Unit.MONEY, _pipeline(DealRegistration.Role.INFLUENCED),
        "As pipeline sourced, for registrations with role *influenced*.",
    ),
    Metric(
        "deals_won_count", "Deals won", Unit.COUNT, lambda t, p, per: _won(t, p, per, what="count"),
        "Number of registrations marked won with a close date in the period.",
    ),
    Metric(
        "deals_won_amount", "Won revenue", Unit.MONEY, lambda t, p, per: _won(t, p, per, what="amount"),
        "Sum of the won amounts of registrations won with a close date in the period.",
    ),
    Metric(
        "win_rate", "Win rate", Unit.RATIO, _win_rate,
        "Won ÷ (won + lost), counting registrations closed in the period; empty when none closed.",
    ),
    Metric(
        "average_deal_size", "Average deal size", Unit.MONEY, _average_deal,
        "Won amount ÷ number of deals won, for deals won in the period; empty when none.",
    ),
    Metric(
        "revenue", "Revenue", Unit.MONEY, _revenue,
        "Sum of revenue records attributed to the partner with a month in the period and kind new, "
        "expansion or renewal (recurring and one-time).",
    ),
    Metric(
        "revenue_ttm", "Revenue (trailing twelve months)", Unit.MONEY, _revenue_ttm,
        "As revenue, over the twelve months ending with the period's last month.",
    ),
    Metric(
        "revenue_growth", "Revenue growth (year over year)", Unit.RATIO, _growth,
        "Revenue in the period ÷ revenue in the same months a year earlier − 1; empty when there was none a year earlier.",
    ),
    Metric(
        "nrr", "Net revenue retention", Unit.RATIO, _nrr,
        "For the accounts with recurring revenue attributed to the partner a year before the period's end "
        "(the cohort), their ARR at the period's end ÷ their ARR then. ARR at a date = the sum of recurring "
        "records up to that month: new and expansion add, contraction and churn subtract, renewal keeps it. "
        "New accounts since then are not in the cohort. Empty without a cohort.",
    ),
]


def register_all() -> None:
    for metric in METRICS:
        register(metric)

