"""Joint business plan API: viewsets (routed by jbp/urls.py) and their serializers."""

from .viewsets import (
    ActionItemViewSet,
    ActivityViewSet,
    ExportViewSet,
    InvestmentViewSet,
    PlanViewSet,
    ReviewViewSet,
    TargetViewSet,
)

__all__ = [
    "ActionItemViewSet",
    "ActivityViewSet",
    "ExportViewSet",
    "InvestmentViewSet",
    "PlanViewSet",
    "ReviewViewSet",
    "TargetViewSet",
]
