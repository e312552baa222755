"""Incentives API: viewsets (routed by incentives/urls.py) and their serializers."""

from .viewsets import (
    AllocationViewSet,
    ClaimViewSet,
    FundRequestViewSet,
    FundViewSet,
    PayoutViewSet,
    RebateAccrualViewSet,
    RebateProgramViewSet,
    RebateStatementViewSet,
)

__all__ = [
    "AllocationViewSet",
    "ClaimViewSet",
    "FundRequestViewSet",
    "FundViewSet",
    "PayoutViewSet",
    "RebateAccrualViewSet",
    "RebateProgramViewSet",
    "RebateStatementViewSet",
]
