"""Statutory clocks for EHC needs assessment requests (SEND Regulations 2014).

Pure date arithmetic with no Django import, so the rules can be tested without a database and
reused by services, querysets, reports and the SEN2 export alike (docs/style.md items 1 and 6).

Every period is a calendar period counted from the start event (docs/domain.md §1.9): the due
date is ``start + period`` and work is "within" the limit when done on or before the due date.
Only ``datetime.date`` is used, so British Summer Time changes cannot shift a deadline.

Exceptions (regs 5(4), 8(2), 10(4), 13(3)) do not stop the statutory clock: they make the time
limit not apply while the council must still act as soon as practicable. We therefore keep the
statutory due date untouched and show, next to it, an adjusted *target* pushed out by the
number of days covered by recorded exception periods.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

__all__ = [
    "ADVICE_EXCEPTION_TYPES",
    "ADVICE_PERIOD",
    "DECISION_PERIOD",
    "DUE_SOON_DAYS",
    "FINAL_PLAN_PERIOD",
    "MIN_CONTINUOUS_ABSENCE_DAYS",
    "NOT_ISSUE_PERIOD",
    "REPRESENTATION_PERIOD",
    "REQUEST_EXCEPTION_TYPES",
    "AdviceClocks",
    "ClockKind",
    "ExceptionPeriod",
    "ExceptionType",
    "RequestClocks",
    "Urgency",
    "adjusted_due",
    "advice_clocks",
    "age_on",
    "days_left",
    "earliest_final_plan_on",
    "exception_days",
    "exception_days_added",
    "exception_outside_window",
    "is_overdue",
    "request_clocks",
    "urgency",
    "validate_exception",
    "within",
]

# --- Statutory periods -------------------------------------------------------------------------

# reg 5(1): decision whether to assess within 6 weeks of the request (or of the LA becoming
# responsible under s.24).
DECISION_PERIOD = timedelta(weeks=6)
# reg 8(1): each body asked for advice must provide it within 6 weeks of receiving the request.
ADVICE_PERIOD = timedelta(weeks=6)
# reg 10(1): notice of a decision not to issue a plan within 16 weeks of the request.
NOT_ISSUE_PERIOD = timedelta(weeks=16)
# reg 13(2): final plan within 20 weeks of the request.
FINAL_PLAN_PERIOD = timedelta(weeks=20)
# reg 13(1): the family gets at least 15 days, starting on the day the draft is served, to make
# representations and request a school.
REPRESENTATION_PERIOD = timedelta(days=15)
# Product choice, not law: a deadline this many days away (or fewer) is shown as "due soon".
DUE_SOON_DAYS = 7
# regs 5(4)(a)/(b), 10(4), 13(3) and 8(2)(b): a school/setting closure, or an absence from the
# LA's area, counts only if it lasts at least 4 continuous weeks (28 days, counted inclusively).
MIN_CONTINUOUS_ABSENCE_DAYS = 28

ClockKind = Literal["request", "advice"]
Urgency = Literal["overdue", "due_soon", "ok", "none"]


# --- Exceptions --------------------------------------------------------------------------------


class ExceptionType(enum.StrEnum):
    """Why a time limit did not apply for a period (regs 5(4), 8(2), 10(4), 13(3))."""

    # regs 5(4)(a)/(b), 10(4), 13(3): the school, post-16 institution or early-years setting
    # was closed for at least 4 continuous weeks (in practice, the summer holiday).
    SCHOOL_CLOSURE = "school_closure"
    # regs 5(4)(c), 8(2)(a), 10(4), 13(3): exceptional personal circumstances affecting the
    # child, the parent or the young person.
    PERSONAL_CIRCUMSTANCES = "personal_circumstances"
    # regs 5(4)(d), 8(2)(b), 10(4), 13(3): the child, parent or young person was absent from
    # the LA's area for at least 4 continuous weeks.
    ABSENCE_FROM_AREA = "absence_from_area"
    # reg 8(2)(c) only: a missed appointment for an examination or test. It extends an advice
    # deadline but never the 6-, 16- or 20-week request limits.
    MISSED_APPOINTMENT = "missed_appointment"


# Exceptions that relax the decision (reg 5(4)), not-issue (reg 10(4)) and final-plan (reg 13(3))
# limits.
REQUEST_EXCEPTION_TYPES: frozenset[ExceptionType] = frozenset(
    {
        ExceptionType.SCHOOL_CLOSURE,
        ExceptionType.PERSONAL_CIRCUMSTANCES,
        ExceptionType.ABSENCE_FROM_AREA,
    }
)
# reg 8(2): the advice duty has its own list. School holidays are NOT an exception for reg 8,
# and a missed appointment is an exception only here.
ADVICE_EXCEPTION_TYPES: frozenset[ExceptionType] = frozenset(
    {
        ExceptionType.PERSONAL_CIRCUMSTANCES,
        ExceptionType.ABSENCE_FROM_AREA,
        ExceptionType.MISSED_APPOINTMENT,
    }
)

# Exceptions that only count when they last at least 4 continuous weeks.
_MIN_LENGTH_RULES: dict[ExceptionType, str] = {
    ExceptionType.SCHOOL_CLOSURE: (
        "A school or setting closure is an exception only if it lasts at least 4 continuous "
        "weeks (regs 5(4), 10(4) and 13(3))"
    ),
    ExceptionType.ABSENCE_FROM_AREA: (
        "An absence from the area is an exception only if it lasts at least 4 continuous "
        "weeks (regs 5(4), 8(2), 10(4) and 13(3))"
    ),
}

_NOT_ALLOWED_MESSAGES: dict[tuple[ExceptionType, ClockKind], str] = {
    (ExceptionType.MISSED_APPOINTMENT, "request"): ("A missed appointment is an exception only for advice (reg 8(2))"),
    (ExceptionType.SCHOOL_CLOSURE, "advice"): (
        "A school closure is not an exception for advice: school holidays do not extend the "
        "6-week advice deadline (reg 8(2))"
    ),
}


@dataclass(frozen=True)
class ExceptionPeriod:
    """A recorded exception running from ``start`` to ``end``, both dates inclusive."""

    kind: ExceptionType
    start: date
    end: date


def _allowed_types(clock: ClockKind) -> frozenset[ExceptionType]:
    return REQUEST_EXCEPTION_TYPES if clock == "request" else ADVICE_EXCEPTION_TYPES


def validate_exception(kind: ExceptionType | str, start: date, end: date, *, clock: ClockKind) -> list[tuple[str, str]]:
    """Return ``(field, message)`` errors for a proposed exception; an empty list means valid."""
    errors: list[tuple[str, str]] = []
    try:
        exception_type = ExceptionType(kind)
    except ValueError:
        exception_type = None
        errors.append(("kind", "Select the type of exception"))

    if end < start:
        errors.append(("end", "The end date must be the same as or after the start date"))

    if exception_type is None:
        return errors

    if exception_type not in _allowed_types(clock):
        errors.append(
            (
                "kind",
                _NOT_ALLOWED_MESSAGES.get(
                    (exception_type, clock),
                    f"This type of exception does not apply to the {clock} deadline",
                ),
            )
        )
        # The length rules below only matter for an exception that can apply at all.
        return errors

    rule = _MIN_LENGTH_RULES.get(exception_type)
    # An inverted range has already been reported; its length means nothing.
    too_short = end >= start and _inclusive_days(start, end) < MIN_CONTINUOUS_ABSENCE_DAYS
    if rule is not None and too_short:
        errors.append(("end", rule))
    return errors


def _inclusive_days(start: date, end: date) -> int:
    return (end - start).days + 1


def _covered_days(periods: list[tuple[date, date]], window_start: date, window_end: date) -> int:
    """Count distinct days of the union of ``periods`` that lie within the window (inclusive)."""
    clipped = sorted(
        (max(start, window_start), min(end, window_end))
        for start, end in periods
        if start <= window_end and end >= window_start and start <= end
    )
    total = 0
    run_start: date | None = None
    run_end: date | None = None
    for start, end in clipped:
        if run_start is None or run_end is None or start > run_end + timedelta(days=1):
            # A gap: close the previous run (if any) and start a new one.
            if run_start is not None and run_end is not None:
                total += _inclusive_days(run_start, run_end)
            run_start, run_end = start, end
        else:
            # Overlapping or touching: merge, so no day is counted twice.
            run_end = max(run_end, end)
    if run_start is not None and run_end is not None:
        total += _inclusive_days(run_start, run_end)
    return total


def exception_days(exceptions: Iterable[ExceptionPeriod], *, start: date, due: date) -> int:
    """Distinct calendar days of exception falling within ``[start, adjusted due]``.

    The window's end is itself pushed out by the exception days, so this is computed to a fixed
    point: an exception that runs past the statutory due date keeps extending the target for as
    long as it overlaps the extended window. Periods before day 1 (``start``) or wholly after
    the final target do not count, and overlapping periods are counted once.
    """
    periods = [(exception.start, exception.end) for exception in exceptions]
    days = 0
    while True:
        # Each pass widens the window, so the count never falls and is bounded by the total
        # length of the periods: the loop always ends.
        widened = _covered_days(periods, start, due + timedelta(days=days))
        if widened == days:
            return days
        days = widened


def exception_days_added(
    exception: ExceptionPeriod, others: Iterable[ExceptionPeriod], *, start: date, due: date
) -> int:
    """The days ``exception`` adds to the target on top of ``others``: what the target would lose
    if it were removed. Overlapping days are credited to whichever exception came first in
    ``others``, so the days shown for a request's exceptions never add up to more than the total."""
    rest = list(others)
    return exception_days([*rest, exception], start=start, due=due) - exception_days(rest, start=start, due=due)


def exception_outside_window(start: date, end: date, *, window_start: date, window_end: date) -> str | None:
    """An exception wholly before day 1 or wholly after the current target cannot relax the time
    limit (regs 5(4), 8(2), 10(4), 13(3) apply while the clock runs): it would add 0 days, so
    it is refused with the window it must overlap."""
    if end >= window_start and start <= window_end:
        return None
    return (
        f"The exception must overlap the time the clock runs, {_long(window_start)} to {_long(window_end)}. "
        "Dates wholly outside it add no days"
    )


def _long(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def adjusted_due(due: date, exceptions: Iterable[ExceptionPeriod], *, start: date) -> date:
    """The target date: the statutory due date pushed out by the exception days."""
    return due + timedelta(days=exception_days(exceptions, start=start, due=due))


# --- Clocks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestClocks:
    """Statutory due dates and exception-adjusted targets for one EHC needs assessment request."""

    decision_due_on: date
    not_issue_due_on: date
    final_plan_due_on: date
    decision_target_on: date
    not_issue_target_on: date
    final_plan_target_on: date
    # SEN2 item 3.7 (``week20``): true if any exception to the request limits applied.
    week20: bool


def request_clocks(received_on: date, exceptions: Iterable[ExceptionPeriod] = ()) -> RequestClocks:
    """Compute the request deadlines; only exceptions allowed by regs 5(4)/10(4)/13(3) count."""
    relevant = [e for e in exceptions if e.kind in REQUEST_EXCEPTION_TYPES]
    # Day 1 is the date the LA receives the request (or becomes responsible under s.24).
    decision_due_on = received_on + DECISION_PERIOD  # reg 5(1): 6 weeks
    not_issue_due_on = received_on + NOT_ISSUE_PERIOD  # reg 10(1): 16 weeks
    final_plan_due_on = received_on + FINAL_PLAN_PERIOD  # reg 13(2): 20 weeks
    final_plan_target_on = adjusted_due(final_plan_due_on, relevant, start=received_on)
    return RequestClocks(
        decision_due_on=decision_due_on,
        not_issue_due_on=not_issue_due_on,
        final_plan_due_on=final_plan_due_on,
        decision_target_on=adjusted_due(decision_due_on, relevant, start=received_on),
        not_issue_target_on=adjusted_due(not_issue_due_on, relevant, start=received_on),
        final_plan_target_on=final_plan_target_on,
        # An exception "applied" if it overlaps the final-plan window at all, which is exactly
        # when it adds days to the 20-week target.
        week20=final_plan_target_on > final_plan_due_on,
    )


@dataclass(frozen=True)
class AdviceClocks:
    """The reg 8 deadline for one request for advice."""

    due_on: date
    target_on: date


def advice_clocks(requested_on: date, exceptions: Iterable[ExceptionPeriod] = ()) -> AdviceClocks:
    """Compute an advice deadline; only the reg 8(2) exceptions count."""
    relevant = [e for e in exceptions if e.kind in ADVICE_EXCEPTION_TYPES]
    due_on = requested_on + ADVICE_PERIOD  # reg 8(1): 6 weeks from the body receiving it
    return AdviceClocks(due_on=due_on, target_on=adjusted_due(due_on, relevant, start=requested_on))


def earliest_final_plan_on(draft_issued_on: date, comments_received_on: date | None = None) -> date:
    """The first day the final plan may be issued after the draft.

    reg 13(1): the family has at least 15 days, starting on the day the draft is served, to
    comment and request a school. Counting the day of service as day 1, that period covers
    ``draft_issued_on`` to ``draft_issued_on + 14 days``, so the final plan can go out from
    ``draft_issued_on + 15 days``. The 15 days are a minimum the LA must allow, not a period
    the family must use: once the family has made its representations the reason to wait has
    gone, so the LA may finalise from the day the comments arrive (never before the draft).
    """
    period_ends = draft_issued_on + REPRESENTATION_PERIOD
    if comments_received_on is not None and comments_received_on < period_ends:
        return max(draft_issued_on, comments_received_on)
    return period_ends


# --- Reading a deadline ------------------------------------------------------------------------


def days_left(due: date, *, today: date) -> int:
    """Days until ``due``: 0 on the due date itself, negative once overdue."""
    return (due - today).days


def is_overdue(due: date, *, today: date) -> bool:
    """Overdue from the day after the due date: "within" means on or before it."""
    return today > due


def urgency(due: date | None, *, today: date) -> Urgency:
    """Bucket a deadline for display: overdue, due within DUE_SOON_DAYS, ok, or no deadline."""
    if due is None:
        return "none"
    remaining = days_left(due, today=today)
    if remaining < 0:
        return "overdue"
    if remaining <= DUE_SOON_DAYS:
        return "due_soon"
    return "ok"


def within(period: timedelta, start: date, done_on: date) -> bool:
    """True if done on or before ``start + period`` (e.g. decided within 6 weeks, reg 5(1))."""
    return done_on <= start + period


def age_on(date_of_birth: date, on: date) -> int:
    """Age in whole years on a date.

    Compares (month, day) pairs, so someone born on 29 February has their birthday on 1 March
    in non-leap years: on 28 February (2, 28) < (2, 29) and they are not yet a year older; on
    1 March (3, 1) > (2, 29) and they are. Statute does not settle the leap-day case; 1 March
    is the common convention in England and the one this service uses.
    """
    if on < date_of_birth:
        raise ValueError("The date is before the date of birth")
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)
