"""The score section of the staff partner page (registered at start-up)."""

from __future__ import annotations

from partners.sections import PartnerSection, register_section

from .views import partner_section_context


def register() -> None:
    register_section(
        PartnerSection(
            key="score",
            title="Score and tier",
            template="tiering/_section.html",
            order=10,
            context=lambda request, partner: partner_section_context(request, partner),
        )
    )
