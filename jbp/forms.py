"""Forms of joint business plans (staff pages and portal). They parse and show errors on the
field; the services hold the rules (workflow, amendments, who may edit which side)."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms

import prm.metrics
from partners.models import Contact, Partner
from prm.forms import DATE_INPUT, ServiceValidatedModelForm, TenantForm
from prm.models import User
from prm.permissions import STAFF_ROLES

from .models import Activity, Investment, Plan, Review, Side, Target
from .services import ACTIVITY_FIELDS, INVESTMENT_FIELDS, PLAN_FIELDS, TARGET_FIELDS, NewActionItem

QUARTER_CHOICES = [("", "Full year"), *[(q, f"Q{q}") for q in range(1, 5)]]
MONEY_INPUT = forms.NumberInput(attrs={"min": "0", "step": "0.01", "inputmode": "decimal"})


def staff_users(tenant: Any) -> Any:
    return (
        User.objects.filter(
            memberships__tenant=tenant, memberships__is_active=True, memberships__role__in=sorted(STAFF_ROLES)
        )
        .order_by("full_name", "email")
        .distinct()
    )


class AmendmentMixin(forms.Form):
    """Adds "What changes and why" when the plan is active (an amendment needs it)."""

    def add_change_summary(self, plan: Plan) -> None:
        if plan.status == Plan.Status.ACTIVE:
            self.fields["change_summary"] = forms.CharField(
                label="Amendment: what changes and why",
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="The plan is signed: this change becomes a new version with this summary.",
            )

    @property
    def change_summary(self) -> str:
        return self.cleaned_data.get("change_summary", "")


class PlanCreateForm(TenantForm):
    partner = forms.ModelChoiceField(queryset=Partner.objects.none(), label="Partner")
    fiscal_year = forms.IntegerField(
        label="Fiscal year", min_value=2000, max_value=2100, help_text="For example 2027 for FY2027."
    )

    def __init__(self, *args: Any, fiscal_year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partners = Partner.objects.filter(archived_at__isnull=True).select_related("tier").order_by("name")
        cast(forms.ModelChoiceField, self.fields["partner"]).queryset = partners
        self.fields["fiscal_year"].initial = fiscal_year


class PlanForm(AmendmentMixin, ServiceValidatedModelForm):
    staff_references = frozenset({"vendor_owner", "vendor_sponsor"})

    class Meta:
        model = Plan
        fields = PLAN_FIELDS
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "objectives": forms.Textarea(attrs={"rows": 4}),
            "next_review_on": DATE_INPUT,
        }

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, instance=plan, **kwargs)
        users = staff_users(plan.tenant)
        self.choice("vendor_owner").queryset = users
        self.choice("vendor_sponsor").queryset = users
        contacts = Contact.objects.filter(partner_id=plan.partner_id, archived_at__isnull=True).order_by(
            "name"
        )
        self.choice("partner_owner").queryset = contacts
        self.choice("partner_sponsor").queryset = contacts
        self.add_change_summary(plan)


class TargetForm(AmendmentMixin, ServiceValidatedModelForm):
    quarter = forms.TypedChoiceField(choices=QUARTER_CHOICES, coerce=int, empty_value=None, required=False)

    class Meta:
        model = Target
        fields = TARGET_FIELDS
        labels = {"metric_key": "Metric (for other targets)"}
        help_texts = {
            "value": "Money in the reporting currency; ratios as a fraction (0.25 for 25 %); counts as numbers."
        }

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric_key"] = forms.ChoiceField(
            label="Metric (for other targets)",
            required=False,
            choices=[("", "— revenue or pipeline: set by the kind —")]
            + [(m.key, m.label) for m in prm.metrics.catalog() if not m.key.startswith("jbp_")],
        )
        self.add_change_summary(plan)


class InvestmentForm(AmendmentMixin, ServiceValidatedModelForm):
    quarter = forms.TypedChoiceField(choices=QUARTER_CHOICES, coerce=int, empty_value=None, required=False)

    class Meta:
        model = Investment
        fields = INVESTMENT_FIELDS
        widgets = {"amount": MONEY_INPUT, "delivered_amount": MONEY_INPUT}

    def __init__(self, *args: Any, plan: Plan, partner_side: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if partner_side:
            self.fields["side"].choices = [(Side.PARTNER.value, Side.PARTNER.label)]  # type: ignore[attr-defined]
            self.fields["side"].initial = Side.PARTNER
        self.add_change_summary(plan)


class ActivityForm(AmendmentMixin, ServiceValidatedModelForm):
    class Meta:
        model = Activity
        fields = ACTIVITY_FIELDS
        widgets = {"budget": MONEY_INPUT}

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_change_summary(plan)


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class CompareForm(forms.Form):
    a = forms.IntegerField(label="Earlier version", min_value=1)
    b = forms.IntegerField(label="Later version", min_value=1)


ACTION_ROWS = 3


class ReviewForm(ServiceValidatedModelForm):
    """A review and up to three new action items (title, side, owner, due date) per submission."""

    quarter = forms.TypedChoiceField(choices=[(q, f"Q{q}") for q in range(1, 5)], coerce=int)

    class Meta:
        model = Review
        fields = ["quarter", "held_on", "vendor_attendees", "partner_attendees", "notes", "decisions"]
        widgets = {
            "held_on": DATE_INPUT,
            "vendor_attendees": forms.Textarea(attrs={"rows": 2}),
            "partner_attendees": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 4}),
            "decisions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = staff_users(plan.tenant)
        partner_people = User.objects.filter(
            memberships__tenant=plan.tenant,
            memberships__partner_id=plan.partner_id,
            memberships__is_active=True,
        ).distinct()
        people = (
            [("", "— the side's plan owner —")]
            + [(u.pk, f"{u} (vendor)") for u in owners]
            + [(u.pk, f"{u} (partner)") for u in partner_people]
        )
        for i in range(ACTION_ROWS):
            self.fields[f"action_{i}_title"] = forms.CharField(
                label="Action item", max_length=200, required=False
            )
            self.fields[f"action_{i}_side"] = forms.ChoiceField(
                label="Side", choices=Side.choices, initial=Side.PARTNER
            )
            self.fields[f"action_{i}_owner_name"] = forms.CharField(
                label="Owner", max_length=120, required=False
            )
            self.fields[f"action_{i}_owner"] = forms.TypedChoiceField(
                label="Remind", choices=people, coerce=int, empty_value=None, required=False
            )
            self.fields[f"action_{i}_due"] = forms.DateField(label="Due", required=False, widget=DATE_INPUT)

    def action_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"action_{i}_{part}"] for part in ("title", "side", "owner_name", "owner", "due")]
            for i in range(ACTION_ROWS)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(ACTION_ROWS):
            if data.get(f"action_{i}_title"):
                if not data.get(f"action_{i}_owner_name"):
                    self.add_error(f"action_{i}_owner_name", "Name who owns this action.")
                if not data.get(f"action_{i}_due"):
                    self.add_error(f"action_{i}_due", "Give a due date.")
        return data

    def review_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def new_action_items(self) -> list[NewActionItem]:
        items = []
        for i in range(ACTION_ROWS):
            title = self.cleaned_data.get(f"action_{i}_title")
            if title:
                due: date = self.cleaned_data[f"action_{i}_due"]
                items.append(
                    NewActionItem(
                        title,
                        self.cleaned_data[f"action_{i}_side"],
                        self.cleaned_data[f"action_{i}_owner_name"],
                        due,
                        self.cleaned_data.get(f"action_{i}_owner"),
                    )
                )
        return items
