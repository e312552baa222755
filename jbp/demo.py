"""Demo joint business plans for ``manage.py seed_demo``.

Every active partner in a strategic-classification tier gets a signed, active plan for the
current fiscal year: revenue commitments and pipeline targets per quarter sized on last year's
revenue, other targets (win rate, deals won, certifications), investments of both sides (the
vendor's MDF commitment among them), co-marketing activities, two past quarterly reviews and
open action items. The demo portal partner (Northwind Systems) gets its plan shared and awaiting
its approval instead. Written through the services, so the audit trail and versions are real.
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
from partners.models import Partner
from prm.access import TenantAccess
from prm.models import Tenant, User
from prm.periods import FiscalPeriod, fiscal_quarter_of
from prm.permissions import Role

from . import services
from .models import Activity, Comment, Investment, Plan, Side, Target

PORTAL_PARTNER_DOMAIN = "northwindsystems.example"
ACTIVITIES = [
    ("Joint customer webinar", Activity.Type.WEBINAR),
    ("Regional roadshow", Activity.Type.EVENT),
    ("Industry campaign", Activity.Type.CAMPAIGN),
    ("Joint solution brief", Activity.Type.CONTENT),
    ("Sales enablement bootcamp", Activity.Type.TRAINING),
]


def _round(value: Decimal, step: int = 5000) -> Decimal:
    return (value / step).quantize(Decimal(1), ROUND_HALF_UP) * step


def seed(*, tenant: Tenant, staff: dict[str, User]) -> dict[str, Any]:
    today = timezone.localdate()
    start_month = tenant.fiscal_year_start_month
    quarter = fiscal_quarter_of(today, start_month)
    year = quarter.fiscal_year
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
    partners = [p for p in partners if not Plan.objects.filter(partner=p, fiscal_year=year).exists()]
    if not partners:
        return {}
    last_year = FiscalPeriod(start_month, year - 1)
    revenue = prm.metrics.get("revenue").compute(
        tenant=tenant, partner_ids=[p.pk for p in partners], period=last_year
    )
    manager = TenantAccess(tenant=tenant, role=Role.MANAGER, partner_id=None, user=staff["manager"])
    executive = TenantAccess(tenant=tenant, role=Role.EXECUTIVE, partner_id=None, user=staff["executive"])
    with transaction.atomic():
        for partner in partners:
            rng = random.Random(f"prm-jbp-demo-{tenant.slug}-{partner.domain}")  # noqa: S311 (demo data)
            base = max(Decimal(revenue.get(partner.pk) or 0) / 4, Decimal(60000))
            plan = _draft(manager, partner, year, base, rng, today)
            services.plan_share(access=manager, plan=plan)
            services.comment_add(
                access=manager,
                plan=plan,
                body="Draft for your review: the commitments follow last year's run rate plus the growth we discussed.",
            )
            if partner == portal:
                continue  # awaiting the partner's approval in the portal
            # The partner's side is approved by its executive sponsor, a person without a login
            # in the demo: recorded by name (the demo adds no users beyond the documented logins).
            partner_admin = TenantAccess(tenant=tenant, role=Role.PARTNER_ADMIN, partner_id=partner.pk)
            signatory = _partner_signatory(partner)
            comment = services.comment_add(
                access=partner_admin, plan=plan, body="Agreed. We add a second pre-sales engineer from Q2."
            )
            Comment.objects.filter(pk=comment.pk).update(author_label=signatory)
            services.plan_partner_approve(access=partner_admin, plan=plan)
            plan.partner_approved_by_name = signatory
            plan.save(update_fields=["partner_approved_by_name", "updated_at"])
            services.plan_sign_off(access=executive, plan=plan)
            _reviews(manager, plan, quarter, today, rng)
    return {}


def _partner_signatory(partner: Partner) -> str:
    contact = partner.partner_sponsor or partner.contacts.order_by("pk").first()
    return (
        f"{contact.name} ({contact.title})"
        if contact is not None and contact.title
        else (contact.name if contact else partner.name)
    )


def _draft(
    access: TenantAccess, partner: Partner, year: int, base: Decimal, rng: random.Random, today: date
) -> Plan:
    contacts = list(partner.contacts.filter(archived_at__isnull=True).order_by("pk"))
    plan = services.plan_create(
        access=access,
        partner=partner,
        fiscal_year=year,
        fields={
            "summary": f"{partner.name} and our team grow joint revenue in the mid-market and enterprise segments: "
            "co-sell on named accounts, two joint campaigns per half and a certified delivery bench.",
            "objectives": "Grow partner-sourced revenue by 15 % year over year\n"
            "Certify six more consultants on the platform\n"
            "Launch a packaged joint offering by Q3\n"
            "Co-sell on 20 named enterprise accounts",
            "partner_owner": contacts[0] if contacts else None,
            "next_review_on": today + timedelta(days=rng.randint(3, 40)),
        },
    )
    # The draft's content is written in bulk (the demo must seed fast); the workflow steps that
    # follow go through the services, so sign-offs, versions and the audit trail are the real ones.
    growth = [Decimal("0.95"), Decimal("1.05"), Decimal("1.10"), Decimal("1.25")]
    targets = []
    for q in range(1, 5):
        commitment = _round(base * growth[q - 1] * Decimal("1.15"))
        targets.append(
            Target(plan=plan, kind=Target.Kind.REVENUE, metric_key="revenue", quarter=q, value=commitment)
        )
        targets.append(
            Target(
                plan=plan,
                kind=Target.Kind.PIPELINE,
                metric_key="pipeline_sourced",
                quarter=q,
                value=commitment * 3,
            )
        )
    for key, value in (
        ("win_rate", Decimal("0.35")),
        ("deals_won_count", Decimal(rng.randint(8, 16))),
        ("active_certifications", Decimal(rng.randint(6, 10))),
    ):
        targets.append(Target(plan=plan, kind=Target.Kind.OTHER, metric_key=key, value=value))
    Target.objects.bulk_create(targets)
    mdf = _round(base * Decimal("0.12"), 1000)
    investments = [
        (Side.VENDOR, Investment.Kind.MDF, "Market development funds for joint campaigns", None, mdf, None),
        (Side.VENDOR, Investment.Kind.HEADCOUNT, "Dedicated partner sales manager", None, None, Decimal("1")),
        (
            Side.VENDOR,
            Investment.Kind.ENABLEMENT,
            "Two technical bootcamps and certification vouchers",
            2,
            Decimal(12000),
            None,
        ),
        (
            Side.VENDOR,
            Investment.Kind.CO_SELL,
            "Co-sell coverage on 20 named accounts",
            None,
            None,
            Decimal("20"),
        ),
        (Side.PARTNER, Investment.Kind.HEADCOUNT, "Certified pre-sales engineers", None, None, Decimal("2")),
        (
            Side.PARTNER,
            Investment.Kind.MARKETING,
            "Co-funded demand generation",
            None,
            _round(mdf / 2, 1000),
            None,
        ),
    ]
    Investment.objects.bulk_create(
        [
            Investment(
                plan=plan,
                side=side,
                kind=kind,
                description=description,
                quarter=quarter,
                amount=amount,
                quantity=quantity,
                delivered_amount=(amount * Decimal(rng.choice(["0.2", "0.35", "0.5"]))).quantize(
                    Decimal("0.01")
                )
                if amount
                else None,
            )
            for side, kind, description, quarter, amount, quantity in investments
        ]
    )
    owners = [
        (Side.PARTNER, contacts[-1].name if contacts else "Partner marketing"),
        (Side.VENDOR, str(access.user)),
    ]
    Activity.objects.bulk_create(
        [
            Activity(
                plan=plan,
                name=name,
                type=activity_type,
                quarter=index + 1,
                budget=Decimal(rng.choice([5000, 8000, 12000, 20000])),
                owner_side=owners[index % 2][0],
                owner_name=owners[index % 2][1],
                status=Activity.Status.DONE if index == 0 else Activity.Status.PLANNED,
            )
            for index, (name, activity_type) in enumerate(rng.sample(ACTIVITIES, 4))
        ]
    )
    return plan


def _reviews(
    access: TenantAccess, plan: Plan, quarter: FiscalPeriod, today: date, rng: random.Random
) -> None:
    """Two past quarterly reviews, each held early in a quarter about the quarter before it, with
    action items (the first review's first item done, the rest open)."""
    partner_owner = plan.partner_owner.name if plan.partner_owner else "Partner alliance lead"
    latest = quarter if quarter.start + timedelta(days=7) < today else quarter.previous()
    for index, held_in in enumerate((latest.previous(), latest)):
        held = min(held_in.start + timedelta(days=rng.randint(5, 12)), today - timedelta(days=1))
        reviewed = held_in.previous()
        q = (reviewed.quarter or 1) if reviewed.fiscal_year == plan.fiscal_year else 1
        review = services.review_record(
            access=access,
            plan=plan,
            fields={
                "quarter": q,
                "held_on": held,
                "vendor_attendees": f"{access.user}\n{plan.vendor_sponsor or 'Executive sponsor'}",
                "partner_attendees": f"{partner_owner}\n{plan.partner_sponsor.name if plan.partner_sponsor else 'Partner sponsor'}",
                "notes": "Pipeline coverage is healthy; conversion in the enterprise segment lags the plan.",
                "decisions": "Focus co-sell on the ten largest named accounts; move the roadshow budget to the industry campaign."
                if index
                else "Start the certification push; agree the named account list.",
            },
            action_items=[
                services.NewActionItem(
                    "Share the named account list with the vendor sales team",
                    Side.PARTNER,
                    partner_owner,
                    held + timedelta(days=21),
                ),
                services.NewActionItem(
                    "Book the technical bootcamp dates",
                    Side.VENDOR,
                    str(access.user),
                    held + timedelta(days=30),
                ),
            ],
        )
        if index == 0:
            first = review.action_items.order_by("pk").first()
            if first is not None:
                services.action_item_complete(access=access, item=first)
