"""The numbers of the executive dashboard and the per-partner QBR, read from the metric catalog.

Every figure is a catalog metric computed by ``prm.metrics.compute_grouped``: one database
statement per metric gives the value per partner, per tier, per classification and in total for
the period and the previous one; one more gives the eight-quarter trend. Nothing here defines a
number a second time: top and bottom partners, concentration and changes are read off those
values. The page built from them is cached per tenant and period (``presenters.dashboard_page``);
any write to a tenant-owned row of the tenant (see ``reporting.cache``) makes the next request
recompute it.
"""

from .common import (
    CLASS,
    CLASS_LABELS,
    HEADLINE,
    PERIOD_KINDS,
    TIER,
    TOP_N,
    TREND_QUARTERS,
    UNTIERED,
    change,
    default_period,
    last_quarter,
    partners_grouping,
    period_choices,
    period_from,
    period_kind,
    trend_quarters,
)
from .dashboard import (
    INCENTIVE_METRICS,
    SCORE_BANDS,
    Cell,
    Dashboard,
    Figure,
    TierRow,
    compute_dashboard,
    compute_figure,
    compute_trend,
    concentration,
    incentive_figures,
    plan_attainment,
    score_distribution,
    tier_movements,
    tier_rows,
)
from .drill import Drill, DrillRow, drill, metric_or_404, parse_group
from .exports import access_export, recent_exports
from .qbr import (
    OPEN_ROWS,
    QBR_INCENTIVE_METRICS,
    QBR_METRICS,
    QBR_OPTIONAL_METRICS,
    Qbr,
    QbrRow,
    partner_incentives,
    partner_plan,
    qbr,
)

__all__ = [
    "CLASS",
    "CLASS_LABELS",
    "HEADLINE",
    "INCENTIVE_METRICS",
    "OPEN_ROWS",
    "PERIOD_KINDS",
    "QBR_INCENTIVE_METRICS",
    "QBR_METRICS",
    "QBR_OPTIONAL_METRICS",
    "SCORE_BANDS",
    "TIER",
    "TOP_N",
    "TREND_QUARTERS",
    "UNTIERED",
    "Cell",
    "Dashboard",
    "Drill",
    "DrillRow",
    "Figure",
    "Qbr",
    "QbrRow",
    "TierRow",
    "access_export",
    "change",
    "compute_dashboard",
    "compute_figure",
    "compute_trend",
    "concentration",
    "default_period",
    "drill",
    "incentive_figures",
    "last_quarter",
    "metric_or_404",
    "parse_group",
    "partner_incentives",
    "partner_plan",
    "partners_grouping",
    "period_choices",
    "period_from",
    "period_kind",
    "plan_attainment",
    "qbr",
    "recent_exports",
    "score_distribution",
    "tier_movements",
    "tier_rows",
    "trend_quarters",
]
