"""Formatting of plan figures: metric values by unit, attainment as a percentage with a tone."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from prm.metrics import display, half_up

register = template.Library()


def _dec(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def metric_value(value: object, unit: str) -> str:
    """1,250,000 for money, 25.13 % for ratios, 12 for counts; an em dash for no value (the
    catalog's display rule, half-up)."""
    number = _dec(value)
    if number is None:
        return "—"
    if unit in ("ratio", "money"):
        return display(number, unit)
    return (
        intcomma(f"{number.normalize():f}")
        if number == number.to_integral()
        else f"{half_up(number, '0.01')}"
    )


@register.filter
def pct(value: object) -> str:
    """An attainment in whole per cent, rounded half-up."""
    number = _dec(value)
    return "—" if number is None else f"{half_up(number * 100, '1')} %"


@register.filter
def tone(value: object) -> str:
    """The badge class of an attainment: ok from 90 %, warn from 70 %, bad below."""
    number = _dec(value)
    if number is None:
        return ""
    if number >= Decimal("0.9"):
        return "ok"
    return "warn" if number >= Decimal("0.7") else "bad"


@register.filter
def bar_width(value: object) -> str:
    number = _dec(value)
    return "0" if number is None else f"{half_up(min(number * 100, Decimal(100)), '1')}"


@register.filter
def money(value: object) -> str:
    number = _dec(value)
    return "—" if number is None else display(number, "money")


@register.filter
def lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]
