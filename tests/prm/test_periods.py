"""Fiscal periods: years and quarters from the tenant's fiscal year start month, named after the
calendar year in which the fiscal year ends (``FY2027``, ``FY2027-Q3``)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from prm.periods import FiscalPeriod, fiscal_quarter_of, fiscal_year_of, month_label, parse_period

# --- calendar fiscal year (January start) ------------------------------------------------------


def test_january_start_fiscal_year_is_the_calendar_year():
    year = fiscal_year_of(date(2026, 7, 14), 1)

    assert year.label == "FY2026"
    assert (year.start, year.end) == (date(2026, 1, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("day", "label", "start", "end"),
    [
        (date(2026, 1, 1), "FY2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 5, 31), "FY2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 9, 30), "FY2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 12, 31), "FY2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_january_start_quarters_are_calendar_quarters(day, label, start, end):
    quarter = fiscal_quarter_of(day, 1)

    assert (quarter.label, quarter.start, quarter.end) == (label, start, end)
    assert quarter.contains(day)


# --- February start: FY2027 runs from 1 February 2026 to 31 January 2027 -------------------------


def test_february_start_fiscal_year_is_named_after_the_year_it_ends_in():
    assert fiscal_year_of(date(2026, 1, 31), 2).label == "FY2026"
    assert fiscal_year_of(date(2026, 2, 1), 2).label == "FY2027"
    year = parse_period("FY2027", 2)
    assert (year.start, year.end) == (date(2026, 2, 1), date(2027, 1, 31))


@pytest.mark.parametrize(
    ("day", "label", "start", "end"),
    [
        (date(2026, 2, 1), "FY2027-Q1", date(2026, 2, 1), date(2026, 4, 30)),
        (date(2026, 7, 31), "FY2027-Q2", date(2026, 5, 1), date(2026, 7, 31)),
        (date(2026, 8, 1), "FY2027-Q3", date(2026, 8, 1), date(2026, 10, 31)),
        (date(2026, 12, 24), "FY2027-Q4", date(2026, 11, 1), date(2027, 1, 31)),
        (date(2027, 1, 31), "FY2027-Q4", date(2026, 11, 1), date(2027, 1, 31)),
        (date(2026, 1, 15), "FY2026-Q4", date(2025, 11, 1), date(2026, 1, 31)),
    ],
)
def test_february_start_quarters(day, label, start, end):
    quarter = fiscal_quarter_of(day, 2)

    assert (quarter.label, quarter.start, quarter.end) == (label, start, end)
    assert quarter.contains(day)


# --- October start (US federal style): FY2026 runs from October 2025 to September 2026 -----------


@pytest.mark.parametrize(
    ("day", "label", "start", "end"),
    [
        (date(2025, 10, 1), "FY2026-Q1", date(2025, 10, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), "FY2026-Q2", date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 30), "FY2026-Q3", date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 9, 30), "FY2026-Q4", date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), "FY2027-Q1", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_october_start_quarters(day, label, start, end):
    quarter = fiscal_quarter_of(day, 10)

    assert (quarter.label, quarter.start, quarter.end) == (label, start, end)
    assert not quarter.contains(date(start.year - 1, start.month, start.day))


def test_october_start_year_has_four_quarters_that_tile_it():
    year = fiscal_year_of(date(2026, 3, 3), 10)
    quarters = year.quarters()

    assert year.label == "FY2026"
    assert (year.start, year.end) == (date(2025, 10, 1), date(2026, 9, 30))
    assert [q.label for q in quarters] == ["FY2026-Q1", "FY2026-Q2", "FY2026-Q3", "FY2026-Q4"]
    assert quarters[0].start == year.start
    assert quarters[-1].end == year.end
    for earlier, later in itertools.pairwise(quarters):
        assert (later.start - earlier.end).days == 1


def test_quarter_ends_on_the_last_day_of_a_leap_february():
    quarter = parse_period("FY2024-Q1", 12)  # December 2023 to February 2024

    assert (quarter.start, quarter.end) == (date(2023, 12, 1), date(2024, 2, 29))


# --- stepping through periods -------------------------------------------------------------------


@pytest.mark.parametrize("start_month", [1, 2, 10])
def test_previous_and_next_cross_the_fiscal_year_boundary(start_month):
    q1 = parse_period("FY2026-Q1", start_month)
    q4 = parse_period("FY2026-Q4", start_month)

    assert q1.previous().label == "FY2025-Q4"
    assert q4.next().label == "FY2027-Q1"
    assert q1.previous().end == date.fromordinal(q1.start.toordinal() - 1)
    assert q4.next().start == date.fromordinal(q4.end.toordinal() + 1)
    assert q1.next().previous() == q1
    assert parse_period("FY2026-Q2", start_month).previous() == q1


@pytest.mark.parametrize("start_month", [1, 2, 10])
def test_previous_and_next_fiscal_years(start_month):
    year = parse_period("FY2026", start_month)

    assert year.previous().label == "FY2025"
    assert year.next().label == "FY2027"
    assert year.next().start == date.fromordinal(year.end.toordinal() + 1)
    assert year.previous().end == date.fromordinal(year.start.toordinal() - 1)


def test_consecutive_quarters_cover_every_day_exactly_once():
    quarter = fiscal_quarter_of(date(2024, 1, 1), 2)
    day = quarter.start
    for _ in range(12):
        assert quarter.start == day
        assert fiscal_quarter_of(day, 2) == quarter
        assert fiscal_quarter_of(quarter.end, 2) == quarter
        day = date.fromordinal(quarter.end.toordinal() + 1)
        quarter = quarter.next()


# --- labels and parsing ------------------------------------------------------------------------


def test_labels_read_fy_year_and_quarter():
    assert str(FiscalPeriod(2, 2027, 3)) == "FY2027-Q3"
    assert FiscalPeriod(2, 2027).label == "FY2027"


@pytest.mark.parametrize("text", ["FY2026-Q3", "fy2026-q3", "  FY2026-Q3 "])
def test_parse_period_reads_a_quarter_label(text):
    period = parse_period(text, 10)

    assert period == FiscalPeriod(10, 2026, 3)
    assert (period.start, period.end) == (date(2026, 4, 1), date(2026, 6, 30))


def test_parse_period_round_trips_every_label():
    for label in ["FY2019", "FY2026-Q1", "FY2026-Q4", "FY2100-Q2"]:
        assert parse_period(label, 7).label == label


@pytest.mark.parametrize(
    "text", ["", "2026", "FY26", "FY2026Q3", "FY2026-Q0", "FY2026-Q5", "Q3-FY2026", "FY 2026"]
)
def test_parse_period_refuses_anything_else_and_shows_the_expected_form(text):
    with pytest.raises(ValueError, match="write FY2026 or FY2026-Q3") as error:
        parse_period(text, 1)

    assert f"“{text}”" in str(error.value)


def test_month_label_names_the_start_month():
    assert [month_label(m) for m in (1, 2, 10)] == ["January", "February", "October"]
