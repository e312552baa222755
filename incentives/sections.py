"""The incentives section of the staff partner page: MDF balance, recent requests, rebates."""

from __future__ import annotations

from typing import Any

from partners.models import Partner
from partners.sections import PartnerSection, register_section
from prm.access import TenantRequest

from . import queries


def _context(request: TenantRequest, partner: Partner) -> dict[str, Any]:
    access = request.access
    return {
        "balance": queries.partner_balance(access, partner.pk),
        "requests": list(queries.fund_requests(access).filter(partner=partner)[:5]),
        "accruals": list(
            queries.accruals(access).filter(partner=partner).order_by("-program__starts_on")[:3]
        ),
    }


def register() -> None:
    register_section(
        PartnerSection(
            key="incentives",
            title="Incentives",
            template="incentives/_partner_section.html",
            order=60,
            context=_context,
        )
    )
