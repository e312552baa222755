"""Beat jobs of incentives: thin adapters from a tenant id to a service."""

from __future__ import annotations

from celery import shared_task

from prm.tenancy import require_current_tenant

from .models import RebateProgram
from .services import fund_requests_expire, rebate_accruals_by_schedule, rebate_accruals_monthly


@shared_task(time_limit=300)
def expire_unclaimed_requests(*, tenant_id: int) -> int:
    """Daily: approved MDF requests not claimed by their fund's deadline expire (money returns)."""
    return fund_requests_expire(tenant=require_current_tenant())


@shared_task(time_limit=600)
def accrue_rebates(*, tenant_id: int) -> int:
    """Monthly: every running (or just closed) rebate program's accruals and forecasts."""
    return rebate_accruals_monthly(tenant=require_current_tenant())


@shared_task(time_limit=600)
def accrue_program(*, tenant_id: int, program_id: int) -> int:
    """On demand: one program's accruals."""
    return rebate_accruals_by_schedule(program=RebateProgram.objects.get(pk=program_id))
