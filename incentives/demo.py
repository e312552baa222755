"""Demo incentives: an MDF fund for each quarter of the current fiscal year, allocated to the
active partners (Northwind Systems, the demo portal company, always among them), with requests
and claims at every status; rebate programs for this quarter (accrued) and the last one (closed,
with statements approved and paid). Everything goes through the services, so ledgers balance.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from partners.models import Partner
from prm.access import TenantAccess
from prm.models import Tenant, User
from prm.periods import fiscal_year_of
from prm.permissions import Role

from . import services
from .models import Fund, FundRequest
from .proof import blank_pdf

DEMO_PDF = blank_pdf()  # a real one-page PDF: proof files are read, not only sniffed
ACTIVITIES = [
    ("event", "Customer roundtable", "Half-day roundtable with 20 IT leaders in our office."),
    ("webinar", "Migration webinar", "Live webinar on migrating to the platform, with a demo."),
    ("digital", "LinkedIn campaign", "Six-week paid social campaign to mid-market CIOs."),
    ("content", "Customer case study", "Written and video case study of a joint customer."),
    ("training", "Sales enablement day", "Training for our 15 sellers on the new release."),
    ("trade_show", "Regional trade show booth", "Shared booth at the regional cloud expo."),
    ("event", "Partner summit dinner", "Dinner for prospects after the partner summit."),
    ("webinar", "Security webinar", "Webinar on compliance features for finance customers."),
]


def _access(tenant: Tenant, role: str, user: User) -> TenantAccess:
    return TenantAccess(tenant=tenant, role=role, partner_id=None, user=user)


def seed(*, tenant: Tenant, staff: dict[str, User]) -> dict[str, Any]:
    """Create the tenant's demo incentives unless it has funds already."""
    if Fund.objects.exists():
        return {}
    partners = list(
        Partner.objects.filter(status=Partner.Status.ACTIVE, archived_at__isnull=True).order_by("pk")[:12]
    )
    northwind = Partner.objects.filter(domain="northwindsystems.example").first()
    if northwind is not None and northwind not in partners:
        partners = [northwind, *partners[:11]]
    if not partners:
        return {}
    with transaction.atomic():
        _Seeder(tenant, staff, partners, northwind).run()
    return {}


class _Seeder:
    def __init__(
        self, tenant: Tenant, staff: dict[str, User], partners: list[Partner], northwind: Partner | None
    ):
        self.tenant = tenant
        self.admin = _access(tenant, Role.ADMIN, staff["admin"])
        self.manager = _access(tenant, Role.MANAGER, staff["manager"])
        self.finance = _access(tenant, Role.FINANCE, staff["finance"])
        self.partners = partners
        # Northwind first, so the portal shows every status.
        self.featured = northwind or partners[0]
        self.today = timezone.localdate()
        self.quarter = services.current_quarter(tenant)
        self.reference = 1000

    def run(self) -> None:
        for quarter in fiscal_year_of(self.today, self.tenant.fiscal_year_start_month).quarters():
            self._fund(quarter)
        self._rebates()

    # --- MDF -------------------------------------------------------------------------------------

    def _fund(self, quarter) -> None:
        deadline = quarter.end + timedelta(days=45)
        # Create with a deadline still ahead so requests can be made, then set the real one.
        fund = services.fund_create(
            access=self.admin,
            name="Field marketing",
            period=quarter.label,
            budget="150000",
            claim_deadline=max(deadline, self.today + timedelta(days=1)),
        )
        allocations = [
            services.allocation_set(
                access=self.manager,
                fund=fund,
                partner=partner,
                amount="30000" if partner == self.featured else "15000" if index < 4 else "8000",
            )
            for index, partner in enumerate(self.partners)
        ]
        if quarter.end < self.today - timedelta(days=120) or quarter.start > self.today + timedelta(days=1):
            Fund.objects.filter(pk=fund.pk).update(claim_deadline=deadline)
            return  # an old or future quarter: allocations only
        featured = next(a for a in allocations if a.partner_id == self.featured.pk)
        others = [a for a in allocations if a is not featured]
        current = quarter == self.quarter
        if current:
            self._every_status(featured, start=0)
            for index, allocation in enumerate(others[:4]):
                self._every_status(
                    allocation, start=index + 1, only=("submitted", "approved", "claimed", "paid")[index]
                )
        else:
            # Last quarter: paid claims and an approval that expired unclaimed.
            for index, allocation in enumerate([featured, *others[:3]]):
                self._request(allocation, index, "paid")
            self._request(featured, 5, "approved")  # expires unclaimed once the deadline is past
            Fund.objects.filter(pk=fund.pk).update(claim_deadline=deadline)
            if deadline < self.today:
                services.fund_requests_expire(tenant=self.tenant)

    def _every_status(self, allocation, *, start: int, only: str | None = None) -> None:
        statuses = (
            [only] if only else ["submitted", "approved", "rejected", "claimed", "claim_rejected", "paid"]
        )
        for offset, status in enumerate(statuses):
            self._request(allocation, start + offset, status)

    def _request(self, allocation, index: int, status: str) -> FundRequest:
        kind, title, description = ACTIVITIES[index % len(ACTIVITIES)]
        amount = Decimal(1500 + 500 * (index % 5))
        fund = allocation.fund
        starts = max(fund.starts_on, min(self.today, fund.ends_on) - timedelta(days=20 + index))
        request = services.fund_request_submit(
            access=self.manager,
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
        if status == "submitted":
            return request
        if status == "rejected":
            services.fund_request_reject(
                access=self.manager, request=request, reason="Outside this quarter's focus on the mid-market."
            )
            return request
        services.fund_request_approve(access=self.manager, request=request)
        if status == "approved":
            return request
        claim = services.claim_submit(
            access=self.manager,
            request=request,
            fields={
                "actual_cost": amount + 120,
                "amount": amount,
                "leads": 8 + index,
                "pipeline_sourced": amount * 12,
                "notes": "Attendee list and invoice attached.",
            },
            files=[
                SimpleUploadedFile(
                    f"invoice-{fund.period}-{index}.pdf", DEMO_PDF, content_type="application/pdf"
                )
            ],
        )
        if status == "claimed":
            return request
        if status == "claim_rejected":
            services.claim_reject(
                access=self.finance,
                claim=claim,
                reason="The invoice is addressed to another company; attach yours.",
            )
            return request
        services.claim_approve(access=self.finance, claim=claim)
        self.reference += 1
        services.payout_record(
            access=self.finance,
            claim=claim,
            reference=f"AP-{self.tenant.slug.upper()}-{self.reference}",
            paid_on=self.today,
        )
        return request

    # --- rebates ---------------------------------------------------------------------------------

    def _rebates(self) -> None:
        bands = [
            {"threshold": "0", "rate": "1"},
            {"threshold": "50000", "rate": "2"},
            {"threshold": "150000", "rate": "3"},
        ]
        for quarter, name in ((self.quarter, "Resale rebate"), (self.quarter.previous(), "Resale rebate")):
            program = services.rebate_program_create(
                access=self.admin,
                name=name,
                period=quarter.label,
                basis_metric="revenue",
                method="marginal",
                bands=bands,
                accelerator_rate="1",
                cap="25000",
            )
            if quarter == self.quarter:
                services.rebate_accruals_compute(access=self.admin, program=program, as_of=self.today)
            else:
                services.rebate_accruals_compute(access=self.admin, program=program, as_of=quarter.end)
                statements = services.rebate_statements_close(access=self.finance, program=program)
                for index, statement in enumerate(statements):
                    if index % 3 == 2:
                        continue  # some stay drafts for finance
                    services.rebate_statement_approve(access=self.finance, statement=statement)
                    if index % 3 == 0:
                        self.reference += 1
                        services.rebate_statement_pay(
                            access=self.finance,
                            statement=statement,
                            reference=f"RB-{self.tenant.slug.upper()}-{self.reference}",
                            paid_on=self.today,
                        )
