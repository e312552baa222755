"""The plan section of the staff partner page (registered with ``partners.sections``)."""

from __future__ import annotations

from typing import Any

from partners.models import Partner
from partners.sections import PartnerSection, register_section
from prm.access import TenantRequest
from prm.permissions import Perm

from . import queries


def _context(request: TenantRequest, partner: Partner) -> dict[str, Any]:
    return {
        "plans": queries.partner_plans(request.access, partner.pk),
        "can_manage": request.access.can(Perm.MANAGE_PLANS),
    }


def register() -> None:
    register_section(
        PartnerSection(
            key="plans",
            title="Joint business plans",
            template="jbp/_partner_section.html",
            order=40,
            context=_context,
        )
    )
