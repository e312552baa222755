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


def test_build(worlds, db):
    assert len(worlds[1].deals) > 100
