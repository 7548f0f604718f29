"""The placement rules in plain Python: no database, no Django."""

from __future__ import annotations

import ast
import inspect
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from placements import workflow
from placements.workflow import (
    Action,
    ClauseFacts,
    ContractStatus,
    LineFacts,
    PenaltyRule,
    Period,
    PeriodKind,
    ReturnFacts,
    TransitionError,
)


def test_module_imports_no_django() -> None:
    tree = ast.parse(inspect.getsource(workflow))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names} | {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    }
    assert not any(name.startswith("django") for name in imported)


# --- Annualising ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "period", "periods", "annual"),
    [
        (5_000_000, Period.YEAR, 1, 5_000_000),
        (1_666_667, Period.TERM, 3, 5_000_001),
        (125_000, Period.WEEK, 39, 4_875_000),
        (125_000, Period.WEEK, 52, 6_500_000),
        (26_316, Period.DAY, 190, 5_000_040),
        (0, Period.DAY, 190, 0),
    ],
)
def test_annualise_multiplies_by_the_stored_number_of_periods(
    amount: int, period: Period, periods: int, annual: int
) -> None:
    assert workflow.annualise(amount, period, periods) == annual


def test_annualise_a_yearly_amount_is_the_amount_whatever_the_periods() -> None:
    assert workflow.annualise(5_000_000, "year", 3) == 5_000_000


def test_annualise_fractional_periods_round_half_up_to_the_penny() -> None:
    assert workflow.annualise(1, Period.WEEK, Decimal("38.5")) == 39  # 38.5 -> 39
    assert workflow.annualise(3, Period.WEEK, Decimal("0.5")) == 2  # 1.5 -> 2


def test_annualise_refuses_negative_amounts_and_periods() -> None:
    with pytest.raises(ValueError):
        workflow.annualise(-1, Period.TERM, 3)
    with pytest.raises(ValueError):
        workflow.annualise(100, Period.TERM, 0)


@pytest.mark.parametrize(
    ("period", "fifty_two", "expected"),
    [("year", False, 1), ("term", False, 3), ("week", False, 39), ("week", True, 52), ("day", False, 190)],
)
def test_default_periods_per_year(period: str, fifty_two: bool, expected: int) -> None:
    assert workflow.default_periods_per_year(period, fifty_two_week=fifty_two) == expected


@pytest.mark.parametrize(
    ("period", "periods", "problem"),
    [
        ("year", 1, None),
        ("year", 2, "An amount per year is charged once a year"),
        ("week", 52, None),
        ("week", 53, "A year has at most 52 weeks"),
        ("term", 0, "Enter the number of periods in a year as a whole number greater than 0"),
        ("day", 366, None),
    ],
)
def test_periods_problem(period: str, periods: int, problem: str | None) -> None:
    assert workflow.periods_problem(period, periods) == problem


# --- Period fee and money -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annual", "kind", "fee"),
    [
        (5_000_000, PeriodKind.TERM, 1_666_667),  # 1,666,666.67 rounds up
        (5_000_000, PeriodKind.MONTH, 416_667),  # 416,666.67
        (4_800_000, PeriodKind.TERM, 1_600_000),
        (1, PeriodKind.TERM, 0),  # 0.33 rounds down
        (2, PeriodKind.TERM, 1),  # 0.67 rounds up
        (6, PeriodKind.MONTH, 1),  # 0.5 rounds half up
        (0, PeriodKind.MONTH, 0),
    ],
)
def test_period_fee_is_a_third_or_a_twelfth_rounded_half_up(annual: int, kind: PeriodKind, fee: int) -> None:
    assert workflow.period_fee(annual, kind) == fee


def test_format_pounds() -> None:
    assert workflow.format_pounds(1_666_667) == "£16,666.67"
    assert workflow.format_pounds(5) == "£0.05"
    assert workflow.format_pounds(-150) == "-£1.50"


def test_ceiling_message() -> None:
    assert workflow.ceiling_message(5_600_000, 5_500_000) == (
        "The agreed annual cost £56,000.00 exceeds the panel's ceiling of £55,000.00. A new panel decision is needed."
    )


def test_agree_problems() -> None:
    assert workflow.agree_problems([], ceiling_pence=1) == [
        ("cost_lines", "Add the cost lines before agreeing the fees")
    ]
    assert workflow.agree_problems([LineFacts(100, 100)], ceiling_pence=100) == []  # at the ceiling: allowed
    assert workflow.agree_problems([LineFacts(100, 60), LineFacts(50, 41)], ceiling_pence=100) == [
        ("agreed", workflow.ceiling_message(101, 100))
    ]
    assert workflow.agree_problems([LineFacts(100, 60), LineFacts(50, None)], ceiling_pence=100) == [
        ("cost_lines", "1 cost line has no agreed amount; agree every line first")
    ]


# --- Attendance rate ---------------------------------------------------------------------------


def test_attendance_rate_counts_authorised_absence_with_the_grace_rule() -> None:
    assert workflow.attendance_rate(200, 160, 8, authorised_counts_as_attended=True) == Decimal("84.00")
    assert workflow.attendance_rate(200, 160, 8, authorised_counts_as_attended=False) == Decimal("80.00")


def test_attendance_rate_truncates_so_the_comparison_with_a_threshold_is_exact() -> None:
    # 8999 of 10000 = 89.99%; 17999 of 20000 = 89.995% -> 89.99, still below 90.
    assert workflow.attendance_rate(20_000, 17_999, 0, authorised_counts_as_attended=True) == Decimal("89.99")


def test_attendance_rate_with_no_possible_sessions_is_full() -> None:
    assert workflow.attendance_rate(0, 0, 0, authorised_counts_as_attended=True) == Decimal("100.00")


# --- Deductions --------------------------------------------------------------------------------

PERCENT = ClauseFacts(
    threshold_percent=Decimal("90.00"), rule=PenaltyRule.PERCENT_OF_PERIOD_FEE, deduction_percent=Decimal("10")
)
PER_SESSION = ClauseFacts(
    threshold_percent=Decimal("90.00"), rule=PenaltyRule.PER_SESSION_MISSED, per_session_pence=8_500
)
TERM_FEE = 1_666_667


def facts(attended: int, authorised: int = 0, unauthorised: int | None = None, possible: int = 200) -> ReturnFacts:
    if unauthorised is None:
        unauthorised = possible - attended - authorised
    return ReturnFacts(
        period_kind=PeriodKind.TERM,
        sessions_possible=possible,
        sessions_attended=attended,
        authorised_absence=authorised,
        unauthorised_absence=unauthorised,
    )


def test_percentage_rule_working_in_words() -> None:
    result = workflow.compute_deduction(PERCENT, facts(160, authorised=8), TERM_FEE)
    assert result.applies
    assert result.amount_pence == 166_667
    assert result.working == [
        "Attendance 84.0% (168 of 200 possible sessions; 8 authorised absences counted as attended) "
        "is below the 90% threshold",
        "10% of the term's fee of £16,666.67 = £1,666.67",
    ]


@pytest.mark.parametrize("clause", [PERCENT, PER_SESSION], ids=["percent", "per_session"])
@pytest.mark.parametrize(
    ("attended", "applies"),
    [(180, False), (179, True), (181, False)],  # at 90%, just below (89.5%), just above (90.5%)
    ids=["at", "just_below", "just_above"],
)
def test_threshold_at_just_below_and_just_above(clause: ClauseFacts, attended: int, applies: bool) -> None:
    result = workflow.compute_deduction(clause, facts(attended), TERM_FEE)
    assert result.applies is applies
    assert (result.amount_pence > 0) is applies


def test_at_the_threshold_the_working_says_no_deduction() -> None:
    result = workflow.compute_deduction(PERCENT, facts(180), TERM_FEE)
    assert result == workflow.DeductionResult(
        False, 0, ["Attendance 90.0% (180 of 200 possible sessions) is at or above the 90% threshold; no deduction"]
    )


def test_a_fraction_below_the_threshold_counts_as_below() -> None:
    # 17,999 of 20,000 is 89.995%: below 90% although it would round to 90.0%.
    result = workflow.compute_deduction(PERCENT, facts(17_999, possible=20_000), TERM_FEE)
    assert result.applies
    assert result.working[0].startswith("Attendance 89.99% ")


def test_per_session_rule_charges_each_unauthorised_session() -> None:
    result = workflow.compute_deduction(PER_SESSION, facts(170, authorised=10, unauthorised=20), TERM_FEE)
    # 180 of 200 with the grace rule: 90% -> at the threshold, no deduction.
    assert not result.applies
    result = workflow.compute_deduction(PER_SESSION, facts(160, authorised=10, unauthorised=30), TERM_FEE)
    assert result.applies
    assert result.amount_pence == 30 * 8_500
    assert result.working[1] == "30 unauthorised sessions missed × £85.00 = £2,550.00"


def test_per_session_deduction_is_capped_at_the_period_fee() -> None:
    result = workflow.compute_deduction(PER_SESSION, facts(0, unauthorised=200), 100_000)
    assert result.amount_pence == 100_000
    assert result.working[-1] == "Capped at the term's fee of £1,000.00"


def test_grace_rule_off_counts_authorised_absence_against_attendance() -> None:
    strict = ClauseFacts(
        threshold_percent=Decimal("90"),
        rule=PenaltyRule.PERCENT_OF_PERIOD_FEE,
        deduction_percent=Decimal("10"),
        authorised_counts_as_attended=False,
    )
    on = workflow.compute_deduction(PERCENT, facts(170, authorised=10), TERM_FEE)
    off = workflow.compute_deduction(strict, facts(170, authorised=10), TERM_FEE)
    assert not on.applies  # 180 of 200 = 90%
    assert off.applies  # 170 of 200 = 85%
    assert off.working[0] == (
        "Attendance 85.0% (170 of 200 possible sessions; 10 authorised absences not counted as attended) "
        "is below the 90% threshold"
    )


def test_month_fee_wording_and_fractional_threshold() -> None:
    clause = ClauseFacts(
        threshold_percent=Decimal("92.50"), rule=PenaltyRule.PERCENT_OF_PERIOD_FEE, deduction_percent=Decimal("12.5")
    )
    monthly = ReturnFacts(PeriodKind.MONTH, 40, 36, 0, 4)
    result = workflow.compute_deduction(clause, monthly, 416_667)
    assert result.working == [
        "Attendance 90.0% (36 of 40 possible sessions) is below the 92.5% threshold",
        "12.5% of the month's fee of £4,166.67 = £520.83",  # 52,083.375 -> 52,083
    ]


def test_no_possible_sessions_means_no_deduction() -> None:
    result = workflow.compute_deduction(PERCENT, facts(0, possible=0, unauthorised=0), TERM_FEE)
    assert not result.applies
    assert result.amount_pence == 0


def test_return_problems() -> None:
    assert workflow.return_problems(facts(180)) == []
    assert workflow.return_problems(ReturnFacts("term", 10, 8, 2, 1)) == [
        (
            "sessions_possible",
            "The sessions do not add up: 10 possible ≠ 8 attended + 2 authorised + 1 unauthorised = 11",
        )
    ]
    assert workflow.return_problems(ReturnFacts("term", 10, -1, 0, 0)) == [
        ("sessions_attended", "The number of sessions cannot be negative")
    ]


# --- Transitions -------------------------------------------------------------------------------

ALLOWED = {
    (ContractStatus.DRAFT, Action.START_NEGOTIATION): ContractStatus.NEGOTIATING,
    (ContractStatus.NEGOTIATING, Action.AGREE): ContractStatus.ACTIVE,
    (ContractStatus.ACTIVE, Action.END): ContractStatus.ENDED,
    **{
        (s, Action.CHANGE_COST_LINES): s
        for s in (ContractStatus.DRAFT, ContractStatus.NEGOTIATING, ContractStatus.ACTIVE)
    },
    (ContractStatus.NEGOTIATING, Action.RECORD_ROUND): ContractStatus.NEGOTIATING,
    **{
        (s, Action.SET_PENALTY_CLAUSE): s
        for s in (ContractStatus.DRAFT, ContractStatus.NEGOTIATING, ContractStatus.ACTIVE)
    },
    **{(s, Action.SUBMIT_RETURN): s for s in (ContractStatus.ACTIVE, ContractStatus.ENDED)},
    **{(s, Action.DECIDE_DEDUCTION): s for s in (ContractStatus.ACTIVE, ContractStatus.ENDED)},
}


@pytest.mark.parametrize(("status", "action"), list(ALLOWED), ids=lambda v: str(v))
def test_allowed_transitions(status: ContractStatus, action: Action) -> None:
    assert workflow.next_status(status, action) is ALLOWED[(status, action)]


DISALLOWED = [(s, a) for s in ContractStatus for a in Action if (s, a) not in ALLOWED]


@pytest.mark.parametrize(("status", "action"), DISALLOWED, ids=lambda v: str(v))
def test_every_disallowed_transition_is_refused(status: ContractStatus, action: Action) -> None:
    with pytest.raises(TransitionError) as raised:
        workflow.check_transition(status, action)
    assert raised.value.message.startswith(f"A contract that is {status.label.lower()} cannot ")


def test_the_table_matches_the_expected_allowed_set() -> None:
    assert set(workflow.TRANSITIONS) == set(ALLOWED)
    assert workflow.allowed_actions(ContractStatus.ENDED) == [Action.SUBMIT_RETURN, Action.DECIDE_DEDUCTION]


def test_ended_is_final() -> None:
    with pytest.raises(TransitionError, match="A contract that is ended cannot be agreed."):
        workflow.check_transition(ContractStatus.ENDED, Action.AGREE)


# --- Issue 12: returns that add up, periods that do not clash, savings only when agreed, rounds ----

TODAY = date(2026, 3, 1)
PLACED = date(2025, 9, 1)


def _period(start: date, end: date, **overrides: Any) -> list[tuple[str, str]]:
    arguments: dict[str, Any] = {"today": TODAY, "placement_start": PLACED, "placement_finish": None, "others": []}
    return workflow.return_period_problems(start, end, **{**arguments, **overrides})


def test_possible_sessions_must_equal_attended_plus_absences_with_the_arithmetic_shown() -> None:
    assert workflow.return_problems(ReturnFacts("term", 8, 2, 0, 0)) == [
        ("sessions_possible", "The sessions do not add up: 8 possible ≠ 2 attended + 0 authorised + 0 unauthorised = 2")
    ]
    assert workflow.return_problems(ReturnFacts("term", 8, 2, 3, 3)) == []
    assert workflow.return_problems(ReturnFacts("month", 0, 0, 0, 0)) == []


def test_a_return_period_inside_the_placement_and_in_the_past_is_allowed() -> None:
    assert _period(date(2025, 9, 1), date(2025, 12, 19)) == []
    assert _period(date(2026, 1, 6), TODAY, placement_finish=TODAY) == []


@pytest.mark.parametrize(
    ("start", "end", "overrides", "field", "message"),
    [
        (date(2026, 2, 1), date(2026, 3, 2), {}, "period_end", "The period ends on 2 March 2026, after today"),
        (date(2026, 4, 1), date(2026, 4, 30), {}, "period_end", "after today"),
        (date(2025, 8, 25), date(2025, 9, 30), {}, "period_start", "before the placement started on 1 September 2025"),
        (
            date(2025, 11, 1),
            date(2025, 11, 30),
            {"placement_finish": date(2025, 11, 14)},
            "period_end",
            "after the placement ended on 14 November 2025",
        ),
        (
            date(2025, 12, 1),
            date(2025, 12, 31),
            {"others": [(date(2025, 9, 1), date(2025, 12, 19))]},
            "period_start",
            "overlaps the return already entered for 1 September 2025 to 19 December 2025",
        ),
        (
            date(2025, 12, 19),
            date(2025, 12, 19),
            {"others": [(date(2025, 9, 1), date(2025, 12, 19))]},
            "period_start",
            "overlaps",
        ),
    ],
)
def test_return_periods_in_the_future_outside_the_placement_or_overlapping_are_refused(
    start: date, end: date, overrides: dict[str, Any], field: str, message: str
) -> None:
    problems = _period(start, end, **overrides)
    assert [name for name, _ in problems] == [field]
    assert message in problems[0][1]


def test_adjacent_return_periods_do_not_clash() -> None:
    assert _period(date(2025, 12, 20), date(2025, 12, 31), others=[(date(2025, 9, 1), date(2025, 12, 19))]) == []


@pytest.mark.parametrize("status", ["draft", "negotiating"])
def test_no_saving_before_the_fees_are_agreed(status: str) -> None:
    assert workflow.saving(status, 7_408_282, 0) is None


@pytest.mark.parametrize("status", ["active", "ended"])
def test_a_saving_once_the_fees_are_agreed(status: str) -> None:
    assert workflow.saving(status, 6_000_000, 5_600_000) == 400_000


def test_a_negotiating_position_is_the_quote_and_the_latest_round_by_date() -> None:
    assert workflow.position([], 7_408_282) == "Quoted £74,082.82 a year; no negotiation rounds recorded yet"
    rounds = [(date(2026, 2, 10), 7_000_000, 6_500_000), (date(2026, 1, 5), 7_200_000, None)]
    assert workflow.position(rounds, 7_408_282) == (
        "Quoted £74,082.82 a year; latest offer from the provider £70,000.00 (10 February 2026), "
        "council's counter-offer £65,000.00"
    )
    same_day = [(date(2026, 2, 10), 7_200_000, 6_500_000), (date(2026, 2, 10), 7_000_000, None)]
    assert workflow.position(same_day, 7_408_282).endswith("£70,000.00 (10 February 2026)")


ROUND = {
    "on": date(2026, 2, 1),
    "today": TODAY,
    "decided_on": date(2026, 1, 13),
    "provider_offer_pence": 5_800_000,
    "council_counter_offer_pence": 5_400_000,
    "quoted_annual_pence": 6_000_000,
    "ceiling_pence": 5_500_000,
}


def test_a_sensible_round_is_allowed() -> None:
    assert workflow.round_problems(**ROUND) == []
    assert workflow.round_problems(**{**ROUND, "council_counter_offer_pence": None, "quoted_annual_pence": 0}) == []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"on": date(2026, 1, 12)}, "on", "cannot be before the panel approved the placement on 13 January 2026"),
        ({"on": date(2026, 3, 2)}, "on", "today or in the past"),
        ({"provider_offer_pence": 0}, "provider_offer_pence", "must be more than £0.00"),
        ({"provider_offer_pence": 6_000_001}, "provider_offer_pence", "more than the quoted annual cost of £60,000.00"),
        ({"council_counter_offer_pence": 0}, "council_counter_offer_pence", "more than £0.00"),
        ({"council_counter_offer_pence": 5_800_001}, "council_counter_offer_pence", "more than the provider's offer"),
        ({"council_counter_offer_pence": 5_500_001}, "council_counter_offer_pence", "above the panel's ceiling"),
    ],
)
def test_rounds_that_make_no_sense_are_refused(change: dict[str, Any], field: str, message: str) -> None:
    problems = workflow.round_problems(**{**ROUND, **change})
    assert [name for name, _ in problems] == [field]
    assert message in problems[0][1]
