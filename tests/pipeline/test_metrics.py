"""The pipeline metrics of the catalog, against numbers worked out by hand.

The fixture is one tenant whose fiscal year starts in April (so FY2026-Q2 is July to September
2025) and whose reporting currency is USD with 1 EUR = 1.10 USD. Three partners: P1 with deals
in and out of the period in both roles and revenue that expands and contracts, P2 with lost deals
and revenue that churns, P3 with nothing. Every expected value below is computed in the comment
beside it, not by code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import prm.metrics
from pipeline import services
from pipeline.models import Account, DealRegistration, RevenueRecord
from prm.access import TenantAccess
from prm.periods import parse_period
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.partners.factories import CertificationFactory, PartnerFactory
from tests.prm.factories import MembershipFactory, TenantFactory

PERIOD = "FY2026-Q2"  # 1 July – 30 September 2025 with an April fiscal year
PIPELINE_KEYS = [
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
ALL_KEYS = [*PIPELINE_KEYS, "active_certifications"]

# key → value for P1, P2, P3 (None: undefined, e.g. a ratio without a base).
EXPECTED: dict[str, tuple] = {
    # P1: 1000 (submitted) + 2000 EUR = 2200 (won) + 500 (last evening of the period) + 700 (won after it);
    # not the rejected 800, nor the 4000 submitted before the period. P2: 300. P3: nothing.
    "pipeline_sourced": (Decimal("4400.00"), Decimal("300.00"), Decimal("0.00")),
    # P1: 1500 (lost); not the 600 submitted after the period. P2: 1000 EUR = 1100.
    "pipeline_influenced": (Decimal("1500.00"), Decimal("1100.00"), Decimal("0.00")),
    # P1: won 20 Sep (2500 EUR = 2750) and 15 Jul (3000); the one won 5 Oct is outside. P2: none.
    "deals_won_count": (2, 0, 0),
    "deals_won_amount": (Decimal("5750.00"), Decimal("0.00"), Decimal("0.00")),
    # P1: 2 won ÷ (2 won + 1 lost). P2: 0 ÷ 2 lost. P3: nothing decided.
    "win_rate": (Decimal("0.6667"), Decimal("0.0000"), None),
    # P1: 5750 ÷ 2. P2 and P3: nothing won.
    "average_deal_size": (Decimal("2875.00"), None, None),
    # P1: expansion 500 (Aug 2025) + one-time booking 700 (Sep 2025); the contraction is not revenue.
    # P2: renewal 1200 (Sep 2025); the expansion of Oct 2025 is after the period.
    "revenue": (Decimal("1200.00"), Decimal("1200.00"), Decimal("0.00")),
    # Oct 2024 – Sep 2025. P1: 300 (new, Jan) + 1300 (renewal, Mar) + 500 + 700. P2: 1200.
    "revenue_ttm": (Decimal("2800.00"), Decimal("1200.00"), Decimal("0.00")),
    # Jul–Sep 2025 against Jul–Sep 2024. P1: 1200 ÷ 300 (expansion, Aug 2024) − 1. P2: 1200 ÷ 1200 − 1.
    "revenue_growth": (Decimal("3.0000"), Decimal("0.0000"), None),
    # ARR at 30 Sep 2024 (the cohort) and at 30 Sep 2025.
    # P1: A1 1000 + 300 → 1300 + 500 (renewal keeps it, one-time is not ARR) = 1800;
    #     A2 2000 EUR = 2200 → 2200 − 200 EUR = 1980; A3 is new since (not in the cohort).
    #     (1800 + 1980) ÷ (1300 + 2200) = 3780 ÷ 3500.
    # P2: B1 800 → churned 0; B2 1200 (new in Sep 2024, in the cohort) → 1200. 1200 ÷ 2000.
    "nrr": (Decimal("1.0800"), Decimal("0.6000"), None),
    # P1: earned 2024 without expiry, and one expiring on the period's last day; not the one that
    # expired the day before, the one earned after the period, nor the archived one. P2: one.
    "active_certifications": (2, 1, 0),
}


@dataclass
class MetricWorld:
    tenant: object
    partners: list  # P1, P2, P3
    manager: TenantAccess
    partner_user: object  # a user of P1

    @property
    def period(self):
        return parse_period(PERIOD, self.tenant.fiscal_year_start_month)

    def expected(self, key: str) -> dict[int, object]:
        return {p.pk: value for p, value in zip(self.partners, EXPECTED[key], strict=True)}


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class _Desk:
    """Registers deals through the services, then moves their submission date into the past."""

    def __init__(self, access: TenantAccess) -> None:
        self.access = access
        self.n = 0

    def deal(
        self,
        partner,
        *,
        role: str,
        amount: str,
        submitted: datetime,
        currency: str = "USD",
        outcome: str = "",
        closed_on: date | None = None,
        won_amount: str | None = None,
    ) -> DealRegistration:
        self.n += 1
        registration = services.registration_submit(
            access=self.access,
            account_name=f"Customer {self.n}",
            account_domain=f"customer{self.n}.example",
            partner_id=partner.pk,
            fields={
                "opportunity_name": f"Deal {self.n}",
                "products": "Suite",
                "amount": Decimal(amount),
                "currency": currency,
                "expected_close_date": timezone.localdate(),
                "partner_role": role,
            },
        )
        # Dated before it is decided: a deal cannot close before it was registered.
        DealRegistration.objects.filter(pk=registration.pk).update(submitted_at=submitted)
        if outcome == "rejected":
            services.registration_reject(
                access=self.access, registration=registration, reason="Not qualified."
            )
        elif outcome in {"won", "lost"}:
            services.registration_approve(access=self.access, registration=registration)
            services.registration_close(
                access=self.access,
                registration=registration,
                won=outcome == "won",
                closed_on=closed_on,
                amount=Decimal(won_amount) if won_amount else None,
            )
        return registration


def build_metric_world(slug: str = "metrics", extra_partners: int = 0) -> MetricWorld:
    tenant = TenantFactory(
        slug=slug,
        name="Metrics Vendor",
        currency="USD",
        fiscal_year_start_month=4,
        settings={"exchange_rates": {"EUR": "1.10"}},
    )
    p1, p2, p3 = (PartnerFactory(tenant=tenant, name=f"Metric Partner {n}") for n in (1, 2, 3))
    for n in range(extra_partners):
        PartnerFactory(tenant=tenant, name=f"Extra Partner {n}")
    manager = TenantAccess.from_membership(MembershipFactory(tenant=tenant, role=Role.MANAGER))
    partner_user = MembershipFactory(tenant=tenant, role=Role.PARTNER_USER, partner=p1).user
    sourced, influenced = DealRegistration.Role.SOURCED, DealRegistration.Role.INFLUENCED
    with tenant_context(tenant):
        desk = _Desk(manager)
        desk.deal(p1, role=sourced, amount="1000", submitted=_at(date(2025, 7, 10)))
        desk.deal(
            p1,
            role=sourced,
            amount="2000",
            currency="EUR",
            submitted=_at(date(2025, 8, 5)),
            outcome="won",
            closed_on=date(2025, 9, 20),
            won_amount="2500",
        )
        desk.deal(p1, role=sourced, amount="500", submitted=_at(date(2025, 9, 30), hour=23))
        desk.deal(p1, role=sourced, amount="800", submitted=_at(date(2025, 8, 1)), outcome="rejected")
        desk.deal(
            p1,
            role=sourced,
            amount="4000",
            submitted=_at(date(2025, 6, 30), hour=23),
            outcome="won",
            closed_on=date(2025, 7, 15),
            won_amount="3000",
        )
        desk.deal(
            p1,
            role=influenced,
            amount="1500",
            submitted=_at(date(2025, 7, 20)),
            outcome="lost",
            closed_on=date(2025, 8, 30),
        )
        desk.deal(p1, role=influenced, amount="600", submitted=_at(date(2025, 10, 1), hour=0))
        desk.deal(
            p1,
            role=sourced,
            amount="700",
            submitted=_at(date(2025, 9, 1)),
            outcome="won",
            closed_on=date(2025, 10, 5),
            won_amount="700",
        )
        desk.deal(
            p2,
            role=influenced,
            amount="1000",
            currency="EUR",
            submitted=_at(date(2025, 7, 1), hour=0),
            outcome="lost",
            closed_on=date(2025, 7, 31),
        )
        desk.deal(
            p2,
            role=sourced,
            amount="300",
            submitted=_at(date(2025, 9, 15)),
            outcome="lost",
            closed_on=date(2025, 9, 30),
        )

        a1, a2, a3, b1, b2 = (
            Account.objects.create(name=name, domain=f"{name.lower()}.example")
            for name in ("A1", "A2", "A3", "B1", "B2")
        )
        kind = RevenueRecord.Kind
        rows = [
            (a1, p1, date(2024, 3, 1), kind.NEW, True, "1000", "USD"),
            (a1, p1, date(2024, 8, 1), kind.EXPANSION, True, "300", "USD"),
            (a1, p1, date(2025, 3, 1), kind.RENEWAL, True, "1300", "USD"),
            (a1, p1, date(2025, 8, 1), kind.EXPANSION, True, "500", "USD"),
            (a1, p1, date(2025, 9, 1), kind.NEW, False, "700", "USD"),
            (a1, None, date(2025, 8, 1), kind.NEW, True, "5000", "USD"),  # direct: nobody's
            (a2, p1, date(2024, 6, 1), kind.NEW, True, "2000", "EUR"),
            (a2, p1, date(2025, 5, 1), kind.CONTRACTION, True, "200", "EUR"),
            (a3, p1, date(2025, 1, 1), kind.NEW, True, "300", "USD"),
            (b1, p2, date(2024, 1, 1), kind.NEW, True, "800", "USD"),
            (b1, p2, date(2025, 4, 1), kind.CHURN, True, "800", "USD"),
            (b2, p2, date(2024, 9, 1), kind.NEW, True, "1200", "USD"),
            (b2, p2, date(2025, 9, 1), kind.RENEWAL, True, "1200", "USD"),
            (b2, p2, date(2025, 10, 1), kind.EXPANSION, True, "100", "EUR"),
        ]
        services.revenue_records_bulk_create(
            access=manager,
            rows=[
                {
                    "account": account,
                    "partner": partner,
                    "period": period,
                    "kind": k,
                    "recurring": recurring,
                    "amount": Decimal(amount),
                    "currency": currency,
                }
                for account, partner, period, k, recurring, amount, currency in rows
            ],
        )
    for partner, earned, expires, archived in [
        (p1, date(2024, 1, 1), None, False),
        (p1, date(2025, 1, 1), date(2025, 9, 30), False),
        (p1, date(2024, 1, 1), date(2025, 9, 29), False),
        (p1, date(2025, 10, 1), None, False),
        (p1, date(2024, 1, 1), None, True),
        (p2, date(2025, 2, 1), date(2026, 2, 1), False),
    ]:
        CertificationFactory(
            partner=partner,
            earned_on=earned,
            expires_on=expires,
            archived_at=timezone.now() if archived else None,
        )
    return MetricWorld(tenant=tenant, partners=[p1, p2, p3], manager=manager, partner_user=partner_user)


@pytest.fixture
def metric_world(db) -> MetricWorld:
    return build_metric_world()


def test_the_catalog_holds_every_metric_with_a_definition():
    keys = {metric.key for metric in prm.metrics.catalog()}
    assert set(ALL_KEYS) <= keys
    for key in ALL_KEYS:
        metric = prm.metrics.get(key)
        assert metric.label, key
        assert metric.unit in {"money", "count", "ratio"}, key
        assert len(metric.definition) > 30, key


@pytest.mark.parametrize("key", ALL_KEYS)
def test_each_metric_equals_the_hand_computation_in_one_query(metric_world, key):
    metric = prm.metrics.get(key)
    ids = [p.pk for p in metric_world.partners]
    with tenant_context(metric_world.tenant), CaptureQueriesContext(connection) as queries:
        values = metric.compute(tenant=metric_world.tenant, partner_ids=ids, period=metric_world.period)
    assert values == metric_world.expected(key)
    assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]


def test_nrr_differs_by_partner_and_leaves_new_accounts_out_of_the_cohort(metric_world):
    with tenant_context(metric_world.tenant):
        values = prm.metrics.get("nrr").compute(
            tenant=metric_world.tenant,
            partner_ids=[p.pk for p in metric_world.partners],
            period=metric_world.period,
        )
    p1, p2, _ = metric_world.partners
    assert values[p1.pk] > 1 > values[p2.pk]


def test_a_fiscal_year_adds_up_its_quarters(metric_world):
    """FY2026 (April 2025 – March 2026) holds every deal of the fixture submitted from April 2025."""
    year = parse_period("FY2026", 4)
    ids = [p.pk for p in metric_world.partners]
    with tenant_context(metric_world.tenant):
        sourced = prm.metrics.get("pipeline_sourced").compute(
            tenant=metric_world.tenant, partner_ids=ids, period=year
        )
        won = prm.metrics.get("deals_won_count").compute(
            tenant=metric_world.tenant, partner_ids=ids, period=year
        )
    # P1: the four sourced deals of the quarter + the 4000 submitted on 30 June 2025.
    assert sourced[ids[0]] == Decimal("8400.00")
    assert won[ids[0]] == 3  # the one won on 5 October 2025 too


def test_metrics_read_the_current_tenant_only(metric_world, world_b):
    ids = [p.pk for p in metric_world.partners]
    with tenant_context(world_b.tenant):
        values = prm.metrics.get("pipeline_sourced").compute(
            tenant=world_b.tenant, partner_ids=ids, period=metric_world.period
        )
    assert values == dict.fromkeys(ids, Decimal("0.00"))


def test_a_metric_of_no_partners_runs_no_query(metric_world, django_assert_num_queries):
    with tenant_context(metric_world.tenant), django_assert_num_queries(0):
        assert (
            prm.metrics.get("nrr").compute(
                tenant=metric_world.tenant, partner_ids=[], period=metric_world.period
            )
            == {}
        )
