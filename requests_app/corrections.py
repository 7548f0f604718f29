"""Corrections to a child's details and a request's dates: which facts may be corrected, the
order a request's dates must keep, and which dates a correction touches.

Pure Python (no Django import). The services (``requests_app.services.corrections``) apply a
correction in one transaction: they lock the rows, check :func:`date_errors`, write the new
value, recompute the stored clocks through ``requests_app.stored`` and write one "corrected"
event with the value before and after and the officer's reason (UK GDPR art. 16: the old value
stays in the history, with who, when and why). Every month of :func:`days_touched` is marked
stale so the stored monthly figures are recomputed (docs/architecture.md §5).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

__all__ = [
    "CHILD_FACTS",
    "FACT_LABELS",
    "FIGURE_FACTS",
    "REASON_MAX",
    "REQUEST_FACTS",
    "Fact",
    "RequestDates",
    "apply",
    "correctable_request_facts",
    "date_errors",
    "days_touched",
    "parse_value",
    "reason_errors",
]

REASON_MAX = 1000


class Fact(enum.StrEnum):
    # The child's details (on the child: every request of theirs shows the correction).
    NAME = "name"
    DATE_OF_BIRTH = "date_of_birth"
    UPN = "upn"
    SCHOOL = "school"
    PRIMARY_NEED = "primary_need"
    SECONDARY_NEED = "secondary_need"
    POSTCODE = "postcode"
    DISTRICT = "district"
    # A request's dated facts.
    RECEIVED_ON = "received_on"
    ASSESS_DECISION_ON = "assess_decision_on"
    ISSUE_DECISION_ON = "issue_decision_on"
    DRAFT_ISSUED_ON = "draft_issued_on"
    FINAL_PLAN_ISSUED_ON = "final_plan_issued_on"


FACT_LABELS: dict[Fact, str] = {
    Fact.NAME: "Name",
    Fact.DATE_OF_BIRTH: "Date of birth",
    Fact.UPN: "UPN",
    Fact.SCHOOL: "School or setting",
    Fact.PRIMARY_NEED: "Primary need",
    Fact.SECONDARY_NEED: "Secondary need",
    Fact.POSTCODE: "Postcode",
    Fact.DISTRICT: "District",
    Fact.RECEIVED_ON: "Date the request was received",
    Fact.ASSESS_DECISION_ON: "Date of the decision whether to assess",
    Fact.ISSUE_DECISION_ON: "Date of the decision whether to issue a plan",
    Fact.DRAFT_ISSUED_ON: "Date the draft plan was issued",
    Fact.FINAL_PLAN_ISSUED_ON: "Date the final plan was issued",
}

CHILD_FACTS: frozenset[Fact] = frozenset(
    {
        Fact.NAME,
        Fact.DATE_OF_BIRTH,
        Fact.UPN,
        Fact.SCHOOL,
        Fact.PRIMARY_NEED,
        Fact.SECONDARY_NEED,
        Fact.POSTCODE,
        Fact.DISTRICT,
    }
)
REQUEST_FACTS: frozenset[Fact] = frozenset(Fact) - CHILD_FACTS
DATE_FACTS: frozenset[Fact] = REQUEST_FACTS | {Fact.DATE_OF_BIRTH}

# The child's details the monthly figures break down by (age at day 1, district, need, the
# school for the SEN2 return): correcting one changes the figures of every month in which one
# of the child's requests has a dated fact. A name, UPN or postcode changes no figure.
FIGURE_FACTS: frozenset[Fact] = frozenset(
    {Fact.DATE_OF_BIRTH, Fact.DISTRICT, Fact.PRIMARY_NEED, Fact.SECONDARY_NEED, Fact.SCHOOL}
)


@dataclass(frozen=True)
class RequestDates:
    """A request's dated facts as stored (None: not reached). ``request_outcome_on`` and
    ``assessment_outcome_on`` are the SEN2 outcome dates (a withdrawal's date among them)."""

    received_on: date
    assess_decision_on: date | None = None
    issue_decision_on: date | None = None
    draft_issued_on: date | None = None
    family_comments_on: date | None = None
    final_plan_issued_on: date | None = None
    request_outcome_on: date | None = None
    assessment_outcome_on: date | None = None

    def all(self) -> list[date]:
        return [value for value in vars(self).values() if value is not None]


# The order the process keeps (earlier, later): a decision is made after the request arrives
# (reg 5), the decision to issue after the decision to assess (reg 10), the draft after that,
# the family's comments and the final plan after the draft (reg 13). The database holds the
# same order for the request's own columns (CheckConstraints on AssessmentRequest).
_ORDER: tuple[tuple[str, str], ...] = (
    ("received_on", "assess_decision_on"),
    ("assess_decision_on", "issue_decision_on"),
    ("received_on", "issue_decision_on"),
    ("issue_decision_on", "draft_issued_on"),
    ("received_on", "draft_issued_on"),
    ("draft_issued_on", "family_comments_on"),
    ("draft_issued_on", "final_plan_issued_on"),
    ("received_on", "request_outcome_on"),
    ("received_on", "assessment_outcome_on"),
)

# How each date reads inside a sentence.
_PHRASES: dict[str, str] = {
    "received_on": "the date the request was received",
    "assess_decision_on": "the decision whether to assess",
    "issue_decision_on": "the decision whether to issue a plan",
    "draft_issued_on": "the date the draft plan was issued",
    "family_comments_on": "the date the family's comments were received",
    "final_plan_issued_on": "the date the final plan was issued",
    "request_outcome_on": "the date of the request's outcome",
    "assessment_outcome_on": "the date of the assessment's outcome",
}


def _long(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def correctable_request_facts(dates: RequestDates) -> list[Fact]:
    """The request's dates that exist, so may be corrected (a decision not yet made cannot be)."""
    facts = [Fact.RECEIVED_ON]
    if dates.assess_decision_on is not None:
        facts.append(Fact.ASSESS_DECISION_ON)
    if dates.issue_decision_on is not None:
        facts.append(Fact.ISSUE_DECISION_ON)
    if dates.draft_issued_on is not None:
        facts.append(Fact.DRAFT_ISSUED_ON)
    if dates.final_plan_issued_on is not None:
        facts.append(Fact.FINAL_PLAN_ISSUED_ON)
    return facts


def apply(dates: RequestDates, fact: Fact, value: date) -> RequestDates:
    """The dates after correcting ``fact`` to ``value``; the SEN2 outcome dates that mirror a
    decision or the final plan move with it."""
    changes: dict[str, Any] = {fact.value: value}
    if fact == Fact.ASSESS_DECISION_ON and dates.request_outcome_on == dates.assess_decision_on:
        changes["request_outcome_on"] = value
    if fact == Fact.ISSUE_DECISION_ON and dates.assessment_outcome_on == dates.issue_decision_on:
        changes["assessment_outcome_on"] = value
    if fact == Fact.FINAL_PLAN_ISSUED_ON and dates.assessment_outcome_on == dates.final_plan_issued_on:
        changes["assessment_outcome_on"] = value
    return replace(dates, **changes)


def date_errors(fact: Fact, value: date | None, dates: RequestDates, *, today: date) -> list[str]:
    """Why ``fact`` cannot be corrected to ``value`` on a request with ``dates`` (empty: it can).

    A corrected date is not in the future and keeps the process's order: a decision date
    before the date the request was received, or a plan date before the decision, is refused
    naming the date it conflicts with."""
    if value is None:
        return ["Enter the correct date"]
    if value > today:
        return ["The date must be today or in the past"]
    if fact not in REQUEST_FACTS:
        return []
    if fact != Fact.RECEIVED_ON and getattr(dates, fact.value) is None:
        return [f"There is no {FACT_LABELS[fact].lower()} to correct"]
    after = apply(dates, fact, value)
    moved = {name for name in vars(after) if getattr(after, name) != getattr(dates, name)} | {fact.value}
    problems: list[str] = []
    for earlier, later in _ORDER:
        first, second = getattr(after, earlier), getattr(after, later)
        if first is None or second is None or second >= first:
            continue
        if later in moved:
            message = f"The date must be on or after {_PHRASES[earlier]} ({_long(first)})"
        elif earlier in moved:
            message = f"The date must be on or before {_PHRASES[later]} ({_long(second)})"
        else:
            continue  # an order broken before this correction is not this correction's fault
        if message not in problems:
            problems.append(message)
    return problems


def days_touched(fact: Fact, before: Any, after: Any, requests: Iterable[RequestDates]) -> list[date]:
    """The days whose months' stored figures a correction changes, old and new.

    A request's date: its old and new value, and when day 1 moves, every outcome date of the
    request (its timeliness is counted from day 1). A child's detail the figures break down by
    (:data:`FIGURE_FACTS`): every dated fact of each of the child's requests, and the old and
    new date of birth. Anything else: none."""
    days: set[date] = set()
    for value in (before, after):
        if isinstance(value, date) and fact in DATE_FACTS:
            days.add(value)
    rows = list(requests)
    if fact == Fact.RECEIVED_ON or fact in FIGURE_FACTS:
        for row in rows:
            days.update(row.all())
    elif fact not in REQUEST_FACTS:
        days.clear()  # a name, UPN or postcode: no figure changes
    return sorted(days)


def reason_errors(reason: str) -> list[str]:
    text = reason.strip()
    if not text:
        return ["Enter the reason for the correction"]
    if len(text) > REASON_MAX:
        return [f"The reason must be {REASON_MAX:,} characters or fewer"]
    return []


def parse_value(fact: Fact, raw: Any) -> tuple[Any, list[str]]:
    """An API body's ``value`` for ``fact`` as the service takes it: an ISO date for a date; an
    object with ``forename`` and ``surname`` for the name; an id for the school (null: none) or
    the district; text otherwise. Returns (value, problems)."""
    if fact in DATE_FACTS:
        if not isinstance(raw, str):
            return None, ["Enter the date as YYYY-MM-DD"]
        try:
            return date.fromisoformat(raw), []
        except ValueError:
            return None, ["Enter a real date as YYYY-MM-DD"]
    if fact == Fact.NAME:
        if not isinstance(raw, Mapping) or set(raw) != {"forename", "surname"}:
            return None, ['Enter the name as {"forename": ..., "surname": ...}']
        if not all(isinstance(part, str) for part in raw.values()):
            return None, ["Enter the first and last names as text"]
        return {"forename": raw["forename"], "surname": raw["surname"]}, []
    if fact in (Fact.SCHOOL, Fact.DISTRICT):
        if raw is None and fact == Fact.SCHOOL:
            return None, []
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            return None, ["Enter an id: a whole number from 1"]
        return raw, []
    if not isinstance(raw, str):
        return None, ["Enter the value as text"]
    return raw, []
