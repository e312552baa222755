"""Database constraints explain themselves: every violation is a message in words on the field at
fault, from model validation and from a race the database caught alike; never a constraint's name,
never a 500."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from incentives.models import FundRequest, Payout
from partners.models import Certification
from prm.constraints import constraint_error, error_field
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.incentives.conftest import make_fund, request_fields, submitted_claim
from tests.partners.factories import ContactFactory

APPS = {"prm", "partners", "tiering", "pipeline", "jbp", "incentives", "reporting"}
CONSTRAINTS = [
    (model, constraint)
    for model in apps.get_models()
    if model._meta.app_label in APPS
    for constraint in model._meta.constraints
]


def test_there_are_constraints_to_check():
    assert len(CONSTRAINTS) >= 40


@pytest.mark.parametrize(("model", "constraint"), CONSTRAINTS, ids=lambda v: getattr(v, "name", ""))
def test_every_constraint_says_in_words_what_is_wrong(model, constraint):
    message = str(constraint.get_violation_error_message())
    default = str(constraint.default_violation_error_message % {"name": constraint.name})
    assert message != default, f"{model.__name__}.{constraint.name}: give it a violation_error_message"
    assert constraint.name not in message, f"{constraint.name}: the message names the constraint"
    assert "constraint" not in message.lower(), message
    field = error_field(constraint)
    if field != NON_FIELD_ERRORS:
        assert model._meta.get_field(field), f"{constraint.name}: on_field names no field of {model}"


def _bearer(world, role) -> dict[str, str]:
    from prm.services import api_key_create_by_operator

    with tenant_context(world.tenant):
        _key, secret = api_key_create_by_operator(
            name="sync", role=role, partner_id=world.partner.pk if role.startswith("partner") else None
        )
    return {"Authorization": f"Bearer {secret}"}


def test_a_request_ending_before_it_starts_is_refused_on_its_end_date(world_a, client_for):
    _fund, allocation = make_fund(world_a)
    fields = {k: str(v) for k, v in request_fields("500").items()}
    fields["ends_on"] = str(timezone.localdate() - timezone.timedelta(days=3))
    response = client_for(world_a.user(Role.PARTNER_ADMIN)).post(
        "/api/v1/t/alpha/mdf-requests/",
        {**fields, "allocation": allocation.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"ends_on": ["The activity must end on or after the start date."]}
    with tenant_context(world_a.tenant):
        assert not FundRequest.objects.exists()


def test_a_certification_expiring_before_it_was_earned_is_refused_on_its_expiry(world_a):
    with tenant_context(world_a.tenant):
        certification = Certification(
            partner=world_a.partner,
            name="Expert",
            earned_on=timezone.localdate(),
            expires_on=timezone.localdate() - timezone.timedelta(days=1),
        )
        with pytest.raises(ValidationError) as refused:
            certification.validate_constraints()  # the model's clean() says it first; this is the last line
    assert refused.value.message_dict == {
        "expires_on": ["A certification expires on or after the day it was earned."]
    }


def test_a_second_contact_with_the_same_email_is_refused_on_the_email(world_a):
    with tenant_context(world_a.tenant):
        first = ContactFactory(partner=world_a.partner, email="dana@partner.example")
        second = ContactFactory.build(partner=world_a.partner, email=first.email, tenant=world_a.tenant)
        with pytest.raises(ValidationError) as refused:
            second.full_clean()
    assert refused.value.message_dict == {
        "email": ["This partner has a contact with this e-mail address already."]
    }


def test_a_unique_violation_the_database_caught_is_the_constraints_error_on_its_field(world_a):
    claim = submitted_claim(world_a, make_fund(world_a)[1])
    with tenant_context(world_a.tenant):
        Payout.objects.create(
            claim=claim, partner_id=claim.partner_id, amount=1, reference="AP-7", paid_on=timezone.localdate()
        )
        with pytest.raises(IntegrityError) as raced, transaction.atomic():
            Payout.objects.create(
                claim=claim,
                partner_id=claim.partner_id,
                amount=1,
                reference="AP-7",
                paid_on=timezone.localdate(),
            )
    explained = constraint_error(raced.value)
    assert explained is not None
    assert explained.message_dict == {"reference": ["This payment reference is recorded already."]}


def test_an_integrity_error_of_no_constraint_of_ours_is_not_explained():
    assert constraint_error(IntegrityError("NOT NULL constraint failed: incentives_payout.amount")) is None


def test_two_payouts_racing_with_one_reference_give_the_second_a_400_on_the_reference(world_a, monkeypatch):
    """The service checks the reference first; a payout recorded between that check and the insert
    (another request) is caught by the database: a 400 naming the field, not a 500."""
    _fund, allocation = make_fund(world_a)
    claim = submitted_claim(world_a, allocation)
    from incentives import services

    with tenant_context(world_a.tenant):
        claim = services.claim_approve(access=world_a.access(Role.FINANCE), claim=claim)
        services.payout_record(
            access=world_a.access(Role.FINANCE),
            claim=claim,
            reference="AP-1",
            paid_on=timezone.localdate(),
            amount="100",
        )
    exists = QuerySet.exists
    monkeypatch.setattr(QuerySet, "exists", lambda qs: False if qs.model is Payout else exists(qs))
    response = Client().post(
        f"/api/v1/t/alpha/mdf-claims/{claim.pk}/pay/",
        json.dumps({"reference": "AP-1", "paid_on": str(timezone.localdate()), "amount": "100"}),
        content_type="application/json",
        headers=_bearer(world_a, Role.FINANCE),
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"reference": ["This payment reference is recorded already."]}
    with tenant_context(world_a.tenant):
        assert Payout.objects.filter(claim=claim).count() == 1


def test_every_constraint_can_be_found_from_the_error_the_database_raises():
    """By name (PostgreSQL, SQLite CHECK) or, for SQLite's UNIQUE, by table and columns."""
    from prm.constraints import _constraints

    by_name, by_columns = _constraints()
    for model, constraint in CONSTRAINTS:
        assert by_name[constraint.name] is constraint
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None:
            columns = frozenset(model._meta.get_field(f).column for f in constraint.fields)
            assert by_columns[(model._meta.db_table, columns)] is constraint
