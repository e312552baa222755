"""Extra sections of the partner page, contributed by later capabilities.

The partner page shows profile, contacts, certifications and timeline itself. Apps that come
later (score and tier from tiering, deals from pipeline, the plan, incentives) add a section by
calling ``register_section`` from their ``AppConfig.ready``: partners never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prm.access import TenantRequest
from prm.permissions import Perm

from .models import Partner


@dataclass(frozen=True)
class PartnerSection:
    key: str
    title: str
    template: str
    order: int
    context: Callable[[TenantRequest, Partner], dict[str, Any]] = field(default=lambda request, partner: {})
    permission: Perm = Perm.VIEW_PROGRAM


_SECTIONS: dict[str, PartnerSection] = {}


def register_section(section: PartnerSection) -> None:
    _SECTIONS[section.key] = section


def sections_for(request: TenantRequest, partner: Partner) -> list[dict[str, Any]]:
    """The registered sections the caller may see, in order, each with its own context."""
    return [
        {"section": s, "template": s.template, "title": s.title, "data": s.context(request, partner)}
        for s in sorted(_SECTIONS.values(), key=lambda s: s.order)
        if request.access.can(s.permission)
    ]
