"""Disagreement resolution, mediation and appeals to the SEND Tribunal: pure rules, no ORM.

The statutory rules (docs/domain.md §1.7) the code implements:

- Mediation advice (Children and Families Act 2014 s.55; SEND Regulations 2014 regs 32-35):
  before appealing, the parent or young person contacts the mediation adviser within 2 months of
  the decision letter; a certificate follows within 3 working days (of the family saying they do
  not want mediation, or of mediation ending). An appeal only about the school named needs none.
- The appeal deadline: the later of 2 months from the decision letter and 1 month from the
  mediation certificate; a deadline in August moves to the first working day of September, one
  from 25 December to 1 January to the next working day after it.
- Complying with the Tribunal's order (reg 44): an order to assess — tell the family within 2
  weeks that the assessment will happen, and issue the final plan within 14 weeks (a decision not
  to issue within 10); an order to make and maintain a plan — the draft within 5 weeks and the
  final plan within 11; an order to amend a plan's content — 5 weeks; an order to change the
  school named — 2 weeks. Reg 45 sets the same limits when the council concedes (an unopposed
  appeal). Weeks are calendar weeks from the order's date, like every other clock (§1.9).

Working days skip Saturdays and Sundays; bank holidays are not known to the portal, so a
deadline computed here may be a day early around one (the officer's letter states the date).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from requests_app.clocks import days_left


class Disputed(enum.StrEnum):
    """The decisions a parent or young person can appeal (s.51 Children and Families Act 2014)."""

    REFUSAL_TO_ASSESS = "refusal_to_assess"
    NOT_TO_ISSUE = "not_to_issue"
    PLAN_CONTENT = "plan_content"  # sections B, F and I
    SCHOOL_NAMED = "school_named"  # section I alone: no mediation certificate needed
    REFUSAL_TO_REASSESS = "refusal_to_reassess"
    REFUSAL_TO_AMEND = "refusal_to_amend"
    CEASE = "cease"

    @property
    def label(self) -> str:
        return DISPUTED_LABELS[self]


DISPUTED_LABELS: dict[Disputed, str] = {
    Disputed.REFUSAL_TO_ASSESS: "Decision not to assess",
    Disputed.NOT_TO_ISSUE: "Decision not to issue a plan",
    Disputed.PLAN_CONTENT: "The plan's content (sections B, F and I)",
    Disputed.SCHOOL_NAMED: "The school or type of school named (section I only)",
    Disputed.REFUSAL_TO_REASSESS: "Decision not to reassess",
    Disputed.REFUSAL_TO_AMEND: "Decision not to amend the plan after a review",
    Disputed.CEASE: "Decision to cease the plan",
}


class MediationOutcome(enum.StrEnum):
    PENDING = "pending"
    NOT_WANTED = "not_wanted"  # the family chose not to mediate: certificate only
    RESOLVED = "resolved"
    PARTLY_RESOLVED = "partly_resolved"
    NOT_RESOLVED = "not_resolved"


MEDIATION_OUTCOME_LABELS: dict[MediationOutcome, str] = {
    MediationOutcome.PENDING: "Not yet known",
    MediationOutcome.NOT_WANTED: "Family chose not to mediate (certificate issued)",
    MediationOutcome.RESOLVED: "Agreement reached",
    MediationOutcome.PARTLY_RESOLVED: "Partly agreed",
    MediationOutcome.NOT_RESOLVED: "No agreement",
}


class AppealStatus(enum.StrEnum):
    REGISTERED = "registered"  # lodged with the Tribunal, awaiting its decision
    ORDERED = "ordered"  # decided with an order the council must comply with (reg 44/45)
    CLOSED = "closed"  # decided with nothing to comply with, or the order complied with
    WITHDRAWN = "withdrawn"

    @property
    def is_open(self) -> bool:
        return self in (AppealStatus.REGISTERED, AppealStatus.ORDERED)


class AppealOutcome(enum.StrEnum):
    UPHELD = "upheld"  # the Tribunal found for the family and made an order
    CONCEDED = "conceded"  # the council conceded: an unopposed appeal (reg 45), an order follows
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"


APPEAL_OUTCOME_LABELS: dict[AppealOutcome, str] = {
    AppealOutcome.UPHELD: "Appeal upheld (order made)",
    AppealOutcome.CONCEDED: "Council conceded (unopposed appeal)",
    AppealOutcome.DISMISSED: "Appeal dismissed",
    AppealOutcome.WITHDRAWN: "Appeal withdrawn by the family",
}


class OrderType(enum.StrEnum):
    ASSESS = "assess"
    MAKE_PLAN = "make_plan"
    AMEND_CONTENT = "amend_content"
    CHANGE_SCHOOL = "change_school"


ORDER_LABELS: dict[OrderType, str] = {
    OrderType.ASSESS: "Assess (or reassess) the child or young person",
    OrderType.MAKE_PLAN: "Make and maintain a plan",
    OrderType.AMEND_CONTENT: "Amend the plan's content",
    OrderType.CHANGE_SCHOOL: "Change the school or institution named",
}

# reg 44(2): each order's steps and their limits in weeks from the order's date. The last step
# is the order complied with: its date is the appeal's stored compliance deadline.
ORDER_STEPS: dict[OrderType, tuple[tuple[str, int], ...]] = {
    OrderType.ASSESS: (
        ("Tell the family the assessment will happen", 2),  # reg 44(2)(a)
        ("Notify a decision not to issue a plan, if that is the decision", 10),  # reg 44(2)(b)
        ("Issue the final plan", 14),  # reg 44(2)(c)
    ),
    OrderType.MAKE_PLAN: (
        ("Issue the draft plan", 5),  # reg 44(2)(d)
        ("Issue the final plan", 11),  # reg 44(2)(e)
    ),
    OrderType.AMEND_CONTENT: (("Issue the amended plan", 5),),  # reg 44(2)(f)
    OrderType.CHANGE_SCHOOL: (("Issue the plan naming the school or institution", 2),),  # reg 44(2)(g)
}

# Outcomes that come with an order to comply with, and those that close the appeal at once.
ORDER_OUTCOMES = frozenset({AppealOutcome.UPHELD, AppealOutcome.CONCEDED})
MEDIATION_CONTACT_MONTHS = 2  # reg 33: contact the mediation adviser within 2 months
APPEAL_MONTHS_FROM_LETTER = 2
APPEAL_MONTHS_FROM_CERTIFICATE = 1


@dataclass(frozen=True)
class Step:
    label: str
    due_on: date


def add_months(start: date, months: int) -> date:
    """The same day ``months`` calendar months on; the month's last day when it has no such day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def next_working_day(day: date) -> date:
    """``day`` itself when Monday to Friday, otherwise the Monday after."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def add_working_days(start: date, days: int) -> date:
    day = start
    for _ in range(days):
        day = next_working_day(day + timedelta(days=1))
    return day


def mediation_contact_due(decision_letter_on: date) -> date:
    return add_months(decision_letter_on, MEDIATION_CONTACT_MONTHS)


def appeal_deadline(decision_letter_on: date, certificate_issued_on: date | None = None) -> date:
    """The last day to appeal: the later of 2 months from the decision letter and 1 month from
    the mediation certificate; August moves to September's first working day, and 25 December to
    1 January to the next working day after 1 January."""
    deadline = add_months(decision_letter_on, APPEAL_MONTHS_FROM_LETTER)
    if certificate_issued_on is not None:
        deadline = max(deadline, add_months(certificate_issued_on, APPEAL_MONTHS_FROM_CERTIFICATE))
    if deadline.month == 8:
        return next_working_day(date(deadline.year, 9, 1))
    if (deadline.month, deadline.day) >= (12, 25):
        return next_working_day(date(deadline.year + 1, 1, 2))
    if (deadline.month, deadline.day) == (1, 1):
        return next_working_day(date(deadline.year, 1, 2))
    return deadline


def order_steps(order: OrderType | str, order_on: date) -> list[Step]:
    """The steps of complying with ``order`` made on ``order_on``, with their due dates."""
    return [Step(label, order_on + timedelta(weeks=weeks)) for label, weeks in ORDER_STEPS[OrderType(order)]]


def compliance_due_on(order: OrderType | str, order_on: date) -> date:
    """The day by which the order must be complied with in full (its last step)."""
    return order_steps(order, order_on)[-1].due_on


def compliance_days_left(due_on: date, *, today: date) -> int:
    return days_left(due_on, today=today)


def mediation_problems(
    *,
    decision_letter_on: date | None,
    adviser_contacted_on: date | None,
    certificate_issued_on: date | None,
    held_on: date | None,
    outcome: str,
    today: date,
) -> list[tuple[str, str]]:
    """(field, message) for each fact of a mediation record that cannot be right."""
    problems: list[tuple[str, str]] = []
    if decision_letter_on is None:
        problems.append(("decision_letter_on", "Enter the date of the decision letter the family disagrees with"))
        return problems
    for field, value, label in (
        ("decision_letter_on", decision_letter_on, "decision letter"),
        ("adviser_contacted_on", adviser_contacted_on, "contact with the mediation adviser"),
        ("certificate_issued_on", certificate_issued_on, "certificate"),
        ("held_on", held_on, "mediation meeting"),
    ):
        if value is not None and value > today:
            problems.append((field, f"The date of the {label} must be today or in the past"))
        if value is not None and value < decision_letter_on and field != "decision_letter_on":
            problems.append((field, f"The date of the {label} must be on or after the decision letter"))
    if outcome not in MediationOutcome.__members__.values():
        problems.append(("outcome", "Select the outcome of mediation"))
    elif outcome == MediationOutcome.NOT_WANTED and held_on is not None:
        problems.append(("held_on", "Leave the meeting date blank: the family chose not to mediate"))
    elif outcome in (MediationOutcome.RESOLVED, MediationOutcome.PARTLY_RESOLVED, MediationOutcome.NOT_RESOLVED) and (
        held_on is None
    ):
        problems.append(("held_on", "Enter the date mediation took place"))
    if outcome not in ("", MediationOutcome.PENDING, MediationOutcome.RESOLVED) and certificate_issued_on is None:
        problems.append(("certificate_issued_on", "Enter the date the mediation certificate was issued"))
    return problems


def appeal_problems(
    *,
    against: str,
    decision_letter_on: date | None,
    registered_on: date | None,
    hearing_on: date | None,
    today: date,
) -> list[tuple[str, str]]:
    """(field, message) for each fact of an appeal registration that cannot be right."""
    problems: list[tuple[str, str]] = []
    if against not in Disputed.__members__.values():
        problems.append(("against", "Select the decision the appeal is against"))
    if decision_letter_on is None:
        problems.append(("decision_letter_on", "Enter the date of the decision letter being appealed"))
    elif decision_letter_on > today:
        problems.append(("decision_letter_on", "The date of the decision letter must be today or in the past"))
    if registered_on is None:
        problems.append(("registered_on", "Enter the date the Tribunal registered the appeal"))
    elif registered_on > today:
        problems.append(("registered_on", "The date the appeal was registered must be today or in the past"))
    elif decision_letter_on is not None and registered_on < decision_letter_on:
        problems.append(("registered_on", "The appeal cannot be registered before the decision letter"))
    if hearing_on is not None and registered_on is not None and hearing_on < registered_on:
        problems.append(("hearing_on", "The hearing must be on or after the date the appeal was registered"))
    return problems


def outcome_problems(
    *,
    outcome: str,
    decided_on: date | None,
    order_type: str,
    registered_on: date,
    today: date,
) -> list[tuple[str, str]]:
    """(field, message) for each fact of a Tribunal decision that cannot be right: an upheld or
    conceded appeal carries an order (reg 44/45); a dismissed or withdrawn one does not."""
    problems: list[tuple[str, str]] = []
    if outcome not in AppealOutcome.__members__.values():
        problems.append(("outcome", "Select the outcome of the appeal"))
        return problems
    if decided_on is None:
        problems.append(("decided_on", "Enter the date of the decision or order"))
    elif decided_on > today:
        problems.append(("decided_on", "The date of the decision must be today or in the past"))
    elif decided_on < registered_on:
        problems.append(("decided_on", "The decision cannot be before the appeal was registered"))
    if AppealOutcome(outcome) in ORDER_OUTCOMES and order_type not in OrderType.__members__.values():
        problems.append(("order_type", "Select what the order requires the council to do"))
    if AppealOutcome(outcome) not in ORDER_OUTCOMES and order_type:
        problems.append(("order_type", "Leave the order blank: a dismissed or withdrawn appeal has no order"))
    return problems
