"""Building plans for tests through the services, as the product does."""

from __future__ import annotations

from decimal import Decimal

from jbp import services
from jbp.models import Investment, Plan, Side, Target
from prm.access import TenantAccess
from prm.permissions import Role
from prm.tenancy import tenant_context

YEAR = 2026  # the test tenants' fiscal year is the calendar year


def draft(
    world,
    *,
    partner=None,
    year: int = YEAR,
    commitments=(Decimal(1000), Decimal(2000), Decimal(3000), Decimal(4000)),
) -> Plan:
    """A draft plan with quarterly revenue commitments and a whole-year vendor MDF commitment."""
    manager = world.access(Role.MANAGER)
    with tenant_context(world.tenant):
        plan = services.plan_create(
            access=manager,
            partner=partner or world.partner,
            fiscal_year=year,
            fields={"summary": "Grow together", "objectives": "One\nTwo"},
        )
        for quarter, value in enumerate(commitments, start=1):
            services.target_save(
                access=manager,
                plan=plan,
                fields={"kind": Target.Kind.REVENUE, "quarter": quarter, "value": value},
            )
        services.investment_save(
            access=manager,
            plan=plan,
            fields={
                "side": Side.VENDOR,
                "kind": Investment.Kind.MDF,
                "description": "MDF",
                "amount": Decimal(8000),
            },
        )
    return plan


def signed(world, **kwargs) -> Plan:
    """A plan taken through the whole workflow: shared, approved by the partner admin, signed."""
    plan = draft(world, **kwargs)
    with tenant_context(world.tenant):
        services.plan_share(access=world.access(Role.MANAGER), plan=plan)
        partner_admin = world.access(Role.PARTNER_ADMIN)
        if (
            plan.partner_id != partner_admin.partner_id
        ):  # another partner's admin, acting through an API key-like access
            partner_admin = TenantAccess(
                tenant=world.tenant, role=Role.PARTNER_ADMIN, partner_id=plan.partner_id
            )
        services.plan_partner_approve(access=partner_admin, plan=plan)
        services.plan_sign_off(access=world.access(Role.EXECUTIVE), plan=plan)
    return plan
