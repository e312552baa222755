"""Forms of the core pages, and the bases of every page form that offers rows to choose from.

``TenantForm`` and ``ServiceValidatedModelForm`` narrow each model choice field to the rows the
caller may reference (``prm.references``): once the form is built (whatever its ``__init__`` or
the view set as the queryset) and again before it validates. A user of another tenant, or for a
partner user another partner's contact, is neither offered nor accepted.
"""

from __future__ import annotations

import copy
from typing import Any, cast

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms.forms import DeclarativeFieldsMetaclass
from django.forms.models import ModelFormMetaclass

from .models import partner_model
from .permissions import PARTNER_ROLES, Role
from .references import referable
from .tenancy import require_current_tenant

# A date field as the browser's own date picker, ISO-formatted both ways.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def scope_choices(form: forms.BaseForm, staff_references: frozenset[str] = frozenset()) -> None:
    """Narrow every model choice field of ``form`` to the rows the caller may reference; the
    fields named in ``staff_references`` to staff members."""
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
            field.queryset = referable(field.queryset, staff=name in staff_references)


class _ScopesChoicesOnceBuilt(type):
    """Narrows the choices after the whole ``__init__`` chain ran (subclasses set querysets in
    their own ``__init__``, after the base's)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        form = super().__call__(*args, **kwargs)
        scope_choices(form, form.staff_references)
        return form


class _TenantFormMetaclass(_ScopesChoicesOnceBuilt, DeclarativeFieldsMetaclass):
    pass


class _TenantModelFormMetaclass(_TenantFormMetaclass, ModelFormMetaclass):
    pass


class _ScopedChoices:
    # Model choice fields limited to staff members (a plan's vendor owner), by name.
    staff_references: frozenset[str] = frozenset()

    def full_clean(self) -> None:
        # Again before validating: a view may have set a queryset after the form was built.
        scope_choices(cast(forms.BaseForm, self), self.staff_references)
        super().full_clean()  # type: ignore[misc]


class TenantForm(_ScopedChoices, forms.Form, metaclass=_TenantFormMetaclass):
    """The base of every page form with a model choice field (see the module docstring)."""


class ServiceValidatedModelForm(_ScopedChoices, forms.ModelForm, metaclass=_TenantModelFormMetaclass):  # type: ignore[type-arg]  # not subscriptable at run time
    """A ModelForm that edits a copy of the instance and leaves constraint checks to the service.

    The service receives the original row untouched, so its audit event has the true "before";
    the view shows the service's ``ValidationError`` on the fields it names.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("instance") is not None:
            kwargs["instance"] = copy.copy(kwargs["instance"])
        super().__init__(*args, **kwargs)

    def choice(self, name: str) -> forms.ModelChoiceField[Any]:
        """A model choice field of this form, typed (to set its queryset or empty label)."""
        return cast("forms.ModelChoiceField[Any]", self.fields[name])

    def validate_unique(self) -> None:
        pass  # the service checks uniqueness with a message that names the clash

    def changed_fields(self, allowed: frozenset[str] | list[str]) -> dict[str, Any]:
        """The submitted values the service may set. A ticked "Clear" box on a file field
        arrives as False and means: remove the file."""
        return {
            name: "" if self.cleaned_data[name] is False else self.cleaned_data[name]
            for name in allowed
            if name in self.cleaned_data
        }


def partner_choices(help_text: str) -> forms.ModelChoiceField[Any]:
    return forms.ModelChoiceField(
        queryset=partner_model()._default_manager.filter(tenant=require_current_tenant()).order_by("name"),
        required=False,
        empty_label="— none (staff role) —",
        help_text=help_text,
    )


class RoleAndPartnerForm(TenantForm):
    role = forms.ChoiceField(choices=Role.choices)
    partner_help = "Required for partner roles: the company this person works for."

    def __init__(
        self,
        *args: Any,
        roles: list[tuple[str, str]] | None = None,
        fixed_partner: Model | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if roles is not None:
            cast(forms.ChoiceField, self.fields["role"]).choices = roles
        self.fixed_partner = fixed_partner
        if fixed_partner is None:
            self.fields["partner"] = partner_choices(self.partner_help)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns (typed Optional for overrides)
        role = data.get("role")
        partner = self.fixed_partner or data.get("partner")
        if role in PARTNER_ROLES and partner is None:
            self.add_error("partner", "A partner role must name the partner company.")
        if role and role not in PARTNER_ROLES and partner is not None:
            self.add_error("partner", "Leave this empty for staff roles.")
        data["partner_id"] = partner.pk if partner is not None else None
        return data


class InvitationForm(RoleAndPartnerForm):
    email = forms.EmailField(label="E-mail address")
    field_order = ["email", "role", "partner"]


class ApiKeyForm(RoleAndPartnerForm):
    name = forms.CharField(max_length=100, help_text="What the key is for, e.g. “CRM sync”.")
    partner_help = "Required for partner roles: the only partner whose data the key can reach."
    field_order = ["name", "role", "partner"]


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, required=False, label="Your name")
    password1 = forms.CharField(
        label="Password", widget=forms.PasswordInput, required=False, help_text="At least 10 characters."
    )
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, required=False)
    use_codes = forms.BooleanField(
        required=False, label="No password: I will sign in with codes sent to my e-mail"
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns (typed Optional for overrides)
        if data.get("use_codes"):
            return data
        p1, p2 = data.get("password1"), data.get("password2")
        if not p1:
            self.add_error("password1", "Choose a password, or tick the box to sign in with e-mailed codes.")
        elif p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        else:
            try:
                validate_password(p1)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


# --- closing fiscal quarters ---------------------------------------------------------------------


class QuarterCloseForm(forms.Form):
    quarter = forms.CharField(widget=forms.HiddenInput, max_length=12)
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For the record, e.g. “rebate statements approved”.",
    )


class QuarterReopenForm(forms.Form):
    quarter = forms.CharField(widget=forms.HiddenInput, max_length=12)
    reason = forms.CharField(
        label="Why reopen it",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the quarter is reopened; the audit trail keeps it."},
    )


class LateEntriesForm(forms.Form):
    late_entries = forms.ChoiceField(
        label="An entry dated in a closed quarter",
        choices=[
            ("refuse", "Refuse it: the date must be in an open quarter"),
            ("adjust", "Book it as an adjustment in the first open quarter, with a reason"),
        ],
        widget=forms.RadioSelect,
    )
