"""MDF funds, allocations (manual, by tier rule, from the JBP) and fund requests; the ledger under row locks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

import prm.metrics
from partners.models import Partner
from partners.vocab import Classification
from prm import actors, audit
from prm.access import TenantAccess, require
from prm.models import Tenant
from prm.permissions import Perm

from ..eligibility import MDF, check_listed_tiers, listed_tier_ids, qualifying_partners, why_not
from ..models import (
    ZERO,
    Allocation,
    Fund,
    FundRequest,
    FundTier,
)
from ..rates import cents
from ._common import (
    JBP_MDF_COMMITMENT,
    ClaimStatus,
    RequestStatus,
    _check_ledger,
    _locked_allocation,
    _locked_fund,
    _money,
    _period,
    _period_of,
    _save_ledgers,
    _set_tiers,
)
from .allocation_report import AllocationReport, allocation_order, pool_exhausted


@transaction.atomic
def fund_create(
    *,
    access: TenantAccess,
    name: str,
    period: str,
    budget: Any,
    claim_deadline: date,
    eligible_tier_ids: Sequence[int] = (),
    tier_amounts: Mapping[int | str, Any] | None = None,
) -> Fund:
    """A new MDF budget for a fiscal period. The claim deadline may not precede the period's start."""
    require(access, Perm.MANAGE_PROGRAM)
    fiscal = _period(access.tenant, period)
    if claim_deadline < fiscal.start:
        raise ValidationError(
            {"claim_deadline": f"The claim deadline must be on or after {fiscal.start:%d %b %Y}."}
        )
    amounts = {str(int(k)): str(_money(v, "tier_amounts")) for k, v in (tier_amounts or {}).items()}
    fund = Fund(
        name=name.strip(),
        period=fiscal.label,
        starts_on=fiscal.start,
        ends_on=fiscal.end,
        budget=_money(budget, "budget"),
        currency=access.tenant.currency,
        claim_deadline=claim_deadline,
        tier_amounts=amounts,
    )
    fund.assign_tenant()
    fund.full_clean()
    fund.save()
    listed = list(eligible_tier_ids) + [int(k) for k in amounts]
    check_listed_tiers(MDF, listed)
    _set_tiers(FundTier, "fund", fund, listed)
    audit.record(
        access=access,
        verb="mdf.fund_created",
        target=fund,
        after={"budget": str(fund.budget), "period": fund.period},
    )
    return fund


@transaction.atomic
def fund_update(*, access: TenantAccess, fund: Fund, budget: Any, claim_deadline: date) -> Fund:
    """Change a fund's budget (never below what is allocated) or its claim deadline."""
    require(access, Perm.MANAGE_PROGRAM)
    fund = _locked_fund(fund.pk)
    before = {"budget": str(fund.budget), "claim_deadline": str(fund.claim_deadline)}
    new_budget = _money(budget, "budget")
    if new_budget < fund.allocated:
        raise ValidationError(
            {"budget": f"The budget cannot be less than the {fund.allocated:,.2f} already allocated."}
        )
    fund.budget, fund.claim_deadline = new_budget, claim_deadline
    fund.full_clean()
    fund.save(update_fields=["budget", "claim_deadline", "updated_at"])
    audit.record(
        access=access,
        verb="mdf.fund_updated",
        target=fund,
        before=before,
        after={"budget": str(fund.budget), "claim_deadline": str(fund.claim_deadline)},
    )
    return fund


def _eligible(fund: Fund, partner: Partner) -> str:
    """Why ``partner`` may not be allocated from ``fund`` ("" when it may): the shared rule."""
    return why_not(MDF, partner, listed_tier_ids(fund))


def _allocation_set_locked(
    access: TenantAccess | None, fund: Fund, partner: Partner, amount: Decimal, source: str, note: str
) -> Allocation:
    """With the fund locked: create or change the partner's allocation, keeping the ledger."""
    allocation = Allocation.objects.select_for_update().filter(fund=fund, partner=partner).first()
    old = allocation.allocated if allocation else ZERO
    if allocation is not None and amount < allocation.committed:
        raise ValidationError(
            {
                "amount": f"{partner.name} has {allocation.committed:,.2f} committed already; allocate at least that."
            }
        )
    if fund.allocated - old + amount > fund.budget:
        free = fund.budget - fund.allocated + old
        raise ValidationError({"amount": f"Only {free:,.2f} of the fund is left to allocate."})
    if allocation is None:
        allocation = Allocation(fund=fund, partner=partner, allocated=amount, source=source, note=note)
        allocation.assign_tenant()
        allocation.full_clean(validate_constraints=False)
        allocation.save()
    else:
        allocation.allocated, allocation.source, allocation.note = amount, source, note
        _check_ledger(allocation)
        allocation.save(update_fields=["allocated", "source", "note", "updated_at"])
    fund.allocated = fund.allocated - old + amount
    _save_ledgers(fund)
    audit.record(
        access=access,
        verb="mdf.allocation_set",
        target=allocation,
        partner_id=partner.pk,
        before={"amount": str(old)},
        after={"amount": str(amount), "source": source},
    )
    return allocation


@transaction.atomic
def allocation_set(
    *,
    access: TenantAccess,
    fund: Fund,
    partner: Partner,
    amount: Any,
    note: str = "",
    source: str = Allocation.Source.MANUAL,
) -> Allocation:
    """Set a partner's allocation from the fund (never beyond the unallocated pool, never below
    what the partner has committed already). The partner's tier must be eligible."""
    require(access, Perm.DECIDE_MDF_REQUESTS)
    value = _money(amount, "amount", positive=False)
    fund = _locked_fund(fund.pk)
    refusal = _eligible(fund, partner)
    if refusal:
        raise ValidationError({"partner": refusal})
    return _allocation_set_locked(access, fund, partner, value, source, note.strip())


def _eligible_partners(fund: Fund) -> list[Partner]:
    """The partners the fund may allocate to (``incentives.eligibility``), by name."""
    return list(qualifying_partners(MDF, listed_tier_ids(fund)).order_by("name"))


@transaction.atomic
def allocations_apply_tier_rule(*, access: TenantAccess, fund: Fund) -> AllocationReport:
    """Programmatic allocation: every eligible partner without an allocation yet gets its tier's
    amount (the fund's ``tier_amounts``) while the pool lasts, served in ``allocation_order``;
    a partner whose full amount does not fit is left out (no partial amounts). Returns who was
    allocated what and who was left out and why; each allocation is an audit event."""
    require(access, Perm.DECIDE_MDF_REQUESTS)
    fund = _locked_fund(fund.pk)
    if not fund.tier_amounts:
        raise ValidationError("This fund has no allocation rule by tier; set amounts per tier first.")
    have = set(Allocation.objects.filter(fund=fund).values_list("partner_id", flat=True))
    report = AllocationReport(rule="tier rule")
    wanted: list[tuple[Partner, Decimal]] = []
    for partner in allocation_order(access.tenant, _eligible_partners(fund)):
        amount = fund.tier_amounts.get(str(partner.tier_id))
        if partner.pk in have:
            report.leave_out(partner, "already has an allocation from this fund")
        elif amount is None:
            report.leave_out(partner, f"no amount set for tier {partner.tier.name if partner.tier else '—'}")
        else:
            wanted.append((partner, Decimal(amount)))
    _allocate_while_the_pool_lasts(access, fund, wanted, report, Allocation.Source.TIER_RULE, "")
    return report


@transaction.atomic
def allocations_from_jbp(*, access: TenantAccess, fund: Fund) -> AllocationReport:
    """Strategic partners get the MDF their joint business plan commits for the fund's period
    (catalog metric ``jbp_mdf_commitment``; it sets their allocation), while the pool lasts and
    in ``allocation_order``, in full or not at all. Partners with no commitment are left alone
    and reported; each allocation is an audit event."""
    require(access, Perm.DECIDE_MDF_REQUESTS)
    try:
        metric = prm.metrics.get(JBP_MDF_COMMITMENT)
    except KeyError:
        raise ValidationError("Joint business plans are not available in this installation.") from None
    fund = _locked_fund(fund.pk)
    partners = [
        p for p in _eligible_partners(fund) if p.tier and p.tier.classification == Classification.STRATEGIC
    ]
    values = metric.compute(
        tenant=access.tenant, partner_ids=[p.pk for p in partners], period=_period_of(fund, access.tenant)
    )
    report = AllocationReport(rule="JBP commitment")
    wanted: list[tuple[Partner, Decimal]] = []
    for partner in allocation_order(access.tenant, partners):
        value = values.get(partner.pk)
        if value:
            wanted.append((partner, cents(Decimal(value))))
        else:
            report.leave_out(partner, "no MDF commitment in a signed plan for this period")
    _allocate_while_the_pool_lasts(access, fund, wanted, report, Allocation.Source.JBP, "From the JBP")
    return report


def _allocate_while_the_pool_lasts(
    access: TenantAccess,
    fund: Fund,
    wanted: list[tuple[Partner, Decimal]],
    report: AllocationReport,
    source: str,
    note: str,
) -> None:
    """With the fund locked: each partner in turn gets its full amount if it fits in what is left
    (replacing its own allocation counts what that frees), else is reported as left out."""
    current = {
        a.partner_id: a for a in Allocation.objects.filter(fund=fund, partner__in=[p for p, _ in wanted])
    }
    for partner, amount in wanted:
        existing = current.get(partner.pk)
        old = existing.allocated if existing else ZERO
        left = fund.budget - fund.allocated
        if existing is not None and amount < existing.committed:
            report.leave_out(
                partner, f"has {existing.committed:,.2f} committed already, more than {amount:,.2f}", amount
            )
        elif amount - old > left:
            report.leave_out(partner, pool_exhausted(amount, left), amount)
        else:
            _allocation_set_locked(access, fund, partner, amount, source, note)
            report.allocate(partner, amount)
    report.left = fund.budget - fund.allocated
    audit.record(
        access=access,
        verb="mdf.allocation_run",
        target=fund,
        after={
            "rule": report.rule,
            "allocated": len(report.allocated),
            "left_out": len(report.left_out),
            "left": str(report.left),
        },
    )


# --- fund requests -----------------------------------------------------------------------------

REQUEST_FIELDS = [
    "activity_type",
    "title",
    "description",
    "starts_on",
    "ends_on",
    "requested_amount",
    "expected_leads",
    "expected_pipeline",
]


@transaction.atomic
def fund_request_submit(
    *, access: TenantAccess, allocation: Allocation, fields: Mapping[str, Any]
) -> FundRequest:
    """A partner asks for MDF from its allocation for one activity (staff may file on its behalf)."""
    if access.is_partner:
        require(access, Perm.USE_PORTAL)
        if allocation.partner_id != access.partner_id:
            raise PermissionDenied
    else:
        require(access, Perm.DECIDE_MDF_REQUESTS)
    unknown = set(fields) - set(REQUEST_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    values = dict(fields)
    values["requested_amount"] = _money(values.get("requested_amount"), "requested_amount")
    values["expected_pipeline"] = _money(
        values.get("expected_pipeline") or 0, "expected_pipeline", positive=False
    )
    partner = Partner.objects.get(pk=allocation.partner_id)  # its current status, not a stale copy
    if partner.status != Partner.Status.ACTIVE or partner.archived_at is not None:
        raise ValidationError(f"A {partner.get_status_display().lower()} partner cannot request funds.")
    fund = allocation.fund
    if timezone.localdate() > fund.claim_deadline:
        raise ValidationError(f"The fund {fund} closed for claims on {fund.claim_deadline:%d %b %Y}.")
    if values["requested_amount"] > allocation.available:
        raise ValidationError(
            {
                "requested_amount": f"Only {allocation.available:,.2f} {fund.currency} of the allocation is available."
            }
        )
    request = FundRequest(
        allocation=allocation,
        partner_id=allocation.partner_id,
        **actors.by(access, "requested_by"),
        submitted_at=timezone.now(),
        **values,
    )
    request.assign_tenant()
    request.full_clean()
    if request.ends_on > fund.claim_deadline:
        raise ValidationError(
            {"ends_on": f"The activity must end by the claim deadline, {fund.claim_deadline:%d %b %Y}."}
        )
    request.save()
    audit.record(
        access=access,
        verb="mdf.request_submitted",
        target=request,
        partner_id=request.partner_id,
        after={"requested_amount": str(request.requested_amount)},
    )
    return request


@transaction.atomic
def fund_request_approve(
    *, access: TenantAccess, request: FundRequest, amount: Any = None, reason: str = ""
) -> FundRequest:
    """Approve in full (no amount) or in part: the amount is committed from the partner's
    allocation, under lock, and refused when the allocation does not cover it."""
    require(access, Perm.DECIDE_MDF_REQUESTS)
    fund = _locked_fund(request.allocation.fund_id)
    allocation = _locked_allocation(request.allocation_id)
    request = FundRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.SUBMITTED:
        raise ValidationError(f"This request is {request.get_status_display().lower()} already.")
    value = request.requested_amount if amount in (None, "") else _money(amount, "amount")
    if value > request.requested_amount:
        raise ValidationError({"amount": "Approve at most the requested amount."})
    if value > allocation.available:
        raise ValidationError(
            {
                "amount": f"Only {allocation.available:,.2f} of {allocation.partner.name}'s allocation is available."
            }
        )
    if value < request.requested_amount and not reason.strip():
        raise ValidationError({"reason": "Say why only part of the amount is approved."})
    allocation.committed += value
    fund.committed += value
    _save_ledgers(fund, allocation)
    request.status, request.approved_amount = RequestStatus.APPROVED, value
    request.decided_at, request.decision_reason = timezone.now(), reason.strip()
    request.save(
        update_fields=[
            "status",
            "approved_amount",
            *actors.stamp(request, "decided_by", access),
            "decided_at",
            "decision_reason",
            "updated_at",
        ]
    )
    audit.record(
        access=access,
        verb="mdf.request_approved",
        target=request,
        partner_id=request.partner_id,
        after={"approved_amount": str(value)},
    )
    return request


@transaction.atomic
def fund_request_reject(*, access: TenantAccess, request: FundRequest, reason: str) -> FundRequest:
    """Turn a request down, saying why (the partner sees the reason)."""
    require(access, Perm.DECIDE_MDF_REQUESTS)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the request is rejected; the partner sees it."})
    request = FundRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.SUBMITTED:
        raise ValidationError(f"This request is {request.get_status_display().lower()} already.")
    request.status, request.decision_reason = RequestStatus.REJECTED, reason.strip()
    request.decided_at = timezone.now()
    request.save(
        update_fields=[
            "status",
            *actors.stamp(request, "decided_by", access),
            "decided_at",
            "decision_reason",
            "updated_at",
        ]
    )
    audit.record(
        access=access,
        verb="mdf.request_rejected",
        target=request,
        partner_id=request.partner_id,
        after={"reason": request.decision_reason},
    )
    return request


def _release(fund: Fund, allocation: Allocation, amount: Decimal) -> None:
    allocation.committed -= amount
    fund.committed -= amount


@transaction.atomic
def fund_requests_expire(*, tenant: Tenant, today: date | None = None) -> int:
    """Approved requests with no claim waiting or approved, past their fund's claim deadline,
    expire: their commitment returns to the partner's allocation. Returns how many."""
    today = today or timezone.localdate()
    candidates = list(
        FundRequest.objects.filter(status=RequestStatus.APPROVED, allocation__fund__claim_deadline__lt=today)
        .exclude(claims__status__in=[ClaimStatus.SUBMITTED, ClaimStatus.APPROVED, ClaimStatus.PAID])
        .values_list("pk", "allocation__fund_id", "allocation_id")
        .order_by("allocation__fund_id", "allocation_id", "pk")
    )
    for request_id, fund_id, allocation_id in candidates:
        fund, allocation = _locked_fund(fund_id), _locked_allocation(allocation_id)
        request = FundRequest.objects.select_for_update().get(pk=request_id)
        if request.status != RequestStatus.APPROVED:
            continue
        _release(fund, allocation, request.approved_amount)
        _save_ledgers(fund, allocation)
        request.status = RequestStatus.EXPIRED
        request.save(update_fields=["status", "updated_at"])
        audit.record(
            access=None,
            verb="mdf.request_expired",
            target=request,
            partner_id=request.partner_id,
            after={"released": str(request.approved_amount)},
        )
    return len(candidates)
