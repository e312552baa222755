"""Conflicts in the demo pipeline: open ones waiting for a decision, resolved ones in history, and
the vendor's own opportunities that flag registrations on the same account."""

from __future__ import annotations

from datetime import timedelta

from ..models import Account, DealRegistration, VendorOpportunity
from . import content
from .registrations import draft
from .world import PartnerProfile, World, is_open

Status = DealRegistration.Status


def draft_open_conflicts(world: World, portal: PartnerProfile | None) -> None:
    """A second partner registers an account that another partner holds open (the portal partner
    is the second one in one of them: it learns no name)."""
    rng = world.rng
    candidates = [d for d in world.drafts if is_open(world, d)]
    rng.shuffle(candidates)
    if portal is not None:
        candidates.sort(key=lambda d: d.registration.partner_id == portal.partner.pk)
    used: set[int] = set()
    for first in candidates:
        account = first.registration.account
        if len(used) >= content.OPEN_CONFLICTS or account.pk in used:
            continue
        used.add(account.pk)
        if portal is not None and len(used) == 1:
            second = portal
        else:
            second = _other_partner(world, first.registration.partner_id, account)
        holders = [
            d
            for d in world.drafts
            if d.registration.account_id == account.pk
            and d.registration.partner_id != second.partner.pk
            and is_open(world, d)
        ]
        variant = rng.choice(["fresh", "overdue"])
        sla_hours = world.rules["sla_hours"]
        hours = rng.uniform(1, sla_hours - 6) if variant == "fresh" else rng.uniform(sla_hours + 2, 150)
        # After the registration it conflicts with (halfway to now when that one is very recent).
        submitted = first.registration.submitted_at
        earliest = submitted + min(timedelta(hours=2), (world.now - submitted) / 2)
        submitted_at = max(world.now - timedelta(hours=hours), earliest)
        conflicting = draft(
            world, second, Status.SUBMITTED, variant, account=account, submitted_at=submitted_at
        )
        conflicting.conflicts_with += holders


def draft_resolved_conflicts(world: World) -> None:
    """History: conflicts resolved by approving one registration and rejecting the other."""
    closed = [d for d in world.drafts if d.registration.status in (Status.WON, Status.LOST, Status.EXPIRED)]
    for winner in world.rng.sample(closed, min(content.RESOLVED_CONFLICTS, len(closed))):
        reg = winner.registration
        if reg.decided_at is None:
            continue
        submitted_at = reg.submitted_at + (reg.decided_at - reg.submitted_at) * world.rng.uniform(0.2, 0.8)
        loser = draft(
            world,
            _other_partner(world, reg.partner_id, reg.account),
            Status.REJECTED,
            account=reg.account,
            submitted_at=submitted_at,
        )
        loser.registration.decided_at, loser.registration.decided_by = reg.decided_at, reg.decided_by
        loser.registration.decision_reason = content.CONFLICT_REJECTION
        loser.moves[-1] = (
            Status.SUBMITTED,
            Status.REJECTED,
            reg.decided_at,
            reg.decided_by,
            content.CONFLICT_REJECTION,
        )
        loser.conflicts_with.append(winner)


def _other_partner(world: World, partner_id: int, account: Account) -> PartnerProfile:
    others = [p for p in world.profiles if p.partner.pk != partner_id]
    near = [p for p in others if account in p.territory]
    return world.rng.choice(near or others)


def create_vendor_opportunities(world: World) -> set[int]:
    """A few opportunities of the vendor's own sales team; returns the accounts with open ones.

    One sits on an account a partner has just registered (its registrations are flagged), two
    more are open on accounts no partner holds, and two are closed."""
    rng = world.rng
    held = sorted(
        {d.registration.account_id for d in world.drafts if d.registration.status == Status.SUBMITTED}
    )
    flagged = rng.sample(held, min(1, len(held)))
    quiet = [a.pk for a in world.accounts if a.pk not in world.open_owner] or [
        a.pk for a in world.accounts if a.pk not in held
    ]
    open_ = flagged + rng.sample(quiet, min(content.VENDOR_OPEN_QUIET, len(quiet)))
    closed = rng.sample([a.pk for a in world.accounts if a.pk not in open_], content.VENDOR_CLOSED)
    by_pk = {a.pk: a for a in world.accounts}
    owners = [world.staff["manager"], world.staff["admin"]]
    opportunities = [
        VendorOpportunity(
            account=by_pk[pk],
            name=f"{by_pk[pk].name} – {rng.choice(world.products)} (direct)",
            external_id=f"006{rng.randint(10**11, 10**12 - 1)}",
            is_open=pk in open_,
            owner=rng.choice(owners),
        )
        for pk in open_ + closed
    ]
    VendorOpportunity.objects.bulk_create(opportunities)
    return set(open_)
