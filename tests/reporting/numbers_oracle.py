"""The oracle of the number proofs: fiscal periods, currency, rounding and every catalog metric's
definition, in plain Python over the rows a ``NumbersWorld`` kept as entered. It imports nothing
of the app but the exchange rate the world set; nothing here calls the app's metric or query code.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from .numbers_world import EUR_RATE

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
    "revenue_sourced",
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
ALL_KEYS = [
    *QBR_KEYS,
    "revenue_sourced",
    "active_certifications",
    "jbp_revenue_attainment",
    "jbp_mdf_commitment",
]
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
            return {
                "value": sum(
                    reporting(d["amount"], d["currency"])
                    for d in deals
                    if d["role"] == role
                    and d["status"] != "rejected"
                    and s.start <= d["submitted_at"].date() <= s.end
                )
            }
        if key in {"deals_won_count", "deals_won_amount", "average_deal_size"}:
            total = sum(reporting(d["closed_amount"], d["currency"]) for d in won)
            return {"n": len(won), "amount": total, "total": total}
        if key == "win_rate":
            return {"won": len(won), "decided": len(closed)}
        if key == "revenue":
            return {"value": self.booked(pids, s.start, s.end)}
        if key == "revenue_sourced":
            return {"value": self.booked(pids, s.start, s.end, sourced_only=True)}
        if key == "revenue_ttm":
            return {"value": self.booked(pids, add_months(s.end, -11), s.end)}
        if key == "revenue_growth":
            before = self.booked(pids, add_months(s.start, -12), one_year_before(s.end))
            return {"amount_now": self.booked(pids, s.start, s.end), "amount_before": before}
        if key == "nrr":
            return self.nrr_parts(pids, s.end)
        if key == "active_certifications":
            return {
                "n": sum(
                    1
                    for c in self.world.certifications
                    if c["partner_id"] in pids
                    and not c["archived"]
                    and c["earned_on"] <= s.end
                    and (c["expires_on"] is None or c["expires_on"] >= s.end)
                )
            }
        if key == "jbp_mdf_commitment":
            return {"value": sum(self.plan_figures(pid, s)[1] for pid in pids)}
        assert key == "jbp_revenue_attainment"
        assert len(pids) == 1
        (pid,) = pids
        # Like with like: revenue of the quarters that have a commitment, against those commitments.
        committed = [
            (fy, q)
            for fy, q in s.quarters
            if self.plan_figures(pid, Span(s.start_month, "quarter", ((fy, q),)))[0]
        ]
        revenue = sum(
            (self.booked(pids, *quarter_dates(s.start_month, fy, q)) for fy, q in committed), Fraction(0)
        )
        return {"revenue": revenue, "commitment": self.plan_figures(pid, s)[0]}

    def booked(self, pids: set, start: date, end: date, sourced_only: bool = False) -> Fraction:
        # Partner-sourced: on an account where that partner won a registration it sourced.
        won: dict[tuple, date] = {}  # (partner, account) → the first month a sourced deal was won
        for d in self.world.deals:
            if d["status"] == "won" and d["role"] == "sourced":
                month, key = d["closed_on"].replace(day=1), (d["partner_id"], d["account"])
                won[key] = min(won.get(key, month), month)
        return sum(
            (
                reporting(r["amount"], r["currency"])
                for r in self.world.revenue
                if r["partner"] in pids
                and r["kind"] in BOOKINGS
                and start <= r["period"] <= end
                and (not sourced_only or won.get((r["partner"], r["account"]), date.max) <= r["period"])
            ),
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
    "revenue_sourced": lambda p: p["value"],
    "revenue_growth": lambda p: None if not p["amount_before"] else p["amount_now"] / p["amount_before"] - 1,
    "nrr": lambda p: _ratio(p["arr_now"], p["arr_then"]),
    "active_certifications": lambda p: p["n"],
    "jbp_mdf_commitment": lambda p: p["value"],
    "jbp_revenue_attainment": lambda p: _ratio(p["revenue"], p["commitment"]),
}
