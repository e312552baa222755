"""Closing fiscal quarters (the core): who may close and reopen, in which order, what the lock
answers for a date, the page, the API and the audit trail. The pipeline's enforcement is tested in
tests/pipeline/test_closed_quarters.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from prm import closing
from prm.models import AuditEvent, ClosedPeriod
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.prm.factories import close, quarters_ago, reopen, set_policy

API = "/api/v1/t/alpha/fiscal-quarters"
PAGE = "/t/alpha/settings/fiscal-quarters/"


def events(world, verb: str) -> list[AuditEvent]:
    with tenant_context(world.tenant):
        return list(AuditEvent.objects.filter(verb=verb).order_by("pk"))


def states(world, role=Role.FINANCE) -> dict[str, str]:
    with tenant_context(world.tenant):
        return {q.label: q.state for q in closing.quarters(world.access(role))}


def test_finance_closes_an_ended_quarter_and_the_audit_trail_says_who_and_when(world_a):
    q2 = quarters_ago(2)

    row = close(world_a, q2, note="Rebate statements approved")

    assert (row.label, row.starts_on, row.ends_on) == (q2.label, q2.start, q2.end)
    assert row.note == "Rebate statements approved"
    assert row.closed_by == world_a.user(Role.FINANCE)
    assert states(world_a)[q2.label] == "closed"
    (event,) = events(world_a, "period.closed")
    assert event.actor == world_a.user(Role.FINANCE)
    assert event.after["quarter"] == q2.label
    assert event.after["note"] == "Rebate statements approved"


def test_the_running_quarter_cannot_be_closed(world_a):
    current = quarters_ago(0)

    with pytest.raises(ValidationError) as excinfo:
        close(world_a, current)

    assert "has not ended yet" in excinfo.value.message_dict["quarter"][0]
    assert states(world_a)[current.label] == "current"


def test_quarters_close_in_order_after_the_first_close(world_a):
    close(world_a, quarters_ago(3))

    with pytest.raises(ValidationError) as skipped:
        close(world_a, quarters_ago(1))
    with pytest.raises(ValidationError) as twice:
        close(world_a, quarters_ago(3))
    close(world_a, quarters_ago(2))

    assert f"{quarters_ago(2).label} is the one to close next" in skipped.value.message_dict["quarter"][0]
    assert twice.value.message_dict["quarter"] == [f"{quarters_ago(3).label} is already closed."]
    listed = states(world_a)
    assert [listed[quarters_ago(n).label] for n in (4, 3, 2, 1, 0)] == [
        "open",
        "closed",
        "closed",
        "open",
        "current",
    ]


def test_a_quarter_label_that_is_not_a_quarter_is_refused_naming_the_field(world_a):
    for label in ("FY2026", "2026-Q2", "TTM-FY2026-Q2"):
        with tenant_context(world_a.tenant), pytest.raises(ValidationError) as excinfo:
            closing.period_close(access=world_a.access(Role.FINANCE), quarter=label)
        assert list(excinfo.value.message_dict) == ["quarter"]


def test_reopening_a_quarter_reopens_the_later_ones_and_needs_a_reason(world_a):
    for n in (3, 2, 1):
        close(world_a, quarters_ago(n))

    with pytest.raises(ValidationError) as no_reason:
        reopen(world_a, quarters_ago(2), reason=" ")
    reopened = reopen(world_a, quarters_ago(2))

    assert no_reason.value.message_dict["reason"]
    assert [row.label for row in reopened] == [quarters_ago(2).label, quarters_ago(1).label]
    listed = states(world_a)
    assert [listed[quarters_ago(n).label] for n in (3, 2, 1)] == ["closed", "open", "open"]
    assert [e.target_repr for e in events(world_a, "period.reopened")] == [
        f"{quarters_ago(2).label} (reopened)",
        f"{quarters_ago(1).label} (reopened)",
    ]
    assert all(e.after["reason"] == "Late credit note" for e in events(world_a, "period.reopened"))
    # The history stays; the quarter can be closed again.
    close(world_a, quarters_ago(2))
    with tenant_context(world_a.tenant):
        assert ClosedPeriod.objects.filter(label=quarters_ago(2).label).count() == 2


def test_an_open_quarter_cannot_be_reopened(world_a):
    with pytest.raises(ValidationError) as excinfo:
        reopen(world_a, quarters_ago(2))

    assert excinfo.value.message_dict["quarter"] == [f"{quarters_ago(2).label} is not closed."]


@pytest.mark.parametrize(
    "role", [Role.ADMIN, Role.MANAGER, Role.EXECUTIVE, Role.PARTNER_ADMIN, Role.PARTNER_USER]
)
def test_only_finance_closes_reopens_and_sets_late_entries(world_a, role):
    close(world_a, quarters_ago(3))
    with pytest.raises(PermissionDenied):
        close(world_a, quarters_ago(2), role=role)
    with pytest.raises(PermissionDenied):
        reopen(world_a, quarters_ago(3), role=role)
    with tenant_context(world_a.tenant), pytest.raises(PermissionDenied):
        closing.late_entries_set(access=world_a.access(role), policy="adjust")
    assert states(world_a)[quarters_ago(3).label] == "closed"


def test_the_lock_refuses_a_date_in_a_closed_quarter_naming_the_field(world_a):
    q2 = quarters_ago(2)
    close(world_a, q2)

    with tenant_context(world_a.tenant):
        with pytest.raises(ValidationError) as excinfo:
            closing.ensure_open(world_a.tenant, q2.start + timedelta(days=10), field="closed_on")
        closing.ensure_open(world_a.tenant, q2.end + timedelta(days=1), field="closed_on")
        booked = closing.book_date(world_a.tenant, q2.start - timedelta(days=1), field="closed_on")

    assert excinfo.value.message_dict == {
        "closed_on": [f"{q2.label} is closed; date it in the open period or ask finance to reopen."]
    }
    assert not booked.is_adjustment


def test_with_adjustments_a_late_date_goes_to_the_first_open_quarter_with_its_reason(world_a):
    close(world_a, quarters_ago(3))
    close(world_a, quarters_ago(2))
    set_policy(world_a, "adjust")
    late = quarters_ago(3).start + timedelta(days=5)

    with tenant_context(world_a.tenant):
        with pytest.raises(ValidationError) as no_reason:
            closing.book_date(world_a.tenant, late, field="period")
        booking = closing.book_date(world_a.tenant, late, field="period", reason=" Invoice found late ")

    assert "say why this entry comes late" in no_reason.value.message_dict["adjustment_reason"][0]
    assert quarters_ago(1).label in no_reason.value.message_dict["adjustment_reason"][0]
    assert (booking.day, booking.original, booking.reason, booking.closed_label) == (
        quarters_ago(1).start,
        late,
        "Invoice found late",
        quarters_ago(3).label,
    )


def test_changing_the_late_entry_choice_is_audited_and_defaults_to_refuse(world_a):
    assert closing.late_entries(world_a.tenant) == "refuse"

    set_policy(world_a, "adjust")
    set_policy(world_a, "adjust")  # no change, no event
    with tenant_context(world_a.tenant), pytest.raises(ValidationError):
        closing.late_entries_set(access=world_a.access(Role.FINANCE), policy="ignore")

    world_a.tenant.refresh_from_db()
    assert closing.late_entries(world_a.tenant) == "adjust"
    (event,) = events(world_a, "period.late_entries_changed")
    assert (event.before, event.after) == ({"late_entries": "refuse"}, {"late_entries": "adjust"})


def test_closed_quarters_are_per_tenant(world_a, world_b):
    close(world_a, quarters_ago(2))

    with tenant_context(world_b.tenant):
        closing.ensure_open(world_b.tenant, quarters_ago(2).start, field="period")
    assert states(world_b)[quarters_ago(2).label] == "open"


# --- the page ---------------------------------------------------------------------------------------


def test_finance_closes_and_reopens_a_quarter_from_the_page(world_a, client_for):
    finance = client_for(world_a.user(Role.FINANCE))
    q2 = quarters_ago(2)

    page = finance.get(PAGE)
    closed = finance.post(f"{PAGE}close/", {"quarter": q2.label, "note": "Signed"}, follow=True)
    refused = finance.post(f"{PAGE}reopen/", {"quarter": q2.label, "reason": ""}, follow=True)
    reopened = finance.post(f"{PAGE}reopen/", {"quarter": q2.label, "reason": "Credit note"}, follow=True)

    assert page.status_code == 200
    assert f"Close {q2.label}" in page.content.decode()
    assert f"{q2.label} is closed: entries dated inside it are now refused." in closed.content.decode()
    assert "Say why the quarter is reopened" in refused.content.decode()
    assert f"{q2.label} is open again" in reopened.content.decode()
    assert [e.verb for e in events(world_a, "period.closed") + events(world_a, "period.reopened")] == [
        "period.closed",
        "period.reopened",
    ]


def test_finance_chooses_adjustments_on_the_page(world_a, client_for):
    finance = client_for(world_a.user(Role.FINANCE))

    response = finance.post(f"{PAGE}late-entries/", {"late_entries": "adjust"}, follow=True)

    assert "now booked as adjustments" in response.content.decode()
    world_a.tenant.refresh_from_db()
    assert closing.late_entries(world_a.tenant) == "adjust"


def test_staff_without_the_permission_see_the_quarters_but_cannot_close(world_a, client_for):
    manager = client_for(world_a.user(Role.MANAGER))
    q2 = quarters_ago(2)

    page = manager.get(PAGE)

    assert page.status_code == 200
    assert f"Close {q2.label}" not in page.content.decode()
    assert manager.post(f"{PAGE}close/", {"quarter": q2.label}).status_code == 403
    assert manager.post(f"{PAGE}late-entries/", {"late_entries": "adjust"}).status_code == 403
    assert client_for(world_a.user(Role.PARTNER_USER)).get(PAGE).status_code == 403
    assert states(world_a)[q2.label] == "open"


def test_the_staff_menu_has_fiscal_quarters(world_a, client_for):
    response = client_for(world_a.user(Role.FINANCE)).get("/t/alpha/")

    assert f'href="{PAGE}"' in response.content.decode()


# --- the API ---------------------------------------------------------------------------------------


def post(client, path: str, data: dict):
    return client.post(f"{API}/{path}", json.dumps(data), content_type="application/json")


def test_finance_lists_closes_and_reopens_quarters_over_the_api(world_a, client_for):
    finance = client_for(world_a.user(Role.FINANCE))
    q2 = quarters_ago(2)

    closed = post(finance, "close/", {"quarter": q2.label, "note": "Signed"})
    listed = finance.get(f"{API}/")
    reopened = post(finance, "reopen/", {"quarter": q2.label, "reason": "Credit note"})

    assert closed.status_code == 200, closed.content
    assert [(q["quarter"], q["state"], q["note"]) for q in closed.json()] == [(q2.label, "closed", "Signed")]
    row = next(q for q in listed.json() if q["quarter"] == q2.label)
    assert (row["state"], row["starts_on"], row["can_reopen"]) == ("closed", str(q2.start), True)
    assert [(q["quarter"], q["state"]) for q in reopened.json()] == [(q2.label, "open")]


def test_api_errors_name_the_field(world_a, client_for):
    finance = client_for(world_a.user(Role.FINANCE))

    running = post(finance, "close/", {"quarter": quarters_ago(0).label})
    no_reason = post(finance, "reopen/", {"quarter": quarters_ago(2).label})
    unknown = post(finance, "close/", {"quarter": quarters_ago(2).label, "when": "now"})

    assert running.status_code == 400
    assert list(running.json()) == ["quarter"]
    assert no_reason.status_code == 400
    assert list(no_reason.json()) == ["reason"]
    assert unknown.status_code == 400
    assert list(unknown.json()) == ["when"]


def test_the_late_entry_choice_is_read_and_set_over_the_api(world_a, client_for):
    finance = client_for(world_a.user(Role.FINANCE))

    before = finance.get(f"{API}/late-entries/")
    changed = finance.patch(
        f"{API}/late-entries/", json.dumps({"late_entries": "adjust"}), content_type="application/json"
    )

    assert before.json() == {"late_entries": "refuse"}
    assert changed.json() == {"late_entries": "adjust"}


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN, Role.PARTNER_USER, Role.PARTNER_ADMIN])
def test_api_callers_without_the_permission_cannot_close_or_change_the_choice(world_a, client_for, role):
    client = client_for(world_a.user(role))

    closing_attempt = post(client, "close/", {"quarter": quarters_ago(2).label})
    patch = client.patch(
        f"{API}/late-entries/", json.dumps({"late_entries": "adjust"}), content_type="application/json"
    )

    assert closing_attempt.status_code == 403
    assert patch.status_code == 403
    assert states(world_a)[quarters_ago(2).label] == "open"
    assert closing.late_entries(world_a.tenant) == "refuse"
