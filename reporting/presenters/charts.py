"""Charts of the reports, drawn once per set of figures (memoised in the cache)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache as django_cache
from django.utils.safestring import mark_safe

from prm import charts

CHART_SECONDS = 24 * 3600


def cached_chart(kind: str, **options: Any) -> Any:
    """A chart, memoised by its inputs: the same figures give the same SVG, so an unchanged
    chart is not drawn again (a new figure is a new key; nothing can be stale)."""
    key = "reporting:chart:" + hashlib.sha256(repr((kind, sorted(options.items()))).encode()).hexdigest()
    svg = django_cache.get(key)
    if svg is None:
        svg = getattr(charts, kind)(**options)
        django_cache.set(key, str(svg), CHART_SECONDS)
    return mark_safe(svg)  # noqa: S308 (drawn by prm.charts, which escapes every text)
