from django import template

register = template.Library()


@register.filter
def labels(partner, kind: str) -> list[str]:
    """A partner's labels of one attribute kind: ``{{ partner|labels:"motion" }}``."""
    return partner.labels_of(kind)


@register.filter
def get_item(mapping, key):
    """``{{ dict|get_item:key }}`` for audit before/after maps (None when absent)."""
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def split(value: str) -> list[str]:
    return value.split()


@register.filter
def field(form, name: str):
    """The bound field ``name`` of ``form``, or None when the form has no such field."""
    return form[name] if name in form.fields else None
