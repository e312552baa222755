"""Demo pipeline for ``manage.py seed_demo``: accounts, deal registrations and revenue records.

About forty end-customer accounts per tenant, a few vendor opportunities, some three hundred
registrations from the active partners over the last eight fiscal quarters, and two years of
monthly revenue records, so that every page and metric has something true to show:

- both roles (resellers and integrators mostly source, advisors mostly influence), every status in
  realistic proportions, strategic partners with larger deals and better win rates;
- open conflicts (two partners on one account) waiting for a decision, resolved ones in history,
  registrations waiting past the decision SLA next to fresh ones, approved registrations whose
  protection ended an hour ago (the expiry job's work) and some extended or asking for more time;
- recurring revenue that starts with won deals and then expands, contracts, renews or churns at a
  pace that depends on the partner, so NRR differs by partner, plus one-time service bookings.

What the demo contains is data in ``content``; ``world`` holds the dice and what is drafted so
far, ``registrations``, ``conflicts``, ``writing`` and ``revenue`` turn it into rows. Rows are
written in bulk, keeping the invariants the services keep, with timestamps backdated to when
things happened. Deterministic per tenant and idempotent: a tenant that has registrations
already is left as it is.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from partners.models import Partner
from prm.models import Tenant, User

from ..models import DealRegistration
from . import content
from .conflicts import create_vendor_opportunities, draft_open_conflicts, draft_resolved_conflicts
from .registrations import draft, draft_portal_partner, draw_status
from .revenue import create_revenue
from .world import build_profiles, create_accounts, ensure_rates, world_for
from .writing import write_registrations


def seed(*, tenant: Tenant, staff: dict[str, User]) -> dict[str, Any]:
    """Create the tenant's demo pipeline unless it has registrations already."""
    if DealRegistration.objects.exists():
        return {}
    partners = list(
        Partner.objects.filter(status=Partner.Status.ACTIVE, archived_at__isnull=True)
        .select_related("tier", "partner_manager")
        .prefetch_related("attributes")
        .order_by("pk")
    )
    if not partners:
        return {}
    world = world_for(tenant, staff, partners)
    with transaction.atomic():
        ensure_rates(world)
        create_accounts(world)
        build_profiles(world)
        portal = next((p for p in world.profiles if p.partner.domain == content.PORTAL_PARTNER_DOMAIN), None)
        if portal is not None:
            draft_portal_partner(world, portal)
        while len(world.drafts) < content.REGISTRATION_COUNT:
            profile = world.rng.choices(world.profiles, weights=[p.weight for p in world.profiles])[0]
            draft(world, profile, draw_status(world, profile))
        draft_open_conflicts(world, portal)
        draft_resolved_conflicts(world)
        vendor_accounts = create_vendor_opportunities(world)
        write_registrations(world, vendor_accounts)
        create_revenue(world)
    return {}
