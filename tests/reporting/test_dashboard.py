"""The executive dashboard against numbers worked out by hand.

The fixture is the pipeline metrics world (tests/pipeline/test_metrics.py: an April fiscal year,
FY2026-Q2 = July–September 2025, three partners whose every deal and revenue record is listed
there with its hand computation), with tiers: P1 in Gold (strategic), P2 and P3 in Silver
(tactical). Group ratios are ratios of the group's sums, never averages of partners' ratios.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.models import Partner, Tier
from pipeline import services as pipeline_services
from pipeline.models import DealRegistration, RevenueRecord
from prm.access import TenantAccess
from prm.periods import FiscalPeriod, TrailingFourQuarters, parse_period
from prm.permissions import Role
from prm.tenancy import tenant_context
from reporting import presenters, queries
from tests.pipeline.test_metrics import build_metric_world
from tests.prm.factories import MembershipFactory

D = Decimal


@pytest.fixture
def world(db):
    w = build_metric_world(slug="dash")
    with tenant_context(w.tenant):
        gold = Tier.objects.create(name="Gold", rank=1, classification="strategic")
        silver = Tier.objects.create(name="Silver", rank=2, classification="tactical")
        p1, p2, p3 = w.partners
        Partner.objects.filter(pk=p1.pk).update(tier=gold)
        Partner.objects.filter(pk__in=[p2.pk, p3.pk]).update(tier=silver)
    w.gold, w.silver = gold, silver
    w.executive = MembershipFactory(tenant=w.tenant, role=Role.EXECUTIVE).user
    return w


def _dashboard(world, label="FY2026-Q2"):
    with tenant_context(world.tenant):
        return queries.compute_dashboard(TenantAccess.program_reader(world.tenant), parse_period(label, 4))


# figure → (all partners, strategic = P1, tactical = P2 + P3), FY2026-Q2, each worked out by hand.
EXPECTED = {
    # P1 4400 (1000 + 2000 EUR = 2200 + 500 + 700); P2 300.
    "pipeline_sourced": (D("4700.00"), D("4400.00"), D("300.00")),
    # P1 1500; P2 1000 EUR = 1100.
    "pipeline_influenced": (D("2600.00"), D("1500.00"), D("1100.00")),
    # P1 won 2750 + 3000; nobody else won.
    "deals_won_amount": (D("5750.00"), D("5750.00"), D("0.00")),
    # All: (2 + 0) won ÷ (3 + 2) decided = 0.4 — not the average of 0.6667 and 0 (0.3333).
    "win_rate": (D("0.4000"), D("0.6667"), D("0.0000")),
    # All: 5750 ÷ 2 deals won. Tactical: nothing won, so no size.
    "average_deal_size": (D("2875.00"), D("2875.00"), None),
    # All: (3780 + 1200) ÷ (3500 + 2000) = 4980 ÷ 5500 = 0.90545… → 0.9055.
    "nrr": (D("0.9055"), D("1.0800"), D("0.6000")),
    # P1 500 + 700; P2 1200.
    "revenue": (D("2400.00"), D("1200.00"), D("1200.00")),
}


def test_every_headline_figure_equals_the_hand_computation(world):
    dashboard = _dashboard(world)
    for key, (total, strategic, tactical) in EXPECTED.items():
        figure = dashboard.figure(key)
        assert figure.total.value == total, key
        assert figure.by_class["strategic"].value == strategic, key
        assert figure.by_class["tactical"].value == tactical, key
        # Tiers: Gold is P1 alone, Silver is P2 and P3 — the same as the classifications here.
        assert figure.by_tier[world.gold.pk].value == strategic, key
        assert figure.by_tier[world.silver.pk].value == tactical, key


def test_changes_against_the_previous_quarter(world):
    dashboard = _dashboard(world)
    assert dashboard.previous.label == "FY2026-Q1"
    sourced = dashboard.figure("pipeline_sourced")
    # FY2026-Q1 (April–June 2025): only P1's 4000 submitted on 30 June. 4700 ÷ 4000 − 1 = +17.5 %.
    assert sourced.total.previous == D("4000.00")
    assert sourced.total.change == {"kind": "percent", "value": D("17.5"), "up": True, "down": False}
    # Nothing was decided in FY2026-Q1: no win rate then, so no change.
    assert dashboard.figure("win_rate").total.previous is None
    assert dashboard.figure("win_rate").total.change is None
    # No revenue booked in FY2026-Q1 (a contraction and a churn are not bookings): no relative change.
    assert dashboard.figure("revenue").total.previous == D("0.00")
    assert dashboard.figure("revenue").total.change is None


def _book(world, partner, account, month, amount):
    manager = MembershipFactory(tenant=world.tenant, role=Role.MANAGER)
    pipeline_services.revenue_record_create(
        access=TenantAccess.from_membership(manager),
        fields={
            "account": account,
            "partner": partner,
            "period": month,
            "kind": RevenueRecord.Kind.NEW,
            "recurring": True,
            "amount": D(amount),
            "currency": "USD",
        },
    )


def test_portfolio_balance_and_concentration(world):
    p1, p2, p3 = world.partners
    with tenant_context(world.tenant):
        won_by_p1 = DealRegistration.objects.get(partner=p1, opportunity_name="Deal 2").account
        lost_by_p2 = DealRegistration.objects.get(partner=p2, opportunity_name="Deal 10").account
        _book(world, p1, won_by_p1, date(2025, 9, 1), "900")  # sourced and won by P1: counts
        _book(world, p2, won_by_p1, date(2025, 9, 1), "400")  # P2 never won this account: left out
        _book(world, p2, lost_by_p2, date(2025, 8, 1), "250")  # P2 sourced and won it (below): counts
        # Won long ago instead (outside the periods shown, so the win rates stay as worked out).
        DealRegistration.objects.filter(partner=p2, opportunity_name="Deal 10").update(
            status="won",
            closed_on=date(2024, 1, 10),
            closed_amount=D("300"),
            closed_amount_reporting=D("300"),
        )
    dashboard = _dashboard(world)
    assert (dashboard.strategic_count, dashboard.tactical_count, dashboard.partner_count) == (1, 2, 3)
    # Partner-sourced revenue: P1 900 (the account of its won sourced deal; its other revenue, on
    # accounts it never sourced, is left out) and P2 250 once its sourced deal is won.
    assert dashboard.concentration["total"] == D("1150.00")
    assert dashboard.concentration["top1"] == D("0.7826")  # 900 ÷ 1150 = 0.78260…
    assert dashboard.concentration["top1_partner"] == p1.pk
    assert dashboard.concentration["top5"] == D("1.0000")
    # Top: the partners with something; bottom: the weakest of the rest, the partner with nothing included.
    assert dashboard.figure("pipeline_sourced").top == [(p1.pk, D("4400.00")), (p2.pk, D("300.00"))]
    assert dashboard.figure("pipeline_sourced").bottom == [(p3.pk, D("0.00"))]
    assert dashboard.figure("win_rate").top == [(p1.pk, D("0.6667")), (p2.pk, D("0.0000"))]
    assert dashboard.figure("win_rate").bottom == []  # P3 decided no deal: no win rate to rank


def test_bottom_five_names_partners_with_nothing_and_never_repeats_the_top(db):
    world = build_metric_world(slug="bottom", extra_partners=6)
    with tenant_context(world.tenant):
        dashboard = _dashboard(world)
        extra = set(Partner.objects.filter(name__startswith="Extra").values_list("pk", flat=True))
    revenue = dashboard.figure("revenue")
    top = {pid for pid, _ in revenue.top}
    bottom = {pid for pid, _ in revenue.bottom}
    assert not top & bottom
    assert len(revenue.bottom) == 5
    assert bottom <= extra | {world.partners[2].pk}  # all of them booked nothing
    assert all(value == D("0.00") for _, value in revenue.bottom)


def test_trend_covers_eight_quarters_ending_with_the_period(world):
    dashboard = _dashboard(world)
    labels = [q.label for q in dashboard.quarters]
    assert labels == [
        "FY2024-Q3",
        "FY2024-Q4",
        "FY2025-Q1",
        "FY2025-Q2",
        "FY2025-Q3",
        "FY2025-Q4",
        "FY2026-Q1",
        "FY2026-Q2",
    ]
    sourced = dashboard.figure("pipeline_sourced").trend
    assert sourced["All partners"] == [D("0.00")] * 6 + [D("4000.00"), D("4700.00")]
    assert sourced["Strategic"][-2:] == [D("4000.00"), D("4400.00")]
    assert sourced["Tactical"][-1] == D("300.00")


def test_one_statement_per_metric_and_period_set_whatever_the_number_of_partners(world):
    with tenant_context(world.tenant), CaptureQueriesContext(connection) as small:
        queries.compute_dashboard(TenantAccess.program_reader(world.tenant), parse_period("FY2026-Q2", 4))
    with tenant_context(world.tenant):
        for n in range(20):
            Partner.objects.create(name=f"More {n}", tier=world.silver)
    with tenant_context(world.tenant), CaptureQueriesContext(connection) as large:
        queries.compute_dashboard(TenantAccess.program_reader(world.tenant), parse_period("FY2026-Q2", 4))
    assert len(small) == len(large)
    # Two statements per headline metric (period + previous, then the trend), tiers and their partners (2),
    # the partner-sourced revenue's concentration (1), names (1),
    # the tiering panels (settings, strategic count, alerts, movements, partner ids, scores), the JBP
    # attainment (plans, targets, revenue) and the incentive panels (four metrics, ROI per tier).
    assert len(large) <= 2 * len(queries.HEADLINE) + 4 + 2 + 6 + 11


def test_a_fiscal_year_and_trailing_four_quarters_with_an_april_year(world):
    year = _dashboard(world, "FY2026")
    # FY2026 = 1 April 2025 – 31 March 2026: every sourced deal but the rejected one. P1 4400 + 4000; P2 300.
    assert (year.period.start, year.period.end) == (date(2025, 4, 1), date(2026, 3, 31))
    assert year.figure("pipeline_sourced").total.value == D("8700.00")
    assert year.previous.label == "FY2025"
    ttm = _dashboard(world, "TTM-FY2026-Q2")
    # October 2024 – September 2025: the same sourced deals (none after September 2025).
    assert (ttm.period.start, ttm.period.end) == (date(2024, 10, 1), date(2025, 9, 30))
    assert ttm.figure("pipeline_sourced").total.value == D("8700.00")
    assert ttm.previous.label == "TTM-FY2025-Q2"
    assert (ttm.previous.start, ttm.previous.end) == (date(2023, 10, 1), date(2024, 9, 30))
    # The trend of a year ends with its last quarter.
    assert year.quarters[-1].label == "FY2026-Q4"


def test_period_boundaries_with_a_february_year():
    # FY2027 with a February start: 1 February 2026 – 31 January 2027; Q4 is November–January.
    q4 = parse_period("FY2027-Q4", 2)
    assert (q4.start, q4.end) == (date(2026, 11, 1), date(2027, 1, 31))
    ttm = parse_period("TTM-FY2027-Q1", 2)
    assert isinstance(ttm, TrailingFourQuarters)
    assert (ttm.start, ttm.end) == (date(2025, 5, 1), date(2026, 4, 30))
    assert [q.label for q in ttm.quarters()] == ["FY2026-Q2", "FY2026-Q3", "FY2026-Q4", "FY2027-Q1"]
    assert ttm.previous().label == "TTM-FY2026-Q1"
    assert queries.trend_quarters(FiscalPeriod(2, 2027))[-1].label == "FY2027-Q4"
    with pytest.raises(ValueError, match="TTM-FY2026-Q3"):
        parse_period("TTM-FY2026", 2)


def test_the_rows_behind_a_figure_add_up_to_it(world):
    p1, p2, _ = world.partners
    with tenant_context(world.tenant):
        drill = queries.drill(
            TenantAccess.program_reader(world.tenant),
            queries.metric_or_404("win_rate"),
            parse_period("FY2026-Q2", 4),
            "total",
        )
    assert drill.part_names == ["won", "decided"]
    assert [(r.partner_id, r.parts, r.value) for r in drill.rows] == [
        (p1.pk, [2, 3], D("0.6667")),
        (p2.pk, [0, 2], D("0.0000")),
    ]
    assert drill.total == D("0.4000")


def test_the_figure_page_and_its_csv(world, client_for):
    client = client_for(world.executive)
    url = "/t/dash/reports/figure/?metric=nrr&period=FY2026-Q2&group=class_key:tactical"
    page = client.get(url)
    assert page.status_code == 200
    assert "60.00 %" in page.content.decode()
    rows = list(csv.reader(io.StringIO(client.get(url + "&format=csv").content.decode())))
    assert rows[0] == ["Partner", "Tier", "Classification", "arr_then", "arr_now", "Net revenue retention"]
    assert rows[1][:3] == ["Metric Partner 2", "Silver", "Tactical"]
    assert [D(v) for v in rows[1][3:]] == [D("2000"), D("1200"), D("0.6000")]
    assert client.get("/t/dash/reports/figure/?metric=nope").status_code == 404
    assert client.get("/t/dash/reports/figure/?metric=nrr&group=tier_key:999999").status_code == 404


def test_each_csv_equals_the_table_on_the_page(world, client_for):
    client = client_for(world.executive)
    page = client.get("/t/dash/reports/?period=FY2026-Q2").content.decode()
    with tenant_context(world.tenant):
        tables = presenters.dashboard_tables(
            queries.compute_dashboard(
                TenantAccess.program_reader(world.tenant), parse_period("FY2026-Q2", 4)
            ),
            world.tenant,
        )
    for name, table in tables.items():
        response = client.get(f"/t/dash/reports/export.csv?table={name}&period=FY2026-Q2")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        header, body = table.csv()
        assert rows[0] == header, name
        assert rows[1:] == [[str(v) for v in row] for row in body], name
        # and the page prints every one of these cells
        for row in table.rows:
            for cell in row:
                text = (
                    presenters.format_change(cell.change)
                    if cell.unit == presenters.CHANGE
                    else presenters.format_value(cell.value, cell.unit, "USD")
                )
                assert text.replace("−", "&minus;") in page or text in page, (name, text)
    headline = list(
        csv.reader(
            io.StringIO(
                client.get("/t/dash/reports/export.csv?table=headline&period=FY2026-Q2").content.decode()
            )
        )
    )
    # Strategic: P1 4400 against 4000 (+10 %); tactical: 300 against nothing (no relative change).
    assert headline[1] == ["Pipeline sourced", "4700.00", "17.5", "4400.00", "10.0", "300.00", ""]


def test_the_dashboard_page_links_figures_to_their_rows_and_partners(world, client_for):
    client = client_for(world.executive)
    body = client.get("/t/dash/reports/?period=FY2026-Q2").content.decode()
    assert "4,700 USD" in body
    assert "metric=win_rate&amp;period=FY2026-Q2&amp;group=class_key%3Astrategic" in body
    assert f"/t/dash/partners/{world.partners[0].pk}/" in body
    assert "Computed just now" in body
    again = client.get("/t/dash/reports/?period=FY2026-Q2").content.decode()
    assert "Cached figures, computed" in again


def test_the_cache_is_dropped_when_data_changes(world, client_for):
    client = client_for(world.executive)
    client.get("/t/dash/reports/?period=FY2026-Q2")
    assert "Cached figures" in client.get("/t/dash/reports/?period=FY2026-Q2").content.decode()
    with tenant_context(world.tenant):
        Tier.objects.filter(pk=world.gold.pk).update(name="Gold")  # a queryset update fires no signal…
        world.gold.save()  # …a save does
    assert "Computed just now" in client.get("/t/dash/reports/?period=FY2026-Q2").content.decode()


def test_a_bad_period_is_a_404(world, client_for):
    client = client_for(world.executive)
    assert client.get("/t/dash/reports/?period=FY20X").status_code == 404


def test_tier_movements_scores_and_the_strategic_cap_from_tiering(world):
    from datetime import UTC, datetime

    from tiering.models import Scorecard, ScoreRun, ScoreSnapshot, TierChange

    p1, p2, p3 = world.partners
    with tenant_context(world.tenant):
        card = Scorecard.objects.create(version=1, is_active=True)
        run = ScoreRun.objects.create(run_on=date(2025, 9, 1), period_label="FY2026-Q2", scorecard=card)
        later = ScoreRun.objects.create(run_on=date(2025, 10, 1), period_label="FY2026-Q3", scorecard=card)
        for partner, score in ((p1, 85), (p2, 45), (p3, 41)):
            ScoreSnapshot.objects.create(
                run=run, partner=partner, run_on=run.run_on, scorecard=card, score=score
            )
        # A later score (after the period's end) does not count for FY2026-Q2.
        ScoreSnapshot.objects.create(run=later, partner=p3, run_on=later.run_on, scorecard=card, score=10)
        TierChange.objects.create(
            partner=p1,
            from_tier=world.silver,
            to_tier=world.gold,
            changed_at=datetime(2025, 8, 15, tzinfo=UTC),
            reason="Promoted",
        )
        TierChange.objects.create(  # the day after the period: not a movement of FY2026-Q2
            partner=p2,
            from_tier=world.gold,
            to_tier=world.silver,
            changed_at=datetime(2025, 10, 1, 9, tzinfo=UTC),
            reason="Later",
        )
    dashboard = _dashboard(world)
    assert [(m["partner_id"], m["from"], m["to"], m["up"]) for m in dashboard.movements] == [
        (p1.pk, "Silver", "Gold", True)
    ]
    # Bands 0–20, 20–40, 40–60, 60–80, 80–100: P2 45 and P3 41 in 40–60, P1 85 in 80–100.
    assert dashboard.score_bands == [("0–20", 0), ("20–40", 0), ("40–60", 2), ("60–80", 0), ("80–100", 1)]
    assert dashboard.scored_partners == 3
    assert dashboard.strategic_cap is not None


def test_mdf_and_rebate_figures_from_the_incentive_metrics(world):
    from tests.incentives.conftest import incentive_objects

    p1 = world.partners[0]
    incentive_objects(world.tenant, p1)  # a fund of January–March 2026 (FY2026-Q4): 100 allocated, 50 paid
    dashboard = _dashboard(world, "FY2026-Q4")
    figures = {row["key"]: row for row in dashboard.incentives}
    assert (figures["mdf_allocated"]["total"], figures["mdf_allocated"]["strategic"]) == (
        D("100.00"),
        D("100.00"),
    )
    assert figures["mdf_allocated"]["tactical"] == D("0.00")
    assert figures["mdf_paid"]["total"] == D("50.00")
    # MDF ROI per tier from incentives: Gold (P1) was paid 50 and sourced nothing in FY2026-Q4.
    assert [(r["tier"], r["paid"]) for r in dashboard.roi_by_tier] == [("Gold", D("50"))]


def test_figures_by_tier_use_the_tiers_partners_held_at_the_period_end(world, client_for):
    """A finished quarter's figures by tier do not move when a partner changes tier later."""
    from datetime import UTC, datetime

    from tiering.models import TierChange

    before = _dashboard(world)
    p1, p2, _ = world.partners
    with tenant_context(world.tenant):
        # P2 is promoted to Gold today (recorded in the tier history), after FY2026-Q2 ended.
        Partner.objects.filter(pk=p2.pk).update(tier=world.gold)
        TierChange.objects.create(
            partner=p2,
            from_tier=world.silver,
            to_tier=world.gold,
            changed_at=timezone.now(),
            reason="Promoted",
        )
        # P1 was moved into Gold during the quarter (from Silver): at the quarter's end it was Gold.
        TierChange.objects.create(
            partner=p1,
            from_tier=world.silver,
            to_tier=world.gold,
            changed_at=datetime(2025, 8, 15, tzinfo=UTC),
            reason="Promoted",
        )
    after = _dashboard(world)
    for key in ("pipeline_sourced", "win_rate", "revenue"):
        old, new = before.figure(key), after.figure(key)
        assert new.by_class["strategic"].value == old.by_class["strategic"].value, key
        assert new.by_tier[world.gold.pk].value == old.by_tier[world.gold.pk].value, key
        assert new.by_tier[world.silver.pk].value == old.by_tier[world.silver.pk].value, key
    assert [(t.name, t.partners) for t in after.tiers] == [("Gold", 1), ("Silver", 2)]
    # Before P1's move (FY2026-Q1 ended 30 June 2025) P1 was Silver: all three partners tactical.
    q1 = _dashboard(world, "FY2026-Q1")
    assert q1.figure("pipeline_sourced").by_class["strategic"].value == D("0.00")
    assert (
        q1.figure("pipeline_sourced").by_class["tactical"].value == q1.figure("pipeline_sourced").total.value
    )
    # The current quarter groups by today's tiers: P2 now counts as strategic.
    with tenant_context(world.tenant):
        rows = list(queries.partners_grouping(TenantAccess.program_reader(world.tenant), date(2099, 1, 1)))
    assert {r["id"]: r["class_key"] for r in rows}[p2.pk] == "strategic"
    # The drill-down shows the tier held then.
    page = client_for(world.executive).get(
        f"/t/dash/reports/figure/?metric=pipeline_sourced&period=FY2026-Q2&group=tier_key:{world.silver.pk}"
    )
    assert "Metric Partner 2" in page.content.decode()


def test_a_tier_set_on_the_partner_profile_joins_the_history_and_leaves_past_figures(world):
    from partners import services as partner_services
    from tiering.models import TierChange

    before = _dashboard(world)
    _, p2, _ = world.partners
    manager = TenantAccess.from_membership(MembershipFactory(tenant=world.tenant, role=Role.MANAGER))
    with tenant_context(world.tenant):
        p2.refresh_from_db()
        partner_services.partner_update(access=manager, partner=p2, fields={"tier": world.gold})
        change = TierChange.objects.get(partner=p2)
        assert (change.from_tier, change.to_tier, change.changed_by) == (
            world.silver,
            world.gold,
            manager.user,
        )
        assert change.reason == "Tier set on the partner's profile."
    after = _dashboard(world)
    assert after.figure("pipeline_sourced").by_class["tactical"].value == D("300.00")  # P2 was tactical then
    assert after.figure("pipeline_sourced").by_class == before.figure("pipeline_sourced").by_class


def test_lists_and_counts_of_a_period_name_only_partners_in_the_program_then(db):
    world = build_metric_world(slug="then", extra_partners=3)
    with tenant_context(world.tenant):
        extra = list(Partner.objects.filter(name__startswith="Extra").order_by("name"))
        Partner.objects.filter(pk=extra[0].pk).update(join_date=date(2026, 1, 5))  # joined after FY2026-Q2
        Partner.objects.filter(pk=extra[1].pk).update(archived_at=datetime(2025, 3, 1, tzinfo=UTC))
    dashboard = _dashboard(world)
    bottom = {pid for pid, _ in dashboard.figure("revenue").bottom}
    assert extra[2].pk in bottom
    assert not {extra[0].pk, extra[1].pk} & bottom
    assert dashboard.partner_count == 4  # the three partners of the world and the one still there
