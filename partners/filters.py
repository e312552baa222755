"""The partner directory's filters, shared by the page, the CSV export and the API.

Every filter is an indexed lookup: attributes through ``PartnerAttribute`` (tenant, kind, value),
certifications through their (tenant, expires_on) index.
"""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from prm.filters import IdsFilter
from prm.models import User

from .models import Certification, Partner, PartnerAttribute, Tier
from .vocab import Classification, Motion, PartnerType, Region, Segment, Vertical

CHECKBOXES = forms.CheckboxSelectMultiple
LONG_LIST = forms.SelectMultiple(attrs={"size": 6})

SORTS = {
    "name": (F("name").asc(), "Name A–Z"),
    "-name": (F("name").desc(), "Name Z–A"),
    "status": (
        Case(*(When(status=value, then=Value(i)) for i, value in enumerate(Partner.Status.values))).asc(),
        "Status (lifecycle order)",
    ),
    "tier": (F("tier__rank").asc(nulls_last=True), "Tier, top first"),
    "-created": (F("created_at").desc(), "Newest first"),
    "-updated": (F("updated_at").desc(), "Recently changed"),
    "country": (F("country").asc(), "Country"),
}


def _has_attribute(kind: str):
    def method(queryset: QuerySet, name: str, values: list[str]) -> QuerySet:
        if not values:
            return queryset
        match = PartnerAttribute.objects.filter(partner=OuterRef("pk"), kind=kind, value__in=values)
        return queryset.filter(Exists(match))

    return method


class PartnerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    # distinct=False: these filter the partner's own columns, so no duplicate rows can arise.
    status = django_filters.MultipleChoiceFilter(
        choices=Partner.Status.choices, widget=CHECKBOXES, distinct=False
    )
    tier = IdsFilter(queryset=Tier.objects.none(), widget=CHECKBOXES, distinct=False)
    classification = django_filters.ChoiceFilter(
        choices=[*Classification.choices, ("untiered", "No tier yet")],
        method="by_classification",
        label="Classification",
    )
    type = django_filters.MultipleChoiceFilter(
        choices=PartnerType.choices,
        method=_has_attribute(PartnerAttribute.Kind.TYPE),
        widget=CHECKBOXES,
        label="Partner type",
    )
    motion = django_filters.MultipleChoiceFilter(
        choices=Motion.choices,
        method=_has_attribute(PartnerAttribute.Kind.MOTION),
        widget=CHECKBOXES,
        label="Motion",
    )
    region = django_filters.MultipleChoiceFilter(
        choices=Region.choices,
        method=_has_attribute(PartnerAttribute.Kind.REGION),
        widget=LONG_LIST,
        label="Region",
    )
    vertical = django_filters.MultipleChoiceFilter(
        choices=Vertical.choices,
        method=_has_attribute(PartnerAttribute.Kind.VERTICAL),
        widget=LONG_LIST,
        label="Vertical",
    )
    segment = django_filters.MultipleChoiceFilter(
        choices=Segment.choices,
        method=_has_attribute(PartnerAttribute.Kind.SEGMENT),
        widget=CHECKBOXES,
        label="Segment",
    )
    manager = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), field_name="partner_manager", label="Partner manager"
    )
    cert_expiring_days = django_filters.NumberFilter(
        method="certification_expiring",
        label="Certification expiring within (days)",
        min_value=0,
        max_value=3650,
    )
    archived = django_filters.ChoiceFilter(
        choices=[("no", "Current partners"), ("yes", "Archived only"), ("all", "Current and archived")],
        method="archive_state",
        empty_label=None,
        label="Archived",
    )
    sort = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (_, label) in SORTS.items()],
        method="sort_by",
        empty_label=None,
        label="Sort",
    )

    class Meta:
        model = Partner
        fields: list[str] = []

    def __init__(self, data=None, *args, staff_users: QuerySet | None = None, **kwargs):
        # Defaults that hold when the parameter is absent (filters in the URL override them).
        data = data.copy() if data is not None else {}
        data.setdefault("archived", "no")
        data.setdefault("sort", "name")
        super().__init__(data, *args, **kwargs)
        self.filters["tier"].queryset = Tier.objects.all()
        if staff_users is not None:
            self.filters["manager"].queryset = staff_users

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(domain__icontains=value.lower()))

    def by_classification(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "untiered":
            return queryset.filter(tier__isnull=True)
        return queryset.filter(tier__classification=value)

    def certification_expiring(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return queryset
        today = timezone.localdate()
        soon = Certification.objects.filter(
            partner=OuterRef("pk"),
            archived_at__isnull=True,
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=int(value)),
        )
        return queryset.filter(Exists(soon))

    def archive_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "yes":
            return queryset.filter(archived_at__isnull=False)
        if value == "all":
            return queryset
        return queryset.filter(archived_at__isnull=True)

    def sort_by(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Name and id break ties, so pages never repeat or skip a partner.
        return queryset.order_by(SORTS.get(value, SORTS["name"])[0], "name", "pk")
