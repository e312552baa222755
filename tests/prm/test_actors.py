"""API keys as actors: every "by" column can record a key, and pages name the key where they
would name a person."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from prm.models import ApiKey, User
from prm.permissions import Role
from prm.services import api_key_create_by_operator
from prm.tenancy import tenant_context
from tests.incentives.conftest import make_fund, request_fields
from tests.partners.factories import TierFactory

APPS = {"prm", "partners", "tiering", "pipeline", "jbp", "incentives", "reporting"}

# "By" columns that never record a key, and why.
PERSON_ONLY = {
    "partners.PartnerNote.author": "a note is signed by its author: partner_add_note refuses API keys",
    "prm.Invitation.accepted_by": "the invitee accepting the invitation, always a person",
    "prm.ApiKey.created_by": "keys are made on the API keys page by an admin, or by an operator",
    "prm.ApiKey.revoked_by": "keys are revoked on the API keys page by an admin",
}


def _by_columns():
    for model in apps.get_models():
        if model._meta.app_label not in APPS:
            continue
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, models.ForeignKey)
                and field.related_model is User
                and (field.name.endswith("_by") or field.name in {"author", "actor"})
            ):
                yield f"{model._meta.label}.{field.name}", model, field


def test_every_by_column_can_record_an_api_key_or_says_why_not():
    missing = []
    for label, model, field in _by_columns():
        names = {f.name: f for f in model._meta.concrete_fields}
        key = names.get(f"{field.name}_key")
        if key is not None:
            assert key.related_model is ApiKey, label
            assert field.null, f"{label}: when an API key acted, no person is recorded"
            assert field.blank, f"{label}: when an API key acted, no person is recorded"
            continue
        # Older columns keep who acted as text, as the audit trail does ("API key “…”").
        if {f"{field.name}_label", f"{field.name}_name", "actor_label"} & set(names):
            continue
        if label not in PERSON_ONLY:
            missing.append(label)
    assert not missing, (
        "These columns record who acted but cannot record an API key: add `<name>_key = "
        f"actor_key_field()` and fill it with prm.actors, or list them in PERSON_ONLY: {missing}"
    )


@pytest.fixture
def partner_key(world_a) -> str:
    with tenant_context(world_a.tenant):
        _key, secret = api_key_create_by_operator(
            name="CRM sync", role=Role.PARTNER_USER, partner_id=world_a.partner.pk
        )
    return secret


def test_a_request_made_with_an_api_key_names_the_key_on_the_page(world_a, partner_key, client_for):
    _fund, allocation = make_fund(world_a)
    fields = {k: str(v) for k, v in request_fields("800").items()}
    created = Client().post(
        "/api/v1/t/alpha/mdf-requests/",
        json.dumps({**fields, "allocation": allocation.pk}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {partner_key}"},
    )
    assert created.status_code == 201, created.content
    page = client_for(world_a.user(Role.MANAGER)).get(f"/t/alpha/mdf/requests/{created.json()['id']}/")
    assert "Requested by API key “CRM sync”" in page.content.decode()


def test_a_tier_proposal_made_with_an_api_key_is_a_managers_not_the_recalculations(world_a, client_for):
    with tenant_context(world_a.tenant):
        tier = TierFactory(tenant=world_a.tenant, name="Gold")
        _key, secret = api_key_create_by_operator(name="Planning tool", role=Role.MANAGER)
    created = Client().post(
        "/api/v1/t/alpha/tier-proposals/",
        json.dumps({"partner": world_a.partner.pk, "to_tier": tier.pk, "reason": "Grew fast"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert created.status_code == 201, created.content
    body = client_for(world_a.user(Role.ADMIN)).get(f"/t/alpha/tiering/proposals/{created.json()['id']}/")
    text = body.content.decode()
    assert "Proposed by API key “Planning tool”" in text
    assert "From the recalculation" not in text
