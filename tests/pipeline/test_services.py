"""The registration desk's services: the status machine, conflict detection and resolution,
account merge and pre-check, who may register for whom, currency conversion, the history, audit
and e-mail every transition leaves, and the all-or-nothing revenue import."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from pipeline import services
from pipeline.models import (
    Account,
    DealConflict,
    DealRegistration,
    DealStatusChange,
    RevenueRecord,
    VendorOpportunity,
)
from prm.models import AuditEvent
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.partners.factories import PartnerFactory
from tests.pipeline.factories import AccountFactory, DealRegistrationFactory, RevenueRecordFactory
from tests.prm.factories import MembershipFactory, UserFactory

Status = DealRegistration.Status
OTHER = "other_partner_user"


def today():
    return timezone.localdate()


def submit(
    world, role=Role.PARTNER_USER, *, name="Contoso Ltd", domain="contoso.example", partner_id=None, **fields
):
    """A registration as the portal (or a manager, on a partner's behalf) submits it."""
    data = {
        "opportunity_name": f"{name} rollout",
        "products": "Platform",
        "amount": Decimal("50000"),
        "expected_close_date": today() + timedelta(days=60),
        "partner_role": DealRegistration.Role.SOURCED,
        **fields,
    }
    with tenant_context(world.tenant):
        return services.registration_submit(
            access=world.access(role),
            account_name=name,
            account_domain=domain,
            fields=data,
            partner_id=partner_id,
        )


def make(world, status=Status.SUBMITTED, *, partner=None, **fields):
    """A raw registration in the given status (approved ones protected for another month)."""
    if status in (Status.APPROVED, Status.WON, Status.LOST, Status.EXPIRED):
        fields.setdefault("protected_until", today() + timedelta(days=30))
    return DealRegistrationFactory(partner=partner or world.partner, status=status, **fields)


def fresh(world, registration):
    with tenant_context(world.tenant):
        return DealRegistration.objects.get(pk=registration.pk)


def call(world, service, role=Role.MANAGER, **kwargs):
    with tenant_context(world.tenant):
        return getattr(services, service)(access=world.access(role), **kwargs)


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def history(world, registration) -> list[tuple[str, str, str]]:
    with tenant_context(world.tenant):
        return list(
            DealStatusChange.objects.filter(registration=registration).values_list(
                "from_status", "to_status", "reason"
            )
        )


def audit_verbs(world, registration) -> list[str]:
    with tenant_context(world.tenant):
        return list(
            AuditEvent.objects.filter(target_type="pipeline.dealregistration", target_id=str(registration.pk))
            .order_by("id")
            .values_list("verb", flat=True)
        )


# --- the status machine --------------------------------------------------------------------------

# (service, its arguments, the statuses it may start from)
MOVES = {
    "approve": ("registration_approve", {}, {Status.SUBMITTED}),
    "reject": ("registration_reject", {"reason": "Not a fit."}, {Status.SUBMITTED, Status.APPROVED}),
    "won": (
        "registration_close",
        {"won": True, "closed_on": None, "amount": Decimal("900")},
        {Status.APPROVED, Status.EXPIRED},
    ),
    "lost": ("registration_close", {"won": False, "closed_on": None}, {Status.APPROVED, Status.EXPIRED}),
    "extend": ("registration_extend", {}, {Status.APPROVED}),
    "request_extension": (
        "registration_request_extension",
        {"reason": "Board meets in May."},
        {Status.APPROVED},
    ),
    "assign_rep": ("registration_assign_rep", {"user_id": None}, {Status.APPROVED}),
}
RESULT = {"approve": Status.APPROVED, "reject": Status.REJECTED, "won": Status.WON, "lost": Status.LOST}


def _cases(allowed: bool):
    for move, (_service, _kwargs, starts) in MOVES.items():
        for status in Status.values:
            if (status in starts) == allowed:
                yield pytest.param(move, status, id=f"{move}-from-{status}")


def _run_move(world, move, registration):
    service, kwargs, _ = MOVES[move]
    kwargs = dict(kwargs)
    if "closed_on" in kwargs:
        kwargs["closed_on"] = today()
    if move == "assign_rep":
        kwargs["user_id"] = world.user(Role.MANAGER).pk
    return call(world, service, registration=registration, **kwargs)


@pytest.mark.parametrize(("move", "status"), list(_cases(allowed=True)))
def test_every_allowed_move_is_made(world_a, move, status):
    registration = make(world_a, status)

    _run_move(world_a, move, registration)

    after = fresh(world_a, registration)
    assert after.status == RESULT.get(move, status)


@pytest.mark.parametrize(("move", "status"), list(_cases(allowed=False)))
def test_every_refused_move_says_why_and_changes_nothing(world_a, move, status):
    registration = make(world_a, status)

    with pytest.raises(ValidationError) as excinfo:
        _run_move(world_a, move, registration)

    label = Status(status).label.lower()
    message = errors_of(excinfo)["status"][0]
    assert message.startswith(f"This registration is {label}; it must be ")
    allowed = " or ".join(Status(s).label.lower() for s in Status.values if s in MOVES[move][2])
    assert message == f"This registration is {label}; it must be {allowed}."
    after = fresh(world_a, registration)
    assert after.status == status
    assert after.updated_at == registration.updated_at
    assert history(world_a, registration) == []


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_needs_a_reason(world_a, reason):
    registration = make(world_a)

    with pytest.raises(ValidationError) as excinfo:
        call(world_a, "registration_reject", registration=registration, reason=reason)

    assert errors_of(excinfo) == {"reason": ["Say why; the partner reads it."]}
    assert fresh(world_a, registration).status == Status.SUBMITTED


def test_rejection_keeps_the_reason_for_the_partner(world_a):
    registration = make(world_a)

    call(
        world_a,
        "registration_reject",
        registration=registration,
        reason="  Named account of the direct team. ",
    )

    after = fresh(world_a, registration)
    assert (after.status, after.decision_reason) == (Status.REJECTED, "Named account of the direct team.")
    assert after.decided_by == world_a.user(Role.MANAGER)
    assert history(world_a, registration) == [
        (Status.SUBMITTED, Status.REJECTED, "Named account of the direct team.")
    ]


@pytest.mark.parametrize("amount", [None, Decimal("0"), Decimal("-5")])
def test_a_won_deal_needs_its_amount(world_a, amount):
    registration = make(world_a, Status.APPROVED)

    with pytest.raises(ValidationError) as excinfo:
        call(
            world_a,
            "registration_close",
            registration=registration,
            won=True,
            closed_on=today(),
            amount=amount,
        )

    assert errors_of(excinfo) == {"amount": ["Give the amount the deal was won for."]}
    assert fresh(world_a, registration).status == Status.APPROVED


def test_a_won_deal_records_its_amount_and_date_in_both_currencies(world_a):
    world_a.tenant.settings = {"exchange_rates": {"EUR": "1.10"}}
    world_a.tenant.save()
    registration = make(
        world_a,
        Status.APPROVED,
        currency="EUR",
        amount=Decimal("1000"),
        amount_reporting=Decimal("1100"),
        submitted_at=timezone.now() - timedelta(days=10),
    )

    call(
        world_a,
        "registration_close",
        registration=registration,
        won=True,
        closed_on=today() - timedelta(days=3),
        amount=Decimal("1200.00"),
    )

    after = fresh(world_a, registration)
    assert after.status == Status.WON
    assert after.closed_on == today() - timedelta(days=3)
    assert after.closed_amount == Decimal("1200.00")
    assert after.closed_amount_reporting == Decimal("1320.00")


def test_a_lost_deal_records_its_date_and_no_amount(world_a):
    registration = make(world_a, Status.APPROVED)

    call(
        world_a,
        "registration_close",
        registration=registration,
        won=False,
        closed_on=today(),
        amount=Decimal("5"),
    )

    after = fresh(world_a, registration)
    assert (after.status, after.closed_on, after.closed_amount, after.closed_amount_reporting) == (
        Status.LOST,
        today(),
        None,
        None,
    )


def test_a_deal_cannot_close_in_the_future(world_a):
    registration = make(world_a, Status.APPROVED)

    with pytest.raises(ValidationError) as excinfo:
        call(
            world_a,
            "registration_close",
            registration=registration,
            won=False,
            closed_on=today() + timedelta(days=1),
        )

    assert errors_of(excinfo) == {"closed_on": ["A deal cannot close in the future."]}
    assert fresh(world_a, registration).status == Status.APPROVED


def test_a_won_deal_can_book_its_revenue(world_a):
    registration = make(world_a, Status.APPROVED)

    call(
        world_a,
        "registration_close",
        registration=registration,
        won=True,
        closed_on=today(),
        amount=Decimal("800"),
        create_booking=True,
    )

    with tenant_context(world_a.tenant):
        record = RevenueRecord.objects.get(registration=registration)
    assert (record.partner_id, record.account_id, record.kind, record.recurring) == (
        world_a.partner.pk,
        registration.account_id,
        RevenueRecord.Kind.NEW,
        True,
    )
    assert (record.period, record.amount, record.amount_reporting) == (
        today().replace(day=1),
        Decimal("800.00"),
        Decimal("800.00"),
    )


def test_approval_protects_the_deal_for_the_tenants_period(world_a):
    world_a.tenant.settings = {"deal_registration": {"protection_days": 45}}
    world_a.tenant.save()
    registration = make(world_a)

    call(world_a, "registration_approve", registration=registration)

    after = fresh(world_a, registration)
    assert after.status == Status.APPROVED
    assert after.protected_until == today() + timedelta(days=45)
    assert after.decided_by == world_a.user(Role.MANAGER)


def test_partner_asks_for_an_extension_and_a_manager_grants_it(world_a):
    world_a.tenant.settings = {"deal_registration": {"extension_days": 30}}
    world_a.tenant.save()
    registration = make(world_a, Status.APPROVED, protected_until=today() + timedelta(days=10))

    with pytest.raises(ValidationError) as excinfo:
        call(
            world_a,
            "registration_request_extension",
            Role.PARTNER_USER,
            registration=registration,
            reason=" ",
        )
    assert errors_of(excinfo) == {"reason": ["Say why the deal needs more time."]}

    call(
        world_a,
        "registration_request_extension",
        Role.PARTNER_USER,
        registration=registration,
        reason="The board meets next month.",
    )
    requested = fresh(world_a, registration)
    assert requested.extension_requested_at is not None
    assert requested.extension_reason == "The board meets next month."
    assert requested.protected_until == today() + timedelta(days=10)

    call(world_a, "registration_extend", registration=requested)

    granted = fresh(world_a, registration)
    assert granted.protected_until == today() + timedelta(days=40)
    assert (granted.extensions, granted.extension_requested_at, granted.status) == (1, None, Status.APPROVED)
    assert audit_verbs(world_a, registration) == ["registration.extension_requested", "registration.extended"]


def test_an_extension_of_a_lapsed_protection_runs_from_today(world_a):
    registration = make(world_a, Status.APPROVED, protected_until=today() - timedelta(days=5))

    call(world_a, "registration_extend", registration=registration)

    assert fresh(world_a, registration).protected_until == today() + timedelta(days=90)


def test_only_the_own_partner_or_a_manager_may_ask_for_an_extension(world_a):
    registration = make(world_a, Status.APPROVED)

    for role in (OTHER, Role.FINANCE, Role.EXECUTIVE):
        with pytest.raises(PermissionDenied):
            call(
                world_a,
                "registration_request_extension",
                role,
                registration=registration,
                reason="More time.",
            )
    with pytest.raises(PermissionDenied):
        call(world_a, "registration_extend", Role.PARTNER_ADMIN, registration=registration)

    assert fresh(world_a, registration).extension_requested_at is None


def test_the_sales_rep_must_be_an_active_staff_member_of_the_program(world_a, world_b):
    registration = make(world_a, Status.APPROVED)
    inactive = MembershipFactory(tenant=world_a.tenant, role=Role.MANAGER, is_active=False).user
    outsider = world_b.user(Role.MANAGER)

    for user in (world_a.user(Role.PARTNER_USER), inactive, outsider, UserFactory()):
        with pytest.raises(ValidationError) as excinfo:
            call(world_a, "registration_assign_rep", registration=registration, user_id=user.pk)
        assert errors_of(excinfo) == {"sales_rep": ["Choose an active staff member of this program."]}
    assert fresh(world_a, registration).sales_rep_id is None

    call(
        world_a, "registration_assign_rep", registration=registration, user_id=world_a.user(Role.EXECUTIVE).pk
    )
    assert fresh(world_a, registration).sales_rep == world_a.user(Role.EXECUTIVE)

    call(world_a, "registration_assign_rep", registration=fresh(world_a, registration), user_id=None)
    assert fresh(world_a, registration).sales_rep_id is None
    assert audit_verbs(world_a, registration) == ["registration.sales_rep_assigned"] * 2


@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE, Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_only_deal_deciders_decide(world_a, role):
    registration = make(world_a)

    with pytest.raises(PermissionDenied):
        call(world_a, "registration_approve", role, registration=registration)
    with pytest.raises(PermissionDenied):
        call(world_a, "registration_reject", role, registration=registration, reason="No.")

    assert fresh(world_a, registration).status == Status.SUBMITTED


# --- conflicts -----------------------------------------------------------------------------------


def conflict_pairs(world) -> set[tuple[int, int, str]]:
    with tenant_context(world.tenant):
        return set(DealConflict.objects.values_list("registration_id", "other_id", "reason"))


def test_same_domain_is_a_conflict_recorded_both_ways(world_a):
    first = submit(world_a, name="Contoso Ltd", domain="contoso.example")
    second = submit(world_a, OTHER, name="Contoso Group", domain="https://www.Contoso.example/about")

    assert second.account_id == first.account_id
    assert conflict_pairs(world_a) == {(first.pk, second.pk, "domain"), (second.pk, first.pk, "domain")}
    assert fresh(world_a, first).has_conflict
    assert fresh(world_a, second).has_conflict


def test_same_normalised_name_is_a_conflict(world_a):
    first = submit(world_a, name="ACME, Inc.", domain="")
    second = submit(world_a, OTHER, name="Acme", domain="")

    assert second.account_id == first.account_id
    assert conflict_pairs(world_a) == {(first.pk, second.pk, "name"), (second.pk, first.pk, "name")}
    assert fresh(world_a, first).has_conflict
    assert second.has_conflict


def test_a_different_customer_is_no_conflict(world_a):
    submit(world_a, name="Contoso Ltd", domain="contoso.example")
    second = submit(world_a, OTHER, name="Fabrikam", domain="fabrikam.example")

    assert not second.has_conflict
    assert conflict_pairs(world_a) == set()


@pytest.mark.parametrize(
    ("status", "protected_days", "conflicts"),
    [
        (Status.SUBMITTED, None, True),
        (Status.APPROVED, 0, True),  # protected through today
        (Status.APPROVED, 30, True),
        (Status.APPROVED, -1, False),  # protection over (the expiry job has not run yet)
        (Status.REJECTED, None, False),
        (Status.EXPIRED, -10, False),
        (Status.WON, 30, False),
        (Status.LOST, 30, False),
    ],
)
def test_only_open_registrations_within_protection_conflict(world_a, status, protected_days, conflicts):
    with tenant_context(world_a.tenant):
        account = AccountFactory(name="Contoso", domain="contoso.example")
    existing = make(
        world_a,
        status,
        partner=world_a.other_partner,
        account=account,
        protected_until=None if protected_days is None else today() + timedelta(days=protected_days),
    )

    new = submit(world_a, name="Contoso", domain="contoso.example")

    assert new.has_conflict is conflicts
    assert fresh(world_a, existing).has_conflict is conflicts
    assert bool(conflict_pairs(world_a)) is conflicts


def test_a_partners_own_registrations_at_one_customer_do_not_conflict(world_a):
    first = submit(world_a, name="Contoso", domain="contoso.example")
    second = submit(
        world_a, Role.PARTNER_ADMIN, name="Contoso", domain="contoso.example", opportunity_name="Phase 2"
    )

    assert second.account_id == first.account_id
    assert not second.has_conflict
    assert not fresh(world_a, first).has_conflict
    assert conflict_pairs(world_a) == set()
    call(world_a, "registration_approve", registration=second)  # no conflict to resolve
    assert fresh(world_a, first).status == Status.SUBMITTED


@pytest.mark.parametrize(("is_open", "flagged"), [(True, True), (False, False)])
def test_a_vendor_opportunity_on_the_account_flags_the_registration(world_a, is_open, flagged):
    with tenant_context(world_a.tenant):
        account = AccountFactory(name="Contoso", domain="contoso.example")
        VendorOpportunity.objects.create(account=account, name="Direct renewal", is_open=is_open)

    registration = submit(world_a, name="Contoso", domain="contoso.example")

    assert registration.has_conflict is flagged
    assert fresh(world_a, registration).has_conflict is flagged
    assert conflict_pairs(world_a) == set()  # no other registration to link


def test_approving_with_open_conflicts_needs_a_reason_then_rejects_the_others(
    world_a, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(world_a, name="Contoso", domain="contoso.example")
        second = submit(world_a, OTHER, name="Contoso", domain="contoso.example")
        third = submit(world_a, OTHER, name="Fabrikam", domain="fabrikam.example")
    mailoutbox.clear()

    with pytest.raises(ValidationError) as excinfo, django_capture_on_commit_callbacks(execute=True):
        call(world_a, "registration_approve", registration=second, reject_conflicting_reason="  ")
    assert list(errors_of(excinfo)) == ["reject_conflicting_reason"]
    assert (
        "1 other open registration(s) claim this account"
        in errors_of(excinfo)["reject_conflicting_reason"][0]
    )
    assert fresh(world_a, first).status == fresh(world_a, second).status == Status.SUBMITTED
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        call(
            world_a,
            "registration_approve",
            registration=second,
            reject_conflicting_reason="The other partner's customer contact confirmed they lead the deal.",
        )

    assert fresh(world_a, second).status == Status.APPROVED
    rejected = fresh(world_a, first)
    assert rejected.status == Status.REJECTED
    assert rejected.decision_reason == "The other partner's customer contact confirmed they lead the deal."
    assert fresh(world_a, third).status == Status.SUBMITTED  # another account: untouched
    assert history(world_a, first)[-1] == (
        Status.SUBMITTED,
        Status.REJECTED,
        "The other partner's customer contact confirmed they lead the deal.",
    )
    assert audit_verbs(world_a, first) == ["registration.submitted", "registration.rejected"]
    by_subject = {m.subject: m for m in mailoutbox}
    assert set(by_subject) == {
        "[PRM] Deal registration rejected: Contoso rollout",
        "[PRM] Deal registration approved: Contoso rollout",
    }
    rejection = by_subject["[PRM] Deal registration rejected: Contoso rollout"]
    assert rejection.to == ["partner-admin@alpha.example", "partner-user@alpha.example"]
    assert "Reason: The other partner's customer contact confirmed they lead the deal." in rejection.body
    assert "ALPHA Partner Two" not in rejection.body
    assert by_subject["[PRM] Deal registration approved: Contoso rollout"].to == ["other@alpha.example"]


def test_a_conflict_whose_other_side_closed_needs_no_reason(world_a):
    first = submit(world_a, name="Contoso", domain="contoso.example")
    second = submit(world_a, OTHER, name="Contoso", domain="contoso.example")
    call(world_a, "registration_reject", registration=first, reason="Duplicate.")

    call(world_a, "registration_approve", registration=second)

    assert fresh(world_a, second).status == Status.APPROVED


# --- accounts ------------------------------------------------------------------------------------


def test_merging_an_account_moves_its_records_and_keeps_it_pointing_at_the_survivor(world_a):
    with tenant_context(world_a.tenant):
        survivor = AccountFactory(name="Contoso Ltd", domain="contoso.example")
        duplicate = AccountFactory(name="Contoso Limited", domain="contoso-ltd.example")
        registration = make(world_a, account=duplicate)
        kept = make(world_a, account=survivor)
        revenue = RevenueRecordFactory(account=duplicate, partner=world_a.partner)
        opportunity = VendorOpportunity.objects.create(account=duplicate, name="Direct deal")

    result = call(world_a, "account_merge", duplicate=duplicate, into=survivor)

    assert result == survivor
    with tenant_context(world_a.tenant):
        assert DealRegistration.objects.get(pk=registration.pk).account_id == survivor.pk
        assert DealRegistration.objects.get(pk=kept.pk).account_id == survivor.pk
        assert RevenueRecord.objects.get(pk=revenue.pk).account_id == survivor.pk
        assert VendorOpportunity.objects.get(pk=opportunity.pk).account_id == survivor.pk
        merged = Account.objects.get(pk=duplicate.pk)
        assert merged.merged_into_id == survivor.pk
        assert merged.name == "Contoso Limited"  # history keeps the name it had
        assert services.account_match(name="", domain="contoso-ltd.example") == survivor
        assert services.account_match(name="Contoso Limited", domain="") == survivor
        event = AuditEvent.objects.get(verb="account.merged")
    assert event.target_id == str(duplicate.pk)
    assert event.actor == world_a.user(Role.MANAGER)
    assert event.after == {
        "merged_into": survivor.pk,
        "registrations": 1,
        "vendor_opportunities": 1,
        "revenue_records": 1,
    }

    # A registration for the old domain now lands on the survivor.
    assert submit(world_a, name="Contoso Limited", domain="contoso-ltd.example").account_id == survivor.pk


def test_an_account_cannot_be_merged_twice_or_into_itself(world_a):
    with tenant_context(world_a.tenant):
        survivor = AccountFactory()
        duplicate = AccountFactory()
    call(world_a, "account_merge", duplicate=duplicate, into=survivor)

    with pytest.raises(ValidationError) as excinfo:
        call(world_a, "account_merge", duplicate=fresh_account(world_a, duplicate), into=survivor)
    assert excinfo.value.messages == ["This account was merged already."]
    with pytest.raises(ValidationError) as excinfo:
        call(world_a, "account_merge", duplicate=survivor, into=survivor)
    assert errors_of(excinfo) == {"into": ["Choose a different account to merge into."]}
    with pytest.raises(ValidationError):  # into the account that was merged into it
        call(world_a, "account_merge", duplicate=survivor, into=fresh_account(world_a, duplicate))


def fresh_account(world, account):
    with tenant_context(world.tenant):
        return Account.objects.get(pk=account.pk)


@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE, Role.PARTNER_ADMIN])
def test_only_deal_deciders_merge_accounts(world_a, role):
    with tenant_context(world_a.tenant):
        survivor, duplicate = AccountFactory(), AccountFactory()

    with pytest.raises(PermissionDenied):
        call(world_a, "account_merge", role, duplicate=duplicate, into=survivor)

    assert fresh_account(world_a, duplicate).merged_into_id is None


def test_precheck_says_whether_but_never_who(world_a):
    submit(world_a, OTHER, name="Contoso", domain="contoso.example")

    result = call(
        world_a, "account_precheck", Role.PARTNER_USER, name="Contoso Group", domain="www.contoso.example"
    )

    assert result == {
        "conflict": True,
        "open_registrations": 1,
        "vendor_opportunity": False,
        "known_account": True,
    }
    text = json.dumps(result)
    assert "ALPHA Partner Two" not in text
    assert str(world_a.other_partner.pk) not in text


def test_precheck_ignores_the_callers_own_registrations(world_a):
    submit(world_a, name="Contoso", domain="contoso.example")

    mine = call(world_a, "account_precheck", Role.PARTNER_ADMIN, name="Contoso", domain="contoso.example")
    theirs = call(world_a, "account_precheck", OTHER, name="Contoso", domain="contoso.example")

    assert mine == {
        "conflict": False,
        "open_registrations": 0,
        "vendor_opportunity": False,
        "known_account": True,
    }
    assert theirs["conflict"] is True


def test_precheck_reports_a_vendor_opportunity_and_an_unknown_customer(world_a):
    with tenant_context(world_a.tenant):
        account = AccountFactory(name="Fabrikam", domain="fabrikam.example")
        VendorOpportunity.objects.create(account=account, name="Direct", is_open=True)

    vendor = call(world_a, "account_precheck", Role.PARTNER_USER, name="", domain="fabrikam.example")
    unknown = call(
        world_a, "account_precheck", Role.PARTNER_USER, name="Northwind", domain="northwind.example"
    )

    assert vendor == {
        "conflict": True,
        "open_registrations": 0,
        "vendor_opportunity": True,
        "known_account": True,
    }
    assert unknown == {
        "conflict": False,
        "open_registrations": 0,
        "vendor_opportunity": False,
        "known_account": False,
    }


def test_precheck_ignores_closed_and_lapsed_registrations(world_a):
    with tenant_context(world_a.tenant):
        account = AccountFactory(name="Contoso", domain="contoso.example")
    for status, days in [
        (Status.REJECTED, None),
        (Status.APPROVED, -1),
        (Status.EXPIRED, -5),
        (Status.WON, 10),
    ]:
        make(
            world_a,
            status,
            partner=world_a.other_partner,
            account=account,
            protected_until=None if days is None else today() + timedelta(days=days),
        )

    result = call(world_a, "account_precheck", Role.PARTNER_USER, name="Contoso", domain="contoso.example")

    assert result["conflict"] is False


# --- who registers for whom ----------------------------------------------------------------------


def test_a_partner_user_registers_for_their_own_partner_only(world_a):
    registration = submit(world_a, Role.PARTNER_USER, partner_id=world_a.other_partner.pk)

    assert registration.partner_id == world_a.partner.pk
    assert registration.submitted_by == world_a.user(Role.PARTNER_USER)
    assert registration.status == Status.SUBMITTED


def test_a_manager_registers_on_a_partners_behalf(world_a):
    with pytest.raises(ValidationError) as excinfo:
        submit(world_a, Role.MANAGER)
    assert errors_of(excinfo) == {"partner": ["Choose the partner this deal is registered for."]}

    registration = submit(world_a, Role.MANAGER, partner_id=world_a.other_partner.pk)

    assert registration.partner_id == world_a.other_partner.pk
    assert registration.submitted_by == world_a.user(Role.MANAGER)


@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE])
def test_staff_without_the_deal_desk_cannot_register(world_a, role):
    with pytest.raises(PermissionDenied):
        submit(world_a, role, partner_id=world_a.partner.pk)


def test_registrations_are_for_current_partners_of_this_program(world_a, world_b):
    prospect = PartnerFactory(tenant=world_a.tenant, status="prospect")
    archived = PartnerFactory(tenant=world_a.tenant, archived_at=timezone.now())

    with pytest.raises(ValidationError) as excinfo:
        submit(world_a, Role.MANAGER, partner_id=prospect.pk)
    assert errors_of(excinfo) == {"partner": ["A prospect partner cannot register deals."]}
    for partner_id in (archived.pk, world_b.partner.pk):
        with pytest.raises(ValidationError) as excinfo:
            submit(world_a, Role.MANAGER, partner_id=partner_id)
        assert errors_of(excinfo) == {"partner": ["Choose a current partner of this program."]}


def test_bad_input_names_the_field_and_changes_nothing(world_a):
    with pytest.raises(ValidationError) as excinfo:
        submit(world_a, amount=Decimal("-1"), expected_close_date=today() - timedelta(days=31))
    assert "amount" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        submit(world_a, expected_close_date=today() - timedelta(days=31))
    assert list(errors_of(excinfo)) == ["expected_close_date"]
    with pytest.raises(ValidationError) as excinfo:
        submit(world_a, status=Status.APPROVED)
    assert errors_of(excinfo) == {"status": ["This field cannot be set here."]}
    with pytest.raises(ValidationError) as excinfo:
        submit(world_a, name="  ")
    assert list(errors_of(excinfo)) == ["account_name"]

    with tenant_context(world_a.tenant):
        assert DealRegistration.objects.count() == Account.objects.count() == 0


# --- money ---------------------------------------------------------------------------------------


def test_amounts_are_converted_at_the_tenants_rate(world_a):
    world_a.tenant.settings = {"exchange_rates": {"EUR": "1.10"}}
    world_a.tenant.save()

    registration = submit(world_a, amount=Decimal("1000.00"), currency="eur")
    default = submit(world_a, name="Fabrikam", domain="fabrikam.example", amount=Decimal("99.99"))

    assert (registration.currency, registration.amount_reporting) == ("EUR", Decimal("1100.00"))
    assert (default.currency, default.amount_reporting) == ("USD", Decimal("99.99"))


def test_a_currency_without_a_rate_is_refused_on_the_currency_field(world_a):
    world_a.tenant.settings = {"exchange_rates": {"EUR": "1.10"}}
    world_a.tenant.save()

    with pytest.raises(ValidationError) as excinfo:
        submit(world_a, currency="GBP")

    assert errors_of(excinfo) == {"currency": ["No exchange rate from GBP to USD is set for this program."]}
    with tenant_context(world_a.tenant):
        assert DealRegistration.objects.count() == Account.objects.count() == 0


# --- history, audit and e-mail ---------------------------------------------------------------------


def test_every_transition_leaves_history_audit_and_an_email_with_a_link(
    world_a, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registration = submit(world_a)
    with django_capture_on_commit_callbacks(execute=True):
        call(world_a, "registration_approve", registration=registration)
    with django_capture_on_commit_callbacks(execute=True):
        call(
            world_a,
            "registration_close",
            registration=registration,
            won=True,
            closed_on=today(),
            amount=Decimal("45000"),
        )

    assert history(world_a, registration) == [
        ("", Status.SUBMITTED, ""),
        (Status.SUBMITTED, Status.APPROVED, ""),
        (Status.APPROVED, Status.WON, ""),
    ]
    with tenant_context(world_a.tenant):
        changes = list(DealStatusChange.objects.filter(registration=registration))
        events = list(AuditEvent.objects.filter(target_id=str(registration.pk)).order_by("id"))
    assert [c.changed_by for c in changes] == [
        world_a.user(Role.PARTNER_USER),
        *[world_a.user(Role.MANAGER)] * 2,
    ]
    assert [(e.verb, e.before, e.after, e.partner_id) for e in events] == [
        ("registration.submitted", {}, {"status": "submitted"}, world_a.partner.pk),
        (
            "registration.approved",
            {"status": "submitted"},
            {"status": "approved", "protection_days": 90, "protection_source": "program default"},
            world_a.partner.pk,
        ),
        ("registration.won", {"status": "approved"}, {"status": "won"}, world_a.partner.pk),
    ]
    assert [m.subject for m in mailoutbox] == [
        "[PRM] Deal registration received: Contoso Ltd rollout",
        "[PRM] Deal registration approved: Contoso Ltd rollout",
        "[PRM] Deal registration marked won: Contoso Ltd rollout",
    ]
    link = "http://127.0.0.1:8000" + reverse("portal:registration_detail", args=["alpha", registration.pk])
    for message in mailoutbox:
        assert message.to == ["partner-admin@alpha.example", "partner-user@alpha.example"]
        assert link in message.body
    assert "It is protected until" in mailoutbox[1].body


def test_a_rejection_email_gives_the_reason(world_a, mailoutbox, django_capture_on_commit_callbacks):
    registration = make(world_a, submitted_by=world_a.user(Role.PARTNER_USER))

    with django_capture_on_commit_callbacks(execute=True):
        call(world_a, "registration_reject", registration=registration, reason="Outside your territory.")

    [message] = mailoutbox
    assert message.subject.startswith("[PRM] Deal registration rejected: ")
    assert "Reason: Outside your territory." in message.body
    assert history(world_a, registration) == [(Status.SUBMITTED, Status.REJECTED, "Outside your territory.")]
    assert audit_verbs(world_a, registration) == ["registration.rejected"]


def test_nothing_is_emailed_when_the_transaction_fails(
    world_a, mailoutbox, django_capture_on_commit_callbacks
):
    registration = make(world_a, Status.WON)

    with pytest.raises(ValidationError), django_capture_on_commit_callbacks(execute=True):
        call(world_a, "registration_reject", registration=registration, reason="Too late.")

    assert mailoutbox == []
    assert audit_verbs(world_a, registration) == []


def test_a_registration_of_one_tenant_is_out_of_reach_from_another(world_a, world_b):
    registration = make(world_a)

    with pytest.raises(DealRegistration.DoesNotExist):
        call(world_b, "registration_approve", registration=registration)

    assert fresh(world_a, registration).status == Status.SUBMITTED


# --- revenue -------------------------------------------------------------------------------------


def revenue_row(account, **fields):
    return {
        "account": account,
        "period": today().replace(day=15),
        "kind": RevenueRecord.Kind.NEW,
        "amount": Decimal("1200"),
        **fields,
    }


def test_revenue_rows_are_created_together_and_converted(world_a):
    world_a.tenant.settings = {"exchange_rates": {"EUR": "1.10"}}
    world_a.tenant.save()
    with tenant_context(world_a.tenant):
        account = AccountFactory()

    created = call(
        world_a,
        "revenue_records_bulk_create",
        rows=[
            revenue_row(account, partner=world_a.partner),
            revenue_row(account, kind=RevenueRecord.Kind.EXPANSION, amount=Decimal("100"), currency="EUR"),
            revenue_row(account, kind=RevenueRecord.Kind.NEW, recurring=False, amount=Decimal("50")),
        ],
    )

    assert len(created) == 3
    with tenant_context(world_a.tenant):
        rows = list(
            RevenueRecord.objects.order_by("pk").values_list(
                "period", "currency", "amount_reporting", "partner"
            )
        )
        event = AuditEvent.objects.get(verb="revenue.imported")
    first_of_month = today().replace(day=1)
    assert rows == [
        (first_of_month, "USD", Decimal("1200.00"), world_a.partner.pk),
        (first_of_month, "EUR", Decimal("110.00"), None),
        (first_of_month, "USD", Decimal("50.00"), None),
    ]
    assert event.after == {"rows": 3, "total": "1360.00"}


def test_one_bad_revenue_row_refuses_the_whole_batch_naming_rows_and_fields(world_a):
    with tenant_context(world_a.tenant):
        account = AccountFactory()

    with pytest.raises(ValidationError) as excinfo:
        call(
            world_a,
            "revenue_records_bulk_create",
            rows=[
                revenue_row(account),
                revenue_row(account, kind="refund"),
                revenue_row(account, currency="GBP"),
                revenue_row(account, amount=Decimal("-3")),
            ],
        )

    errors = errors_of(excinfo)
    assert set(errors) == {"row 2: kind", "row 3: currency", "row 4: amount"}
    assert errors["row 3: currency"] == ["No exchange rate from GBP to USD is set for this program."]
    with tenant_context(world_a.tenant):
        assert RevenueRecord.objects.count() == 0
        assert not AuditEvent.objects.filter(verb="revenue.imported").exists()


@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE, Role.PARTNER_ADMIN])
def test_only_partner_managers_record_revenue(world_a, role):
    with tenant_context(world_a.tenant):
        account = AccountFactory()

    with pytest.raises(PermissionDenied):
        call(world_a, "revenue_records_bulk_create", role, rows=[revenue_row(account)])


def test_a_resolved_conflict_clears_the_flag_of_the_registration_that_stays(world_a, in_tenant):
    from pipeline.models import DealRegistration
    from pipeline.services import registration_reject, registration_submit

    fields = {
        "opportunity_name": "Rollout",
        "products": "Platform",
        "amount": "1000",
        "currency": "USD",
        "expected_close_date": "2027-06-30",
    }
    with in_tenant(world_a.tenant):
        first = registration_submit(
            access=world_a.access(Role.PARTNER_USER),
            account_name="Flagco",
            account_domain="flagco.example",
            fields=fields,
        )
        second = registration_submit(
            access=world_a.access("other_partner_user"),
            account_name="Flagco",
            account_domain="flagco.example",
            fields=fields,
        )
        assert DealRegistration.objects.get(pk=first.pk).has_conflict
        registration_reject(access=world_a.access(Role.MANAGER), registration=second, reason="Duplicate")
        assert not DealRegistration.objects.get(pk=first.pk).has_conflict
