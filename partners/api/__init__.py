"""The partner API: partners, contacts and certifications (serializers and viewsets)."""

from .viewsets import CertificationViewSet, ContactViewSet, PartnerViewSet

__all__ = ["CertificationViewSet", "ContactViewSet", "PartnerViewSet"]
