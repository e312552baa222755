"""From computed figures to what a page, a PDF and a CSV show: tables of cells and SVG charts.

A table is built once here; the page renders its cells (formatted, with drill-down links), the
CSV writes the same cells' values, and the PDF uses the same template fragments and charts.
"""

from .charts import (
    CHART_SECONDS,
    cached_chart,
)
from .dashboard import (
    DashboardPage,
    Links,
    dashboard_context,
    dashboard_page,
    dashboard_tables,
    score_chart,
    short_quarter,
    tier_chart,
    top_groups,
    trend_charts,
)
from .qbr import (
    qbr_context,
    qbr_tables,
)
from .tables import (
    CHANGE,
    DATE,
    TEXT,
    Table,
    TableCell,
    drill_url,
    format_change,
    format_value,
    partner_url,
)

__all__ = [
    "CHANGE",
    "CHART_SECONDS",
    "DATE",
    "TEXT",
    "DashboardPage",
    "Links",
    "Table",
    "TableCell",
    "cached_chart",
    "dashboard_context",
    "dashboard_page",
    "dashboard_tables",
    "drill_url",
    "format_change",
    "format_value",
    "partner_url",
    "qbr_context",
    "qbr_tables",
    "score_chart",
    "short_quarter",
    "tier_chart",
    "top_groups",
    "trend_charts",
]
