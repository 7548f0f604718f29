"""Statutory clocks (SEND Regulations 2014, regs 5, 8, 10, 13). No database, no Django."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from requests_app.clocks import (
    ADVICE_EXCEPTION_TYPES,
    ADVICE_PERIOD,
    DECISION_PERIOD,
    DUE_SOON_DAYS,
    FINAL_PLAN_PERIOD,
    NOT_ISSUE_PERIOD,
    REPRESENTATION_PERIOD,
    REQUEST_EXCEPTION_TYPES,
    AdviceClocks,
    ClockKind,
    ExceptionPeriod,
    ExceptionType,
    RequestClocks,
    adjusted_due,
    advice_clocks,
    age_on,
    days_left,
    earliest_final_plan_on,
    exception_days,
    is_overdue,
    request_clocks,
    urgency,
    validate_exception,
    within,
)

ROOT = Path(__file__).resolve().parents[2]
CLOCKS_PY = ROOT / "requests_app" / "clocks.py"

D = date.fromisoformat
SCHOOL = ExceptionType.SCHOOL_CLOSURE
PERSONAL = ExceptionType.PERSONAL_CIRCUMSTANCES
AWAY = ExceptionType.ABSENCE_FROM_AREA
MISSED = ExceptionType.MISSED_APPOINTMENT
ONE_DAY = timedelta(days=1)


def period(kind: ExceptionType, start: str, end: str) -> ExceptionPeriod:
    return ExceptionPeriod(kind=kind, start=D(start), end=D(end))


# --- Constants ---------------------------------------------------------------------------------


def test_statutory_periods_match_the_regulations() -> None:
    assert DECISION_PERIOD == timedelta(days=42)  # reg 5(1)
    assert ADVICE_PERIOD == timedelta(days=42)  # reg 8(1)
    assert NOT_ISSUE_PERIOD == timedelta(days=112)  # reg 10(1)
    assert FINAL_PLAN_PERIOD == timedelta(days=140)  # reg 13(2)
    assert REPRESENTATION_PERIOD == timedelta(days=15)  # reg 13(1)
    assert DUE_SOON_DAYS == 7


def test_exception_sets_follow_regs_5_4_and_8_2() -> None:
    assert frozenset({SCHOOL, PERSONAL, AWAY}) == REQUEST_EXCEPTION_TYPES
    # reg 8(2): no school-holiday exception for advice; missed appointments only for advice.
    assert frozenset({PERSONAL, AWAY, MISSED}) == ADVICE_EXCEPTION_TYPES
    assert ExceptionType("school_closure") is SCHOOL
    assert ExceptionType.MISSED_APPOINTMENT.value == "missed_appointment"


# --- Statutory due dates: a table per clock ----------------------------------------------------


# clock name -> (how to read its statutory due date, its statutory length)
CLOCKS: dict[str, tuple[Callable[[date], date], timedelta]] = {
    "decision": (lambda start: request_clocks(start).decision_due_on, DECISION_PERIOD),
    "advice": (lambda start: advice_clocks(start).due_on, ADVICE_PERIOD),
    "not_issue": (lambda start: request_clocks(start).not_issue_due_on, NOT_ISSUE_PERIOD),
    "final_plan": (lambda start: request_clocks(start).final_plan_due_on, FINAL_PLAN_PERIOD),
}

CLOCK_CASES = [
    # reg 5(1): decision whether to assess, 6 weeks from the request.
    pytest.param("decision", "2025-01-31", "2025-03-14", id="reg5-decision-month-end"),
    pytest.param("decision", "2024-01-31", "2024-03-13", id="reg5-decision-leap-year"),
    pytest.param("decision", "2025-03-10", "2025-04-21", id="reg5-decision-bst-starts"),
    pytest.param("decision", "2025-10-20", "2025-12-01", id="reg5-decision-bst-ends"),
    pytest.param("decision", "2024-12-20", "2025-01-31", id="reg5-decision-year-end"),
    # reg 8(1): advice, 6 weeks from the body receiving the request; summer does not matter.
    pytest.param("advice", "2023-02-28", "2023-04-11", id="reg8-advice-month-end"),
    pytest.param("advice", "2025-07-14", "2025-08-25", id="reg8-advice-summer"),
    pytest.param("advice", "2024-02-01", "2024-03-14", id="reg8-advice-leap-year"),
    pytest.param("advice", "2025-12-01", "2026-01-12", id="reg8-advice-year-end"),
    # reg 10(1): decision not to issue, 16 weeks from the request.
    pytest.param("not_issue", "2025-01-31", "2025-05-23", id="reg10-not-issue-month-end"),
    pytest.param("not_issue", "2024-01-18", "2024-05-09", id="reg10-not-issue-leap-2024"),
    pytest.param("not_issue", "2023-01-18", "2023-05-10", id="reg10-not-issue-non-leap-2023"),
    pytest.param("not_issue", "2024-11-01", "2025-02-21", id="reg10-not-issue-year-end"),
    # reg 13(2): final plan, 20 weeks from the request.
    pytest.param("final_plan", "2025-01-31", "2025-06-20", id="reg13-final-plan-month-end"),
    pytest.param("final_plan", "2024-01-18", "2024-06-06", id="reg13-final-plan-leap-2024"),
    pytest.param("final_plan", "2023-01-18", "2023-06-07", id="reg13-final-plan-non-leap-2023"),
    pytest.param("final_plan", "2024-09-02", "2025-01-20", id="reg13-final-plan-year-end"),
    pytest.param("final_plan", "2025-10-01", "2026-02-18", id="reg13-final-plan-bst-ends"),
]


@pytest.mark.parametrize(("clock", "start", "due"), CLOCK_CASES)
def test_statutory_due_date(clock: str, start: str, due: str) -> None:
    due_of, length = CLOCKS[clock]
    assert due_of(D(start)) == D(due)
    assert D(due) - D(start) == length  # calendar days, whatever the clocks on the wall do


@pytest.mark.parametrize(("clock", "start", "due"), CLOCK_CASES)
def test_done_on_the_due_date_is_within_and_the_day_after_is_late(clock: str, start: str, due: str) -> None:
    _, length = CLOCKS[clock]
    received, due_on = D(start), D(due)
    assert within(length, received, due_on - ONE_DAY)
    assert within(length, received, due_on)
    assert not within(length, received, due_on + ONE_DAY)
    assert not is_overdue(due_on, today=due_on - ONE_DAY)
    assert not is_overdue(due_on, today=due_on)
    assert is_overdue(due_on, today=due_on + ONE_DAY)


def test_leap_day_makes_a_2024_request_due_a_day_earlier_in_the_calendar_than_2023() -> None:
    # 20 weeks is always 140 days; 29 Feb 2024 inside the period shifts the calendar date.
    leap, plain = request_clocks(D("2024-01-18")), request_clocks(D("2023-01-18"))
    assert leap.final_plan_due_on - D("2024-01-18") == timedelta(days=140)
    assert plain.final_plan_due_on - D("2023-01-18") == timedelta(days=140)
    assert (leap.final_plan_due_on.month, leap.final_plan_due_on.day) == (6, 6)
    assert (plain.final_plan_due_on.month, plain.final_plan_due_on.day) == (6, 7)


def test_no_exceptions_means_targets_equal_statutory_dates() -> None:
    clocks = request_clocks(D("2025-01-06"))
    assert clocks == RequestClocks(
        decision_due_on=D("2025-02-17"),
        not_issue_due_on=D("2025-04-28"),
        final_plan_due_on=D("2025-05-26"),
        decision_target_on=D("2025-02-17"),
        not_issue_target_on=D("2025-04-28"),
        final_plan_target_on=D("2025-05-26"),
        week20=False,
    )
    assert advice_clocks(D("2025-03-03")) == AdviceClocks(due_on=D("2025-04-14"), target_on=D("2025-04-14"))


# --- Exceptions on the request clocks ----------------------------------------------------------


def test_school_closure_running_past_the_decision_due_date_extends_to_the_fixed_point() -> None:
    # reg 5(4)(a): request 2 June, decision due 14 July; the school shuts 1-31 July (31 days).
    # First pass sees 14 days, the widened window 28, then all 31: target 14 July + 31 days.
    closure = period(SCHOOL, "2025-07-01", "2025-07-31")
    clocks = request_clocks(D("2025-06-02"), [closure])
    assert clocks.decision_due_on == D("2025-07-14")
    assert clocks.decision_target_on == D("2025-08-14")
    assert exception_days([closure], start=D("2025-06-02"), due=D("2025-07-14")) == 31


def test_summer_closure_extends_the_final_plan_but_not_a_clock_already_due() -> None:
    # reg 13(3): request 1 April; summer closure 23 July - 2 September (42 days).
    closure = period(SCHOOL, "2025-07-23", "2025-09-02")
    clocks = request_clocks(D("2025-04-01"), [closure])
    assert clocks.final_plan_due_on == D("2025-08-19")
    assert clocks.final_plan_target_on == D("2025-09-30")
    # reg 5(4): the decision was due 13 May, before the closure started.
    assert clocks.decision_target_on == clocks.decision_due_on == D("2025-05-13")
    # reg 10(4): not-issue was due 22 July, the day before the closure: nothing to extend.
    assert clocks.not_issue_target_on == clocks.not_issue_due_on == D("2025-07-22")
    assert clocks.week20 is True


def test_personal_circumstances_extend_every_request_clock_by_their_days() -> None:
    # regs 5(4)(c), 10(4), 13(3): 10 days of exceptional personal circumstances early on.
    clocks = request_clocks(D("2025-01-06"), [period(PERSONAL, "2025-01-20", "2025-01-29")])
    assert clocks.decision_target_on == D("2025-02-27")
    assert clocks.not_issue_target_on == D("2025-05-08")
    assert clocks.final_plan_target_on == D("2025-06-05")
    assert clocks.week20 is True


def test_absence_from_area_extends_only_clocks_it_overlaps() -> None:
    # regs 5(4)(d), 10(4), 13(3): away for the whole of March (31 days).
    clocks = request_clocks(D("2025-01-06"), [period(AWAY, "2025-03-01", "2025-03-31")])
    assert clocks.decision_target_on == D("2025-02-17")  # decision was due before March
    assert clocks.not_issue_target_on == D("2025-05-29")
    assert clocks.final_plan_target_on == D("2025-06-26")
    assert clocks.week20 is True


def test_missed_appointment_is_ignored_by_request_clocks() -> None:
    # The 20-week limit does not stop for missed appointments: only reg 8(2) has that exception.
    missed = period(MISSED, "2025-03-20", "2025-04-02")
    assert request_clocks(D("2025-03-03"), [missed]) == request_clocks(D("2025-03-03"))
    assert request_clocks(D("2025-03-03"), [missed]).week20 is False


def test_overlapping_exceptions_are_not_double_counted() -> None:
    # 10 days + 35 days, overlapping on 25-29 January: the union is 20 Jan - 28 Feb, 40 days.
    exceptions = [
        period(PERSONAL, "2025-01-20", "2025-01-29"),
        period(AWAY, "2025-01-25", "2025-02-28"),
    ]
    clocks = request_clocks(D("2025-01-06"), exceptions)
    assert clocks.final_plan_target_on == D("2025-05-26") + timedelta(days=40)
    assert exception_days(exceptions, start=D("2025-01-06"), due=D("2025-05-26")) == 40


def test_the_same_period_recorded_twice_counts_once() -> None:
    twice = [period(AWAY, "2025-03-01", "2025-03-31")] * 2
    assert request_clocks(D("2025-01-06"), twice).final_plan_target_on == D("2025-06-26")


def test_back_to_back_periods_count_every_day_once() -> None:
    exceptions = [
        period(PERSONAL, "2025-01-20", "2025-01-24"),
        period(PERSONAL, "2025-01-25", "2025-01-29"),
    ]
    assert exception_days(exceptions, start=D("2025-01-06"), due=D("2025-05-26")) == 10


def test_exception_entirely_before_day_one_does_not_count() -> None:
    before = period(AWAY, "2024-11-01", "2024-12-31")
    assert request_clocks(D("2025-01-06"), [before]) == request_clocks(D("2025-01-06"))


def test_exception_straddling_day_one_counts_only_from_day_one() -> None:
    # 20 December - 10 January; day 1 is 6 January, so 6-10 January (5 days) count.
    straddling = period(PERSONAL, "2024-12-20", "2025-01-10")
    clocks = request_clocks(D("2025-01-06"), [straddling])
    assert clocks.final_plan_target_on == D("2025-05-26") + timedelta(days=5)


def test_exception_entirely_after_the_target_does_not_count_or_set_week20() -> None:
    after = period(PERSONAL, "2025-06-01", "2025-07-31")
    clocks = request_clocks(D("2025-01-06"), [after])
    assert clocks.final_plan_target_on == clocks.final_plan_due_on == D("2025-05-26")
    assert clocks.week20 is False


def test_chained_exceptions_reach_the_fixed_point() -> None:
    # Final plan due 26 May. 20-31 May (12 days) pushes the target to 7 June, which reaches
    # 5-10 June (6 days): the target settles on 13 June (18 days).
    chained = [
        period(PERSONAL, "2025-05-20", "2025-05-31"),
        period(PERSONAL, "2025-06-05", "2025-06-10"),
    ]
    assert request_clocks(D("2025-01-06"), chained).final_plan_target_on == D("2025-06-13")
    # A period starting the day after that target is never reached ...
    too_late = [*chained, period(PERSONAL, "2025-06-14", "2025-06-20")]
    assert request_clocks(D("2025-01-06"), too_late).final_plan_target_on == D("2025-06-13")
    # ... but one starting on the target day is, and then runs on to its end.
    on_target = [*chained, period(PERSONAL, "2025-06-13", "2025-06-20")]
    assert request_clocks(D("2025-01-06"), on_target).final_plan_target_on == D("2025-06-21")


@pytest.mark.parametrize(
    ("exceptions", "week20"),
    [
        pytest.param([], False, id="sen2-week20-no-exceptions"),
        pytest.param([period(SCHOOL, "2025-04-01", "2025-04-30")], True, id="sen2-week20-closure"),
        pytest.param([period(PERSONAL, "2025-05-26", "2025-05-26")], True, id="sen2-week20-on-due"),
        pytest.param([period(AWAY, "2025-02-01", "2025-02-28")], True, id="sen2-week20-absence"),
        pytest.param([period(MISSED, "2025-02-01", "2025-02-28")], False, id="sen2-week20-missed"),
        pytest.param([period(AWAY, "2024-12-01", "2025-01-05")], False, id="sen2-week20-before"),
        pytest.param([period(AWAY, "2025-05-27", "2025-06-30")], False, id="sen2-week20-after"),
    ],
)
def test_sen2_week20_flag(exceptions: list[ExceptionPeriod], week20: bool) -> None:
    # SEN2 item 3.7: 1 if any request-level exception applied to the 20-week period.
    assert request_clocks(D("2025-01-06"), exceptions).week20 is week20


# --- Exceptions on the advice clock (reg 8(2)) -------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "start", "end", "target"),
    [
        pytest.param(MISSED, "2025-03-20", "2025-04-02", "2025-04-28", id="reg8-2-missed"),
        pytest.param(PERSONAL, "2025-03-20", "2025-04-02", "2025-04-28", id="reg8-2-personal"),
        pytest.param(AWAY, "2025-03-10", "2025-04-06", "2025-05-12", id="reg8-2-absence"),
        pytest.param(SCHOOL, "2025-03-10", "2025-04-06", "2025-04-14", id="reg8-2-no-holidays"),
        pytest.param(MISSED, "2025-04-15", "2025-04-20", "2025-04-14", id="reg8-2-after-due"),
    ],
)
def test_advice_exceptions(kind: ExceptionType, start: str, end: str, target: str) -> None:
    # Advice requested 3 March 2025, due 14 April (reg 8(1)).
    clocks = advice_clocks(D("2025-03-03"), [period(kind, start, end)])
    assert clocks.due_on == D("2025-04-14")
    assert clocks.target_on == D(target)


def test_absence_running_past_the_advice_due_date_extends_to_its_end() -> None:
    # reg 8(2)(b): advice requested 24 February, due 7 April; family away all of March and
    # the target moves on by all 31 days.
    clocks = advice_clocks(D("2025-02-24"), [period(AWAY, "2025-03-01", "2025-03-31")])
    assert clocks == AdviceClocks(due_on=D("2025-04-07"), target_on=D("2025-05-08"))


def test_adjusted_due_matches_exception_days() -> None:
    exceptions = [period(AWAY, "2025-03-01", "2025-03-31")]
    start, due = D("2025-01-06"), D("2025-05-26")
    assert adjusted_due(due, exceptions, start=start) == D("2025-06-26")
    assert exception_days(exceptions, start=start, due=due) == 31
    assert exception_days([], start=start, due=due) == 0


# --- Validating a recorded exception -----------------------------------------------------------

VALIDATION_CASES = [
    pytest.param(PERSONAL, "2025-03-10", "2025-03-09", "request",
                 [("end", "The end date must be the same as or after the start date")],
                 id="end-before-start"),
    pytest.param(MISSED, "2025-03-10", "2025-03-10", "request",
                 [("kind", "A missed appointment is an exception only for advice (reg 8(2))")],
                 id="reg8-2-missed-appointment-not-on-request"),
    pytest.param(SCHOOL, "2025-07-23", "2025-09-02", "advice",
                 [("kind", ("A school closure is not an exception for advice: school holidays do "
                           "not extend the 6-week advice deadline (reg 8(2))"))],
                 id="reg8-2-school-closure-not-on-advice"),
    pytest.param(SCHOOL, "2025-07-23", "2025-08-18", "request",
                 [("end", ("A school or setting closure is an exception only if it lasts at "
                          "least 4 continuous weeks (regs 5(4), 10(4) and 13(3))"))],
                 id="reg5-4-closure-27-days-too-short"),
    pytest.param(AWAY, "2025-03-01", "2025-03-27", "request",
                 [("end", ("An absence from the area is an exception only if it lasts at least "
                          "4 continuous weeks (regs 5(4), 8(2), 10(4) and 13(3))"))],
                 id="reg5-4-absence-27-days-too-short"),
    pytest.param(AWAY, "2025-03-01", "2025-03-27", "advice",
                 [("end", ("An absence from the area is an exception only if it lasts at least "
                          "4 continuous weeks (regs 5(4), 8(2), 10(4) and 13(3))"))],
                 id="reg8-2-absence-27-days-too-short"),
    pytest.param(SCHOOL, "2025-07-23", "2025-08-19", "request", [], id="reg5-4-closure-28-days"),
    pytest.param(AWAY, "2025-02-01", "2025-02-28", "request", [], id="reg5-4-absence-28-days"),
    pytest.param(AWAY, "2025-02-01", "2025-02-28", "advice", [], id="reg8-2-absence-28-days"),
    pytest.param(PERSONAL, "2025-03-10", "2025-03-10", "request", [], id="reg5-4-personal-1-day"),
    pytest.param(PERSONAL, "2025-03-10", "2025-03-10", "advice", [], id="reg8-2-personal-1-day"),
    pytest.param(MISSED, "2025-03-10", "2025-03-10", "advice", [], id="reg8-2-missed-1-day"),
    pytest.param("school_closure", "2025-07-23", "2025-09-02", "request", [],
                 id="kind-as-stored-string"),
    pytest.param("holiday", "2025-07-23", "2025-09-02", "request",
                 [("kind", "Select the type of exception")], id="unknown-kind"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "start", "end", "clock", "errors"), VALIDATION_CASES)
def test_validate_exception(
    kind: ExceptionType | str,
    start: str,
    end: str,
    clock: ClockKind,
    errors: list[tuple[str, str]],
) -> None:
    assert validate_exception(kind, D(start), D(end), clock=clock) == errors


def test_short_closure_ending_before_it_starts_reports_only_the_date_order() -> None:
    errors = validate_exception(SCHOOL, D("2025-08-01"), D("2025-07-01"), clock="request")
    assert [field for field, _ in errors] == ["end"]
    assert "same as or after the start date" in errors[0][1]


# --- reg 13(1): the family's representations on the draft --------------------------------------


@pytest.mark.parametrize(
    ("draft", "comments", "earliest"),
    [
        pytest.param("2025-05-01", None, "2025-05-16", id="reg13-1-full-15-days"),
        pytest.param("2025-02-20", None, "2025-03-07", id="reg13-1-month-end"),
        pytest.param("2025-05-01", "2025-05-08", "2025-05-08", id="reg13-1-early-comments"),
        pytest.param("2025-05-01", "2025-05-01", "2025-05-01", id="reg13-1-same-day-comments"),
        pytest.param("2025-05-01", "2025-05-15", "2025-05-15", id="reg13-1-comments-last-day"),
        pytest.param("2025-05-01", "2025-05-16", "2025-05-16", id="reg13-1-comments-as-it-ends"),
        pytest.param("2025-05-01", "2025-05-20", "2025-05-16", id="reg13-1-late-comments"),
        pytest.param("2025-05-01", "2025-04-28", "2025-05-01", id="reg13-1-never-before-draft"),
    ],
)
def test_earliest_final_plan_on(draft: str, comments: str | None, earliest: str) -> None:
    received = D(comments) if comments is not None else None
    assert earliest_final_plan_on(D(draft), received) == D(earliest)


# --- Reading a deadline ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "left", "bucket"),
    [
        pytest.param("2025-05-01", 40, "ok", id="weeks-away"),
        pytest.param("2025-06-02", 8, "ok", id="eight-days-left"),
        pytest.param("2025-06-03", 7, "due_soon", id="seven-days-left"),
        pytest.param("2025-06-10", 0, "due_soon", id="due-today"),
        pytest.param("2025-06-11", -1, "overdue", id="one-day-late"),
        pytest.param("2025-07-10", -30, "overdue", id="a-month-late"),
    ],
)
def test_days_left_and_urgency(today: str, left: int, bucket: str) -> None:
    due = D("2025-06-10")
    assert days_left(due, today=D(today)) == left
    assert urgency(due, today=D(today)) == bucket
    assert is_overdue(due, today=D(today)) is (left < 0)


def test_no_deadline_has_no_urgency() -> None:
    assert urgency(None, today=D("2025-06-10")) == "none"


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        pytest.param("2010-09-01", "2025-08-31", 14, id="day-before-birthday"),
        pytest.param("2010-09-01", "2025-09-01", 15, id="on-birthday"),
        pytest.param("2010-09-01", "2010-09-01", 0, id="day-of-birth"),
        pytest.param("2008-02-29", "2025-02-28", 16, id="leapling-28-feb-non-leap-year"),
        pytest.param("2008-02-29", "2025-03-01", 17, id="leapling-1-mar-non-leap-year"),
        pytest.param("2008-02-29", "2024-02-28", 15, id="leapling-28-feb-leap-year"),
        pytest.param("2008-02-29", "2024-02-29", 16, id="leapling-29-feb-leap-year"),
        pytest.param("2000-03-01", "2025-02-28", 24, id="turns-25-next-day"),
    ],
)
def test_age_on(born: str, on: str, age: int) -> None:
    assert age_on(D(born), D(on)) == age


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError):
        age_on(D("2020-01-01"), D("2019-12-31"))


# --- Properties --------------------------------------------------------------------------------

DAY_ONE = date(2020, 1, 1)
received_dates = st.dates(min_value=DAY_ONE, max_value=date(2030, 12, 31))


@st.composite
def exception_periods(draw: st.DrawFn, kinds: list[ExceptionType] | None = None) -> ExceptionPeriod:
    kind = draw(st.sampled_from(kinds or list(ExceptionType)))
    start = draw(st.dates(min_value=date(2019, 10, 1), max_value=date(2031, 12, 31)))
    length = draw(st.integers(min_value=0, max_value=90))
    return ExceptionPeriod(kind=kind, start=start, end=start + timedelta(days=length))


@st.composite
def near_periods(draw: st.DrawFn, received: date) -> ExceptionPeriod:
    """Periods around the clock window, so most of them actually interact with it."""
    kind = draw(st.sampled_from(list(ExceptionType)))
    start = received + timedelta(days=draw(st.integers(min_value=-60, max_value=200)))
    length = draw(st.integers(min_value=0, max_value=90))
    return ExceptionPeriod(kind=kind, start=start, end=start + timedelta(days=length))


@st.composite
def clock_cases(draw: st.DrawFn) -> tuple[date, list[ExceptionPeriod]]:
    received = draw(received_dates)
    exceptions = draw(st.lists(st.one_of(near_periods(received), exception_periods()), max_size=6))
    return received, exceptions


def _targets(received: date, exceptions: list[ExceptionPeriod]) -> list[date]:
    clocks = request_clocks(received, exceptions)
    return [
        clocks.decision_target_on,
        clocks.not_issue_target_on,
        clocks.final_plan_target_on,
        advice_clocks(received, exceptions).target_on,
    ]


def _dues(received: date) -> list[date]:
    clocks = request_clocks(received)
    return [
        clocks.decision_due_on,
        clocks.not_issue_due_on,
        clocks.final_plan_due_on,
        advice_clocks(received).due_on,
    ]


@given(clock_cases())
def test_exceptions_never_make_a_target_earlier_than_the_statutory_date(
    case: tuple[date, list[ExceptionPeriod]],
) -> None:
    received, exceptions = case
    for target, due in zip(_targets(received, exceptions), _dues(received), strict=True):
        assert target >= due


@given(clock_cases(), st.data())
def test_adding_an_exception_never_brings_a_target_forward(
    case: tuple[date, list[ExceptionPeriod]], data: st.DataObject
) -> None:
    received, exceptions = case
    extra = data.draw(near_periods(received))
    before = _targets(received, exceptions)
    after = _targets(received, [*exceptions, extra])
    for earlier, later in zip(before, after, strict=True):
        assert later >= earlier


@given(clock_cases())
def test_removing_every_exception_restores_the_statutory_dates(
    case: tuple[date, list[ExceptionPeriod]],
) -> None:
    received, _ = case
    clocks = request_clocks(received, [])
    assert clocks.decision_target_on == clocks.decision_due_on == received + DECISION_PERIOD
    assert clocks.not_issue_target_on == clocks.not_issue_due_on == received + NOT_ISSUE_PERIOD
    assert clocks.final_plan_target_on == clocks.final_plan_due_on == received + FINAL_PLAN_PERIOD
    assert clocks.week20 is False
    advice = advice_clocks(received, [])
    assert advice.target_on == advice.due_on == received + ADVICE_PERIOD


@given(clock_cases(), st.sampled_from([DECISION_PERIOD, NOT_ISSUE_PERIOD, FINAL_PLAN_PERIOD]))
def test_exception_days_is_the_fixed_point_of_the_covered_window(
    case: tuple[date, list[ExceptionPeriod]], length: timedelta
) -> None:
    received, exceptions = case
    due = received + length
    days = exception_days(exceptions, start=received, due=due)
    target = adjusted_due(due, exceptions, start=received)
    # The target is the due date pushed out by exactly the exception days ...
    assert target - due == timedelta(days=days)
    # ... no more than the periods' total length (overlaps count once) ...
    total = sum((e.end - e.start).days + 1 for e in exceptions)
    assert 0 <= days <= total
    # ... and it equals a day-by-day count of the union within [day 1, target].
    covered = {
        e.start + timedelta(days=i)
        for e in exceptions
        for i in range((e.end - e.start).days + 1)
        if received <= e.start + timedelta(days=i) <= target
    }
    assert len(covered) == days
    # The order periods were recorded in does not matter.
    assert exception_days(list(reversed(exceptions)), start=received, due=due) == days


@given(clock_cases())
def test_week20_is_set_exactly_when_a_request_exception_overlaps_the_20_week_window(
    case: tuple[date, list[ExceptionPeriod]],
) -> None:
    received, exceptions = case
    clocks = request_clocks(received, exceptions)
    overlaps = any(
        e.kind in REQUEST_EXCEPTION_TYPES and e.start <= clocks.final_plan_target_on and e.end >= received
        for e in exceptions
    )
    assert clocks.week20 is overlaps
    assert clocks.week20 is (clocks.final_plan_target_on > clocks.final_plan_due_on)


@settings(max_examples=50)
@given(received_dates, st.lists(exception_periods(kinds=[MISSED]), max_size=4))
def test_missed_appointments_never_move_request_clocks(received: date, exceptions: list[ExceptionPeriod]) -> None:
    assert request_clocks(received, exceptions) == request_clocks(received)


@settings(max_examples=50)
@given(received_dates, st.lists(exception_periods(kinds=[SCHOOL]), max_size=4))
def test_school_closures_never_move_advice_clocks(received: date, exceptions: list[ExceptionPeriod]) -> None:
    assert advice_clocks(received, exceptions) == advice_clocks(received)


# --- Purity ------------------------------------------------------------------------------------


def test_clocks_source_has_no_django_import() -> None:
    tree = ast.parse(CLOCKS_PY.read_text(encoding="utf-8"))
    imported: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            imported.append(node.module)
    assert imported, "expected to find the stdlib imports"
    assert not [name for name in imported if name.split(".")[0] == "django"]


def test_importing_clocks_does_not_load_django() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import requests_app.clocks; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), "
        "sorted(m for m in sys.modules if m.startswith('django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
