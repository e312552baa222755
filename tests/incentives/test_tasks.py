"""Beat jobs of incentives: what the schedule runs, one task per tenant through fan_out."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from incentives import services, tasks
from incentives.models import Fund, FundRequest, RebateAccrual
from prm.permissions import Role
from prm.tasks import fan_out
from prm.tenancy import tenant_context

from .conftest import approved_request, make_fund


def test_beat_schedules_expiry_daily_and_accruals_monthly_through_fan_out():
    entries = {e["kwargs"]["task_name"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}
    expiry = entries["incentives.tasks.expire_unclaimed_requests"]
    accrual = entries["incentives.tasks.accrue_rebates"]
    assert expiry["task"] == accrual["task"] == "prm.tasks.fan_out"
    assert accrual["schedule"].day_of_month == {1}


def test_expiry_fan_out_returns_unclaimed_money_in_every_tenant(world_a, world_b):
    fund, allocation = make_fund(world_a, deadline_days=5)
    request = approved_request(world_a, allocation, "1200")
    with tenant_context(world_a.tenant):
        Fund.objects.filter(pk=fund.pk).update(claim_deadline=timezone.localdate() - timedelta(days=1))
    assert fan_out.delay(task_name=tasks.expire_unclaimed_requests.name).get() == 2
    with tenant_context(world_a.tenant):
        request.refresh_from_db()
        allocation.refresh_from_db()
    assert request.status == FundRequest.Status.EXPIRED
    assert allocation.committed == Decimal("0.00")


def test_monthly_accrual_task_accrues_running_programs(world_a):
    with tenant_context(world_a.tenant):
        services.rebate_program_create(
            access=world_a.access(Role.ADMIN),
            name="Resell",
            period=services.current_quarter(world_a.tenant).label,
            basis_metric="revenue",
            method="retroactive",
            bands=[{"threshold": "0", "rate": "1"}],
        )
    assert tasks.accrue_rebates.apply_async(kwargs={"tenant_id": world_a.tenant.pk}).get() == 2
    with tenant_context(world_a.tenant):
        assert RebateAccrual.objects.count() == 2
