"""The tenant-owned base fails closed: no tenant, no rows; the wrong tenant, no save."""

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError

from partners.models import Partner
from prm.models import AuditEvent, GlobalModel, TenantManager, TenantMismatch, TenantOwnedModel
from prm.tenancy import GLOBAL_THIRD_PARTY_APPS, TenantNotSet, get_current_tenant, tenant_context
from tests.partners.factories import PartnerFactory
from tests.prm.factories import TenantFactory

OWN_APPS = {"prm", *settings.PRM_APPS}  # a new app is covered without anyone listing it


def test_every_model_is_declared_tenant_owned_or_global():
    undeclared = []
    for model in apps.get_models(include_auto_created=False):
        label = model._meta.app_label
        if label in OWN_APPS:
            if not issubclass(model, TenantOwnedModel | GlobalModel):
                undeclared.append(model._meta.label)
        elif label not in GLOBAL_THIRD_PARTY_APPS:
            undeclared.append(model._meta.label)
    assert undeclared == [], (
        "Declare these models tenant-owned (TenantOwnedModel) or global (GlobalModel, or list the "
        f"third-party app in prm.tenancy.GLOBAL_THIRD_PARTY_APPS): {undeclared}"
    )


def test_every_tenant_owned_model_uses_the_scoped_manager_for_objects():
    for model in apps.get_models():
        if issubclass(model, TenantOwnedModel):
            assert isinstance(model.objects, TenantManager), model._meta.label
            assert not isinstance(model._base_manager, TenantManager), model._meta.label


def test_unique_constraints_of_tenant_owned_models_include_the_tenant():
    for model in apps.get_models():
        if not issubclass(model, TenantOwnedModel):
            continue
        for constraint in model._meta.constraints:
            fields = getattr(constraint, "fields", ())
            if fields:
                assert "tenant" in fields, f"{model._meta.label}.{constraint.name} must include tenant"
        for field in model._meta.fields:
            assert not field.unique or field.primary_key, (
                f"{model._meta.label}.{field.name} unique without tenant"
            )


@pytest.mark.django_db
def test_scoped_manager_raises_when_no_tenant_is_set():
    with pytest.raises(TenantNotSet):
        list(Partner.objects.all())
    with pytest.raises(TenantNotSet):
        Partner.objects.count()


@pytest.mark.django_db
def test_scoped_manager_reads_only_the_current_tenant():
    alpha, bravo = TenantFactory(slug="alpha"), TenantFactory(slug="bravo")
    PartnerFactory(tenant=alpha, name="Alpha Co")
    PartnerFactory(tenant=bravo, name="Bravo Co")
    with tenant_context(alpha):
        assert list(Partner.objects.values_list("name", flat=True)) == ["Alpha Co"]
    with tenant_context(bravo):
        assert list(Partner.objects.values_list("name", flat=True)) == ["Bravo Co"]
    assert get_current_tenant() is None


@pytest.mark.django_db
def test_save_fills_the_tenant_from_the_context():
    alpha = TenantFactory(slug="alpha")
    with tenant_context(alpha):
        partner = Partner.objects.create(name="Filled In")
    assert partner.tenant_id == alpha.pk


@pytest.mark.django_db
def test_save_without_tenant_and_without_context_raises():
    with pytest.raises(TenantNotSet):
        Partner(name="Orphan").save()


@pytest.mark.django_db
def test_saving_a_row_of_another_tenant_inside_a_context_is_refused():
    alpha, bravo = TenantFactory(slug="alpha"), TenantFactory(slug="bravo")
    partner_b = PartnerFactory(tenant=bravo)
    partner_b.name = "Hijacked"
    with tenant_context(alpha), pytest.raises(TenantMismatch):
        partner_b.save()


@pytest.mark.django_db
def test_foreign_key_to_a_row_of_another_tenant_is_refused():
    alpha, bravo = TenantFactory(slug="alpha"), TenantFactory(slug="bravo")
    partner_b = PartnerFactory(tenant=bravo)
    with tenant_context(alpha):
        event = AuditEvent(verb="x", target_type="t", target_id="1", partner_id=partner_b.pk)
        with pytest.raises(ValidationError) as excinfo:
            event.save()
        assert "partner" in excinfo.value.message_dict
        assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_bulk_create_fills_the_tenant_and_refuses_foreign_rows():
    alpha, bravo = TenantFactory(slug="alpha"), TenantFactory(slug="bravo")
    partner_b = PartnerFactory(tenant=bravo)
    with tenant_context(alpha):
        created = Partner.objects.bulk_create([Partner(name="One"), Partner(name="Two")])
        assert {p.tenant_id for p in created} == {alpha.pk}
        with pytest.raises(ValidationError):
            AuditEvent.objects.bulk_create(
                [AuditEvent(verb="x", target_type="t", target_id="1", partner_id=partner_b.pk)]
            )


@pytest.mark.django_db
def test_nested_contexts_restore_the_outer_tenant():
    alpha, bravo = TenantFactory(slug="alpha"), TenantFactory(slug="bravo")
    with tenant_context(alpha):
        with tenant_context(bravo):
            assert get_current_tenant() == bravo
        assert get_current_tenant() == alpha
    assert get_current_tenant() is None


@pytest.mark.django_db
def test_bulk_updates_cannot_point_rows_at_another_tenant():
    alpha, bravo = TenantFactory(slug="alpha"), TenantFactory(slug="bravo")
    partner_a, partner_b = PartnerFactory(tenant=alpha), PartnerFactory(tenant=bravo)
    with tenant_context(alpha):
        event = AuditEvent.objects.create(verb="x", target_type="t", target_id="1", partner=partner_a)
        with pytest.raises(ValidationError):
            AuditEvent.objects.filter(pk=event.pk).update(partner=partner_b.pk)
        event.partner_id = partner_b.pk
        with pytest.raises(ValidationError):
            AuditEvent.objects.bulk_update([event], ["partner"])
        assert AuditEvent.objects.get(pk=event.pk).partner_id == partner_a.pk
