"""Numbers an executive and finance can sign: every catalog figure, recomputed independently.

The world (``numbers_world.py``) is generated from a seed through the app's services; the oracle
(``numbers_oracle.py``) is plain Python over the rows as entered — its own currency conversion, fiscal periods and
rounding — reading nothing of the app's metric or query code. One rounding rule, half-up: money
to the cent, ratios to four decimals, changes to 0.1, each from exact values (never from an
already rounded figure). Compared for quarters (boundary ones included), fiscal years and
trailing four quarters, with the fiscal year starting in January and in February: the catalog
per partner, grouped totals, the dashboard and QBR APIs, and the rows behind a figure.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import transaction

import prm.metrics
from prm.access import TenantAccess
from prm.periods import parse_period
from prm.tenancy import tenant_context
from reporting.queries.common import partners_grouping

from .numbers_oracle import (
    ALL_KEYS,
    COMBINE,
    HEADLINE,
    QBR_KEYS,
    Oracle,
    as_text,
    change,
    half_up,
    quarter_of,
    reporting,
    rounded,
    span,
)
from .numbers_world import build_long_history_world, build_numbers_world

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
    assert (span(1, "FY2026").previous().label, span(1, "FY2026-Q1").previous().label) == (
        "FY2025",
        "FY2025-Q4",
    )
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
                assert Fraction(row["closed_amount_reporting"]) == reporting(
                    d["closed_amount"], d["currency"]
                ), d
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


def test_partner_sourced_revenue_counts_only_accounts_the_partner_sourced_and_won(worlds, db):
    world = worlds[1]
    oracle, label = Oracle(world), "FY2025"
    ids = {p.pk for p in world.partners}
    sourced = oracle.exact("revenue_sourced", ids, oracle.span(label))
    everything = oracle.exact("revenue", ids, oracle.span(label))
    assert 0 < sourced < everything  # the world has both kinds, so the test can tell them apart
    with tenant_context(world.tenant):
        got = prm.metrics.get("revenue_sourced").compute(
            tenant=world.tenant, partner_ids=ids, period=parse_period(label, 1)
        )
    assert sum(got.values()) == rounded("revenue_sourced", sourced)


GROUPED = [key for key in ALL_KEYS if key not in {"jbp_revenue_attainment", "jbp_mdf_commitment"}]


def _grouped_mismatches(world, keys: list[str], label: str) -> list[str]:
    oracle, period = Oracle(world), parse_period(label, world.start_month)
    groups = {("total", ""): set(world.partner_tier())} | {
        ("tier_key", key.split(":")[1]): pids
        for key, pids in _groups(world).items()
        if key.startswith("tier:")
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
                wrong.append(
                    f"{key} {group}: (value, previous) app {(cell['value'], cell['previous'])} ≠ {want}"
                )
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
        for group, pids in (
            ("total", "total"),
            ("class_key:strategic", "strategic"),
            ("class_key:tactical", "tactical"),
        ):
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
                wrong.append(
                    f"{key} {group}: total app {data['total']}, from the rows {from_rows}, oracle {figure}"
                )
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
        for n, value in enumerate(
            [t["value"] for t in f["top"] + f["bottom"]]
            + [v for series in f["trend"].values() for v in series]
        ):
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


# --- ties, boundaries, long history ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "last", "before"), [(1, "FY2026-Q2", "FY2026-Q1"), (2, "FY2027-Q1", "FY2026-Q4")]
)
def test_ties_round_half_up_and_changes_come_from_exact_values(worlds, db, client_for, start, last, before):
    world = worlds[start]
    p7 = world.partners[6]
    qbr = client_for(world.executive).get(f"{_api(world)}/partner-qbrs/{p7.pk}/?period={last}").json()
    rows = {row["key"]: row for row in qbr["figures"]}
    with tenant_context(world.tenant):
        period = parse_period(before, start)
        average = prm.metrics.get("average_deal_size").compute(
            tenant=world.tenant, partner_ids=[p7.pk], period=period
        )
    seen = {
        "win rate now, before": (rows["win_rate"]["value"], rows["win_rate"]["previous"]),
        "win rate change": rows["win_rate"]["change"]["value"],
        "average before (QBR)": rows["average_deal_size"]["previous"],
        "average before (catalog)": average[p7.pk],
    }
    assert seen == {
        # 17 won of 32 decided = 0.53125 → 0.5313; before: 2 won of 11 = 0.181818… → 0.1818.
        "win rate now, before": ("0.5313", "0.1818"),
        # (17/32 − 2/11) × 100 = 34.943… → 34.9 points (not 35.0 from the rounded 0.5313 − 0.1818).
        "win rate change": "34.9",
        # Before: won 100.02 and 100.03, an average of 100.025 → 100.03.
        "average before (QBR)": "100.03",
        "average before (catalog)": Decimal("100.03"),
    }


def test_a_february_year_ends_on_31_january_and_the_next_starts_on_1_february(worlds, db):
    world = worlds[2]
    p8 = world.partners[7]
    oracle = Oracle(world)
    expected = {
        # FY2026-Q4 (November 2025 – January 2026): won and submitted 31 January 2026 (23:59:59),
        # booked January 2026. FY2027-Q1 (February – April 2026): the same on 1 February 2026.
        "FY2026-Q4": {"deals_won_amount": "1111.11", "pipeline_sourced": "1111.11", "revenue": "555.55"},
        "FY2027-Q1": {"deals_won_amount": "2222.22", "pipeline_sourced": "2222.22", "revenue": "666.66"},
        # FY2026 (February 2025 – January 2026): 100.01 (1 Feb 2025) + 100.02 + 1111.11; not 333.33 (31 Jan 2025).
        "FY2026": {"deals_won_amount": "1311.14", "pipeline_sourced": "1311.14", "revenue": "555.55"},
        "FY2025-Q4": {"deals_won_amount": "333.33", "pipeline_sourced": "333.33", "revenue": "0.00"},
        # 100.01 and 100.02 won in FY2026-Q1: an average of 100.015 → 100.02.
        "FY2026-Q1": {"average_deal_size": "100.02", "deals_won_count": 2},
    }
    with tenant_context(world.tenant):
        for label, figures in expected.items():
            for key, want in figures.items():
                got = prm.metrics.get(key).compute(
                    tenant=world.tenant, partner_ids=[p8.pk], period=parse_period(label, 2)
                )
                assert (label, key, got[p8.pk]) == (
                    label,
                    key,
                    Decimal(want) if isinstance(want, str) else want,
                )
                assert as_text(key, oracle.exact(key, {p8.pk}, oracle.span(label))) == want, (label, key)
    january = Oracle(worlds[1])
    assert january.value("deals_won_amount", {worlds[1].partners[7].pk}, span(1, "FY2026-Q1")) == Decimal(
        "3333.33"
    )


@pytest.fixture
def long_world(db):
    return build_long_history_world(seed=SEED, slug="numbers-long")


def test_nrr_growth_and_revenue_over_a_long_history_equal_the_oracle(long_world):
    world, oracle = long_world, Oracle(long_world)
    ids = [p.pk for p in world.partners]
    labels = [f"FY{fy}-Q{q}" for fy in range(2021, 2027) for q in (1, 2, 3, 4) if (fy, q) <= (2026, 2)]
    labels += [f"FY{fy}" for fy in range(2021, 2026)] + ["TTM-FY2023-Q3", "TTM-FY2026-Q2"]
    keys = ["nrr", "revenue_growth", "revenue", "revenue_ttm"]
    access = world.manager
    wrong = []
    with tenant_context(world.tenant):
        for key in keys:
            metric = prm.metrics.get(key)
            periods = [parse_period(label, 1) for label in labels]
            grouped = prm.metrics.compute_grouped(
                metric,
                tenant=world.tenant,
                partners=partners_grouping(access),
                groupings=["total"],
                periods=periods,
            )
            for label, period in zip(labels, periods, strict=True):
                got = metric.compute(tenant=world.tenant, partner_ids=ids, period=period)
                for pid in ids:
                    if got[pid] != oracle.value(key, {pid}, oracle.span(label)):
                        wrong.append(
                            f"{key} {label} {_name(world, pid)}: {got[pid]} ≠ {oracle.value(key, {pid}, oracle.span(label))}"
                        )
                total = grouped.get((label, "total", ""), metric.empty_value)
                if total != oracle.value(key, set(ids), oracle.span(label)):
                    wrong.append(
                        f"{key} {label} total: {total} ≠ {oracle.value(key, set(ids), oracle.span(label))}"
                    )
    tie = world.partners[4].pk
    assert oracle.value("nrr", {tie}, span(1, "FY2025-Q1")) == Decimal("0.5313")  # 1700 ÷ 3200
    assert oracle.value("revenue_growth", {tie}, span(1, "FY2025-Q1")) == Decimal("0.1563")  # 3700 ÷ 3200 − 1
    assert not wrong, "; ".join(wrong)
