"""The pipeline's quarter totals (``pipeline.rollup``) give the same figures as the base tables.

On the numbers world (both fiscal-year starts, built through the app's services), every metric the
rollup serves is computed with ``compute_grouped`` for every partner, tier, classification and the
total, for every fiscal quarter, fiscal year and trailing four quarters of the history, once from
the rollup and once from the base tables (``base_tables_only``), exactly (no rounding), and must
be equal slot for slot, with the same slots present. The rollup's rows themselves equal a
recomputation from the base tables, and the rollup is proven to be what was read.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

import prm.metrics as catalog
from pipeline import rollup
from prm.metrics import PARTNER, TOTAL
from prm.periods import TrailingFourQuarters, fiscal_quarter_of, fiscal_year_of
from prm.tenancy import tenant_context
from reporting.queries.common import CLASS, TIER, partners_grouping

from .numbers_world import HISTORY_START, TODAY, build_numbers_world

ROLLED_UP = [
    "pipeline_sourced",
    "pipeline_influenced",
    "deals_won_count",
    "deals_won_amount",
    "win_rate",
    "average_deal_size",
    "revenue",
]
STARTS = (1, 2)


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield {
                start: build_numbers_world(seed=4242 + start, start_month=start, slug=f"rollup-{start}")
                for start in STARTS
            }
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _periods(start_month: int) -> list:
    """Every quarter of the history (and the one after), every fiscal year, every trailing four."""
    quarter = fiscal_quarter_of(HISTORY_START, start_month).previous()
    last = fiscal_quarter_of(TODAY, start_month).next()
    periods = []
    while quarter <= last:
        periods += [quarter, TrailingFourQuarters(start_month, quarter.fiscal_year, quarter.quarter)]
        quarter = quarter.next()
    years = {fiscal_year_of(q.start, start_month) for q in periods}
    return periods + sorted(years)


@pytest.mark.parametrize("start", STARTS)
def test_the_stored_quarter_totals_equal_a_recomputation_from_the_base_tables(worlds, db, start):
    world = worlds[start]
    with tenant_context(world.tenant):
        assert rollup.is_current(world.tenant)
        stored = rollup.stored_totals()
        assert stored == rollup.totals_from_base_tables(world.tenant)
        assert len(stored) > 50  # the world has history: the comparison is not of two empty sets


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("key", ROLLED_UP)
def test_every_group_and_period_from_the_rollup_equals_the_base_tables(worlds, db, start, key):
    world = worlds[start]
    metric = catalog.get(key)
    periods = _periods(start)
    assert {type(p).__name__ for p in periods} == {"FiscalPeriod", "TrailingFourQuarters"}
    with tenant_context(world.tenant):
        grouping = partners_grouping(world.manager, TODAY)
        arguments = {
            "tenant": world.tenant,
            "partners": grouping,
            "groupings": [PARTNER, TIER, CLASS, TOTAL],
            "periods": periods,
            "exact": True,
        }
        with CaptureQueriesContext(connection) as read:
            from_rollup = catalog.compute_grouped(metric, **arguments)
        with rollup.base_tables_only(), CaptureQueriesContext(connection) as scanned:
            from_base = catalog.compute_grouped(metric, **arguments)
            per_partner_base = {
                p.label: metric.compute_all(tenant=world.tenant, period=p, exact=True) for p in periods
            }
        per_partner_rollup = {
            p.label: metric.compute_all(tenant=world.tenant, period=p, exact=True) for p in periods
        }
    assert "pipelinequartertotal" in read.captured_queries[-1]["sql"]
    assert all("pipelinequartertotal" not in q["sql"] for q in scanned.captured_queries)
    assert from_rollup == from_base
    # Direct revenue (no partner) is no partner's figure: the rollup has no row for it.
    assert per_partner_rollup == {
        label: {pid: value for pid, value in values.items() if pid is not None}
        for label, values in per_partner_base.items()
    }
    # Not vacuous: every grouping has values in some period, and some values are not empty.
    assert {slot[1] for slot in from_base} == {PARTNER, TIER, CLASS, TOTAL}
    assert any(value not in (None, 0) for value in from_base.values())


def test_a_period_of_another_fiscal_year_start_reads_the_base_tables(worlds, db):
    world = worlds[1]
    other = fiscal_quarter_of(TODAY, 2)  # quarters of a February year: not the tenant's
    with tenant_context(world.tenant):
        assert rollup.serves(world.tenant, fiscal_quarter_of(TODAY, 1))
        assert not rollup.serves(world.tenant, other)
