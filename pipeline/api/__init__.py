"""The pipeline API: deal registrations, accounts, vendor opportunities, revenue records and the
metric values of the catalog (serializers and viewsets)."""

from .viewsets import (
    AccountViewSet,
    MetricsViewSet,
    RegistrationViewSet,
    RevenueRecordViewSet,
    VendorOpportunityViewSet,
)

__all__ = [
    "AccountViewSet",
    "MetricsViewSet",
    "RegistrationViewSet",
    "RevenueRecordViewSet",
    "VendorOpportunityViewSet",
]
