"""The partner directory at 10,000 partners: the filtered page and the CSV export vs direct SQL.

Generates three tenants of realistic directory data (tier, partner manager, 5–8 classification
attributes, 2 contacts and 0–3 certifications per partner): ``bench-dir-a`` with 10,000 partners
(measured), ``bench-dir-b`` of the same size (so scoping has work to do) and ``bench-dir-1k``
with 1,000 (to show that the number of queries does not grow with rows). They are separate from
the tenancy benchmark's bare ``bench-a``/``bench-b`` so neither benchmark changes the other's data.

Then times, in the same run and interleaved, medians over N rounds:
  baseline  the same page as hand-written SQL on the same connection: the count and the first 25
            rows (tier, manager) with the same filters as EXISTS on partners_partnerattribute,
            plus the attributes of those 25 rows (the page shows their motions);
  page      GET /t/bench-dir-a/partners/?motion=co_sell&region=dach&status=active&sort=tier
            through the whole stack as a logged-in partner manager;
  export    GET /t/bench-dir-a/partners/export.csv with a filter that matches ~2,000 partners.
Prints queries per page request at 1,000 and 10,000 partners (which must be equal), the medians
and the ratios to the baseline.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
os.environ.setdefault("DEBUG", "true")  # a benchmark is a development run
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from partners.models import Certification, Contact, Partner, PartnerAttribute, Tier  # noqa: E402
from partners.vocab import ContactRole, Motion, PartnerType, Region, Vertical  # noqa: E402
from prm.models import Membership, Tenant, User  # noqa: E402
from prm.permissions import Role  # noqa: E402
from prm.tenancy import tenant_context  # noqa: E402

PARTNERS = int(os.environ.get("BENCH_PARTNERS", "10000"))
SMALL = int(os.environ.get("BENCH_PARTNERS_SMALL", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
PER_PAGE = 25  # the directory's page size

PAGE_FILTERS = {"motion": "co_sell", "region": "dach", "status": "active", "sort": "tier"}
EXPORT_FILTERS = {"status": "active", "segment": "enterprise"}  # ~20 % of partners

STATUSES = [("active", 55), ("onboarding", 15), ("prospect", 15), ("suspended", 8), ("exited", 7)]
SEGMENTS = [("enterprise", 36), ("mid_market", 34), ("smb", 30)]
COUNTRIES = ["DE", "AT", "CH", "GB", "FR", "NL", "SE", "US", "CA", "BR", "IN", "JP", "AU", "SG"]
WORDS = [
    "Adatum",
    "Alpine",
    "Atlas",
    "Aurora",
    "Baltic",
    "Beacon",
    "Cobalt",
    "Contoso",
    "Danube",
    "Delta",
    "Ember",
    "Fabrikam",
    "Falcon",
    "Granite",
    "Harbor",
    "Iberia",
    "Litware",
    "Nordic",
    "Quarry",
    "Tailspin",
]
SUFFIXES = ["Systems", "Solutions", "Integrators", "Consulting", "Cloud Ops", "Resellers", "Labs", "Digital"]
TIERS = [
    ("Strategic", 1, "strategic", 3),
    ("Gold", 2, "tactical", 17),
    ("Silver", 3, "tactical", 35),
    ("Registered", 4, "tactical", 35),
    (None, None, None, 10),
]  # last: no tier
CERTS = [
    ("Sales Foundations", "Foundation"),
    ("Cloud Architect", "Professional"),
    ("Security Specialist", "Expert"),
    ("Data Platform Engineer", "Associate"),
]
MANAGERS = 5


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def ensure_staff(tenant: Tenant) -> tuple[User, list[User]]:
    """The measuring manager and the partner managers, members of ``tenant``."""
    people = []
    for k in range(MANAGERS):
        user, _ = User.objects.get_or_create(
            email=f"bench-manager-{k}@bench.example", defaults={"full_name": f"Bench Manager {k}"}
        )
        Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": Role.MANAGER})
        people.append(user)
    return people[0], people


def ensure_tenant(slug: str, size: int) -> Tenant:
    """A tenant with ``size`` partners of directory data (generated once, kept between runs)."""
    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    _, managers = ensure_staff(tenant)
    with tenant_context(tenant):
        have = Partner.objects.count()
        if have >= size:
            return tenant
        tiers = {}
        for name, rank, classification, _ in TIERS:
            if name:
                tiers[name], _ = Tier.objects.get_or_create(
                    name=name, defaults={"rank": rank, "classification": classification}
                )
        started = time.perf_counter()
        for start in range(have, size, 2000):
            generate(tenant, range(start, min(size, start + 2000)), tiers, managers)
        print(
            f"generated {size - have} partners in {slug} in {time.perf_counter() - started:.1f} s", flush=True
        )
    return tenant


def generate(tenant: Tenant, numbers: range, tiers: dict[str, Tier], managers: list[User]) -> None:
    rng = random.Random(f"{tenant.slug}-{numbers.start}")
    today = timezone.localdate()
    partners = []
    for i in numbers:
        tier = weighted(rng, [(name, weight) for name, _, _, weight in TIERS])
        partners.append(
            Partner(
                name=f"{rng.choice(WORDS)} {rng.choice(SUFFIXES)} {i:05d}",
                domain=f"p{i:05d}.{tenant.slug}.example",
                country=rng.choice(COUNTRIES),
                status=weighted(rng, STATUSES),
                tier=tiers[tier] if tier else None,
                partner_manager=rng.choice(managers),
                join_date=today - timedelta(days=rng.randint(30, 2000)),
            )
        )
    Partner.objects.bulk_create(partners, batch_size=1000)

    attributes, contacts = [], []
    for p in partners:
        values = (
            [("type", v) for v in rng.sample(PartnerType.values, rng.randint(1, 2))]
            + [("motion", v) for v in rng.sample(Motion.values, rng.randint(1, 2))]
            + [("region", v) for v in rng.sample(Region.values, rng.randint(1, 2))]
            + [("vertical", rng.choice(Vertical.values)), ("segment", weighted(rng, SEGMENTS))]
        )  # 5–8 rows
        attributes += [PartnerAttribute(partner=p, kind=kind, value=value) for kind, value in values]
        for j, role in enumerate([ContactRole.PRIMARY, rng.choice(ContactRole.values)]):
            contacts.append(
                Contact(partner=p, name=f"Person {j} of {p.name}", email=f"person{j}@{p.domain}", role=role)
            )
    PartnerAttribute.objects.bulk_create(attributes, batch_size=2000)
    Contact.objects.bulk_create(contacts, batch_size=2000)

    certifications = []
    for n, p in enumerate(partners):
        for _ in range(rng.randint(0, 3)):
            name, level = rng.choice(CERTS)
            earned = today - timedelta(days=rng.randint(0, 1100))
            holder = contacts[2 * n + rng.randint(0, 1)] if rng.random() < 0.7 else None
            certifications.append(
                Certification(
                    partner=p,
                    name=f"Acme {name}",
                    level=level,
                    earned_on=earned,
                    expires_on=earned + timedelta(days=rng.choice([365, 730, 1095])),
                    holder=Certification.Holder.PERSON if holder else Certification.Holder.COMPANY,
                    contact=holder,
                )
            )
    Certification.objects.bulk_create(certifications, batch_size=2000)


# --- the baseline: the same page as hand-written SQL ----------------------------------------------

P, A, T, U = (m._meta.db_table for m in (Partner, PartnerAttribute, Tier, User))
WHERE = (
    f"p.tenant_id = %s AND p.archived_at IS NULL AND p.status IN (%s)"
    f" AND EXISTS (SELECT 1 FROM {A} a WHERE a.tenant_id = p.tenant_id AND a.partner_id = p.id"
    f" AND a.kind = 'motion' AND a.value IN (%s))"
    f" AND EXISTS (SELECT 1 FROM {A} a WHERE a.tenant_id = p.tenant_id AND a.partner_id = p.id"
    f" AND a.kind = 'region' AND a.value IN (%s))"
)
BASELINE_COUNT = f"SELECT count(*) FROM {P} p WHERE {WHERE}"
BASELINE_ROWS = (
    f"SELECT p.id, p.name, p.domain, p.status, p.country, t.name, t.classification, u.full_name, u.email"
    f" FROM {P} p LEFT JOIN {T} t ON t.id = p.tier_id LEFT JOIN {U} u ON u.id = p.partner_manager_id"
    f" WHERE {WHERE} ORDER BY t.rank ASC NULLS LAST, p.name, p.id LIMIT {PER_PAGE}"
)
BASELINE_ATTRIBUTES = f"SELECT partner_id, kind, value FROM {A} WHERE tenant_id = %s AND partner_id IN ({{ids}}) ORDER BY kind, value"


def baseline_params(tenant: Tenant) -> list:
    return [tenant.pk, PAGE_FILTERS["status"], PAGE_FILTERS["motion"], PAGE_FILTERS["region"]]


def baseline(tenant: Tenant) -> tuple[int, list]:
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(BASELINE_COUNT, baseline_params(tenant))
        (count,) = cursor.fetchone()
        cursor.execute(BASELINE_ROWS, baseline_params(tenant))
        rows = cursor.fetchall()
        ids = [row[0] for row in rows]
        if ids:
            cursor.execute(BASELINE_ATTRIBUTES.format(ids=", ".join(["%s"] * len(ids))), [tenant.pk, *ids])
            cursor.fetchall()
    return count, rows


# --- measuring ---------------------------------------------------------------------------------------


def query_count(client: Client, url: str) -> tuple[int, list[int]]:
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
        body = response.content
    assert response.status_code == 200, body[:300]
    return len(queries), [
        int(pk) for pk in re.findall(rb'<a href="/t/[\w-]+/partners/(\d+)/"><strong>', body)
    ]


def main() -> None:
    call_command("migrate", verbosity=0)
    tenant = ensure_tenant("bench-dir-a", PARTNERS)
    ensure_tenant("bench-dir-b", PARTNERS)
    small = ensure_tenant("bench-dir-1k", SMALL)
    if connection.vendor == "postgresql":
        # Fresh planner statistics, as autovacuum keeps them in production (it may be off on a
        # bench server; without them every estimate is 1 row and the plans are nested loops).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {P}, {A}, {T}, {Contact._meta.db_table}, {Certification._meta.db_table}")
    manager, _ = ensure_staff(tenant)
    client = Client()
    client.force_login(manager)

    query = "&".join(f"{k}={v}" for k, v in PAGE_FILTERS.items())
    page_url = f"/t/{tenant.slug}/partners/?{query}"
    export_url = f"/t/{tenant.slug}/partners/export.csv?" + "&".join(
        f"{k}={v}" for k, v in EXPORT_FILTERS.items()
    )

    small_queries, small_rows = query_count(client, f"/t/{small.slug}/partners/?{query}")
    assert small_rows, "the filters must match partners at the small size too"
    large_queries, large_rows = query_count(client, page_url)
    matches, first_rows = baseline(tenant)
    assert large_rows == [row[0] for row in first_rows], "the baseline must compute the same page"
    export = client.get(export_url)
    assert export.status_code == 200
    exported = export.content.count(b"\n") - 1

    base, page, csv = [], [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        baseline(tenant)
        base.append(time.perf_counter() - start)
        start = time.perf_counter()
        client.get(page_url)
        page.append(time.perf_counter() - start)
        start = time.perf_counter()
        client.get(export_url)
        csv.append(time.perf_counter() - start)

    b, f, e = (statistics.median(x) * 1000 for x in (base, page, csv))
    print(f"database: {connection.vendor}, partners per tenant: {PARTNERS} (and {SMALL}), rounds: {ROUNDS}")
    print(f"page: {page_url} ({matches} matches, {len(large_rows)} rows shown)")
    print(
        f"queries per page request: {small_queries} at {SMALL} partners, {large_queries} at {PARTNERS} partners"
    )
    print(f"baseline (direct SQL: count, 25 rows, their attributes; median): {b:.2f} ms")
    print(f"directory page, full stack (median): {f:.2f} ms")
    print(f"ratio page/baseline: {f / b:.1f}x")
    print(
        f"CSV export of {exported} partners ({'&'.join(f'{k}={v}' for k, v in EXPORT_FILTERS.items())}, median): "
        f"{e:.2f} ms, {e / max(exported, 1) * 1000:.1f} ms per 1,000 rows, {e / b:.1f}x baseline"
    )
    if small_queries != large_queries:
        raise SystemExit(
            f"queries per page grow with rows: {small_queries} at {SMALL}, {large_queries} at {PARTNERS}"
        )


if __name__ == "__main__":
    main()
