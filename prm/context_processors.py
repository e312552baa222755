from django.http import HttpRequest
from django.urls import reverse

from .access import TenantAccess
from .permissions import Perm

# (label, URL name, permission needed) in menu order; apps add theirs as they arrive.
STAFF_NAV = [
    ("Overview", "tenant_home", Perm.VIEW_PROGRAM),
    ("Partners", "partner_list", Perm.VIEW_PROGRAM),
    ("Deals", "registration_queue", Perm.VIEW_PROGRAM),
    ("Tiering", "tiering_home", Perm.VIEW_PROGRAM),
    ("Plans", "plan_list", Perm.VIEW_PROGRAM),
    ("MDF", "fund_list", Perm.VIEW_PROGRAM),
    ("Rebates", "rebate_list", Perm.VIEW_PROGRAM),
    ("Reports", "reporting_dashboard", Perm.VIEW_REPORTS),
    ("Members", "members", Perm.MANAGE_MEMBERS),
    ("API keys", "api_keys", Perm.MANAGE_API_KEYS),
    ("Audit trail", "audit_log", Perm.VIEW_AUDIT),
]
PORTAL_NAV = [
    ("Our company", "portal:home", Perm.USE_PORTAL),
    ("Deals", "portal:registration_list", Perm.USE_PORTAL),
    ("Our tier", "portal:tier", Perm.USE_PORTAL),
    ("Plans", "portal:plan_list", Perm.USE_PORTAL),
    ("MDF", "portal:mdf", Perm.USE_PORTAL),
    ("Rebates", "portal:rebates", Perm.USE_PORTAL),
    ("QBR", "portal:qbr", Perm.USE_PORTAL),
    ("Team", "portal:team", Perm.USE_PORTAL),
]


def navigation(request: HttpRequest, access: TenantAccess) -> list[dict]:
    match = request.resolver_match
    current = match.view_name if match else None
    items = PORTAL_NAV if access.is_partner else STAFF_NAV
    return [
        {
            "label": label,
            "url": reverse(name, kwargs={"tenant_slug": access.tenant.slug}),
            "current": name == current,
        }
        for label, name, perm in items
        if access.can(perm)
    ]


def tenancy(request: HttpRequest) -> dict:
    """Tenant, access, navigation by role, and the user's memberships (for the switcher)."""
    access = getattr(request, "access", None)
    memberships = []
    if request.user.is_authenticated:
        memberships = list(
            request.user.memberships.filter(is_active=True, tenant__is_active=True).select_related("tenant")
        )
    return {
        "tenant": getattr(request, "tenant", None),
        "access": access,
        "nav": navigation(request, access) if access is not None else [],
        "my_memberships": memberships,
    }
