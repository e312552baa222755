"""Every field that names another row refuses a row the caller may not reference, generated from
the OpenAPI schema (API) and from the project's form classes (pages).

API: for every POST/PUT/PATCH operation, drf-spectacular's generator gives the request serializer;
every writable related field in it (nested ones too) and every ``BatchReferenceId`` is a reference
field. Sending the id of a row of that model in another tenant (and, for a partner caller and a
row that belongs to a partner, of another partner of the same tenant) must answer 400 naming the
field, with the same message as an id that exists nowhere; the caller's own row must not be
refused on that field (a positive control: the field is not simply closed).

Pages: every form class of the project is built (with constructor arguments from
``FORM_KWARGS``; querysets handed in are every tenant's rows, as a careless view might hand them),
and every model choice field must neither offer nor accept another tenant's row (nor, for a
partner user, another partner's), while accepting one of the caller's own.

New fields, serializers, operations and forms join without anyone editing this file; a field
whose model has no row in the isolation world, or a form argument the test cannot build, fails
with a message saying what to add.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.http import QueryDict
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, RelatedField

from incentives.models import Allocation
from jbp.models import Plan
from jbp.services import reminders_due
from partners.models import Partner, Tier
from pipeline.models import Account, DealRegistration
from prm.access import TenantAccess, acting_as
from prm.api import BatchReferenceId
from prm.models import User
from prm.permissions import PARTNER_ROLES, Role
from prm.references import partner_lookup
from prm.services import api_key_create_by_operator
from prm.tenancy import tenant_context

from .routes import ApiOperation
from .test_isolation_matrix import IsolationWorld, isolation_world

# Writable integer fields that are plain numbers, not ids of rows. Any other integer field of a
# request body must be a reference field (``prm.api.ReferenceId`` or ``BatchReferenceId``).
PLAIN_NUMBERS = frozenset(
    {
        "fiscal_year",
        "quarter",
        "leads",
        "expected_leads",
        "quantity",
        "value",
        "deal_protection_days",
        "min_active_certifications",
        "weight",
    }
)

# Staff callers are tried in this order; the first the operation does not refuse (403) is used.
STAFF_CALLERS = (Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.EXECUTIVE)
PARTNER_CALLER = Role.PARTNER_ADMIN


# --- the API's reference fields ----------------------------------------------------------------


@dataclass(frozen=True)
class ApiReference:
    operation: ApiOperation
    path: tuple[str, ...]  # keys into the body; "[]" for the first element of a list
    model: type
    many: bool
    serializer: serializers.BaseSerializer

    def body(self, value: int, own: Callable[[type], int]) -> Any:
        """An otherwise valid body (every other required field filled in) with ``value`` here."""
        partial = self.operation.method == "patch"
        return _valid(self.serializer, own, partial, {self.path: [value] if self.many else value})

    def errors_in(self, answer: Any) -> Any:
        """The errors the answer gives for this field (``None`` when it names none)."""
        node = answer
        parts = list(self.path)
        while parts:
            part = parts.pop(0)
            if part == "[]" and isinstance(node, dict) and "0" not in node and parts:
                # Batches name the row in the key: {"row 1: account": [...]}.
                part = f"row 1: {parts.pop(0)}"
            if part == "[]":
                if isinstance(node, dict) and "0" in node:  # a list field's errors, by index
                    node = node["0"]
                elif isinstance(node, list) and node:
                    node = node[0]
                else:
                    return None
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return None
        return node or None

    def __str__(self) -> str:
        return f"{self.operation} {'.'.join(self.path)}"


def _request_serializer(view: Any, path: str, path_regex: str, method: str) -> Any:
    schema = view.schema
    schema.method, schema.path, schema.path_regex = method.upper(), path, path_regex
    found = schema.get_request_serializer()
    if isinstance(found, dict):  # {media type: serializer}
        found = next(iter(found.values()), None)
    if isinstance(found, type):
        found = found()
    return found if isinstance(found, serializers.BaseSerializer) else None


def _valid(
    serializer: Any, own: Callable[[type], int], partial: bool, chosen: dict, prefix: tuple = ()
) -> Any:
    """A value for every required field of ``serializer`` (every field named in ``chosen`` too),
    each as its type wants it; references name the caller's own rows."""
    if isinstance(serializer, serializers.ListSerializer):
        return [_valid(serializer.child, own, partial, chosen, (*prefix, "[]"))]
    body = {}
    for name, field in serializer.fields.items():
        path = (*prefix, name)
        if path in chosen:
            body[name] = chosen[path]
        elif field.read_only or (
            not any(p[: len(path)] == path for p in chosen) and (partial or not field.required)
        ):
            continue
        elif isinstance(field, serializers.BaseSerializer):
            body[name] = _valid(field, own, partial, chosen, path)
        else:
            body[name] = _value(field, own)
    return body


def _value(field: Any, own: Callable[[type], int]) -> Any:
    today = timezone.localdate()
    if isinstance(field, ManyRelatedField):
        return [own(field.child_relation.queryset.model)]
    if isinstance(field, RelatedField):
        return own(field.queryset.model)
    if isinstance(field, BatchReferenceId):
        return own(field.model)
    if isinstance(field, serializers.MultipleChoiceField):
        return [next(iter(field.choices))]
    if isinstance(field, serializers.ChoiceField):
        return next(iter(field.choices))
    if isinstance(field, serializers.BooleanField):
        return False
    if isinstance(field, serializers.EmailField):
        return "someone@alpha.example"
    if isinstance(field, serializers.URLField):
        return "https://alpha.example"
    if isinstance(field, serializers.DateTimeField):
        return timezone.now().isoformat()
    if isinstance(field, serializers.DateField):
        return today.isoformat()
    if isinstance(field, serializers.DecimalField):
        return "1.00"
    if isinstance(field, serializers.IntegerField):
        return max(field.min_value or 1, 1)
    if isinstance(field, serializers.ListField):
        return []
    if isinstance(field, serializers.DictField | serializers.JSONField):
        return {}
    return "Test"


def _fields(serializer: serializers.BaseSerializer, prefix: tuple[str, ...] = ()) -> Iterator[tuple]:
    """(path, field) of every writable leaf field, nested serializers walked."""
    if isinstance(serializer, serializers.ListSerializer):
        yield from _fields(serializer.child, (*prefix, "[]"))
        return
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.BaseSerializer):
            yield from _fields(field, (*prefix, name))
        else:
            yield (*prefix, name), field


def _write_bodies() -> Iterator[tuple[ApiOperation, serializers.BaseSerializer]]:
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    for path, path_regex, method, view in generator._get_paths_and_endpoints():
        if "{tenant_slug}" not in path or method.lower() not in {"post", "put", "patch"}:
            continue
        serializer = _request_serializer(view, path, path_regex, method)
        if serializer is not None:
            yield ApiOperation(path=path, method=method.lower()), serializer


def _is_integer(field: serializers.Field) -> bool:
    if isinstance(field, serializers.ListField):
        field = field.child
    return isinstance(field, serializers.IntegerField)


def api_references() -> tuple[list[ApiReference], list[str]]:
    """Every reference field of every write operation, and the integer fields that are neither
    a reference nor a declared plain number."""
    references, unclassified = [], []
    for operation, serializer in _write_bodies():
        for path, field in _fields(serializer):
            if isinstance(field, ManyRelatedField):
                model = field.child_relation.queryset.model
                references.append(ApiReference(operation, path, model, True, serializer))
            elif isinstance(field, RelatedField):
                references.append(ApiReference(operation, path, field.queryset.model, False, serializer))
            elif isinstance(field, BatchReferenceId):
                references.append(ApiReference(operation, path, field.model, False, serializer))
            elif _is_integer(field) and path[-1] not in PLAIN_NUMBERS:
                unclassified.append(f"{operation} {'.'.join(path)}")
    return sorted(references, key=str), unclassified


API_REFERENCES, UNCLASSIFIED_INTEGERS = api_references()


def test_the_api_has_reference_fields_to_check():
    assert len(API_REFERENCES) >= 30
    assert any(r.model is User for r in API_REFERENCES)


def test_every_id_in_a_request_body_is_a_reference_field():
    assert not UNCLASSIFIED_INTEGERS, (
        "These integer fields are neither reference fields nor plain numbers: declare an id with "
        "prm.api.ReferenceId(Model) (or BatchReferenceId), or add a plain number's name to PLAIN_NUMBERS "
        f"in tests/security/test_foreign_references.py: {UNCLASSIFIED_INTEGERS}"
    )


# --- the world ---------------------------------------------------------------------------------


@dataclass
class ReferenceWorld:
    iso: IsolationWorld
    keys: dict[str, str]  # role → secret of an ALPHA API key with that role

    def own(self, model: type, *, partner_caller: bool = False) -> list[int]:
        """Ids of the caller's own rows of ``model`` that a field may well accept."""
        a = self.iso.a
        if issubclass(model, User):
            roles = PARTNER_ROLES if partner_caller else (Role.MANAGER, Role.ADMIN, Role.PARTNER_ADMIN)
            return [a.user(role).pk for role in roles]
        return [self.iso.object_id("own", model)]

    def foreign(self, model: type) -> int:
        """A row of ``model`` in BRAVO (for users: BRAVO's admin, who is no member of ALPHA)."""
        if issubclass(model, User):
            return self.iso.b.user(Role.ADMIN).pk
        return self.iso.object_id("foreign", model)

    def other_partners(self, model: type) -> int | None:
        """A row of ``model`` of ALPHA's other partner, or ``None`` when rows of the model belong
        to no partner (tiers, funds)."""
        if issubclass(model, User):
            return self.iso.a.user("other_partner_user").pk
        if partner_lookup(model) is None:
            return None
        return self.iso.object_id("other_partner", model)

    @staticmethod
    def missing(model: type) -> int:
        """An id no row of ``model`` has, in any tenant."""
        return (model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


@pytest.fixture
def refs(db) -> ReferenceWorld:
    iso = isolation_world()
    keys = {}
    with tenant_context(iso.a.tenant):
        for role in STAFF_CALLERS:
            _, keys[role] = api_key_create_by_operator(name=f"alpha {role}", role=role)
        keys[PARTNER_CALLER] = iso.keys["partner"]
    return ReferenceWorld(iso=iso, keys=keys)


def _post(refs: ReferenceWorld, reference: ApiReference, url: str, secret: str, value: int):
    client = Client()
    send = getattr(client, reference.operation.method)
    partner_caller = secret == refs.keys[PARTNER_CALLER]
    return send(
        url,
        data=json.dumps(
            reference.body(value, lambda model: refs.own(model, partner_caller=partner_caller)[0])
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )


def _url(refs: ReferenceWorld, operation: ApiOperation) -> str:
    if not operation.has_object:
        return operation.url("alpha")
    view = resolve(operation.url("alpha", 1)).func
    model = getattr(getattr(view, "cls", None), "model", None)
    assert model is not None, f"{operation}: the viewset must name its `model`"
    return operation.url("alpha", refs.iso.object_id("own", model))


def _refused(reference: ApiReference, response) -> Any:
    if response.status_code != 400:
        return None
    return reference.errors_in(response.json())


def _same(errors: Any, value: int, other: Any, other_value: int) -> bool:
    return json.dumps(errors).replace(str(value), "<id>") == json.dumps(other).replace(
        str(other_value), "<id>"
    )


def _check_refused(
    refs: ReferenceWorld, reference: ApiReference, url: str, secret: str, value: int, what: str
) -> None:
    response = _post(refs, reference, url, secret, value)
    errors = _refused(reference, response)
    assert errors, (
        f"{reference}: {what} (id {value}) was not refused on the field: "
        f"{response.status_code} {response.content[:300]!r}"
    )
    # The same answer as for an id that exists nowhere: no oracle of what exists elsewhere.
    missing = refs.missing(reference.model)
    absent = _refused(reference, _post(refs, reference, url, secret, missing))
    assert _same(errors, value, absent, missing), (
        f"{reference}: {what} is refused differently from an id that exists nowhere: {errors} / {absent}"
    )


def _check_accepted(
    refs: ReferenceWorld, reference: ApiReference, url: str, secret: str, candidates: list[int]
) -> None:
    """Positive control: one of the caller's own rows is not refused as if it did not exist (it is
    accepted, or a rule of the use case refuses it with another message: merging an account into
    itself)."""
    missing = refs.missing(reference.model)
    absent = _refused(reference, _post(refs, reference, url, secret, missing))
    answers = []
    for value in candidates:
        response = _post(refs, reference, url, secret, value)
        errors = _refused(reference, response)
        if response.status_code < 500 and not (errors and _same(errors, value, absent, missing)):
            return
        answers.append((value, response.status_code, response.content[:200]))
    pytest.fail(f"{reference}: refuses the caller's own rows too (positive control): {answers}")


@pytest.mark.parametrize("reference", API_REFERENCES, ids=str)
def test_api_reference_fields_refuse_rows_of_another_tenant_and_partner(refs, reference):
    url = _url(refs, reference.operation)
    model = reference.model
    foreign = refs.foreign(model)
    staff = next(
        (
            refs.keys[role]
            for role in STAFF_CALLERS
            if _post(refs, reference, url, refs.keys[role], foreign).status_code not in {403, 405}
        ),
        None,
    )
    partner = refs.keys[PARTNER_CALLER]
    partner_may = _post(refs, reference, url, partner, foreign).status_code not in {403, 404, 405}
    assert staff is not None or partner_may, (
        f"{reference}: no caller may use this operation; teach the test who may"
    )
    if staff is not None:
        _check_refused(refs, reference, url, staff, foreign, "a row of another tenant")
        _check_accepted(refs, reference, url, staff, refs.own(model))
    if partner_may:
        _check_refused(refs, reference, url, partner, foreign, "a row of another tenant")
        other = refs.other_partners(model)
        if other is not None:
            _check_refused(refs, reference, url, partner, other, "another partner's row")
        if staff is None:
            _check_accepted(refs, reference, url, partner, refs.own(model, partner_caller=True))


# --- the pages' forms --------------------------------------------------------------------------


def _every(model: type) -> Callable[[ReferenceWorld], Any]:
    """Every tenant's rows: the forms must narrow what a view hands them."""
    return lambda refs: model._base_manager.all()


def _own(model: type) -> Callable[[ReferenceWorld], Any]:
    return lambda refs: model._base_manager.get(pk=refs.iso.object_id("own", model))


# Constructor argument of a form → how to build it.
FORM_KWARGS: dict[str, Callable[[ReferenceWorld], Any]] = {
    "tiers": _every(Tier),
    "partners": _every(Partner),
    "allocations": _every(Allocation),
    "visible": _every(DealRegistration),
    "targets": _every(Account),
    "staff": _every(User),
    "plan": _own(Plan),
    "partner": lambda refs: refs.iso.a.partner,
    "registration": _own(DealRegistration),
    "tenant": lambda refs: refs.iso.a.tenant,
    "criteria": lambda refs: [],
    "fiscal_year": lambda refs: timezone.localdate().year,
    "email": lambda refs: "newcomer@alpha.example",
}
_FORM_SIGNATURE = {"self", "args", "kwargs", "data", "files", "instance", "initial", "prefix"}


def _project_packages() -> list[str]:
    root = Path(settings.BASE_DIR).resolve()
    return sorted(
        config.name
        for config in apps.get_app_configs()
        if root in Path(config.path).resolve().parents and ".venv" not in Path(config.path).parts
    )


def project_forms() -> list[type[forms.BaseForm]]:
    """Every form class defined in the project's packages (migrations aside)."""
    found: dict[str, type[forms.BaseForm]] = {}
    for package_name in _project_packages():
        package = importlib.import_module(package_name)
        modules = [package_name]
        if hasattr(package, "__path__"):
            modules += [m.name for m in pkgutil.walk_packages(package.__path__, f"{package_name}.")]
        for name in modules:
            if ".migrations" in name or ".management" in name:
                continue
            module = importlib.import_module(name)
            for _, obj in inspect.getmembers(module, inspect.isclass):
                abstract = issubclass(obj, forms.ModelForm) and obj._meta.model is None  # a base, not a form
                if issubclass(obj, forms.BaseForm) and obj.__module__ == name and not abstract:
                    found[f"{name}.{obj.__qualname__}"] = obj
    return [found[key] for key in sorted(found)]


PROJECT_FORMS = project_forms()


def _form_parameters(form_class: type) -> dict[str, bool]:
    """The form's own constructor arguments (name → required), over its whole ``__init__`` chain."""
    parameters: dict[str, bool] = {}
    for cls in reversed(form_class.__mro__):
        init = cls.__dict__.get("__init__")
        if init is None or cls.__module__.startswith("django."):
            continue
        for name, parameter in inspect.signature(init).parameters.items():
            if name in _FORM_SIGNATURE or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            parameters[name] = parameter.default is inspect.Parameter.empty
    return parameters


def _build_form(form_class: type, refs: ReferenceWorld, data: QueryDict | None = None) -> forms.BaseForm:
    kwargs = {}
    for name, required in _form_parameters(form_class).items():
        if name in FORM_KWARGS:
            kwargs[name] = FORM_KWARGS[name](refs)
        else:
            assert not required, (
                f"{form_class.__qualname__} takes `{name}`: teach FORM_KWARGS in "
                "tests/security/test_foreign_references.py how to build it"
            )
    model = getattr(getattr(form_class, "_meta", None), "model", None)
    if model is not None and model in refs.iso.objects["own"] and "plan" not in kwargs:
        kwargs["instance"] = model._base_manager.get(pk=refs.iso.object_id("own", model))
    return form_class(data, **kwargs)


def _bound(form_class: type, refs: ReferenceWorld, name: str, value: int) -> forms.BaseForm:
    data = QueryDict(mutable=True)
    data.setlist(name, [str(value)])
    return _build_form(form_class, refs, data)


def _offered(field: forms.ModelChoiceField) -> set[str]:
    return {str(getattr(value, "value", value)) for value, _ in field.choices if value != ""}


def _form_ids(form_class: type) -> str:
    return f"{form_class.__module__}.{form_class.__qualname__}"


def test_the_project_has_forms_with_reference_fields_to_check():
    assert len(PROJECT_FORMS) >= 40


@pytest.mark.parametrize("form_class", PROJECT_FORMS, ids=_form_ids)
def test_page_forms_neither_offer_nor_accept_rows_of_another_tenant_or_partner(refs, form_class):
    a = refs.iso.a
    staff = TenantAccess.from_membership(a.members[Role.ADMIN])
    partner = TenantAccess.from_membership(a.members[Role.PARTNER_ADMIN])
    with tenant_context(a.tenant), acting_as(staff):
        form = _build_form(form_class, refs)
        fields = {n: f for n, f in form.fields.items() if isinstance(f, forms.ModelChoiceField)}
        for name, field in fields.items():
            model = field.queryset.model
            foreign = refs.foreign(model)
            assert str(foreign) not in _offered(field), (
                f"{form_class.__qualname__}.{name} offers another tenant's row"
            )
            assert name in _bound(form_class, refs, name, foreign).errors, (
                f"{form_class.__qualname__}.{name} accepts a row of another tenant"
            )
            # Positive control: an own row is not refused as if it did not exist (it is accepted, or
            # a rule of the form refuses it with another message: a tier not eligible for MDF).
            missing = refs.missing(model)
            absent = _bound(form_class, refs, name, missing).errors.get(name)
            answers = {
                value: _bound(form_class, refs, name, value).errors.get(name) for value in refs.own(model)
            }
            assert any(
                errors is None or not _same(errors, value, absent, missing)
                for value, errors in answers.items()
            ), (
                f"{form_class.__qualname__}.{name} refuses the caller's own rows too (positive control): {answers}"
            )
    with tenant_context(a.tenant), acting_as(partner):
        form = _build_form(form_class, refs)
        for name, field in form.fields.items():
            if not isinstance(field, forms.ModelChoiceField):
                continue
            other = refs.other_partners(field.queryset.model)
            for value, what in (
                (refs.foreign(field.queryset.model), "another tenant's"),
                (other, "another partner's"),
            ):
                if value is None:
                    continue
                assert str(value) not in _offered(field), (
                    f"{form_class.__qualname__}.{name} offers {what} row"
                )
                assert name in _bound(form_class, refs, name, value).errors, (
                    f"{form_class.__qualname__}.{name} accepts {what} row from a partner user"
                )


# --- the reported case, and the jobs that mail the people a row names -----------------------


def test_a_plan_cannot_name_a_user_of_another_tenant_as_its_vendor_owner(refs):
    plan_id = refs.iso.object_id("own", Plan)
    stranger = refs.iso.b.user(Role.ADMIN)
    client = Client()
    for field in ("vendor_owner", "vendor_sponsor"):
        response = client.patch(
            f"/api/v1/t/alpha/plans/{plan_id}/",
            data=json.dumps({field: stranger.pk, "change_summary": "new owner"}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {refs.keys[Role.MANAGER]}"},
        )
        assert response.status_code == 400
        assert response.json() == {field: [f'Invalid pk "{stranger.pk}" - object does not exist.']}
    with tenant_context(refs.iso.a.tenant):
        plan = Plan.objects.get(pk=plan_id)
        assert stranger.pk not in (plan.vendor_owner_id, plan.vendor_sponsor_id)


def test_review_reminders_mail_only_members_of_the_tenant(refs):
    a = refs.iso.a
    stranger = refs.iso.b.user(Role.ADMIN)
    today = timezone.localdate()
    with tenant_context(a.tenant):
        plan = Plan.objects.get(pk=refs.iso.object_id("own", Plan))
        # Written past every check (as an old row or a raw update might hold it).
        Plan.objects.filter(pk=plan.pk).update(
            vendor_owner=stranger,
            vendor_sponsor=a.user(Role.EXECUTIVE),
            next_review_on=today + timedelta(days=3),
        )
        reminders, _, _ = reminders_due(tenant=a.tenant, today=today)
    mailed = {address for reminder in reminders for address in reminder.to}
    assert a.user(Role.EXECUTIVE).email in mailed
    assert stranger.email not in mailed
