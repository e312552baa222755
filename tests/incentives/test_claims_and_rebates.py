"""Proof-of-performance uploads, rebate accruals with forecast and statements, metrics and the
liability query."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

import prm.metrics
from incentives import queries, services
from incentives.models import Claim, ProofDocument, RebateAccrual, RebateStatement
from incentives.proof import blank_pdf
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.partners.factories import TierFactory
from tests.pipeline.factories import AccountFactory, DealRegistrationFactory, RevenueRecordFactory

from .conftest import approved_request, make_fund, pdf

D = Decimal


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _claim(world, request, files):
    with tenant_context(world.tenant):
        return services.claim_submit(
            access=world.access(Role.PARTNER_USER),
            request=request,
            fields={"actual_cost": "800"},
            files=files,
        )


def test_proof_is_stored_in_media_storage(world_a, media):
    _fund, allocation = make_fund(world_a)
    request = approved_request(world_a, allocation)
    png = SimpleUploadedFile("booth.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
    claim = _claim(world_a, request, [pdf(), png])
    with tenant_context(world_a.tenant):
        docs = list(claim.documents.order_by("pk"))
    assert [(d.original_name, d.content_type) for d in docs] == [
        ("invoice.pdf", "application/pdf"),
        ("booth.png", "image/png"),
    ]
    assert len(stored_files(media)) == 2
    assert docs[0].file.read().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("run.exe", b"MZ" + b"0" * 50), "“run.exe” is not an accepted file type"),
        (
            SimpleUploadedFile("fake.pdf", b"GIF89a not a pdf"),
            "“fake.pdf” does not contain what its name says (PDF)",
        ),
        (SimpleUploadedFile("empty.pdf", b""), "“empty.pdf” is empty"),
    ],
)
def test_a_wrong_file_is_refused_with_a_clear_error_and_nothing_is_stored(world_a, media, upload, message):
    _fund, allocation = make_fund(world_a)
    request = approved_request(world_a, allocation)
    with pytest.raises(ValidationError) as error:
        _claim(world_a, request, [pdf(), upload])  # the good file is not stored either
    assert message in error.value.message_dict["proof"][0]
    assert stored_files(media) == []
    with tenant_context(world_a.tenant):
        assert not Claim.objects.exists()
        assert not ProofDocument.objects.exists()


@override_settings(MDF_PROOF_MAX_BYTES=1024)
def test_a_file_too_large_is_refused_naming_the_limit(world_a, media):
    _fund, allocation = make_fund(world_a)
    request = approved_request(world_a, allocation)
    big = pdf("report.pdf", b"%PDF-" + b"x" * 2_000_000)
    with pytest.raises(ValidationError) as error:
        _claim(world_a, request, [big])
    assert error.value.message_dict["proof"] == ["“report.pdf” is 1.9 MB; files may be at most 1 KB."]
    assert stored_files(media) == []


def test_a_claim_needs_proof(world_a, media):
    _fund, allocation = make_fund(world_a)
    request = approved_request(world_a, allocation)
    with pytest.raises(ValidationError, match="Attach proof of performance"):
        _claim(world_a, request, [])


def test_a_partner_cannot_claim_another_partners_request(world_a, media):
    _fund, allocation = make_fund(world_a)
    request = approved_request(world_a, allocation)
    from django.core.exceptions import PermissionDenied

    with tenant_context(world_a.tenant), pytest.raises(PermissionDenied):
        services.claim_submit(
            access=world_a.access("other_partner_user"),
            request=request,
            fields={"actual_cost": "1"},
            files=[pdf()],
        )


# --- rebates -----------------------------------------------------------------------------------


def _program(world, **overrides):
    kwargs = {
        "name": "Resell rebate",
        "period": services.current_quarter(world.tenant).label,
        "basis_metric": "deals_won_amount",
        "method": "marginal",
        "bands": [{"threshold": "0", "rate": "1"}, {"threshold": "100000", "rate": "2"}],
        "accelerator_rate": "1",
        "cap": None,
    }
    kwargs.update(overrides)
    with tenant_context(world.tenant):
        return services.rebate_program_create(access=world.access(Role.ADMIN), **kwargs)


def _won(world, partner, amount, stage="commit", status="won"):
    today = timezone.localdate()
    with tenant_context(world.tenant):
        return DealRegistrationFactory(
            partner=partner,
            status=status,
            stage=stage,
            closed_on=today if status == "won" else None,
            closed_amount=amount if status == "won" else None,
            closed_amount_reporting=amount if status == "won" else None,
            amount=amount,
            amount_reporting=amount,
            expected_close_date=today,
        )


def test_accruals_explain_every_line_and_forecast_weights_open_pipeline(world_a, stand_in_metrics):
    program = _program(world_a)
    _won(world_a, world_a.partner, D("150000.00"))
    _won(world_a, world_a.partner, D("50000.00"), stage="commit", status="approved")  # 80 % → 40,000 weighted
    stand_in_metrics["jbp_revenue_attainment"][world_a.partner.pk] = D("1.05")
    with tenant_context(world_a.tenant):
        services.rebate_accruals_compute(access=world_a.access(Role.ADMIN), program=program)
        accrual = RebateAccrual.objects.get(partner=world_a.partner)
        other = RebateAccrual.objects.get(partner=world_a.other_partner)
    # 100,000 × 1 % = 1,000.00; 50,000 × 2 % = 1,000.00; accelerator 150,000 × 1 % = 1,500.00
    assert accrual.amount == D("3500.00")
    assert accrual.accelerated
    assert [line["kind"] for line in accrual.lines] == ["band", "band", "accelerator"]
    assert accrual.lines[1]["rate"] == "2.000"
    assert accrual.lines[1]["amount"] == "1000.00"
    # forecast basis 190,000: 1,000 + 1,800 + 1,900 = 4,700.00
    assert accrual.forecast_basis == D("190000.00")
    assert accrual.forecast_amount == D("4700.00")
    assert other.amount == D("0.00")
    with tenant_context(world_a.tenant):
        values = prm.metrics.get("rebate_accrued").compute(
            tenant=world_a.tenant,
            partner_ids=[world_a.partner.pk],
            period=services.current_quarter(world_a.tenant),
        )
    assert values == {world_a.partner.pk: D("3500.00")}


def test_only_eligible_tiers_accrue(world_a):
    with tenant_context(world_a.tenant):
        gold = TierFactory(name="Gold", rank=1, mdf_eligible=True, rebate_eligible=True)
    program = _program(world_a, eligible_tier_ids=[gold.pk])
    with tenant_context(world_a.tenant):
        assert services.rebate_accruals_compute(access=world_a.access(Role.ADMIN), program=program) == 0


def test_statements_close_after_the_period_then_finance_approves_and_pays(world_a):
    last_quarter = services.current_quarter(world_a.tenant).previous()
    program = _program(
        world_a, period=last_quarter.label, method="retroactive", accelerator_rate=None, cap="1000"
    )
    with tenant_context(world_a.tenant):
        account = AccountFactory()
        RevenueRecordFactory(
            account=account,
            partner=world_a.partner,
            period=last_quarter.start,
            amount=D("120000"),
            amount_reporting=D("120000"),
        )
    program.basis_metric = "revenue"
    with tenant_context(world_a.tenant):
        program.save()
        statements = services.rebate_statements_close(access=world_a.access(Role.FINANCE), program=program)
        # 120,000 × 2 % = 2,400.00, capped at 1,000.00
        assert [(s.partner_id, s.amount) for s in statements] == [(world_a.partner.pk, D("1000.00"))]
        statement = statements[0]
        assert queries.statements(world_a.access(Role.PARTNER_USER)).count() == 0  # drafts are finance's
        services.rebate_statement_approve(access=world_a.access(Role.FINANCE), statement=statement)
        assert queries.statements(world_a.access(Role.PARTNER_USER)).count() == 1
        services.rebate_statement_pay(
            access=world_a.access(Role.FINANCE),
            statement=statement,
            reference="RB-1",
            paid_on=timezone.localdate(),
        )
        statement.refresh_from_db()
        assert statement.status == RebateStatement.Status.PAID
        assert statement.paid_amount == D("1000.00")
        with pytest.raises(ValidationError):
            services.rebate_statement_pay(
                access=world_a.access(Role.FINANCE),
                statement=statement,
                reference="RB-2",
                paid_on=timezone.localdate(),
            )
        report = queries.liability(world_a.access(Role.FINANCE), last_quarter)
    assert report["rebates"]["paid"] == D("1000.00")
    assert report["rebates"]["approved"] == D("1000.00")


def test_statements_wait_for_the_period_to_close(world_a):
    program = _program(world_a)
    with (
        tenant_context(world_a.tenant),
        pytest.raises(ValidationError, match="statements are made after it closes"),
    ):
        services.rebate_statements_close(access=world_a.access(Role.FINANCE), program=program)


def test_mdf_metrics_and_roi_and_fund_utilisation(world_a, media):
    fund, allocation = make_fund(world_a, budget="20000", allocate="10000")
    request = approved_request(world_a, allocation, "2000")
    with tenant_context(world_a.tenant):
        claim = services.claim_submit(
            access=world_a.access(Role.PARTNER_USER),
            request=request,
            fields={"actual_cost": "2000"},
            files=[pdf()],
        )
        services.claim_approve(access=world_a.access(Role.FINANCE), claim=claim)
        services.payout_record(
            access=world_a.access(Role.FINANCE), claim=claim, reference="AP-1", paid_on=timezone.localdate()
        )
        DealRegistrationFactory(
            partner=world_a.partner,
            amount=D("30000"),
            amount_reporting=D("30000"),
            submitted_at=timezone.now(),
        )
        period = services.current_quarter(world_a.tenant)
        ids = [world_a.partner.pk, world_a.other_partner.pk]
        got = {
            key: prm.metrics.get(key).compute(tenant=world_a.tenant, partner_ids=ids, period=period)
            for key in ("mdf_allocated", "mdf_committed", "mdf_claimed", "mdf_paid", "mdf_roi")
        }
        report = queries.liability(world_a.access(Role.FINANCE), period)
    me, other = world_a.partner.pk, world_a.other_partner.pk
    assert got["mdf_allocated"] == {me: D("10000.00"), other: D("0.00")}
    assert got["mdf_paid"][me] == got["mdf_claimed"][me] == got["mdf_committed"][me] == D("2000.00")
    assert got["mdf_roi"] == {me: D("15.0000"), other: None}  # 30,000 sourced / 2,000 paid
    assert report["funds"]["budget"] == D("20000.00")
    assert report["funds"]["utilisation"] == D("0.1000")
    assert fund.period == period.label
    assert timedelta(0) <= fund.claim_deadline - timezone.localdate()


def test_roi_by_tier_counts_the_pipeline_of_partners_that_were_paid_mdf(world_a, media):
    with tenant_context(world_a.tenant):
        gold = TierFactory(name="Gold", rank=1, mdf_eligible=True, rebate_eligible=True)
        type(world_a.partner).objects.filter(pk=world_a.partner.pk).update(tier=gold)
    _fund, allocation = make_fund(world_a)
    request = approved_request(world_a, allocation, "2000")
    with tenant_context(world_a.tenant):
        claim = services.claim_submit(
            access=world_a.access(Role.PARTNER_USER),
            request=request,
            fields={"actual_cost": "2000"},
            files=[pdf()],
        )
        services.claim_approve(access=world_a.access(Role.FINANCE), claim=claim)
        services.payout_record(
            access=world_a.access(Role.FINANCE), claim=claim, reference="AP-1", paid_on=timezone.localdate()
        )
        DealRegistrationFactory(partner=world_a.partner, amount=D("9000"), amount_reporting=D("9000"))
        DealRegistrationFactory(partner=world_a.other_partner, amount=D("5000"), amount_reporting=D("5000"))
        rows = queries.roi_by_tier(world_a.access(Role.MANAGER), services.current_quarter(world_a.tenant))
    # 9,000 sourced / 2,000 paid = 4.50; the other partner got no MDF and does not count
    assert rows == [{"tier": "Gold", "paid": D("2000.00"), "sourced": D("9000.00"), "roi": D("4.5000")}]


def test_the_accelerator_follows_the_real_jbp_revenue_attainment(world_a):
    """Against the jbp app's metric: revenue 120,000 on a 100,000 commitment (120 %) earns +1 %."""
    from jbp.models import Plan, Target

    quarter = services.current_quarter(world_a.tenant)
    program = _program(world_a, basis_metric="revenue", method="retroactive")
    with tenant_context(world_a.tenant):
        for partner, committed in ((world_a.partner, "100000"), (world_a.other_partner, "200000")):
            plan = Plan.objects.create(
                partner=partner,
                fiscal_year=quarter.fiscal_year,
                title=f"{partner.name} plan",
                status=sorted(Plan.SIGNED)[0],
            )
            Target.objects.create(
                plan=plan,
                kind=Target.Kind.REVENUE,
                metric_key="revenue",
                quarter=quarter.quarter,
                value=D(committed),
            )
            RevenueRecordFactory(
                account=AccountFactory(),
                partner=partner,
                period=quarter.start,
                amount=D("120000"),
                amount_reporting=D("120000"),
            )
        services.rebate_accruals_compute(access=world_a.access(Role.ADMIN), program=program)
        mine = RebateAccrual.objects.get(partner=world_a.partner)
        other = RebateAccrual.objects.get(partner=world_a.other_partner)
    # 120,000 × 2 % = 2,400.00 plus the accelerator 120,000 × 1 % = 1,200.00 → 3,600.00
    assert mine.accelerated
    assert mine.amount == D("3600.00")
    # 120,000 of a 200,000 commitment is 60 %: no accelerator
    assert not other.accelerated
    assert other.amount == D("2400.00")


def _pdf_with_javascript() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('hello');"),
        }
    )
    writer.root_object[NameObject("/OpenAction")] = writer._add_object(action)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (
            b"%PDF-1.7\nMZ\x90\x00" + b"\x00" * 400 + b"This program cannot be run in DOS mode",
            "an executable",
        ),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "no pages"),
        (_pdf_with_javascript(), "a script"),
    ],
)
def test_a_file_that_starts_like_a_pdf_but_is_not_a_plain_one_is_refused(world_a, media, content, what):
    _fund, allocation = make_fund(world_a)
    request = approved_request(world_a, allocation)

    with pytest.raises(ValidationError) as error:
        _claim(world_a, request, [pdf("invoice.pdf", content)])

    assert "“invoice.pdf” is not a plain PDF document" in error.value.message_dict["proof"][0], what
    assert stored_files(media) == []
    with tenant_context(world_a.tenant):
        assert not Claim.objects.exists()


def test_a_real_pdf_is_accepted_and_stored(world_a, media):
    _fund, allocation = make_fund(world_a)
    request = approved_request(world_a, allocation)

    claim = _claim(world_a, request, [pdf("invoice.pdf", blank_pdf())])

    with tenant_context(world_a.tenant):
        assert [d.original_name for d in claim.documents.all()] == ["invoice.pdf"]
