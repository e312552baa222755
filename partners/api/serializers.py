"""Serializers of the partner API: what a partner, contact and certification look like, and what
each caller may send."""

from __future__ import annotations

from typing import Any, cast

from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from prm.access import TenantAccess
from prm.api import PersonSerializer, StrictInputMixin, TenantModelSerializer
from prm.models import Membership, User

from .. import queries, services
from ..models import Certification, Contact, Partner, PartnerAttribute, Tier
from ..vocab import Motion, PartnerType, Region, Segment, Vertical

ARCHIVED_CHOICES = [("no", "Current only"), ("yes", "Archived only"), ("all", "Current and archived")]


def _access(serializer: serializers.BaseSerializer) -> TenantAccess | None:
    """The caller, from the serializer context (absent during schema generation)."""
    return serializer.context.get("access")


# --- serializers: reading ----------------------------------------------------------------------


class TierSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = ["id", "name", "rank", "classification"]
        read_only_fields = fields


ATTRIBUTE_FIELDS = {
    "partner_types": PartnerAttribute.Kind.TYPE,
    "motions": PartnerAttribute.Kind.MOTION,
    "regions": PartnerAttribute.Kind.REGION,
    "verticals": PartnerAttribute.Kind.VERTICAL,
    "segments": PartnerAttribute.Kind.SEGMENT,
}


class PartnerListSerializer(serializers.ListSerializer):
    """A page of partners, the same JSON as ``PartnerSerializer`` row by row, without its per-field
    machinery: a page of 50 partners is ~550 model instances and ~1,500 field calls through DRF.
    Attributes are read as plain ``(partner, kind, value)`` tuples in one query (none are
    prefetched as models), and each row is one dictionary built from the instance's columns; the
    few fields whose format DRF owns (dates, times, the logo's URL) still go through their DRF field.
    ``tests/partners/test_api.py`` compares the two on the same data."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        partners = list(data.all() if hasattr(data, "all") else data)
        fields = cast(serializers.Serializer, self.child).fields
        created, changed, joined = fields["created_at"], fields["status_changed_at"], fields["join_date"]
        start, end, archived_at, logo = (
            fields["agreement_start"],
            fields["agreement_end"],
            fields["archived_at"],
            fields["logo"],
        )
        attributes = _attribute_values([p.pk for p in partners])

        def fmt(field: serializers.Field, value: Any) -> Any:
            return None if value is None else field.to_representation(value)

        def person(user: User | None) -> dict[str, Any] | None:
            return None if user is None else {"id": user.pk, "name": str(user)}

        rows = []
        for p in partners:
            kinds = attributes.get(p.pk, {})
            tier = p.tier
            rows.append(
                {
                    "id": p.pk,
                    "name": p.name,
                    "legal_name": p.legal_name,
                    "website": p.website,
                    "domain": p.domain,
                    "country": p.country.code,
                    "company_size": p.company_size,
                    "description": p.description,
                    "logo": logo.to_representation(p.logo) if p.logo else None,
                    **{name: kinds.get(kind, []) for name, kind in ATTRIBUTE_FIELDS.items()},
                    "status": p.status,
                    "status_changed_at": fmt(changed, p.status_changed_at),
                    "join_date": fmt(joined, p.join_date),
                    "tier": None
                    if tier is None
                    else {
                        "id": tier.pk,
                        "name": tier.name,
                        "rank": tier.rank,
                        "classification": tier.classification,
                    },
                    "classification": None if tier is None else tier.classification,
                    "partner_manager": person(p.partner_manager),
                    "vendor_sponsor": person(p.vendor_sponsor),
                    "partner_sponsor": p.partner_sponsor_id,
                    "agreement_type": p.agreement_type,
                    "agreement_start": fmt(start, p.agreement_start),
                    "agreement_end": fmt(end, p.agreement_end),
                    "archived": p.archived_at is not None,
                    "archived_at": fmt(archived_at, p.archived_at),
                    "created_at": fmt(created, p.created_at),
                    "updated_at": fmt(fields["updated_at"], p.updated_at),
                }
            )
        return rows


def _attribute_values(partner_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """Each partner's attribute values by kind, sorted (as ``Partner.values_of``), in one query."""
    found: dict[int, dict[str, list[str]]] = {}
    rows = PartnerAttribute.objects.filter(partner_id__in=partner_ids).order_by("partner_id", "kind", "value")
    for partner_id, kind, value in rows.values_list("partner_id", "kind", "value"):
        found.setdefault(partner_id, {}).setdefault(kind, []).append(value)
    return found


class PartnerSerializer(TenantModelSerializer):
    """A partner as its profile page shows it (a list of them: ``PartnerListSerializer``)."""

    country = serializers.CharField(
        source="country.code", read_only=True, help_text="ISO 3166-1 alpha-2, or empty."
    )
    logo = serializers.ImageField(read_only=True, allow_null=True)
    partner_types = serializers.SerializerMethodField()
    motions = serializers.SerializerMethodField()
    regions = serializers.SerializerMethodField()
    verticals = serializers.SerializerMethodField()
    segments = serializers.SerializerMethodField()
    tier = TierSummarySerializer(read_only=True, allow_null=True)
    classification = serializers.CharField(read_only=True, allow_null=True, help_text="Implied by the tier.")
    partner_manager = PersonSerializer(read_only=True, allow_null=True)
    vendor_sponsor = PersonSerializer(read_only=True, allow_null=True)
    partner_sponsor: serializers.PrimaryKeyRelatedField[Contact] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The partner's executive sponsor: one of its contacts."
    )
    archived = serializers.BooleanField(source="is_archived", read_only=True)

    class Meta:
        model = Partner
        fields = [
            "id",
            "name",
            "legal_name",
            "website",
            "domain",
            "country",
            "company_size",
            "description",
            "logo",
            "partner_types",
            "motions",
            "regions",
            "verticals",
            "segments",
            "status",
            "status_changed_at",
            "join_date",
            "tier",
            "classification",
            "partner_manager",
            "vendor_sponsor",
            "partner_sponsor",
            "agreement_type",
            "agreement_start",
            "agreement_end",
            "archived",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = PartnerListSerializer

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=PartnerType.choices)))
    def get_partner_types(self, partner: Partner) -> list[str]:
        return partner.values_of(PartnerAttribute.Kind.TYPE)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Motion.choices)))
    def get_motions(self, partner: Partner) -> list[str]:
        return partner.values_of(PartnerAttribute.Kind.MOTION)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Region.choices)))
    def get_regions(self, partner: Partner) -> list[str]:
        return partner.values_of(PartnerAttribute.Kind.REGION)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Vertical.choices)))
    def get_verticals(self, partner: Partner) -> list[str]:
        return partner.values_of(PartnerAttribute.Kind.VERTICAL)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Segment.choices)))
    def get_segments(self, partner: Partner) -> list[str]:
        return partner.values_of(PartnerAttribute.Kind.SEGMENT)


class ContactSerializer(TenantModelSerializer):
    partner: serializers.PrimaryKeyRelatedField[Partner] = serializers.PrimaryKeyRelatedField(read_only=True)
    user: serializers.PrimaryKeyRelatedField[User] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The linked portal user."
    )
    archived = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "partner",
            "name",
            "email",
            "phone",
            "title",
            "role",
            "user",
            "archived",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_archived(self, contact: Contact) -> bool:
        return contact.archived_at is not None


class CertificationSerializer(TenantModelSerializer):
    partner: serializers.PrimaryKeyRelatedField[Partner] = serializers.PrimaryKeyRelatedField(read_only=True)
    contact: serializers.PrimaryKeyRelatedField[Contact] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The person holding it."
    )
    is_expired = serializers.BooleanField(read_only=True)
    archived = serializers.SerializerMethodField()

    class Meta:
        model = Certification
        fields = [
            "id",
            "partner",
            "name",
            "level",
            "holder",
            "contact",
            "earned_on",
            "expires_on",
            "is_expired",
            "archived",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_archived(self, certification: Certification) -> bool:
        return certification.archived_at is not None


# --- serializers: writing ----------------------------------------------------------------------


class PartnerUpdateSerializer(StrictInputMixin, TenantModelSerializer):
    """What staff change on a partner; a partner admin only the portal fields of its own."""

    domain = serializers.CharField(
        max_length=253,
        allow_blank=True,
        required=False,
        help_text="Primary e-mail domain, e.g. northwind.example (a URL or an address is reduced to it).",
    )
    country = serializers.ChoiceField(choices=list(countries), allow_blank=True, required=False)
    logo = serializers.ImageField(
        required=False, allow_null=True, help_text="Upload with multipart/form-data; null removes the logo."
    )
    partner_types = serializers.MultipleChoiceField(choices=PartnerType.choices, required=False)
    motions = serializers.MultipleChoiceField(choices=Motion.choices, required=False)
    regions = serializers.MultipleChoiceField(choices=Region.choices, required=False)
    verticals = serializers.MultipleChoiceField(choices=Vertical.choices, required=False)
    segments = serializers.MultipleChoiceField(choices=Segment.choices, required=False)
    tier = serializers.PrimaryKeyRelatedField(queryset=Tier.objects.none(), allow_null=True, required=False)
    partner_manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), allow_null=True, required=False, help_text="An active staff member."
    )
    vendor_sponsor = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), allow_null=True, required=False, help_text="An active staff member."
    )
    partner_sponsor = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(),
        allow_null=True,
        required=False,
        help_text="One of the partner's contacts.",
    )

    refusals = {
        "status": "Change the status with POST …/partners/{id}/status/ and a reason.",
        "archived": "Archive with POST …/partners/{id}/archive/, restore with …/restore/.",
    }

    class Meta:
        model = Partner
        fields = [
            "name",
            "legal_name",
            "website",
            "domain",
            "country",
            "company_size",
            "description",
            "logo",
            "partner_types",
            "motions",
            "regions",
            "verticals",
            "segments",
            "join_date",
            "tier",
            "partner_manager",
            "vendor_sponsor",
            "partner_sponsor",
            "agreement_type",
            "agreement_start",
            "agreement_end",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        access = _access(self)
        if access is None:
            return
        if access.is_partner:
            # A partner admin edits the portal fields of its own company, nothing else.
            allowed = services.PORTAL_FIELDS | services.PORTAL_ATTRIBUTES
            for name in [n for n in list(self.fields.keys()) if n not in allowed]:
                del self.fields[name]
            self.refusals = dict.fromkeys(
                [*self.Meta.fields, "status"],
                "Your partner manager changes this field; it cannot be edited here.",
            )
            return
        staff = queries.staff_users(access)
        self.fields["tier"].queryset = Tier.objects.all()  # type: ignore[attr-defined]
        self.fields["partner_manager"].queryset = staff  # type: ignore[attr-defined]
        self.fields["vendor_sponsor"].queryset = staff  # type: ignore[attr-defined]
        if "partner_sponsor" in self.fields:
            self.fields["partner_sponsor"].queryset = Contact.objects.filter(archived_at__isnull=True)  # type: ignore[attr-defined]

    def validate_logo(self, value: Any) -> Any:
        return "" if value is None else value


def split_attributes(validated: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validated partner data as the services take it: model fields, and attribute lists."""
    fields = dict(validated)
    attributes = {name: sorted(fields.pop(name)) for name in services.ATTRIBUTE_FIELDS if name in fields}
    return fields, attributes


class PartnerCreateSerializer(PartnerUpdateSerializer):
    status = serializers.ChoiceField(
        choices=Partner.Status.choices,
        default=Partner.Status.PROSPECT,
        help_text="Where in its lifecycle it starts.",
    )
    partner_sponsor: Any = None  # a new partner has no contacts to choose from yet

    refusals = {
        **PartnerUpdateSerializer.refusals,
        "partner_sponsor": "Add the partner's contacts first, then choose its executive sponsor.",
    }

    class Meta(PartnerUpdateSerializer.Meta):
        fields = [*(f for f in PartnerUpdateSerializer.Meta.fields if f != "partner_sponsor"), "status"]
        extra_kwargs = {"name": {"required": True}}


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Partner.Status.choices)
    reason = serializers.CharField(allow_blank=True, help_text="Why; kept in the partner's history.")


class ContactUpdateSerializer(StrictInputMixin, TenantModelSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        allow_null=True,
        required=False,
        help_text="The portal user this contact is, a member of the same partner.",
    )

    refusals = {"partner": "A contact stays with its partner; add a new contact to the other partner."}

    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "title", "role", "user"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if (access := _access(self)) is not None:
            members = Membership.objects.filter(tenant=access.tenant, partner__in=queries.partners(access))
            self.fields["user"].queryset = User.objects.filter(pk__in=members.values("user_id"))  # type: ignore[attr-defined]


class ContactCreateSerializer(ContactUpdateSerializer):
    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.none(),
        required=False,
        help_text="Required for staff; partner callers may leave it out (their own company).",
    )

    class Meta(ContactUpdateSerializer.Meta):
        fields = ["partner", *ContactUpdateSerializer.Meta.fields]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if (access := _access(self)) is not None:
            self.fields["partner"].queryset = queries.partners(access)  # type: ignore[attr-defined]


class CertificationUpdateSerializer(StrictInputMixin, TenantModelSerializer):
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(),
        allow_null=True,
        required=False,
        help_text="The person holding it (holder = person), a contact of the same partner.",
    )

    refusals = {"partner": "A certification stays with its partner."}

    class Meta:
        model = Certification
        fields = ["name", "level", "holder", "contact", "earned_on", "expires_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if (access := _access(self)) is not None:
            contacts = Contact.objects.filter(partner__in=queries.partners(access))
            self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]


class CertificationCreateSerializer(CertificationUpdateSerializer):
    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.none(),
        required=False,
        help_text="Required for staff; partner callers may leave it out (their own company).",
    )

    class Meta(CertificationUpdateSerializer.Meta):
        fields = ["partner", *CertificationUpdateSerializer.Meta.fields]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if (access := _access(self)) is not None:
            self.fields["partner"].queryset = queries.partners(access)  # type: ignore[attr-defined]


# --- filters -----------------------------------------------------------------------------------
