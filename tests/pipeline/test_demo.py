"""The demo pipeline tells the truth: its rows keep the invariants the services keep, it has what
the pages and metrics need to be non-trivial, and seeding again changes nothing."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import pairwise

import pytest
from django.db.models import Avg, Count, Q
from django.utils import timezone

import prm.metrics
from partners import demo as partners_demo
from pipeline import demo
from pipeline.models import DealConflict, DealRegistration, RevenueRecord, VendorOpportunity
from prm.models import Tenant
from prm.money import to_reporting
from prm.periods import fiscal_quarter_of
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.prm.factories import MembershipFactory, TenantFactory
from tiering import demo as tiering_demo

Status = DealRegistration.Status


@pytest.fixture
def seeded(db):
    return seed_demo_tenant()


def seed_demo_tenant():
    """The acme demo tenant with its partners and pipeline: (tenant, staff, seconds to seed)."""
    tenant = TenantFactory(slug="acme", name="Acme Cloud", currency="USD", fiscal_year_start_month=2)
    staff = {
        role: MembershipFactory(tenant=tenant, role=role).user
        for role in (Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.EXECUTIVE)
    }
    with tenant_context(tenant):
        partners_demo.seed(tenant=tenant, staff=staff)
        tiering_demo.seed(tenant=tenant, staff=staff)  # the apps' seed order: partners, tiering, pipeline
        started = time.monotonic()
        assert demo.seed(tenant=tenant, staff=staff) == {}
        seconds = time.monotonic() - started
    tenant.refresh_from_db()
    return tenant, staff, seconds


def test_demo_pipeline_has_every_status_role_and_a_few_hundred_deals(seeded):
    tenant, _staff, seconds = seeded
    today = timezone.localdate()
    with tenant_context(tenant):
        registrations = list(DealRegistration.objects.select_related("partner__tier"))
        portal = Counter(
            DealRegistration.objects.filter(partner__domain="northwindsystems.example").values_list(
                "status", flat=True
            )
        )
        quarter = fiscal_quarter_of(today, tenant.fiscal_year_start_month)
        quarters = [quarter]
        for _ in range(7):
            quarters.append(quarters[-1].previous())
        per_quarter = [
            DealRegistration.objects.filter(
                submitted_at__date__gte=q.start, submitted_at__date__lte=q.end
            ).count()
            for q in quarters
        ]

    assert seconds < 10
    assert 250 <= len(registrations) <= 350
    statuses = Counter(r.status for r in registrations)
    assert set(statuses) == set(Status.values)
    assert statuses[Status.WON] > statuses[Status.SUBMITTED]
    assert set(portal) == set(Status.values)  # the demo portal partner shows every status
    assert all(count > 0 for count in per_quarter)  # spread over the last eight fiscal quarters
    assert sum(per_quarter) == len(registrations)
    roles = Counter(r.partner_role for r in registrations)
    assert roles[DealRegistration.Role.SOURCED] > roles[DealRegistration.Role.INFLUENCED] > 20
    currencies = Counter(r.currency for r in registrations)
    assert currencies.most_common(1)[0][0] == "USD"  # the tenant's own currency leads (others convert)
    assert len(currencies) > 1  # some in the partners' own currencies, at the tenant's rates
    assert set(currencies) <= {"USD", *tenant.settings["exchange_rates"]}

    sla = timezone.now() - timedelta(hours=48)
    submitted = [r for r in registrations if r.status == Status.SUBMITTED]
    assert any(r.submitted_at > sla for r in submitted)  # fresh
    assert any(r.submitted_at <= sla and r.sla_escalated_at is None for r in submitted)  # for the beat task
    approved = [r for r in registrations if r.status == Status.APPROVED]
    lapsed = [r for r in approved if r.protected_until < today]
    assert 0 < len(lapsed) < len(approved) / 2  # the expiry job has some work, most are protected
    assert any(r.extension_requested_at for r in approved)
    assert any(r.extensions for r in approved)


def test_demo_rows_keep_the_services_invariants(seeded):
    tenant, staff, _seconds = seeded
    today, now = timezone.localdate(), timezone.now()
    with tenant_context(tenant):
        registrations = list(DealRegistration.objects.prefetch_related("status_changes"))
        links = set(DealConflict.objects.values_list("registration_id", "other_id"))
        vendor_accounts = set(
            VendorOpportunity.objects.filter(is_open=True).values_list("account_id", flat=True)
        )

    paths = {
        Status.SUBMITTED: ["submitted"],
        Status.APPROVED: ["submitted", "approved"],
        Status.REJECTED: ["submitted", "rejected"],
        Status.WON: ["submitted", "approved", "won"],
        Status.LOST: ["submitted", "approved", "lost"],
        Status.EXPIRED: ["submitted", "approved", "expired"],
    }
    open_by_account = defaultdict(list)
    for r in registrations:
        moves = list(r.status_changes.all())
        assert [m.to_status for m in moves] == paths[r.status], r.pk
        assert [m.from_status for m in moves] == ["", *paths[r.status][:-1]]
        assert all(a.created_at <= b.created_at <= now for a, b in pairwise(moves))
        assert r.created_at == r.submitted_at == moves[0].created_at
        assert r.amount_reporting == to_reporting(r.amount, r.currency, tenant=tenant)
        if r.status == Status.REJECTED:
            assert r.decision_reason
            assert moves[-1].reason == r.decision_reason
        if r.status in (Status.APPROVED, Status.WON, Status.LOST, Status.EXPIRED):
            assert r.protected_until is not None
            assert r.decided_at is not None
        if r.status in (Status.WON, Status.LOST):
            assert r.closed_on is not None
            assert r.closed_on < today
        if r.status == Status.WON:
            assert r.closed_amount > 0
            assert r.closed_amount_reporting == to_reporting(r.closed_amount, r.currency, tenant=tenant)
        else:
            assert r.closed_amount is None
        if r.status == Status.EXPIRED:
            assert r.protected_until < today
            assert moves[-1].reason == "Protection period ended."
        if r.sales_rep_id is not None:
            assert r.sales_rep_id in {u.pk for u in staff.values()}
        if r.status == Status.SUBMITTED or (r.status == Status.APPROVED and r.protected_until >= today):
            open_by_account[r.account_id].append(r)

    # Conflicts: every two open registrations of different partners on one account are linked
    # both ways and flagged; some such conflicts are waiting for a decision.
    pairs = 0
    for regs in open_by_account.values():
        for a in regs:
            for b in regs:
                if a.partner_id != b.partner_id:
                    pairs += 1
                    assert (a.pk, b.pk) in links
    assert pairs >= 6
    assert all((b, a) in links for a, b in links)
    by_pk = {r.pk: r for r in registrations}
    assert all(by_pk[a].has_conflict for a, _b in links)
    for regs in open_by_account.values():
        for r in regs:
            linked = any(a == r.pk for a, _b in links)
            assert r.has_conflict == (linked or r.account_id in vendor_accounts)


def test_demo_metrics_are_non_trivial_and_nrr_differs_by_partner(seeded):
    tenant, _staff, _seconds = seeded
    with tenant_context(tenant):
        partner_ids = list(DealRegistration.objects.values_list("partner_id", flat=True).distinct())
        period = fiscal_quarter_of(timezone.localdate(), tenant.fiscal_year_start_month).previous()
        nrr = prm.metrics.get("nrr").compute(tenant=tenant, partner_ids=partner_ids, period=period)
        revenue = prm.metrics.get("revenue").compute(tenant=tenant, partner_ids=partner_ids, period=period)
        by_class = {
            row["partner__tier__classification"]: row
            for row in DealRegistration.objects.values("partner__tier__classification").annotate(
                won=Count("pk", filter=Q(status=Status.WON)),
                decided=Count("pk", filter=Q(status__in=[Status.WON, Status.LOST])),
                size=Avg("closed_amount_reporting", filter=Q(status=Status.WON)),
            )
        }
        kinds = Counter(RevenueRecord.objects.values_list("kind", "recurring"))
        months = list(RevenueRecord.objects.dates("period", "month"))

    values = [v for v in nrr.values() if v is not None]
    assert len(values) >= 10
    assert any(v > 1 for v in values)
    assert any(v < 0.9 for v in values)
    assert sum(1 for v in revenue.values() if v) >= 10
    strategic, tactical = by_class["strategic"], by_class["tactical"]
    assert strategic["won"] / strategic["decided"] > tactical["won"] / tactical["decided"]
    assert strategic["size"] > 2 * tactical["size"]
    for kind in RevenueRecord.Kind.values:
        assert kinds[(kind, True)] > 0, kind
    assert kinds[(RevenueRecord.Kind.NEW, False)] > 0  # one-time bookings
    assert len(months) >= 22  # two years of months


def test_seeding_again_changes_nothing(seeded):
    tenant, staff, _seconds = seeded

    def counts():
        with tenant_context(tenant):
            return (
                DealRegistration.objects.count(),
                RevenueRecord.objects.count(),
                DealConflict.objects.count(),
            )

    before = counts()
    with tenant_context(tenant):
        demo.seed(tenant=tenant, staff=staff)
    assert counts() == before
    assert Tenant.objects.get(pk=tenant.pk).settings == tenant.settings
