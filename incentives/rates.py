"""Rebate rate-table math, pure and Decimal end to end.

A rate table is a list of bands: from ``threshold`` of basis upward, ``rate`` percent.

- **Retroactive**: the whole basis earns the rate of the highest band reached.
- **Marginal**: each slice of the basis earns the rate of the band it falls in.
- **Accelerator**: when earned, ``accelerator`` percentage points on the whole basis, as a line
  of its own (the same in both methods).
- **Cap**: the total never exceeds it.

Rounding (documented, tested): every line is rounded to the cent, half-up (``ROUND_HALF_UP``:
1.005 → 1.01); the total is the sum of the rounded lines, then capped, so a statement always
adds up to the cent exactly as printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    """``value`` rounded to the cent, half-up: the one rounding rule of incentives."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Band:
    threshold: Decimal
    rate: Decimal  # percent: 2.5 means 2.5 %


@dataclass
class RebateResult:
    basis: Decimal
    amount: Decimal
    lines: list[dict] = field(default_factory=list)
    accelerated: bool = False
    capped: bool = False
    rate: Decimal = ZERO  # the reached band's rate (for display)

    def as_json_lines(self) -> list[dict]:
        return [{k: str(v) if isinstance(v, Decimal) else v for k, v in line.items()} for line in self.lines]


def _sorted(bands: Sequence[Band]) -> list[Band]:
    return sorted(bands, key=lambda b: b.threshold)


def compute_rebate(
    *,
    basis: Decimal,
    bands: Sequence[Band],
    method: str,
    accelerator: Decimal | None = None,
    accelerated: bool = False,
    cap: Decimal | None = None,
) -> RebateResult:
    """The rebate on ``basis`` by the rate table, with one explained line per part."""
    basis = cents(max(basis, ZERO))
    table = _sorted(bands)
    reached = [b for b in table if b.threshold <= basis]
    top = reached[-1] if reached else None
    if method == "marginal":
        lines = _marginal_lines(basis, table, reached)
    else:
        lines = [_retroactive_line(basis, top)] if top is not None else []
    if accelerated and accelerator:
        lines.append(_accelerator_line(basis, accelerator))
    total = sum((line["amount"] for line in lines), ZERO)
    capped = cap is not None and total > cap
    if cap is not None and capped:
        lines.append(
            {
                "kind": "cap",
                "amount": cap - total,
                "text": f"Capped at {cap:,.2f}: {total - cap:,.2f} not earned",
            }
        )
        total = cents(cap)
    return RebateResult(
        basis=basis,
        amount=total,
        lines=lines,
        accelerated=bool(accelerated and accelerator),
        capped=capped,
        rate=top.rate if top else ZERO,
    )


def _marginal_lines(basis: Decimal, table: list[Band], reached: list[Band]) -> list[dict[str, Any]]:
    """One line per band reached: the part of the basis inside the band at the band's rate."""
    lines = []
    for index, band in enumerate(reached):
        upper = table[index + 1].threshold if index + 1 < len(table) else None
        slice_end = basis if upper is None or basis < upper else upper
        portion = slice_end - band.threshold
        if portion <= 0:
            continue
        lines.append(
            {
                "kind": "band",
                "from": band.threshold,
                "to": upper,
                "portion": portion,
                "rate": band.rate,
                "amount": cents(portion * band.rate / HUNDRED),
                "text": f"{portion:,.2f} in the band from {band.threshold:,.2f} at {band.rate.normalize():f} %",
            }
        )
    return lines


def _retroactive_line(basis: Decimal, top: Band) -> dict[str, Any]:
    """The whole basis at the rate of the highest band reached."""
    return {
        "kind": "band",
        "from": top.threshold,
        "to": None,
        "portion": basis,
        "rate": top.rate,
        "amount": cents(basis * top.rate / HUNDRED),
        "text": f"{basis:,.2f} (whole volume, band from {top.threshold:,.2f} reached) at {top.rate.normalize():f} %",
    }


def _accelerator_line(basis: Decimal, accelerator: Decimal) -> dict[str, Any]:
    return {
        "kind": "accelerator",
        "portion": basis,
        "rate": accelerator,
        "amount": cents(basis * accelerator / HUNDRED),
        "text": f"Accelerator: {basis:,.2f} at +{accelerator.normalize():f} % (plan target attained)",
    }
