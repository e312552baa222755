"""Forms of the registration desk (staff pages and portal). They parse and show errors on the
field; the services hold the rules (conflicts, status machine, who may do what)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from partners.models import Partner
from prm import closing
from prm.domains import normalize_domain
from prm.forms import DATE_INPUT, ServiceValidatedModelForm, TenantForm
from prm.models import Tenant, User
from prm.money import accepted_currencies

from .models import Account, DealRegistration, RevenueImport
from .services import REGISTRATION_FIELDS

Status = DealRegistration.Status

STATUS_TABS = [
    (Status.SUBMITTED.value, "Pending"),
    (Status.APPROVED.value, "Approved"),
    (Status.WON.value, "Won"),
    (Status.LOST.value, "Lost"),
    (Status.REJECTED.value, "Rejected"),
    (Status.EXPIRED.value, "Expired"),
    ("all", "All"),
]


class RegistrationForm(ServiceValidatedModelForm):
    """A deal registration: the customer (found or created by the service) and the opportunity.

    With ``partners`` (staff registering on a partner's behalf) the form asks which partner.
    """

    account_name = forms.CharField(label="Customer name", max_length=200)
    account_domain = forms.CharField(
        label="Customer's web domain",
        max_length=253,
        required=False,
        help_text="For example acme.com. The domain is how registrations for the same customer are matched.",
    )
    currency = forms.ChoiceField()

    class Meta:
        model = DealRegistration
        fields = REGISTRATION_FIELDS
        widgets = {
            "expected_close_date": DATE_INPUT,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "partner_role": forms.RadioSelect,
            "amount": forms.NumberInput(attrs={"min": "0", "step": "0.01", "inputmode": "decimal"}),
        }
        labels = {
            "partner_role": "Your role in this deal",
            "amount": "Estimated amount",
            "customer_contact_name": "Contact at the customer",
            "customer_contact_email": "Their e-mail",
        }
        help_texts = {"notes": "Anything the program team should know to decide quickly."}

    def __init__(
        self, *args: Any, tenant: Tenant, partners: QuerySet[Partner] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        currencies = accepted_currencies(tenant)
        currency = cast(forms.ChoiceField, self.fields["currency"])
        currency.choices = [(c, c) for c in currencies]
        self.initial.setdefault("currency", tenant.currency)
        if partners is not None:
            self.fields["partner"] = forms.ModelChoiceField(
                queryset=partners, label="Partner", empty_label="— choose the partner —"
            )
            self.fields["partner_role"].label = "The partner's role in this deal"
            self.order_fields(["partner", "account_name", "account_domain"])

    def clean_account_domain(self) -> str:
        # People paste addresses and e-mails; the service matches on the bare domain.
        return normalize_domain(self.cleaned_data.get("account_domain", ""))

    def registration_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in REGISTRATION_FIELDS if name in self.cleaned_data}


class PrecheckForm(forms.Form):
    account_name = forms.CharField(max_length=200, required=False)
    account_domain = forms.CharField(max_length=253, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("account_name") or "").strip() and not (data.get("account_domain") or "").strip():
            raise forms.ValidationError("Type the customer's name or domain first.")
        data["account_domain"] = normalize_domain(data.get("account_domain") or "")
        return data


class PartnerByNameField(forms.ModelChoiceField):
    """A partner picked by typing its name (or given by id, as links do), from a text input: a
    tenant with thousands of partners cannot send them all as ``<option>``s. The page suggests
    names as one types (``data-suggest``); without JavaScript the exact name works."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> Partner | None:
        value = (value or "").strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        if isinstance(value, int) or str(value).isdigit():
            return cast(Partner | None, super().to_python(value))
        matches = list(self.queryset.filter(name__iexact=value)[:2])  # type: ignore[union-attr]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise forms.ValidationError(
                f"Several partners are named “{value}”: pick one from the suggestions.", code="ambiguous"
            )
        raise forms.ValidationError(f"No partner is named “{value}”.", code="invalid_choice")


class QueueFilterForm(TenantForm):
    """The desk's filters, read from the URL."""

    status = forms.ChoiceField(choices=STATUS_TABS, required=False)
    q = forms.CharField(label="Search", required=False, max_length=100)
    partner = PartnerByNameField(queryset=Partner.objects.none(), required=False)
    role = forms.ChoiceField(
        label="Partner role",
        choices=[("", "Sourced or influenced"), *((v, v.capitalize()) for v in DealRegistration.Role.values)],
        required=False,
    )
    conflict_only = forms.BooleanField(label="Conflicts only", required=False)
    overdue_only = forms.BooleanField(label="Past the SLA only", required=False)

    def __init__(self, *args: Any, partners: QuerySet[Partner], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["partner"]).queryset = partners

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid one is dropped and shown on its field)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}

    def partner_label(self) -> str:
        """What the partner box shows: the chosen partner's name, else what was typed."""
        partner = self.filters().get("partner")
        if partner is not None:
            return str(partner.name)
        return str(self["partner"].value() or "")


class BulkDecisionForm(TenantForm):
    """Decide several pending registrations at once, with one reason."""

    ACTIONS = [("approve", "Approve"), ("reject", "Reject")]

    registrations = forms.ModelMultipleChoiceField(
        queryset=DealRegistration.objects.none(),
        error_messages={"required": "Tick the registrations to decide first."},
    )
    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(
        label="Reason (for rejections)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The partner reads it.",
    )
    reject_conflicting_reason = forms.CharField(
        label="Reason to reject conflicting registrations",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when approving registrations that conflict: the other partners' open registrations "
        "on the same customer are rejected with this reason.",
    )

    def __init__(self, *args: Any, visible: QuerySet[DealRegistration], **kwargs: Any) -> None:
        # Any visible registration may be ticked: one decided meanwhile is refused by the
        # service with a message on its row, not by the form for the whole batch.
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["registrations"]).queryset = visible

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why they are rejected; the partners read it.")
        return data


class ApproveForm(forms.Form):
    reject_conflicting_reason = forms.CharField(
        label="Why the conflicting registrations are rejected",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Approving this one rejects the other open registrations on this customer; their partners read this.",
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The partner reads it.",
        error_messages={"required": "Say why; the partner reads it."},
    )


class CloseForm(forms.Form):
    """Record the outcome of an approved (or expired) deal."""

    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("won", "Won"), ("lost", "Lost")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose won or lost."},
    )
    closed_on = forms.DateField(label="Closed on", widget=DATE_INPUT)
    amount = forms.DecimalField(
        label="Final amount",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="For a won deal: what it was won for, in the registration's currency.",
        widget=forms.NumberInput(attrs={"min": "0", "step": "0.01", "inputmode": "decimal"}),
    )
    create_booking = forms.BooleanField(
        label="Book as revenue (a new recurring revenue record attributed to the partner)", required=False
    )
    adjustment_reason = forms.CharField(
        label="Reason for a late entry",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the close date falls in a closed quarter and the program books late "
        "entries as adjustments: why it comes late.",
    )

    def __init__(self, *args: Any, registration: DealRegistration, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"closed_on": timezone.localdate(), "amount": registration.amount})
        super().__init__(*args, **kwargs)
        # Which quarters are closed, where the date is typed (empty when none is).
        self.fields["closed_on"].help_text = closing.date_help(registration.tenant)
        if closing.late_entries(registration.tenant) != closing.LateEntries.ADJUST:
            del self.fields["adjustment_reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == "lost" and data.get("create_booking"):
            self.add_error("create_booking", "Only a won deal can be booked as revenue.")
        return data


class AssignRepForm(TenantForm):
    staff_references = frozenset({"sales_rep"})
    sales_rep = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Vendor sales rep", empty_label="— nobody —"
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["sales_rep"])
        field.queryset = staff
        field.label_from_instance = _person_label  # type: ignore[method-assign,assignment]


def _person_label(user: User) -> str:
    return user.full_name or user.email


class ExtensionRequestForm(forms.Form):
    reason = forms.CharField(
        label="Why the deal needs more time",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the deal needs more time."},
    )


class AccountSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    include_merged = forms.BooleanField(label="Include merged duplicates", required=False)


class AccountMergeForm(TenantForm):
    into = forms.ModelChoiceField(
        queryset=Account.objects.none(),
        label="Merge into",
        empty_label="— choose the account to keep —",
        error_messages={"required": "Choose the account to keep."},
    )

    def __init__(self, *args: Any, targets: QuerySet[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["into"]).queryset = targets


class RevenueUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="UTF-8 CSV with a header row, up to 5 MB and 20,000 rows."
    )


class RevenueApplyForm(forms.Form):
    mode = forms.ChoiceField(choices=RevenueImport.Mode.choices)


class RevenueFilterForm(TenantForm):
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(), required=False, empty_label="All partners"
    )
    direct = forms.BooleanField(required=False, label="Direct only")
    month_from = forms.DateField(required=False, input_formats=["%Y-%m"], label="From month")
    month_to = forms.DateField(required=False, input_formats=["%Y-%m"], label="To month")

    def __init__(self, *args: Any, partners: QuerySet[Partner], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["partner"]).queryset = partners
