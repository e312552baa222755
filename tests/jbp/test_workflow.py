"""The plan's workflow: who may move it from draft to shared, partner-approved, active and closed;
one open plan per partner and year; amendments as versions, and comparing versions field by field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jbp import queries, services
from jbp.models import Plan, PlanVersion, Side, Target
from prm.models import AuditEvent
from prm.permissions import Role
from prm.tenancy import tenant_context

from .helpers import YEAR, draft, signed

Status = Plan.Status


def test_the_full_workflow_records_who_signed_when_and_freezes_version_one(world_a):
    plan = signed(world_a)
    with tenant_context(world_a.tenant):
        plan.refresh_from_db()
        assert plan.status == Status.ACTIVE
        assert plan.partner_approved_by == world_a.user(Role.PARTNER_ADMIN)
        assert plan.signed_by == world_a.user(Role.EXECUTIVE)
        assert plan.shared_by == world_a.user(Role.MANAGER)
        assert plan.partner_approved_at
        assert plan.signed_at
        assert plan.version == 1
        assert (
            PlanVersion.objects.get(plan=plan, number=1).content["Revenue commitment · Revenue · Q4"]
            == "4,000.00"
        )
        verbs = list(AuditEvent.objects.filter(target_id=str(plan.pk)).values_list("verb", flat=True))
        assert {"plan.created", "plan.shared", "plan.partner_approved", "plan.signed"} <= set(verbs)


@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE, Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_only_managers_and_admins_draft_and_share(world_a, role):
    with tenant_context(world_a.tenant), pytest.raises(PermissionDenied):
        services.plan_create(access=world_a.access(role), partner=world_a.partner, fiscal_year=YEAR)
    plan = draft(world_a)
    with tenant_context(world_a.tenant), pytest.raises(PermissionDenied):
        services.plan_share(access=world_a.access(role), plan=plan)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.EXECUTIVE, Role.PARTNER_USER])
def test_only_the_partner_admin_approves_the_partners_side(world_a, role):
    plan = draft(world_a)
    with tenant_context(world_a.tenant):
        services.plan_share(access=world_a.access(Role.MANAGER), plan=plan)
        with pytest.raises(PermissionDenied):
            services.plan_partner_approve(access=world_a.access(role), plan=plan)


def test_another_partners_admin_cannot_approve(world_a):
    plan = draft(world_a, partner=world_a.other_partner)
    with tenant_context(world_a.tenant):
        services.plan_share(access=world_a.access(Role.MANAGER), plan=plan)
        with pytest.raises(PermissionDenied):
            services.plan_partner_approve(access=world_a.access(Role.PARTNER_ADMIN), plan=plan)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.PARTNER_ADMIN])
def test_only_a_vendor_executive_signs_off(world_a, role):
    plan = draft(world_a)
    with tenant_context(world_a.tenant):
        services.plan_share(access=world_a.access(Role.MANAGER), plan=plan)
        services.plan_partner_approve(access=world_a.access(Role.PARTNER_ADMIN), plan=plan)
        with pytest.raises(PermissionDenied):
            services.plan_sign_off(access=world_a.access(role), plan=plan)


def test_steps_cannot_be_skipped(world_a):
    plan = draft(world_a)
    with tenant_context(world_a.tenant):
        with pytest.raises(ValidationError, match="draft"):
            services.plan_sign_off(access=world_a.access(Role.EXECUTIVE), plan=plan)
        # A draft is the vendor's: the partner does not see it, so cannot approve it.
        with pytest.raises(PermissionDenied):
            services.plan_partner_approve(access=world_a.access(Role.PARTNER_ADMIN), plan=plan)


def test_sharing_needs_revenue_commitments(world_a):
    with tenant_context(world_a.tenant):
        plan = services.plan_create(
            access=world_a.access(Role.MANAGER), partner=world_a.partner, fiscal_year=YEAR
        )
        with pytest.raises(ValidationError, match="revenue commitments"):
            services.plan_share(access=world_a.access(Role.MANAGER), plan=plan)


def test_one_open_plan_per_partner_and_year_until_it_is_superseded(world_a):
    plan = draft(world_a)
    with tenant_context(world_a.tenant):
        with pytest.raises(ValidationError) as error:
            services.plan_create(
                access=world_a.access(Role.MANAGER), partner=world_a.partner, fiscal_year=YEAR
            )
        assert "fiscal_year" in error.value.message_dict
        services.plan_supersede(access=world_a.access(Role.MANAGER), plan=plan)
        again = services.plan_create(
            access=world_a.access(Role.MANAGER), partner=world_a.partner, fiscal_year=YEAR
        )
        assert again.status == Status.DRAFT
        # Another year is another plan.
        services.plan_create(
            access=world_a.access(Role.MANAGER), partner=world_a.partner, fiscal_year=YEAR + 1
        )


def test_an_active_plan_closes_only_after_its_year(world_a):
    plan = signed(world_a)
    with tenant_context(world_a.tenant):
        with pytest.raises(ValidationError, match="not over"):
            services.plan_close(access=world_a.access(Role.MANAGER), plan=plan, today=date(YEAR, 12, 31))
        services.plan_close(access=world_a.access(Role.MANAGER), plan=plan, today=date(YEAR + 1, 1, 1))
        assert plan.status == Status.CLOSED


def test_changing_a_partner_approved_plan_sends_it_back_to_the_partner(world_a):
    plan = draft(world_a)
    manager = world_a.access(Role.MANAGER)
    with tenant_context(world_a.tenant):
        services.plan_share(access=manager, plan=plan)
        services.plan_partner_approve(access=world_a.access(Role.PARTNER_ADMIN), plan=plan)
        services.plan_update(access=manager, plan=plan, fields={"summary": "Changed after approval"})
        plan.refresh_from_db()
        assert plan.status == Status.SHARED
        assert plan.partner_approved_at is None


def test_the_partner_admin_edits_only_the_partners_investments_while_shared(world_a):
    plan = draft(world_a)
    partner_admin = world_a.access(Role.PARTNER_ADMIN)
    with tenant_context(world_a.tenant):
        services.plan_share(access=world_a.access(Role.MANAGER), plan=plan)
        mine = services.investment_save(
            access=partner_admin,
            plan=plan,
            fields={
                "side": Side.PARTNER,
                "kind": "headcount",
                "description": "Two pre-sales engineers",
                "quantity": Decimal(2),
            },
        )
        assert mine.side == Side.PARTNER
        with pytest.raises(ValidationError, match="own investments"):
            services.investment_save(
                access=partner_admin,
                plan=plan,
                fields={
                    "side": Side.VENDOR,
                    "kind": "mdf",
                    "description": "More MDF please",
                    "amount": Decimal(1),
                },
            )
        with pytest.raises(PermissionDenied):
            services.target_save(
                access=partner_admin,
                plan=plan,
                fields={"kind": Target.Kind.REVENUE, "quarter": 1, "value": 1},
            )
        with pytest.raises(PermissionDenied):
            services.investment_save(
                access=world_a.access(Role.PARTNER_USER),
                plan=plan,
                fields={
                    "side": Side.PARTNER,
                    "kind": "headcount",
                    "description": "x",
                    "quantity": Decimal(1),
                },
            )


def test_both_sides_comment_but_not_on_another_partners_plan(world_a):
    plan = draft(world_a)
    other = draft(world_a, partner=world_a.other_partner)
    with tenant_context(world_a.tenant):
        services.plan_share(access=world_a.access(Role.MANAGER), plan=plan)
        services.plan_share(access=world_a.access(Role.MANAGER), plan=other)
        services.comment_add(access=world_a.access(Role.PARTNER_USER), plan=plan, body="Can Q1 be lower?")
        services.comment_add(access=world_a.access(Role.MANAGER), plan=plan, body="Yes: 900.")
        assert [(c.side, c.body) for c in queries.comments(plan)] == [
            ("partner", "Can Q1 be lower?"),
            ("vendor", "Yes: 900."),
        ]
        with pytest.raises(PermissionDenied):
            services.comment_add(access=world_a.access(Role.PARTNER_USER), plan=other, body="Peek")


def test_an_amendment_needs_a_summary_and_makes_a_new_version(world_a):
    plan = signed(world_a)
    manager = world_a.access(Role.MANAGER)
    with tenant_context(world_a.tenant):
        q2 = plan.targets.get(quarter=2)
        with pytest.raises(ValidationError) as error:
            services.target_save(access=manager, plan=plan, target=q2, fields={"value": Decimal(2500)})
        assert "change_summary" in error.value.message_dict
        services.target_save(
            access=manager,
            plan=plan,
            target=q2,
            fields={"value": Decimal(2500)},
            change_summary="Q2 raised after the Contoso win",
        )
        services.plan_update(
            access=manager, plan=plan, fields={"summary": "Grow faster"}, change_summary="New summary"
        )
        plan.refresh_from_db()
        assert plan.version == 3
        assert plan.status == Status.ACTIVE
        v1, v2, v3 = (PlanVersion.objects.get(plan=plan, number=n) for n in (1, 2, 3))
        assert v2.change_summary == "Q2 raised after the Contoso win"
        # Earlier versions stay as they were.
        assert v1.content["Revenue commitment · Revenue · Q2"] == "2,000.00"

        diff = {d.field: (d.change, d.before, d.after) for d in services.versions_compare(v1, v3)}
        assert diff == {
            "Summary": ("changed", "Grow together", "Grow faster"),
            "Revenue commitment · Revenue · Q2": ("changed", "2,000.00", "2,500.00"),
        }


def test_compare_shows_added_and_removed_rows(world_a):
    plan = signed(world_a)
    manager = world_a.access(Role.MANAGER)
    with tenant_context(world_a.tenant):
        services.target_save(
            access=manager,
            plan=plan,
            fields={"kind": Target.Kind.OTHER, "metric_key": "win_rate", "value": Decimal("0.4")},
            change_summary="Win rate",
        )
        services.target_remove(
            access=manager,
            plan=plan,
            target=plan.targets.get(quarter=4, kind=Target.Kind.REVENUE),
            change_summary="Q4 dropped",
        )
        v1, v3 = (PlanVersion.objects.get(plan=plan, number=n) for n in (1, 3))
        changes = {d.field: d.change for d in services.versions_compare(v1, v3)}
        assert changes == {
            "Other target · Win rate · Full year": "added",
            "Revenue commitment · Revenue · Q4": "removed",
        }
        assert v3.content["Other target · Win rate · Full year"] == "40.00 %"


def test_a_target_names_a_catalog_metric(world_a):
    plan = draft(world_a)
    with tenant_context(world_a.tenant), pytest.raises(ValidationError) as error:
        services.target_save(
            access=world_a.access(Role.MANAGER),
            plan=plan,
            fields={"kind": Target.Kind.OTHER, "metric_key": "happiness", "value": 1},
        )
    assert "metric_key" in error.value.message_dict


def test_a_closed_plan_does_not_change(world_a):
    plan = signed(world_a)
    with tenant_context(world_a.tenant):
        services.plan_close(access=world_a.access(Role.MANAGER), plan=plan, today=date(YEAR + 1, 2, 1))
        with pytest.raises(ValidationError, match="closed"):
            services.plan_update(
                access=world_a.access(Role.MANAGER), plan=plan, fields={"summary": "x"}, change_summary="x"
            )
