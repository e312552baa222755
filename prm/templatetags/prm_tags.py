from django import template
from django.db.models import Model

from prm.actors import actor_name
from prm.metrics import display

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, number: int, param: str = "page") -> str:
    """The current query string with ``param`` set to ``number`` (filters and other pages kept)."""
    query = context["request"].GET.copy()
    query[param] = str(number)
    encoded: str = query.urlencode()
    return "?" + encoded


@register.filter
def figure(value: object, unit: str) -> str:
    """A figure by its unit as every page prints it (``prm.metrics.display``: half-up)."""
    return display(value, unit)


@register.filter
def actor(obj: Model, field: str) -> str:
    """Who is recorded in the "by" column ``field`` of ``obj``: the person, or the API key that
    acted (``{{ claim|actor:"submitted_by"|default:"—" }}``); "" when nobody is."""
    return actor_name(obj, field)
