"""Demo incentives: an MDF fund for each quarter of the current fiscal year, allocated to the
active partners (Northwind Systems, the demo portal company, always among them), with requests
and claims at every status; rebate programs for this quarter (accrued) and the last one (closed,
with statements approved and paid). What they contain is data in ``content``; the functions here
write it through the services, so ledgers balance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from partners.models import Partner
from prm.access import TenantAccess
from prm.models import Tenant, User
from prm.periods import FiscalPeriod, fiscal_year_of
from prm.permissions import Role

from .. import services
from ..models import Allocation, Claim, Fund, FundRequest
from . import content


@dataclass
class Program:
    """The tenant being seeded: who acts, which partners take part, and the next reference."""

    tenant: Tenant
    admin: TenantAccess
    manager: TenantAccess
    finance: TenantAccess
    partners: list[Partner]
    featured: Partner  # the portal partner when there is one, so the portal shows every status
    today: date
    quarter: FiscalPeriod
    reference: int = content.FIRST_REFERENCE

    def next_reference(self, prefix: str) -> str:
        self.reference += 1
        return f"{prefix}-{self.tenant.slug.upper()}-{self.reference}"


def seed(*, tenant: Tenant, staff: dict[str, User]) -> dict[str, Any]:
    """Create the tenant's demo incentives unless it has funds already."""
    if Fund.objects.exists():
        return {}
    partners = list(
        Partner.objects.filter(status=Partner.Status.ACTIVE, archived_at__isnull=True).order_by("pk")[
            : content.PARTNER_COUNT
        ]
    )
    northwind = Partner.objects.filter(domain=content.PORTAL_PARTNER_DOMAIN).first()
    if northwind is not None and northwind not in partners:
        partners = [northwind, *partners[: content.PARTNER_COUNT - 1]]
    if not partners:
        return {}
    program = Program(
        tenant=tenant,
        admin=_access(tenant, Role.ADMIN, staff["admin"]),
        manager=_access(tenant, Role.MANAGER, staff["manager"]),
        finance=_access(tenant, Role.FINANCE, staff["finance"]),
        partners=partners,
        featured=northwind or partners[0],
        today=timezone.localdate(),
        quarter=services.current_quarter(tenant),
    )
    with transaction.atomic():
        for quarter in fiscal_year_of(program.today, tenant.fiscal_year_start_month).quarters():
            _fund(program, quarter)
        _rebates(program)
    return {}


def _access(tenant: Tenant, role: str, user: User) -> TenantAccess:
    return TenantAccess(tenant=tenant, role=role, partner_id=None, user=user)


# --- MDF -----------------------------------------------------------------------------------------


def _fund(program: Program, quarter: FiscalPeriod) -> None:
    """The quarter's fund and allocations; this quarter and the last one get requests too."""
    today = program.today
    deadline = quarter.end + timedelta(days=content.CLAIM_DEADLINE_DAYS)
    # Create with a deadline still ahead so requests can be made, then set the real one.
    fund = services.fund_create(
        access=program.admin,
        name=content.FUND_NAME,
        period=quarter.label,
        budget=content.FUND_BUDGET,
        claim_deadline=max(deadline, today + timedelta(days=1)),
    )
    allocations = [
        services.allocation_set(
            access=program.manager, fund=fund, partner=partner, amount=_allocated(program, partner, index)
        )
        for index, partner in enumerate(program.partners)
    ]
    if quarter.end < today - timedelta(days=content.ACTIVE_QUARTER_DAYS) or quarter.start > today + timedelta(
        days=1
    ):
        Fund.objects.filter(pk=fund.pk).update(claim_deadline=deadline)
        return  # an old or future quarter: allocations only
    featured = next(a for a in allocations if a.partner_id == program.featured.pk)
    others = [a for a in allocations if a is not featured]
    if quarter == program.quarter:
        for index, status in enumerate(content.EVERY_STATUS):
            _request(program, featured, index, status)
        for index, (allocation, status) in enumerate(zip(others, content.OTHERS_THIS_QUARTER, strict=False)):
            _request(program, allocation, index + 1, status)
        return
    for index, allocation in enumerate([featured, *others][: content.LAST_QUARTER_PAID]):
        _request(program, allocation, index, "paid")
    _request(program, featured, content.LAST_QUARTER_UNCLAIMED_INDEX, "approved")  # expires unclaimed
    Fund.objects.filter(pk=fund.pk).update(claim_deadline=deadline)
    if deadline < today:
        services.fund_requests_expire(tenant=program.tenant)


def _allocated(program: Program, partner: Partner, index: int) -> str:
    if partner == program.featured:
        return content.FEATURED_ALLOCATION
    return content.LARGE_ALLOCATION if index < content.LARGE_ALLOCATION_COUNT else content.SMALL_ALLOCATION


def _request(program: Program, allocation: Allocation, index: int, status: str) -> FundRequest:
    """A request of the allocation's partner (its content chosen by ``index``), taken through the
    workflow steps that bring it to ``status``."""
    kind, title, description = content.ACTIVITIES[index % len(content.ACTIVITIES)]
    amount = content.requested_amount(index)
    fund = allocation.fund
    starts = max(
        fund.starts_on,
        min(program.today, fund.ends_on) - timedelta(days=content.REQUEST_STARTS_DAYS_AGO + index),
    )
    request = services.fund_request_submit(
        access=program.manager,
        allocation=allocation,
        fields={
            "activity_type": kind,
            "title": title,
            "description": description,
            "starts_on": starts,
            "ends_on": starts + timedelta(days=1),
            "requested_amount": amount,
            "expected_leads": 10 + index * 3,
            "expected_pipeline": amount * 20,
        },
    )
    claim: Claim | None = None
    for step in content.WORKFLOW[status]:
        claim = _STEPS[step](program, request, claim, index)
    return request


def _approve(program: Program, request: FundRequest, claim: Claim | None, index: int) -> None:
    services.fund_request_approve(access=program.manager, request=request)


def _reject(program: Program, request: FundRequest, claim: Claim | None, index: int) -> None:
    services.fund_request_reject(access=program.manager, request=request, reason=content.REQUEST_REJECTION)


def _claim(program: Program, request: FundRequest, claim: Claim | None, index: int) -> Claim:
    amount = content.requested_amount(index)
    return services.claim_submit(
        access=program.manager,
        request=request,
        fields={
            "actual_cost": amount + content.CLAIM_EXTRA_COST,
            "amount": amount,
            "leads": 8 + index,
            "pipeline_sourced": amount * 12,
            "notes": content.CLAIM_NOTES,
        },
        files=[
            SimpleUploadedFile(
                f"invoice-{request.allocation.fund.period}-{index}.pdf",
                content.DEMO_PDF,
                content_type="application/pdf",
            )
        ],
    )


def _reject_claim(program: Program, request: FundRequest, claim: Claim | None, index: int) -> Claim | None:
    services.claim_reject(access=program.finance, claim=_submitted(claim), reason=content.CLAIM_REJECTION)
    return claim


def _approve_claim(program: Program, request: FundRequest, claim: Claim | None, index: int) -> Claim | None:
    services.claim_approve(access=program.finance, claim=_submitted(claim))
    return claim


def _pay(program: Program, request: FundRequest, claim: Claim | None, index: int) -> Claim | None:
    services.payout_record(
        access=program.finance,
        claim=_submitted(claim),
        reference=program.next_reference("AP"),
        paid_on=program.today,
    )
    return claim


def _submitted(claim: Claim | None) -> Claim:
    if claim is None:
        raise ValueError("The demo workflow settles a claim before one was submitted.")
    return claim


_STEPS: dict[str, Callable[[Program, FundRequest, Claim | None, int], Claim | None]] = {
    "approve": _approve,
    "reject": _reject,
    "claim": _claim,
    "reject_claim": _reject_claim,
    "approve_claim": _approve_claim,
    "pay": _pay,
}


# --- rebates -------------------------------------------------------------------------------------


def _rebates(program: Program) -> None:
    """A rebate program for this quarter (accrued to date) and the last one (closed: of its
    statements two in three approved, one in three paid, the rest left as drafts for finance)."""
    for quarter in (program.quarter, program.quarter.previous()):
        rebate = services.rebate_program_create(
            access=program.admin,
            name=content.REBATE_NAME,
            period=quarter.label,
            basis_metric=content.REBATE_BASIS_METRIC,
            method=content.REBATE_METHOD,
            bands=content.REBATE_BANDS,
            accelerator_rate=content.REBATE_ACCELERATOR_RATE,
            cap=content.REBATE_CAP,
        )
        if quarter == program.quarter:
            services.rebate_accruals_compute(access=program.admin, program=rebate, as_of=program.today)
            continue
        services.rebate_accruals_compute(access=program.admin, program=rebate, as_of=quarter.end)
        statements = services.rebate_statements_close(access=program.finance, program=rebate)
        for index, statement in enumerate(statements):
            if index % 3 == 2:
                continue  # some stay drafts for finance
            services.rebate_statement_approve(access=program.finance, statement=statement)
            if index % 3 == 0:
                services.rebate_statement_pay(
                    access=program.finance,
                    statement=statement,
                    reference=program.next_reference("RB"),
                    paid_on=program.today,
                )
