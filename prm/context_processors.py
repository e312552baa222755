from typing import Any

from django.http import HttpRequest

from .menus import navigation


def tenancy(request: HttpRequest) -> dict[str, Any]:
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
