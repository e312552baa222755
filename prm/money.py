"""Money: Decimal amounts with an ISO currency, converted to the tenant's reporting currency.

Every amount is stored as entered (amount + currency) and, beside it, in the tenant's
reporting currency at the rate the tenant has set (``Tenant.settings["exchange_rates"]``:
units of reporting currency per unit of the foreign one). Reports and metrics add up only the
reporting-currency column, so they never mix currencies.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError

CENT = Decimal("0.01")


def to_reporting(amount: Decimal, currency: str, *, tenant) -> Decimal:
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


def accepted_currencies(tenant) -> list[str]:
    """The reporting currency first, then every currency with a rate."""
    rates = (tenant.settings or {}).get("exchange_rates", {})
    return [tenant.currency, *sorted(c for c in rates if c != tenant.currency)]
