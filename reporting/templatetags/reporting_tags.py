from typing import Any

from django import template

from reporting.presenters import CHANGE, format_change, format_value

register = template.Library()


@register.simple_tag(takes_context=True)
def cell(context: template.Context, value: Any, unit: str) -> str:
    """A figure formatted as the dashboard prints it (money in the tenant's currency)."""
    tenant = context.get("tenant")
    return format_value(value, unit, tenant.currency if tenant is not None else "")


@register.filter
def change_text(change: dict | None) -> str:
    return format_change(change)


@register.filter
def change_class(change: dict | None) -> str:
    if not change:
        return "flat"
    return "up" if change["up"] else ("down" if change["down"] else "flat")


@register.filter
def is_change(unit: str) -> bool:
    return unit == CHANGE


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key, "")


@register.filter
def tier_text(tier: Any) -> str:
    """``Tier Gold (Tactical)``; just ``Tier Strategic`` when the name already says the class."""
    classification = tier.get_classification_display()
    if not classification or classification.lower() == tier.name.lower():
        return f"Tier {tier.name}"
    return f"Tier {tier.name} ({classification})"
