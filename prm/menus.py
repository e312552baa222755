"""The top navigation, contributed by the apps.

The core renders the menu; each app adds its own entries (staff pages, portal pages) by calling
``register_menu_item`` from its ``AppConfig.ready``, the way partner-page sections and overview
widgets are contributed. The core never names an app's URLs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from .access import TenantAccess
from .permissions import Perm


@dataclass(frozen=True)
class MenuItem:
    """One entry: ``url_name`` is reversed with the tenant slug; ``order`` places it (lower first)."""

    label: str
    url_name: str
    order: int
    permission: Perm
    portal: bool = False


_ITEMS: dict[tuple[bool, str], MenuItem] = {}


def register_menu_item(item: MenuItem) -> None:
    """Add (or replace, by URL name) an entry of the staff menu or, with ``portal=True``, the portal's."""
    _ITEMS[(item.portal, item.url_name)] = item


def register_core_items() -> None:
    """The core's own pages: overview, fiscal quarters, members, API keys, audit trail, and the
    portal's team page."""
    for item in (
        MenuItem("Overview", "tenant_home", 10, Perm.VIEW_PROGRAM),
        MenuItem("Fiscal quarters", "fiscal_quarters", 890, Perm.VIEW_REPORTS),
        MenuItem("Members", "members", 900, Perm.MANAGE_MEMBERS),
        MenuItem("API keys", "api_keys", 910, Perm.MANAGE_API_KEYS),
        MenuItem("Audit trail", "audit_log", 920, Perm.VIEW_AUDIT),
        MenuItem("Team", "portal:team", 900, Perm.USE_PORTAL, portal=True),
    ):
        register_menu_item(item)


def navigation(request: HttpRequest, access: TenantAccess) -> list[dict[str, str | bool]]:
    """The entries the caller may open, in order, each with its URL and whether it is the current page."""
    match = request.resolver_match
    current = match.view_name if match else None
    items = sorted(
        (item for (portal, _), item in _ITEMS.items() if portal == access.is_partner),
        key=lambda item: item.order,
    )
    return [
        {
            "label": item.label,
            "url": reverse(item.url_name, kwargs={"tenant_slug": access.tenant.slug}),
            "current": item.url_name == current,
        }
        for item in items
        if access.can(item.permission)
    ]
