"""Everything that can happen to a partner record, one function per use case.

Each runs in one transaction, checks the caller's role, validates with ``full_clean`` (errors
name the field) and records an audit event with the state before and after. Nothing is
deleted: partners, contacts and certifications are archived and can be restored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from prm import actors, audit
from prm.access import TenantAccess
from prm.domains import normalize_domain
from prm.models import Membership
from prm.permissions import STAFF_ROLES, Perm

from . import signals
from .models import Certification, Contact, Partner, PartnerAttribute, PartnerNote, PartnerStatusChange, Tier

# Form/API field name → attribute kind. The same names are used everywhere (forms, API, CSV).
ATTRIBUTE_FIELDS: dict[str, str] = {
    "partner_types": PartnerAttribute.Kind.TYPE,
    "motions": PartnerAttribute.Kind.MOTION,
    "regions": PartnerAttribute.Kind.REGION,
    "verticals": PartnerAttribute.Kind.VERTICAL,
    "segments": PartnerAttribute.Kind.SEGMENT,
}

# What staff may set on a partner (status moves through partner_change_status only).
STAFF_FIELDS = frozenset(
    {
        "name",
        "legal_name",
        "website",
        "domain",
        "country",
        "company_size",
        "description",
        "logo",
        "join_date",
        "tier",
        "partner_manager",
        "vendor_sponsor",
        "partner_sponsor",
        "agreement_type",
        "agreement_start",
        "agreement_end",
    }
)
# What a partner admin may change about its own company in the portal. Name and domain identify
# the partner (matching of contacts, imports and deals); program fields are the vendor's call.
PORTAL_FIELDS = frozenset({"legal_name", "website", "country", "company_size", "description", "logo"})
PORTAL_ATTRIBUTES = frozenset({"regions", "verticals", "segments"})

AUDITED_FIELDS = [
    "name",
    "legal_name",
    "website",
    "domain",
    "country",
    "company_size",
    "description",
    "logo",
    "status",
    "join_date",
    "tier_id",
    "partner_manager_id",
    "vendor_sponsor_id",
    "partner_sponsor_id",
    "agreement_type",
    "agreement_start",
    "agreement_end",
]
CONTACT_FIELDS = ["name", "email", "phone", "title", "role", "user_id"]
CERTIFICATION_FIELDS = ["name", "level", "holder", "contact_id", "earned_on", "expires_on"]


# --- permission helpers ------------------------------------------------------------------------


def _require_staff_write(access: TenantAccess) -> None:
    if not access.can(Perm.MANAGE_PARTNERS):
        raise PermissionDenied(f"Your role ({access.role_label}) may not change partners.")


def _require_write_on(access: TenantAccess, partner: Partner) -> None:
    """Staff who manage partners, or the partner's own admin in the portal."""
    if access.can(Perm.MANAGE_PARTNERS):
        return
    if access.can(Perm.EDIT_OWN_PARTNER) and access.partner_id == partner.pk:
        return
    raise PermissionDenied("You may not change this partner.")


def _refuse_archived(partner: Partner) -> None:
    if partner.is_archived:
        raise ValidationError("This partner is archived. Restore it before changing it.")


# --- partners ----------------------------------------------------------------------------------


def _attribute_snapshot(partner: Partner) -> dict[str, list[str]]:
    return {name: partner.values_of(kind) for name, kind in ATTRIBUTE_FIELDS.items()}


def _validate_attributes(attributes: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    cleaned: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for name, values in attributes.items():
        if name not in ATTRIBUTE_FIELDS:
            raise ValidationError({name: "Unknown partner attribute."})
        allowed = PartnerAttribute.VOCABULARIES[ATTRIBUTE_FIELDS[name]].values
        values = sorted({str(v).strip() for v in values if str(v).strip()})
        unknown = [v for v in values if v not in allowed]
        if unknown:
            errors[name] = f"Unknown value(s): {', '.join(unknown)}. Choose from: {', '.join(allowed)}."
        cleaned[name] = values
    if errors:
        raise ValidationError(errors)
    return cleaned


def _write_attributes(partner: Partner, attributes: dict[str, list[str]]) -> None:
    """Make the partner's attribute rows match ``attributes`` for the kinds named in it."""
    current = {(a.kind, a.value): a.pk for a in PartnerAttribute.objects.filter(partner=partner)}
    wanted = {(ATTRIBUTE_FIELDS[name], value) for name, values in attributes.items() for value in values}
    touched_kinds = {ATTRIBUTE_FIELDS[name] for name in attributes}
    stale = [
        pk for (kind, value), pk in current.items() if kind in touched_kinds and (kind, value) not in wanted
    ]
    if stale:
        PartnerAttribute.objects.filter(pk__in=stale).delete()
    PartnerAttribute.objects.bulk_create(
        [
            PartnerAttribute(partner=partner, kind=kind, value=value)
            for kind, value in wanted
            if (kind, value) not in current
        ]
    )
    if hasattr(partner, "_prefetched_objects_cache"):
        partner._prefetched_objects_cache.pop("attributes", None)


def _check_people(partner: Partner) -> None:
    """Manager and vendor sponsor are active staff members; the partner sponsor is its contact."""
    staff_ids = set(
        Membership.objects.filter(
            tenant_id=partner.tenant_id, is_active=True, role__in=sorted(STAFF_ROLES)
        ).values_list("user_id", flat=True)
    )
    errors = {}
    if partner.partner_manager_id is not None and partner.partner_manager_id not in staff_ids:
        errors["partner_manager"] = "Choose an active staff member of this program."
    if partner.vendor_sponsor_id is not None and partner.vendor_sponsor_id not in staff_ids:
        errors["vendor_sponsor"] = "Choose an active staff member of this program."
    if errors:
        raise ValidationError(errors)


def _check_domain_free(partner: Partner) -> None:
    if not partner.domain:
        return
    other = (
        Partner.objects.filter(domain=partner.domain)
        .exclude(pk=partner.pk)
        .only("name", "archived_at")
        .first()
    )
    if other is None:
        return
    if other.is_archived:
        raise ValidationError(
            {"domain": f"{other.name} (archived) uses the domain {partner.domain}: restore it instead."}
        )
    raise ValidationError({"domain": f"{other.name} already uses the domain {partner.domain}."})


def _save_validated(partner: Partner) -> None:
    partner.assign_tenant()
    # Normalise before full_clean: its field validators run before Partner.clean() would.
    partner.domain = normalize_domain(partner.domain)
    partner.full_clean(validate_constraints=False)  # the domain rule gets a clearer message below
    _check_domain_free(partner)
    _check_people(partner)
    partner.save()


def _apply_fields(partner: Partner, fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    for name, value in fields.items():
        setattr(partner, name, value)


@transaction.atomic
def partner_create(
    *,
    access: TenantAccess,
    fields: Mapping[str, Any],
    attributes: Mapping[str, Iterable[str]] | None = None,
    status: str = Partner.Status.PROSPECT,
) -> Partner:
    """Add a partner to the program (a prospect unless another starting status is given)."""
    _require_staff_write(access)
    cleaned = _validate_attributes(attributes or {})
    partner = Partner(status=status)
    _apply_fields(partner, fields, STAFF_FIELDS)
    if status == Partner.Status.ACTIVE and partner.join_date is None:
        partner.join_date = timezone.localdate()
    _save_validated(partner)
    _write_attributes(partner, cleaned)
    audit.record(
        access=access,
        verb="partner.created",
        target=partner,
        after={**audit.snapshot(partner, AUDITED_FIELDS), **cleaned},
        partner_id=partner.pk,
    )
    return partner


def _update(
    *,
    access: TenantAccess,
    partner: Partner,
    fields: Mapping[str, Any],
    attributes: Mapping[str, Iterable[str]] | None,
    allowed_fields: frozenset[str],
    allowed_attributes: frozenset[str],
) -> Partner:
    _refuse_archived(partner)
    attributes = attributes or {}
    refused = set(attributes) - allowed_attributes
    if refused:
        raise ValidationError(dict.fromkeys(sorted(refused), "This field cannot be changed here."))
    cleaned = _validate_attributes(attributes)
    before = {**audit.snapshot(partner, AUDITED_FIELDS), **_attribute_snapshot(partner)}
    _apply_fields(partner, fields, allowed_fields)
    _save_validated(partner)
    signals.tier_was_set(partner, before["tier_id"], access.user, "Tier set on the partner's profile.")
    _write_attributes(partner, cleaned)
    after = {**audit.snapshot(partner, AUDITED_FIELDS), **_attribute_snapshot(partner)}
    changed = sorted(k for k in after if before.get(k) != after[k])
    if changed:
        audit.record(
            access=access,
            verb="partner.updated",
            target=partner,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
            partner_id=partner.pk,
        )
    return partner


@transaction.atomic
def partner_update(
    *,
    access: TenantAccess,
    partner: Partner,
    fields: Mapping[str, Any],
    attributes: Mapping[str, Iterable[str]] | None = None,
) -> Partner:
    """Change a partner's profile and program data (staff). Only changed fields are audited."""
    _require_staff_write(access)
    return _update(
        access=access,
        partner=partner,
        fields=fields,
        attributes=attributes,
        allowed_fields=STAFF_FIELDS,
        allowed_attributes=frozenset(ATTRIBUTE_FIELDS),
    )


@transaction.atomic
def partner_update_own_profile(
    *,
    access: TenantAccess,
    partner: Partner,
    fields: Mapping[str, Any],
    attributes: Mapping[str, Iterable[str]] | None = None,
) -> Partner:
    """A partner admin keeps its own company's profile current (not tier, manager or status)."""
    if not access.can(Perm.EDIT_OWN_PARTNER) or access.partner_id != partner.pk:
        raise PermissionDenied("Only your company's partner admins may edit its profile.")
    return _update(
        access=access,
        partner=partner,
        fields=fields,
        attributes=attributes,
        allowed_fields=PORTAL_FIELDS,
        allowed_attributes=PORTAL_ATTRIBUTES,
    )


@transaction.atomic
def partner_change_status(*, access: TenantAccess, partner: Partner, status: str, reason: str) -> Partner:
    """Move a partner along its lifecycle, with the reason recorded in its history."""
    _require_staff_write(access)
    _refuse_archived(partner)
    reason = (reason or "").strip()
    if status not in Partner.Status.values:
        raise ValidationError({"status": "Choose a valid status."})
    if status == partner.status:
        raise ValidationError({"status": f"The partner is already {partner.get_status_display().lower()}."})
    if not partner.can_move_to(status):
        allowed = ", ".join(Partner.Status(s).label for s in sorted(Partner.TRANSITIONS[partner.status]))
        raise ValidationError(
            {"status": f"A {partner.get_status_display().lower()} partner can move to: {allowed}."}
        )
    if not reason:
        raise ValidationError({"reason": "Say why the status changes; it is kept in the partner's history."})
    before = partner.status
    partner.status = status
    partner.status_changed_at = timezone.now()
    if status == Partner.Status.ACTIVE and partner.join_date is None:
        partner.join_date = timezone.localdate()
    partner.save(update_fields=["status", "status_changed_at", "join_date", "updated_at"])
    by = actors.by(access, "changed_by")
    PartnerStatusChange.objects.create(
        partner=partner, from_status=before, to_status=status, reason=reason, **by
    )
    audit.record(
        access=access,
        verb="partner.status_changed",
        target=partner,
        before={"status": before},
        after={"status": status, "reason": reason},
        partner_id=partner.pk,
    )
    return partner


@transaction.atomic
def partner_archive(*, access: TenantAccess, partner: Partner) -> Partner:
    """Take a partner out of the directory. Everything about it is kept and it can be restored."""
    _require_staff_write(access)
    if partner.is_archived:
        raise ValidationError("This partner is already archived.")
    partner.archived_at = timezone.now()
    partner.save(update_fields=["archived_at", *actors.stamp(partner, "archived_by", access), "updated_at"])
    audit.record(
        access=access,
        verb="partner.archived",
        target=partner,
        before={"archived": False},
        after={"archived": True},
        partner_id=partner.pk,
    )
    return partner


@transaction.atomic
def partner_restore(*, access: TenantAccess, partner: Partner) -> Partner:
    """Bring an archived partner back into the directory, as it was."""
    _require_staff_write(access)
    if not partner.is_archived:
        raise ValidationError("This partner is not archived.")
    partner.archived_at = None
    partner.save(update_fields=["archived_at", *actors.clear(partner, "archived_by"), "updated_at"])
    audit.record(
        access=access,
        verb="partner.restored",
        target=partner,
        before={"archived": True},
        after={"archived": False},
        partner_id=partner.pk,
    )
    return partner


@transaction.atomic
def partner_add_note(*, access: TenantAccess, partner: Partner, body: str) -> PartnerNote:
    """An internal note on the partner's timeline (staff only; partners never see notes)."""
    if not access.can(Perm.VIEW_PROGRAM):
        raise PermissionDenied("Only staff members write notes.")
    actors.require_person(access, "Notes are written by a person, not by an API key: a note is signed.")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    return PartnerNote.objects.create(partner=partner, author=access.user, body=body)


# --- shared steps for the partner's own records (contacts, certifications) ----------------------


def _change_and_audit(
    *,
    access: TenantAccess,
    row: Contact | Certification,
    fields: Mapping[str, Any],
    audited: list[str],
    verb: str,
    checks: tuple[Callable[[Any], None], ...] = (),
) -> None:
    """Set ``fields`` on ``row``, validate, save, and audit only what changed."""
    before = audit.snapshot(row, audited)
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean(validate_constraints=False)
    for check in checks:
        check(row)
    row.save()
    after = audit.snapshot(row, audited)
    changed = [k for k in after if before[k] != after[k]]
    if changed:
        audit.record(
            access=access,
            verb=verb,
            target=row,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
            partner_id=row.partner_id,
        )


def _set_archived_and_audit(
    *, access: TenantAccess, row: Contact | Certification, archived: bool, noun: str
) -> None:
    if archived == (row.archived_at is not None):
        raise ValidationError("Nothing to change.")
    row.archived_at = timezone.now() if archived else None
    row.save(update_fields=["archived_at", "updated_at"])
    audit.record(
        access=access,
        verb=f"{noun}.archived" if archived else f"{noun}.restored",
        target=row,
        before={"archived": not archived},
        after={"archived": archived},
        partner_id=row.partner_id,
    )


# --- contacts ----------------------------------------------------------------------------------


def _check_portal_user(contact: Contact) -> None:
    if contact.user_id is None:
        return
    linked = Membership.objects.filter(
        tenant_id=contact.tenant_id, user_id=contact.user_id, partner_id=contact.partner_id
    ).exists()
    if not linked:
        raise ValidationError({"user": "Link a portal user of this partner."})


def _check_contact_email_free(contact: Contact) -> None:
    clash = Contact.objects.filter(partner_id=contact.partner_id, email=contact.email.strip().lower())
    if clash.exclude(pk=contact.pk).exists():
        raise ValidationError({"email": "This partner already has a contact with this e-mail address."})


@transaction.atomic
def contact_create(*, access: TenantAccess, partner: Partner, fields: Mapping[str, Any]) -> Contact:
    """Add a person at the partner (staff, or the partner's own admin)."""
    _require_write_on(access, partner)
    _refuse_archived(partner)
    contact = Contact(partner=partner, **fields)
    contact.assign_tenant()
    contact.full_clean(validate_constraints=False)
    _check_contact_email_free(contact)
    _check_portal_user(contact)
    contact.save()
    audit.record(
        access=access,
        verb="contact.created",
        target=contact,
        after=audit.snapshot(contact, CONTACT_FIELDS),
        partner_id=partner.pk,
    )
    return contact


@transaction.atomic
def contact_update(*, access: TenantAccess, contact: Contact, fields: Mapping[str, Any]) -> Contact:
    """Change a contact's details."""
    _require_write_on(access, contact.partner)
    _refuse_archived(contact.partner)
    if contact.archived_at is not None:
        raise ValidationError("This contact is archived. Restore it before changing it.")
    _change_and_audit(
        access=access,
        row=contact,
        fields=fields,
        audited=CONTACT_FIELDS,
        verb="contact.updated",
        checks=(_check_contact_email_free, _check_portal_user),
    )
    return contact


@transaction.atomic
def contact_set_archived(*, access: TenantAccess, contact: Contact, archived: bool) -> Contact:
    """Archive a contact who left (their certifications stay), or restore one."""
    _require_write_on(access, contact.partner)
    _refuse_archived(contact.partner)
    if archived and Partner.objects.filter(partner_sponsor=contact).exists():
        raise ValidationError(
            "This contact is the partner's executive sponsor; choose another sponsor first."
        )
    _set_archived_and_audit(access=access, row=contact, archived=archived, noun="contact")
    return contact


# --- certifications ----------------------------------------------------------------------------


@transaction.atomic
def certification_create(
    *, access: TenantAccess, partner: Partner, fields: Mapping[str, Any]
) -> Certification:
    """Record a certification of the company or of one of its people."""
    _require_write_on(access, partner)
    _refuse_archived(partner)
    certification = Certification(partner=partner, **fields)
    certification.assign_tenant()
    certification.full_clean()
    certification.save()
    audit.record(
        access=access,
        verb="certification.created",
        target=certification,
        after=audit.snapshot(certification, CERTIFICATION_FIELDS),
        partner_id=partner.pk,
    )
    signals.standing_changed(partner.pk, f"Certification “{certification.name}” recorded.")
    return certification


@transaction.atomic
def certification_update(
    *, access: TenantAccess, certification: Certification, fields: Mapping[str, Any]
) -> Certification:
    """Correct a certification or record its renewal (a new expiry date)."""
    _require_write_on(access, certification.partner)
    _refuse_archived(certification.partner)
    _change_and_audit(
        access=access,
        row=certification,
        fields=fields,
        audited=CERTIFICATION_FIELDS,
        verb="certification.updated",
    )
    signals.standing_changed(certification.partner_id, f"Certification “{certification.name}” changed.")
    return certification


@transaction.atomic
def certification_set_archived(
    *, access: TenantAccess, certification: Certification, archived: bool
) -> Certification:
    """Archive a certification recorded by mistake (expired ones simply stay, marked expired)."""
    _require_write_on(access, certification.partner)
    _refuse_archived(certification.partner)
    _set_archived_and_audit(access=access, row=certification, archived=archived, noun="certification")
    what = "removed" if archived else "restored"
    signals.standing_changed(certification.partner_id, f"Certification “{certification.name}” {what}.")
    return certification


# --- tiers ---------------------------------------------------------------------------------------

# The default ladder: name, rank, classification, and the benefits and entry rules it starts with.
DEFAULT_TIERS: list[dict[str, Any]] = [
    {"name": "Strategic", "rank": 1, "classification": "strategic", "min_score": Decimal("70"),
     "min_active_certifications": 3, "requires_signed_jbp": True, "mdf_eligible": True, "rebate_eligible": True,
     "deal_protection_days": 180,
     "benefits": "Joint business plan with shared targets, executive sponsors on both sides, dedicated partner "
                 "manager, MDF by plan, custom rebates, roadmap access and co-sell coverage."},
    {"name": "Gold", "rank": 2, "classification": "tactical", "min_score": Decimal("50"),
     "min_active_certifications": 1, "mdf_eligible": True, "rebate_eligible": True, "deal_protection_days": 120,
     "benefits": "Standard Gold margins, MDF eligibility, volume rebates, templated co-marketing plays."},
    {"name": "Silver", "rank": 3, "classification": "tactical", "min_score": Decimal("25"),
     "rebate_eligible": True, "deal_protection_days": 90,
     "benefits": "Standard Silver margins, volume rebates, programmatic enablement."},
    {"name": "Registered", "rank": 4, "classification": "tactical", "min_score": Decimal("0"),
     "deal_protection_days": 60, "benefits": "Deal registration, partner portal, self-paced training."},
]  # fmt: skip


@transaction.atomic
def tier_ensure_defaults() -> list[Tier]:
    """The default ladder: Strategic, Gold, Silver, Registered (idempotent: existing tiers stay as they are)."""
    tiers = []
    for spec in DEFAULT_TIERS:
        defaults = {k: v for k, v in spec.items() if k != "name"}
        tier, _ = Tier.objects.get_or_create(name=spec["name"], defaults=defaults)
        tiers.append(tier)
    return tiers
