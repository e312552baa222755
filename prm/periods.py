"""Fiscal periods: years and quarters from the tenant's fiscal year start month.

A fiscal year is named after the calendar year in which it ends: with a February start,
FY2027 runs from 1 February 2026 to 31 January 2027. With a January start it is the calendar
year. Labels read ``FY2027`` and ``FY2027-Q3``; every report, plan and program uses this helper.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_LABEL = re.compile(r"^(?P<ttm>TTM-)?FY(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?$")


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True, order=True)
class FiscalPeriod:
    """A fiscal year (``quarter`` None) or one of its quarters, with inclusive date bounds."""

    start_month: int
    fiscal_year: int
    quarter: int | None = None

    @property
    def label(self) -> str:
        return f"FY{self.fiscal_year}" + (f"-Q{self.quarter}" if self.quarter else "")

    @property
    def start(self) -> date:
        # FY N starts in year N-1 unless the fiscal year is the calendar year.
        year = self.fiscal_year if self.start_month == 1 else self.fiscal_year - 1
        year, month = _add_months(year, self.start_month, 3 * ((self.quarter or 1) - 1))
        return date(year, month, 1)

    @property
    def end(self) -> date:
        length = 3 if self.quarter else 12
        year, month = _add_months(self.start.year, self.start.month, length - 1)
        return date(year, month, calendar.monthrange(year, month)[1])

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def quarters(self) -> list[FiscalPeriod]:
        return [FiscalPeriod(self.start_month, self.fiscal_year, q) for q in range(1, 5)]

    def quarters_within(self) -> list[FiscalPeriod]:
        """The fiscal quarters the period is made of: itself for a quarter, four for a year or a
        trailing four quarters (whose quarters may belong to two fiscal years)."""
        return [self] if self.quarter is not None and type(self) is FiscalPeriod else self.quarters()

    def previous(self) -> FiscalPeriod:
        if self.quarter is None:
            return FiscalPeriod(self.start_month, self.fiscal_year - 1)
        if self.quarter == 1:
            return FiscalPeriod(self.start_month, self.fiscal_year - 1, 4)
        return FiscalPeriod(self.start_month, self.fiscal_year, self.quarter - 1)

    def next(self) -> FiscalPeriod:
        if self.quarter is None:
            return FiscalPeriod(self.start_month, self.fiscal_year + 1)
        if self.quarter == 4:
            return FiscalPeriod(self.start_month, self.fiscal_year + 1, 1)
        return FiscalPeriod(self.start_month, self.fiscal_year, self.quarter + 1)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True, order=True)
class TrailingFourQuarters(FiscalPeriod):
    """The four fiscal quarters ending with ``quarter`` of ``fiscal_year`` (label ``TTM-FY2026-Q3``).

    It is a period like the others to every metric (they read ``start`` and ``end``); its
    previous period is the four quarters before it.
    """

    @property
    def last_quarter(self) -> FiscalPeriod:
        return FiscalPeriod(self.start_month, self.fiscal_year, self.quarter)

    @property
    def label(self) -> str:
        return f"TTM-{self.last_quarter.label}"

    @property
    def start(self) -> date:
        first = self.last_quarter
        for _ in range(3):
            first = first.previous()
        return first.start

    @property
    def end(self) -> date:
        return self.last_quarter.end

    def quarters(self) -> list[FiscalPeriod]:
        last = self.last_quarter
        found = [last]
        for _ in range(3):
            found.insert(0, found[0].previous())
        return found

    def previous(self) -> FiscalPeriod:
        before = self.quarters()[0].previous()
        return TrailingFourQuarters(self.start_month, before.fiscal_year, before.quarter)

    def next(self) -> FiscalPeriod:
        after = self.last_quarter.next().next().next().next()
        return TrailingFourQuarters(self.start_month, after.fiscal_year, after.quarter)


def fiscal_year_of(day: date, start_month: int) -> FiscalPeriod:
    year = day.year if start_month == 1 or day.month < start_month else day.year + 1
    return FiscalPeriod(start_month, year)


def fiscal_quarter_of(day: date, start_month: int) -> FiscalPeriod:
    months_in = (day.month - start_month) % 12
    return FiscalPeriod(start_month, fiscal_year_of(day, start_month).fiscal_year, months_in // 3 + 1)


def parse_period(label: str, start_month: int) -> FiscalPeriod:
    """``FY2026``, ``FY2026-Q3`` or ``TTM-FY2026-Q3`` (the four quarters to FY2026-Q3) → the period;
    ValueError naming the expected form otherwise."""
    match = _LABEL.match(label.strip().upper())
    if match is None or (match["ttm"] and not match["quarter"]):
        raise ValueError(
            f"“{label}” is not a fiscal period; write FY2026 or FY2026-Q3 (or TTM-FY2026-Q3 for the four quarters to FY2026-Q3)."
        )
    quarter = match["quarter"]
    if match["ttm"]:
        return TrailingFourQuarters(start_month, int(match["year"]), int(quarter))
    return FiscalPeriod(start_month, int(match["year"]), int(quarter) if quarter else None)


def month_label(month: int) -> str:
    return calendar.month_name[month]
