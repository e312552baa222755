"""Forms of the tiering pages. They parse input; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from partners.models import Tier
from prm import metrics
from prm.forms import TenantForm

from .models import Criterion, ReviewDecision, TieringSettings


class RatingForm(forms.Form):
    key = forms.ChoiceField(label="Criterion")
    value = forms.TypedChoiceField(
        label="Rating",
        coerce=int,
        choices=[
            (i, f"{i} – {t}") for i, t in enumerate(["poor", "weak", "fair", "good", "excellent"], start=1)
        ],
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["key"]).choices = [
            (c.key, c.label) for c in criteria if c.kind == Criterion.Kind.MANUAL
        ]


class ProposeForm(TenantForm):
    to_tier = forms.ModelChoiceField(label="Move to", queryset=Tier.objects.none())
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Why this partner should move."
    )

    def __init__(self, *args: Any, tiers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["to_tier"]).queryset = tiers


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="Required when rejecting."
    )
    cap_override_reason = forms.CharField(
        label="Strategic cap override (admins)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Only needed when the strategic cap is reached: say why this partner is worth going over it.",
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = TieringSettings
        fields = [
            "strategic_cap",
            "concentration_share",
            "tactical_auto_apply",
            "show_rating_comments_in_portal",
        ]


class TierForm(forms.ModelForm):
    class Meta:
        model = Tier
        fields = [
            "name",
            "benefits",
            "mdf_eligible",
            "rebate_eligible",
            "deal_protection_days",
            "min_score",
            "min_active_certifications",
            "min_revenue_ttm",
            "requires_signed_jbp",
        ]
        widgets = {"benefits": forms.Textarea(attrs={"rows": 3})}


class CriterionRowForm(forms.Form):
    key = forms.SlugField(max_length=40)
    label = forms.CharField(max_length=80)
    kind = forms.ChoiceField(choices=[("", "—"), *Criterion.Kind.choices])
    metric_key = forms.ChoiceField(required=False, label="Metric")
    normalisation = forms.ChoiceField(choices=[("", "—"), *Criterion.Normalisation.choices], required=False)
    target = forms.DecimalField(required=False, max_digits=16, decimal_places=4)
    weight = forms.IntegerField(min_value=1, max_value=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["metric_key"]).choices = [("", "—")] + [
            (m.key, m.label) for m in metrics.catalog()
        ]


CriteriaFormSet = forms.formset_factory(CriterionRowForm, extra=1, can_delete=True)


class OpenReviewForm(forms.Form):
    fiscal_year = forms.CharField(max_length=6, help_text="e.g. FY2027")


class ReviewDecisionForm(forms.Form):
    partner = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=ReviewDecision.Decision.choices)
    note = forms.CharField(required=False, max_length=500)


class CloseReviewForm(forms.Form):
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
