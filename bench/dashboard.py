"""The executive dashboard at scale: server time of the page against hand-written SQL.

Generates once (set-based SQL, ``INSERT … SELECT generate_series``) one tenant ``bench-dash``
with an April fiscal year, 5 tiers (8 strategic partners in the top tier), ``BENCH_DASH_PARTNERS``
partners (5,000), 20,000 accounts, ``BENCH_DASH_DEALS`` deal registrations (1,000,000) over three
years and ``BENCH_DASH_REVENUE`` revenue records (500,000) over three years. Deals and revenue are
skewed towards the first partners (the strategic ones win more and bigger deals), so the figures
look like a program's. Kept between runs; a size change regenerates.

Then, interleaved in the same run, medians over ``BENCH_ROUNDS`` rounds:
  hand SQL      the same figures written by hand: per headline metric one statement for the
                period and the previous one with GROUPING SETS (partner, tier, classification,
                total) and one for the eight-quarter trend, plus the tier counts;
  page (fresh)  GET /t/bench-dash/reports/?period=…&fresh=1 as the executive, through the whole
                stack, recomputing every figure (no cache);
  page (cached) the same page served from the reporting cache.
Checks that every total of the page equals the hand-written SQL's, prints the medians and the ratio
of the fresh page to the hand-written SQL. Works on SQLite with small sizes (hand SQL is then
skipped: it uses PostgreSQL's GROUPING SETS).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
os.environ.setdefault("DEBUG", "true")  # a benchmark is a development run
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from partners.models import Partner, Tier  # noqa: E402
from pipeline import rollup  # noqa: E402
from pipeline.models import Account, DealRegistration, RevenueRecord  # noqa: E402
from prm.access import TenantAccess  # noqa: E402
from prm.models import Membership, Tenant, User  # noqa: E402
from prm.periods import fiscal_quarter_of  # noqa: E402
from prm.permissions import Role  # noqa: E402
from prm.tenancy import tenant_context  # noqa: E402
from reporting import queries  # noqa: E402

POSTGRES = connection.vendor == "postgresql"
# The sizes on PostgreSQL; a small run on SQLite (where the data is made row by row).
PARTNERS = int(os.environ.get("BENCH_DASH_PARTNERS", "5000" if POSTGRES else "200"))
DEALS = int(os.environ.get("BENCH_DASH_DEALS", "1000000" if POSTGRES else "20000"))
REVENUE = int(os.environ.get("BENCH_DASH_REVENUE", "500000" if POSTGRES else "10000"))
ACCOUNTS = int(os.environ.get("BENCH_DASH_ACCOUNTS", str(max(100, PARTNERS * 4))))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
SLUG = "bench-dash"
STRATEGIC = 8
TIERS = [
    ("Strategic", 1, "strategic"),
    ("Gold", 2, "tactical"),
    ("Silver", 3, "tactical"),
    ("Registered", 4, "tactical"),
    ("Authorised", 5, "tactical"),
]


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


RANDOM_ROWS = "(SELECT g, random() AS ra, random() AS rb, random() AS r1, random() AS r2, random() AS r3, random() AS r4 FROM generate_series(0, {n}) g) s"


def generate(tenant: Tenant) -> None:
    """Everything of the tenant from scratch, in set-based statements."""
    started = time.perf_counter()
    tid = tenant.pk
    now = timezone.now()
    with tenant_context(tenant):
        for model in (RevenueRecord, DealRegistration, Account, Partner, Tier):
            _sql(f"DELETE FROM {model._meta.db_table} WHERE tenant_id = %s", [tid])
        for name, rank, classification in TIERS:
            Tier.objects.create(name=name, rank=rank, classification=classification)
        tiers = list(Tier.objects.order_by("rank").values_list("pk", flat=True))
        if POSTGRES:
            _generate_postgres(tid, now, tiers)
        else:
            _generate_small_with_orm(tiers)
    if POSTGRES:
        for model in (Partner, Account, DealRegistration, RevenueRecord):
            _sql(f"VACUUM ANALYZE {model._meta.db_table}")
    print(
        f"generated {PARTNERS} partners, {DEALS} deals, {REVENUE} revenue records in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def _generate_postgres(tid: int, now, tiers: list[int]) -> None:
    """Partners, accounts, deals and revenue in INSERT … SELECT generate_series statements."""
    p = {"t": tid, "now": now, "today": now.date()}
    _sql(
        f"""
        INSERT INTO partners_partner (tenant_id, created_at, updated_at, name, legal_name, website, domain, country,
            company_size, description, logo, status, status_changed_at, agreement_type)
        SELECT %(t)s, %(now)s, %(now)s, 'Partner ' || lpad(g::text, 5, '0'), '', '', 'p' || g || '.bench.example',
            'DE', '', '', '', 'active', %(now)s, 'standard'
        FROM generate_series(0, {PARTNERS - 1}) g
        """,
        p,
    )
    p["first"] = Partner.objects.order_by("pk").values_list("pk", flat=True)[0]
    p.update({f"tier{k}": pk for k, pk in enumerate(tiers)})
    # Partners 0–7 strategic; the rest spread over the tactical tiers; every 20th without a tier.
    _sql(
        f"""
        UPDATE partners_partner SET tier_id = CASE
            WHEN id - %(first)s < {STRATEGIC} THEN %(tier0)s
            WHEN mod(id - %(first)s, 20) = 19 THEN NULL
            WHEN mod(id - %(first)s, 4) = 0 THEN %(tier1)s WHEN mod(id - %(first)s, 4) = 1 THEN %(tier2)s
            WHEN mod(id - %(first)s, 4) = 2 THEN %(tier3)s ELSE %(tier4)s END
        WHERE tenant_id = %(t)s
        """,
        p,
    )
    _sql(
        f"""
        INSERT INTO pipeline_account (tenant_id, created_at, updated_at, name, normalized_name, domain, country,
            segment, industry)
        SELECT %(t)s, %(now)s, %(now)s, 'Customer ' || g, 'customer ' || g, 'c' || g || '.bench.example', 'DE', '', ''
        FROM generate_series(0, {ACCOUNTS - 1}) g
        """,
        p,
    )
    p["account"] = Account.objects.order_by("pk").values_list("pk", flat=True)[0]
    # Partner of row g: skewed to the first (strategic) partners: index = P × r1 × r2.
    partner = f"(%(first)s + CAST(floor({PARTNERS} * s.ra * s.rb) AS INTEGER))"
    r1, r2, r3, r4 = "s.r1", "s.r2", "s.r3", "s.r4"
    _sql("SELECT setseed(0.8)")
    days = 3 * 365
    submitted = f"(%(now)s::timestamptz - ({r1} * {days}) * interval '1 day')"
    status = (
        f"CASE WHEN {r2} < 0.08 THEN 'rejected' WHEN {r2} < 0.14 THEN 'submitted' WHEN {r2} < 0.22 THEN 'approved' "
        f"WHEN {r2} < 0.30 THEN 'expired' WHEN {r2} < (CASE WHEN y.strategic THEN 0.78 ELSE 0.55 END) THEN 'won' "
        "ELSE 'lost' END"
    )
    _sql(
        f"""
        INSERT INTO pipeline_dealregistration (tenant_id, created_at, updated_at, partner_id, account_id,
            opportunity_name, products, amount, currency, amount_reporting, expected_close_date, stage,
            customer_contact_name, customer_contact_email, partner_role, notes, status, submitted_at,
            decision_reason, extension_reason, extensions, has_conflict, closed_on, closed_amount,
            closed_amount_reporting, adjustment_reason, protection_source)
        SELECT %(t)s, %(now)s, %(now)s, y.partner_id, %(account)s + mod(s.g, {ACCOUNTS}), 'Deal ' || s.g, 'Suite',
            x.amount, 'USD', x.amount, CAST(x.submitted AS date) + 60, 'qualification', '', '',
            CASE WHEN {r3} < 0.7 THEN 'sourced' ELSE 'influenced' END, '', x.status, x.submitted, '', '', 0, false,
            CASE WHEN x.status IN ('won', 'lost') AND x.closed <= %(today)s THEN x.closed END,
            CASE WHEN x.status = 'won' THEN round(x.amount * 0.95, 2) END,
            CASE WHEN x.status = 'won' THEN round(x.amount * 0.95, 2) END, '', ''
        FROM {RANDOM_ROWS.format(n=DEALS - 1)}
        CROSS JOIN LATERAL (SELECT {partner} AS partner_id) y0
        CROSS JOIN LATERAL (SELECT y0.partner_id, y0.partner_id - %(first)s < {STRATEGIC} AS strategic) y
        CROSS JOIN LATERAL (SELECT {submitted} AS submitted, {status} AS status,
            CAST({submitted} AS date) + CAST(floor({r4} * 90) AS INTEGER) AS closed,
            round(CAST((CASE WHEN y.strategic THEN 40000 ELSE 8000 END) * (0.2 + {r4} * 1.6) AS numeric), 2)
                AS amount) x
        """,
        p,
    )
    kinds = (
        f"CASE WHEN {r2} < 0.30 THEN 'new' WHEN {r2} < 0.52 THEN 'expansion' WHEN {r2} < 0.85 THEN 'renewal' "
        f"WHEN {r2} < (CASE WHEN y.strategic THEN 0.95 ELSE 0.93 END) THEN 'contraction' ELSE 'churn' END"
    )
    _sql(
        f"""
        INSERT INTO pipeline_revenuerecord (tenant_id, created_at, updated_at, account_id, partner_id, period,
            kind, recurring, amount, currency, amount_reporting, reference, adjustment_reason)
        SELECT %(t)s, %(now)s, %(now)s, %(account)s + mod(y.partner_id * 4 + mod(s.g, 4), {ACCOUNTS}), y.partner_id,
            CAST(date_trunc('month', {submitted}) AS date), {kinds}, {r3} < 0.85, x.amount, 'USD', x.amount, '', ''
        FROM {RANDOM_ROWS.format(n=REVENUE - 1)}
        CROSS JOIN LATERAL (SELECT {partner} AS partner_id) y0
        CROSS JOIN LATERAL (SELECT y0.partner_id, y0.partner_id - %(first)s < {STRATEGIC} AS strategic) y
        CROSS JOIN LATERAL (SELECT
            round(CAST((CASE WHEN y.strategic THEN 9000 ELSE 2500 END) * (0.2 + {r4} * 1.6) AS numeric), 2)
                AS amount) x
        """,
        p,
    )


def _generate_small_with_orm(tiers: list[int]) -> None:
    """SQLite (small sizes only): the same shape through bulk_create."""
    import random

    rng = random.Random(8)
    now = timezone.now()
    Partner.objects.bulk_create(
        Partner(
            name=f"Partner {n:05d}",
            domain=f"p{n}.bench.example",
            status="active",
            tier_id=tiers[0] if n < STRATEGIC else (None if n % 20 == 19 else tiers[1 + n % 4]),
        )
        for n in range(PARTNERS)
    )
    Account.objects.bulk_create(
        Account(name=f"Customer {n}", domain=f"c{n}.bench.example") for n in range(ACCOUNTS)
    )
    ids = list(Partner.objects.order_by("pk").values_list("pk", flat=True))
    first_account = Account.objects.order_by("pk").values_list("pk", flat=True)[0]
    deals = []
    for g in range(DEALS):
        pid = ids[int(len(ids) * rng.random() ** 2)]
        strategic = pid - ids[0] < STRATEGIC
        submitted = now - timedelta(days=rng.random() * 3 * 365)
        roll = rng.random()
        status = (
            "rejected"
            if roll < 0.08
            else "approved"
            if roll < 0.22
            else "won"
            if roll < (0.78 if strategic else 0.55)
            else "lost"
        )
        amount = Decimal(round((40000 if strategic else 8000) * (0.2 + rng.random() * 1.6), 2))
        closed = (
            submitted.date() + timedelta(days=int(rng.random() * 90)) if status in {"won", "lost"} else None
        )
        if closed and closed > now.date():
            closed = None
        won = (amount * Decimal("0.95")).quantize(Decimal("0.01")) if status == "won" else None
        deals.append(
            DealRegistration(
                partner_id=pid,
                account_id=first_account + g % ACCOUNTS,
                opportunity_name=f"Deal {g}",
                products="Suite",
                amount=amount,
                currency="USD",
                amount_reporting=amount,
                expected_close_date=submitted.date(),
                partner_role="sourced" if rng.random() < 0.7 else "influenced",
                status=status,
                submitted_at=submitted,
                closed_on=closed,
                closed_amount=won,
                closed_amount_reporting=won,
            )
        )
    DealRegistration.objects.bulk_create(deals, batch_size=2000)
    records = []
    kinds = ["new", "expansion", "renewal", "contraction", "churn"]
    for g in range(REVENUE):
        pid = ids[int(len(ids) * rng.random() ** 2)]
        month = (now - timedelta(days=rng.random() * 3 * 365)).date().replace(day=1)
        amount = Decimal(round(2500 * (0.2 + rng.random() * 1.6), 2))
        records.append(
            RevenueRecord(
                account_id=first_account + (pid * 4 + g % 4) % ACCOUNTS,
                partner_id=pid,
                period=month,
                kind=rng.choices(kinds, weights=[30, 22, 33, 10, 5])[0],
                recurring=rng.random() < 0.85,
                amount=amount,
                currency="USD",
                amount_reporting=amount,
            )
        )
    RevenueRecord.objects.bulk_create(records, batch_size=2000)


def ensure_tenant() -> tuple[Tenant, User]:
    tenant, _ = Tenant.objects.get_or_create(
        slug=SLUG, defaults={"name": "Bench Dashboard", "fiscal_year_start_month": 4}
    )
    user, _ = User.objects.get_or_create(email="exec@bench-dash.example")
    Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": Role.EXECUTIVE})
    sizes = {"partners": PARTNERS, "deals": DEALS, "revenue": REVENUE, "accounts": ACCOUNTS}
    if tenant.settings.get("bench_sizes") != sizes:
        generate(tenant)
        tenant.settings = {**tenant.settings, "bench_sizes": sizes}
        tenant.save(update_fields=["settings"])
    # The data is written by raw SQL, which bypasses the quarter totals: rebuild them (timed).
    started = time.perf_counter()
    rows = rollup.rebuild(tenant)
    print(f"rebuilt the quarter totals ({rows} rows) in {time.perf_counter() - started:.1f} s", flush=True)
    return tenant, user


def write_one(tenant: Tenant, n: int) -> None:
    """A write as the desk makes one: a registration's amount changes (the quarter totals of its
    partner follow in the same transaction; the reporting cache is dropped)."""
    with tenant_context(tenant):
        deal = DealRegistration.objects.filter(status="won").order_by("pk")[n % 50]
        deal.amount_reporting = deal.amount_reporting + Decimal("0.01") * (1 if n % 2 else -1)
        deal.save(update_fields=["amount_reporting", "updated_at"])


# --- the same figures by hand -------------------------------------------------------------------

PARTNERS_SQL = """
    SELECT p.id, COALESCE(p.tier_id, 0) AS tier_id, COALESCE(t.classification, 'none') AS cls
    FROM partners_partner p LEFT JOIN partners_tier t ON t.id = p.tier_id WHERE p.tenant_id = %(t)s
"""
SETS_PERIOD = "GROUPING SETS ((per, x.partner_id), (per, g.tier_id), (per, g.cls), (per))"
SETS_TREND = "GROUPING SETS ((per, g.cls), (per))"


def _periods_values(periods) -> str:
    return ", ".join(f"('{p.label}', DATE '{p.start}', DATE '{p.end}')" for p in periods)


def hand_statements(tenant: Tenant, period) -> list[tuple[str, dict]]:
    tz = str(timezone.get_current_timezone())
    statements = []
    for periods, sets, cols in (
        ([period, period.previous()], SETS_PERIOD, "x.partner_id, g.tier_id, g.cls"),
        (queries.trend_quarters(period), SETS_TREND, "NULL, NULL, g.cls"),
    ):
        values = _periods_values(periods)
        first, last = min(p.start for p in periods), max(p.end for p in periods)
        base = {"t": tenant.pk, "tz": tz, "first": first, "last": last, "after": last + timedelta(days=1)}
        head = f"WITH g AS ({PARTNERS_SQL}), q(per, s, e) AS (VALUES {values})"
        for role in ("sourced", "influenced"):
            statements.append((f"""{head}
                SELECT per, {cols}, SUM(x.amount_reporting)
                FROM pipeline_dealregistration x JOIN q ON x.submitted_at >= (q.s::timestamp AT TIME ZONE %(tz)s)
                    AND x.submitted_at < ((q.e + 1)::timestamp AT TIME ZONE %(tz)s)
                JOIN g ON g.id = x.partner_id
                WHERE x.tenant_id = %(t)s AND x.submitted_at >= (%(first)s::timestamp AT TIME ZONE %(tz)s)
                    AND x.submitted_at < (%(after)s::timestamp AT TIME ZONE %(tz)s)
                    AND x.partner_role = '{role}' AND x.status <> 'rejected'
                GROUP BY {sets}""", base))  # fmt: skip
        closed = """
            FROM pipeline_dealregistration x JOIN q ON x.closed_on BETWEEN q.s AND q.e JOIN g ON g.id = x.partner_id
            WHERE x.tenant_id = %(t)s AND x.closed_on BETWEEN %(first)s AND %(last)s"""
        statements.append((f"""{head} SELECT per, {cols}, SUM(x.closed_amount_reporting) {closed}
            AND x.status = 'won' GROUP BY {sets}""", base))  # fmt: skip
        statements.append((f"""{head} SELECT per, {cols}, COUNT(*) FILTER (WHERE x.status = 'won'), COUNT(*)
            {closed} AND x.status IN ('won', 'lost') GROUP BY {sets}""", base))  # fmt: skip
        statements.append((f"""{head} SELECT per, {cols}, SUM(x.closed_amount_reporting), COUNT(*) {closed}
            AND x.status = 'won' GROUP BY {sets}""", base))  # fmt: skip
        statements.append((f"""{head} SELECT per, {cols}, SUM(x.amount_reporting)
            FROM pipeline_revenuerecord x JOIN q ON x.period BETWEEN q.s AND q.e JOIN g ON g.id = x.partner_id
            WHERE x.tenant_id = %(t)s AND x.period BETWEEN %(first)s AND %(last)s
                AND x.kind IN ('expansion', 'new', 'renewal') GROUP BY {sets}""", base))  # fmt: skip
        # NRR: ARR per partner and account at every date needed in one scan (renewals move no ARR),
        # then each period's cohort (ARR a year before its end > 0).
        dates = sorted({d for p in periods for d in (p.end, _year_before(p.end))})
        sums = ", ".join(
            f"SUM(CASE WHEN x.kind IN ('new', 'expansion') THEN x.amount_reporting ELSE -x.amount_reporting END) "
            f"FILTER (WHERE x.period <= DATE '{d}') AS a{n}"
            for n, d in enumerate(dates)
        )
        cohorts = " UNION ALL ".join(
            f"SELECT '{p.label}' AS per, partner_id, a{dates.index(_year_before(p.end))} AS arr_then, "
            f"a{dates.index(p.end)} AS arr_now FROM acc WHERE a{dates.index(_year_before(p.end))} > 0"
            for p in periods
        )
        statements.append((f"""WITH g AS ({PARTNERS_SQL}),
            acc AS (SELECT x.partner_id, x.account_id, {sums} FROM pipeline_revenuerecord x
                WHERE x.tenant_id = %(t)s AND x.recurring AND x.partner_id IS NOT NULL
                    AND x.kind IN ('new', 'expansion', 'contraction', 'churn') AND x.period <= %(last)s
                GROUP BY x.partner_id, x.account_id)
            SELECT per, {cols}, SUM(x.arr_then), SUM(x.arr_now)
            FROM ({cohorts}) x JOIN g ON g.id = x.partner_id GROUP BY {sets}""", base))  # fmt: skip
    statements.append(
        (
            "SELECT tier_id, COUNT(*) FROM partners_partner WHERE tenant_id = %(t)s GROUP BY tier_id",
            {"t": tenant.pk},
        )
    )
    return statements


def _year_before(day):
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def hand(tenant: Tenant, statements) -> list[list]:
    results = []
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")  # as the dashboard does
        for sql, params in statements:
            cursor.execute(sql, params)
            results.append(cursor.fetchall())
    return results


def hand_totals(results, period) -> dict[str, Decimal]:
    """The period's totals from the hand SQL (rows with every grouping column NULL but the period)."""

    def total(index: int) -> tuple:
        return next(
            row[4:]
            for row in results[index]
            if row[0] == period.label and row[1] is None and row[2] is None and row[3] is None
        )

    sourced, influenced, won, decided, average, revenue, nrr = (total(i) for i in range(7))
    return {
        "pipeline_sourced": sourced[0],
        "pipeline_influenced": influenced[0],
        "deals_won_amount": won[0],
        "win_rate": (Decimal(decided[0]) / decided[1]).quantize(Decimal("0.0001")),
        "average_deal_size": (average[0] / average[1]).quantize(Decimal("0.01")),
        "revenue": revenue[0],
        "nrr": (Decimal(nrr[1]) / Decimal(nrr[0])).quantize(Decimal("0.0001")),
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    tenant, user = ensure_tenant()
    period = fiscal_quarter_of(timezone.localdate(), tenant.fiscal_year_start_month).previous()
    client = Client()
    client.force_login(user)
    url = f"/t/{SLUG}/reports/?period={period.label}"
    assert client.get(url + "&fresh=1").status_code == 200  # warm-up (connections, templates)

    with tenant_context(tenant):
        access = TenantAccess.from_membership(Membership.objects.get(tenant=tenant, user=user))
        page_totals = {f.key: f.total.value for f in queries.compute_dashboard(access, period).figures}
    statements = hand_statements(tenant, period) if POSTGRES else []
    if statements:
        expected = hand_totals(hand(tenant, statements), period)
        for key, value in expected.items():
            assert page_totals[key] == value, f"{key}: page {page_totals[key]} ≠ hand SQL {value}"
        print(f"every total equals the hand-written SQL's ({', '.join(sorted(expected))})")

    base, fresh, cached, after_write, without_rollup = [], [], [], [], []
    for n in range(ROUNDS):
        if statements:
            start = time.perf_counter()
            hand(tenant, statements)
            base.append(time.perf_counter() - start)
        start = time.perf_counter()
        response = client.get(url + "&fresh=1")
        fresh.append(time.perf_counter() - start)
        assert b"Computed just now" in response.content
        start = time.perf_counter()
        response = client.get(url)
        cached.append(time.perf_counter() - start)
        assert b"Cached figures" in response.content
        write_one(tenant, n)
        start = time.perf_counter()
        response = client.get(url)
        after_write.append(time.perf_counter() - start)
        assert b"Computed just now" in response.content
        start = time.perf_counter()
        with rollup.base_tables_only():
            response = client.get(url + "&fresh=1")
        without_rollup.append(time.perf_counter() - start)
    w, o = statistics.median(after_write) * 1000, statistics.median(without_rollup) * 1000
    f, c = statistics.median(fresh) * 1000, statistics.median(cached) * 1000
    print(
        f"dashboard {period.label}, {PARTNERS} partners, {DEALS} deals, {REVENUE} revenue records, {ROUNDS} rounds ({connection.vendor})"
    )
    if base:
        b = statistics.median(base) * 1000
        print(f"hand-written SQL, same figures (median): {b:.1f} ms")
    print(f"dashboard page, recomputed, full stack (median): {f:.1f} ms")
    print(f"dashboard page, cached, full stack (median): {c:.1f} ms")
    print(f"dashboard page right after a write, full stack (median): {w:.1f} ms")
    print(f"dashboard page, recomputed from the base tables (rollup off, median): {o:.1f} ms")
    if base:
        print(f"ratio recomputed page / hand SQL: {f / b:.2f}")


if __name__ == "__main__":
    with transaction.atomic():
        pass
    main()
