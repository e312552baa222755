"""The score section of the staff partner page (registered at start-up)."""

from __future__ import annotations

from typing import Any

from prm.access import TenantRequest


def register() -> None:
    from ..sections import PartnerSection, register_section

    register_section(PartnerSection(key="score", title="Score and tier", template="partners/tiering/_section.html",
                                    order=10, context=_context))  # fmt: skip


def _context(request: TenantRequest, partner: Any) -> dict[str, Any]:
    from .views import partner_section_context

    return partner_section_context(request, partner)
