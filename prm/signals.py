"""Guards that hold for every app: many-to-many links may not cross tenants either."""

from typing import Any

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .models import TenantMismatch, TenantOwnedModel


@receiver(m2m_changed)
def refuse_cross_tenant_m2m(
    sender: Any, instance: Any, action: str, model: Any, pk_set: Any, **kwargs: Any
) -> None:
    if action != "pre_add" or not pk_set:
        return
    if not isinstance(instance, TenantOwnedModel) or not issubclass(model, TenantOwnedModel):
        return
    foreign = model._base_manager.filter(pk__in=pk_set).exclude(tenant_id=instance.tenant_id)
    if len(pk_set) != model._base_manager.filter(pk__in=pk_set).count() or foreign.exists():
        raise TenantMismatch(f"Cannot link {model.__name__} rows of another tenant.")
