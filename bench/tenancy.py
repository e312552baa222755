"""What fail-closed tenancy costs: the partner list API through the whole stack vs direct SQL.

Generates one tenant with 10,000 partners (and a second tenant of the same size, so scoping has
work to do), then times, in the same run and interleaved:
  baseline  the page of 50 rows and the total count as hand-written SQL on the same connection;
  measured  GET /api/v1/t/bench-a/partners/?page_size=50 with an API key (middleware, key lookup,
            tenant context and RLS setting, DRF, serializer).
Prints medians, the ratio, and the number of queries per request (which must not grow with rows).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
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

from partners.models import Partner  # noqa: E402
from prm.models import Tenant  # noqa: E402
from prm.permissions import Role  # noqa: E402
from prm.services import api_key_create_by_operator  # noqa: E402
from prm.tenancy import tenant_context  # noqa: E402

PARTNERS = int(os.environ.get("BENCH_PARTNERS", "10000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "60"))
STATUSES = [s.value for s in Partner.Status]


def ensure_tenant(slug: str) -> Tenant:
    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    with tenant_context(tenant):
        missing = PARTNERS - Partner.objects.count()
        if missing > 0:
            Partner.objects.bulk_create(
                [
                    Partner(name=f"{slug} partner {i:05d}", status=STATUSES[i % len(STATUSES)])
                    for i in range(missing)
                ],
                batch_size=2000,
            )
    return tenant


def baseline(tenant: Tenant) -> None:
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM partners_partner WHERE tenant_id = %s", [tenant.pk])
        cursor.fetchall()
        cursor.execute(
            "SELECT id, name, status, created_at, updated_at FROM partners_partner "
            "WHERE tenant_id = %s ORDER BY name LIMIT 50",
            [tenant.pk],
        )
        cursor.fetchall()


def main() -> None:
    call_command("migrate", verbosity=0)
    tenant = ensure_tenant("bench-a")
    ensure_tenant("bench-b")
    if connection.vendor == "postgresql":  # fresh statistics, as autovacuum would have them
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE partners_partner")
    with tenant_context(tenant):
        _, secret = api_key_create_by_operator(name="bench", role=Role.MANAGER)
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    url = "/api/v1/t/bench-a/partners/?page_size=50"

    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["count"] == PARTNERS

    base, full = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        baseline(tenant)
        base.append(time.perf_counter() - start)
        start = time.perf_counter()
        client.get(url)
        full.append(time.perf_counter() - start)

    b, f = statistics.median(base) * 1000, statistics.median(full) * 1000
    print(f"database: {connection.vendor}, partners per tenant: {PARTNERS}, rounds: {ROUNDS}")
    print(f"queries per API request: {len(queries)}")
    print(f"baseline (direct SQL, median): {b:.2f} ms")
    print(f"partner list API, full stack (median): {f:.2f} ms")
    print(f"ratio: {f / b:.1f}x")


if __name__ == "__main__":
    main()
