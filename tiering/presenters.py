"""How tiering shows its numbers: the score trend chart (on the partner page and in the portal)."""

from __future__ import annotations

from typing import Any

from prm import charts

from .models import ScoreSnapshot


def trend_chart(snapshots: list[ScoreSnapshot], partner_name: str) -> Any:
    """The score at each recalculation, as an SVG line chart; None with fewer than two scores."""
    if len(snapshots) < 2:
        return None
    labels = [s.run_on.strftime("%b %Y") for s in snapshots]
    return charts.line_chart(
        title=f"Score trend of {partner_name}",
        description=f"{partner_name}'s score (0–100) at each of the last {len(snapshots)} recalculations",
        labels=labels,
        series={"Score": [s.score for s in snapshots]},
        y_range=(0, 100),
        height=240,
    )
