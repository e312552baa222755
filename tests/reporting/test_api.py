"""The reporting API gives the page's numbers (same query code, same cache), the rows behind a
figure, a partner's QBR (a partner caller: its own only) and PDF exports to request, poll and
download. Fixture: the dashboard's hand-computed world (tests/reporting/test_dashboard.py)."""

from __future__ import annotations

from decimal import Decimal

from prm.access import TenantAccess
from prm.periods import parse_period
from prm.permissions import Role
from prm.tenancy import tenant_context
from reporting import presenters
from reporting.models import ReportExport

from .test_dashboard import EXPECTED
from .test_dashboard import world as world  # the fixture

API = "/api/v1/t/dash/reporting"


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def test_the_dashboard_endpoint_gives_the_hand_computed_figures(world, client_for):
    client = client_for(world.executive)
    data = client.get(f"{API}/dashboard/?period=FY2026-Q2").json()
    assert (data["period"], data["previous_period"]) == ("FY2026-Q2", "FY2026-Q1")
    figures = {f["key"]: f for f in data["figures"]}
    assert list(figures) == list(EXPECTED)
    for key, (total, strategic, tactical) in EXPECTED.items():
        f = figures[key]
        assert (f["total"]["value"], f["strategic"]["value"], f["tactical"]["value"]) == (
            _s(total),
            _s(strategic),
            _s(tactical),
        ), key
        tiers = {t["tier"]: t["value"] for t in f["by_tier"]}
        assert (tiers["Gold"], tiers["Silver"]) == (_s(strategic), _s(tactical)), key
    sourced = figures["pipeline_sourced"]
    # 4700 against 4000 in FY2026-Q1: +17.5 %.
    assert sourced["total"]["previous"] == "4000.00"
    assert sourced["total"]["change"] == {"kind": "percent", "value": "17.5", "up": True, "down": False}
    assert sourced["strategic"]["drill_group"] == "class_key:strategic"
    assert [t["partner"] for t in sourced["top"]] == ["Metric Partner 1", "Metric Partner 2"]
    # The trend's last quarter is the period itself: 4700 in all, 4400 strategic, 300 tactical.
    assert {name: values[-1] for name, values in sourced["trend"].items()} == {
        "Strategic": "4400.00",
        "Tactical": "300.00",
        "All partners": "4700.00",
    }
    assert data["balance"]["top_partner_share"] is None  # no revenue on an account a partner sourced and won
    assert (data["balance"]["strategic"], data["balance"]["tactical"]) == (1, 2)


def test_the_dashboard_endpoint_and_the_page_show_the_same_numbers(world, client_for):
    client = client_for(world.executive)
    page = client.get("/t/dash/reports/?period=FY2026-Q2").content.decode()
    data = client.get(f"{API}/dashboard/?period=FY2026-Q2").json()
    assert data["cached"] is True  # the page's own cache entry: the very same figures
    with tenant_context(world.tenant):
        dashboard = presenters.dashboard_page(
            TenantAccess.program_reader(world.tenant), parse_period("FY2026-Q2", 4)
        )["dashboard"]
    for f, api_f in zip(dashboard.figures, data["figures"], strict=True):
        assert api_f["total"]["value"] == _s(f.total.value)
        assert presenters.format_value(f.total.value, f.unit, "USD") in page
    assert client.get(f"{API}/dashboard/?period=FY20X").status_code == 400
    assert "period" in client.get(f"{API}/dashboard/?period=FY20X").json()


def test_the_rows_behind_a_figure(world, client_for):
    client = client_for(world.executive)
    data = client.get(f"{API}/figure-rows/?metric=nrr&period=FY2026-Q2&group=class_key:tactical").json()
    assert (data["metric"], data["group_label"], data["total"]) == ("nrr", "Tactical partners", "0.6000")
    # P2: ARR 2000 a year before, 1200 now: 0.6 (as on the figure page and its CSV).
    assert data["results"][0]["partner"] == "Metric Partner 2"
    assert data["results"][0]["value"] == "0.6000"
    assert {k: Decimal(v) for k, v in data["results"][0]["parts"].items()} == {
        "arr_then": Decimal(2000),
        "arr_now": Decimal(1200),
    }
    assert data["count"] == len(data["results"])
    assert "metric" in client.get(f"{API}/figure-rows/?metric=nope").json()
    assert "group" in client.get(f"{API}/figure-rows/?metric=nrr&group=tier_key:999999").json()


def test_a_partner_qbr_for_staff_and_for_the_partner_itself(world, client_for):
    p1, p2, _ = world.partners
    staff = client_for(world.executive)
    data = staff.get(f"{API}/partner-qbrs/{p1.pk}/?period=FY2026-Q2").json()
    rows = {r["key"]: r for r in data["figures"]}
    assert (data["partner"], data["period"]) == ("Metric Partner 1", "FY2026-Q2")
    assert (rows["pipeline_sourced"]["value"], rows["pipeline_sourced"]["previous"]) == ("4400.00", "4000.00")
    assert rows["win_rate"]["value"] == "0.6667"
    assert len(data["quarters"]) == 8
    assert staff.get(f"{API}/partner-qbrs/").json()["count"] == 3

    partner = client_for(world.partner_user)  # a user of P1
    own = partner.get(f"{API}/partner-qbrs/{p1.pk}/?period=FY2026-Q2")
    assert own.status_code == 200
    assert own.json()["figures"] == data["figures"]
    assert partner.get(f"{API}/partner-qbrs/{p2.pk}/?period=FY2026-Q2").status_code == 404
    assert [p["name"] for p in partner.get(f"{API}/partner-qbrs/").json()["results"]] == ["Metric Partner 1"]
    # The dashboard and the rows behind its figures are staff's.
    assert partner.get(f"{API}/dashboard/").status_code == 403
    assert partner.get(f"{API}/figure-rows/").status_code == 403


def test_exports_requested_polled_and_downloaded(world, client_for, django_capture_on_commit_callbacks):
    p1, p2, _ = world.partners
    client = client_for(world.executive)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{API}/exports/",
            {"kind": "qbr", "partner": p1.pk, "period": "FY2026-Q2"},
            content_type="application/json",
        )
    assert response.status_code == 202
    export_id = response.json()["id"]
    status = client.get(f"{API}/exports/{export_id}/").json()
    assert (status["kind"], status["period"], status["partner"], status["status"]) == (
        "qbr",
        "FY2026-Q2",
        p1.pk,
        "done",
    )
    assert status["download_url"] == f"{API}/exports/{export_id}/download/"
    pdf = client.get(status["download_url"])
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    with django_capture_on_commit_callbacks(execute=True):
        dashboard = client.post(f"{API}/exports/", {"kind": "dashboard"}, content_type="application/json")
    assert dashboard.status_code == 202
    assert (
        "partner" in client.post(f"{API}/exports/", {"kind": "qbr"}, content_type="application/json").json()
    )

    partner = client_for(world.partner_user)
    assert (
        partner.post(f"{API}/exports/", {"kind": "dashboard"}, content_type="application/json").status_code
        == 403
    )
    # Another partner is not one a partner caller may name: the answer of an id that exists nowhere.
    other = partner.post(
        f"{API}/exports/", {"kind": "qbr", "partner": p2.pk}, content_type="application/json"
    )
    assert other.status_code == 400
    assert other.json() == {"partner": [f'Invalid pk "{p2.pk}" - object does not exist.']}
    with django_capture_on_commit_callbacks(execute=True):
        mine = partner.post(f"{API}/exports/", {"kind": "qbr"}, content_type="application/json")
    assert mine.status_code == 202
    assert mine.json()["partner"] == p1.pk
    listed = partner.get(f"{API}/exports/").json()["results"]
    assert {e["id"] for e in listed} == {export_id, mine.json()["id"]}  # P1's QBRs; no dashboard
    assert partner.get(f"{API}/exports/{dashboard.json()['id']}/download/").status_code == 404


def test_a_queued_export_is_not_downloadable_yet(world, client_for):
    with tenant_context(world.tenant):
        export = ReportExport.objects.create(kind="dashboard", period="FY2026-Q2")
    client = client_for(world.executive)
    assert client.get(f"{API}/exports/{export.pk}/").json()["download_url"] is None
    assert client.get(f"{API}/exports/{export.pk}/download/").status_code == 404


def test_an_api_key_reads_the_dashboard(world, client):
    from prm.services import api_key_create_by_operator

    with tenant_context(world.tenant):
        _, secret = api_key_create_by_operator(name="bi", role=Role.EXECUTIVE)
    response = client.get(f"{API}/dashboard/?period=FY2026-Q2", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.json()["figures"][0]["total"]["value"] == "4700.00"
