"""Server-side SVG charts: one chart serves the page and the PDF.

Charts are drawn by pygal, which writes plain SVG with text kept as text (so a PDF made from
the page stays searchable) and needs no browser. Every chart here:

- has a ``<title>`` and a ``<desc>`` and ``role="img"``, so a screen reader announces what it
  shows, and the description lists the figures in words;
- uses the Okabe–Ito palette, which stays distinguishable with the common colour-vision
  deficiencies;
- carries no JavaScript (tooltips would not survive into a PDF anyway).

Usage::

    from prm import charts
    svg = charts.bar_chart(
        title="Attainment by quarter", description="Revenue attainment per quarter of FY2026",
        labels=["Q1", "Q2"], series={"Target": [100, 100], "Actual": [80, 112]}, unit="%",
    )
    # in a template: {{ svg }}   (the result is already marked safe)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape
from typing import Any

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

# Okabe & Ito (2008), "Color Universal Design": safe for protanopia, deuteranopia, tritanopia.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#333333",
    foreground_strong="#111111",
    foreground_subtle="#dddddd",
    colors=PALETTE,
    font_family="DejaVu Sans, Helvetica, Arial, sans-serif",
    title_font_size=15,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    value_font_size=11,
    guide_stroke_color="#e5e5e5",
    major_guide_stroke_color="#d0d0d0",
    guide_stroke_dasharray="0",
    major_guide_stroke_dasharray="0",
    opacity="1",
    opacity_hover="1",
)

Number = int | float | Decimal | None


def _num(value: Number) -> float | None:
    return None if value is None else float(value)


def _fmt(value: Number, unit: str) -> str:
    if value is None:
        return "no data"
    number = float(value)
    text = f"{number:,.0f}" if abs(number) >= 100 or number == int(number) else f"{number:,.1f}"
    if unit == "%":
        return f"{text} %"
    return f"{text} {unit}".strip()


def _describe(labels: Sequence[str], series: Mapping[str, Sequence[Number]], unit: str) -> str:
    parts = []
    for name, values in series.items():
        figures = ", ".join(f"{label}: {_fmt(v, unit)}" for label, v in zip(labels, values, strict=False))
        parts.append(f"{name}: {figures}.")
    return " ".join(parts)


def _finish(chart: pygal.graph.graph.Graph, *, title: str, description: str, data_text: str) -> SafeString:
    svg = chart.render(is_unicode=True)
    # pygal always embeds its tooltip configuration as a script; pages and PDFs need none.
    svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.DOTALL)
    found = re.search(r'<svg\b[^>]*\bid="([^"]+)"', svg)
    ident = found.group(1) if found else "chart"
    accessible = (
        f'<title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(description)} {escape(data_text)}</desc>'
    )
    # role and labels on the root element; title and desc as its first children.
    svg = re.sub(
        r"<svg\b([^>]*)>",
        lambda m: f'<svg{m.group(1)} role="img" aria-labelledby="{ident}-t {ident}-d">{accessible}',
        svg,
        count=1,
    )
    return mark_safe(svg)  # noqa: S308 - pygal escapes labels; title/desc escaped above


def _base(
    kind: type, *, title: str, unit: str, width: int, height: int, legend: bool = True, **options: object
) -> Any:
    # pygal places a bottom legend by its own font metrics and clips it at the edge of the
    # viewBox; a bottom margin keeps it inside. A single series needs no legend.
    return kind(
        show_legend=legend,
        margin_bottom=26 if legend else 12,
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        width=width,
        height=height,
        title=title,
        y_title=unit or None,
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        print_values=False,
        show_y_guides=True,
        show_x_guides=False,
        truncate_legend=-1,
        truncate_label=-1,
        value_formatter=lambda v: _fmt(v, unit),
        margin=12,
        # Room for the last x label (pygal centres it on the edge), and a readable y axis:
        # at most about eight labelled steps, not pygal's default sixteen.
        margin_right=28,
        max_scale=8,
        **options,
    )


def bar_chart(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[Number]],
    unit: str = "",
    stacked: bool = False,
    horizontal: bool = False,
    width: int = 720,
    height: int = 320,
) -> SafeString:
    """Grouped (or stacked) bars: one group per label, one bar per series."""
    kind = (pygal.StackedBar if stacked else pygal.Bar) if not horizontal else pygal.HorizontalBar
    chart = _base(kind, title=title, unit=unit, width=width, height=height, legend=len(series) > 1)
    chart.x_labels = list(labels)
    for name, values in series.items():
        chart.add(name, [_num(v) for v in values])
    return _finish(chart, title=title, description=description, data_text=_describe(labels, series, unit))


def line_chart(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[Number]],
    unit: str = "",
    width: int = 720,
    height: int = 320,
    y_range: tuple[float, float] | None = None,
) -> SafeString:
    """Lines over an ordered axis (quarters, runs); gaps where a value is None."""
    options: dict[str, object] = {"allow_interruptions": True, "dots_size": 3, "stroke_style": {"width": 2.5}}
    if y_range is not None:
        options["range"] = y_range
    chart = _base(
        pygal.Line, title=title, unit=unit, width=width, height=height, legend=len(series) > 1, **options
    )
    chart.x_labels = list(labels)
    for name, values in series.items():
        chart.add(name, [_num(v) for v in values])
    return _finish(chart, title=title, description=description, data_text=_describe(labels, series, unit))


def histogram(
    *,
    title: str,
    description: str,
    buckets: Sequence[tuple[str, int]],
    series_name: str = "Partners",
    width: int = 720,
    height: int = 280,
) -> SafeString:
    """Counts per bucket (e.g. partners per score band)."""
    labels = [label for label, _ in buckets]
    return bar_chart(
        title=title,
        description=description,
        labels=labels,
        series={series_name: [count for _, count in buckets]},
        width=width,
        height=height,
    )
