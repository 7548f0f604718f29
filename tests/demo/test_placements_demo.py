"""The placements demo: deterministic, idempotent, skewed, every deduction status (the demo is built
once, tests/demo/conftest.py)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.db.models import Count, F
from django.utils import timezone

from demo import placements_demo as demo
from placements import reports, versions, workflow
from placements.models import (
    AttendanceReturn,
    CostLine,
    Deduction,
    NegotiationRound,
    PenaltyClause,
    PlacementContract,
    Provider,
)
from requests_app.models import AssessmentRequest
from tests.demo.conftest import SeededDemo

pytestmark = pytest.mark.django_db


def _today():
    """The demo is seeded as make run seeds it, on the day it runs. Read the date when each test
    runs, not when the module is imported: a run that crosses midnight seeds on the later day."""
    return timezone.localdate()


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Provider,
            PlacementContract,
            CostLine,
            NegotiationRound,
            PenaltyClause,
            AttendanceReturn,
            Deduction,
        )
    }


@pytest.fixture
def seeded(demo_state: SeededDemo) -> SeededDemo:
    """The demo built once for this folder (tests/demo/conftest.py)."""
    return demo_state


def test_seed_twice_adds_nothing_the_second_time(seeded):
    assert seeded.after_second_run == seeded.after_first_run
    first = _counts()
    again = demo.seed(random.Random(2018), _today())
    assert again.skipped
    assert _counts() == first
    assert first["Provider"] >= 30
    assert 250 <= first["PlacementContract"] <= 400


def test_a_few_providers_have_dozens_of_pupils(seeded):
    placed = reports.purchasing_power(on=_today())
    pupils = sorted((row["pupils"] for row in placed), reverse=True)
    assert pupils[0] >= 40
    assert sum(1 for n in pupils if n >= 20) >= 3
    assert sum(1 for n in pupils if n > 0) >= 25
    busy = PlacementContract.objects.values("provider").annotate(n=Count("pk")).filter(n__gte=24).count()
    assert busy >= 3


def test_costs_are_realistic_and_within_each_ceiling(seeded):
    active = PlacementContract.objects.filter(status=workflow.ContractStatus.ACTIVE).select_related("panel_decision")
    average = sum(c.agreed_annual_cost_pence for c in active) / active.count() / 100
    assert 49_000 <= average <= 72_000
    for contract in active:
        assert 0 < contract.agreed_annual_cost_pence <= contract.panel_decision.agreed_annual_ceiling_pence
        assert contract.quoted_annual_cost_pence >= contract.agreed_annual_cost_pence
        lines = list(contract.cost_lines.all())
        assert sum(line.agreed_annual_pence or 0 for line in lines) == contract.agreed_annual_cost_pence
    savings = [c.saving_pence / c.quoted_annual_cost_pence for c in active]
    assert max(savings) <= 0.16 and any(s > 0.05 for s in savings)


def test_every_contract_follows_an_approval_for_its_child_and_school(seeded):
    for contract in PlacementContract.objects.select_related("panel_decision__item__referral__request", "provider"):
        referral = contract.panel_decision.item.referral
        assert contract.panel_decision.outcome in {o.value for o in workflow_approvals()}
        assert referral.request.child_id == contract.child_id
        assert referral.proposed_establishment_id == contract.provider.establishment_id


def workflow_approvals():
    from panels.workflow import APPROVALS

    return APPROVALS


def test_deductions_exist_in_every_status_and_match_the_clause(seeded):
    statuses = set(Deduction.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in workflow.DeductionStatus}
    for deduction in Deduction.objects.select_related("attendance_return__contract__penalty_clause")[:50]:
        attendance = deduction.attendance_return
        contract = attendance.contract
        # The fee in force on the period's first day (docs/domain.md §2.6).
        fee = workflow.period_fee(versions.annual_cost_on(contract, attendance.period_start), attendance.period_kind)
        result = workflow.compute_deduction(contract.penalty_clause.facts(), attendance.facts(), fee)
        assert (result.applies, result.amount_pence) == (True, deduction.amount_pence)
    clauses = PenaltyClause.objects.count()
    assert PenaltyClause.objects.filter(threshold_percent=90).count() > clauses / 2
    assert NegotiationRound.objects.values("contract").annotate(n=Count("pk")).filter(n=3).exists()


def test_demo_returns_and_rounds_pass_the_rules_the_services_apply(seeded):
    """The demo writes rows directly, so it must keep the services' rules (issue 12, items 10,
    11 and 13): returns that add up, inside the placement and the past, never overlapping;
    rounds on or after the panel's decision and with sensible figures."""
    returns = list(AttendanceReturn.objects.select_related("contract").order_by("contract_id", "period_start"))
    assert returns
    by_contract: dict[int, list[tuple[date, date]]] = {}
    for attendance in returns:
        contract = attendance.contract
        assert workflow.return_problems(attendance.facts()) == []
        others = by_contract.setdefault(contract.pk, [])
        problems = workflow.return_period_problems(
            attendance.period_start,
            attendance.period_end,
            today=_today(),
            placement_start=contract.start_on,
            placement_finish=contract.ended_on or contract.end_on,
            others=list(others),
        )
        assert problems == [], (contract.reference, attendance.period_start, problems)
        others.append((attendance.period_start, attendance.period_end))
    rounds = NegotiationRound.objects.select_related("contract__panel_decision__item__meeting")
    for found in rounds:
        # The rounds are the first negotiation's: measured against the approval and quote of the
        # original agreement (version 1), not a later fee review's (docs/domain.md §2.6).
        original = found.contract.versions.filter(version_no=1).select_related("panel_decision__item__meeting").first()
        decision = original.panel_decision if original else found.contract.panel_decision
        quoted = original.requested_annual_cost_pence if original else found.contract.quoted_annual_cost_pence
        problems = workflow.round_problems(
            on=found.on,
            today=_today(),
            decided_on=decision.item.meeting.held_on,
            provider_offer_pence=found.provider_offer_pence,
            council_counter_offer_pence=found.council_counter_offer_pence,
            quoted_annual_pence=quoted,
            ceiling_pence=decision.agreed_annual_ceiling_pence or 0,
        )
        assert problems == [], (found.contract.reference, found.round_no, problems)


def test_each_demo_plan_is_dated_the_day_its_final_plan_was_issued(seeded):
    """The plan counts in the month of its final plan, and within 20 weeks only when it was (issue 16)."""
    plans = AssessmentRequest.objects.filter(reference__startswith=demo.DEMO_PREFIX)
    assert plans.exists()
    assert not plans.exclude(assessment_outcome_on=F("final_plan_issued_on")).exists()


def test_placements_have_reviews_an_ending_with_notice_and_chased_returns(seeded):
    from core.roles import Role
    from placements import queues
    from placements.models import PlacementReview, ReturnChase
    from tests.conftest import make_user

    today = _today()
    held = PlacementReview.objects.exclude(outcome="")
    assert held.filter(outcome="continue").exists() and held.filter(outcome="end").exists()
    assert not held.filter(held_on__gt=today).exists() and not held.filter(evidence="").exists()
    running = PlacementContract.objects.filter(status=workflow.ContractStatus.ACTIVE)
    # Every running placement has its next review open; some are overdue, some not yet due.
    assert PlacementReview.objects.filter(contract__in=running, outcome="").count() == running.count()
    finance = make_user(Role.FINANCE_OFFICER, username="demo_test_finance")
    due = queues.placement_reviews_due(finance, today)
    assert any(item.due_on < today for item in due)
    assert PlacementReview.objects.filter(contract__in=running, outcome="", due_on__gt=today).exists()
    ended = PlacementContract.objects.filter(status=workflow.ContractStatus.ENDED)
    assert ended.exists() and not ended.filter(leaving_reason="").exists()
    assert ended.filter(notice_given_on__isnull=False).exists()
    # An ending review gave the notice: held the day notice was given.
    for review in held.filter(outcome="end").select_related("contract"):
        assert review.contract.notice_given_on == review.held_on
    assert running.filter(notice_given_on__isnull=False, end_on__isnull=False).exists()
    chases = ReturnChase.objects.all()
    assert all(chase.chased_on > chase.period_end and chase.chased_on <= today for chase in chases)
    if today.day > 1:  # a chase needs a day after the closed month
        assert chases.exists()
        missing = queues.returns_missing(finance, today)
        assert any(item.chased_on for item in missing) and any(item.chased_on is None for item in missing)


def test_every_demo_referral_has_options_and_costs_matching_its_decision(seeded):
    from panels import workflow as panel_workflow
    from panels.models import PanelDecision, Referral

    # Every referral that reached an agenda; the two the panels demo leaves incomplete on purpose
    # (awaiting the panel, to show what a referral lacks) are the only ones without costs.
    referrals = Referral.objects.filter(agenda_items__isnull=False).distinct()
    referrals = referrals.prefetch_related("options", "cost_lines", "agenda_items__decisions")
    assert referrals.count() >= 320
    assert Referral.objects.filter(cost_lines__isnull=True).exclude(status="awaiting_panel").count() == 0
    for referral in referrals:
        assert referral.cost_lines.all(), referral.pk
        assert referral.options.all(), referral.pk
        assert panel_workflow.referral_missing(referral.facts()) == [], referral.pk
        for decision in (d for item in referral.agenda_items.all() for d in item.decisions.all()):
            if decision.agreed_annual_ceiling_pence is None:
                continue
            requested = sum(c.annual_amount_pence for c in referral.cost_lines.all())
            # The decision recorded the referral's total when it was made.
            assert requested == decision.requested_annual_cost_pence, referral.pk
            values = {
                "suitable_answer": decision.suitable_answer,
                "compatible_answer": decision.compatible_answer,
                "resources_answer": decision.resources_answer,
                "suitable_text": decision.suitable_text,
                "compatible_text": decision.compatible_text,
                "resources_text": decision.resources_text,
                "reasons_text": decision.reasons_text,
                "agreed_annual_ceiling_pence": decision.agreed_annual_ceiling_pence,
                "ceiling_reason": decision.ceiling_reason,
                "conditions": decision.conditions,
                "requested_annual_cost_pence": requested,
                "lowest_option_cost_pence": min(
                    (o.annual_cost_pence for o in referral.options.all() if o.annual_cost_pence), default=None
                ),
            }
            assert panel_workflow.decision_missing(decision.outcome, values) == [], referral.pk
    assert not PanelDecision.objects.filter(requested_annual_cost_pence=0).exists()


def test_demo_providers_carry_inspections_one_requires_improvement(seeded):
    from core.models import Establishment

    grades = list(Establishment.objects.filter(provider__isnull=False).values_list("ofsted_grade", flat=True))
    assert grades.count("requires_improvement") == 1
    assert "outstanding" in grades and "good" in grades
    assert not Establishment.objects.exclude(ofsted_grade="").filter(ofsted_inspected_on__isnull=True).exists()
    assert Establishment.objects.filter(provider__isnull=False, s41_approved=True).exists()


def test_demo_fee_histories_keep_the_rules(seeded):
    """Version 1 for every agreed contract; a review agreed within the ceiling in force from its
    date; one back at the panel and in force after its approval; one waiting, old fee in force."""
    from placements.models import ContractVersion, FeeReview

    placed = PlacementContract.objects.filter(status__in=["active", "ended"])
    assert ContractVersion.objects.filter(version_no=1).count() == placed.count()
    agreed = FeeReview.objects.filter(status="agreed").select_related("contract", "version")
    assert agreed.filter(referral__isnull=True).exists()
    approved = agreed.filter(referral__isnull=False).first()
    assert approved is not None
    assert approved.version.panel_decision_id == approved.referral.agenda_items.get().decisions.get().pk
    assert approved.contract.versions.count() == 3
    for review in agreed:
        ceiling = review.version.panel_decision.agreed_annual_ceiling_pence
        assert review.version.annual_cost_pence == review.agreed_annual_cost_pence <= ceiling
        before = review.effective_from - timedelta(days=1)
        assert versions.annual_cost_on(review.contract, review.effective_from) == review.agreed_annual_cost_pence
        assert versions.annual_cost_on(review.contract, before) != review.agreed_annual_cost_pence
    waiting = FeeReview.objects.get(status="awaiting_panel")
    assert waiting.referral.status == "awaiting_panel"
    assert waiting.agreed_annual_cost_pence > waiting.contract.panel_decision.agreed_annual_ceiling_pence
    assert waiting.effective_from <= _today()
    assert versions.annual_cost_on(waiting.contract, _today()) == waiting.current_annual_cost_pence


def test_each_demo_officer_sees_the_placement_reviews_of_their_cases(seeded):
    """The placed children's cases belong to the demo's SEN officers, so "Placement reviews of
    your cases" is not empty after make run (open reviews split between the two)."""
    from django.contrib.auth.models import User

    from placements.models import PlacementReview

    for username in ("officer", "officer2"):
        officer = User.objects.get(username=username)
        reviews = PlacementReview.objects.of_officers_cases(officer)
        assert reviews.open().exists(), username
        assert not reviews.exclude(contract__child__requests__assigned_officer=officer).exists()
