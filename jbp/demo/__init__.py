"""Demo joint business plans for ``manage.py seed_demo``.

Every active partner in a strategic-classification tier gets a signed, active plan for the
current fiscal year: revenue commitments and pipeline targets per quarter sized on last year's
revenue, other targets (win rate, deals won, certifications), investments of both sides (the
vendor's MDF commitment among them), co-marketing activities, two past quarterly reviews and
open action items. The demo portal partner (Northwind Systems) gets its plan shared and awaiting
its approval instead. What a plan contains is data in ``content``; the functions here write it
through the services, so the audit trail and versions are real.
Idempotent: a partner with a plan for the year is left as it is.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

import prm.metrics
from partners.models import Contact, Partner
from prm.access import TenantAccess
from prm.models import Tenant, User
from prm.periods import FiscalPeriod, fiscal_quarter_of
from prm.permissions import Role

from .. import services
from ..models import Activity, Comment, Investment, Plan, Side, Target
from . import content
from .content import PORTAL_PARTNER_DOMAIN

__all__ = ["PORTAL_PARTNER_DOMAIN", "draft_plan", "record_reviews", "seed"]


def _round(value: Decimal, step: int = 5000) -> Decimal:
    return (value / step).quantize(Decimal(1), ROUND_HALF_UP) * step


def seed(*, tenant: Tenant, staff: dict[str, User]) -> dict[str, Any]:
    """Give every strategic partner (and the portal partner) a plan for this fiscal year unless it
    has one: signed and reviewed, or for the portal partner shared and awaiting its approval."""
    today = timezone.localdate()
    quarter = fiscal_quarter_of(today, tenant.fiscal_year_start_month)
    year = quarter.fiscal_year
    partners = _partners_without_plan(year)
    if not partners:
        return {}
    last_year = FiscalPeriod(tenant.fiscal_year_start_month, year - 1)
    revenue = prm.metrics.get("revenue").compute(
        tenant=tenant, partner_ids=[p.pk for p in partners], period=last_year
    )
    manager = TenantAccess(tenant=tenant, role=Role.MANAGER, partner_id=None, user=staff["manager"])
    executive = TenantAccess(tenant=tenant, role=Role.EXECUTIVE, partner_id=None, user=staff["executive"])
    with transaction.atomic():
        for partner in partners:
            rng = random.Random(f"prm-jbp-demo-{tenant.slug}-{partner.domain}")  # noqa: S311 (demo data)
            base = max(Decimal(revenue.get(partner.pk) or 0) / 4, content.MIN_QUARTERLY_BASE)
            plan = draft_plan(manager, partner, year, base, rng, today)
            services.plan_share(access=manager, plan=plan)
            services.comment_add(access=manager, plan=plan, body=content.SHARE_COMMENT)
            if partner.domain == PORTAL_PARTNER_DOMAIN:
                continue  # awaiting the partner's approval in the portal
            _approve_and_sign(plan, executive)
            record_reviews(manager, plan, quarter, today, rng)
    return {}


def _partners_without_plan(year: int) -> list[Partner]:
    """The active strategic partners and the portal partner that have no plan for ``year``."""
    partners = list(
        Partner.objects.filter(
            archived_at__isnull=True, tier__classification="strategic", status=Partner.Status.ACTIVE
        )
        .select_related("partner_manager", "vendor_sponsor", "partner_sponsor")
        .order_by("pk")
    )
    portal = Partner.objects.filter(domain=PORTAL_PARTNER_DOMAIN).first()
    if portal is not None and portal not in partners:
        partners.append(portal)
    return [p for p in partners if not Plan.objects.filter(partner=p, fiscal_year=year).exists()]


def _approve_and_sign(plan: Plan, executive: TenantAccess) -> None:
    """The partner agrees and approves, then the vendor's executive signs off.

    The partner's side is approved by its executive sponsor, a person without a login in the
    demo: recorded by name (the demo adds no users beyond the documented logins)."""
    partner = plan.partner
    partner_admin = TenantAccess(tenant=executive.tenant, role=Role.PARTNER_ADMIN, partner_id=partner.pk)
    signatory = _partner_signatory(partner)
    comment = services.comment_add(access=partner_admin, plan=plan, body=content.PARTNER_AGREES)
    Comment.objects.filter(pk=comment.pk).update(author_label=signatory)
    services.plan_partner_approve(access=partner_admin, plan=plan)
    plan.partner_approved_by_name = signatory
    plan.save(update_fields=["partner_approved_by_name", "updated_at"])
    services.plan_sign_off(access=executive, plan=plan)


def _partner_signatory(partner: Partner) -> str:
    contact = partner.partner_sponsor or partner.contacts.order_by("pk").first()
    return (
        f"{contact.name} ({contact.title})"
        if contact is not None and contact.title
        else (contact.name if contact else partner.name)
    )


def draft_plan(
    access: TenantAccess, partner: Partner, year: int, base: Decimal, rng: random.Random, today: date
) -> Plan:
    """A draft plan of ``partner`` for fiscal ``year`` with its targets, investments and activities,
    sized on the quarterly revenue ``base``."""
    contacts = list(partner.contacts.filter(archived_at__isnull=True).order_by("pk"))
    plan = services.plan_create(
        access=access,
        partner=partner,
        fiscal_year=year,
        fields={
            "summary": content.SUMMARY.format(partner=partner.name),
            "objectives": content.OBJECTIVES,
            "partner_owner": contacts[0] if contacts else None,
            "next_review_on": today + timedelta(days=rng.randint(*content.NEXT_REVIEW_IN_DAYS)),
        },
    )
    # The draft's content is written in bulk (the demo must seed fast); the workflow steps that
    # follow go through the services, so sign-offs, versions and the audit trail are the real ones.
    Target.objects.bulk_create(_targets(plan, base, rng))
    Investment.objects.bulk_create(_investments(plan, _round(base * content.MDF_SHARE, 1000), rng))
    Activity.objects.bulk_create(_activities(plan, contacts, str(access.user), rng))
    return plan


def _targets(plan: Plan, base: Decimal, rng: random.Random) -> list[Target]:
    targets = []
    for q, growth in enumerate(content.QUARTER_GROWTH, start=1):
        commitment = _round(base * growth * content.COMMITMENT_UPLIFT)
        targets += [
            Target(plan=plan, kind=Target.Kind.REVENUE, metric_key="revenue", quarter=q, value=commitment),
            Target(
                plan=plan,
                kind=Target.Kind.PIPELINE,
                metric_key="pipeline_sourced",
                quarter=q,
                value=commitment * content.PIPELINE_COVERAGE,
            ),
        ]
    for key, value in content.OTHER_TARGETS:
        drawn = value if isinstance(value, Decimal) else Decimal(rng.randint(*value))
        targets.append(Target(plan=plan, kind=Target.Kind.OTHER, metric_key=key, value=drawn))
    return targets


def _investments(plan: Plan, mdf: Decimal, rng: random.Random) -> list[Investment]:
    investments = []
    for spec in content.INVESTMENTS:
        amount = spec.amount if spec.mdf_share is None else _round(mdf * spec.mdf_share, 1000)
        delivered = (
            (amount * Decimal(rng.choice(content.DELIVERED_SHARES))).quantize(Decimal("0.01"))
            if amount
            else None
        )
        investments.append(
            Investment(
                plan=plan,
                side=spec.side,
                kind=spec.kind,
                description=spec.description,
                quarter=spec.quarter,
                amount=amount,
                quantity=spec.quantity,
                delivered_amount=delivered,
            )
        )
    return investments


def _activities(plan: Plan, contacts: list[Contact], vendor_owner: str, rng: random.Random) -> list[Activity]:
    owners = [
        (Side.PARTNER, contacts[-1].name if contacts else content.PARTNER_ACTIVITY_OWNER),
        (Side.VENDOR, vendor_owner),
    ]
    return [
        Activity(
            plan=plan,
            name=name,
            type=activity_type,
            quarter=index + 1,
            budget=Decimal(rng.choice(content.ACTIVITY_BUDGETS)),
            owner_side=owners[index % 2][0],
            owner_name=owners[index % 2][1],
            status=Activity.Status.DONE if index == 0 else Activity.Status.PLANNED,
        )
        for index, (name, activity_type) in enumerate(rng.sample(content.ACTIVITIES, content.ACTIVITY_COUNT))
    ]


def record_reviews(
    access: TenantAccess, plan: Plan, quarter: FiscalPeriod, today: date, rng: random.Random
) -> None:
    """Two past quarterly reviews, each held early in a quarter about the quarter before it, with
    action items (the first review's first item done, the rest open)."""
    partner_owner = plan.partner_owner.name if plan.partner_owner else content.PARTNER_OWNER
    partner_sponsor = plan.partner_sponsor.name if plan.partner_sponsor else content.PARTNER_SPONSOR
    owners: dict[str, str] = {Side.PARTNER: partner_owner, Side.VENDOR: str(access.user)}
    latest = quarter if quarter.start + timedelta(days=7) < today else quarter.previous()
    for index, held_in in enumerate((latest.previous(), latest)):
        held = min(
            held_in.start + timedelta(days=rng.randint(*content.REVIEW_HELD_DAY)), today - timedelta(days=1)
        )
        reviewed = held_in.previous()
        q = (reviewed.quarter or 1) if reviewed.fiscal_year == plan.fiscal_year else 1
        review = services.review_record(
            access=access,
            plan=plan,
            fields={
                "quarter": q,
                "held_on": held,
                "vendor_attendees": f"{access.user}\n{plan.vendor_sponsor or content.VENDOR_SPONSOR}",
                "partner_attendees": f"{partner_owner}\n{partner_sponsor}",
                "notes": content.REVIEW_NOTES,
                "decisions": content.REVIEW_DECISIONS[index],
            },
            action_items=[
                services.NewActionItem(title, side, owners[side], held + timedelta(days=due_in))
                for title, side, due_in in content.ACTION_ITEMS
            ],
        )
        if index == 0:
            first = review.action_items.order_by("pk").first()
            if first is not None:
                services.action_item_complete(access=access, item=first)
