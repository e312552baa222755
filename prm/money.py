"""Money: Decimal amounts with an ISO currency, converted to the tenant's reporting currency.

Every amount is stored as entered (amount + currency) and, beside it, in the tenant's
reporting currency at the rate the tenant has set (``Tenant.settings["exchange_rates"]``:
units of reporting currency per unit of the foreign one). Reports and metrics add up only the
reporting-currency column, so they never mix currencies.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import DecimalField, Sum

if TYPE_CHECKING:  # models import money for its validators
    from .models import Tenant

CENT = Decimal("0.01")


def to_reporting(amount: Decimal, currency: str, *, tenant: Tenant) -> Decimal:
    """``amount`` in ``currency`` expressed in the tenant's reporting currency (rounded to cents)."""
    currency = currency.upper()
    if currency == tenant.currency:
        return amount.quantize(CENT, ROUND_HALF_UP)
    rates = (tenant.settings or {}).get("exchange_rates", {})
    try:
        rate = Decimal(str(rates[currency]))
    except (KeyError, InvalidOperation):
        raise ValidationError(
            {"currency": f"No exchange rate from {currency} to {tenant.currency} is set for this program."}
        ) from None
    return (amount * rate).quantize(CENT, ROUND_HALF_UP)


def accepted_currencies(tenant: Tenant) -> list[str]:
    """The reporting currency first, then every currency with a rate."""
    rates = (tenant.settings or {}).get("exchange_rates", {})
    return [tenant.currency, *sorted(c for c in rates if c != tenant.currency)]


def cents(value: Decimal | float | int | None) -> Decimal | None:
    """A money amount as it leaves the database layer: a Decimal to the cent, half-up (None stays None).

    SQLite hands back sums of decimals as floats (``1400`` for 1,400.00) and PostgreSQL as
    numerics with the column's scale; both become ``Decimal("1400.00")`` here, once.
    """
    if value is None:
        return None
    if isinstance(value, float):
        value = Decimal(repr(value))
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


class MoneySum(Sum):
    """``Sum`` of a money column, returned as a Decimal to the cent on every database backend."""

    output_field = DecimalField(max_digits=18, decimal_places=2)

    def get_db_converters(self, connection: BaseDatabaseWrapper) -> list[Callable[..., Any]]:
        return [*super().get_db_converters(connection), _cents_converter]


def _cents_converter(value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Decimal | None:
    return cents(value)
