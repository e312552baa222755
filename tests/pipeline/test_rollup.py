"""The quarter totals (``pipeline.rollup``) stay equal to the base tables after every write: each
registration service, revenue creation alone and in bulk, queryset updates and deletes, an account
merge, and a change of the fiscal year start (rebuilt); a tenant without a current rollup reads
the base tables until ``rebuild_rollups`` builds it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.management import call_command
from django.utils import timezone

from pipeline import rollup, services
from pipeline.models import DealRegistration, PipelineRollupState, RevenueRecord
from prm.metrics import get
from prm.periods import fiscal_quarter_of
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.partners.factories import PartnerFactory
from tests.pipeline.factories import AccountFactory, DealRegistrationFactory

Status = DealRegistration.Status


def _agrees(world) -> None:
    with tenant_context(world.tenant):
        assert rollup.is_current(world.tenant)
        assert rollup.stored_totals() == rollup.totals_from_base_tables(world.tenant)


def _submit(world, name: str, amount: str = "1000", role=DealRegistration.Role.SOURCED) -> DealRegistration:
    with tenant_context(world.tenant):
        return services.registration_submit(
            access=world.access(Role.MANAGER),
            account_name=name,
            account_domain=f"{name.lower()}.example",
            partner_id=world.partner.pk,
            fields={
                "opportunity_name": f"{name} deal",
                "products": "Suite",
                "amount": Decimal(amount),
                "expected_close_date": timezone.localdate() + timedelta(days=30),
                "partner_role": role,
            },
        )


def test_every_registration_service_keeps_the_totals_equal_to_the_base_tables(world_a):
    manager = world_a.access(Role.MANAGER)
    won = _submit(world_a, "Alpha", "1200")
    _agrees(world_a)
    lost = _submit(world_a, "Beta", "800", DealRegistration.Role.INFLUENCED)
    rejected = _submit(world_a, "Gamma", "500")
    _agrees(world_a)
    with tenant_context(world_a.tenant):
        services.registration_reject(access=manager, registration=rejected, reason="Duplicate.")
    _agrees(world_a)
    today = timezone.localdate()
    with tenant_context(world_a.tenant):
        for registration in (won, lost):
            services.registration_approve(access=manager, registration=registration)
        _agrees(world_a)
        services.registration_close(
            access=manager,
            registration=won,
            won=True,
            closed_on=today,
            amount=Decimal("1100"),
            create_booking=True,
        )
        services.registration_close(access=manager, registration=lost, won=False, closed_on=today)
    _agrees(world_a)
    with tenant_context(world_a.tenant):
        quarter = fiscal_quarter_of(today, world_a.tenant.fiscal_year_start_month)
        ids = [world_a.partner.pk]
        assert get("deals_won_amount").compute(tenant=world_a.tenant, partner_ids=ids, period=quarter) == {
            world_a.partner.pk: Decimal("1100.00")
        }
        assert get("win_rate").compute(tenant=world_a.tenant, partner_ids=ids, period=quarter) == {
            world_a.partner.pk: Decimal("0.5000")
        }


def test_bulk_writes_updates_deletes_and_merges_keep_the_totals_equal(world_a):
    with tenant_context(world_a.tenant):
        account, other = AccountFactory(), AccountFactory()
        first = timezone.localdate().replace(day=1)
        services.revenue_records_bulk_create(
            access=world_a.access(Role.MANAGER),
            rows=[
                {"account": account, "period": first, "kind": "new", "amount": Decimal("100"), "partner": world_a.partner},
                {"account": other, "period": first, "kind": "renewal", "amount": Decimal("50"), "partner": world_a.partner},
            ],
        )  # fmt: skip
    _agrees(world_a)
    deal = DealRegistrationFactory(partner=world_a.partner, amount=Decimal("700"))
    _agrees(world_a)
    year_ago = timezone.now() - timedelta(days=365)
    with tenant_context(world_a.tenant):
        DealRegistration.objects.filter(pk=deal.pk).update(submitted_at=year_ago)  # moves quarters
        _agrees(world_a)
        moved = PartnerFactory(tenant=world_a.tenant)
        RevenueRecord.objects.filter(account=other).update(partner=moved)
        _agrees(world_a)
        services.account_merge(access=world_a.access(Role.MANAGER), duplicate=other, into=account)
        _agrees(world_a)
        DealRegistration.objects.filter(pk=deal.pk).delete()
        RevenueRecord.objects.filter(account=account, kind="new").delete()
    _agrees(world_a)


def test_a_new_fiscal_year_start_rebuilds_the_totals_for_its_quarters(world_a):
    _submit(world_a, "Delta", "900")
    tenant = world_a.tenant
    tenant.fiscal_year_start_month = 4 if tenant.fiscal_year_start_month != 4 else 7
    tenant.save()
    _agrees(world_a)
    with tenant_context(tenant):
        assert PipelineRollupState.objects.get().fiscal_year_start_month == tenant.fiscal_year_start_month


def test_without_a_current_rollup_metrics_read_the_base_tables_until_rebuilt(world_a):
    _submit(world_a, "Epsilon", "300")
    tenant = world_a.tenant
    quarter = fiscal_quarter_of(timezone.localdate(), tenant.fiscal_year_start_month)
    with tenant_context(tenant):
        PipelineRollupState.objects.all().delete()
        rollup._current.clear()
        assert not rollup.serves(tenant, quarter)
        _submit(world_a, "Zeta", "200")  # written while not current: the rollup is left alone
        values = get("pipeline_sourced").compute(
            tenant=tenant, partner_ids=[world_a.partner.pk], period=quarter
        )
        assert values == {world_a.partner.pk: Decimal("500.00")}
    call_command("rebuild_rollups", tenant.slug)
    _agrees(world_a)
    with tenant_context(tenant):
        assert rollup.serves(tenant, quarter)
        assert (
            get("pipeline_sourced").compute(tenant=tenant, partner_ids=[world_a.partner.pk], period=quarter)
            == values
        )
