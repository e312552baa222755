"""Proposals after a run, approval rules, the strategic cap, auto-apply, the signed-plan rule,
balance alerts, the tier history query and the recalculation entry points."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from partners.models import Partner
from prm.models import AuditEvent
from prm.periods import parse_period
from prm.permissions import Role
from prm.tasks import fan_out
from tests.partners.factories import PartnerFactory
from tests.pipeline.factories import AccountFactory, DealRegistrationFactory, RevenueRecordFactory
from tiering import engine, program, recalculation, services
from tiering import queries as tiering_queries
from tiering.models import BalanceAlert, ScoreRun, ScoreSnapshot, TierChange, TierChangeProposal
from tiering.tasks import recalculate_scores

from .factories import ManualRatingFactory, TieringSettingsFactory
from .tiering_fixtures import MANUAL_ONLY, ladder, stand_in_jbp_metric, without_jbp_metric

D = Decimal
Status = TierChangeProposal.Status


@pytest.fixture
def tiers(world_a, in_tenant):
    with in_tenant(world_a.tenant):
        found = ladder()
        services.scorecard_save_version(access=world_a.access(Role.ADMIN), criteria=MANUAL_ONLY)
        for p in (world_a.partner, world_a.other_partner):
            p.tier = found["Silver"]
            p.save()
    return found


def _rate(world, partner, fit, ease):
    ManualRatingFactory(partner=partner, key="fit_to_icp", value=fit)
    ManualRatingFactory(partner=partner, key="ease_of_working", value=ease)


def test_a_run_proposes_a_promotion_with_its_explanation(world_a, in_tenant, tiers):
    with in_tenant(world_a.tenant):
        _rate(world_a, world_a.partner, 3, 3)  # 50 → Gold (Silver now)
        recalculation.score_run_execute(run_on=date(2026, 4, 1))
        _rate(world_a, world_a.partner, 5, 3)  # 60 + 20 = 80 → Strategic
        recalculation.score_run_execute(run_on=date(2026, 4, 2))
        proposal = TierChangeProposal.objects.get(partner=world_a.partner, status=Status.PENDING)
        assert (proposal.from_tier, proposal.to_tier, proposal.direction) == (
            tiers["Silver"],
            tiers["Strategic"],
            "promotion",
        )
        assert proposal.score == D("80.00")
        explanation = proposal.explanation
        assert explanation["previous_score"] == "50.00"
        assert explanation["moved"] == [{"label": "Fit to ICP", "delta": "30.00"}]  # 30 → 60 points
        assert explanation["rules"][0]["tier"] == "Strategic"
        assert explanation["rules"][0]["qualifies"]
        # The partner's tier has not changed: tiers never change silently.
        assert Partner.objects.get(pk=world_a.partner.pk).tier == tiers["Silver"]
        # One pending proposal per partner: the earlier one (to Gold) was superseded.
        assert (
            TierChangeProposal.objects.get(partner=world_a.partner, to_tier=tiers["Gold"]).status
            == Status.SUPERSEDED
        )


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EXECUTIVE])
def test_admins_and_executives_approve_and_the_history_records_it(world_a, in_tenant, tiers, role):
    with in_tenant(world_a.tenant):
        _rate(world_a, world_a.partner, 4, 4)  # 75 → Strategic
        recalculation.score_run_execute()
        proposal = TierChangeProposal.objects.get(partner=world_a.partner, status=Status.PENDING)
        services.tier_proposal_approve(access=world_a.access(role), proposal=proposal, reason="Earned it")
        partner = Partner.objects.get(pk=world_a.partner.pk)
        assert partner.tier == tiers["Strategic"]
        change = TierChange.objects.get(partner=partner)
        assert (change.from_tier, change.to_tier, change.proposal, change.changed_by) == (
            tiers["Silver"],
            tiers["Strategic"],
            proposal,
            world_a.user(role),
        )
        assert change.reason == "Earned it"
        event = AuditEvent.objects.get(verb="partner.tier_changed")
        assert event.before == {"tier": "Silver"}
        assert event.after["tier"] == "Strategic"
        with pytest.raises(ValidationError, match="already approved"):
            services.tier_proposal_approve(access=world_a.access(role), proposal=proposal)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.FINANCE, Role.PARTNER_ADMIN])
def test_other_roles_may_not_decide(world_a, in_tenant, tiers, role):
    with in_tenant(world_a.tenant):
        proposal = services.tier_proposal_create(
            access=world_a.access(Role.MANAGER),
            partner=world_a.partner,
            to_tier=tiers["Gold"],
            reason="Big new deal",
        )
        with pytest.raises(PermissionDenied):
            services.tier_proposal_approve(access=world_a.access(role), proposal=proposal)
        with pytest.raises(PermissionDenied):
            services.tier_proposal_reject(access=world_a.access(role), proposal=proposal, reason="no")


def test_managers_propose_and_a_rejection_needs_a_reason(world_a, in_tenant, tiers):
    with in_tenant(world_a.tenant):
        with pytest.raises(PermissionDenied):
            services.tier_proposal_create(
                access=world_a.access(Role.EXECUTIVE),
                partner=world_a.partner,
                to_tier=tiers["Gold"],
                reason="x",
            )
        with pytest.raises(ValidationError) as error:
            services.tier_proposal_create(
                access=world_a.access(Role.MANAGER),
                partner=world_a.partner,
                to_tier=tiers["Gold"],
                reason=" ",
            )
        assert error.value.message_dict == {"reason": ["Say why this partner should move."]}
        proposal = services.tier_proposal_create(
            access=world_a.access(Role.MANAGER),
            partner=world_a.partner,
            to_tier=tiers["Gold"],
            reason="Big deal",
        )
        with pytest.raises(ValidationError, match="reason for rejecting"):
            services.tier_proposal_reject(access=world_a.access(Role.EXECUTIVE), proposal=proposal, reason="")
        services.tier_proposal_reject(
            access=world_a.access(Role.EXECUTIVE), proposal=proposal, reason="Too early"
        )
        proposal.refresh_from_db()
        assert (proposal.status, proposal.decision_reason) == (Status.REJECTED, "Too early")
        assert Partner.objects.get(pk=world_a.partner.pk).tier == tiers["Silver"]
        assert not TierChange.objects.exists()


def test_a_promotion_beyond_the_strategic_cap_needs_an_admins_written_override(world_a, in_tenant, tiers):
    with in_tenant(world_a.tenant):
        TieringSettingsFactory(strategic_cap=1)
        PartnerFactory(tier=tiers["Strategic"])  # the cap of 1 is reached
        proposal = services.tier_proposal_create(
            access=world_a.access(Role.MANAGER),
            partner=world_a.partner,
            to_tier=tiers["Strategic"],
            reason="Anchor",
        )
        with pytest.raises(ValidationError) as error:
            services.tier_proposal_approve(access=world_a.access(Role.ADMIN), proposal=proposal)
        assert (
            "already has 1 strategic partners (cap 1)" in error.value.message_dict["cap_override_reason"][0]
        )
        with pytest.raises(ValidationError, match="Only a program admin"):
            services.tier_proposal_approve(
                access=world_a.access(Role.EXECUTIVE), proposal=proposal, cap_override_reason="Board decision"
            )
        services.tier_proposal_approve(
            access=world_a.access(Role.ADMIN),
            proposal=proposal,
            cap_override_reason="Replaces a partner leaving in Q3",
        )
        assert program.strategic_count() == 2
        change = TierChange.objects.get(partner=world_a.partner)
        assert "Strategic cap overridden: Replaces a partner leaving in Q3" in change.reason
        assert tiering_queries.portfolio_balance(world_a.access(Role.MANAGER))["over_cap"] is True


def test_tactical_changes_apply_themselves_when_enabled_but_strategic_ones_wait(world_a, in_tenant, tiers):
    with in_tenant(world_a.tenant):
        TieringSettingsFactory(tactical_auto_apply=True)
        _rate(world_a, world_a.partner, 3, 3)  # 50 → Gold: tactical → applied
        _rate(world_a, world_a.other_partner, 5, 5)  # 100 → Strategic: waits
        run = recalculation.score_run_execute()
        assert run.changes_applied == 1
        assert run.proposals_opened == 1
        assert Partner.objects.get(pk=world_a.partner.pk).tier == tiers["Gold"]
        change = TierChange.objects.get(partner=world_a.partner)
        assert change.reason.startswith("Applied automatically")
        assert Partner.objects.get(pk=world_a.other_partner.pk).tier == tiers["Silver"]
        assert TierChangeProposal.objects.get(status=Status.PENDING).partner == world_a.other_partner


def test_the_signed_plan_rule_reads_the_catalog_and_counts_as_missed_without_it(world_a, in_tenant, tiers):
    with in_tenant(world_a.tenant):
        strategic = tiers["Strategic"]
        strategic.requires_signed_jbp = True
        strategic.save()
        _rate(world_a, world_a.partner, 5, 5)
        _rate(world_a, world_a.other_partner, 5, 5)
        with without_jbp_metric():
            recalculation.score_run_execute(run_on=date(2026, 6, 1))
        snap = ScoreSnapshot.objects.get(partner=world_a.partner, run_on=date(2026, 6, 1))
        assert snap.recommended_tier == tiers["Gold"]
        missed = [r for block in snap.rules for r in block["rules"] if r["rule"] == "requires_signed_jbp"]
        assert missed == [
            {
                "rule": "requires_signed_jbp",
                "met": False,
                "text": "A signed joint business plan "
                "(not checked: plans are not tracked in this installation)",
            }
        ]
        with stand_in_jbp_metric({world_a.partner.pk}):
            recalculation.score_run_execute(run_on=date(2026, 6, 2))
        recommended = dict(
            ScoreSnapshot.objects.filter(run_on=date(2026, 6, 2)).values_list(
                "partner_id", "recommended_tier"
            )
        )
        assert recommended == {world_a.partner.pk: strategic.pk, world_a.other_partner.pk: tiers["Gold"].pk}


def test_alerts_for_concentration_and_for_two_runs_below_the_minimum(world_a, in_tenant, tiers):
    with in_tenant(world_a.tenant):
        world_a.partner.tier = tiers["Strategic"]
        world_a.partner.save()
        # Partner-sourced revenue in the scored (last finished) quarter: 800 for the strategic
        # partner of 1,000 in all = 80 % > 35 %. Revenue on accounts it did not source and win
        # (5,000 here) is not partner-sourced and does not count.
        month = engine.period_for(timezone.localdate()).end.replace(day=1)
        for partner, amount in ((world_a.partner, 800), (world_a.other_partner, 200)):
            won = DealRegistrationFactory(
                partner=partner, status="won", partner_role="sourced", closed_on=month
            )
            RevenueRecordFactory(account=won.account, partner=partner, amount=D(amount), period=month)
        RevenueRecordFactory(
            account=AccountFactory(), partner=world_a.other_partner, amount=D(5000), period=month
        )
        _rate(world_a, world_a.partner, 3, 3)  # 50 < Strategic's 70
        recalculation.score_run_execute(run_on=timezone.localdate().replace(day=1))
        kinds = list(BalanceAlert.objects.filter(resolved_on__isnull=True).values_list("kind", flat=True))
        assert kinds == [BalanceAlert.Kind.CONCENTRATION]  # below the minimum once only: no alert yet
        alert = BalanceAlert.objects.get()
        assert alert.share == D("0.8000")
        assert "holds 80.00 % of partner-sourced revenue" in alert.message
        recalculation.score_run_execute(run_on=timezone.localdate())
        balance = tiering_queries.portfolio_balance(world_a.access(Role.MANAGER))
        assert sorted(a.kind for a in balance["alerts"]) == ["below_minimum", "concentration"]
        assert balance["strategic_count"] == 1
        assert balance["strategic_cap"] == 10
        # Raising the limit to 90 % resolves the concentration alert on the next run.
        TieringSettingsFactory(concentration_share=D("0.9"))
        recalculation.score_run_execute(run_on=timezone.localdate())
        assert [
            a.kind for a in tiering_queries.portfolio_balance(world_a.access(Role.MANAGER))["alerts"]
        ] == ["below_minimum"]
        assert BalanceAlert.objects.get(kind="concentration").resolved_on == timezone.localdate()


def test_tier_movements_lists_the_changes_within_a_fiscal_period(world_a, in_tenant, tiers):
    with in_tenant(world_a.tenant):
        proposal = services.tier_proposal_create(
            access=world_a.access(Role.MANAGER),
            partner=world_a.partner,
            to_tier=tiers["Gold"],
            reason="Growth",
        )
        services.tier_proposal_approve(access=world_a.access(Role.ADMIN), proposal=proposal)
        today = timezone.localdate()
        this_year = parse_period(f"FY{today.year}", 1)
        moves = list(tiering_queries.tier_movements(world_a.access(Role.MANAGER), this_year))
        assert [(m.partner, m.from_tier, m.to_tier) for m in moves] == [
            (world_a.partner, tiers["Silver"], tiers["Gold"])
        ]
        assert (
            list(
                tiering_queries.tier_movements(
                    world_a.access(Role.MANAGER), parse_period(f"FY{today.year - 1}", 1)
                )
            )
            == []
        )


def test_the_command_the_task_and_the_nightly_beat_entry(world_a, world_b, in_tenant, tiers, capsys):
    call_command("recalculate_scores", "--tenant", "alpha", "--date", "2026-01-15")
    assert "alpha: 2 partners scored for 2026-01-15 (FY2025-Q4)" in capsys.readouterr().out
    result = recalculate_scores.delay(tenant_id=world_b.tenant.pk, run_on="2026-01-15").get()
    assert result == {
        "run_on": "2026-01-15",
        "status": "done",
        "partners": 2,
        "proposals_opened": 2,
        "error": "",
    }
    with in_tenant(world_b.tenant):
        assert ScoreSnapshot.objects.count() == 2
    entry = settings.CELERY_BEAT_SCHEDULE["recalculate-scores-nightly"]
    assert entry["task"] == "prm.tasks.fan_out"
    assert entry["kwargs"] == {"task_name": "tiering.tasks.recalculate_scores"}


def test_the_nightly_beat_entry_recalculates_every_tenant_through_fan_out(world_a, world_b, in_tenant, tiers):
    entry = settings.CELERY_BEAT_SCHEDULE["recalculate-scores-nightly"]
    assert entry["kwargs"]["task_name"] == recalculate_scores.name
    assert fan_out.delay(**entry["kwargs"]).get() == 2
    for world in (world_a, world_b):
        with in_tenant(world.tenant):
            assert ScoreRun.objects.get(run_on=timezone.localdate()).status == ScoreRun.Status.DONE


def test_the_annual_review_lists_strategic_partners_and_candidates_and_closes_with_decisions(
    world_a, in_tenant, tiers
):
    from tiering.models import PortfolioReview
    from tiering.queries import review_candidates

    admin = world_a.access(Role.ADMIN)
    with in_tenant(world_a.tenant):
        world_a.partner.tier = tiers["Strategic"]
        world_a.partner.save()
        _rate(world_a, world_a.other_partner, 4, 4)
        recalculation.score_run_execute(run_on=date(2026, 3, 1))
        _rate(world_a, world_a.other_partner, 5, 4)
        recalculation.score_run_execute(run_on=date(2026, 6, 1))
        with pytest.raises(ValidationError) as error:
            services.portfolio_review_open(access=admin, fiscal_year="FY2026-Q2")
        assert error.value.message_dict == {
            "fiscal_year": ["A portfolio review covers a fiscal year: write FY2027."]
        }
        with pytest.raises(PermissionDenied):
            services.portfolio_review_open(access=world_a.access(Role.MANAGER), fiscal_year="FY2027")
        review = services.portfolio_review_open(access=admin, fiscal_year="fy2027")
        assert review.fiscal_year == "FY2027"
        rows = review_candidates(world_a.access(Role.MANAGER), review)
        assert [(r["partner"], r["strategic"]) for r in rows] == [
            (world_a.partner, True),
            (world_a.other_partner, False),
        ]
        # The candidate's trend: 75×60% + 75×40% = 75 → 100×60% + 75×40% = 90.
        assert rows[1]["trend"] == [D("75.00"), D("90.00")]
        assert rows[1]["delta"] == D("15.00")
        services.portfolio_review_decide(
            access=admin, review=review, partner=world_a.partner, decision="keep"
        )
        with pytest.raises(ValidationError, match="Decide on every listed partner first: ALPHA Partner Two"):
            services.portfolio_review_close(access=admin, review=review, summary="Done")
        services.portfolio_review_decide(
            access=admin, review=review, partner=world_a.other_partner, decision="promote", note="Ready"
        )
        services.portfolio_review_close(
            access=admin, review=review, summary="One anchor kept, one promotion."
        )
        review.refresh_from_db()
        assert review.status == PortfolioReview.Status.CLOSED
        event = AuditEvent.objects.get(verb="portfolio_review.closed")
        assert event.after == {
            "summary": "One anchor kept, one promotion.",
            "keep": 1,
            "promote": 1,
            "move_to_tactical": 0,
        }
        with pytest.raises(ValidationError, match="closed"):
            services.portfolio_review_decide(
                access=admin, review=review, partner=world_a.partner, decision="keep"
            )


def test_a_crashed_recalculation_shows_failed_with_the_reason_and_keeps_nothing(
    world_a, in_tenant, tiers, monkeypatch, client_for
):
    """The task's work rolls back (no snapshot written before the crash survives), and the day's
    run, queued by the button, says it failed and why instead of staying queued."""
    from tiering import recalculation
    from tiering.models import ScoreRun

    with in_tenant(world_a.tenant):
        _rate(world_a, world_a.partner, 5, 3)
        run = recalculation.score_run_request(access=world_a.access(Role.ADMIN), run_on=date(2026, 4, 1))
        assert run.status == ScoreRun.Status.QUEUED

    def crash(*args, **kwargs):  # after the snapshots were upserted
        raise ZeroDivisionError("division by zero in the alerts")

    monkeypatch.setattr(recalculation, "_refresh_alerts", crash)
    result = recalculate_scores(tenant_id=world_a.tenant.pk, run_on="2026-04-01")  # the task's own call
    assert result["status"] == "failed"
    with in_tenant(world_a.tenant):
        run = ScoreRun.objects.get(run_on=date(2026, 4, 1))
        assert run.status == ScoreRun.Status.FAILED
        assert "ZeroDivisionError: division by zero in the alerts" in run.error_message
        assert "Nothing was changed" in run.error_message
        assert run.finished_at is not None
        assert not ScoreSnapshot.objects.exists()  # the run's work was rolled back
        assert not TierChangeProposal.objects.exists()
        assert AuditEvent.objects.filter(verb="tiering.recalculation_failed").count() == 1
    page = client_for(world_a.user(Role.ADMIN)).get("/t/alpha/tiering/").content.decode()
    assert "failed: The recalculation stopped: ZeroDivisionError" in page
    # A later successful run of the same day replaces the failure.
    monkeypatch.undo()
    recalculate_scores(tenant_id=world_a.tenant.pk, run_on="2026-04-01")
    with in_tenant(world_a.tenant):
        run = ScoreRun.objects.get(run_on=date(2026, 4, 1))
        assert (run.status, run.error_message) == (ScoreRun.Status.DONE, "")
        assert ScoreSnapshot.objects.count() == 2


def test_the_command_reports_a_failed_run_and_transient_errors_are_left_to_retry(
    world_a, in_tenant, tiers, monkeypatch
):
    from django.core.management.base import CommandError
    from django.db import OperationalError

    from tiering import recalculation

    monkeypatch.setattr(recalculation, "_refresh_alerts", lambda *a, **k: 1 / 0)
    with pytest.raises(CommandError, match="failed for alpha"):
        call_command("recalculate_scores", "--tenant", "alpha", "--date", "2026-01-15")

    def gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(recalculation, "_refresh_alerts", gone)
    with in_tenant(world_a.tenant), pytest.raises(OperationalError):
        recalculation.score_run_attempt(run_on=date(2026, 1, 16))  # raised: the task retries it


def test_no_tier_proposal_for_an_archived_partner(world_a, in_tenant, tiers):
    from partners.services import partner_archive

    with in_tenant(world_a.tenant):
        manager, admin = world_a.access(Role.MANAGER), world_a.access(Role.ADMIN)
        pending = services.tier_proposal_create(
            access=manager, partner=world_a.other_partner, to_tier=tiers["Gold"], reason="Strong quarter"
        )
        partner_archive(access=admin, partner=world_a.partner)
        partner_archive(access=admin, partner=world_a.other_partner)
        partner = Partner.all_tenants.get(pk=world_a.partner.pk)
        with pytest.raises(ValidationError) as error:
            services.tier_proposal_create(
                access=manager, partner=partner, to_tier=tiers["Gold"], reason="Grew"
            )
        assert error.value.message_dict["partner"] == [
            f"{partner.name} is archived: its tier does not change. Restore it before proposing a tier change."
        ]
        # Archived since the proposal was made: it cannot be approved either (a stale object too).
        with pytest.raises(ValidationError) as error:
            services.tier_proposal_approve(access=admin, proposal=pending)
        assert "is archived" in error.value.message_dict["partner"][0]
        assert TierChangeProposal.objects.get(pk=pending.pk).status == Status.PENDING
        assert Partner.all_tenants.get(pk=world_a.other_partner.pk).tier == tiers["Silver"]
        assert TierChangeProposal.objects.count() == 1
