"""Issue 12, items 14-18 and 20: the request rules found wrong in use, tested without a database."""

from __future__ import annotations

from datetime import date

import pytest

from requests_app import clocks, workflow
from requests_app.clocks import ExceptionPeriod, ExceptionType
from requests_app.workflow import Action, Status

# --- Item 14: the placement type follows from the establishment ----------------------------------


def test_a_special_academy_cannot_be_named_as_a_mainstream_school() -> None:
    message = workflow.placement_mismatch(
        "special_academy",
        "mainstream",
        establishment_name="Oakwood Academy",
        establishment_type_label="Special school – academy or free school",
        placement_type_label="Mainstream school",
    )
    assert message is not None
    assert "Oakwood Academy" in message
    assert "special school – academy or free school" in message
    assert "mainstream school" in message


@pytest.mark.parametrize(
    ("establishment_type", "placement_type"),
    [
        ("mainstream_maintained", "mainstream"),
        ("mainstream_academy", "resourced_provision"),
        ("special_academy", "special_academy"),
        ("independent_special", "independent_special"),
        ("further_education", "further_education"),
    ],
)
def test_matching_pairs_are_accepted(establishment_type: str, placement_type: str) -> None:
    assert (
        workflow.placement_mismatch(
            establishment_type,
            placement_type,
            establishment_name="x",
            establishment_type_label="x",
            placement_type_label="x",
        )
        is None
    )


@pytest.mark.parametrize(
    ("establishment_type", "expected"),
    [
        ("special_academy", "special_academy"),
        ("mainstream_maintained", "mainstream"),
        ("non_maintained_special", "non_maintained_special"),
        ("alternative_provision", "other"),
    ],
)
def test_the_placement_type_follows_from_the_establishment_type(establishment_type: str, expected: str) -> None:
    assert workflow.placement_type_for(establishment_type) == expected


def test_every_establishment_type_has_placement_types() -> None:
    # The GIAS type groups in core.models.EstablishmentType, written out (no Django import here).
    groups = {
        "mainstream_maintained",
        "mainstream_academy",
        "mainstream_independent",
        "special_maintained",
        "special_academy",
        "non_maintained_special",
        "independent_special",
        "alternative_provision",
        "further_education",
        "specialist_post16",
        "early_years",
    }
    assert set(workflow.PLACEMENT_TYPES_BY_ESTABLISHMENT_TYPE) == groups


# --- Item 15: one open request for advice per service; cancelling one ------------------------------


def test_a_second_open_request_for_advice_to_the_same_service_is_refused() -> None:
    message = workflow.duplicate_advice_error(
        "educational_psychology",
        awaited_types=["educational_psychology", "health"],
        adviser_label="Educational psychology",
    )
    assert message is not None and "already been requested" in message
    assert workflow.duplicate_advice_error("social_care", awaited_types=["health"], adviser_label="x") is None


@pytest.mark.parametrize("status", [Status.ASSESSING, Status.AWAITING_ISSUE_DECISION])
def test_advice_can_be_cancelled_while_assessing(status: Status) -> None:
    assert (
        workflow.check_transition(status, Action.CANCEL_ADVICE).capability
        is workflow.ACTION_CAPABILITY[Action.CANCEL_ADVICE]
    )


def test_cancelling_advice_needs_a_reason() -> None:
    assert workflow.missing_fields(Action.CANCEL_ADVICE, {"reason": ""}) == {
        "reason": ["Enter why the request for advice is being cancelled"]
    }


# --- Item 16: exceptions outside the clock's window ------------------------------------------------

RECEIVED = date(2026, 1, 5)


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2025, 11, 1), date(2025, 12, 31)), (date(2026, 7, 1), date(2026, 8, 31))],
)
def test_an_exception_wholly_outside_the_window_is_refused_naming_the_window(start: date, end: date) -> None:
    window_end = RECEIVED + clocks.FINAL_PLAN_PERIOD
    message = clocks.exception_outside_window(start, end, window_start=RECEIVED, window_end=window_end)
    assert message is not None
    assert "5 January 2026" in message and "25 May 2026" in message


def test_an_exception_overlapping_the_window_is_accepted() -> None:
    assert (
        clocks.exception_outside_window(
            date(2025, 12, 20), date(2026, 1, 10), window_start=RECEIVED, window_end=date(2026, 5, 25)
        )
        is None
    )


def test_each_exception_shows_the_days_it_adds_and_overlaps_are_counted_once() -> None:
    due = RECEIVED + clocks.FINAL_PLAN_PERIOD
    first = ExceptionPeriod(ExceptionType.PERSONAL_CIRCUMSTANCES, date(2026, 2, 1), date(2026, 2, 10))
    overlapping = ExceptionPeriod(ExceptionType.PERSONAL_CIRCUMSTANCES, date(2026, 2, 6), date(2026, 2, 15))
    before_day_one = ExceptionPeriod(ExceptionType.PERSONAL_CIRCUMSTANCES, date(2025, 12, 1), date(2025, 12, 31))
    assert clocks.exception_days_added(first, [], start=RECEIVED, due=due) == 10
    assert clocks.exception_days_added(overlapping, [first], start=RECEIVED, due=due) == 5
    assert clocks.exception_days_added(before_day_one, [first, overlapping], start=RECEIVED, due=due) == 0


# --- Item 18: reasons that contradict the decision; advice before a decision not to issue -----------


def test_refusal_reasons_with_a_decision_to_assess_name_the_field() -> None:
    errors = workflow.decision_reason_errors(
        "assess", assess_reasons=["has_or_may_have_sen"], refusal_reasons=["no_evidence_of_sen"]
    )
    assert list(errors) == ["refusal_reasons"]
    assert "refusal reasons" in errors["refusal_reasons"]


def test_assess_reasons_with_a_refusal_name_the_field() -> None:
    errors = workflow.decision_reason_errors("refuse", assess_reasons=["has_or_may_have_sen"], refusal_reasons=[])
    assert list(errors) == ["assess_reasons"]


def test_matching_reasons_pass() -> None:
    assert workflow.decision_reason_errors("assess", assess_reasons=["other"], refusal_reasons=[]) == {}
    assert workflow.decision_reason_errors("refuse", assess_reasons=[], refusal_reasons=["no_evidence_of_sen"]) == {}


@pytest.mark.parametrize(
    ("advice_sought", "reason", "refused"),
    [
        (False, "", True),
        (False, "made_up", True),
        (False, "existing_advice_agreed_sufficient", False),
        (True, "", False),
    ],
)
def test_a_decision_not_to_issue_needs_advice_or_the_reg_6_4_reason(
    advice_sought: bool, reason: str, refused: bool
) -> None:
    message = workflow.not_issue_advice_error(advice_sought=advice_sought, advice_not_sought_reason=reason)
    assert (message is not None) is refused
    if refused:
        assert "reg 6(4)" in (message or "")


# --- Item 20: allowed actions need something to act on -------------------------------------------


def test_remove_exception_is_not_offered_without_an_exception() -> None:
    assert Action.REMOVE_EXCEPTION in workflow.allowed_actions(Status.RECEIVED)
    assert Action.REMOVE_EXCEPTION not in workflow.allowed_actions(Status.RECEIVED, has_active_exception=False)


def test_record_and_cancel_advice_are_not_offered_without_advice_awaited() -> None:
    allowed = workflow.allowed_actions(Status.ASSESSING, has_awaited_advice=False)
    assert Action.RECORD_ADVICE not in allowed and Action.CANCEL_ADVICE not in allowed
    assert Action.REQUEST_ADVICE in allowed
