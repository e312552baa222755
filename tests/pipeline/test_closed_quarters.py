"""Closed fiscal quarters in the pipeline: a revenue record (one, bulk, CSV import) or a deal close
dated inside a closed quarter is refused on the page and the API, or — when the tenant books late
entries as adjustments — counted in the first open quarter with its reason and the date given,
so the closed quarter's figures do not move. A close date before the registration is refused
whatever is closed."""

from __future__ import annotations

import datetime
import html
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import prm.metrics
from pipeline.models import DealRegistration, RevenueImport, RevenueRecord
from prm import closing
from prm.models import AuditEvent
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.pipeline.factories import AccountFactory, DealRegistrationFactory
from tests.prm.factories import close, quarters_ago, reopen, set_policy

API = "/api/v1/t/alpha"
BASE = "/t/alpha"
Status = DealRegistration.Status


def words(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def refused(quarter) -> str:
    return f"{quarter.label} is closed; date it in the open period or ask finance to reopen."


def post(client, path: str, data):
    return client.post(f"{API}/{path}", json.dumps(data), content_type="application/json")


def figure(world, key: str, quarter):
    """A catalog metric of the world's partner for a quarter, as dashboards compute it."""
    with tenant_context(world.tenant):
        metric = prm.metrics.get(key)
        return metric.compute(tenant=world.tenant, partner_ids=[world.partner.pk], period=quarter)[
            world.partner.pk
        ]


def revenue_row(world, account, day: datetime.date, **extra) -> dict:
    return {
        "account": account.pk,
        "partner": world.partner.pk,
        "period": str(day),
        "kind": "new",
        "amount": "700.00",
        **extra,
    }


def adjustments(world) -> list[AuditEvent]:
    with tenant_context(world.tenant):
        return list(AuditEvent.objects.filter(verb="period.adjustment_booked").order_by("pk"))


@pytest.fixture
def closed(world_a):
    """FY…: the quarter before last, closed by finance (the last one stays open)."""
    quarter = quarters_ago(2)
    close(world_a, quarter)
    return quarter


@pytest.fixture
def manager(world_a, client_for):
    return client_for(world_a.user(Role.MANAGER))


@pytest.fixture
def account(world_a):
    return AccountFactory(tenant=world_a.tenant, domain="globex.example")


# --- revenue records ---------------------------------------------------------------------------------


def test_revenue_dated_in_a_closed_quarter_is_refused_by_the_api(world_a, manager, closed, account):
    inside = closed.start + timedelta(days=40)

    one = post(manager, "revenue-records/", revenue_row(world_a, account, inside))
    bulk = post(
        manager,
        "revenue-records/bulk/",
        [
            revenue_row(world_a, account, closed.end + timedelta(days=1)),
            revenue_row(world_a, account, inside),
        ],
    )

    assert one.status_code == 400
    assert one.json() == {"period": [refused(closed)]}
    assert bulk.status_code == 400
    assert bulk.json() == {"row 2: period": [refused(closed)]}
    with tenant_context(world_a.tenant):
        assert not RevenueRecord.objects.exists()


def test_revenue_dated_in_a_closed_quarter_is_refused_in_the_csv_import(world_a, manager, closed, account):
    month = f"{closed.start:%Y-%m}"
    text = f"account_domain,month,kind,amount\nglobex.example,{month},new,100\n"

    upload_page = manager.get(f"{BASE}/revenue/import/")
    manager.post(f"{BASE}/revenue/import/", {"file": SimpleUploadedFile("r.csv", text.encode(), "text/csv")})
    with tenant_context(world_a.tenant):
        job = RevenueImport.objects.get()
    page = manager.get(f"{BASE}/revenue/import/{job.pk}/")
    applied = manager.post(f"{BASE}/revenue/import/{job.pk}/apply/", {"mode": "all_or_nothing"})

    assert f"Closed: {closed.label}. A date inside is refused" in words(upload_page)
    assert job.row_results[0]["errors"] == [{"column": "month", "message": refused(closed)}]
    assert refused(closed) in words(page)
    assert applied.status_code == 400
    with tenant_context(world_a.tenant):
        assert not RevenueRecord.objects.exists()


def test_with_adjustments_late_revenue_counts_in_the_open_quarter_and_the_closed_figure_stays(
    world_a, manager, closed, account, client_for
):
    set_policy(world_a, "adjust")
    open_quarter = closed.next()
    inside = closed.start + timedelta(days=40)
    closed_before = figure(world_a, "revenue", closed)
    open_before = figure(world_a, "revenue", open_quarter)

    no_reason = post(manager, "revenue-records/", revenue_row(world_a, account, inside))
    booked = post(
        manager,
        "revenue-records/",
        revenue_row(world_a, account, inside, adjustment_reason="Invoice arrived after the close"),
    )

    assert no_reason.status_code == 400
    assert list(no_reason.json()) == ["adjustment_reason"]
    assert booked.status_code == 201, booked.content
    body = booked.json()
    assert (body["period"], body["original_period"], body["adjustment_reason"]) == (
        str(open_quarter.start),
        str(inside.replace(day=1)),
        "Invoice arrived after the close",
    )
    assert figure(world_a, "revenue", closed) == closed_before
    assert figure(world_a, "revenue", open_quarter) == open_before + Decimal("700.00")
    seen_by_partner = client_for(world_a.user(Role.PARTNER_USER)).get(f"{API}/revenue-records/{body['id']}/")
    assert seen_by_partner.json()["original_period"] == body["original_period"]
    assert "adjustment_reason" not in seen_by_partner.json()  # the vendor's finance note
    (event,) = adjustments(world_a)
    assert event.after == {
        "field": "period",
        "date_given": str(inside.replace(day=1)),
        "closed_quarter": closed.label,
        "booked_on": str(open_quarter.start),
        "reason": "Invoice arrived after the close",
    }


def test_with_adjustments_the_csv_import_books_late_rows_with_their_reason(world_a, manager, closed, account):
    set_policy(world_a, "adjust")
    month = f"{closed.start:%Y-%m}"
    text = (
        "account_domain,month,kind,amount,adjustment_reason\n"
        f"globex.example,{month},new,100,Credit note found late\n"
        f"globex.example,{month},new,50,\n"
    )

    manager.post(f"{BASE}/revenue/import/", {"file": SimpleUploadedFile("r.csv", text.encode(), "text/csv")})
    with tenant_context(world_a.tenant):
        job = RevenueImport.objects.get()
    page = manager.get(f"{BASE}/revenue/import/{job.pk}/")
    manager.post(f"{BASE}/revenue/import/{job.pk}/apply/", {"mode": "valid_only"})

    assert f"adjustment, booked in {closed.next().start:%Y-%m}" in words(page)
    assert [e["column"] for e in job.row_results[1]["errors"]] == ["adjustment_reason"]
    with tenant_context(world_a.tenant):
        (record,) = RevenueRecord.objects.all()
    assert (record.period, record.original_period, record.adjustment_reason) == (
        closed.next().start,
        closed.start,
        "Credit note found late",
    )
    assert len(adjustments(world_a)) == 1
    listed = manager.get(f"{BASE}/revenue/")
    assert f"adjustment for {closed.start:%Y-%m}" in words(listed)


def test_reopening_the_quarter_accepts_the_date_again(world_a, manager, closed, account):
    reopen(world_a, closed)

    response = post(manager, "revenue-records/", revenue_row(world_a, account, closed.start))

    assert response.status_code == 201
    assert response.json()["period"] == str(closed.start)
    assert response.json()["original_period"] is None


# --- deal closes -------------------------------------------------------------------------------------


def approved(world, submitted_on: datetime.date) -> DealRegistration:
    submitted_at = timezone.make_aware(datetime.datetime.combine(submitted_on, datetime.time(10)))
    return DealRegistrationFactory(
        partner=world.partner,
        status=Status.APPROVED,
        protected_until=timezone.localdate() + timedelta(days=30),
        submitted_at=submitted_at,
    )


def field_error(response, name: str) -> str:
    match = re.search(rf'<ul[^>]*id="id_{name}_error"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def test_a_deal_cannot_close_before_it_was_registered(world_a, manager):
    registration = approved(world_a, timezone.localdate() - timedelta(days=20))
    ten_months_before = timezone.localdate() - timedelta(days=300)

    page = manager.post(
        f"{BASE}/deals/{registration.pk}/close/",
        {"outcome": "won", "closed_on": ten_months_before.isoformat(), "amount": "900"},
    )
    api = post(
        manager,
        f"registrations/{registration.pk}/close/",
        {"won": True, "closed_on": str(ten_months_before), "amount": "900"},
    )

    registered = (timezone.localdate() - timedelta(days=20)).strftime("%-d %b %Y")
    message = f"The deal was registered on {registered}; it cannot have closed before that."
    assert page.status_code == 400
    assert field_error(page, "closed_on") == message
    assert api.status_code == 400
    assert api.json() == {"closed_on": [message]}
    with tenant_context(world_a.tenant):
        assert DealRegistration.objects.get(pk=registration.pk).status == Status.APPROVED


def test_a_deal_closed_in_a_closed_quarter_is_refused_on_the_page_and_the_api(world_a, manager, closed):
    registration = approved(world_a, closed.start - timedelta(days=30))
    inside = closed.start + timedelta(days=10)

    form = manager.get(f"{BASE}/deals/{registration.pk}/")
    page = manager.post(
        f"{BASE}/deals/{registration.pk}/close/",
        {"outcome": "won", "closed_on": inside.isoformat(), "amount": "900"},
    )
    api = post(manager, f"registrations/{registration.pk}/close/", {"won": False, "closed_on": str(inside)})

    assert f"Closed: {closed.label}. A date inside is refused; ask finance to reopen." in words(form)
    assert page.status_code == 400
    assert field_error(page, "closed_on") == refused(closed)
    assert api.status_code == 400
    assert api.json() == {"closed_on": [refused(closed)]}
    with tenant_context(world_a.tenant):
        assert DealRegistration.objects.get(pk=registration.pk).closed_on is None


def test_with_adjustments_a_back_dated_win_counts_in_the_open_quarter(world_a, manager, closed):
    set_policy(world_a, "adjust")
    registration = approved(world_a, closed.start - timedelta(days=30))
    inside = closed.start + timedelta(days=10)
    won_before = figure(world_a, "deals_won_amount", closed)
    revenue_before = figure(world_a, "revenue", closed)

    page = manager.post(
        f"{BASE}/deals/{registration.pk}/close/",
        {
            "outcome": "won",
            "closed_on": inside.isoformat(),
            "amount": "900",
            "create_booking": "on",
            "adjustment_reason": "Signed contract found after the close",
        },
    )

    assert page.status_code == 302, field_error(page, "adjustment_reason")
    with tenant_context(world_a.tenant):
        after = DealRegistration.objects.get(pk=registration.pk)
        booking = RevenueRecord.objects.get(registration=registration)
    assert (after.closed_on, after.original_closed_on, after.adjustment_reason) == (
        closed.next().start,
        inside,
        "Signed contract found after the close",
    )
    assert (booking.period, booking.original_period) == (closed.next().start, inside.replace(day=1))
    assert figure(world_a, "deals_won_amount", closed) == won_before
    assert figure(world_a, "revenue", closed) == revenue_before
    assert figure(world_a, "deals_won_amount", closed.next()) == Decimal("900")
    assert [e.after["field"] for e in adjustments(world_a)] == ["closed_on", "period"]
    detail = manager.get(f"{BASE}/deals/{registration.pk}/")
    assert f"Adjustment: closed {inside:%-d %b %Y}" in words(detail)


def test_with_adjustments_an_api_close_without_a_reason_names_the_reason(world_a, manager, closed):
    set_policy(world_a, "adjust")
    registration = approved(world_a, closed.start - timedelta(days=30))

    response = post(
        manager,
        f"registrations/{registration.pk}/close/",
        {"won": False, "closed_on": str(closed.start + timedelta(days=3))},
    )

    assert response.status_code == 400
    assert list(response.json()) == ["adjustment_reason"]
    assert closing.late_entries(world_a.tenant) == "adjust"
