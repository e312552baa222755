"""Rate-table math with worked examples computed by hand.

Table used throughout: from 0 → 1 %, from 100,000 → 2 %, from 250,000 → 3 %.
"""

from __future__ import annotations

from decimal import Decimal

from incentives.rates import Band, cents, compute_rebate

D = Decimal
TABLE = [Band(D("250000"), D("3")), Band(D("0"), D("1")), Band(D("100000"), D("2"))]  # order does not matter


def amounts(result):
    return [line["amount"] for line in result.lines]


def test_retroactive_pays_the_whole_volume_at_the_reached_rate():
    # 180,000.55 reaches the 2 % band: 180,000.55 × 2 % = 3,600.011 → 3,600.01
    result = compute_rebate(basis=D("180000.55"), bands=TABLE, method="retroactive")
    assert result.amount == D("3600.01")
    assert result.rate == D("2")
    assert "whole volume" in result.lines[0]["text"]


def test_marginal_pays_each_band_at_its_own_rate():
    # 100,000.00 × 1 % = 1,000.00; 80,000.55 × 2 % = 1,600.011 → 1,600.01; total 2,600.01
    result = compute_rebate(basis=D("180000.55"), bands=TABLE, method="marginal")
    assert amounts(result) == [D("1000.00"), D("1600.01")]
    assert result.amount == D("2600.01")


def test_marginal_across_three_bands():
    # 100,000 × 1 % = 1,000; 150,000 × 2 % = 3,000; 50,000 × 3 % = 1,500; total 5,500.00
    result = compute_rebate(basis=D("300000"), bands=TABLE, method="marginal")
    assert amounts(result) == [D("1000.00"), D("3000.00"), D("1500.00")]
    assert result.amount == D("5500.00")
    # Retroactive on the same basis: 300,000 × 3 % = 9,000.00
    assert compute_rebate(basis=D("300000"), bands=TABLE, method="retroactive").amount == D("9000.00")


def test_accelerator_adds_points_on_the_whole_basis_only_when_earned():
    # +1 % on 180,000.55 = 1,800.0055 → 1,800.01 (half-up); retro 3,600.01 + 1,800.01 = 5,400.02
    retro = compute_rebate(
        basis=D("180000.55"), bands=TABLE, method="retroactive", accelerator=D("1"), accelerated=True
    )
    assert amounts(retro) == [D("3600.01"), D("1800.01")]
    assert retro.amount == D("5400.02")
    assert retro.accelerated
    # marginal 2,600.01 + 1,800.01 = 4,400.02
    marginal = compute_rebate(
        basis=D("180000.55"), bands=TABLE, method="marginal", accelerator=D("1"), accelerated=True
    )
    assert marginal.amount == D("4400.02")
    not_earned = compute_rebate(
        basis=D("180000.55"), bands=TABLE, method="marginal", accelerator=D("1"), accelerated=False
    )
    assert not_earned.amount == D("2600.01")
    assert not not_earned.accelerated


def test_cap_limits_the_total_and_says_so():
    # 5,400.02 capped at 5,000.00: a cap line of −400.02
    result = compute_rebate(
        basis=D("180000.55"),
        bands=TABLE,
        method="retroactive",
        accelerator=D("1"),
        accelerated=True,
        cap=D("5000"),
    )
    assert result.amount == D("5000.00")
    assert result.capped
    assert result.lines[-1]["amount"] == D("-400.02")
    assert sum(amounts(result)) == result.amount  # the statement adds up as printed


def test_below_the_first_threshold_nothing_is_earned():
    table = [Band(D("50000"), D("2"))]
    assert compute_rebate(basis=D("49999.99"), bands=table, method="retroactive").amount == D("0.00")
    assert compute_rebate(basis=D("49999.99"), bands=table, method="marginal").lines == []


def test_rounding_is_to_the_cent_half_up_on_each_line():
    # 100.50 × 1 % = 1.005 → 1.01 (half-up; banker's rounding would give 1.00)
    assert compute_rebate(basis=D("100.50"), bands=[Band(D("0"), D("1"))], method="retroactive").amount == D(
        "1.01"
    )
    # 0.5 cent rounds up, 0.49 cent down
    assert cents(D("2.345")) == D("2.35")
    assert cents(D("2.3449")) == D("2.34")
    # Lines are rounded each, and the total is their sum: 100.50 × 1 % = 1.005 → 1.01 and
    # 100.50 × 0.5 % = 0.5025 → 0.50; total 1.51 (rounding the unrounded sum 1.5075 gives 1.51 too)
    accelerated = compute_rebate(
        basis=D("100.50"),
        bands=[Band(D("0"), D("1"))],
        method="retroactive",
        accelerator=D("0.5"),
        accelerated=True,
    )
    assert amounts(accelerated) == [D("1.01"), D("0.50")]
    assert accelerated.amount == D("1.51")
    assert all(isinstance(a, Decimal) for a in amounts(accelerated))
