"""The database itself refuses bad placement rows, whatever door they come through (not the
services). Runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from placements.models import (
    AttendanceReturn,
    CostLine,
    Deduction,
    NegotiationRound,
    PenaltyClause,
    PlacementContract,
    PlacementEvent,
    PlacementReview,
    Provider,
    ReturnChase,
)
from tests.placements.factories import (
    ActiveContractFactory,
    AttendanceReturnFactory,
    CostLineFactory,
    DeductionFactory,
    DraftContractFactory,
    EndedContractFactory,
    PenaltyClauseFactory,
    ProviderFactory,
    approved_decision,
    finance_user,
)

# In the representative set CI runs on the embedded default (SQLite, filesystem broker) too.
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def _update(factory: Callable[[], models.Model], **changes: Any) -> Callable[[], None]:
    """Build a valid row, then write ``changes`` straight to the table (no model validation)."""

    def write() -> None:
        row = factory()
        with transaction.atomic():
            type(row).objects.filter(pk=row.pk).update(**changes)

    return write


def _round(**fields: Any) -> Callable[[], None]:
    def write() -> None:
        contract = DraftContractFactory()
        with transaction.atomic():
            NegotiationRound.objects.create(
                contract=contract,
                on=date(2025, 7, 1),
                recorded_by=finance_user(),
                **{"round_no": 1, "provider_offer_pence": 100, **fields},
            )

    return write


def _second_round() -> None:
    contract = DraftContractFactory()
    values = {"contract": contract, "round_no": 1, "on": date(2025, 7, 1), "provider_offer_pence": 1}
    NegotiationRound.objects.create(recorded_by=finance_user(), **values)
    with transaction.atomic():
        NegotiationRound.objects.create(recorded_by=finance_user(), **values)


def _second_open_contract() -> None:
    contract = DraftContractFactory()
    with transaction.atomic():
        DraftContractFactory(
            child=contract.child,
            provider=contract.provider,
            panel_decision=approved_decision(child=contract.child, establishment=contract.provider.establishment),
        )


def _same_reference() -> None:
    first = DraftContractFactory()
    second = DraftContractFactory()
    with transaction.atomic():
        PlacementContract.objects.filter(pk=second.pk).update(reference=first.reference)


def _second_return() -> None:
    attendance = AttendanceReturnFactory()
    with transaction.atomic():
        AttendanceReturnFactory(contract=attendance.contract)


def _event(**fields: Any) -> Callable[[], None]:
    def write() -> None:
        contract = DraftContractFactory()
        with transaction.atomic():
            PlacementEvent.objects.create(
                occurred_at=timezone.now(), **{"contract": contract, "action": "contract_created", **fields}
            )

    return write


def _review(**fields: Any) -> Callable[[], None]:
    def write() -> None:
        contract = ActiveContractFactory()
        values: dict[str, Any] = {"due_on": date(2026, 1, 5), **fields}
        if values.get("outcome"):
            values.setdefault("recorded_at", timezone.now())
            if "held_on" in values:
                values.setdefault("recorded_by", finance_user())
        with transaction.atomic():
            PlacementReview.objects.create(contract=contract, **values)

    return write


def _second_open_review() -> None:
    contract = ActiveContractFactory()
    PlacementReview.objects.create(contract=contract, due_on=date(2026, 1, 5))
    with transaction.atomic():
        PlacementReview.objects.create(contract=contract, due_on=date(2026, 6, 5))


def _chase(**fields: Any) -> Callable[[], None]:
    def write() -> None:
        provider = ProviderFactory()
        values: dict[str, Any] = {
            "period_start": date(2026, 2, 1),
            "period_end": date(2026, 2, 28),
            "chased_on": date(2026, 3, 5),
            **fields,
        }
        with transaction.atomic():
            ReturnChase.objects.create(provider=provider, chased_by=finance_user(), **values)

    return write


CASES: dict[str, Callable[[], None]] = {
    # Providers
    "provider_route_valid": _update(ProviderFactory, procurement_route="handshake"),
    "provider_fees_not_negative": _update(ProviderFactory, fee_min_annual_pence=-1),
    "provider_fee_band_ordered": _update(ProviderFactory, fee_min_annual_pence=8_000_000),
    # Contracts
    "placement_status_valid": _update(DraftContractFactory, status="suspended"),
    "one_open_contract_per_child_provider": _second_open_contract,
    "placement_reference_unique": _same_reference,
    "placement_end_after_start": _update(DraftContractFactory, end_on=date(2025, 8, 31)),
    "placement_ended_after_start": _update(EndedContractFactory, ended_on=date(2025, 8, 31)),
    "placement_review_after_start": _update(DraftContractFactory, annual_review_on=date(2025, 1, 1)),
    "placement_ended_has_reason_and_date": _update(EndedContractFactory, status_reason=""),
    "placement_costs_not_negative": _update(ActiveContractFactory, agreed_annual_cost_pence=-1),
    # Cost lines
    "cost_line_category_valid": _update(CostLineFactory, category="sweets"),
    "cost_line_period_valid": _update(CostLineFactory, period="fortnight"),
    "cost_line_amounts_not_negative": _update(CostLineFactory, agreed_amount_pence=-1),
    "cost_line_periods_positive": _update(CostLineFactory, periods_per_year=0),
    "cost_line_periods_within_year": _update(CostLineFactory, period="week", periods_per_year=53),
    # Negotiation
    "negotiation_round_unique": _second_round,
    "negotiation_round_from_one": _round(round_no=0),
    "negotiation_amounts_not_negative": _round(council_counter_offer_pence=-1),
    # Penalty clause
    "penalty_threshold_in_range": _update(PenaltyClauseFactory, threshold_percent=Decimal("100.01")),
    "penalty_rule_valid": _update(PenaltyClauseFactory, rule="fine"),
    "penalty_rule_parameters": _update(PenaltyClauseFactory, per_session_pence=500),
    # Attendance returns
    "one_attendance_return_per_period": _second_return,
    "attendance_period_kind_valid": _update(AttendanceReturnFactory, period_kind="week"),
    "attendance_period_ordered": _update(AttendanceReturnFactory, period_end=date(2025, 8, 31)),
    "attendance_sessions_not_negative": _update(AttendanceReturnFactory, unauthorised_absence=-1),
    "attendance_sessions_within_possible": _update(AttendanceReturnFactory, sessions_attended=131),
    "attendance_version_from_one": _update(AttendanceReturnFactory, version=0),
    # Deductions
    "deduction_status_valid": lambda: _update(
        DeductionFactory, status="disputed", decided_by=finance_user(), decided_at=timezone.now()
    )(),
    "deduction_amounts_not_negative": _update(DeductionFactory, amount_pence=-1),
    "deduction_waiver_has_reason": lambda: _update(
        DeductionFactory, status="waived", decided_by=finance_user(), decided_at=timezone.now(), waived_reason=""
    )(),
    "deduction_decision_recorded": _update(DeductionFactory, status="confirmed"),
    # Events
    "placement_event_action_valid": _event(action="deleted"),
    "placement_event_statuses_valid": _event(to_status="paused"),
    "placement_event_has_subject": _event(contract=None),
    # Ending (issue 17)
    "placement_leaving_reason_valid": _update(EndedContractFactory, leaving_reason="bored"),
    "placement_ended_has_leaving_reason": _update(EndedContractFactory, leaving_reason=""),
    "placement_notice_period_within_year": _update(ActiveContractFactory, notice_period_days=400),
    "placement_notice_after_start": _update(ActiveContractFactory, notice_given_on=date(2020, 1, 1)),
    # Placement reviews and chases
    "placement_review_outcome_valid": _review(outcome="maybe", held_on=date(2026, 1, 5), evidence="Report"),
    "placement_review_attendance_in_range": _review(expected_attendance_percent=Decimal("101")),
    "placement_review_outcome_recorded": _review(outcome="continue", evidence="Report"),
    "one_open_review_per_contract": _second_open_review,
    "return_chase_period_ordered": _chase(period_start=date(2026, 2, 28), period_end=date(2026, 2, 1)),
    "return_chase_after_period": _chase(chased_on=date(2026, 2, 28)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_constraint_rejects_a_bad_row(name: str) -> None:
    with pytest.raises(IntegrityError) as raised:
        CASES[name]()
    # The named constraint is the one that fired, not some other rule the bad row breaks. For a
    # unique index SQLite names the columns instead; a negative amount in a Positive*Field
    # trips the column's own CHECK first (the named one is the belt to that pair of braces).
    message = str(raised.value).lower()
    assert (
        name in message
        or "unique constraint failed" in message
        or (name.endswith("not_negative") and "check constraint" in message)
    )


def test_every_constraint_has_a_case() -> None:
    names = {
        constraint.name
        for model in (
            Provider,
            PlacementContract,
            CostLine,
            NegotiationRound,
            PenaltyClause,
            AttendanceReturn,
            Deduction,
            PlacementEvent,
            PlacementReview,
            ReturnChase,
        )
        for constraint in model._meta.constraints
    }
    assert names == set(CASES)


# --- What the constraints allow --------------------------------------------------------------


def test_a_waiver_with_its_reason_and_decision_is_allowed() -> None:
    finance, decided_at = finance_user(), timezone.now()
    deduction = DeductionFactory(
        status="waived", waived_reason="Agreed absence", decided_by=finance, decided_at=decided_at
    )
    stored = Deduction.objects.get(pk=deduction.pk)
    assert (stored.status, stored.waived_reason, stored.decided_by, stored.decided_at) == (
        "waived",
        "Agreed absence",
        finance,
        decided_at,
    )


def test_a_percentage_clause_at_100_and_a_per_session_clause() -> None:
    PenaltyClauseFactory(threshold_percent=Decimal("100"))
    PenaltyClauseFactory(rule="per_session_missed", deduction_percent=None, per_session_pence=8_500)
    assert PenaltyClause.objects.count() == 2


def test_an_ended_contract_frees_the_child_and_provider_for_a_new_one() -> None:
    ended = EndedContractFactory()
    DraftContractFactory(
        child=ended.child,
        provider=ended.provider,
        panel_decision=approved_decision(child=ended.child, establishment=ended.provider.establishment),
    )
    assert PlacementContract.objects.count() == 2


def test_a_return_with_every_session_accounted_for() -> None:
    made = AttendanceReturnFactory(
        sessions_possible=140, sessions_attended=130, authorised_absence=6, unauthorised_absence=4
    )
    stored = AttendanceReturn.objects.get(pk=made.pk)
    assert (stored.sessions_possible, stored.sessions_attended, stored.authorised_absence) == (140, 130, 6)
    assert stored.unauthorised_absence == 4


def test_placement_events_and_rounds_are_append_only() -> None:
    contract = DraftContractFactory()
    event = PlacementEvent.objects.create(contract=contract, action="contract_created")
    event.note = "edited"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
