"""Money leaves the database layer as a Decimal to the cent, half-up, on every backend."""

from decimal import Decimal

import pytest
from django.db.models import DecimalField, Value

from prm.models import Tenant
from prm.money import MoneySum, cents
from tests.prm.factories import TenantFactory


@pytest.mark.django_db
def test_a_money_sum_has_cents_whatever_the_database():
    TenantFactory.create_batch(2)
    amount = Value(Decimal("700"), output_field=DecimalField(max_digits=12, decimal_places=2))

    total = Tenant.objects.aggregate(total=MoneySum(amount))["total"]

    assert str(total) == "1400.00"


@pytest.mark.django_db
def test_a_money_sum_of_nothing_is_none_so_the_caller_says_what_empty_means():
    amount = Value(Decimal("1"), output_field=DecimalField(max_digits=12, decimal_places=2))

    assert Tenant.objects.none().aggregate(total=MoneySum(amount))["total"] is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1400, "1400.00"),
        (1400.0, "1400.00"),
        (Decimal("147103.925"), "147103.93"),
        (0.125, "0.13"),
        (None, None),
    ],
)
def test_cents_rounds_half_up_once(raw, expected):
    value = cents(raw)
    assert (None if value is None else str(value)) == expected
