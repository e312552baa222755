"""Forms of the incentive pages: they parse input; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

import prm.metrics
from partners.models import Partner, Tier
from prm.forms import TenantForm

from .eligibility import MDF, REBATE, Flag, check_listed_tiers, eligible_tiers
from .models import ActivityType, Allocation, RebateProgram
from .services import proof_max_bytes

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the claim service (type and size)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.pptx"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


def _offer_eligible_tiers(field: forms.Field, tiers: Any, flag: Flag) -> None:
    """Offer only the tiers carrying ``flag``; a posted tier without it is refused by
    ``incentives.eligibility.check_listed_tiers`` with a message naming it (not "invalid choice")."""
    field = cast(forms.ModelMultipleChoiceField, field)
    field.queryset = tiers
    field.choices = [(t.pk, t.name) for t in eligible_tiers(flag, tiers)]
    # Run on the posted primary keys (already checked to be tiers of the program).
    field.validators.append(lambda chosen: check_listed_tiers(flag, [int(pk) for pk in chosen], field=None))


class FundForm(TenantForm):
    name = forms.CharField(max_length=120)
    period = forms.CharField(max_length=10, help_text="A fiscal quarter or year, e.g. FY2026-Q3.")
    budget = forms.DecimalField(**MONEY)
    claim_deadline = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    eligible_tiers = forms.ModelMultipleChoiceField(
        queryset=Tier.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only MDF-eligible tiers are offered. None ticked: every active partner whose tier is MDF eligible.",
    )

    def __init__(self, *args: Any, tiers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer_eligible_tiers(self.fields["eligible_tiers"], tiers, MDF)
        self.tiers = list(eligible_tiers(MDF, tiers))
        for tier in self.tiers:
            self.fields[f"tier_amount_{tier.pk}"] = forms.DecimalField(
                label=f"{tier.name}: amount per partner",
                required=False,
                **MONEY,
                help_text="Programmatic allocation rule (optional).",
            )

    def tier_amounts(self) -> dict[int | str, Any]:
        return {
            t.pk: self.cleaned_data[f"tier_amount_{t.pk}"]
            for t in self.tiers
            if self.cleaned_data.get(f"tier_amount_{t.pk}")
        }


class FundEditForm(forms.Form):
    budget = forms.DecimalField(**MONEY)
    claim_deadline = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class AllocationForm(TenantForm):
    partner = forms.ModelChoiceField(queryset=Partner.objects.none())
    amount = forms.DecimalField(**MONEY)
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, partners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["partner"]).queryset = partners


def _allocation_label(a: Allocation) -> str:
    fund = a.fund
    return f"{fund} — {a.available:,.2f} {fund.currency} available, claim by {fund.claim_deadline:%d %b %Y}"


class FundRequestForm(TenantForm):
    allocation = forms.ModelChoiceField(queryset=Allocation.objects.none(), label="Fund", empty_label=None)
    activity_type = forms.ChoiceField(choices=ActivityType.choices)
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    starts_on = forms.DateField(label="Activity starts", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Activity ends", widget=forms.DateInput(attrs={"type": "date"}))
    requested_amount = forms.DecimalField(label="Requested amount", **MONEY)
    expected_leads = forms.IntegerField(min_value=0, initial=0)
    expected_pipeline = forms.DecimalField(label="Expected pipeline", required=False, **MONEY)

    def __init__(self, *args: Any, allocations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["allocation"]).queryset = allocations
        field = cast(forms.ModelChoiceField, self.fields["allocation"])
        field.label_from_instance = _allocation_label  # type: ignore[method-assign,assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "The activity cannot end before it starts.")
        return data

    def request_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("allocation")
        return data


class DecideRequestForm(forms.Form):
    amount = forms.DecimalField(required=False, help_text="Leave empty to approve the full amount.", **MONEY)
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class ClaimForm(forms.Form):
    actual_cost = forms.DecimalField(label="Actual cost", **MONEY)
    amount = forms.DecimalField(
        label="Amount claimed",
        required=False,
        help_text="Empty: the actual cost, up to the approved amount.",
        **MONEY,
    )
    leads = forms.IntegerField(label="Leads generated", min_value=0, initial=0)
    pipeline_sourced = forms.DecimalField(label="Pipeline sourced", required=False, **MONEY)
    registrations = forms.MultipleChoiceField(
        label="Deal registrations from this activity", required=False, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    proof = MultipleFileField(
        label="Proof of performance",
        help_text="Invoices, photos, reports: PDF, PNG, JPEG, DOCX, XLSX or PPTX.",
    )

    def __init__(self, *args: Any, registrations: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = proof_max_bytes()
        self.fields["proof"].help_text += f" Each file at most {limit / 1048576:g} MB."
        registrations = list(registrations)
        if not registrations:
            del self.fields["registrations"]
            return
        cast(forms.ChoiceField, self.fields["registrations"]).choices = [
            (r.pk, f"{r.opportunity_name} ({r.amount:,.0f})") for r in registrations
        ]

    def claim_fields(self) -> dict[str, Any]:
        return {
            k: self.cleaned_data[k] for k in ("actual_cost", "amount", "leads", "pipeline_sourced", "notes")
        }

    def registration_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data.get("registrations") or []]


class ApproveClaimForm(forms.Form):
    amount = forms.DecimalField(
        required=False, help_text="Leave empty to approve the amount claimed.", **MONEY
    )


class PayoutForm(forms.Form):
    reference = forms.CharField(max_length=100, label="Payment reference")
    paid_on = forms.DateField(
        label="Paid on", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    amount = forms.DecimalField(required=False, help_text="Leave empty to pay what is outstanding.", **MONEY)


class RebateProgramForm(TenantForm):
    name = forms.CharField(max_length=120)
    period = forms.CharField(max_length=10, help_text="A fiscal quarter or year, e.g. FY2026-Q3.")
    basis_metric = forms.ChoiceField(label="Basis")
    method = forms.ChoiceField(choices=RebateProgram.Method.choices, widget=forms.RadioSelect)
    bands = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One band per line: threshold, rate in %. For example “0, 1” then “100000, 2”.",
    )
    eligible_tiers = forms.ModelMultipleChoiceField(
        queryset=Tier.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only rebate-eligible tiers are offered. None ticked: every active partner whose tier is rebate eligible.",
    )
    accelerator_rate = forms.DecimalField(
        label="Accelerator (percentage points)",
        required=False,
        max_digits=6,
        decimal_places=3,
        min_value=0,
        help_text="Added when the partner's JBP revenue target is attained.",
    )
    accelerator_attainment = forms.DecimalField(
        label="Attainment that earns it",
        initial="1.0",
        max_digits=6,
        decimal_places=4,
        min_value=0,
        help_text="1.0 = 100 % of the plan's revenue target.",
    )
    cap = forms.DecimalField(required=False, help_text="Most a partner can earn in the period.", **MONEY)

    def __init__(self, *args: Any, tiers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer_eligible_tiers(self.fields["eligible_tiers"], tiers, REBATE)
        cast(forms.ChoiceField, self.fields["basis_metric"]).choices = [
            (m.key, m.label)
            for m in prm.metrics.catalog()
            if m.unit == prm.metrics.Unit.MONEY and not m.key.startswith(("mdf_", "rebate_"))
        ]

    def clean_bands(self) -> list[dict[str, str]]:
        rows = []
        for number, line in enumerate(self.cleaned_data["bands"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip().replace(" ", "") for p in line.replace(";", ",").split(",")]
            if len(parts) != 2:
                raise ValidationError(f"Line {number}: write “threshold, rate”, e.g. “100000, 2”.")
            rows.append({"threshold": parts[0], "rate": parts[1]})
        return rows


class StatementPayForm(forms.Form):
    reference = forms.CharField(max_length=100, label="Payment reference")
    paid_on = forms.DateField(
        label="Paid on", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
