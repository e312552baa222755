"""Tables of cells: what a page shows formatted with links, what a CSV writes as values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode

from prm.metrics import display
from prm.models import Tenant

TEXT = "text"
DATE = "date"
CHANGE = "change"


@dataclass
class TableCell:
    value: Any
    unit: str = TEXT
    href: str = ""
    change: dict[str, Any] | None = None


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list[TableCell]] = field(default_factory=list)

    @property
    def header(self) -> list[tuple[str, bool]]:
        """Each column's name and whether it holds figures (aligned right, like its cells)."""
        return [
            (name, i > 0 and any(len(row) > i and row[i].unit != TEXT for row in self.rows))
            for i, name in enumerate(self.columns)
        ]

    def csv(self) -> tuple[list[str], list[list[Any]]]:
        return self.columns, [[_csv_value(cell) for cell in row] for row in self.rows]


def _csv_value(cell: TableCell) -> Any:
    if cell.unit == CHANGE:
        return "" if cell.change is None else cell.change["value"]
    return "" if cell.value is None else cell.value


def format_value(value: Any, unit: str, currency: str = "") -> str:
    """A figure as the pages print it (the catalog's display rule: ``prm.metrics.display``)."""
    if unit == DATE and value not in (None, ""):
        return f"{value:%-d %b %Y}"
    return display(value, str(unit), currency)


def format_change(change: dict[str, Any] | None) -> str:
    if change is None:
        return "—"
    sign = "+" if change["value"] > 0 else ("−" if change["value"] < 0 else "±")
    number = f"{abs(change['value']):,.1f}"
    return f"{sign}{number} pts" if change["kind"] == "points" else f"{sign}{number} %"


def drill_url(tenant: Tenant, key: str, period: str, group: str) -> str:
    return (
        reverse("reporting_figure", kwargs={"tenant_slug": tenant.slug})
        + "?"
        + urlencode({"metric": key, "period": period, "group": group})
    )


def partner_url(tenant: Tenant, partner_id: int) -> str:
    return reverse("partner_detail", kwargs={"tenant_slug": tenant.slug, "partner_id": partner_id})
