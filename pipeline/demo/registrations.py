"""Drafting the demo's deal registrations: which status and variant, on which account, submitted
when, and the decision and close that follow, keeping the invariants the services keep (status
history consistent with the status, protection dates, reporting-currency amounts)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from prm.models import User
from prm.money import to_reporting

from ..models import Account, DealRegistration
from ..services.common import protection_term
from . import content
from .world import Draft, PartnerProfile, World, days_ago, deal_amount, hours_after

Status = DealRegistration.Status
Role = DealRegistration.Role
Stage = DealRegistration.Stage


def draw_status(world: World, profile: PartnerProfile) -> str:
    """A status in the demo's proportions; decided deals are won at the partner's win rate."""
    status = world.rng.choices(content.STATUS_CHOICES, weights=content.STATUS_WEIGHTS[profile.strategic])[0]
    if status == "decided":
        return Status.WON if world.rng.random() < profile.win_rate else Status.LOST
    return status


def draft_portal_partner(world: World, portal: PartnerProfile) -> None:
    """The demo portal partner's registrations: one of every status and variant it should show."""
    for status, variant in content.PORTAL_DRAFTS:
        draft(world, portal, status, variant)


def draft(
    world: World,
    profile: PartnerProfile,
    status: str,
    variant: str = "",
    *,
    account: Account | None = None,
    submitted_at: datetime | None = None,
) -> Draft:
    """Draft one registration of ``profile`` (status, variant, account and moment drawn when not
    given) with its decision and close, and add it to the world's drafts."""
    if not variant:
        variant = _draw_variant(world, status)
    open_ = status == Status.SUBMITTED or variant in content.OPEN_VARIANTS
    if account is None:
        account = _account_for(world, profile, open_)
        if account is None:  # every account is held by another partner's open registration
            status, variant, open_ = Status.LOST, "", False
            account = world.rng.choice(profile.territory)
    if open_:
        world.open_owner.setdefault(account.pk, profile.partner.pk)
    if submitted_at is None:
        submitted_at = _submitted_at(
            world, status, variant, protection_term(world.tenant, profile.partner)[0]
        )
    registration = _registration(world, profile, account, status, submitted_at)
    new = Draft(registration, [("", Status.SUBMITTED, submitted_at, registration.submitted_by, "")])
    if status == Status.SUBMITTED:
        if variant == "stale":  # waited long enough to have been escalated already
            sla = timedelta(hours=world.rules["sla_hours"])
            registration.sla_escalated_at = submitted_at + sla + timedelta(minutes=world.rng.randint(5, 55))
    else:
        _decide(world, new, profile, status, variant)
    world.drafts.append(new)
    return new


def _draw_variant(world: World, status: str) -> str:
    # Both variants are drawn whatever the status, so the dice stay in step with earlier demos.
    submitted = world.rng.choices(*content.SUBMITTED_VARIANTS)[0]
    approved = world.rng.choices(*content.APPROVED_VARIANTS)[0]
    return {str(Status.SUBMITTED): submitted, str(Status.APPROVED): approved}.get(status, "")


def _account_for(world: World, profile: PartnerProfile, open_: bool) -> Account | None:
    if not open_:
        return world.rng.choice(profile.territory)
    pid = profile.partner.pk
    for pool in (profile.territory, world.accounts):
        free = [a for a in pool if world.open_owner.get(a.pk, pid) == pid]
        if free:
            return world.rng.choice(free)
    return None


def _submitted_at(world: World, status: str, variant: str, protection_days: int) -> datetime:
    """When a registration of this status and variant was submitted; windows that depend on the
    protection period use the partner's term (its tier's days, or the program default)."""
    rng, now = world.rng, world.now
    sla = timedelta(hours=world.rules["sla_hours"])
    if variant == "fresh":
        return now - timedelta(hours=rng.uniform(0.5, sla.total_seconds() / 3600 - 6))
    if variant == "overdue":
        return now - sla - timedelta(hours=rng.uniform(2, 200))
    if variant == "stale":
        return now - timedelta(days=rng.uniform(12, 30))
    if variant in content.APPROVED_SUBMITTED:
        low, high = content.APPROVED_SUBMITTED[variant]
        return days_ago(world, low.resolve(protection_days), high.resolve(protection_days))
    low = content.DECIDED_SUBMITTED_FROM.get(status, content.DECIDED_SUBMITTED_FROM_DEFAULT)
    return days_ago(world, low.resolve(protection_days), world.window_days)


def _registration(
    world: World, profile: PartnerProfile, account: Account, status: str, submitted_at: datetime
) -> DealRegistration:
    rng = world.rng
    amount = deal_amount(world, profile)
    role = Role.SOURCED if rng.random() < profile.sourced_share else Role.INFLUENCED
    product = rng.choice(world.products)
    person = rng.choice(content.PEOPLE)
    on_behalf = profile.submitter is None and rng.random() < content.ON_BEHALF_SHARE
    # The address as the app would accept it: Django's e-mail validator takes ASCII local parts only.
    ascii_person = unicodedata.normalize("NFKD", person).encode("ascii", "ignore").decode()
    first, last = ascii_person.split()[0].lower(), ascii_person.split()[-1].lower()
    return DealRegistration(
        partner=profile.partner,
        account=account,
        opportunity_name=f"{account.name.split(' ')[0]} {product.split(' ', 1)[-1]} {rng.choice(content.PROJECTS)}",
        products=product,
        amount=amount,
        currency=profile.currency,
        amount_reporting=to_reporting(amount, profile.currency, tenant=world.tenant),
        expected_close_date=(submitted_at + timedelta(days=rng.randint(30, 150))).date(),
        stage=rng.choices(list(Stage.values), weights=[4, 4, 3, 2, 1])[0],
        customer_contact_name=person,
        customer_contact_email=f"{first}.{last}@{account.domain}",
        partner_role=role,
        notes=content.ON_BEHALF_NOTE if on_behalf else "",
        status=status,
        submitted_at=submitted_at,
        submitted_by=world.staff["manager"] if on_behalf else profile.submitter,
    )


def _decide(world: World, draft: Draft, profile: PartnerProfile, status: str, variant: str) -> None:
    rng, registration = world.rng, draft.registration
    manager = profile.partner.partner_manager or world.staff["manager"]
    decided_at = hours_after(world, registration.submitted_at, 3, 80)
    registration.decided_at, registration.decided_by = decided_at, manager
    if status == Status.REJECTED:
        registration.decision_reason = rng.choice(content.REJECTIONS)
        draft.moves.append(
            (Status.SUBMITTED, Status.REJECTED, decided_at, manager, registration.decision_reason)
        )
        return
    draft.moves.append((Status.SUBMITTED, Status.APPROVED, decided_at, manager, ""))
    days, source = protection_term(world.tenant, profile.partner)
    registration.protection_days, registration.protection_source = days, source
    protected_until = decided_at.date() + timedelta(days=days)
    if variant == "extended":
        registration.extensions = 1
        protected_until += timedelta(days=world.rules["extension_days"])
    registration.protected_until = protected_until
    if variant == "extension_requested":
        registration.extension_requested_at = world.now - timedelta(hours=rng.uniform(6, 70))
        registration.extension_reason = content.EXTENSION_REASON
    if status in (Status.APPROVED, Status.WON) and rng.random() < content.SALES_REP_SHARE:
        registration.sales_rep = rng.choice(
            [world.staff["manager"], world.staff["admin"], world.staff["executive"]]
        )
    if status == Status.EXPIRED:
        expired_at = timezone.make_aware(datetime.combine(protected_until + timedelta(days=1), time(0, 17)))
        draft.moves.append((Status.APPROVED, Status.EXPIRED, expired_at, None, content.EXPIRY_REASON))
    elif status in DealRegistration.DECIDED:
        _close(world, draft, status, manager, decided_at, protected_until)


def _close(
    world: World, draft: Draft, status: str, manager: User, decided_at: datetime, protected_until: date
) -> None:
    """Won or lost: closed on a day after the decision and within the protection, at an amount
    near the registered one when won."""
    rng, registration = world.rng, draft.registration
    last = min(world.today - timedelta(days=1), protected_until)
    first = min(decided_at.date() + timedelta(days=1), last)
    closed_on = first + timedelta(days=rng.randint(0, max(0, min((last - first).days, 85))))
    registration.closed_on = closed_on
    registration.expected_close_date = closed_on + timedelta(days=rng.randint(-20, 20))
    if status == Status.WON:
        registration.stage = rng.choice([Stage.NEGOTIATION, Stage.COMMIT])
        won_for = round(float(registration.amount) * rng.uniform(0.8, 1.15) / 10) * 10
        registration.closed_amount = Decimal(won_for).quantize(Decimal("0.01"))
        registration.closed_amount_reporting = to_reporting(
            registration.closed_amount, registration.currency, tenant=world.tenant
        )
    closed_at = timezone.make_aware(datetime.combine(closed_on, time(16, rng.randint(0, 59))))
    draft.moves.append(
        (Status.APPROVED, status, min(closed_at, world.now - timedelta(minutes=1)), manager, "")
    )
