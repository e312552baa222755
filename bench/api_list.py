"""API list throughput: the partner list endpoint (page of 50) against a hand-built view of the same JSON.

Uses the directory benchmark's tenant ``bench-dir-a`` (``BENCH_PARTNERS`` partners, default 10,000,
each with a tier, a partner manager and 5–8 classification attributes; generated once by
``bench/directory.py``'s code and kept). In the same run, interleaved, for ``BENCH_SECONDS``
(default 5) per side and round, ``BENCH_ROUNDS`` rounds (default 3), through Django's test client
in this one process (no gunicorn: the figure is requests per second of one worker, server time
only; both sides pay the same middleware):
  hand-built  GET /bench/hand/partners/: a plain Django view (outside the API, no DRF) that reads
              the same page with ``values()`` and one query for the attributes and returns the
              same JSON with ``json.dumps``; it is checked to equal the endpoint's byte for byte
              (as parsed JSON) before timing;
  endpoint    GET /api/v1/t/bench-dir-a/partners/?page_size=50 with an API key (key lookup,
              tenant, DRF, filters, pagination, ``PartnerSerializer``'s list path).
Prints requests per second of each and the endpoint's share of the hand-built view's (goal ≥ 40 %).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import directory
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from partners.models import Partner, PartnerAttribute
from prm.permissions import Role
from prm.services import api_key_create_by_operator
from prm.tenancy import tenant_context

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SLUG = "bench-dir-a"
KINDS = {
    "type": "partner_types",
    "motion": "motions",
    "region": "regions",
    "vertical": "verticals",
    "segment": "segments",
}
COLUMNS = [
    "id", "name", "legal_name", "website", "domain", "country", "company_size", "description", "logo", "status",
    "status_changed_at", "join_date", "agreement_type", "agreement_start", "agreement_end", "archived_at",
    "created_at", "updated_at", "partner_sponsor_id", "tier_id", "tier__name", "tier__rank",
    "tier__classification", "partner_manager_id", "partner_manager__full_name", "partner_manager__email",
    "vendor_sponsor_id", "vendor_sponsor__full_name", "vendor_sponsor__email",
]  # fmt: skip


def _when(value):
    if value is None:
        return None
    if hasattr(value, "hour"):
        text = timezone.localtime(value).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return value.isoformat()


def _person(row, prefix):
    pk = row[f"{prefix}_id"]
    return None if pk is None else {"id": pk, "name": row[f"{prefix}__full_name"] or row[f"{prefix}__email"]}


def hand_view(request: HttpRequest) -> HttpResponse:
    """The same page as the endpoint's default (current partners by name), built by hand."""
    tenant = directory.Tenant.objects.get(slug=SLUG)
    with tenant_context(tenant):
        qs = Partner.objects.filter(archived_at__isnull=True)
        count = qs.count()
        rows = list(qs.order_by("name", "pk").values(*COLUMNS)[:50])
        kinds: dict[int, dict[str, list[str]]] = {}
        attributes = PartnerAttribute.objects.filter(partner_id__in=[r["id"] for r in rows])
        for pid, kind, value in attributes.order_by("partner_id", "kind", "value").values_list(
            "partner_id", "kind", "value"
        ):
            kinds.setdefault(pid, {}).setdefault(kind, []).append(value)
    results = []
    for r in rows:
        own = kinds.get(r["id"], {})
        results.append(
            {
                "id": r["id"], "name": r["name"], "legal_name": r["legal_name"], "website": r["website"],
                "domain": r["domain"], "country": r["country"] or "", "company_size": r["company_size"],
                "description": r["description"], "logo": None if not r["logo"] else settings.MEDIA_URL + r["logo"],
                **{name: own.get(kind, []) for kind, name in KINDS.items()},
                "status": r["status"], "status_changed_at": _when(r["status_changed_at"]),
                "join_date": _when(r["join_date"]),
                "tier": None if r["tier_id"] is None else {
                    "id": r["tier_id"], "name": r["tier__name"], "rank": r["tier__rank"],
                    "classification": r["tier__classification"],
                },
                "classification": r["tier__classification"],
                "partner_manager": _person(r, "partner_manager"), "vendor_sponsor": _person(r, "vendor_sponsor"),
                "partner_sponsor": r["partner_sponsor_id"], "agreement_type": r["agreement_type"],
                "agreement_start": _when(r["agreement_start"]), "agreement_end": _when(r["agreement_end"]),
                "archived": r["archived_at"] is not None, "archived_at": _when(r["archived_at"]),
                "created_at": _when(r["created_at"]), "updated_at": _when(r["updated_at"]),
            }
        )  # fmt: skip
    base = f"http://testserver/api/v1/t/{SLUG}/partners/?page=2&page_size=50"
    body = {"count": count, "next": base if count > 50 else None, "previous": None, "results": results}
    return HttpResponse(json.dumps(body), content_type="application/json")


urlpatterns = [path("bench/hand/partners/", hand_view), path("", include(settings.ROOT_URLCONF))]


def rate(client: Client, url: str, headers: dict) -> float:
    """Requests per second over SECONDS."""
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < SECONDS:
        client.get(url, headers=headers)
        done += 1
    return done / elapsed


def main() -> None:
    directory.call_command("migrate", verbosity=0)
    tenant = directory.ensure_tenant(SLUG, directory.PARTNERS)
    settings.ROOT_URLCONF = __name__
    with tenant_context(tenant):
        _, secret = api_key_create_by_operator(name="bench-api-list", role=Role.MANAGER)
    client = Client()
    auth = {"Authorization": f"Bearer {secret}"}
    endpoint = f"/api/v1/t/{SLUG}/partners/?page_size=50"
    hand = "/bench/hand/partners/"
    api_json, hand_json = client.get(endpoint, headers=auth).json(), client.get(hand).json()
    assert api_json == hand_json, next(
        (a, h) for a, h in zip(api_json["results"], hand_json["results"], strict=True) if a != h
    )
    hand_rates, api_rates = [], []
    for _ in range(ROUNDS):
        hand_rates.append(rate(client, hand, {}))
        api_rates.append(rate(client, endpoint, auth))
    h, a = statistics.median(hand_rates), statistics.median(api_rates)
    print(
        f"database: {connection.vendor}, partners: {directory.PARTNERS}, page of 50, Django test client, 1 process"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"hand-built view: {h:.0f} req/s; endpoint: {a:.0f} req/s; endpoint / hand-built: {a / h:.0%}")


if __name__ == "__main__":
    main()
