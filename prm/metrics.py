"""The metric catalog: every number the program is judged by, defined once.

A metric has a key, a label, a unit and a set-based computation: for a tenant, a set of
partners and a fiscal period it returns the value for every partner of the set in one query
(an aggregate grouped by partner), never a loop over partners. Each app registers the metrics
it owns from its ``metrics.py`` at start-up; scoring, plans, rebates and dashboards look them
up by key, so no app imports another to use its numbers.

Grouping. A ratio over a group of partners (the win rate of a tier) is not the average of the
partners' ratios: it is the ratio of the group's sums. A metric that can be grouped says so with
``Parts``: additive parts per partner (sums and counts, as SQL) and how to combine them into the
value. The per-partner value is the same ``combine`` over one partner's parts, so there is one
definition; ``compute_grouped`` sums the parts per group (per partner, per tier, per
classification, in total) for several periods in one database statement.

Rounding, one rule for every figure. A metric computes its exact value (sums are exact, ratios
exact quotients) and the catalog rounds it once, half-up as finance rounds, where it hands the
value out: money to the cent, ratios to four decimals (0.5313 is 53.13 %), scores to two
decimals, counts to whole numbers. A figure computed from other figures (a change against the
previous period, an attainment, a score line) asks for exact values (``exact=True``) and is
rounded itself, once: no figure is computed from an already-rounded one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from .periods import FiscalPeriod
from .replica import read_connection

Value = Decimal | int | None
Computation = Callable[[Any, list[int], FiscalPeriod], dict[int, Value]]
Sql = tuple[str, Sequence[Any]]
# (tenant, partner ids or None for every partner of the tenant, period) → a queryset, or SQL with
# parameters, whose rows are ``partner_id`` and then one column per part, one row per partner.
PartsQuery = Callable[[Any, list[int] | None, FiscalPeriod], Any]


def _as_sql(query: Any) -> Sql:
    if isinstance(query, tuple):
        return query
    sql: str
    params: Sequence[Any]
    sql, params = query.query.sql_with_params()
    return sql, params


def _money_part(value: Any) -> Any:
    # SQLite returns sums of decimals as floats (or as integers when whole); PostgreSQL returns
    # Decimal. A money part is a sum of whole cents, so the nearest cent is exact again.
    if value is None:
        return None
    if isinstance(value, float):
        value = Decimal(repr(value))
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def _count_part(value: Any) -> Any:
    return None if value is None else int(value)


CENT = Decimal("0.01")
PLACES = {"money": CENT, "ratio": Decimal("0.0001"), "score": CENT}


def rounded(unit: str, value: Any) -> Value:
    """A figure as the product shows it: the one rounding rule (half-up; money to the cent, ratios
    to four decimals, scores to two, counts whole). None stays None."""
    if value is None:
        return None
    if unit == "count":
        return int(Decimal(value).quantize(Decimal(1), ROUND_HALF_UP))
    if isinstance(value, float):
        value = Decimal(repr(value))
    exact: Decimal = Decimal(value)
    return exact.quantize(PLACES[unit], ROUND_HALF_UP)


def rounded_ratio(value: Decimal | None) -> Decimal | None:
    """A ratio as the product shows it (``rounded`` for the ratio unit, typed)."""
    return None if value is None else Decimal(value).quantize(PLACES["ratio"], ROUND_HALF_UP)


def half_up(value: Any, places: str) -> Decimal:
    """``value`` rounded half-up to ``places`` (e.g. ``"0.01"``), as every figure is."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    return Decimal(value).quantize(Decimal(places), ROUND_HALF_UP)


def display(value: Any, unit: str, currency: str = "") -> str:
    """A figure as pages and PDFs print it, rounded half-up like the figure itself: money in whole
    currency units with separators (to the cent in CSV and the API), a ratio in per cent with two
    decimals (its four decimals exactly: 0.5313 is 53.13 %, no second rounding), a score with up to
    two decimals, a count whole; an em dash for no value."""
    if value is None or value == "":
        return "—"
    if unit == "money":
        return f"{half_up(value, '1'):,} {currency}".strip()
    if unit in ("ratio", "share"):
        return f"{half_up(Decimal(value) * 100, '0.01'):,} %"
    if unit == "score":
        score = half_up(value, "0.01")
        return f"{score:,.1f}" if score == score.quantize(Decimal("0.1")) else f"{score:,}"
    if unit == "times":
        return f"{half_up(value, '0.01'):,}×"
    if unit == "count":
        return f"{int(value):,}"
    return str(value)


def ratio(numerator: Any, denominator: Any) -> Decimal | None:
    """numerator ÷ denominator, exact (rounded only when the figure is handed out); None when the
    denominator is nothing or negative."""
    if not denominator or denominator <= 0:
        return None
    return Decimal(numerator or 0) / Decimal(denominator)


@dataclass(frozen=True)
class Parts:
    """A metric as additive parts per partner and a ``combine`` of summed parts into the value.

    ``combine`` receives a mapping part name → summed value (None when nothing was summed) and
    returns the metric's value; it is used for one partner and for any group alike.
    """

    names: tuple[str, ...]
    query: PartsQuery = field(repr=False)
    combine: Callable[[Mapping[str, Any]], Value] = field(repr=False)
    # Optional: the parts for several periods in one scan, as SQL whose rows are
    # ``period_label, partner_id, *names`` (for metrics whose per-period scans overlap, like NRR).
    query_periods: Callable[[Any, list[int] | None, Sequence[FiscalPeriod]], Sql] | None = field(
        repr=False, default=None
    )
    # The parts that are counts; every other part is a sum of money (a Decimal to the cent).
    counts: tuple[str, ...] = ()

    def read(self, row: Sequence[Any]) -> dict[str, Any]:
        """A row of summed parts, as the database returned them, as exact numbers by name."""
        return {
            name: _count_part(value) if name in self.counts else _money_part(value)
            for name, value in zip(self.names, row, strict=True)
        }

    def computation(self) -> Computation:
        """The per-partner computation of the catalog, from the same parts."""

        def compute(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Value]:
            found = self.compute_found(tenant, partner_ids, period)
            # A partner without rows has parts of nothing: combine says what that is (0, or empty).
            empty = self.combine(dict.fromkeys(self.names))
            return {pid: found.get(pid, empty) for pid in partner_ids}

        return compute

    def compute_found(
        self, tenant: Any, partner_ids: list[int] | None, period: FiscalPeriod
    ) -> dict[int, Value]:
        """The value of every partner with rows (of ``partner_ids``, or of the whole tenant)."""
        sql, params = _as_sql(self.query(tenant, partner_ids, period))
        columns = ", ".join(f"parts.{name}" for name in self.names)
        with read_connection().cursor() as cursor:
            cursor.execute(f"SELECT parts.partner_id, {columns} FROM ({sql}) parts", params)  # noqa: S608 (Django's SQL, parameters bound)
            rows = cursor.fetchall()
        return {row[0]: self.combine(self.read(row[1:])) for row in rows}


class Unit(StrEnum):
    """What a metric's number is; the value (``"money"``) is what the API and CSVs say."""

    MONEY = "money"  # in the tenant's reporting currency
    COUNT = "count"
    RATIO = "ratio"  # 0.25 means 25 %
    SCORE = "score"  # 0–100, two decimals


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: Unit
    compute_values: Computation | None = field(repr=False, default=None)
    definition: str = ""
    parts: Parts | None = field(repr=False, default=None)

    def __post_init__(self) -> None:
        if self.compute_values is None:
            if self.parts is None:
                raise ValueError(f"Metric {self.key!r} needs a computation or parts.")
            object.__setattr__(self, "compute_values", self.parts.computation())

    @property
    def empty_value(self) -> Value:
        """The value of a partner or group without data (0 for sums; empty for most ratios)."""
        if self.parts is not None:
            return self.parts.combine(dict.fromkeys(self.parts.names))
        return self.empty

    def rounded(self, value: Value) -> Value:
        """The value as handed out (the catalog's one rounding rule for this metric's unit)."""
        return rounded(self.unit, value)

    @property
    def groupable(self) -> bool:
        """True when the value for a group of partners can be computed (parts, or a plain sum)."""
        return self.parts is not None or self.unit in {Unit.MONEY, Unit.COUNT}

    def compute(
        self, *, tenant: Any, partner_ids: Iterable[int], period: FiscalPeriod, exact: bool = False
    ) -> dict[int, Value]:
        """The value for every partner id given (partners with no data get 0 or None, by metric),
        rounded by the catalog's rule; ``exact=True`` for a figure that is computed further."""
        ids = sorted(set(partner_ids))
        if not ids:
            return {}
        assert self.compute_values is not None  # set in __post_init__
        values = self.compute_values(tenant, ids, period)
        if exact:
            return {pid: values.get(pid, self.empty) for pid in ids}
        return {pid: self.rounded(values.get(pid, self.empty)) for pid in ids}

    def compute_all(
        self,
        *,
        tenant: Any,
        period: FiscalPeriod,
        partner_ids: Iterable[int] | None = None,
        exact: bool = False,
    ) -> dict[int, Value]:
        """The value of the tenant's partners that have data, in one query over all of them (no
        list of ids sent to the database); a partner that is absent has ``empty_value``.

        Needs parts (their query for every partner of the tenant); a metric without parts is
        computed for ``partner_ids`` instead, which is then required."""
        if self.parts is None:
            if partner_ids is None:
                raise ValueError(f"Metric {self.key!r} has no parts: give the partner ids.")
            return self.compute(tenant=tenant, partner_ids=partner_ids, period=period, exact=exact)
        found = self.parts.compute_found(tenant, None, period)
        return found if exact else {pid: self.rounded(value) for pid, value in found.items()}

    @property
    def empty(self) -> Value:
        return (
            None
            if self.unit in (Unit.RATIO, Unit.SCORE)
            else (Decimal("0.00") if self.unit == Unit.MONEY else 0)
        )


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


TOTAL = "total"
PARTNER = "partner"


def compute_grouped(
    metric: Metric,
    *,
    tenant: Any,
    partners: Any,
    groupings: Sequence[str],
    periods: Sequence[FiscalPeriod],
    exact: bool = False,
    only: Mapping[str, Sequence[FiscalPeriod]] | None = None,
) -> dict[tuple[str, str, str], Value]:
    """The metric for groups of partners, for several periods, in one database statement.

    ``partners`` is a queryset (or SQL) with an ``id`` column and one column per grouping name
    (e.g. ``tier``, ``classification``); only these partners count. ``groupings`` names the
    groupings wanted: those columns, ``PARTNER`` (each partner) and ``TOTAL`` (all of them).
    Returns ``{(period label, grouping, group key as text): value}``; a group without data is
    absent (its value is the metric's empty value). A metric without parts that is a sum (money,
    count) is summed from its per-partner values; a ratio without parts cannot be grouped.
    Values are rounded by the catalog's rule unless ``exact``. A period given twice (the previous
    fiscal year is also the year before) is computed, and counted, once. ``only`` narrows a
    grouping to some of the periods (``{PARTNER: [period]}``: each partner for one period, the
    totals for all), so a page that needs a trend and a period's detail reads each period once.
    """
    periods = list(dict.fromkeys(periods))
    if metric.parts is None:
        values = _grouped_from_values(
            metric, tenant=tenant, partners=partners, groupings=groupings, periods=periods
        )
        if only:
            wanted = {(grouping, p.label) for grouping, chosen in only.items() for p in chosen}
            values = {
                slot: value
                for slot, value in values.items()
                if slot[1] not in only or (slot[1], slot[0]) in wanted
            }
    else:
        summed = grouped_parts(
            metric, tenant=tenant, partners=partners, groupings=groupings, periods=periods, only=only
        )
        values = {slot: metric.parts.combine(parts) for slot, parts in summed.items()}
    return values if exact else {slot: metric.rounded(value) for slot, value in values.items()}


def grouped_parts(
    metric: Metric,
    *,
    tenant: Any,
    partners: Any,
    groupings: Sequence[str],
    periods: Sequence[FiscalPeriod],
    only: Mapping[str, Sequence[FiscalPeriod]] | None = None,
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """As ``compute_grouped``, the summed parts instead of the value (to show the workings)."""
    if metric.parts is None:
        raise ValueError(f"Metric {metric.key!r} has no parts.")
    parts = metric.parts
    periods = list(dict.fromkeys(periods))
    sql_parts: list[str] = []
    params: list[Any] = []
    columns = ", ".join(f"x.{name}" for name in parts.names)
    if parts.query_periods is not None:
        sql, inner_params = parts.query_periods(tenant, None, periods)
        sql_parts.append(f"SELECT x.period_label, x.partner_id, {columns} FROM ({sql}) x")  # noqa: S608
        params.extend(inner_params)
    else:
        for period in periods:
            sql, inner_params = _as_sql(parts.query(tenant, None, period))
            sql_parts.append(f"SELECT %s AS period_label, x.partner_id, {columns} FROM ({sql}) x")  # noqa: S608
            params.extend([period.label, *inner_params])
    partners_sql, partners_params = _as_sql(partners)
    params.extend(partners_params)
    sums = ", ".join(f"SUM(g.{name})" for name in parts.names)
    selects = _group_selects(groupings, sums, only, params)
    extra = ", ".join(f"p.{grouping}" for grouping in groupings if grouping not in {TOTAL, PARTNER})
    statement = (
        f"WITH parts AS ({' UNION ALL '.join(sql_parts)}), "  # noqa: S608 (Django's SQL, parameters bound)
        f"grouped AS (SELECT parts.*{', ' + extra if extra else ''} FROM parts "
        f"JOIN ({partners_sql}) p ON p.id = parts.partner_id) " + " UNION ALL ".join(selects)
    )
    with read_connection().cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    return {
        (label, grouping, "" if key is None else str(key)): parts.read(values)
        for label, grouping, key, *values in rows
    }


def _group_selects(
    groupings: Sequence[str],
    sums: str,
    only: Mapping[str, Sequence[FiscalPeriod]] | None,
    params: list[Any],
) -> list[str]:
    """One SELECT per grouping over the ``grouped`` rows (appending its parameters to ``params``)."""
    selects = []
    for grouping in groupings:
        where = ""
        if only and grouping in only:
            labels = [p.label for p in only[grouping]]
            where = (
                f" WHERE g.period_label IN ({', '.join(['%s'] * len(labels))})" if labels else " WHERE 1 = 0"
            )
            params.extend(labels)
        if grouping == TOTAL:
            selects.append(
                f"SELECT g.period_label, '{TOTAL}', '', {sums} FROM grouped g{where} GROUP BY g.period_label"  # noqa: S608
            )
        else:
            column = "partner_id" if grouping == PARTNER else grouping
            if not column.isidentifier():
                raise ValueError(f"Grouping {grouping!r} is not a column name.")
            selects.append(
                f"SELECT g.period_label, '{grouping}', CAST(g.{column} AS TEXT), {sums} "  # noqa: S608
                f"FROM grouped g{where} GROUP BY g.period_label, g.{column}"
            )
    return selects


def _grouped_from_values(
    metric: Metric, *, tenant: Any, partners: Any, groupings: Sequence[str], periods: Sequence[FiscalPeriod]
) -> dict[tuple[str, str, str], Value]:
    if not metric.groupable:
        raise ValueError(
            f"Metric {metric.key!r} is a ratio without parts: it cannot be computed for a group."
        )
    sql, params = _as_sql(partners)
    names = [g for g in groupings if g not in {TOTAL, PARTNER}]
    with read_connection().cursor() as cursor:
        cursor.execute(f"SELECT p.id{''.join(', p.' + n for n in names)} FROM ({sql}) p", params)  # noqa: S608
        members = cursor.fetchall()
    ids = [row[0] for row in members]
    result: dict[tuple[str, str, str], Any] = {}
    for period in periods:
        values = metric.compute(tenant=tenant, partner_ids=ids, period=period, exact=True)
        # Sums over the partners' values: a metric defined as a sum per partner sums over a group.
        for row in members:
            value = values.get(row[0])
            if value is None:
                continue
            keys = [(PARTNER, str(row[0])), (TOTAL, "")] + [
                (n, "" if row[1 + i] is None else str(row[1 + i])) for i, n in enumerate(names)
            ]
            for grouping, key in keys:
                if grouping in groupings:
                    slot = (period.label, grouping, key)
                    result[slot] = result.get(slot, 0) + value
    return result
