"""The MDF and rebates section of a partner's QBR (page, portal, CSV, PDF, API), worked out by hand.

April fiscal year: FY2026-Q2 is July–September 2025. Funds and rebate programs count in the
period their own period starts in (incentives' catalog metrics).
"""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from incentives.models import (
    Allocation,
    Claim,
    Fund,
    FundRequest,
    RebateAccrual,
    RebateProgram,
    RebateStatement,
)
from prm.access import TenantAccess
from prm.periods import parse_period
from prm.permissions import Role
from prm.tenancy import tenant_context
from reporting import queries
from tests.pipeline.test_metrics import build_metric_world
from tests.prm.factories import MembershipFactory

D = Decimal
ZERO = Decimal(0)


def _fund(name, starts_on, ends_on, **ledger):
    return Fund.objects.create(
        name=name,
        period="x",
        starts_on=starts_on,
        ends_on=ends_on,
        budget=D(5000),
        currency="USD",
        claim_deadline=date(2026, 6, 30),
        **ledger,
    )


def _request(allocation, title, status, requested, approved=ZERO):
    return FundRequest.objects.create(
        allocation=allocation,
        partner=allocation.partner,
        activity_type="event",
        title=title,
        description="x",
        starts_on=date(2025, 8, 1),
        ends_on=date(2025, 8, 2),
        requested_amount=requested,
        approved_amount=approved,
        status=status,
        submitted_at=datetime(2025, 7, 10, tzinfo=UTC),
    )


def _claim(request, status, amount, approved=ZERO, paid=ZERO):
    return Claim.objects.create(
        request=request,
        partner=request.partner,
        actual_cost=amount,
        amount=amount,
        approved_amount=approved,
        paid_amount=paid,
        status=status,
        submitted_at=datetime(2025, 9, 1, tzinfo=UTC),
    )


@pytest.fixture
def world(db):
    w = build_metric_world(slug="qbrmdf")
    w.executive = MembershipFactory(tenant=w.tenant, role=Role.EXECUTIVE).user
    p1, p2, _ = w.partners
    with tenant_context(w.tenant):
        q2 = _fund(
            "Q2 fund",
            date(2025, 7, 1),
            date(2025, 9, 30),
            allocated=1500,
            committed=900,
            claimed=550,
            paid=300,
        )
        q3 = _fund(
            "Q3 fund", date(2025, 10, 1), date(2025, 12, 31), allocated=999, committed=0, claimed=0, paid=0
        )
        # P1 in the Q2 fund: 1000 allocated, 600 committed, 400 claimed, 250 paid.
        a1 = Allocation.objects.create(
            fund=q2, partner=p1, allocated=1000, committed=600, claimed=400, paid=250
        )
        # Another partner's allocation and a fund of the next quarter do not count for P1's FY2026-Q2.
        Allocation.objects.create(fund=q2, partner=p2, allocated=500, committed=300, claimed=150, paid=50)
        Allocation.objects.create(fund=q3, partner=p1, allocated=999)
        # Open: a request waiting (300 asked), an approved one not yet claimed (200 of 250 asked).
        _request(a1, "Partner summit booth", FundRequest.Status.SUBMITTED, D(300))
        _request(a1, "Webinar series", FundRequest.Status.APPROVED, D(250), D(200))
        # A request with a claim is settled (one claim per request): not open itself.
        roadshow, expo, meetup = (
            _request(a1, title, FundRequest.Status.SETTLED, D(400), D(400))
            for title in ("Roadshow", "Expo", "Meetup")
        )
        rejected = _request(a1, "Swag", FundRequest.Status.REJECTED, D(80))
        # Claims: one waiting for finance (150), one approved for 180 and not yet paid; a paid one is closed.
        _claim(roadshow, Claim.Status.SUBMITTED, D(150))
        _claim(expo, Claim.Status.APPROVED, D(190), approved=D(180))
        _claim(meetup, Claim.Status.PAID, D(70), approved=D(70), paid=D(70))
        del rejected
        program = RebateProgram.objects.create(
            name="FY26 Q2 growth rebate",
            period="FY2026-Q2",
            starts_on=date(2025, 7, 1),
            ends_on=date(2025, 9, 30),
            basis_metric="revenue",
            currency="USD",
        )
        RebateAccrual.objects.create(
            program=program,
            partner=p1,
            as_of=date(2025, 9, 30),
            basis=1200,
            amount=D("120.00"),
            forecast_amount=D("175.50"),
        )
        RebateStatement.objects.create(
            program=program, partner=p1, basis=1200, amount=D("120.00"), status="approved"
        )
        other = RebateProgram.objects.create(
            name="Draft program",
            period="FY2026-Q2",
            starts_on=date(2025, 8, 1),
            ends_on=date(2025, 9, 30),
            basis_metric="revenue",
            currency="USD",
        )
        RebateStatement.objects.create(program=other, partner=p1, basis=10, amount=D(1))  # draft: not shown
    return w


def _section(world):
    with tenant_context(world.tenant):
        return queries.partner_incentives(
            TenantAccess.program_reader(world.tenant), world.partners[0], parse_period("FY2026-Q2", 4)
        )


def test_the_mdf_and_rebate_figures_of_the_period(world):
    section = _section(world)
    assert {f["key"]: f["value"] for f in section["figures"]} == {
        "mdf_allocated": D("1000.00"),
        "mdf_committed": D("600.00"),
        "mdf_claimed": D("400.00"),
        "mdf_paid": D("250.00"),
        "rebate_accrued": D("120.00"),
        "rebate_forecast": D("175.50"),
    }
    assert [(r["title"], r["status"], r["amount"]) for r in section["open_requests"]] == [
        ("Partner summit booth", "Waiting for a decision", D("300.00")),
        ("Webinar series", "Approved", D("200.00")),
    ]
    assert [(c["status"], c["amount"], c["outstanding"]) for c in section["open_claims"]] == [
        ("Waiting for finance", D("150.00"), D("150.00")),
        ("Approved", D("180.00"), D("180.00")),
    ]
    assert [(s["program"], s["amount"], s["status"]) for s in section["statements"]] == [
        ("FY26 Q2 growth rebate", D("120.00"), "Approved")
    ]


def test_a_quarter_without_incentives_shows_zeros_and_empty_lists(world):
    with tenant_context(world.tenant):
        section = queries.partner_incentives(
            TenantAccess.program_reader(world.tenant), world.partners[0], parse_period("FY2026-Q1", 4)
        )
    assert all(f["value"] == 0 for f in section["figures"])
    assert section["statements"] == []


def test_the_section_on_the_page_the_portal_the_csv_and_the_api(world, client_for):
    p1 = world.partners[0]
    staff = client_for(world.executive)
    page = staff.get(f"/t/qbrmdf/reports/partners/{p1.pk}/qbr/?period=FY2026-Q2").content.decode()
    assert "MDF and rebates" in page
    for text in (
        "1,000 USD",
        "600 USD",
        "250 USD",
        "176 USD",
        "Partner summit booth",
        "FY26 Q2 growth rebate",
    ):
        assert text in page, text
    assert "Draft program" not in page
    portal = client_for(world.partner_user).get("/t/qbrmdf/portal/qbr/?period=FY2026-Q2").content.decode()
    assert "Webinar series" in portal
    assert "FY26 Q2 growth rebate" in portal
    rows = list(
        csv.reader(
            io.StringIO(
                staff.get(
                    f"/t/qbrmdf/reports/partners/{p1.pk}/qbr/export.csv?table=mdf&period=FY2026-Q2"
                ).content.decode()
            )
        )
    )
    assert rows == [
        ["Figure", "FY2026-Q2"],
        ["MDF allocated", "1000.00"],
        ["MDF committed", "600.00"],
        ["MDF claimed", "400.00"],
        ["MDF paid", "250.00"],
        ["Rebate accrued", "120.00"],
        ["Rebate forecast", "175.50"],
    ]
    data = staff.get(f"/api/v1/t/qbrmdf/reporting/partner-qbrs/{p1.pk}/?period=FY2026-Q2").json()
    assert {f["key"]: f["value"] for f in data["incentives"]["figures"]}["mdf_paid"] == "250.00"
    assert len(data["incentives"]["open_claims"]) == 2


def test_the_pdf_pack_has_the_section(world):
    from reporting import exports
    from reporting.models import ReportExport

    with tenant_context(world.tenant):
        export = ReportExport.objects.create(kind="qbr", period="FY2026-Q2", partner=world.partners[0])
        assert exports.export_render(export_id=export.pk) == "done"
        export.refresh_from_db()
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"],
        input=bytes(export.content),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "MDF and rebates" in text
    assert "Partner summit booth" in text
