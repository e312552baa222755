"""Pipeline and revenue metrics of the catalog. Each is one aggregate query grouped by partner.

Amounts are in the tenant's reporting currency (the ``*_reporting`` columns). A period is a
fiscal period from ``prm.periods``; "in the period" means the date falls within its bounds.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, Exists, F, IntegerField, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth

from prm.metrics import Metric, Parts, Unit, ratio, register
from prm.periods import FiscalPeriod

from . import rollup
from .models import DealRegistration, RevenueRecord

Status = DealRegistration.Status
DECIDED = F("won_count") + F("lost_count")
ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=16, decimal_places=2))


def _by_partner(queryset, **aggregates):
    """One row per partner: ``partner_id`` and the aggregates (a metric's parts)."""
    return queryset.order_by().values("partner_id").annotate(**aggregates)


def _registrations(partner_ids: list[int] | None):
    if partner_ids is None:
        return DealRegistration.objects.all()
    return DealRegistration.objects.filter(partner_id__in=partner_ids)


_in = rollup.dated_in
_submitted_in = rollup.submitted_in


def _rolled_up(base, columns: dict[str, Any], counted: Any):
    """A parts query that reads the rollup (``pipeline.rollup``) when it serves the period, else
    ``base``: the same parts, from per-quarter sums instead of every row."""
    from_rollup = rollup.parts_query(columns, counted)

    def query(tenant, partner_ids: list[int] | None, period: FiscalPeriod):
        if rollup.serves(tenant, period):
            return from_rollup(tenant, partner_ids, period)
        return base(tenant, partner_ids, period)

    return query


def _money(value: Any) -> Decimal:
    return Decimal("0.00") if value is None else Decimal(value)


def _sum_parts(names: tuple[str, ...], query, *, money: bool = True) -> Parts:
    name = names[0]
    if money:
        return Parts(names, query, lambda p: _money(p[name]))
    return Parts(names, query, lambda p: p[name] or 0, counts=names)


def _pipeline(role: str):
    def query(tenant, partner_ids: list[int] | None, period: FiscalPeriod):
        return _by_partner(
            _registrations(partner_ids)
            .filter(_submitted_in(period), partner_role=role)
            .exclude(status=Status.REJECTED),
            value=Sum("amount_reporting"),
        )

    name = str(role)  # the columns are named after the role: sourced_amount, influenced_count
    return _sum_parts(("value",), _rolled_up(query, {"value": f"{name}_amount"}, f"{name}_count"))


def _won(tenant, partner_ids, period):
    return _registrations(partner_ids).filter(_in(period, "closed_on"), status=Status.WON)


def _won_count(tenant, partner_ids, period):
    return _by_partner(_won(tenant, partner_ids, period), n=Count("pk"))


def _won_amount(tenant, partner_ids, period):
    return _by_partner(_won(tenant, partner_ids, period), amount=Sum("closed_amount_reporting"))


def _decided(tenant, partner_ids, period):
    decided = _registrations(partner_ids).filter(
        _in(period, "closed_on"), status__in=[Status.WON, Status.LOST]
    )
    return _by_partner(decided, won=Count("pk", filter=Q(status=Status.WON)), decided=Count("pk"))


def _won_total_and_count(tenant, partner_ids, period):
    return _by_partner(_won(tenant, partner_ids, period), total=Sum("closed_amount_reporting"), n=Count("pk"))


def _average(parts) -> Decimal | None:
    # Empty (None), not the money default of 0.00, when nothing was won: no deal, no size.
    if not parts["n"]:
        return None
    return Decimal(parts["total"]) / parts["n"]


def _booked(partner_ids: list[int] | None, start: date, end: date):
    records = RevenueRecord.objects.filter(
        period__gte=start, period__lte=end, kind__in=sorted(RevenueRecord.BOOKING_KINDS)
    )
    return records if partner_ids is None else records.filter(partner_id__in=partner_ids)


def _revenue(tenant, partner_ids, period):
    return _by_partner(_booked(partner_ids, period.start, period.end), value=Sum("amount_reporting"))


def _revenue_sourced(tenant, partner_ids, period):
    # Won by the record's month: revenue booked before the win is not the win's doing.
    won_sourced = DealRegistration.objects.annotate(won_month=TruncMonth("closed_on")).filter(
        account_id=OuterRef("account_id"),
        partner_id=OuterRef("partner_id"),
        partner_role=DealRegistration.Role.SOURCED,
        status=Status.WON,
        won_month__lte=OuterRef("period"),
    )
    sourced = _booked(partner_ids, period.start, period.end).filter(Exists(won_sourced))
    return _by_partner(sourced, value=Sum("amount_reporting"))


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _revenue_ttm(tenant, partner_ids, period):
    start = _months_back(period.end, 11)
    return _by_partner(_booked(partner_ids, start, period.end), value=Sum("amount_reporting"))


def _growth(tenant, partner_ids, period):
    before_start, before_end = _months_back(period.start, 12), _one_year_before(period.end)
    return _by_partner(
        _booked(partner_ids, before_start, period.end),
        amount_now=Sum("amount_reporting", filter=Q(period__gte=period.start)),
        amount_before=Sum("amount_reporting", filter=Q(period__lte=before_end)),
    )


def _growth_value(parts) -> Decimal | None:
    growth = ratio(parts["amount_now"], parts["amount_before"])
    return None if growth is None else growth - 1


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


# Renewals keep ARR (sign 0): leaving them out of the scan changes no sum and no cohort.
ARR_MOVING_KINDS = sorted(kind for kind, sign in RevenueRecord.ARR_SIGN.items() if sign)


def _nrr(tenant, partner_ids, period):
    """Per partner and account: ARR a year before the period's end and at its end; the cohort is
    the accounts with ARR then. The per-account figures are a grouped subquery that the outer
    query sums per partner (Django's ORM cannot aggregate over a grouped subquery)."""
    end = period.end
    then = _one_year_before(end)
    records = RevenueRecord.objects.filter(
        recurring=True, period__lte=end, partner__isnull=False, kind__in=ARR_MOVING_KINDS
    )
    if partner_ids is not None:
        records = records.filter(partner_id__in=partner_ids)
    per_account = (
        records.order_by()
        .values("partner_id", "account_id")
        .annotate(arr_then=_signed_arr(then), arr_now=_signed_arr(end))
        .filter(arr_then__gt=0)
    )
    inner_sql, params = per_account.values("partner_id", "arr_then", "arr_now").query.sql_with_params()
    sql = (
        "SELECT cohort.partner_id AS partner_id, SUM(cohort.arr_then) AS arr_then, SUM(cohort.arr_now) AS arr_now "  # noqa: S608 (Django's SQL, parameters bound)
        f"FROM ({inner_sql}) cohort GROUP BY cohort.partner_id"
    )
    return sql, params


def _nrr_periods(tenant, partner_ids, periods):
    """NRR's parts for several periods in one scan: ARR per partner and account at every date
    needed (each period's end and a year before it), then each period's cohort summed per
    partner. The same numbers as ``_nrr`` period by period, without reading the history again."""
    ends = [period.end for period in periods]
    dates = sorted({*ends, *(_one_year_before(end) for end in ends)})
    column = {day: f"arr_{n}" for n, day in enumerate(dates)}
    records = RevenueRecord.objects.filter(
        recurring=True, period__lte=max(ends), partner__isnull=False, kind__in=ARR_MOVING_KINDS
    )
    if partner_ids is not None:
        records = records.filter(partner_id__in=partner_ids)
    per_account = (
        records.order_by()
        .values("partner_id", "account_id")
        .annotate(**{name: _signed_arr(day) for day, name in column.items()})
        .values("partner_id", *column.values())
    )
    inner_sql, inner_params = per_account.query.sql_with_params()
    then = " ".join(f"WHEN {n} THEN a.{column[_one_year_before(end)]}" for n, end in enumerate(ends))
    now = " ".join(f"WHEN {n} THEN a.{column[end]}" for n, end in enumerate(ends))
    labels = " UNION ALL ".join(f"SELECT {n} AS n, %s AS period_label" for n in range(len(periods)))
    sql = (
        f"SELECT q.period_label, a.partner_id, SUM(CASE q.n {then} END) AS arr_then, "  # noqa: S608 (Django's SQL, parameters bound)
        f"SUM(CASE q.n {now} END) AS arr_now FROM ({inner_sql}) a CROSS JOIN ({labels}) q "
        f"WHERE (CASE q.n {then} END) > 0 GROUP BY q.period_label, a.partner_id"
    )
    return sql, [*inner_params, *(period.label for period in periods)]


METRICS = [
    Metric(
        "pipeline_sourced",
        "Pipeline sourced",
        Unit.MONEY,
        None,
        "Estimated amount of the partner's registrations with role *sourced* submitted in the period "
        "and not rejected (whatever happened to them since).",
        parts=_pipeline(DealRegistration.Role.SOURCED),
    ),
    Metric(
        "pipeline_influenced",
        "Pipeline influenced",
        Unit.MONEY,
        None,
        "As pipeline sourced, for registrations with role *influenced*.",
        parts=_pipeline(DealRegistration.Role.INFLUENCED),
    ),
    Metric(
        "deals_won_count",
        "Deals won",
        Unit.COUNT,
        None,
        "Number of registrations marked won with a close date in the period.",
        parts=_sum_parts(("n",), _rolled_up(_won_count, {"n": "won_count"}, "won_count"), money=False),
    ),
    Metric(
        "deals_won_amount",
        "Won revenue",
        Unit.MONEY,
        None,
        "Sum of the won amounts of registrations won with a close date in the period.",
        parts=_sum_parts(("amount",), _rolled_up(_won_amount, {"amount": "won_amount"}, "won_count")),
    ),
    Metric(
        "win_rate",
        "Win rate",
        Unit.RATIO,
        None,
        "Won ÷ (won + lost), counting registrations closed in the period; empty when none closed.",
        parts=Parts(
            ("won", "decided"),
            _rolled_up(_decided, {"won": "won_count", "decided": DECIDED}, DECIDED),
            lambda p: ratio(p["won"], p["decided"]),
            counts=("won", "decided"),
        ),
    ),
    Metric(
        "average_deal_size",
        "Average deal size",
        Unit.MONEY,
        None,
        "Won amount ÷ number of deals won, for deals won in the period; empty when none.",
        parts=Parts(
            ("total", "n"),
            _rolled_up(_won_total_and_count, {"total": "won_amount", "n": "won_count"}, "won_count"),
            _average,
            counts=("n",),
        ),
    ),
    Metric(
        "revenue",
        "Revenue",
        Unit.MONEY,
        None,
        "Sum of revenue records attributed to the partner with a month in the period and kind new, "
        "expansion or renewal (recurring and one-time).",
        parts=_sum_parts(("value",), _rolled_up(_revenue, {"value": "revenue_amount"}, "revenue_count")),
    ),
    Metric(
        "revenue_sourced",
        "Partner-sourced revenue",
        Unit.MONEY,
        None,
        "As revenue, on the accounts where the partner won a deal it sourced (a registration with role "
        "*sourced*, won), from the month of that win on: that deal's revenue and the account's later "
        "expansions and renewals. Revenue before the win, on accounts the partner only influenced, or "
        "never won a sourced deal on, is left out.",
        parts=_sum_parts(("value",), _revenue_sourced),
    ),
    Metric(
        "revenue_ttm",
        "Revenue (trailing twelve months)",
        Unit.MONEY,
        None,
        "As revenue, over the twelve months ending with the period's last month.",
        parts=_sum_parts(("value",), _revenue_ttm),
    ),
    Metric(
        "revenue_growth",
        "Revenue growth (year over year)",
        Unit.RATIO,
        None,
        "Revenue in the period ÷ revenue in the same months a year earlier − 1; empty when there was none a year earlier.",
        parts=Parts(("amount_now", "amount_before"), _growth, _growth_value),
    ),
    Metric(
        "nrr",
        "Net revenue retention",
        Unit.RATIO,
        None,
        "For the accounts with recurring revenue attributed to the partner a year before the period's end "
        "(the cohort), their ARR at the period's end ÷ their ARR then. ARR at a date = the sum of recurring "
        "records up to that month: new and expansion add, contraction and churn subtract, renewal keeps it. "
        "New accounts since then are not in the cohort. Empty without a cohort.",
        parts=Parts(
            ("arr_then", "arr_now"),
            _nrr,
            lambda p: ratio(p["arr_now"], p["arr_then"]),
            query_periods=_nrr_periods,
        ),
    ),
]


def register_all() -> None:
    for metric in METRICS:
        register(metric)
