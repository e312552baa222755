"""A partner's QBR (staff page and portal), PDF exports through the task, and isolation."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from pipeline.models import DealRegistration
from prm.access import TenantAccess
from prm.periods import parse_period
from prm.permissions import Role
from prm.tenancy import tenant_context
from reporting import exports, queries
from reporting.models import ReportExport
from tests.pipeline.test_metrics import build_metric_world
from tests.prm.factories import MembershipFactory

D = Decimal


@pytest.fixture
def world(db):
    w = build_metric_world(slug="qbr")
    w.executive = MembershipFactory(tenant=w.tenant, role=Role.EXECUTIVE).user
    return w


def test_the_qbr_shows_each_figure_this_period_the_previous_and_a_year_before(world):
    p1 = world.partners[0]
    with tenant_context(world.tenant):
        qbr = queries.qbr(TenantAccess.program_reader(world.tenant), p1, parse_period("FY2026-Q2", 4))
    rows = {r.key: r for r in qbr.rows}
    # The pipeline metric world's hand computations for P1 (tests/pipeline/test_metrics.py).
    assert rows["pipeline_sourced"].value == D("4400.00")
    assert rows["win_rate"].value == D("0.6667")
    assert rows["nrr"].value == D("1.0800")
    assert rows["revenue_ttm"].value == D("2800.00")
    # FY2026-Q1: the 4000 submitted on 30 June; a year before (FY2025-Q2): nothing.
    assert rows["pipeline_sourced"].previous == D("4000.00")
    assert rows["pipeline_sourced"].year_ago == D("0.00")
    assert qbr.previous.label == "FY2026-Q1"
    # Deals submitted or closed in the period: all of P1's but the 600 submitted on 1 October.
    assert sorted(d.opportunity_name for d in qbr.deals) == [f"Deal {n}" for n in (1, 2, 3, 4, 5, 6, 8)]


def test_staff_qbr_page_csv_and_pdf(world, client_for, django_capture_on_commit_callbacks):
    p1 = world.partners[0]
    client = client_for(world.executive)
    url = f"/t/qbr/reports/partners/{p1.pk}/qbr/?period=FY2026-Q2"
    body = client.get(url).content.decode()
    assert "Quarterly business review: Metric Partner 1" in body
    assert "4,400 USD" in body
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    f"/t/qbr/reports/partners/{p1.pk}/qbr/export.csv?table=metrics&period=FY2026-Q2"
                ).content.decode()
            )
        )
    )
    assert rows[0] == ["Figure", "FY2026-Q2", "FY2026-Q1", "Change", "A year before"]
    assert rows[1] == ["Pipeline sourced", "4400.00", "4000.00", "10.0", "0.00"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/t/qbr/reports/partners/{p1.pk}/qbr/pdf/", {"period": "FY2026-Q2"})
    assert response.status_code == 302
    with tenant_context(world.tenant):
        export = ReportExport.objects.get()
    assert (export.kind, export.period, export.partner_id, export.status) == (
        "qbr",
        "FY2026-Q2",
        p1.pk,
        "done",
    )
    assert bytes(export.content).startswith(b"%PDF")
    pdf = client.get(f"/t/qbr/reports/exports/{export.pk}/")
    assert pdf["Content-Type"] == "application/pdf"
    assert f"qbr-{p1.pk}-FY2026-Q2.pdf" in pdf["Content-Disposition"]
    assert "Ready" in client.get(url).content.decode()


def test_dashboard_pdf_is_rendered_by_the_task_and_shown_on_the_page(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world.executive)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/t/qbr/reports/pdf/", {"period": "FY2026-Q2"}).status_code == 302
    with tenant_context(world.tenant):
        export = ReportExport.objects.get()
    assert export.status == ReportExport.Status.DONE
    assert len(bytes(export.content)) > 5000
    page = client.get("/t/qbr/reports/?period=FY2026-Q2").content.decode()
    assert f"/t/qbr/reports/exports/{export.pk}/" in page
    # Rendering again does nothing to a finished export.
    with tenant_context(world.tenant):
        assert exports.export_render(export_id=export.pk) == "done"


def test_a_partner_sees_its_own_qbr_in_the_portal_and_nothing_else(
    world, client_for, django_capture_on_commit_callbacks
):
    p1, p2, _ = world.partners
    client = client_for(world.partner_user)  # a user of P1
    body = client.get("/t/qbr/portal/qbr/?period=FY2026-Q2").content.decode()
    assert "Quarterly business review: Metric Partner 1" in body
    assert "Metric Partner 2" not in body
    # Staff pages stay closed; the portal takes the partner from the membership, not the URL.
    assert client.get("/t/qbr/reports/").status_code == 403
    assert client.get(f"/t/qbr/reports/partners/{p2.pk}/qbr/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/t/qbr/portal/qbr/pdf/", {"period": "FY2026-Q2"})
    with tenant_context(world.tenant):
        own = ReportExport.objects.get()
        other = ReportExport.objects.create(
            kind="qbr", period="FY2026-Q2", partner=p2, status="done", content=b"%PDF x"
        )
        dashboard = ReportExport.objects.create(
            kind="dashboard", period="FY2026-Q2", status="done", content=b"%PDF y"
        )
    assert own.partner_id == p1.pk
    assert client.get(f"/t/qbr/portal/qbr/exports/{own.pk}/").status_code == 200
    assert client.get(f"/t/qbr/portal/qbr/exports/{other.pk}/").status_code == 404
    assert client.get(f"/t/qbr/portal/qbr/exports/{dashboard.pk}/").status_code == 404


def test_an_executive_of_one_tenant_sees_nothing_of_another(world, client_for):
    other = build_metric_world(slug="other")
    client = client_for(world.executive)
    body = client.get("/t/qbr/reports/?period=FY2026-Q2").content.decode()
    # Both tenants have partners named alike; the figures are this tenant's only (P1 4400 + P2 300).
    assert "4,700 USD" in body
    assert "9,400 USD" not in body
    assert client.get("/t/other/reports/").status_code == 404
    assert client.get(f"/t/qbr/reports/partners/{other.partners[0].pk}/qbr/").status_code == 404
    with tenant_context(other.tenant):
        foreign = ReportExport.objects.create(
            kind="dashboard", period="FY2026-Q2", status="done", content=b"%PDF"
        )
    assert client.get(f"/t/qbr/reports/exports/{foreign.pk}/").status_code == 404


def test_the_qbr_shows_the_partners_score_and_tier_movement(world):
    from datetime import UTC, date, datetime

    from partners.models import Tier
    from tiering.models import Scorecard, ScoreRun, ScoreSnapshot, TierChange

    p1 = world.partners[0]
    with tenant_context(world.tenant):
        gold = Tier.objects.create(name="Gold", rank=1, classification="strategic")
        card = Scorecard.objects.create(version=1, is_active=True)
        for day, score in ((date(2025, 6, 1), 60), (date(2025, 9, 1), 72)):
            run = ScoreRun.objects.create(run_on=day, period_label="x", scorecard=card)
            ScoreSnapshot.objects.create(run=run, partner=p1, run_on=day, scorecard=card, score=score)
        TierChange.objects.create(
            partner=p1, to_tier=gold, changed_at=datetime(2025, 9, 2, tzinfo=UTC), reason="Up"
        )
        qbr = queries.qbr(TenantAccess.program_reader(world.tenant), p1, parse_period("FY2026-Q2", 4))
    score = next(r for r in qbr.rows if r.key == "partner_score")
    # Latest score on or before 30 Sep 2025 (72), before 30 Jun 2025 (60), a year before: none.
    assert (score.value, score.previous, score.year_ago) == (D("72"), D("60"), None)
    # A score moves in points (72 − 60), not by a percentage of itself.
    assert score.change == {"kind": "points", "value": D("12.0"), "up": True, "down": False}
    assert [(m["from"], m["to"], m["up"]) for m in qbr.extra["movements"]] == [("No tier", "Gold", True)]


def test_jbp_attainment_on_the_dashboard_and_targets_and_actions_on_the_qbr(world, client_for):
    from datetime import date

    from jbp.models import ActionItem, Plan, Review, Target

    p1 = world.partners[0]
    with tenant_context(world.tenant):
        plan = Plan.objects.create(
            partner=p1, fiscal_year=2026, title="P1 plan FY2026", status=Plan.Status.ACTIVE
        )
        Target.objects.create(
            plan=plan, kind=Target.Kind.REVENUE, metric_key="revenue", quarter=2, value=2000
        )
        Target.objects.create(
            plan=plan, kind=Target.Kind.REVENUE, metric_key="revenue", quarter=3, value=9000
        )
        review = Review.objects.create(
            plan=plan,
            quarter=1,
            held_on=date(2025, 7, 5),
            vendor_attendees="V",
            partner_attendees="P",
            notes="",
        )
        ActionItem.objects.create(
            plan=plan,
            review=review,
            title="Joint webinar",
            owner_side="partner",
            owner_name="Ana",
            due_on=date(2025, 8, 1),
        )
        period = parse_period("FY2026-Q2", 4)
        plans = queries.plan_attainment(TenantAccess.program_reader(world.tenant), period)
        qbr = queries.qbr(TenantAccess.program_reader(world.tenant), p1, period)
    # FY2026-Q2 revenue of P1: 1200 (hand-computed in tests/pipeline) against 2000 committed for Q2.
    assert [(r["partner"], r["commitment"], r["actual"], r["attainment"]) for r in plans] == [
        ("Metric Partner 1", D("2000"), D("1200.00"), D("0.6000"))
    ]
    plan_view = qbr.extra["plan"]
    assert [(t["when"], t["target"], t["actual"]) for t in plan_view["targets"]] == [
        ("Q2", D("2000"), D("1200.00"))
    ]
    assert [(a["title"], a["owner"]) for a in plan_view["actions"]] == [("Joint webinar", "Ana")]
    page = client_for(world.executive).get("/t/qbr/reports/?period=FY2026-Q2").content.decode()
    assert "P1 plan FY2026" in page
    assert "60.00 %" in page
    qbr_page = (
        client_for(world.executive)
        .get(f"/t/qbr/reports/partners/{p1.pk}/qbr/?period=FY2026-Q2")
        .content.decode()
    )
    assert "Joint webinar" in qbr_page


def test_chart_quarter_labels_and_tier_wording():
    from types import SimpleNamespace

    from reporting.presenters import short_quarter
    from reporting.templatetags.reporting_tags import tier_text

    assert short_quarter(parse_period("FY2026-Q3", 4)) == "Q3 '26"
    assert short_quarter(parse_period("FY2030-Q1", 1)) == "Q1 '30"

    def tier(name, label):
        return SimpleNamespace(name=name, get_classification_display=lambda: label)

    assert tier_text(tier("Strategic", "Strategic")) == "Tier Strategic"
    assert tier_text(tier("Gold", "Tactical")) == "Tier Gold (Tactical)"


def test_a_formula_typed_as_an_opportunity_name_reaches_the_qbr_csv_as_text(world, client_for):
    p1 = world.partners[0]
    with tenant_context(world.tenant):
        deal = DealRegistration.objects.filter(partner=p1, opportunity_name="Deal 1").get()
        deal.opportunity_name = '=HYPERLINK("http://evil.example","Invoice")'
        deal.save(update_fields=["opportunity_name"])
    client = client_for(world.executive)

    text = client.get(f"/t/qbr/reports/partners/{p1.pk}/qbr/export.csv?table=deals&period=FY2026-Q2").content
    cells = [row[0] for row in csv.reader(io.StringIO(text.decode()))]

    assert '\'=HYPERLINK("http://evil.example","Invoice")' in cells
    assert not any(cell.startswith("=") for cell in cells)


# What computing the dashboard reads: the catalog's metric statements, the partners and their tiers.
METRIC_TABLES = ('FROM "pipeline_', 'FROM "partners_partner"', 'FROM "partners_tier"', 'FROM "tiering_')


def test_a_dashboard_pdf_renders_from_the_cached_figures_without_a_metric_statement(
    world, client_for, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.executive)
    assert "Computed just now" in client.get("/t/qbr/reports/?period=FY2026-Q2").content.decode()
    with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=True):
        assert client.post("/t/qbr/reports/pdf/", {"period": "FY2026-Q2"}).status_code == 302
    with tenant_context(world.tenant):
        export = ReportExport.objects.get()
    assert export.status == ReportExport.Status.DONE
    metric = [q["sql"] for q in captured.captured_queries if any(t in q["sql"] for t in METRIC_TABLES)]
    assert metric == []
    # The request and its audit event changed no figure: the page is still served from the cache.
    assert "Cached figures" in client.get("/t/qbr/reports/?period=FY2026-Q2").content.decode()


def test_a_dashboard_pdf_computes_the_figures_when_the_cache_is_cold(
    world, client_for, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.executive)
    with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=True):
        client.post("/t/qbr/reports/pdf/", {"period": "FY2026-Q2"})
    assert any('FROM "pipeline_dealregistration"' in q["sql"] for q in captured.captured_queries)
    # …and leaves them in the cache for the page.
    assert "Cached figures" in client.get("/t/qbr/reports/?period=FY2026-Q2").content.decode()
