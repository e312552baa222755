"""Forms for partner pages (staff and portal). Choices come from the current tenant at request
time; the services do the real validation and the forms show their errors on the field."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from prm.domains import normalize_domain
from prm.forms import DATE_INPUT, ServiceValidatedModelForm
from prm.models import Membership, User

from .models import Certification, Contact, Partner, Tier
from .services import ATTRIBUTE_FIELDS, PORTAL_ATTRIBUTES, PORTAL_FIELDS
from .vocab import Motion, PartnerType, Region, Segment, Vertical

ATTRIBUTE_CHOICES = {
    "partner_types": ("Partner types", PartnerType.choices),
    "motions": ("Motions", Motion.choices),
    "regions": ("Regions covered", Region.choices),
    "verticals": ("Verticals", Vertical.choices),
    "segments": ("Customer segments", Segment.choices),
}


def _attribute_field(name: str) -> forms.MultipleChoiceField:
    label, choices = ATTRIBUTE_CHOICES[name]
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


def _blank_label(form: forms.BaseForm, name: str, label: str) -> None:
    """Name the empty choice of a select ("— not set —" instead of dashes)."""
    field = cast(forms.ChoiceField, form.fields[name])
    choices = list(field.choices)  # type: ignore[arg-type]  # stubs: choices may be a callable; here it is a list
    if choices and choices[0][0] in ("", None):
        field.choices = [("", label), *choices[1:]]


class ProfileForm(ServiceValidatedModelForm):
    """Forms on a partner's profile: unset country and size read "— not set —"; the partner's
    multi-valued attributes (types, motions, regions, ...) come back for the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("country", "company_size"):
            if name in self.fields:
                _blank_label(self, name, "— not set —")

    def attribute_values(self) -> dict[str, list[str]]:
        return {name: self.cleaned_data[name] for name in ATTRIBUTE_FIELDS if name in self.cleaned_data}


class PartnerForm(ProfileForm):
    """Everything staff set on a partner (status changes go through their own form)."""

    staff_references = frozenset({"partner_manager", "vendor_sponsor"})

    website = forms.URLField(required=False, assume_scheme="https")

    def clean_domain(self) -> str:
        # People paste addresses and e-mails; store the bare domain (validated afterwards).
        return normalize_domain(self.cleaned_data.get("domain", ""))

    partner_types = _attribute_field("partner_types")
    motions = _attribute_field("motions")
    regions = _attribute_field("regions")
    verticals = _attribute_field("verticals")
    segments = _attribute_field("segments")

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
            "join_date",
            "tier",
            "partner_manager",
            "vendor_sponsor",
            "partner_sponsor",
            "agreement_type",
            "agreement_start",
            "agreement_end",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "join_date": DATE_INPUT,
            "agreement_start": DATE_INPUT,
            "agreement_end": DATE_INPUT,
        }

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice("tier").queryset = Tier.objects.all()
        self.choice("tier").empty_label = "— no tier yet —"
        self.choice("partner_manager").queryset = staff
        self.choice("vendor_sponsor").queryset = staff
        sponsor_choices = Contact.objects.none()
        if self.instance.pk:
            sponsor_choices = Contact.objects.filter(partner_id=self.instance.pk, archived_at__isnull=True)
            for name in ATTRIBUTE_FIELDS:
                self.initial.setdefault(name, self.instance.values_of(ATTRIBUTE_FIELDS[name]))
        self.choice("partner_sponsor").queryset = sponsor_choices
        self.choice("partner_sponsor").help_text = "One of the partner's contacts (add contacts first)."
        for name in ("partner_manager", "vendor_sponsor"):
            self.choice(name).label_from_instance = _person_label  # type: ignore[method-assign,assignment]


def _person_label(user: User) -> str:
    return user.full_name or user.email


class PortalProfileForm(ProfileForm):
    """What a partner admin keeps current about its own company."""

    website = forms.URLField(required=False, assume_scheme="https")
    regions = _attribute_field("regions")
    verticals = _attribute_field("verticals")
    segments = _attribute_field("segments")

    class Meta:
        model = Partner
        fields = sorted(PORTAL_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    field_order = ["legal_name", "website", "country", "company_size", "description", "logo"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in PORTAL_ATTRIBUTES:
            self.initial.setdefault(name, self.instance.values_of(ATTRIBUTE_FIELDS[name]))


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(label="New status")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Kept in the partner's history."
    )

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = Partner.TRANSITIONS[partner.status]
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (v, label) for v, label in Partner.Status.choices if v in allowed
        ]


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Internal note",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Staff only; partners never see notes.",
    )


class ContactForm(ProfileForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "title", "role", "user"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.partner = partner
        portal_users = Membership.objects.filter(
            tenant_id=partner.tenant_id, partner_id=partner.pk, is_active=True
        ).values("user_id")
        self.choice("user").queryset = User.objects.filter(pk__in=portal_users).order_by("email")
        self.choice("user").empty_label = "— not a portal user —"
        self.fields["user"].required = False


class CertificationForm(ProfileForm):
    class Meta:
        model = Certification
        fields = ["name", "level", "holder", "contact", "earned_on", "expires_on"]
        widgets = {"earned_on": DATE_INPUT, "expires_on": DATE_INPUT}

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.partner = partner
        contact = self.choice("contact")
        contact.queryset = Contact.objects.filter(partner=partner, archived_at__isnull=True)
        contact.empty_label = "— the company holds it —"
        self.fields["contact"].help_text = "For a personal certification, the person who holds it."
