"""Staff and portal pages and the API of incentives, as people use them."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incentives.models import Claim, FundRequest
from prm.permissions import Role
from prm.tenancy import tenant_context

from .conftest import PDF, approved_request, make_fund, request_fields, submitted_claim

D = Decimal


def test_staff_see_funds_with_their_ledger_and_the_nav_entries(world_a, client_for):
    make_fund(world_a, budget="50000", allocate="10000")
    page = client_for(world_a.user(Role.MANAGER)).get("/t/alpha/mdf/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Field marketing" in body
    assert "50,000.00" in body
    assert 'href="/t/alpha/rebates/"' in body
    assert 'href="/t/alpha/mdf/"' in body


def test_a_manager_allocates_from_the_fund_page_and_overspending_is_explained(world_a, client_for):
    fund, _allocation = make_fund(world_a, budget="12000", allocate="10000")
    client = client_for(world_a.user(Role.MANAGER))
    refused = client.post(
        f"/t/alpha/mdf/funds/{fund.pk}/allocate/", {"partner": world_a.other_partner.pk, "amount": "5000"}
    )
    assert refused.status_code == 400
    assert "Only 2,000.00 of the fund is left to allocate." in refused.content.decode()
    done = client.post(
        f"/t/alpha/mdf/funds/{fund.pk}/allocate/", {"partner": world_a.other_partner.pk, "amount": "2000"}
    )
    assert done.status_code == 302
    assert "ALPHA Partner Two" in client.get(f"/t/alpha/mdf/funds/{fund.pk}/").content.decode()


def test_a_partner_requests_funds_in_the_portal_and_a_manager_approves_in_part(world_a, client_for):
    _fund, allocation = make_fund(world_a)
    partner = client_for(world_a.user(Role.PARTNER_USER))
    assert "10,000.00" in partner.get("/t/alpha/portal/mdf/").content.decode()
    fields = request_fields("3000")
    response = partner.post("/t/alpha/portal/mdf/requests/new/", {**fields, "allocation": allocation.pk})
    assert response.status_code == 302
    with tenant_context(world_a.tenant):
        request = FundRequest.objects.get()
    manager = client_for(world_a.user(Role.MANAGER))
    assert "Spring webinar" in manager.get("/t/alpha/mdf/requests/").content.decode()
    no_reason = manager.post(f"/t/alpha/mdf/requests/{request.pk}/approve/", {"amount": "2000"})
    assert no_reason.status_code == 400
    assert "Say why only part of the amount is approved." in no_reason.content.decode()
    manager.post(
        f"/t/alpha/mdf/requests/{request.pk}/approve/", {"amount": "2000", "reason": "Half the venue"}
    )
    body = partner.get(f"/t/alpha/portal/mdf/requests/{request.pk}/").content.decode()
    assert "Approved" in body
    assert "Half the venue" in body
    assert "Claim the funds" in body


def test_a_partner_claims_with_a_file_and_a_wrong_file_is_shown_as_an_error(
    world_a, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    _fund, allocation = make_fund(world_a)
    request = approved_request(world_a, allocation, "1000")
    partner = client_for(world_a.user(Role.PARTNER_USER))
    url = f"/t/alpha/portal/mdf/requests/{request.pk}/"
    bad = partner.post(
        url, {"actual_cost": "900", "leads": 3, "proof": SimpleUploadedFile("x.exe", b"MZ....")}
    )
    assert bad.status_code == 400
    assert "“x.exe” is not an accepted file type" in bad.content.decode()
    assert not any(tmp_path.rglob("*.*"))
    ok = partner.post(
        url, {"actual_cost": "900", "leads": 3, "proof": SimpleUploadedFile("invoice.pdf", PDF)}
    )
    assert ok.status_code == 302
    with tenant_context(world_a.tenant):
        claim = Claim.objects.get()
        proof = claim.documents.get()
    assert claim.amount == D("900.00")
    download = partner.get(f"/t/alpha/portal/mdf/proof/{proof.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    other = client_for(world_a.members["other_partner_user"].user)
    assert other.get(f"/t/alpha/portal/mdf/proof/{proof.pk}/").status_code == 404
    assert other.get(url).status_code == 404


def test_finance_approves_a_claim_records_a_payout_and_exports_it(world_a, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    _fund, allocation = make_fund(world_a)
    claim = submitted_claim(world_a, allocation, "1000", "1000")
    finance = client_for(world_a.user(Role.FINANCE))
    assert "Approve the claim" in finance.get(f"/t/alpha/mdf/claims/{claim.pk}/").content.decode()
    manager = client_for(world_a.user(Role.MANAGER))
    assert manager.post(f"/t/alpha/mdf/claims/{claim.pk}/approve/").status_code == 403
    assert finance.post(f"/t/alpha/mdf/claims/{claim.pk}/approve/", {"amount": ""}).status_code == 302
    paid = finance.post(
        f"/t/alpha/mdf/claims/{claim.pk}/pay/", {"reference": "AP-100", "paid_on": timezone.localdate()}
    )
    assert paid.status_code == 302
    export = finance.get("/t/alpha/mdf/payouts/export.csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [(r["payment_reference"], r["partner"], r["amount"]) for r in rows] == [
        ("AP-100", "ALPHA Partner One", "1000.00")
    ]
    assert manager.get("/t/alpha/mdf/payouts/export.csv").status_code == 403


def test_the_partner_page_shows_an_incentives_section(world_a, client_for):
    make_fund(world_a)
    body = (
        client_for(world_a.user(Role.MANAGER))
        .get(f"/t/alpha/partners/{world_a.partner.pk}/")
        .content.decode()
    )
    assert "Incentives" in body
    assert "Open MDF balance" in body


def test_rebate_program_pages_create_and_accrue(world_a, client_for):
    admin = client_for(world_a.user(Role.ADMIN))
    from incentives.services import current_quarter

    response = admin.post(
        "/t/alpha/rebates/new/",
        {
            "name": "Resell",
            "period": current_quarter(world_a.tenant).label,
            "basis_metric": "revenue",
            "method": "marginal",
            "bands": "0, 1\n100000, 2",
            "accelerator_attainment": "1.0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    detail = response["Location"]
    assert admin.post(detail + "accrue/").status_code == 302
    body = admin.get(detail).content.decode()
    assert "ALPHA Partner One" in body
    bad = admin.post(
        "/t/alpha/rebates/new/",
        {
            "name": "X",
            "period": "2026",
            "basis_metric": "revenue",
            "method": "marginal",
            "bands": "abc",
            "accelerator_attainment": "1",
        },
    )
    assert bad.status_code == 400
    assert "write “threshold, rate”" in bad.content.decode()


# --- API -----------------------------------------------------------------------------------------


def test_api_partner_submits_a_request_and_claims_with_a_file_finance_approves(
    world_a, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    _fund, allocation = make_fund(world_a)
    partner = client_for(world_a.user(Role.PARTNER_ADMIN))
    fields = {k: str(v) for k, v in request_fields("1500").items()}
    created = partner.post(
        "/api/v1/t/alpha/mdf-requests/",
        {**fields, "allocation": allocation.pk},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]
    manager = client_for(world_a.user(Role.MANAGER))
    approved = manager.post(
        f"/api/v1/t/alpha/mdf-requests/{request_id}/approve/", {}, content_type="application/json"
    )
    assert approved.json()["approved_amount"] == "1500.00"
    claim = partner.post(
        "/api/v1/t/alpha/mdf-claims/",
        {
            "request": request_id,
            "actual_cost": "1400",
            "proof": [SimpleUploadedFile("invoice.pdf", PDF)],
        },
    )
    assert claim.status_code == 201, claim.content
    assert claim.json()["documents"][0]["original_name"] == "invoice.pdf"
    claim_id = claim.json()["id"]
    assert (
        partner.post(
            f"/api/v1/t/alpha/mdf-claims/{claim_id}/approve/", {}, content_type="application/json"
        ).status_code
        == 403
    )
    finance = client_for(world_a.user(Role.FINANCE))
    done = finance.post(
        f"/api/v1/t/alpha/mdf-claims/{claim_id}/approve/", {}, content_type="application/json"
    )
    assert done.json()["status"] == "approved"
    payout = finance.post(
        f"/api/v1/t/alpha/mdf-claims/{claim_id}/pay/",
        {"reference": "AP-55", "paid_on": str(timezone.localdate())},
        content_type="application/json",
    )
    assert payout.status_code == 201
    allocations = partner.get("/api/v1/t/alpha/mdf-allocations/").json()["results"]
    assert allocations[0]["paid"] == "1400.00"
    liability = finance.get("/api/v1/t/alpha/mdf-funds/liability/").json()
    assert liability["funds"]["paid"] == "1400.00"


def test_api_refuses_a_request_beyond_the_allocation_naming_the_field(world_a, client_for):
    _fund, allocation = make_fund(world_a, allocate="500")
    partner = client_for(world_a.user(Role.PARTNER_ADMIN))
    fields = {k: str(v) for k, v in request_fields("600").items()}
    response = partner.post(
        "/api/v1/t/alpha/mdf-requests/",
        {**fields, "allocation": allocation.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "requested_amount" in response.json()


def test_the_staff_overview_shows_this_quarters_incentives(world_a, client_for):
    _fund, allocation = make_fund(world_a, budget="50000")
    approved_request(world_a, allocation, "1000")
    body = client_for(world_a.user(Role.EXECUTIVE)).get("/t/alpha/").content.decode()
    assert "MDF committed of budget" in body
    assert "1,000" in body
    assert "50,000" in body


def test_api_rebate_program_accrues_and_partners_see_only_their_approved_statements(world_a, client_for):
    from incentives import services
    from incentives.models import RebateStatement

    admin = client_for(world_a.user(Role.ADMIN))
    last = services.current_quarter(world_a.tenant).previous().label
    created = admin.post(
        "/api/v1/t/alpha/rebate-programs/",
        {
            "name": "Resell",
            "period": last,
            "basis_metric": "revenue",
            "method": "marginal",
            "bands": [{"threshold": "0", "rate": "1.5"}],
            "cap": "100",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    program_id = created.json()["id"]
    assert created.json()["bands"] == [{"threshold": "0.00", "rate": "1.500"}]
    assert admin.post(f"/api/v1/t/alpha/rebate-programs/{program_id}/accrue/").json() == {"partners": 2}
    with tenant_context(world_a.tenant):
        mine = RebateStatement.objects.create(
            program_id=program_id, partner=world_a.partner, basis=1000, amount=15
        )
        RebateStatement.objects.create(
            program_id=program_id, partner=world_a.other_partner, basis=1000, amount=15, status="approved"
        )
    partner = client_for(world_a.user(Role.PARTNER_ADMIN))
    assert partner.get("/api/v1/t/alpha/rebate-statements/").json()["results"] == []  # a draft is finance's
    finance = client_for(world_a.user(Role.FINANCE))
    approved = finance.post(f"/api/v1/t/alpha/rebate-statements/{mine.pk}/approve/")
    assert approved.json()["status"] == "approved"
    results = partner.get("/api/v1/t/alpha/rebate-statements/").json()["results"]
    assert [r["id"] for r in results] == [mine.pk]
    assert partner.post(f"/api/v1/t/alpha/rebate-programs/{program_id}/accrue/").status_code == 403
    bad = admin.post(
        "/api/v1/t/alpha/rebate-programs/",
        {
            "name": "X",
            "period": last,
            "basis_metric": "win_rate",
            "method": "marginal",
            "bands": [{"threshold": "0", "rate": "1"}],
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "basis_metric" in bad.json()


def test_an_admin_changes_a_funds_budget_but_never_below_what_is_allocated(world_a, client_for):
    fund, _allocation = make_fund(world_a, budget="50000", allocate="10000")
    admin = client_for(world_a.user(Role.ADMIN))
    deadline = fund.claim_deadline.isoformat()
    refused = admin.post(
        f"/t/alpha/mdf/funds/{fund.pk}/edit/", {"budget": "9000", "claim_deadline": deadline}
    )
    assert refused.status_code == 400
    assert "The budget cannot be less than the 10,000.00 already allocated." in refused.content.decode()
    assert (
        admin.post(
            f"/t/alpha/mdf/funds/{fund.pk}/edit/", {"budget": "60000", "claim_deadline": deadline}
        ).status_code
        == 302
    )
    changed = admin.post(
        f"/api/v1/t/alpha/mdf-funds/{fund.pk}/change/",
        {"budget": "70000", "claim_deadline": deadline},
        content_type="application/json",
    )
    assert changed.json()["budget"] == "70000.00"
    assert (
        client_for(world_a.user(Role.MANAGER)).get(f"/t/alpha/mdf/funds/{fund.pk}/edit/").status_code == 403
    )
