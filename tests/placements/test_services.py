"""Services: every change to placements, its rules, its events."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from core.models import NeedType
from panels import workflow as panel_workflow
from panels.models import PanelMeeting
from placements import reports
from placements.models import (
    AttendanceReturn,
    CostLine,
    Deduction,
    NegotiationRound,
    PenaltyClause,
    PlacementContract,
    PlacementEvent,
    Provider,
)
from placements.services import attendance as attendance_services
from placements.services import contracts as contract_services
from placements.services import providers as provider_services
from tests.conftest import Personas
from tests.panels.factories import IndependentSchoolFactory, SpecialSchoolFactory
from tests.placements.factories import (
    ActiveContractFactory,
    CostLineFactory,
    DraftContractFactory,
    EndedContractFactory,
    NegotiatingContractFactory,
    NonMaintainedSchoolFactory,
    ProviderFactory,
    approved_decision,
    make_active_contract,
)
from tests.requests_app.factories import ChildFactory

pytestmark = pytest.mark.django_db

TERM = {"period_kind": "term", "period_start": date(2025, 9, 1), "period_end": date(2025, 12, 19)}


@pytest.fixture
def finance(personas: Personas) -> User:
    return personas.finance


def actions(contract: PlacementContract) -> list[str]:
    return list(PlacementEvent.objects.filter(contract=contract).order_by("pk").values_list("action", flat=True))


# --- Permission ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["manager", "officer", "chair"])
def test_only_the_finance_officer_manages_placements(personas: Personas, persona: str) -> None:
    contract = DraftContractFactory()
    with pytest.raises(NotPermitted):
        contract_services.contract_start_negotiation(actor=getattr(personas, persona), contract=contract)
    assert PlacementContract.objects.get().status == "draft"


# --- Providers ---------------------------------------------------------------------------------------


def test_provider_upsert_creates_then_updates_with_events(finance: User) -> None:
    school = NonMaintainedSchoolFactory()
    provider = provider_services.provider_upsert(
        actor=finance,
        establishment=school,
        procurement_route="dynamic_purchasing_system",
        framework_lot="Lot 1",
        fee_min_annual_pence=4_000_000,
        fee_max_annual_pence=6_000_000,
        contact_email="office@example.org",
    )
    again = provider_services.provider_upsert(actor=finance, establishment=school.pk, procurement_route="spot_purchase")
    assert again.pk == provider.pk
    assert Provider.objects.get().procurement_route == "spot_purchase"
    assert list(PlacementEvent.objects.values_list("action", flat=True)) == ["provider_created", "provider_updated"]


def test_provider_must_be_independent_or_non_maintained(finance: User) -> None:
    with pytest.raises(ValidationFailed) as raised:
        provider_services.provider_upsert(
            actor=finance, establishment=SpecialSchoolFactory(), procurement_route="framework"
        )
    assert raised.value.field == "establishment"
    assert not Provider.objects.exists()


def test_provider_fee_band_and_route_are_checked(finance: User) -> None:
    with pytest.raises(ValidationFailed) as raised:
        provider_services.provider_upsert(
            actor=finance,
            establishment=IndependentSchoolFactory(),
            procurement_route="handshake",
            fee_min_annual_pence=6_000_000,
            fee_max_annual_pence=5_000_000,
            contact_email="not an email",
        )
    assert set(raised.value.errors) == {"procurement_route", "fee_max_annual_pence", "contact_email"}


# --- Creating a contract ------------------------------------------------------------------------------


def test_contract_create_from_an_approval(finance: User) -> None:
    provider = ProviderFactory()
    child = ChildFactory()
    decision = approved_decision(child=child, establishment=provider.establishment)
    contract = contract_services.contract_create(
        actor=finance,
        panel_decision=decision,
        provider=provider,
        start_on=date(2025, 9, 1),
        end_on=date(2027, 7, 20),
        annual_review_on=date(2026, 9, 1),
        child=child,
    )
    assert contract.child_id == child.pk
    assert contract.status == "draft"
    assert contract.reference == f"IPA-{contract.pk:06d}"
    event = PlacementEvent.objects.get(contract=contract, action="contract_created")
    assert (event.action, event.to_status, event.actor) == ("contract_created", "draft", finance)
    assert event.payload["panel_decision_id"] == decision.pk


@pytest.mark.parametrize("outcome", ["decline", "defer", "more_information"])
def test_contract_needs_an_approval(finance: User, outcome: str) -> None:
    provider = ProviderFactory()
    decision = approved_decision(establishment=provider.establishment, outcome=outcome)
    with pytest.raises(ValidationFailed, match="must be an approval") as raised:
        contract_services.contract_create(
            actor=finance,
            panel_decision=decision,
            provider=provider,
            start_on=date(2025, 9, 1),
            end_on=None,
            annual_review_on=date(2026, 9, 1),
        )
    assert raised.value.field == "panel_decision"
    assert not PlacementContract.objects.exists()


def test_approval_with_conditions_is_an_approval(finance: User) -> None:
    provider = ProviderFactory()
    decision = approved_decision(
        establishment=provider.establishment, outcome=panel_workflow.DecisionOutcome.APPROVE_WITH_CONDITIONS.value
    )
    contract = contract_services.contract_create(
        actor=finance,
        panel_decision=decision,
        provider=provider,
        start_on=date(2025, 9, 1),
        end_on=None,
        annual_review_on=date(2026, 9, 1),
    )
    assert contract.pk


def test_decision_for_another_child_is_refused(finance: User) -> None:
    provider = ProviderFactory()
    decision = approved_decision(establishment=provider.establishment)
    with pytest.raises(ValidationFailed, match="different child"):
        contract_services.contract_create(
            actor=finance,
            panel_decision=decision,
            provider=provider,
            child=ChildFactory(),
            start_on=date(2025, 9, 1),
            end_on=None,
            annual_review_on=date(2026, 9, 1),
        )


def test_decision_for_another_school_is_refused(finance: User) -> None:
    decision = approved_decision(establishment=IndependentSchoolFactory())
    with pytest.raises(ValidationFailed, match="different school") as raised:
        contract_services.contract_create(
            actor=finance,
            panel_decision=decision,
            provider=ProviderFactory(),
            start_on=date(2025, 9, 1),
            end_on=None,
            annual_review_on=date(2026, 9, 1),
        )
    assert raised.value.field == "provider"


def test_contract_dates_are_ordered(finance: User) -> None:
    provider = ProviderFactory()
    decision = approved_decision(establishment=provider.establishment)
    with pytest.raises(ValidationFailed) as raised:
        contract_services.contract_create(
            actor=finance,
            panel_decision=decision,
            provider=provider,
            start_on=date(2025, 9, 1),
            end_on=date(2025, 8, 31),
            annual_review_on=date(2025, 8, 1),
        )
    assert set(raised.value.errors) == {"end_on", "annual_review_on"}


def test_second_open_contract_for_the_same_child_and_provider_is_a_conflict(finance: User) -> None:
    existing = DraftContractFactory()
    decision = approved_decision(child=existing.child, establishment=existing.provider.establishment)
    with pytest.raises(Conflict):
        contract_services.contract_create(
            actor=finance,
            panel_decision=decision,
            provider=existing.provider,
            start_on=date(2025, 9, 1),
            end_on=None,
            annual_review_on=date(2026, 9, 1),
        )


# --- Cost lines and the ceiling -------------------------------------------------------------------


def test_cost_line_add_stores_the_periods_used_and_recomputes_totals(finance: User) -> None:
    contract = NegotiatingContractFactory()
    contract_services.cost_line_add(
        actor=finance, contract=contract, category="tuition", quoted_amount_pence=1_500_000, period="term"
    )
    line = contract_services.cost_line_add(
        actor=finance,
        contract=contract,
        category="residential",
        quoted_amount_pence=40_000,
        agreed_amount_pence=38_000,
        period="week",
        fifty_two_week=True,
    )
    assert line.periods_per_year == 52
    assert CostLine.objects.get(category="tuition").periods_per_year == 3
    contract.refresh_from_db()
    assert contract.quoted_annual_cost_pence == 1_500_000 * 3 + 40_000 * 52
    assert contract.agreed_annual_cost_pence == 38_000 * 52
    assert actions(contract) == ["cost_line_added", "cost_line_added"]


def test_cost_line_amounts_must_be_whole_pence_and_not_negative(finance: User) -> None:
    contract = NegotiatingContractFactory()
    with pytest.raises(ValidationFailed) as raised:
        contract_services.cost_line_add(
            actor=finance,
            contract=contract,
            category="therapy",
            quoted_amount_pence=-5,
            agreed_amount_pence=12.5,  # type: ignore[arg-type]
            period="fortnight",
        )
    assert set(raised.value.errors) == {"category", "quoted_amount_pence", "agreed_amount_pence", "period"}
    assert not CostLine.objects.exists()


def test_agreeing_a_line_above_the_ceiling_is_refused_and_nothing_is_kept(finance: User) -> None:
    contract = NegotiatingContractFactory()  # ceiling £55,000
    line = contract_services.cost_line_add(
        actor=finance, contract=contract, category="tuition", quoted_amount_pence=6_000_000, period="year"
    )
    with pytest.raises(ValidationFailed) as raised:
        contract_services.cost_line_update(actor=finance, line=line, agreed_amount_pence=5_500_001)
    assert raised.value.field == "agreed"
    assert raised.value.message == (
        "The agreed annual cost £55,000.01 exceeds the panel's ceiling of £55,000.00. A new panel decision is needed."
    )
    line.refresh_from_db()
    contract.refresh_from_db()
    assert line.agreed_amount_pence is None
    assert contract.agreed_annual_cost_pence == 0
    assert actions(contract) == ["cost_line_added"]


def test_contract_agree_at_the_ceiling_is_allowed(finance: User) -> None:
    contract = NegotiatingContractFactory()
    contract_services.cost_line_add(
        actor=finance,
        contract=contract,
        category="tuition",
        quoted_amount_pence=1_900_000,
        agreed_amount_pence=1_500_000,
        period="term",
    )
    contract_services.cost_line_add(
        actor=finance,
        contract=contract,
        category="therapy_speech_language",
        quoted_amount_pence=30_000,
        agreed_amount_pence=25_000,
        period="week",
        periods_per_year=40,
    )
    agreed = contract_services.contract_agree(actor=finance, contract=contract)
    assert agreed.status == "active"
    assert agreed.agreed_annual_cost_pence == 5_500_000  # 4,500,000 + 1,000,000: the ceiling exactly
    assert agreed.saving_pence == 5_700_000 + 1_200_000 - 5_500_000
    event = PlacementEvent.objects.filter(contract=contract).last()
    assert event is not None
    assert (event.action, event.from_status, event.to_status) == ("agree", "negotiating", "active")


def test_contract_agree_above_the_ceiling_is_refused_with_the_message(finance: User) -> None:
    contract = NegotiatingContractFactory()
    # In draft the ceiling does not bind yet; the line goes in, then negotiation must face it.
    CostLineFactory(contract=contract, quoted_amount_pence=6_000_000, agreed_amount_pence=5_600_000)
    with pytest.raises(ValidationFailed) as raised:
        contract_services.contract_agree(actor=finance, contract=contract)
    assert raised.value.field == "agreed"
    assert raised.value.message == (
        "The agreed annual cost £56,000.00 exceeds the panel's ceiling of £55,000.00. A new panel decision is needed."
    )
    assert PlacementContract.objects.get().status == "negotiating"
    assert actions(contract) == []


def test_contract_agree_needs_every_line_agreed(finance: User) -> None:
    contract = NegotiatingContractFactory()
    CostLineFactory(contract=contract, agreed_amount_pence=5_000_000)
    CostLineFactory(contract=contract, category="transport", quoted_amount_pence=300_000)
    with pytest.raises(ValidationFailed, match="1 cost line has no agreed amount") as raised:
        contract_services.contract_agree(actor=finance, contract=contract)
    assert raised.value.field == "cost_lines"


def test_contract_agree_needs_cost_lines(finance: User) -> None:
    with pytest.raises(ValidationFailed, match="Add the cost lines"):
        contract_services.contract_agree(actor=finance, contract=NegotiatingContractFactory())


def test_line_on_an_active_contract_keeps_the_ceiling(finance: User) -> None:
    contract = make_active_contract(actor=finance)  # £50,000 agreed, ceiling £55,000
    with pytest.raises(ValidationFailed, match="exceeds the panel's ceiling"):
        contract_services.cost_line_add(
            actor=finance,
            contract=contract,
            category="transport",
            quoted_amount_pence=600_000,
            agreed_amount_pence=500_001,
            period="year",
        )
    with pytest.raises(ValidationFailed, match="must have an agreed amount"):
        contract_services.cost_line_add(
            actor=finance, contract=contract, category="transport", quoted_amount_pence=1, period="year"
        )
    line = contract_services.cost_line_add(
        actor=finance,
        contract=contract,
        category="transport",
        quoted_amount_pence=600_000,
        agreed_amount_pence=500_000,
        period="year",
    )
    assert PlacementContract.objects.get().agreed_annual_cost_pence == 5_500_000
    with pytest.raises(ValidationFailed, match="must keep an agreed amount"):
        contract_services.cost_line_update(actor=finance, line=line, agreed_amount_pence=None)


def test_cost_line_update_changes_period_with_its_default(finance: User) -> None:
    contract = NegotiatingContractFactory()
    line = contract_services.cost_line_add(
        actor=finance, contract=contract, category="tuition", quoted_amount_pence=5_000_000, period="year"
    )
    updated = contract_services.cost_line_update(
        actor=finance, line=line, period="term", quoted_amount_pence=1_700_000, agreed_amount_pence=1_600_000
    )
    assert (updated.period, updated.periods_per_year) == ("term", 3)
    contract.refresh_from_db()
    assert (contract.quoted_annual_cost_pence, contract.agreed_annual_cost_pence) == (5_100_000, 4_800_000)
    event = PlacementEvent.objects.filter(contract=contract).last()
    assert event is not None and event.payload["before"]["period"] == "year"


def test_cost_lines_cannot_change_once_ended(finance: User) -> None:
    contract = EndedContractFactory()
    with pytest.raises(InvalidTransition, match="A contract that is ended cannot have its cost lines changed."):
        contract_services.cost_line_add(
            actor=finance, contract=contract, category="tuition", quoted_amount_pence=1, period="year"
        )


# --- Negotiation and status changes ---------------------------------------------------------------


def test_negotiation_rounds_are_numbered_and_kept(finance: User) -> None:
    contract = DraftContractFactory()
    PanelMeeting.objects.filter(pk=contract.panel_decision.item.meeting_id).update(held_on=date(2025, 6, 10))
    contract_services.contract_start_negotiation(actor=finance, contract=contract)
    first = contract_services.negotiation_round_record(
        actor=finance,
        contract=contract,
        on=date(2025, 7, 1),
        provider_offer_pence=6_200_000,
        council_counter_offer_pence=5_000_000,
        notes="Opening offer",
    )
    second = contract_services.negotiation_round_record(
        actor=finance, contract=contract, on=date(2025, 7, 8), provider_offer_pence=5_400_000
    )
    assert (first.round_no, second.round_no) == (1, 2)
    assert second.council_counter_offer_pence is None
    assert actions(contract) == ["start_negotiation", "round_recorded", "round_recorded"]


def test_rounds_only_while_negotiating(finance: User) -> None:
    with pytest.raises(InvalidTransition):
        contract_services.negotiation_round_record(
            actor=finance, contract=DraftContractFactory(), on=date(2025, 7, 1), provider_offer_pence=1
        )
    assert not NegotiationRound.objects.exists()


def test_round_date_cannot_be_in_the_future(finance: User) -> None:
    with pytest.raises(ValidationFailed) as raised:
        contract_services.negotiation_round_record(
            actor=finance, contract=NegotiatingContractFactory(), on=date(2999, 1, 1), provider_offer_pence=1
        )
    assert raised.value.field == "on"


def test_contract_end_needs_a_reason_and_an_ordered_date(finance: User) -> None:
    contract = ActiveContractFactory()
    with pytest.raises(ValidationFailed) as raised:
        contract_services.contract_end(actor=finance, contract=contract, ended_on=date(2025, 1, 1), reason=" ")
    assert set(raised.value.errors) == {"reason", "ended_on"}
    ended = contract_services.contract_end(
        actor=finance, contract=contract, ended_on=date(2026, 7, 22), reason="Family moved to Essex"
    )
    assert (ended.status, ended.ended_on, ended.status_reason) == ("ended", date(2026, 7, 22), "Family moved to Essex")
    event = PlacementEvent.objects.get(contract=contract)
    assert (event.action, event.from_status, event.to_status, event.note) == (
        "end",
        "active",
        "ended",
        "Family moved to Essex",
    )


@pytest.mark.parametrize(
    ("factory", "service"),
    [
        (DraftContractFactory, "contract_agree"),
        (NegotiatingContractFactory, "contract_start_negotiation"),
        (ActiveContractFactory, "contract_start_negotiation"),
        (ActiveContractFactory, "contract_agree"),
        (EndedContractFactory, "contract_agree"),
    ],
)
def test_disallowed_status_changes_are_refused(finance: User, factory: Any, service: str) -> None:
    contract = factory()
    with pytest.raises(InvalidTransition):
        getattr(contract_services, service)(actor=finance, contract=contract)
    assert PlacementContract.objects.get().status == contract.status
    assert not PlacementEvent.objects.filter(contract=contract).exists()


def test_ending_a_draft_is_refused(finance: User) -> None:
    with pytest.raises(InvalidTransition, match="A contract that is draft cannot be ended."):
        contract_services.contract_end(
            actor=finance, contract=DraftContractFactory(), ended_on=date(2026, 1, 1), reason="x"
        )


def test_a_new_contract_may_follow_an_ended_one(finance: User) -> None:
    ended = EndedContractFactory()
    decision = approved_decision(child=ended.child, establishment=ended.provider.establishment)
    contract = contract_services.contract_create(
        actor=finance,
        panel_decision=decision,
        provider=ended.provider,
        start_on=date(2026, 9, 1),
        end_on=None,
        annual_review_on=date(2027, 9, 1),
    )
    assert contract.pk != ended.pk


# --- Penalty clause ------------------------------------------------------------------------------


def test_penalty_clause_set_and_replace(finance: User) -> None:
    contract = ActiveContractFactory()
    clause = contract_services.penalty_clause_set(
        actor=finance, contract=contract, threshold_percent="90", rule="percent_of_period_fee", deduction_percent=10
    )
    assert (clause.threshold_percent, clause.deduction_percent) == (Decimal("90.00"), Decimal("10.00"))
    replaced = contract_services.penalty_clause_set(
        actor=finance,
        contract=contract,
        threshold_percent=Decimal("92.5"),
        rule="per_session_missed",
        per_session_pence=8_500,
        authorised_counts_as_attended=False,
    )
    assert replaced.pk == clause.pk
    assert replaced.deduction_percent is None
    assert PenaltyClause.objects.count() == 1
    assert actions(contract) == ["penalty_clause_set", "penalty_clause_set"]


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"threshold_percent": "0", "rule": "percent_of_period_fee", "deduction_percent": "10"}, {"threshold_percent"}),
        (
            {"threshold_percent": "100.01", "rule": "percent_of_period_fee", "deduction_percent": "10"},
            {"threshold_percent"},
        ),
        (
            {"threshold_percent": "90.001", "rule": "percent_of_period_fee", "deduction_percent": "10"},
            {"threshold_percent"},
        ),
        ({"threshold_percent": "ninety", "rule": "fine", "deduction_percent": "10"}, {"threshold_percent", "rule"}),
        ({"threshold_percent": "90", "rule": "percent_of_period_fee"}, {"deduction_percent"}),
        (
            {"threshold_percent": "90", "rule": "per_session_missed", "deduction_percent": "5"},
            {"per_session_pence", "deduction_percent"},
        ),
    ],
)
def test_penalty_clause_validation(finance: User, values: dict[str, Any], fields: set[str]) -> None:
    with pytest.raises(ValidationFailed) as raised:
        contract_services.penalty_clause_set(actor=finance, contract=ActiveContractFactory(), **values)
    assert set(raised.value.errors) == fields
    assert not PenaltyClause.objects.exists()


# --- Attendance returns and deductions -----------------------------------------------------------


@pytest.fixture
def clause_contract(finance: User) -> PlacementContract:
    """Active at £50,000 a year (a term's fee £16,666.67), 90% threshold, 10% deduction."""
    contract = make_active_contract(actor=finance)
    contract_services.penalty_clause_set(
        actor=finance, contract=contract, threshold_percent=90, rule="percent_of_period_fee", deduction_percent=10
    )
    return contract


def submit(actor: User, contract: PlacementContract, attended: int, authorised: int = 0, **extra: Any) -> Any:
    values = {**TERM, **extra}
    return attendance_services.attendance_return_submit(
        actor=actor,
        contract=contract,
        possible=200,
        attended=attended,
        authorised=authorised,
        unauthorised=200 - attended - authorised,
        **values,
    )


def test_return_below_threshold_creates_a_pending_deduction(finance: User, clause_contract: PlacementContract) -> None:
    attendance = submit(finance, clause_contract, 160, authorised=8)
    deduction = Deduction.objects.get(attendance_return=attendance)
    assert (deduction.status, deduction.amount_pence, deduction.period_fee_pence) == ("pending", 166_667, 1_666_667)
    assert deduction.working == [
        "Attendance 84.0% (168 of 200 possible sessions; 8 authorised absences counted as attended) "
        "is below the 90% threshold",
        "10% of the term's fee of £16,666.67 = £1,666.67",
    ]
    event = PlacementEvent.objects.filter(contract=clause_contract).last()
    assert event is not None
    assert event.action == "return_submitted"
    assert event.payload["deduction"] == "created"


def test_return_at_the_threshold_has_no_deduction(finance: User, clause_contract: PlacementContract) -> None:
    attendance = submit(finance, clause_contract, 180)
    assert not Deduction.objects.filter(attendance_return=attendance).exists()


def test_resubmitted_return_recomputes_without_duplicating(finance: User, clause_contract: PlacementContract) -> None:
    first = submit(finance, clause_contract, 160)
    deduction = Deduction.objects.get()
    attendance_services.deduction_confirm(actor=finance, deduction=deduction)
    corrected = submit(finance, clause_contract, 170)  # 85%: still below, same deduction (10%)
    assert corrected.pk == first.pk
    assert corrected.version == 2
    assert AttendanceReturn.objects.count() == 1
    assert Deduction.objects.count() == 1
    deduction.refresh_from_db()
    assert deduction.status == "pending"
    assert deduction.decided_by is None
    assert deduction.working[0].startswith("Attendance 85.0% ")
    assert actions(clause_contract)[-3:] == ["deduction_confirmed", "return_corrected", "deduction_reset"]
    reset = PlacementEvent.objects.filter(action="deduction_reset").get()
    assert reset.payload["previous_status"] == "confirmed"
    assert "pending again" in reset.note


def test_correction_above_threshold_removes_the_pending_deduction(
    finance: User, clause_contract: PlacementContract
) -> None:
    submit(finance, clause_contract, 160)
    assert Deduction.objects.count() == 1
    corrected = submit(finance, clause_contract, 190)
    assert corrected.version == 2
    assert not Deduction.objects.exists()
    event = PlacementEvent.objects.filter(contract=clause_contract).last()
    assert event is not None and event.payload["deduction"] == "removed"


def test_return_without_a_clause_has_no_deduction(finance: User) -> None:
    contract = make_active_contract(actor=finance)
    submit(finance, contract, 100)
    assert not Deduction.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"period_end": date(2025, 8, 31)}, "period_end"),
        ({"period_kind": "fortnight"}, "period_kind"),
        ({"period_kind": "month"}, "period_end"),  # a month of 110 days
        ({"period_start": date(2025, 1, 6), "period_end": date(2025, 3, 28)}, "period_start"),  # before the start
    ],
)
def test_return_period_is_checked(
    finance: User, clause_contract: PlacementContract, extra: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        submit(finance, clause_contract, 180, **extra)
    assert field in raised.value.errors
    assert not AttendanceReturn.objects.exists()


def test_return_counts_cannot_exceed_possible(finance: User, clause_contract: PlacementContract) -> None:
    with pytest.raises(ValidationFailed) as raised:
        attendance_services.attendance_return_submit(
            actor=finance, contract=clause_contract, possible=10, attended=9, authorised=1, unauthorised=1, **TERM
        )
    assert raised.value.field == "sessions_possible"


def test_returns_only_on_active_or_ended_contracts(finance: User) -> None:
    with pytest.raises(InvalidTransition):
        submit(finance, NegotiatingContractFactory(), 180)


def test_deduction_confirm_and_waive(finance: User, clause_contract: PlacementContract) -> None:
    submit(finance, clause_contract, 160)
    spring = submit(finance, clause_contract, 150, period_start=date(2026, 1, 5), period_end=date(2026, 3, 27))
    autumn = Deduction.objects.get(attendance_return__period_start=date(2025, 9, 1))
    confirmed = attendance_services.deduction_confirm(actor=finance, deduction=autumn)
    assert (confirmed.status, confirmed.decided_by) == ("confirmed", finance)
    with pytest.raises(InvalidTransition, match="already been confirmed"):
        attendance_services.deduction_waive(actor=finance, deduction=autumn, reason="x")
    with pytest.raises(ValidationFailed) as raised:
        attendance_services.deduction_waive(actor=finance, deduction=spring.deduction, reason="  ")
    assert raised.value.field == "reason"
    waived = attendance_services.deduction_waive(
        actor=finance, deduction=spring.deduction, reason="Hospital stay agreed"
    )
    assert (waived.status, waived.waived_reason) == ("waived", "Hospital stay agreed")
    assert actions(clause_contract)[-2:] == ["deduction_confirmed", "deduction_waived"]


def test_deductions_can_be_decided_after_the_placement_ends(finance: User, clause_contract: PlacementContract) -> None:
    submit(finance, clause_contract, 160)
    contract_services.contract_end(
        actor=finance, contract=clause_contract, ended_on=date(2025, 12, 19), reason="Moved away"
    )
    assert attendance_services.deduction_confirm(actor=finance, deduction=Deduction.objects.get()).status == "confirmed"


# --- CSV import -------------------------------------------------------------------------------------

HEADER = (
    "contract_ref,period_kind,period_start,period_end,sessions_possible,sessions_attended,"
    "authorised_absence,unauthorised_absence\n"
)


def test_csv_import_good_file(finance: User, clause_contract: PlacementContract) -> None:
    other = make_active_contract(actor=finance)
    ref, other_ref = clause_contract.reference, other.reference
    text = (
        HEADER
        + f"{ref},term,2025-09-01,2025-12-19,200,160,8,32\n"
        + f"{ref},term,05/01/2026,27/03/2026,120,118,2,0\n"
        + f"{other_ref},month,2025-09-01,2025-09-30,40,30,0,10\n"
    )
    result = attendance_services.attendance_returns_import_csv(actor=finance, file_text=text)
    assert result.ok
    assert (result.rows_read, result.created, result.corrected, result.deductions_pending) == (3, 3, 0, 1)
    assert AttendanceReturn.objects.count() == 3
    assert Deduction.objects.get().amount_pence == 166_667
    # The same file again is three corrections, not three more returns.
    again = attendance_services.attendance_returns_import_csv(actor=finance, file_text=text)
    assert (again.created, again.corrected) == (0, 3)
    assert AttendanceReturn.objects.count() == 3
    assert Deduction.objects.count() == 1


def test_csv_import_bad_file_reports_every_error_and_imports_nothing(
    finance: User, clause_contract: PlacementContract
) -> None:
    ref = clause_contract.reference
    draft = DraftContractFactory()
    text = (
        HEADER
        + f"{ref},term,2025-09-01,2025-12-19,200,160,8,32\n"  # row 2: fine
        + "IPA-999999,term,2025-09-01,2025-12-19,200,160,8,32\n"  # row 3: unknown contract
        + f"{ref},week,2026-01-05,2026-13-27,200,x,8,-1\n"  # row 4: kind, date, counts
        + f"{ref},term,2026-04-20,2026-07-22,10,9,1,1\n"  # row 5: more than possible
        + f"{ref},term,2025-09-01,2025-12-19,200,190,0,10\n"  # row 6: duplicate of row 2
        + f"{draft.reference},term,2025-09-01,2025-12-19,200,190,0,10\n"  # row 7: contract not active
    )
    result = attendance_services.attendance_returns_import_csv(actor=finance, file_text=text)
    assert not result.ok
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (3, "contract_ref"),
        (4, "period_kind"),
        (4, "period_end"),
        (4, "sessions_attended"),
        (4, "unauthorised_absence"),
        (5, "sessions_possible"),
        (6, "period_start"),
        (7, "contract_ref"),
    }
    assert "IPA-999999" in next(e.reason for e in result.errors if e.row == 3)
    assert "row 2" in next(e.reason for e in result.errors if e.row == 6)
    assert "Nothing was imported" in result.summary()
    assert not AttendanceReturn.objects.exists()
    assert not PlacementEvent.objects.filter(action="return_submitted").exists()


def test_csv_import_missing_columns(finance: User) -> None:
    result = attendance_services.attendance_returns_import_csv(
        actor=finance, file_text="contract_ref,period_kind\nIPA-1,term\n"
    )
    assert {e.column for e in result.errors} == set(attendance_services.CSV_COLUMNS) - {"contract_ref", "period_kind"}
    assert all(e.row == 1 for e in result.errors)


def test_csv_import_needs_permission(personas: Personas) -> None:
    with pytest.raises(NotPermitted):
        attendance_services.attendance_returns_import_csv(actor=personas.manager, file_text=HEADER)


# --- Benchmarks -------------------------------------------------------------------------------------


def test_line_benchmarks_compare_with_other_providers_for_the_same_need(finance: User) -> None:
    mine = make_active_contract(
        actor=finance,
        child=ChildFactory(primary_need=NeedType.SEMH),
        lines=(("tuition", 5_000_000, 4_800_000, "year", 1), ("therapy_physio", 1, 1, "year", 1)),
    )
    # Same need, other providers: tuition 40,000 / 45,000 / 51,000 a year (median 45,000).
    for annual in (4_000_000, 4_500_000):
        make_active_contract(
            actor=finance,
            child=ChildFactory(primary_need=NeedType.SEMH),
            lines=(("tuition", annual, annual, "year", 1),),
        )
    make_active_contract(
        actor=finance,
        child=ChildFactory(primary_need=NeedType.SEMH),
        lines=(("tuition", 1_800_000, 1_700_000, "term", 3),),
    )
    # Not comparable: the same provider, another need, or not agreed (negotiating).
    make_active_contract(
        actor=finance,
        child=ChildFactory(primary_need=NeedType.SEMH),
        provider=mine.provider,
        lines=(("tuition", 1, 1, "year", 1),),
    )
    make_active_contract(
        actor=finance, child=ChildFactory(primary_need=NeedType.ASD), lines=(("tuition", 9, 9, "year", 1),)
    )
    CostLineFactory(
        contract=NegotiatingContractFactory(child=ChildFactory(primary_need=NeedType.SEMH)), agreed_amount_pence=2
    )
    benchmarks = reports.line_benchmarks(contract=mine)
    assert benchmarks == {
        "therapy_physio": {
            "median": None,
            "min": None,
            "max": None,
            "lower_quartile": None,
            "upper_quartile": None,
            "n": 0,
        },
        # Quartiles interpolated between ranks: 40,000 + 0.5 × 5,000; 45,000 + 0.5 × 6,000.
        "tuition": {
            "median": 4_500_000,
            "min": 4_000_000,
            "max": 5_100_000,
            "lower_quartile": 4_250_000,
            "upper_quartile": 4_800_000,
            "n": 3,
        },
    }


def test_line_benchmark_median_of_an_even_count_rounds_half_up(finance: User) -> None:
    mine = make_active_contract(actor=finance, lines=(("transport", 1, 1, "year", 1),))
    for annual in (100, 201):
        make_active_contract(actor=finance, lines=(("transport", annual, annual, "year", 1),))
    # 100 and 201: median 150.5 -> 151; quartiles 125.25 -> 125 and 175.75 -> 176.
    assert reports.line_benchmarks(contract=mine)["transport"] == {
        "median": 151,
        "min": 100,
        "max": 201,
        "lower_quartile": 125,
        "upper_quartile": 176,
        "n": 2,
    }


# --- Issue 12 items 10, 11: returns that clash or do not add up -----------------------------------


def test_a_return_for_a_future_period_is_refused_and_deducts_nothing(
    finance: User, clause_contract: PlacementContract
) -> None:
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as raised:
        submit(finance, clause_contract, 100, period_kind="month", period_start=today, period_end=today + timedelta(30))
    assert raised.value.field == "period_end"
    assert "after today" in raised.value.message
    assert not AttendanceReturn.objects.exists() and not Deduction.objects.exists()


def test_a_return_beyond_the_placements_end_is_refused(finance: User) -> None:
    contract = make_active_contract(actor=finance)
    contract_services.contract_end(actor=finance, contract=contract, ended_on=date(2025, 11, 14), reason="Moved")
    with pytest.raises(ValidationFailed, match="after the placement ended on 14 November 2025"):
        submit(finance, contract, 200)
    assert not AttendanceReturn.objects.exists()


def test_an_overlapping_return_is_refused_naming_the_other_period(
    finance: User, clause_contract: PlacementContract
) -> None:
    submit(finance, clause_contract, 160)  # the autumn term, with a deduction
    with pytest.raises(ValidationFailed) as raised:
        submit(
            finance,
            clause_contract,
            100,
            period_kind="month",
            period_start=date(2025, 12, 1),
            period_end=date(2025, 12, 19),
        )
    assert raised.value.field == "period_start"
    assert "overlaps the return already entered for 1 September 2025 to 19 December 2025" in raised.value.message
    assert AttendanceReturn.objects.count() == 1 and Deduction.objects.count() == 1


def test_the_same_period_again_is_still_a_correction(finance: User, clause_contract: PlacementContract) -> None:
    submit(finance, clause_contract, 160)
    corrected = submit(finance, clause_contract, 190)
    assert corrected.version == 2 and AttendanceReturn.objects.count() == 1


def test_unaccounted_sessions_are_refused_with_the_arithmetic(
    finance: User, clause_contract: PlacementContract
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        attendance_services.attendance_return_submit(
            actor=finance, contract=clause_contract, possible=8, attended=2, authorised=0, unauthorised=0, **TERM
        )
    assert raised.value.field == "sessions_possible"
    assert "8 possible ≠ 2 attended + 0 authorised + 0 unauthorised = 2" in raised.value.message
    assert not AttendanceReturn.objects.exists() and not Deduction.objects.exists()


def _csv(*rows: tuple[Any, ...]) -> str:
    header = ",".join(attendance_services.CSV_COLUMNS)
    return "\n".join([header, *(",".join(str(v) for v in row) for row in rows)]) + "\n"


def test_csv_rows_that_overlap_each_other_or_a_return_on_file_fail_the_whole_file(
    finance: User, clause_contract: PlacementContract
) -> None:
    submit(finance, clause_contract, 200)
    ref = clause_contract.reference
    file_text = _csv(
        (ref, "term", "2026-01-06", "2026-03-27", 114, 114, 0, 0),
        (ref, "month", "2026-03-01", "2026-03-31", 40, 40, 0, 0),  # inside the spring term above
        (ref, "month", "2025-12-01", "2025-12-19", 30, 30, 0, 0),  # inside the autumn term on file
        (ref, "month", "2025-08-01", "2025-08-29", 8, 2, 0, 0),  # before the start, and does not add up
    )
    result = attendance_services.attendance_returns_import_csv(actor=finance, file_text=file_text)
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert "overlaps row 2 (6 January 2026 to 27 March 2026)" in reasons[(3, "period_start")]
    assert "already entered for 1 September 2025 to 19 December 2025" in reasons[(4, "period_start")]
    assert "before the placement started" in reasons[(5, "period_start")]
    assert "8 possible ≠ 2 attended" in reasons[(5, "sessions_possible")]
    assert AttendanceReturn.objects.count() == 1


@pytest.mark.postgres_only  # an exclusion constraint is PostgreSQL's; the service guards SQLite
def test_the_database_refuses_overlapping_returns_of_a_contract(finance: User) -> None:
    contract = make_active_contract(actor=finance)
    submit(finance, contract, 200)
    with pytest.raises(IntegrityError), transaction.atomic():
        AttendanceReturn.objects.create(
            contract=contract,
            period_kind="month",
            period_start=date(2025, 12, 1),
            period_end=date(2025, 12, 31),
            sessions_possible=0,
            sessions_attended=0,
            authorised_absence=0,
            unauthorised_absence=0,
            submitted_by=finance,
        )
    # Another contract's return for the same days is no clash.
    other = make_active_contract(actor=finance)
    submit(finance, other, 200)


# --- Issue 12 items 12, 13: savings only when agreed; rounds checked, correctable, in date order ----


def test_a_negotiating_contract_has_no_saving(finance: User) -> None:
    contract = NegotiatingContractFactory()
    contract.quoted_annual_cost_pence = 7_408_282
    contract.save()
    assert contract.saving_pence is None
    assert make_active_contract(actor=finance).saving_pence == 200_000


def _decided_on(contract: PlacementContract) -> date:
    return contract.panel_decision.item.meeting.held_on


def test_a_round_before_the_panel_decision_is_refused(finance: User) -> None:
    contract = NegotiatingContractFactory()
    with pytest.raises(ValidationFailed) as raised:
        contract_services.negotiation_round_record(
            actor=finance, contract=contract, on=_decided_on(contract) - timedelta(1), provider_offer_pence=5_000_000
        )
    assert raised.value.field == "on" and "before the panel approved" in raised.value.message
    assert not NegotiationRound.objects.exists()


@pytest.mark.parametrize(
    ("offer", "counter", "field"),
    [
        (0, None, "provider_offer_pence"),
        (5_000_000, 0, "council_counter_offer_pence"),
        (5_000_000, 5_100_000, "council_counter_offer_pence"),
    ],
)
def test_round_figures_that_make_no_sense_are_refused(
    finance: User, offer: int, counter: int | None, field: str
) -> None:
    contract = NegotiatingContractFactory()
    with pytest.raises(ValidationFailed) as raised:
        contract_services.negotiation_round_record(
            actor=finance,
            contract=contract,
            on=_decided_on(contract),
            provider_offer_pence=offer,
            council_counter_offer_pence=counter,
        )
    assert raised.value.field == field
    assert not NegotiationRound.objects.exists()


def test_a_round_is_corrected_with_a_reason_and_the_event_keeps_before_and_after(finance: User) -> None:
    contract = NegotiatingContractFactory()
    on = _decided_on(contract)
    first = contract_services.negotiation_round_record(
        actor=finance, contract=contract, on=on, provider_offer_pence=5_800_000, council_counter_offer_pence=5_200_000
    )
    with pytest.raises(ValidationFailed) as raised:
        contract_services.negotiation_round_correct(
            actor=finance, negotiation_round=first, on=on, provider_offer_pence=5_700_000, reason=" "
        )
    assert raised.value.field == "reason"
    corrected = contract_services.negotiation_round_correct(
        actor=finance,
        negotiation_round=first,
        on=on,
        provider_offer_pence=5_700_000,
        council_counter_offer_pence=5_200_000,
        reason="Offer mistyped",
    )
    assert (corrected.provider_offer_pence, corrected.version) == (5_700_000, 2)
    event = PlacementEvent.objects.get(action="round_corrected")
    assert event.note == "Offer mistyped"
    assert event.payload["before"]["provider_offer_pence"] == 5_800_000
    assert event.payload["provider_offer_pence"] == 5_700_000


def test_only_the_finance_officer_corrects_a_round(personas: Personas, finance: User) -> None:
    contract = NegotiatingContractFactory()
    first = contract_services.negotiation_round_record(
        actor=finance, contract=contract, on=_decided_on(contract), provider_offer_pence=5_000_000
    )
    with pytest.raises(NotPermitted):
        contract_services.negotiation_round_correct(
            actor=personas.manager, negotiation_round=first, on=first.on, provider_offer_pence=1, reason="x"
        )


def test_rounds_list_in_date_order(finance: User) -> None:
    contract = NegotiatingContractFactory()
    today = timezone.localdate()
    PanelMeeting.objects.filter(pk=contract.panel_decision.item.meeting_id).update(held_on=today - timedelta(30))
    record = contract_services.negotiation_round_record
    record(actor=finance, contract=contract, on=today - timedelta(5), provider_offer_pence=5_000_000)
    record(actor=finance, contract=contract, on=today - timedelta(20), provider_offer_pence=5_100_000)  # entered late
    assert [r.round_no for r in NegotiationRound.objects.filter(contract=contract)] == [2, 1]
    detail = PlacementContract.objects.get(pk=contract.pk)
    assert [r.round_no for r in detail.negotiation_rounds.all()] == [2, 1]


def test_a_cost_line_change_records_before_and_after_for_every_field(finance: User) -> None:
    line = CostLineFactory(contract=NegotiatingContractFactory(), quoted_amount_pence=5_200_000)
    contract_services.cost_line_update(
        actor=finance, line=line, quoted_amount_pence=5_000_000, agreed_amount_pence=4_900_000, description="New"
    )
    payload = PlacementEvent.objects.get(action="cost_line_updated").payload
    assert payload["before"]["quoted_amount_pence"] == 5_200_000 and payload["quoted_amount_pence"] == 5_000_000
    assert payload["before"]["agreed_amount_pence"] is None and payload["agreed_amount_pence"] == 4_900_000
    assert payload["description_changed"] is True


def test_csv_import_names_a_count_in_non_ascii_digits_instead_of_failing(
    finance: User, clause_contract: PlacementContract
) -> None:
    """A count of "16²" passes ``str.isdigit`` but ``int`` refuses it: the cell is named, nothing is imported."""
    text = HEADER + f"{clause_contract.reference},term,2025-09-01,2025-12-19,200,16\u00b2,8,32\n"
    result = attendance_services.attendance_returns_import_csv(actor=finance, file_text=text)
    assert not result.ok
    assert {(e.row, e.column) for e in result.errors} == {(2, "sessions_attended")}
    assert not AttendanceReturn.objects.exists()
