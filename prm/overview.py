"""Widgets of the staff overview page, contributed by the apps.

The core renders the page; each app adds what it knows (partners by status, later pipeline
and plan figures) by calling ``register_widget`` from its ``AppConfig.ready``. The core never
imports the apps that sit to its right.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .access import TenantRequest
from .permissions import Perm


@dataclass(frozen=True)
class OverviewWidget:
    key: str
    template: str
    order: int
    context: Callable[[TenantRequest], dict[str, Any]]
    permission: Perm = Perm.VIEW_PROGRAM


_WIDGETS: dict[str, OverviewWidget] = {}


def register_widget(widget: OverviewWidget) -> None:
    _WIDGETS[widget.key] = widget


def widgets_for(request: TenantRequest) -> list[dict[str, Any]]:
    return [
        {"key": w.key, "template": w.template, "data": w.context(request)}
        for w in sorted(_WIDGETS.values(), key=lambda w: w.order)
        if request.access.can(w.permission)
    ]
