"""CSV import of revenue records: upload, preview with per-row errors by column, apply all rows
or none / only the valid rows (once), the template, isolation and permissions."""

from __future__ import annotations

import csv
import html
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipeline import imports
from pipeline.models import Account, RevenueImport, RevenueRecord
from prm.models import AuditEvent
from prm.permissions import Role
from prm.tenancy import tenant_context

BASE = "/t/alpha/revenue"
HEADER = "account_domain,account_name,partner_domain,month,kind,recurring,amount,currency,reference\n"


def words(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


@pytest.fixture
def manager(world_a, client_for):
    with tenant_context(world_a.tenant):
        world_a.partner.domain = "alpha-partner.example"
        world_a.partner.save()
        Account.objects.create(name="Globex", domain="globex.example")
    world_a.tenant.settings = {**(world_a.tenant.settings or {}), "exchange_rates": {"EUR": "1.10"}}
    world_a.tenant.save()
    return client_for(world_a.user(Role.MANAGER))


def upload(client, text: str, name: str = "revenue.csv"):
    return client.post(
        f"{BASE}/import/", {"file": SimpleUploadedFile(name, ("\ufeff" + text).encode(), "text/csv")}
    )


def last_import(world) -> RevenueImport:
    with tenant_context(world.tenant):
        return RevenueImport.objects.order_by("-pk").first()


def records(world) -> list[RevenueRecord]:
    with tenant_context(world.tenant):
        return list(RevenueRecord.objects.select_related("account", "partner").order_by("period", "pk"))


def good_rows(world) -> str:
    p = world.partner.domain
    return (
        f"globex.example,,{p},2026-01,new,yes,12000,,INV-1\n"
        f"initech.example,Initech,,2026-02,expansion,no,500.50,EUR,INV-2\n"
    )


def errors_of(job: RevenueImport, row: int) -> dict[str, str]:
    result = next(r for r in job.row_results if r["row"] == row)
    return {e["column"]: e["message"] for e in result["errors"]}


def test_a_good_file_previews_then_applies_once(world_a, manager):
    response = upload(manager, HEADER + good_rows(world_a))
    job = last_import(world_a)
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/import/{job.pk}/"
    assert job.counts == {"total": 2, "valid": 2, "invalid": 0, "new_accounts": 1}
    page = manager.get(f"{BASE}/import/{job.pk}/")
    assert page.status_code == 200
    text = words(page)
    assert "Valid rows 2" in text
    assert "new account" in text
    assert "Import 2 rows" in text
    assert records(world_a) == []  # nothing before applying

    response = manager.post(f"{BASE}/import/{job.pk}/apply/", {"mode": "all_or_nothing"}, follow=True)
    assert "Imported 2 revenue records." in words(response)
    created = records(world_a)
    assert [
        (
            r.account.domain,
            r.partner_id,
            str(r.period),
            r.kind,
            r.recurring,
            r.amount,
            r.currency,
            r.amount_reporting,
        )
        for r in created
    ] == [
        (
            "globex.example",
            world_a.partner.pk,
            "2026-01-01",
            "new",
            True,
            Decimal("12000.00"),
            "USD",
            Decimal("12000.00"),
        ),
        (
            "initech.example",
            None,
            "2026-02-01",
            "expansion",
            False,
            Decimal("500.50"),
            "EUR",
            Decimal("550.55"),
        ),
    ]
    job = last_import(world_a)
    assert job.status == "applied"
    assert job.mode == "all_or_nothing"
    assert job.counts["created"] == 2
    with tenant_context(world_a.tenant):
        assert AuditEvent.objects.filter(verb="revenue.import_applied", target_id=str(job.pk)).count() == 1

    again = manager.post(f"{BASE}/import/{job.pk}/apply/", {"mode": "valid_only"}, follow=True)
    assert "already imported" in words(again)
    assert len(records(world_a)) == 2


def test_bad_rows_are_shown_with_their_column_errors(world_a, manager):
    text = (
        HEADER
        + good_rows(world_a)
        + (
            "globex.example,,nobody.example,2026-03,new,yes,10,,\n"
            "globex.example,,,2026-13,new,yes,10,,\n"
            "globex.example,,,2026-03,new,yes,-5,,\n"
            "globex.example,,,2026-03,new,yes,10,GBP,\n"
            "unknown.example,,,2026-03,upsell,maybe,ten,,\n"
        )
    )
    upload(manager, text)
    job = last_import(world_a)
    assert job.counts == {"total": 7, "valid": 2, "invalid": 5, "new_accounts": 1}
    assert "No partner has the domain nobody.example" in errors_of(job, 4)["partner_domain"]
    assert "YYYY-MM" in errors_of(job, 5)["month"]
    assert "greater than or equal to 0" in errors_of(job, 6)["amount"]
    assert "No exchange rate from GBP" in errors_of(job, 7)["currency"]
    assert set(errors_of(job, 8)) == {"account_domain", "kind", "recurring", "amount"}
    page = manager.get(f"{BASE}/import/{job.pk}/")
    assert page.content.decode().count('class="row-bad"') == 5
    assert "No exchange rate from GBP to USD" in words(page)


def test_all_or_nothing_with_a_bad_row_creates_nothing(world_a, manager):
    upload(manager, HEADER + good_rows(world_a) + "globex.example,,,2026-03,new,yes,-5,,\n")
    job = last_import(world_a)
    response = manager.post(f"{BASE}/import/{job.pk}/apply/", {"mode": "all_or_nothing"})
    assert response.status_code == 400
    assert "Nothing was imported: 1 of 3 rows have errors" in words(response)
    assert records(world_a) == []
    with tenant_context(world_a.tenant):
        assert not Account.objects.filter(domain="initech.example").exists()
    assert last_import(world_a).status == "previewed"


def test_valid_only_creates_only_the_good_rows(world_a, manager):
    upload(manager, HEADER + good_rows(world_a) + "globex.example,,,2026-03,churn,yes,-5,,\n")
    job = last_import(world_a)
    response = manager.post(f"{BASE}/import/{job.pk}/apply/", {"mode": "valid_only"}, follow=True)
    assert "Imported 2 revenue records. 1 row with errors skipped." in words(response)
    assert [r.reference for r in records(world_a)] == ["INV-1", "INV-2"]
    assert last_import(world_a).counts["skipped"] == 1


def test_a_wrong_header_names_missing_and_unknown_columns(world_a, manager):
    response = upload(manager, "account_domian,month,kind,amount,colour\nx.example,2026-01,new,1,red\n")
    assert response.status_code == 400
    text = words(response)
    assert "unknown columns account_domian (did you mean account_domain?), colour" in text
    assert "missing required column account_domain" in text
    assert last_import(world_a) is None


def test_the_template_parses_back_cleanly(world_a, manager):
    response = manager.get(f"{BASE}/import/template.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    content = response.content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(content))) == imports.KNOWN
    with tenant_context(world_a.tenant):
        checked = imports.check_rows(world_a.access(Role.MANAGER), imports.read_rows(content))
    assert [r.errors for r in checked] == [[]]


def test_preview_loads_partners_and_accounts_in_a_few_queries(world_a, manager):
    many = "".join(f"globex.example,,{world_a.partner.domain},2026-01,new,yes,{i},,\n" for i in range(1, 60))
    with tenant_context(world_a.tenant), CaptureQueriesContext(connection) as queries:
        checked = imports.check_rows(world_a.access(Role.MANAGER), imports.read_rows(HEADER + many))
    assert all(r.ok for r in checked)
    assert len(checked) == 59
    assert len(queries) <= 3


def test_another_tenants_import_is_404(world_a, world_b, manager):
    with tenant_context(world_b.tenant):
        foreign = RevenueImport.objects.create(filename="b.csv", content=HEADER)
    assert manager.get(f"{BASE}/import/{foreign.pk}/").status_code == 404
    assert manager.post(f"{BASE}/import/{foreign.pk}/apply/", {"mode": "valid_only"}).status_code == 404


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_partner_roles_get_403(world_a, manager, client_for, role):
    client = client_for(world_a.user(role))
    for url in (f"{BASE}/", f"{BASE}/import/", f"{BASE}/import/template.csv"):
        assert client.get(url).status_code == 403
    assert upload(client, HEADER + good_rows(world_a)).status_code == 403


def test_the_revenue_list_filters_by_partner_and_month_in_constant_queries(world_a, manager):
    rows = "".join(
        f"globex.example,,{world_a.partner.domain if i % 2 else ''},2026-{i:02d},new,yes,{i}00,,R{i}\n"
        for i in range(1, 13)
    )
    upload(manager, HEADER + rows)
    manager.post(f"{BASE}/import/{last_import(world_a).pk}/apply/", {"mode": "all_or_nothing"})
    response = manager.get(
        f"{BASE}/", {"partner": world_a.partner.pk, "month_from": "2026-03", "month_to": "2026-07"}
    )
    assert response.status_code == 200
    assert re.findall(r"<td[^>]*>(R\d+)</td>", response.content.decode()) == ["R7", "R5", "R3"]
    with CaptureQueriesContext(connection) as few:
        manager.get(f"{BASE}/", {"month_to": "2026-02"})
    with CaptureQueriesContext(connection) as all_rows:
        manager.get(f"{BASE}/")
    assert len(few) == len(all_rows)
