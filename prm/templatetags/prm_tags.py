from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, number: int, param: str = "page") -> str:
    """The current query string with ``param`` set to ``number`` (filters and other pages kept)."""
    query = context["request"].GET.copy()
    query[param] = str(number)
    encoded: str = query.urlencode()
    return "?" + encoded
