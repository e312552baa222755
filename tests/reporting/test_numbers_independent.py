"""Numbers an executive and finance can sign: every catalog figure, recomputed independently.

The world (``numbers_world.py``) is generated from a seed through the app's services; the oracle
below is plain Python over the rows as entered — its own currency conversion, fiscal periods and
rounding — reading nothing of the app's metric or query code. One rounding rule, half-up: money
to the cent, ratios to four decimals, changes to 0.1, each from exact values (never from an
already rounded figure). Compared for quarters (boundary ones included), fiscal years and
trailing four quarters, with the fiscal year starting in January and in February: the catalog
per partner, grouped totals, the dashboard and QBR APIs, and the rows behind a figure.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import transaction

import prm.metrics
from prm.access import TenantAccess
from prm.periods import parse_period
from prm.tenancy import tenant_context
from reporting.queries.common import partners_grouping

from .numbers_world import EUR_RATE, build_long_history_world, build_numbers_world

SEED = 20260630

# --- the world, built once for the module (both fiscal-year starts), rolled back at the end -----


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield {
                start: build_numbers_world(seed=SEED + start, start_month=start, slug=f"numbers-{start}")
                for start in (1, 2)
            }
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)



# --- the oracle: periods ------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A fiscal period as the oracle sees it: its kind, its quarters (fiscal year, quarter) and
    inclusive dates. A fiscal year is named after the calendar year in which it ends."""

    start_month: int
    kind: str  # "quarter", "year" or "ttm"
    quarters: tuple[tuple[int, int], ...]

    @property
    def label(self) -> str:
        fy, q = self.quarters[-1]
        return {"quarter": f"FY{fy}-Q{q}", "year": f"FY{fy}", "ttm": f"TTM-FY{fy}-Q{q}"}[self.kind]

    @property
    def start(self) -> date:
        return quarter_dates(self.start_month, *self.quarters[0])[0]

    @property
    def end(self) -> date:
        return quarter_dates(self.start_month, *self.quarters[-1])[1]

    def shifted(self, quarters: int) -> Span:
        return Span(self.start_month, self.kind, tuple(shift(fy, q, quarters) for fy, q in self.quarters))

    def previous(self) -> Span:
        return self.shifted(-len(self.quarters))  # a quarter, a year, or the four quarters before

    def year_ago(self) -> Span:
        return self.shifted(-4)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def shift(fy: int, q: int, quarters: int) -> tuple[int, int]:
    index = fy * 4 + q - 1 + quarters
    return index // 4, index % 4 + 1


def quarter_dates(start_month: int, fy: int, q: int) -> tuple[date, date]:
    first = add_months(date(fy if start_month == 1 else fy - 1, start_month, 1), 3 * (q - 1))
    return first, add_months(first, 3) - timedelta(days=1)


def quarter_of(day: date, start_month: int) -> tuple[int, int]:
    fy = day.year if start_month == 1 or day.month < start_month else day.year + 1
    return fy, (day.month - start_month) % 12 // 3 + 1


def span(start_month: int, label: str) -> Span:
    ttm, fy, q = re.fullmatch(r"(TTM-)?FY(\d{4})(?:-Q([1-4]))?", label).groups()
    fy = int(fy)
    if ttm:
        return Span(start_month, "ttm", tuple(shift(fy, int(q), n) for n in (-3, -2, -1, 0)))
    if q:
        return Span(start_month, "quarter", ((fy, int(q)),))
    return Span(start_month, "year", tuple((fy, n) for n in (1, 2, 3, 4)))


def one_year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=min(day.day, 28 if day.month == 2 else day.day))


# --- the oracle: rounding and money --------------------------------------------------------------


def half_up(x: Fraction, places: int) -> Decimal:
    n = math.floor(abs(x) * 10**places + Fraction(1, 2))
    return Decimal(-n if x < 0 else n).scaleb(-places)


def reporting(amount: Decimal, currency: str) -> Fraction:
    """The amount in USD: as entered, or EUR × the tenant's rate, half-up to the cent."""
    if currency == "USD":
        return Fraction(amount)
    return Fraction(half_up(Fraction(amount) * Fraction(Decimal(EUR_RATE)), 2))


MONEY = {
    "pipeline_sourced",
    "pipeline_influenced",
    "deals_won_amount",
    "average_deal_size",
    "revenue",
    "revenue_ttm",
    "jbp_mdf_commitment",
}
RATIO = {"win_rate", "revenue_growth", "nrr", "jbp_revenue_attainment"}
COUNT = {"deals_won_count", "active_certifications"}
QBR_KEYS = [
    "pipeline_sourced",
    "pipeline_influenced",
    "deals_won_count",
    "deals_won_amount",
    "win_rate",
    "average_deal_size",
    "revenue",
    "revenue_ttm",
    "revenue_growth",
    "nrr",
]
HEADLINE = [
    "pipeline_sourced",
    "pipeline_influenced",
    "deals_won_amount",
    "win_rate",
    "average_deal_size",
    "nrr",
    "revenue",
]
ALL_KEYS = [*QBR_KEYS, "active_certifications", "jbp_revenue_attainment", "jbp_mdf_commitment"]
ARR_SIGN = {"new": 1, "expansion": 1, "contraction": -1, "churn": -1, "renewal": 0}
BOOKINGS = {"new", "expansion", "renewal"}


def rounded(key: str, exact: Fraction | int | None) -> Decimal | int | None:
    if exact is None or key in COUNT:
        return exact
    return half_up(exact, 4 if key in RATIO else 2)


def as_text(key: str, exact) -> str | int | None:
    value = rounded(key, exact)
    return str(value) if isinstance(value, Decimal) else value


def change(key: str, now, before) -> dict | None:
    """Against the previous period, from exact values: percentage points for ratios, else percent."""
    if now is None or before is None:
        return None
    if key in RATIO:
        points = (now - before) * 100
        return {"kind": "points", "value": half_up(points, 1), "up": points > 0, "down": points < 0}
    if not before:
        return None
    relative = (Fraction(now) / before - 1) * 100
    return {"kind": "percent", "value": half_up(relative, 1), "up": relative > 0, "down": relative < 0}


# --- the oracle: the catalog's definitions -------------------------------------------------------


class Oracle:
    """Each metric as its catalog definition reads, over the rows as entered, for a set of partners
    (one partner, or a group: the group's parts are summed, then combined once)."""

    def __init__(self, world) -> None:
        self.world = world
        self.start_month = world.start_month

    def span(self, label: str) -> Span:
        return span(self.start_month, label)

    def value(self, key: str, pids, period: Span):
        return rounded(key, self.exact(key, pids, period))

    def exact(self, key: str, pids, period: Span):
        parts = self.parts(key, set(pids), period)
        return COMBINE[key](parts)

    def parts(self, key: str, pids: set, s: Span) -> dict:
        deals = [d for d in self.world.deals if d["partner_id"] in pids]
        closed = [d for d in deals if d["closed_on"] and s.start <= d["closed_on"] <= s.end]
        won = [d for d in closed if d["status"] == "won"]
        if key in {"pipeline_sourced", "pipeline_influenced"}:
            role = key.split("_")[1]
            return {"value": sum(reporting(d["amount"], d["currency"]) for d in deals if d["role"] == role
                                 and d["status"] != "rejected" and s.start <= d["submitted_at"].date() <= s.end)}
        if key in {"deals_won_count", "deals_won_amount", "average_deal_size"}:
            total = sum(reporting(d["closed_amount"], d["currency"]) for d in won)
            return {"n": len(won), "amount": total, "total": total}
        if key == "win_rate":
            return {"won": len(won), "decided": len(closed)}
        if key == "revenue":
            return {"value": self.booked(pids, s.start, s.end)}
        if key == "revenue_ttm":
            return {"value": self.booked(pids, add_months(s.end, -11), s.end)}
        if key == "revenue_growth":
            before = self.booked(pids, add_months(s.start, -12), one_year_before(s.end))
            return {"amount_now": self.booked(pids, s.start, s.end), "amount_before": before}
        if key == "nrr":
            return self.nrr_parts(pids, s.end)
        if key == "active_certifications":
            return {"n": sum(1 for c in self.world.certifications if c["partner_id"] in pids and not c["archived"]
                             and c["earned_on"] <= s.end and (c["expires_on"] is None or c["expires_on"] >= s.end))}
        if key == "jbp_mdf_commitment":
            return {"value": sum(self.plan_figures(pid, s)[1] for pid in pids)}
        assert key == "jbp_revenue_attainment" and len(pids) == 1
        (pid,) = pids
        return {"revenue": self.booked(pids, s.start, s.end), "commitment": self.plan_figures(pid, s)[0]}

    def booked(self, pids: set, start: date, end: date) -> Fraction:
        return sum(
            (reporting(r["amount"], r["currency"]) for r in self.world.revenue
             if r["partner"] in pids and r["kind"] in BOOKINGS and start <= r["period"] <= end),
            Fraction(0),
        )

    def nrr_parts(self, pids: set, end: date) -> dict:
        then = one_year_before(end)
        arr: dict[tuple, list[Fraction]] = {}
        for r in self.world.revenue:
            if r["partner"] in pids and r["recurring"] and r["period"] <= end:
                amount = ARR_SIGN[r["kind"]] * reporting(r["amount"], r["currency"])
                slot = arr.setdefault((r["partner"], r["account"]), [Fraction(0), Fraction(0)])
                slot[0] += amount if r["period"] <= then else 0
                slot[1] += amount
        cohort = [(a, b) for a, b in arr.values() if a > 0]
        return {"arr_then": sum(a for a, _ in cohort), "arr_now": sum(b for _, b in cohort)}

    def plan_figures(self, pid: int, s: Span) -> tuple[Fraction, Fraction]:
        """(revenue commitments, vendor MDF) of the period's quarters, each quarter from the signed
        plan of its own fiscal year; a whole-year MDF commitment counts a quarter per quarter."""
        revenue, mdf = Fraction(0), Fraction(0)
        for fy, q in s.quarters:
            for plan in self.world.plans:
                if plan["partner_id"] != pid or plan["fiscal_year"] != fy or not plan["signed"]:
                    continue
                revenue += sum(Fraction(t["value"]) for t in plan["targets"] if t["quarter"] == q)
                for i in plan["investments"]:
                    if (i["side"], i["kind"]) == ("vendor", "mdf") and i["amount"] is not None:
                        share = 1 if i["quarter"] == q else Fraction(1, 4) if i["quarter"] is None else 0
                        mdf += share * Fraction(i["amount"])
        return revenue, mdf


def _ratio(numerator, denominator):
    return Fraction(numerator) / denominator if denominator else None


COMBINE = {
    "pipeline_sourced": lambda p: p["value"],
    "pipeline_influenced": lambda p: p["value"],
    "deals_won_count": lambda p: p["n"],
    "deals_won_amount": lambda p: p["amount"],
    "win_rate": lambda p: _ratio(p["won"], p["decided"]),
    "average_deal_size": lambda p: _ratio(p["total"], p["n"]),
    "revenue": lambda p: p["value"],
    "revenue_ttm": lambda p: p["value"],
    "revenue_growth": lambda p: None if not p["amount_before"] else p["amount_now"] / p["amount_before"] - 1,
    "nrr": lambda p: _ratio(p["arr_now"], p["arr_then"]),
    "active_certifications": lambda p: p["n"],
    "jbp_mdf_commitment": lambda p: p["value"],
    "jbp_revenue_attainment": lambda p: _ratio(p["revenue"], p["commitment"]),
}


# --- the cases ------------------------------------------------------------------------------------

CASES = [
    # January start: a quarter a year back, year-end and year-start quarters, the last full quarter.
    *((1, label) for label in ("FY2025-Q1", "FY2025-Q4", "FY2026-Q1", "FY2026-Q2")),
    *((1, label) for label in ("FY2024", "FY2025", "TTM-FY2025-Q4", "TTM-FY2026-Q2")),
    # February start: FY2026-Q4 ends on 31 January 2026, FY2027-Q1 starts on 1 February 2026.
    *((2, label) for label in ("FY2025-Q4", "FY2026-Q1", "FY2026-Q4", "FY2027-Q1")),
    *((2, label) for label in ("FY2025", "FY2026", "TTM-FY2026-Q4", "TTM-FY2027-Q1")),
]
IDS = [f"{'jan' if start == 1 else 'feb'}-{label}" for start, label in CASES]
API = "/api/v1/t/{slug}/reporting"


def _name(world, pid) -> str:
    return next(p.name for p in world.partners if p.pk == pid)


def _groups(world) -> dict[str, set[int]]:
    """The dashboard's groups: all, strategic, tactical, untiered, and each tier by id."""
    tiers, classes = world.partner_tier(), world.partner_class()
    groups = {"total": set(tiers)}
    for name in ("strategic", "tactical", "none"):
        groups[name] = {pid for pid, c in classes.items() if c == name}
    for tier in world.tiers.values():
        groups[f"tier:{tier.pk}"] = {pid for pid, t in tiers.items() if t == tier.pk}
    groups["tier:"] = {pid for pid, t in tiers.items() if t is None}
    return groups


def _check_change(where: str, key: str, got, want, wrong: list[str]) -> None:
    if want is None or got is None:
        if got != want:
            wrong.append(f"{where} change: {got} ≠ {want}")
        return
    seen = (got["kind"], Decimal(got["value"]), got["up"], got["down"])
    if seen != (want["kind"], want["value"], want["up"], want["down"]):
        wrong.append(f"{where} change: {got} ≠ {want}")


# --- the proofs -----------------------------------------------------------------------------------


def test_the_oracle_reads_fiscal_periods_as_their_labels_say():
    feb = span(2, "FY2027")
    assert (feb.start, feb.end) == (date(2026, 2, 1), date(2027, 1, 31))
    q4 = span(2, "FY2026-Q4")
    assert (q4.start, q4.end) == (date(2025, 11, 1), date(2026, 1, 31))
    ttm = span(2, "TTM-FY2027-Q1")
    assert ttm.quarters == ((2026, 2), (2026, 3), (2026, 4), (2027, 1))
    assert (ttm.start, ttm.end) == (date(2025, 5, 1), date(2026, 4, 30))
    assert (ttm.previous().label, ttm.year_ago().label) == ("TTM-FY2026-Q1", "TTM-FY2026-Q1")
    assert (span(1, "FY2026").previous().label, span(1, "FY2026-Q1").previous().label) == ("FY2025", "FY2025-Q4")
    assert span(1, "FY2026-Q1").year_ago().label == "FY2025-Q1"
    assert quarter_of(date(2026, 1, 31), 2) == (2026, 4)
    assert quarter_of(date(2026, 2, 1), 2) == (2027, 1)
    assert quarter_of(date(2026, 1, 31), 1) == quarter_of(date(2026, 2, 1), 1) == (2026, 1)
    assert half_up(Fraction(53125, 100000), 4) == Decimal("0.5313")
    assert half_up(Fraction(-15, 1000), 2) == Decimal("-0.02")
    assert reporting(Decimal("10.00"), "EUR") == Fraction("10.83")  # 10.825 half-up


def test_stored_reporting_amounts_are_the_amount_times_the_rate_half_up(worlds, db):
    from pipeline.models import DealRegistration, RevenueRecord

    for world in worlds.values():
        with tenant_context(world.tenant):
            stored = {r["id"]: r for r in DealRegistration.objects.values()}
            records = {r["id"]: r for r in RevenueRecord.objects.values()}
        for d in world.deals:
            row = stored[d["id"]]
            assert Fraction(row["amount_reporting"]) == reporting(d["amount"], d["currency"]), d
            if d["closed_amount"] is not None:
                assert Fraction(row["closed_amount_reporting"]) == reporting(d["closed_amount"], d["currency"]), d
        for r in world.revenue:
            assert Fraction(records[r["id"]]["amount_reporting"]) == reporting(r["amount"], r["currency"]), r


@pytest.mark.parametrize(("start", "label"), CASES, ids=IDS)
def test_each_catalog_metric_per_partner_equals_the_oracle(worlds, db, start, label):
    world = worlds[start]
    oracle, period = Oracle(world), parse_period(label, start)
    ids = [p.pk for p in world.partners]
    wrong = []
    with tenant_context(world.tenant):
        for key in ALL_KEYS:
            got = prm.metrics.get(key).compute(tenant=world.tenant, partner_ids=ids, period=period)
            for pid in ids:
                want = oracle.value(key, {pid}, oracle.span(label))
                if got[pid] != want:
                    wrong.append(f"{key} {_name(world, pid)}: app {got[pid]} ≠ oracle {want}")
    assert not wrong, f"{label}: " + "; ".join(wrong)


GROUPED = [key for key in ALL_KEYS if key not in {"jbp_revenue_attainment", "jbp_mdf_commitment"}]


def _grouped_mismatches(world, keys: list[str], label: str) -> list[str]:
    oracle, period = Oracle(world), parse_period(label, world.start_month)
    groups = {("total", ""): set(world.partner_tier())} | {
        ("tier_key", key.split(":")[1]): pids for key, pids in _groups(world).items() if key.startswith("tier:")
    }
    access = TenantAccess.from_membership(world.executive.memberships.get())
    wrong = []
    with tenant_context(world.tenant):
        for key in keys:
            metric = prm.metrics.get(key)
            got = prm.metrics.compute_grouped(
                metric,
                tenant=world.tenant,
                partners=partners_grouping(access),
                groupings=["total", "tier_key"],
                periods=[period],
            )
            for (grouping, group), pids in groups.items():
                value = got.get((label, grouping, group), metric.empty_value)
                want = oracle.value(key, pids, oracle.span(label))
                if pids and value != want:
                    wrong.append(f"{key} {grouping}:{group or 'none'}: app {value} ≠ oracle {want}")
    return wrong


@pytest.mark.parametrize(("start", "label"), CASES, ids=IDS)
def test_grouped_totals_and_tiers_equal_the_oracle(worlds, db, start, label):
    wrong = _grouped_mismatches(worlds[start], GROUPED, label)
    assert not wrong, f"{label}: " + "; ".join(wrong)


@pytest.mark.parametrize(("start", "label"), CASES, ids=IDS)
def test_a_group_plan_mdf_commitment_is_rounded_once_from_the_exact_sum(worlds, db, start, label):
    # A whole-year commitment counts a quarter per quarter (fractions of a cent): the group's
    # figure is its partners' exact commitments summed, then rounded — not a sum of rounded ones.
    wrong = _grouped_mismatches(worlds[start], ["jbp_mdf_commitment"], label)
    assert not wrong, f"{label}: " + "; ".join(wrong)


# --- the APIs -------------------------------------------------------------------------------------


def _api(world) -> str:
    return API.format(slug=world.tenant.slug)


@pytest.mark.parametrize(("start", "label"), CASES, ids=IDS)
def test_the_dashboard_api_equals_the_oracle(worlds, db, client_for, start, label):
    world = worlds[start]
    oracle = Oracle(world)
    now = oracle.span(label)
    before, groups = now.previous(), _groups(world)
    data = client_for(world.executive).get(f"{_api(world)}/dashboard/?period={label}&fresh=1").json()
    assert (data["period"], data["previous_period"]) == (label, before.label)
    wrong = []
    for figure in data["figures"]:
        key = figure["key"]
        cells = {name: figure[name] for name in ("total", "strategic", "tactical")}
        cells |= {"none": figure["untiered"]} | {f"tier:{t['tier_id'] or ''}": t for t in figure["by_tier"]}
        for group, cell in cells.items():
            exact_now, exact_before = (oracle.exact(key, groups[group], s) for s in (now, before))
            want = (as_text(key, exact_now), as_text(key, exact_before))
            if (cell["value"], cell["previous"]) != want:
                wrong.append(f"{key} {group}: (value, previous) app {(cell['value'], cell['previous'])} ≠ {want}")
            _check_change(f"{key} {group}", key, cell["change"], change(key, exact_now, exact_before), wrong)
    assert [f["key"] for f in data["figures"]] == HEADLINE
    assert not wrong, f"{label}: " + "; ".join(wrong)


@pytest.mark.parametrize(("start", "label"), CASES, ids=IDS)
def test_the_qbr_api_equals_the_oracle(worlds, db, client_for, start, label):
    world = worlds[start]
    oracle = Oracle(world)
    now = oracle.span(label)
    periods = (now, now.previous(), now.year_ago())
    client, wrong = client_for(world.executive), []
    for partner in world.partners:
        data = client.get(f"{_api(world)}/partner-qbrs/{partner.pk}/?period={label}").json()
        assert (data["period"], data["previous_period"]) == (label, periods[1].label)
        rows = {row["key"]: row for row in data["figures"]}
        for key in QBR_KEYS:
            row = rows[key]
            exact = [oracle.exact(key, {partner.pk}, s) for s in periods]
            seen = (row["value"], row["previous"], row["year_ago"])
            want = tuple(as_text(key, x) for x in exact)
            if seen != want:
                wrong.append(f"{key} {partner.name}: (value, previous, year ago) app {seen} ≠ oracle {want}")
            _check_change(f"{key} {partner.name}", key, row["change"], change(key, exact[0], exact[1]), wrong)
    assert not wrong, f"{label}: " + "; ".join(wrong)


def _money_parts(key: str, parts: dict) -> dict:
    # Parts as the API gives them (text or numbers), to exact values; money parts to the cent.
    return {name: Fraction(Decimal(str(v))) if v is not None else Fraction(0) for name, v in parts.items()}


@pytest.mark.parametrize(("start", "label"), CASES, ids=IDS)
def test_the_rows_behind_a_figure_add_up_to_the_figure(worlds, db, client_for, start, label):
    world = worlds[start]
    oracle, groups = Oracle(world), _groups(world)
    s = oracle.span(label)
    client, wrong = client_for(world.executive), []
    for key in HEADLINE:
        for group, pids in (("total", "total"), ("class_key:strategic", "strategic"), ("class_key:tactical", "tactical")):
            url = f"{_api(world)}/figure-rows/?metric={key}&group={group}&period={label}&page_size=200"
            data = client.get(url).json()
            summed: dict[str, Fraction] = {}
            for row in data["results"]:
                want = as_text(key, oracle.exact(key, {row["partner_id"]}, s))
                if row["value"] != want:
                    wrong.append(f"{key} {group} {row['partner']}: row app {row['value']} ≠ oracle {want}")
                for name, value in _money_parts(key, row["parts"]).items():
                    summed[name] = summed.get(name, Fraction(0)) + value
            parts = {name: summed.get(name, Fraction(0)) for name in oracle.parts(key, set(), s)}
            figure = as_text(key, oracle.exact(key, groups[pids], s))
            from_rows = as_text(key, COMBINE[key](parts))
            if (data["total"], from_rows) != (figure, figure):
                wrong.append(f"{key} {group}: total app {data['total']}, from the rows {from_rows}, oracle {figure}")
            assert data["count"] == len(data["results"])
    assert not wrong, f"{label}: " + "; ".join(wrong)


MONEY_TEXT, RATIO_TEXT = re.compile(r"^-?\d+\.\d{2}$"), re.compile(r"^-?\d+\.\d{4}$")


def _check_text(where: str, unit: str, value, wrong: list[str]) -> None:
    pattern = {"money": MONEY_TEXT, "ratio": RATIO_TEXT}.get(unit)
    if value is not None and pattern and not (isinstance(value, str) and pattern.match(value)):
        wrong.append(f"{where}: {value!r}")


@pytest.mark.parametrize(("start", "label"), [(1, "TTM-FY2026-Q2"), (2, "FY2027-Q1")], ids=["jan", "feb"])
def test_money_is_text_with_two_decimals_and_ratios_with_four(worlds, db, client_for, start, label):
    world = worlds[start]
    client, wrong = client_for(world.executive), []
    data = client.get(f"{_api(world)}/dashboard/?period={label}&fresh=1").json()
    for f in data["figures"]:
        cells = [f["total"], f["strategic"], f["tactical"], f["untiered"], *f["by_tier"]]
        for n, value in enumerate([c[k] for c in cells for k in ("value", "previous")]):
            _check_text(f"dashboard {f['key']} cell {n}", f["unit"], value, wrong)
        for n, value in enumerate([t["value"] for t in f["top"] + f["bottom"]] + sum(f["trend"].values(), [])):
            _check_text(f"dashboard {f['key']} top/trend {n}", f["unit"], value, wrong)
        rows = client.get(f"{_api(world)}/figure-rows/?metric={f['key']}&period={label}&page_size=200").json()
        _check_text(f"figure rows {f['key']} total", f["unit"], rows["total"], wrong)
        for row in rows["results"]:
            _check_text(f"figure rows {f['key']} {row['partner']}", f["unit"], row["value"], wrong)
            for part, value in row["parts"].items():
                unit = "money" if part in {"value", "amount", "total", "arr_then", "arr_now"} else ""
                _check_text(f"figure rows {f['key']} {row['partner']} {part}", unit, value, wrong)
    for partner in world.partners:
        qbr = client.get(f"{_api(world)}/partner-qbrs/{partner.pk}/?period={label}").json()
        for row in qbr["figures"]:
            for column in ("value", "previous", "year_ago"):
                _check_text(f"QBR {partner.name} {row['key']} {column}", row["unit"], row[column], wrong)
    assert not wrong, "; ".join(wrong)
