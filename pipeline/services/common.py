"""What every use case of the desk shares: the desk's settings and the registration fields."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from partners.models import Partner
from prm.access import TenantAccess, require
from prm.models import Tenant
from prm.permissions import Perm

from ..models import (
    DealRegistration,
)

Status = DealRegistration.Status


DEFAULTS = {"protection_days": 90, "sla_hours": 48, "extension_days": 90}

PROGRAM_DEFAULT = "program default"

REGISTRATION_FIELDS = [
    "opportunity_name",
    "products",
    "amount",
    "currency",
    "expected_close_date",
    "stage",
    "customer_contact_name",
    "customer_contact_email",
    "partner_role",
    "notes",
]


def desk_settings(tenant: Tenant) -> dict[str, int]:
    """The tenant's registration rules: protection period, decision SLA, extension length."""
    configured = (tenant.settings or {}).get("deal_registration", {})
    return {key: int(configured.get(key, default)) for key, default in DEFAULTS.items()}


def protection_term(tenant: Tenant, partner: Partner) -> tuple[int, str]:
    """How long an approval protects ``partner``'s deal, and why: its tier's deal-protection days
    when the tier sets them (``"tier Strategic"``), otherwise the program's protection period
    (``"program default"``). Extensions are a program setting for every tier (``extension_days``)."""
    tier = partner.tier
    if tier is not None and tier.deal_protection_days:
        return tier.deal_protection_days, f"tier {tier.name}"
    return desk_settings(tenant)["protection_days"], PROGRAM_DEFAULT


# --- permissions -------------------------------------------------------------------------------


def partner_for_registration(access: TenantAccess, partner_id: int | None) -> Partner:
    """Partner users register for their own company; managers may register on a partner's behalf."""
    if access.is_partner:
        if not access.can(Perm.USE_PORTAL):
            raise PermissionDenied
        partner_id = access.partner_id
    else:
        require(access, Perm.DECIDE_DEALS)
        if partner_id is None:
            raise ValidationError({"partner": "Choose the partner this deal is registered for."})
    partner = Partner.objects.filter(pk=partner_id, archived_at__isnull=True).first()
    if partner is None:
        raise ValidationError({"partner": "Choose a current partner of this program."})
    if partner.status not in (Partner.Status.ACTIVE, Partner.Status.ONBOARDING):
        raise ValidationError(
            {"partner": f"A {partner.get_status_display().lower()} partner cannot register deals."}
        )
    return partner
