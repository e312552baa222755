"""Demo partners for ``manage.py seed_demo``: about sixty per tenant, with a realistic mix.

A few strategic partners, many tactical ones, prospects and leavers; types, motions and
coverage that fit each partner's profile; contacts; certifications with some expired and some
expiring soon. Deterministic per tenant and idempotent: partners are matched on their domain,
and a partner that exists already is left as it is.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from prm.models import Tenant, User

from .models import Certification, Contact, Partner, PartnerAttribute, PartnerStatusChange
from .services import tier_ensure_defaults
from .vocab import AgreementType, CompanySize, ContactRole, Motion, PartnerType, Region, Segment, Vertical

# Profiles: partner type → the motions such partners usually run.
PROFILES: dict[str, list[str]] = {
    PartnerType.SYSTEM_INTEGRATOR: [Motion.IMPLEMENT, Motion.CO_SELL, Motion.INFLUENCE],
    PartnerType.RESELLER: [Motion.CO_SELL, Motion.CO_MARKET],
    PartnerType.ISV: [Motion.INTEGRATE, Motion.CO_MARKET, Motion.CO_SELL],
    PartnerType.MSP: [Motion.IMPLEMENT, Motion.CO_SELL],
    PartnerType.REFERRAL: [Motion.INFLUENCE],
    PartnerType.ADVISOR: [Motion.INFLUENCE, Motion.CO_MARKET],
}

FIRST = [
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Wide World",
    "Litware",
    "Proseware",
    "Adatum",
    "Woodgrove",
    "Lucerne",
    "Alpine",
    "Baltic",
    "Iberia",
    "Rhein",
    "Nordic",
    "Danube",
    "Loire",
    "Coho",
    "Trey",
    "Blue Yonder",
    "Fourth Coffee",
    "Humongous",
    "Margie's",
    "Relecloud",
    "Southridge",
    "VanArsdel",
    "Wingtip",
    "Graphic Design",
    "Bellows",
    "Cascade",
    "Aurora",
    "Beacon",
    "Cobalt",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbor",
    "Ivory",
    "Juniper",
    "Keystone",
    "Lighthouse",
    "Meridian",
    "Nimbus",
    "Orchid",
    "Pinnacle",
    "Quarry",
    "Redwood",
    "Summit",
    "Tidewater",
    "Umber",
    "Vertex",
    "Willow",
    "Xenon",
    "Yellowfin",
    "Zephyr",
    "Atlas",
    "Bramble",
    "Crescent",
    "Dune",
]
SECOND: dict[str, list[str]] = {
    PartnerType.SYSTEM_INTEGRATOR: ["Consulting", "Integrators", "Digital", "Solutions"],
    PartnerType.RESELLER: ["Resellers", "Distribution", "Supply", "Direct"],
    PartnerType.ISV: ["Labs", "Software", "Analytics", "Apps"],
    PartnerType.MSP: ["Managed Services", "Cloud Ops", "IT Services", "Hosting"],
    PartnerType.REFERRAL: ["Ventures", "Network", "Partners", "Connect"],
    PartnerType.ADVISOR: ["Advisors", "Research", "Strategy", "Insights"],
}
PEOPLE = [
    "Alex Morgan",
    "Jamie Chen",
    "Priya Nair",
    "Lukas Becker",
    "Sofia Rossi",
    "Mateo Garcia",
    "Emma Larsen",
    "Noah Williams",
    "Aiko Tanaka",
    "Omar Haddad",
    "Chloe Martin",
    "Ravi Patel",
    "Ingrid Olsen",
    "Diego Alvarez",
    "Hannah Schulz",
    "Liam O'Brien",
    "Zara Ahmed",
    "Mia Kowalski",
    "Ethan Brooks",
    "Lea Dubois",
]
CERTIFICATIONS = {
    "acme": [
        ("Acme Cloud Architect", "Professional"),
        ("Acme Security Specialist", "Expert"),
        ("Acme Sales Foundations", "Foundation"),
        ("Acme Data Platform Engineer", "Associate"),
    ],
    "globex": [
        ("Globex Automation Installer", "Certified"),
        ("Globex Field Service", "Advanced"),
        ("Globex Controls Programmer", "Expert"),
        ("Globex Safety Compliance", "Foundation"),
    ],
}
COUNTRIES = {
    "acme": ["US", "US", "US", "CA", "GB", "DE", "FR", "NL", "SE", "AU", "JP", "IN", "SG", "BR"],
    "globex": ["DE", "DE", "AT", "CH", "FR", "IT", "ES", "PL", "NL", "SE", "DK", "CZ", "PT", "BE"],
}
STATUS_REASONS: dict[str, str] = {
    Partner.Status.ONBOARDING: "Signed the program agreement; onboarding plan started.",
    Partner.Status.ACTIVE: "Completed onboarding: first certified staff and first registered deal.",
    Partner.Status.SUSPENDED: "No pipeline for three quarters; paused pending a recovery plan.",
    Partner.Status.EXITED: "Partner chose to focus on another vendor; agreement ended.",
}
PATHS: dict[str, list[str]] = {
    Partner.Status.PROSPECT: [],
    Partner.Status.ONBOARDING: [Partner.Status.ONBOARDING],
    Partner.Status.ACTIVE: [Partner.Status.ONBOARDING, Partner.Status.ACTIVE],
    Partner.Status.SUSPENDED: [Partner.Status.ONBOARDING, Partner.Status.ACTIVE, Partner.Status.SUSPENDED],
    Partner.Status.EXITED: [Partner.Status.ONBOARDING, Partner.Status.ACTIVE, Partner.Status.EXITED],
}


def _plan(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """The portfolio: a few strategic, many tactical, some prospects and leavers."""
    plan = []
    for i in range(count):
        if i < 8:
            status, tier = Partner.Status.ACTIVE, "Strategic"
        elif i < 18:
            status, tier = Partner.Status.ACTIVE, "Gold"
        elif i < 32:
            status, tier = Partner.Status.ACTIVE, "Silver"
        elif i < 44:
            status, tier = rng.choice([Partner.Status.ACTIVE] * 3 + [Partner.Status.ONBOARDING]), "Registered"
        elif i < 50:
            status, tier = Partner.Status.PROSPECT, None
        elif i < 54:
            status, tier = Partner.Status.ONBOARDING, None
        elif i < 57:
            status, tier = Partner.Status.SUSPENDED, "Registered"
        else:
            status, tier = Partner.Status.EXITED, None
        plan.append({"status": status, "tier": tier})
    return plan


def seed(*, tenant: Tenant, staff: dict[str, User], count: int = 60) -> dict[str, Partner]:
    """Create the tenant's demo partners; returns the partner demo portal users belong to."""
    rng = random.Random(f"prm-demo-{tenant.slug}")  # noqa: S311 (demo data, not security)
    tiers = {t.name: t for t in tier_ensure_defaults()}
    today = timezone.localdate()
    managers = [staff["manager"], staff["admin"]]
    # Names and plan first, from one generator: the same list on every run (idempotent).
    plan = _plan(rng, count)
    types = _types(rng, count)
    names = [f"{FIRST[i % len(FIRST)]} {rng.choice(SECOND[ptype])}" for i, ptype in enumerate(types)]
    names[6], types[6] = "Northwind Systems", PartnerType.SYSTEM_INTEGRATOR  # the demo portal users' company
    for spec, name, ptype in zip(plan, names, types, strict=True):
        domain = name.lower().replace("'", "").replace(" ", "") + ".example"
        legacy = Partner.objects.filter(name=name, domain="").first()  # from an older demo seed
        if legacy is not None:
            legacy.domain = domain
            legacy.save(update_fields=["domain"])
        elif not Partner.objects.filter(domain=domain).exists():
            details = random.Random(domain)  # noqa: S311 (demo data)
            _create_partner(details, tenant, name, domain, ptype, spec, tiers, managers, staff, today)
    return {"portal_partner": Partner.objects.get(domain="northwindsystems.example")}


def _types(rng: random.Random, count: int) -> list[str]:
    weights = [
        (PartnerType.SYSTEM_INTEGRATOR, 5),
        (PartnerType.RESELLER, 5),
        (PartnerType.ISV, 3),
        (PartnerType.MSP, 3),
        (PartnerType.REFERRAL, 2),
        (PartnerType.ADVISOR, 2),
    ]
    pool = [t for t, w in weights for _ in range(w)]
    return [rng.choice(pool) for _ in range(count)]


def _create_partner(rng, tenant, name, domain, ptype, spec, tiers, managers, staff, today) -> Partner:
    strategic = spec["tier"] == "Strategic"
    joined = today - timedelta(days=rng.randint(90, 2200))
    agreement_start = max(joined, today - timedelta(days=rng.randint(60, 900)))
    partner = Partner.objects.create(
        name=name,
        legal_name=f"{name} {rng.choice(['Inc.', 'GmbH', 'Ltd', 'LLC', 'S.A.', 'AB'])}",
        website=f"https://www.{domain}",
        domain=domain,
        country=rng.choice(COUNTRIES.get(tenant.slug, COUNTRIES["acme"])),
        company_size=rng.choice(
            [CompanySize.LARGE, CompanySize.XLARGE]
            if strategic
            else [CompanySize.SMALL, CompanySize.MEDIUM, CompanySize.LARGE]
        ),
        description=f"{name} is a {PartnerType(ptype).label.lower()} serving "
        f"{rng.choice(['regional', 'national', 'global'])} customers.",
        status=spec["status"],
        status_changed_at=timezone.now() - timedelta(days=rng.randint(5, 300)),
        join_date=joined if spec["status"] not in (Partner.Status.PROSPECT,) else None,
        tier=tiers.get(spec["tier"]) if spec["tier"] else None,
        partner_manager=rng.choice(managers) if spec["status"] != Partner.Status.PROSPECT else None,
        vendor_sponsor=staff["executive"] if strategic else None,
        agreement_type=AgreementType.CUSTOM if strategic else AgreementType.STANDARD,
        # Strategic partners sit on a current custom agreement (three years, renewed).
        agreement_start=agreement_start if strategic else None,
        agreement_end=agreement_start + timedelta(days=3 * 365) if strategic else None,
    )
    _attributes(rng, partner, ptype, strategic)
    contacts = _contacts(rng, partner, domain, strategic)
    if strategic:
        partner.partner_sponsor = contacts[-1]
        partner.save(update_fields=["partner_sponsor"])
    _certifications(rng, tenant, partner, contacts, today, strategic)
    # The history at plausible dates: from joining up to the current status's date.
    steps = PATHS[spec["status"]]
    start, end = timezone.now() - (today - joined), partner.status_changed_at
    for index, step in enumerate(steps, start=1):
        change = PartnerStatusChange.objects.create(
            partner=partner,
            from_status=_previous(step, spec["status"]),
            to_status=step,
            reason=STATUS_REASONS[step],
            changed_by=rng.choice(managers),
        )
        when = end if index == len(steps) else start + (end - start) * index / len(steps)
        PartnerStatusChange.objects.filter(pk=change.pk).update(created_at=when)
    return partner


def _previous(step: str, final: str) -> str:
    path: list[str] = [Partner.Status.PROSPECT, *PATHS[final]]
    return path[path.index(step) - 1]


def _attributes(rng: random.Random, partner: Partner, ptype: str, strategic: bool) -> None:
    motions = PROFILES[ptype][: rng.randint(1, len(PROFILES[ptype]))] if not strategic else PROFILES[ptype]
    values: dict[str, set[str]] = {
        PartnerAttribute.Kind.TYPE: {ptype}
        | ({PartnerType.RESELLER} if strategic and rng.random() < 0.5 else set()),
        PartnerAttribute.Kind.MOTION: set(motions),
        PartnerAttribute.Kind.REGION: set(
            rng.sample(list(Region.values), rng.randint(1, 4 if strategic else 2))
        ),
        PartnerAttribute.Kind.VERTICAL: set(rng.sample(list(Vertical.values), rng.randint(1, 3))),
        PartnerAttribute.Kind.SEGMENT: set(
            rng.sample(list(Segment.values), rng.randint(1, 3 if strategic else 2))
        ),
    }
    PartnerAttribute.objects.bulk_create(
        [
            PartnerAttribute(partner=partner, kind=kind, value=v)
            for kind, vals in values.items()
            for v in sorted(vals)
        ]
    )


def _contacts(rng: random.Random, partner: Partner, domain: str, strategic: bool) -> list[Contact]:
    roles = [ContactRole.PRIMARY, ContactRole.SALES, ContactRole.TECHNICAL, ContactRole.MARKETING]
    count = 4 if strategic else rng.randint(1, 3)
    people = rng.sample(PEOPLE, count + (1 if strategic else 0))
    contacts = []
    for person, role in zip(people, roles[:count], strict=False):
        contacts.append(_contact(partner, person, domain, role, rng))
    if strategic:
        contacts.append(
            _contact(
                partner,
                people[-1],
                domain,
                ContactRole.EXECUTIVE_SPONSOR,
                rng,
                title="Chief Executive Officer",
            )
        )
    return contacts


def _contact(partner, person, domain, role, rng, title=None) -> Contact:
    titles = {
        ContactRole.PRIMARY: "Alliance Manager",
        ContactRole.SALES: "Sales Director",
        ContactRole.TECHNICAL: "Solutions Architect",
        ContactRole.MARKETING: "Marketing Manager",
        ContactRole.EXECUTIVE_SPONSOR: "Managing Director",
    }
    local = person.lower().replace("'", "").replace(" ", ".")
    return Contact.objects.create(
        partner=partner,
        name=person,
        email=f"{local}@{domain}",
        role=role,
        title=title or titles[role],
        phone=f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
    )


def _certifications(rng, tenant, partner, contacts, today, strategic) -> None:
    catalog = CERTIFICATIONS.get(tenant.slug, CERTIFICATIONS["acme"])
    count = rng.randint(4, 7) if strategic else rng.choice([0, 0, 1, 1, 2, 3])
    for _ in range(count):
        name, level = rng.choice(catalog)
        earned = today - timedelta(days=rng.randint(30, 900))
        lifetime = rng.choice([365, 730, 730, 1095])
        person = rng.random() < 0.7 and contacts
        Certification.objects.create(
            partner=partner,
            name=name,
            level=level,
            holder=Certification.Holder.PERSON if person else Certification.Holder.COMPANY,
            contact=rng.choice(contacts) if person else None,
            earned_on=earned,
            expires_on=earned + timedelta(days=lifetime),
        )
