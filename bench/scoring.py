"""Score recalculation at 10,000 partners in one tenant, against hand-written SQL.

Generates (once, kept between runs) tenant ``bench-score`` with 10,000 active partners, each with
0–5 certifications, two manual ratings and 0–4 revenue records in the trailing twelve months on
500 end-customer accounts, and a scorecard of four criteria:

  revenue_ttm            percentile rank in the tenant   weight 40
  active_certifications  against a target of 5           weight 20
  fit_to_icp             manual rating 1–5               weight 25
  ease_of_working        manual rating 1–5               weight 15

Then times, in the same run and interleaved, medians over N rounds:
  sql      one hand-written SQL query computing every partner's score (CTEs for the metrics,
           PERCENT_RANK for the percentile, the same rounding), fetched to Python;
  compute  the recalculation engine without writes (catalog metrics, normalisation, weights, tier
           recommendation for every partner): ``tiering.engine.compute``;
  compute + explanations (for information) the same, then each partner's breakdown and rule
           explanation built (they are built on first access: a run stores them, a what-if
           does not need them);
  writes   the recalculation's writes as raw SQL: the day's 10,000 snapshots upserted with the
           values they hold (one ``INSERT … SELECT … ON CONFLICT DO UPDATE``) and every pending
           proposal's score, explanation and snapshot set (one ``UPDATE … FROM``);
  recalc   the whole recalculation as the nightly job runs it (``score_run_execute``): compute,
           upsert 10,000 snapshots with their breakdown, refresh proposals and alerts.
Each is its own committed transaction. Before ``writes`` and ``recalc`` the pending proposals
are set back to no snapshot (untimed), so both refresh every one of them as a night's run does.
``BENCH_HISTORY_DAYS=730`` keeps two years of nightly snapshots before today (generated once:
yesterday by a real run, earlier nights copied from it), so the run reads the previous night
among them. Checks that both computations give the same scores, and prints the ratios.
Fails (exit 1) when the recalculation takes 3 s or more or over 2× the raw SQL writes, or
compute exceeds 2× the SQL.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from contextlib import nullcontext
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
os.environ.setdefault("DEBUG", "true")  # a benchmark is a development run

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from partners.models import Certification, Partner  # noqa: E402
from partners.services import tier_ensure_defaults  # noqa: E402
from pipeline.models import Account, RevenueRecord  # noqa: E402
from prm.db import connected_as, owner_credentials  # noqa: E402
from prm.models import Tenant  # noqa: E402
from prm.tenancy import tenant_context  # noqa: E402
from tiering import engine  # noqa: E402
from tiering.models import ManualRating, ScoreRun, ScoreSnapshot  # noqa: E402
from tiering.models import TierChangeProposal as Proposal  # noqa: E402
from tiering.program import active_criteria, create_scorecard_version  # noqa: E402
from tiering.recalculation import SNAPSHOT_COLUMNS, SNAPSHOT_UPDATED, score_run_execute  # noqa: E402

PARTNERS = int(os.environ.get("BENCH_PARTNERS", "10000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
# Nights of snapshots kept before today (730: two years of nightly runs), generated once.
HISTORY_DAYS = int(os.environ.get("BENCH_HISTORY_DAYS", "0"))
SLUG = "bench-score"
CRITERIA = [
    {
        "key": "revenue_ttm",
        "label": "Revenue (TTM)",
        "kind": "computed",
        "metric_key": "revenue_ttm",
        "normalisation": "percentile",
        "weight": 40,
    },
    {
        "key": "active_certifications",
        "label": "Active certifications",
        "kind": "computed",
        "metric_key": "active_certifications",
        "normalisation": "target",
        "target": Decimal(5),
        "weight": 20,
    },
    {"key": "fit_to_icp", "label": "Fit to ICP", "kind": "manual", "weight": 25},
    {"key": "ease_of_working", "label": "Ease of working", "kind": "manual", "weight": 15},
]


def ensure_tenant() -> Tenant:
    tenant, _ = Tenant.objects.get_or_create(slug=SLUG, defaults={"name": "Bench Scoring", "currency": "USD"})
    with tenant_context(tenant):
        tiers = tier_ensure_defaults()
        for tier in tiers:  # plain score thresholds (the plans app is not part of this benchmark)
            tier.requires_signed_jbp = False
            tier.save()
        if not active_criteria() or [c.key for c in active_criteria()] != [c["key"] for c in CRITERIA]:
            with transaction.atomic():  # the benchmark's own scorecard, installed as the system
                create_scorecard_version(criteria=CRITERIA, note="benchmark", actor=None)
        have = Partner.objects.count()
        if have < PARTNERS:
            started = time.perf_counter()
            generate(tenant, have, PARTNERS, tiers)
            print(
                f"generated {PARTNERS - have} partners in {time.perf_counter() - started:.1f} s", flush=True
            )
    analyze()
    return tenant


def ensure_history(tenant: Tenant, today, days: int) -> None:
    """``days`` nights of snapshots before ``today`` (kept between runs; missing nights added).

    Yesterday is a real run (its breakdowns are what today's "what moved" compares with); every
    earlier night is a copy of yesterday's snapshots under a run of its own, written by one
    ``INSERT … SELECT`` per month of nights."""
    if days <= 0:
        return
    yesterday = today - timedelta(days=1)
    with tenant_context(tenant):
        if not ScoreSnapshot.objects.filter(run_on=yesterday).exists():
            score_run_execute(run_on=yesterday)
        first = today - timedelta(days=days)
        have = set(
            ScoreRun.objects.filter(run_on__gte=first, run_on__lt=yesterday).values_list("run_on", flat=True)
        )
        missing = [
            first + timedelta(days=n) for n in range(days - 1) if first + timedelta(days=n) not in have
        ]
        if not missing:
            return
        started = time.perf_counter()
        source = ScoreRun.objects.get(run_on=yesterday)
        ScoreRun.objects.bulk_create(
            [
                ScoreRun(
                    run_on=day,
                    period_label=str(engine.period_for(day)),
                    scorecard_id=source.scorecard_id,
                    status=ScoreRun.Status.DONE,
                    total=source.total,
                    processed=source.processed,
                    finished_at=source.finished_at,
                )
                for day in missing
            ],
            batch_size=1000,
        )
        table, runs = ScoreSnapshot._meta.db_table, ScoreRun._meta.db_table
        columns = "created_at, updated_at, partner_id, period_label, scorecard_id, score, breakdown, tier_at_run_id, recommended_tier_id, rules"
        copied = ", ".join(f"s.{c}" for c in columns.split(", "))
        for start in range(0, len(missing), 30):
            chunk = missing[start : start + 30]
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (tenant_id, run_id, run_on, {columns}) "
                    f"SELECT s.tenant_id, r.id, r.run_on, {copied} FROM {table} s "
                    f"JOIN {runs} r ON r.tenant_id = s.tenant_id AND r.run_on >= %s AND r.run_on <= %s "
                    "WHERE s.tenant_id = %s AND s.run_on = %s ON CONFLICT DO NOTHING",
                    [chunk[0], chunk[-1], tenant.pk, yesterday],
                )
            print(f"  history: {start + len(chunk)} of {len(missing)} nights", flush=True)
        print(
            f"generated {len(missing)} nights of snapshots in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    analyze()


def analyze() -> None:
    """Fresh bulk data: give the planner statistics. Only a table's owner may analyze it, so on
    PostgreSQL this connects as ``DATABASE_OWNER_URL``'s role when set (the app's role owns no
    table: its ``ANALYZE`` skips every one with a warning)."""
    if connection.vendor != "postgresql":
        return
    owner = owner_credentials()
    with connected_as("default", owner) if owner else nullcontext(), connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def generate(tenant: Tenant, start: int, end: int, tiers) -> None:
    rng = random.Random(f"bench-score-{start}")
    today = timezone.localdate()
    month = today.replace(day=1)
    accounts = list(Account.objects.all()[:500])
    if len(accounts) < 500:
        Account.objects.bulk_create(
            [Account(name=f"Customer {i}", domain=f"c{i}.bench.example") for i in range(len(accounts), 500)]
        )
        accounts = list(Account.objects.all()[:500])
    for chunk in range(start, end, 2000):
        partners = [
            Partner(
                name=f"Bench Partner {i:05d}",
                domain=f"p{i:05d}.bench.example",
                status=Partner.Status.ACTIVE,
                tier=rng.choice(tiers),
            )
            for i in range(chunk, min(end, chunk + 2000))
        ]
        Partner.objects.bulk_create(partners, batch_size=1000)
        certs, ratings, revenue = [], [], []
        for p in partners:
            for _ in range(rng.randint(0, 5)):
                earned = today - timedelta(days=rng.randint(10, 900))
                expires = earned + timedelta(days=rng.choice([365, 730, 1095]))
                certs.append(
                    Certification(partner=p, name="Cloud Architect", earned_on=earned, expires_on=expires)
                )
            for key in ("fit_to_icp", "ease_of_working"):
                if rng.random() < 0.9:
                    ratings.append(ManualRating(partner=p, key=key, value=rng.randint(1, 5)))
            for _ in range(rng.randint(0, 4)):
                back = rng.randint(0, 11)
                period = (month - timedelta(days=31 * back)).replace(day=1)
                amount = Decimal(rng.randint(1, 400) * 250)
                revenue.append(
                    RevenueRecord(
                        account=rng.choice(accounts),
                        partner=p,
                        period=period,
                        kind="new",
                        recurring=True,
                        amount=amount,
                        currency="USD",
                        amount_reporting=amount,
                    )
                )
        Certification.objects.bulk_create(certs, batch_size=2000)
        ManualRating.objects.bulk_create(ratings, batch_size=2000)
        RevenueRecord.objects.bulk_create(revenue, batch_size=2000)


SQL = """
WITH scored AS (
    SELECT id AS partner_id FROM partners_partner
    WHERE tenant_id = %(tenant)s AND archived_at IS NULL AND status IN ('onboarding', 'active', 'suspended')
),
rev AS (
    SELECT partner_id, SUM(amount_reporting) AS value FROM pipeline_revenuerecord
    WHERE tenant_id = %(tenant)s AND period >= %(ttm_start)s AND period <= %(end)s
      AND kind IN ('new', 'expansion', 'renewal') AND partner_id IS NOT NULL
    GROUP BY partner_id
),
certs AS (
    SELECT partner_id, COUNT(*) AS n FROM partners_certification
    WHERE tenant_id = %(tenant)s AND archived_at IS NULL AND earned_on <= %(end)s
      AND (expires_on IS NULL OR expires_on >= %(end)s)
    GROUP BY partner_id
),
ratings AS (
    SELECT partner_id,
           MAX(CASE WHEN key = 'fit_to_icp' THEN value END) AS fit,
           MAX(CASE WHEN key = 'ease_of_working' THEN value END) AS ease
    FROM partners_manualrating WHERE tenant_id = %(tenant)s GROUP BY partner_id
)
SELECT partner_id,
         ROUND(ROUND(pct * 100, 2) * 40 / 100.0, 2)
       + ROUND(ROUND(CASE WHEN n >= 5 THEN 100 ELSE n * 100.0 / 5 END, 2) * 20 / 100.0, 2)
       + ROUND(ROUND(COALESCE((fit - 1) * 100.0 / 4, 0), 2) * 25 / 100.0, 2)
       + ROUND(ROUND(COALESCE((ease - 1) * 100.0 / 4, 0), 2) * 15 / 100.0, 2) AS score
FROM (
    SELECT s.partner_id, CAST(PERCENT_RANK() OVER (ORDER BY COALESCE(rev.value, 0)) AS NUMERIC) AS pct,
           COALESCE(c.n, 0) AS n, r.fit, r.ease
    FROM scored s
    LEFT JOIN rev ON rev.partner_id = s.partner_id
    LEFT JOIN certs c ON c.partner_id = s.partner_id
    LEFT JOIN ratings r ON r.partner_id = s.partner_id
) AS facts
"""


def sql_scores(tenant: Tenant, run_on) -> dict[int, Decimal]:
    period = engine.period_for(run_on)
    end = period.end
    ttm_start = date_months_back(end, 11)
    params = {"tenant": tenant.pk, "end": end, "ttm_start": ttm_start}
    with connection.cursor() as cursor:
        cursor.execute(SQL, params)
        return {pid: Decimal(str(score)).quantize(Decimal("0.01")) for pid, score in cursor.fetchall()}


def date_months_back(day, months):
    from datetime import date

    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def explained(criteria, today):
    """compute, then every partner's breakdown and rule explanation built (as a run stores them)."""
    computed = engine.compute(run_on=today, criteria=criteria)
    for r in computed.results.values():
        r.breakdown, r.rules  # noqa: B018 (built on first access)
    return computed


def stale_proposals() -> None:
    """Pending proposals as before a night's run (not yet pointing at today's snapshot), so the
    run refreshes every one of them as the nightly job does (untimed, committed)."""
    Proposal.objects.filter(status=Proposal.Status.PENDING).update(snapshot=None)


def sql_writes(tenant: Tenant, today) -> int:
    """The recalculation's writes as raw SQL: every partner's snapshot of the day upserted with
    the values it holds (one ``INSERT … SELECT … ON CONFLICT DO UPDATE``) and every pending
    proposal's score, explanation and snapshot set (one ``UPDATE … FROM``). Returns the number of
    proposals updated."""
    snapshots, proposals = ScoreSnapshot._meta.db_table, Proposal._meta.db_table
    columns = ", ".join(SNAPSHOT_COLUMNS)
    selected = ", ".join("%(now)s" if c == "updated_at" else c for c in SNAPSHOT_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in SNAPSHOT_UPDATED)
    params = {"tenant": tenant.pk, "today": today, "now": timezone.now(), "pending": Proposal.Status.PENDING}
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {snapshots} ({columns}) SELECT {selected} FROM {snapshots} "
            "WHERE tenant_id = %(tenant)s AND run_on = %(today)s "
            f"ON CONFLICT (tenant_id, partner_id, run_on) DO UPDATE SET {updates}",
            params,
        )
        cursor.execute(
            f"UPDATE {proposals} SET score = s.score, explanation = {proposals}.explanation, "
            f"snapshot_id = s.id, updated_at = %(now)s FROM {snapshots} s "
            f"WHERE {proposals}.tenant_id = %(tenant)s AND {proposals}.status = %(pending)s "
            f"AND s.tenant_id = {proposals}.tenant_id AND s.partner_id = {proposals}.partner_id "
            "AND s.run_on = %(today)s",
            params,
        )
        return cursor.rowcount


def in_tenant(tenant: Tenant, fn):
    """``fn`` in a transaction of its own as the tenant (committed, as the nightly task's)."""
    with tenant_context(tenant):
        return fn()


def main() -> int:
    tenant = ensure_tenant()
    today = timezone.localdate()
    ensure_history(tenant, today, HISTORY_DAYS)
    with tenant_context(tenant):
        criteria = active_criteria()
        partners = engine.scored_partners()
        stored = ScoreSnapshot.objects.count()
    in_tenant(tenant, lambda: score_run_execute(run_on=today))  # warm-up (and the first run's inserts)
    sql_t, compute_t, explained_t, writes_t, recalc_t = [], [], [], [], []
    for _ in range(ROUNDS):
        t, by_sql = timed(lambda: in_tenant(tenant, lambda: sql_scores(tenant, today)))
        sql_t.append(t)
        t, computed = timed(
            lambda: in_tenant(tenant, lambda: engine.compute(run_on=today, criteria=criteria))
        )
        compute_t.append(t)
        t, _explained = timed(lambda: in_tenant(tenant, lambda: explained(criteria, today)))
        explained_t.append(t)
        in_tenant(tenant, stale_proposals)
        t, refreshed = timed(lambda: in_tenant(tenant, lambda: sql_writes(tenant, today)))
        writes_t.append(t)
        in_tenant(tenant, stale_proposals)
        t, _run = timed(lambda: in_tenant(tenant, lambda: score_run_execute(run_on=today)))
        recalc_t.append(t)
    mine = {pid: r.score for pid, r in computed.results.items()}
    differ = [pid for pid in mine if abs(mine[pid] - by_sql.get(pid, Decimal(-1))) > Decimal("0.011")]
    sql, compute, explain, writes, recalc = (
        statistics.median(x) for x in (sql_t, compute_t, explained_t, writes_t, recalc_t)
    )
    print(
        f"scoring benchmark on {connection.vendor}: {len(partners)} partners, {stored:,} snapshots stored "
        f"({HISTORY_DAYS} nights of history), {ROUNDS} rounds (medians)"
    )
    print(f"  hand-written SQL          {sql * 1000:8.0f} ms   1.00×")
    print(f"  compute (engine, no write){compute * 1000:8.0f} ms   {compute / sql:.2f}×")
    print(f"  compute + explanations    {explain * 1000:8.0f} ms   {explain / sql:.2f}×   (information)")
    print(f"  raw SQL writes            {writes * 1000:8.0f} ms   1.00×   ({refreshed} proposals refreshed)")
    print(f"  recalculation (full run)  {recalc * 1000:8.0f} ms   {recalc / writes:.2f}× the raw SQL writes")
    print(
        f"  rounds: raw writes {' '.join(f'{t * 1000:.0f}' for t in writes_t)} ms; recalculation {' '.join(f'{t * 1000:.0f}' for t in recalc_t)} ms"
    )
    print(f"  scores that differ from the SQL by more than a cent: {len(differ)} of {len(mine)}")
    ok = recalc < 3 and recalc <= 2 * writes and compute <= 2 * sql and not differ
    print(
        "  PASS"
        if ok
        else "  FAIL: target is recalculation < 3 s and ≤ 2× the raw SQL writes, compute ≤ 2× SQL, identical scores"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
