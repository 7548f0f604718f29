"""Independent placements' rules, as data: contract statuses, the money arithmetic, deductions.

Pure Python (no Django import), so every rule here is tested without a database (docs/style.md
item 1). ``placements.services`` consults this module before it changes anything; the
models build their choices from the enums below.

A council buys an independent or non-maintained special school place (INMSS, docs/domain.md §2.2)
under the national contract plus a per-child Individual Placement Agreement (IPA) that sets the
fees. The IPA follows a panel approval with an agreed annual cost ceiling:

    draft -> negotiating -> active -> ended

An active contract's fee changes only through an annual fee review (below: a new contract version
from its effective date, through the panel above the ceiling) or a variation of its cost lines
within the panel's ceiling (a new version from the day it is made). The old way back from active
to negotiating ("reopen negotiation") is gone: it changed the price outside both.

Money is integer pence throughout. Where a division is needed (a term's share of the annual
cost, a percentage deduction) the result is rounded half up to the penny (``round_half_up``):
the council and the provider can redo the sum on a calculator and get the same answer, which
banker's rounding would not always give.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from core import workflow as transitions
from core.roles import Capability

__all__ = [
    "ACTION_CAPABILITY",
    "AGREED_STATUSES",
    "CLAUSE_STATUSES",
    "COST_LINE_STATUSES",
    "DEFAULT_PERIODS_PER_YEAR",
    "MAX_PERIODS_PER_YEAR",
    "RETURN_STATUSES",
    "ROUND_STATUSES",
    "TRANSITIONS",
    "Action",
    "ClauseFacts",
    "ContractStatus",
    "CostCategory",
    "DeductionResult",
    "DeductionStatus",
    "LineFacts",
    "PenaltyRule",
    "Period",
    "PeriodKind",
    "ProcurementRoute",
    "ReturnFacts",
    "Transition",
    "TransitionError",
    "agree_problems",
    "allowed_actions",
    "annualise",
    "attendance_rate",
    "ceiling_message",
    "check_transition",
    "compute_deduction",
    "default_periods_per_year",
    "format_pounds",
    "next_status",
    "period_fee",
    "long_date",
    "periods_problem",
    "position",
    "return_period_problems",
    "return_problems",
    "round_problems",
    "saving",
    "negotiation_saving",
    "uplift",
    "uplift_words",
    "version_figures",
    "PriceFigures",
    "asked_price_problem",
    "review_figures",
    "round_half_up",
    "totals",
]


# --- Enums -----------------------------------------------------------------------------------


class ContractStatus(enum.StrEnum):
    DRAFT = "draft"
    NEGOTIATING = "negotiating"
    ACTIVE = "active"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return CONTRACT_STATUS_LABELS[self]


CONTRACT_STATUS_LABELS: dict[ContractStatus, str] = {
    ContractStatus.DRAFT: "Draft",
    ContractStatus.NEGOTIATING: "Negotiating",
    ContractStatus.ACTIVE: "Active",
    ContractStatus.ENDED: "Ended",
}


class Action(enum.StrEnum):
    """What can be done to a contract. The first four move its status; the rest do not."""

    START_NEGOTIATION = "start_negotiation"
    AGREE = "agree"
    END = "end"
    # Historic only: the events of contracts reopened before fee reviews existed keep this
    # action. It is in no transition, so no page, API or service can take it now.
    REOPEN_NEGOTIATION = "reopen_negotiation"
    CHANGE_COST_LINES = "change_cost_lines"
    RECORD_ROUND = "record_round"
    SET_PENALTY_CLAUSE = "set_penalty_clause"
    SUBMIT_RETURN = "submit_return"
    DECIDE_DEDUCTION = "decide_deduction"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS: dict[Action, str] = {
    Action.START_NEGOTIATION: "Negotiation started",
    Action.AGREE: "Fees agreed; placement active",
    Action.END: "Placement ended",
    Action.REOPEN_NEGOTIATION: "Negotiation reopened for the annual fee review",
    Action.CHANGE_COST_LINES: "Cost lines changed",
    Action.RECORD_ROUND: "Negotiation round recorded",
    Action.SET_PENALTY_CLAUSE: "Attendance penalty clause set",
    Action.SUBMIT_RETURN: "Attendance return submitted",
    Action.DECIDE_DEDUCTION: "Deduction decided",
}


class ProcurementRoute(enum.StrEnum):
    FRAMEWORK = "framework"
    DYNAMIC_PURCHASING_SYSTEM = "dynamic_purchasing_system"
    SPOT_PURCHASE = "spot_purchase"

    @property
    def label(self) -> str:
        return PROCUREMENT_ROUTE_LABELS[self]


PROCUREMENT_ROUTE_LABELS: dict[ProcurementRoute, str] = {
    ProcurementRoute.FRAMEWORK: "Framework",
    ProcurementRoute.DYNAMIC_PURCHASING_SYSTEM: "Dynamic purchasing system",
    ProcurementRoute.SPOT_PURCHASE: "Spot purchase",
}


class CostCategory(enum.StrEnum):
    TUITION = "tuition"
    RESIDENTIAL = "residential"
    THERAPY_SPEECH_LANGUAGE = "therapy_speech_language"
    THERAPY_OCCUPATIONAL = "therapy_occupational"
    THERAPY_PHYSIO = "therapy_physio"
    THERAPY_OTHER = "therapy_other"
    ONE_TO_ONE_SUPPORT = "one_to_one_support"
    TRANSPORT = "transport"
    OTHER = "other"

    @property
    def label(self) -> str:
        return COST_CATEGORY_LABELS[self]


COST_CATEGORY_LABELS: dict[CostCategory, str] = {
    CostCategory.TUITION: "Tuition",
    CostCategory.RESIDENTIAL: "Residential",
    CostCategory.THERAPY_SPEECH_LANGUAGE: "Speech and language therapy",
    CostCategory.THERAPY_OCCUPATIONAL: "Occupational therapy",
    CostCategory.THERAPY_PHYSIO: "Physiotherapy",
    CostCategory.THERAPY_OTHER: "Other therapy",
    CostCategory.ONE_TO_ONE_SUPPORT: "1:1 support",
    CostCategory.TRANSPORT: "Transport",
    CostCategory.OTHER: "Other",
}


class Period(enum.StrEnum):
    """What a cost line's amount is charged per."""

    YEAR = "year"
    TERM = "term"
    WEEK = "week"
    DAY = "day"

    @property
    def label(self) -> str:
        return PERIOD_LABELS[self]


PERIOD_LABELS: dict[Period, str] = {
    Period.YEAR: "Per year",
    Period.TERM: "Per term",
    Period.WEEK: "Per week",
    Period.DAY: "Per day",
}

# How many periods make a year unless the contract says otherwise. The number used is stored
# on each line, so the annualisation can always be read back and checked.
DEFAULT_PERIODS_PER_YEAR: dict[Period, int] = {
    Period.YEAR: 1,
    Period.TERM: 3,  # three terms
    Period.WEEK: 39,  # school weeks (38-week year plus the INSET week); 52 for 52-week residential
    Period.DAY: 190,  # the pupil days in an English school year
}
FIFTY_TWO_WEEKS = 52
# The most a year can hold; anything above is a typing mistake (and the database refuses it).
MAX_PERIODS_PER_YEAR: dict[Period, int] = {Period.YEAR: 1, Period.TERM: 6, Period.WEEK: 52, Period.DAY: 366}


class PeriodKind(enum.StrEnum):
    """The period an attendance return covers."""

    TERM = "term"
    MONTH = "month"

    @property
    def label(self) -> str:
        return PERIOD_KIND_LABELS[self]


PERIOD_KIND_LABELS: dict[PeriodKind, str] = {PeriodKind.TERM: "Term", PeriodKind.MONTH: "Month"}
# A term is a third of the year's fee; a month a twelfth (fees are invoiced termly or monthly).
PERIODS_IN_YEAR: dict[PeriodKind, int] = {PeriodKind.TERM: 3, PeriodKind.MONTH: 12}
_PERIOD_KIND_POSSESSIVE: dict[PeriodKind, str] = {PeriodKind.TERM: "the term's", PeriodKind.MONTH: "the month's"}


class PenaltyRule(enum.StrEnum):
    PERCENT_OF_PERIOD_FEE = "percent_of_period_fee"
    PER_SESSION_MISSED = "per_session_missed"

    @property
    def label(self) -> str:
        return PENALTY_RULE_LABELS[self]


PENALTY_RULE_LABELS: dict[PenaltyRule, str] = {
    PenaltyRule.PERCENT_OF_PERIOD_FEE: "A percentage of the period's fee",
    PenaltyRule.PER_SESSION_MISSED: "An amount per unauthorised session missed",
}


class DeductionStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    WAIVED = "waived"

    @property
    def label(self) -> str:
        return DEDUCTION_STATUS_LABELS[self]


DEDUCTION_STATUS_LABELS: dict[DeductionStatus, str] = {
    DeductionStatus.PENDING: "Pending",
    DeductionStatus.CONFIRMED: "Confirmed",
    DeductionStatus.WAIVED: "Waived",
}


# --- The transition table --------------------------------------------------------------------


Transition = transitions.Transition[ContractStatus]
TransitionError = transitions.TransitionError

MANAGE = Capability.PLACEMENT_MANAGE

# Where each non-status action is allowed.
COST_LINE_STATUSES = frozenset(
    {ContractStatus.DRAFT, ContractStatus.NEGOTIATING, ContractStatus.ACTIVE}
)  # active: a variation
ROUND_STATUSES = frozenset({ContractStatus.NEGOTIATING})
CLAUSE_STATUSES = frozenset({ContractStatus.DRAFT, ContractStatus.NEGOTIATING, ContractStatus.ACTIVE})
# Returns (and the deductions they raise) arrive during the placement and, for its last term,
# after it has ended.
RETURN_STATUSES = frozenset({ContractStatus.ACTIVE, ContractStatus.ENDED})

TRANSITIONS: dict[tuple[ContractStatus, Action], Transition] = {
    (ContractStatus.DRAFT, Action.START_NEGOTIATION): Transition(ContractStatus.NEGOTIATING, MANAGE),
    # Checked further by agree_problems: every line agreed, the total within the ceiling.
    (ContractStatus.NEGOTIATING, Action.AGREE): Transition(ContractStatus.ACTIVE, MANAGE),
    (ContractStatus.ACTIVE, Action.END): Transition(ContractStatus.ENDED, MANAGE),
    **{(s, Action.CHANGE_COST_LINES): Transition(None, MANAGE) for s in COST_LINE_STATUSES},
    **{(s, Action.RECORD_ROUND): Transition(None, MANAGE) for s in ROUND_STATUSES},
    **{(s, Action.SET_PENALTY_CLAUSE): Transition(None, MANAGE) for s in CLAUSE_STATUSES},
    **{(s, Action.SUBMIT_RETURN): Transition(None, MANAGE) for s in RETURN_STATUSES},
    **{(s, Action.DECIDE_DEDUCTION): Transition(None, MANAGE) for s in RETURN_STATUSES},
}

ACTION_CAPABILITY: dict[Action, Capability] = transitions.action_capabilities(TRANSITIONS)

# "A contract that is <status> cannot <phrase>."
_ACTION_PHRASES: dict[Action, str] = {
    Action.START_NEGOTIATION: "start negotiation",
    Action.AGREE: "be agreed",
    Action.END: "be ended",
    Action.REOPEN_NEGOTIATION: "have its negotiation reopened",
    Action.CHANGE_COST_LINES: "have its cost lines changed",
    Action.RECORD_ROUND: "have a negotiation round recorded",
    Action.SET_PENALTY_CLAUSE: "have its penalty clause changed",
    Action.SUBMIT_RETURN: "take attendance returns",
    Action.DECIDE_DEDUCTION: "have deductions confirmed or waived",
}


def _refusal(status: ContractStatus, action: Action) -> str:
    return f"A contract that is {status.label.lower()} cannot {_ACTION_PHRASES[action]}."


def check_transition(status: ContractStatus | str, action: Action | str) -> Transition:
    """The transition for ``action`` from ``status``, or :class:`TransitionError`."""
    return transitions.check(TRANSITIONS, ContractStatus(status), Action(action), _refusal)


def next_status(status: ContractStatus | str, action: Action | str) -> ContractStatus:
    return check_transition(status, action).status_after(ContractStatus(status))


def allowed_actions(status: ContractStatus | str) -> list[Action]:
    return transitions.allowed_actions(TRANSITIONS, ContractStatus(status), Action)


# --- Money -------------------------------------------------------------------------------------


def round_half_up(value: Decimal) -> int:
    """To the nearest penny, halves away from zero (amounts here are never negative)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_pounds(pence: int) -> str:
    """``1666667`` -> ``"£16,666.67"``. Integer arithmetic: no float ever touches money."""
    sign = "-" if pence < 0 else ""
    pounds, pennies = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{pennies:02d}"


def default_periods_per_year(period: Period | str, *, fifty_two_week: bool = False) -> int:
    """The periods in a year for ``period``: 52 weeks for a 52-week residential placement."""
    period = Period(period)
    if period is Period.WEEK and fifty_two_week:
        return FIFTY_TWO_WEEKS
    return DEFAULT_PERIODS_PER_YEAR[period]


def periods_problem(period: Period | str, periods_per_year: int) -> str | None:
    """Why ``periods_per_year`` cannot go with ``period`` (``None``: it can)."""
    period = Period(period)
    if isinstance(periods_per_year, bool) or not isinstance(periods_per_year, int) or periods_per_year <= 0:
        return "Enter the number of periods in a year as a whole number greater than 0"
    if period is Period.YEAR and periods_per_year != 1:
        return "An amount per year is charged once a year"
    if periods_per_year > MAX_PERIODS_PER_YEAR[period]:
        return f"A year has at most {MAX_PERIODS_PER_YEAR[period]} {period.value}s"
    return None


def annualise(amount_pence: int, period: Period | str, periods_per_year: int | Decimal) -> int:
    """The annual cost of ``amount_pence`` charged per ``period``, ``periods_per_year`` times.

    With whole periods (what the models store) the product is exact; a fractional number of
    periods (say 38.5 weeks) is rounded half up to the penny. The same product is what the
    reports compute in SQL (``agreed_amount_pence * periods_per_year``), so they agree.
    """
    period = Period(period)
    if amount_pence < 0:
        raise ValueError("An amount cannot be negative")
    if period is Period.YEAR:
        periods_per_year = 1
    if periods_per_year <= 0:
        raise ValueError("The number of periods in a year must be greater than 0")
    return round_half_up(Decimal(amount_pence) * Decimal(periods_per_year))


def period_fee(annual_pence: int, period_kind: PeriodKind | str) -> int:
    """The fee for one attendance period: the annual cost ÷ 3 for a term, ÷ 12 for a month,
    rounded half up to the penny. (Terms differ in length; the IPA invoices equal thirds.)"""
    if annual_pence < 0:
        raise ValueError("An amount cannot be negative")
    return round_half_up(Decimal(annual_pence) / PERIODS_IN_YEAR[PeriodKind(period_kind)])


def ceiling_message(agreed_pence: int, ceiling_pence: int) -> str:
    return (
        f"The agreed annual cost {format_pounds(agreed_pence)} exceeds the panel's ceiling of "
        f"{format_pounds(ceiling_pence)}. A new panel decision is needed."
    )


@dataclass(frozen=True)
class LineFacts:
    """A cost line as :func:`agree_problems` sees it (annualised amounts in pence)."""

    quoted_annual_pence: int
    agreed_annual_pence: int | None


def agree_problems(lines: Sequence[LineFacts], *, ceiling_pence: int) -> list[tuple[str, str]]:
    """What stops the fees being agreed, as (field, message) pairs: there must be cost lines,
    every one agreed, and the agreed annual total within the panel's ceiling."""
    if not lines:
        return [("cost_lines", "Add the cost lines before agreeing the fees")]
    problems: list[tuple[str, str]] = []
    unagreed = sum(1 for line in lines if line.agreed_annual_pence is None)
    if unagreed:
        noun = "line has" if unagreed == 1 else "lines have"
        problems.append(("cost_lines", f"{unagreed} cost {noun} no agreed amount; agree every line first"))
    total = sum(line.agreed_annual_pence or 0 for line in lines)
    if total > ceiling_pence:
        problems.append(("agreed", ceiling_message(total, ceiling_pence)))
    return problems


# --- Attendance and deductions -----------------------------------------------------------------

_HUNDRED = Decimal(100)
_CENTI = Decimal("0.01")


def attendance_rate(possible: int, attended: int, authorised: int, *, authorised_counts_as_attended: bool) -> Decimal:
    """Sessions counted as attended as a percentage of sessions possible, to 2 decimal places.

    The rate is truncated, not rounded: thresholds have 2 decimal places, so a truncated rate
    is below a threshold exactly when the true rate is (89.996% is below 90% and shows as
    89.99%, never as a misleading 90.00%). No possible sessions counts as full attendance.
    """
    if min(possible, attended, authorised) < 0:
        raise ValueError("Session counts cannot be negative")
    if possible == 0:
        return Decimal("100.00")
    counted = attended + (authorised if authorised_counts_as_attended else 0)
    return (Decimal(counted) * _HUNDRED / Decimal(possible)).quantize(_CENTI, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class ClauseFacts:
    threshold_percent: Decimal
    rule: PenaltyRule | str
    deduction_percent: Decimal | None = None
    per_session_pence: int | None = None
    authorised_counts_as_attended: bool = True


@dataclass(frozen=True)
class ReturnFacts:
    period_kind: PeriodKind | str
    sessions_possible: int
    sessions_attended: int
    authorised_absence: int
    unauthorised_absence: int


@dataclass(frozen=True)
class DeductionResult:
    applies: bool
    amount_pence: int
    working: list[str] = field(default_factory=list)


def _percent(value: Decimal) -> str:
    """84.00 -> "84.0", 89.99 -> "89.99"."""
    one_place = value.quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return f"{one_place}" if one_place == value else f"{value.quantize(_CENTI)}"


def _threshold(value: Decimal) -> str:
    """90.00 -> "90", 92.50 -> "92.5"."""
    text = f"{value.quantize(_CENTI)}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _sessions(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def return_problems(facts: ReturnFacts) -> list[tuple[str, str]]:
    """What is wrong with a return's numbers, as (field, message) pairs."""
    problems: list[tuple[str, str]] = []
    counts = {
        "sessions_possible": facts.sessions_possible,
        "sessions_attended": facts.sessions_attended,
        "authorised_absence": facts.authorised_absence,
        "unauthorised_absence": facts.unauthorised_absence,
    }
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append((name, "Enter a whole number of sessions"))
        elif value < 0:
            problems.append((name, "The number of sessions cannot be negative"))
    if problems:
        return problems
    # Every possible session is either attended or an absence, authorised or not (the same
    # accounting as the school census: possible = present + authorised + unauthorised). A
    # session left out of all three would escape a per-session deduction, so the sums must agree.
    recorded = facts.sessions_attended + facts.authorised_absence + facts.unauthorised_absence
    if recorded != facts.sessions_possible:
        problems.append(
            (
                "sessions_possible",
                f"The sessions do not add up: {facts.sessions_possible} possible ≠ {facts.sessions_attended} attended "
                f"+ {facts.authorised_absence} authorised + {facts.unauthorised_absence} unauthorised = {recorded}",
            )
        )
    return problems


def long_date(value: date) -> str:
    """``date(2026, 1, 5)`` -> ``"5 January 2026"``."""
    return f"{value.day} {value:%B %Y}"


def return_period_problems(
    period_start: date,
    period_end: date,
    *,
    today: date,
    placement_start: date,
    placement_finish: date | None,
    others: Iterable[tuple[date, date]],
) -> list[tuple[str, str]]:
    """What is wrong with a return's period, as (field, message) pairs.

    A return reports days that have happened, within the placement: it may not end after
    ``today``, start before the placement started, or end after it finished (``ended_on``, or
    the planned ``end_on``). Nor may it share a day with another return of the same contract
    (``others``; the same period exactly is a correction, and the caller leaves it out): each
    would take a deduction for the same days. Periods are inclusive of both ends.
    """
    problems: list[tuple[str, str]] = []
    if period_end > today:
        problems.append(
            (
                "period_end",
                f"The period ends on {long_date(period_end)}, after today; enter the return once the period has ended",
            )
        )
    if period_start < placement_start:
        problems.append(
            ("period_start", f"The period starts before the placement started on {long_date(placement_start)}")
        )
    if placement_finish is not None and period_end > placement_finish:
        problems.append(("period_end", f"The period ends after the placement ended on {long_date(placement_finish)}"))
    for other_start, other_end in sorted(others):
        if other_start <= period_end and period_start <= other_end:
            problems.append(
                (
                    "period_start",
                    f"The period overlaps the return already entered for {long_date(other_start)} to "
                    f"{long_date(other_end)}; a day can be in only one return (to correct that return, enter "
                    "exactly its period)",
                )
            )
    return problems


def compute_deduction(clause: ClauseFacts, facts: ReturnFacts, period_fee_pence: int) -> DeductionResult:
    """Whether the clause takes money off this period's fee, how much, and the working.

    A deduction applies when the attendance rate is *below* the threshold; at the threshold
    no deduction applies. With ``authorised_counts_as_attended`` (the usual grace rule),
    authorised absences count towards attendance. A per-session deduction is charged for each
    unauthorised session missed and never exceeds the period's fee.
    """
    rule = PenaltyRule(clause.rule)
    kind = PeriodKind(facts.period_kind)
    grace = clause.authorised_counts_as_attended
    rate = attendance_rate(
        facts.sessions_possible,
        facts.sessions_attended,
        facts.authorised_absence,
        authorised_counts_as_attended=grace,
    )
    counted = facts.sessions_attended + (facts.authorised_absence if grace else 0)
    detail = f"{counted} of {facts.sessions_possible} possible sessions"
    if facts.authorised_absence:
        absences = _sessions(facts.authorised_absence, "authorised absence")
        detail += f"; {absences} counted as attended" if grace else f"; {absences} not counted as attended"
    threshold = _threshold(clause.threshold_percent)
    if facts.sessions_possible == 0:
        return DeductionResult(False, 0, ["No sessions were possible in the period, so no deduction applies"])
    if rate >= clause.threshold_percent:
        return DeductionResult(
            False,
            0,
            [f"Attendance {_percent(rate)}% ({detail}) is at or above the {threshold}% threshold; no deduction"],
        )
    working = [f"Attendance {_percent(rate)}% ({detail}) is below the {threshold}% threshold"]
    fee_text = f"{_PERIOD_KIND_POSSESSIVE[kind]} fee of {format_pounds(period_fee_pence)}"
    if rule is PenaltyRule.PERCENT_OF_PERIOD_FEE:
        percent = clause.deduction_percent
        if percent is None:
            raise ValueError("A percentage rule needs its deduction percent")
        amount = round_half_up(Decimal(period_fee_pence) * percent / _HUNDRED)
        working.append(f"{_threshold(percent)}% of {fee_text} = {format_pounds(amount)}")
        return DeductionResult(True, amount, working)
    per_session = clause.per_session_pence
    if per_session is None:
        raise ValueError("A per-session rule needs its amount per session")
    missed = facts.unauthorised_absence
    amount = missed * per_session
    working.append(
        f"{_sessions(missed, 'unauthorised session')} missed × {format_pounds(per_session)} = {format_pounds(amount)}"
    )
    if amount > period_fee_pence:
        amount = period_fee_pence
        working.append(f"Capped at {fee_text}")
    return DeductionResult(True, amount, working)


# --- Negotiation -------------------------------------------------------------------------------

# Fees are agreed, and a saving exists, only once the contract is active (or has ended).
AGREED_STATUSES = frozenset({ContractStatus.ACTIVE, ContractStatus.ENDED})


def saving(status: ContractStatus | str, quoted_pence: int, agreed_pence: int) -> int | None:
    """The negotiation saving (:func:`negotiation_saving`: asked minus agreed) once the fees are
    agreed; ``None`` before that, when the agreed total is only the lines settled so far and a
    "saving" would be a partial sum."""
    if ContractStatus(status) not in AGREED_STATUSES:
        return None
    return negotiation_saving(quoted_pence, agreed_pence)


# --- Savings and uplifts (docs/domain.md §2.6) -----------------------------------------------------
# Two different figures, never netted against each other:
# - the **saving** is what negotiation took off the provider's asked price: asked − agreed, per
#   line and in total. The council never agrees more than was asked (a higher price is a new ask),
#   so a saving is never negative; an amount agreed above the ask (data from before the rule)
#   counts as no saving, not a negative one.
# - the **uplift** is the rise of the agreed fee against the fee in force before it: agreed −
#   fee before (negative when the fee went down). An uplift is not a negative saving.


def negotiation_saving(asked_pence: int, agreed_pence: int) -> int:
    """What negotiation saved on a price: the provider's asked amount minus the agreed one, never
    below nothing."""
    return max(asked_pence - agreed_pence, 0)


def uplift(before_pence: int, agreed_pence: int) -> int:
    """The change of a fee against the fee in force before it: agreed − before (negative for a
    reduction)."""
    return agreed_pence - before_pence


def uplift_words(pence: int) -> str:
    """An uplift in words: a rise, a reduction or no change (never a bare minus sign)."""
    if pence > 0:
        return f"{format_pounds(pence)} more a year"
    if pence < 0:
        return f"{format_pounds(-pence)} less a year"
    return "No change"


@dataclass(frozen=True)
class PriceFigures:
    """One price (a line or a total, annual pence): the fee in force before, what the provider
    asked, what was agreed (``None`` until agreed), and the saving and uplift once agreed."""

    before_pence: int
    asked_pence: int
    agreed_pence: int | None

    @property
    def saving_pence(self) -> int | None:
        return None if self.agreed_pence is None else negotiation_saving(self.asked_pence, self.agreed_pence)

    @property
    def uplift_pence(self) -> int | None:
        return None if self.agreed_pence is None else uplift(self.before_pence, self.agreed_pence)


def version_figures(versions: Sequence[tuple[int, int]]) -> list[PriceFigures]:
    """The figures of a contract's fee versions, oldest first, from (asked, agreed) annual pence:
    each version's saving against its own ask, and its uplift against the version before (the
    original agreement has none: its "before" is itself)."""
    out: list[PriceFigures] = []
    before: int | None = None
    for asked, agreed in versions:
        out.append(
            PriceFigures(before_pence=agreed if before is None else before, asked_pence=asked, agreed_pence=agreed)
        )
        before = agreed
    return out


def asked_price_problem(asked_pence: int | None, agreed_pence: int | None, *, asked_word: str = "quoted") -> str | None:
    """An agreed amount may not be more than the provider asked for (a higher price is a new
    quote: record it first)."""
    if asked_pence is None or agreed_pence is None or agreed_pence <= asked_pence:
        return None
    return (
        f"The agreed amount {format_pounds(agreed_pence)} is more than the provider {asked_word}, "
        f"{format_pounds(asked_pence)}; record the new quote first"
    )


def position(rounds: Sequence[tuple[date, int, int | None]], quoted_pence: int) -> str:
    """Where a negotiation stands, in words: the quote and the latest round's offers.
    ``rounds`` are (date, provider's offer, council's counter-offer or ``None``) in the order
    they were entered."""
    quote = f"Quoted {format_pounds(quoted_pence)} a year"
    if not rounds:
        return f"{quote}; no negotiation rounds recorded yet"
    # The latest by date; on the same day, the one given last (callers pass entry order).
    on, offer, counter = sorted(rounds, key=lambda item: item[0])[-1]
    text = f"{quote}; latest offer from the provider {format_pounds(offer)} ({long_date(on)})"
    if counter is not None:
        text += f", council's counter-offer {format_pounds(counter)}"
    return text


def round_problems(
    *,
    on: date,
    today: date,
    decided_on: date,
    provider_offer_pence: int,
    council_counter_offer_pence: int | None,
    quoted_annual_pence: int,
    ceiling_pence: int,
) -> list[tuple[str, str]]:
    """What is wrong with a negotiation round (annual amounts, in pence), as (field, message).

    The rules, so that the record of a negotiation can be relied on:

    - a round happens after the panel approved the placement (``decided_on``, the meeting's
      date) and not in the future;
    - the provider's offer is more than £0; it may not be more than the quoted annual cost
      when there is one (a higher price is a new quote: change the cost lines first);
    - a counter-offer, when made, is more than £0, no more than the provider's offer (the
      council does not offer more than it is asked), and within the panel's ceiling (the
      council cannot offer what the panel did not approve).
    """
    problems: list[tuple[str, str]] = []
    if on > today:
        problems.append(("on", "The date of the round must be today or in the past"))
    if on < decided_on:
        problems.append(
            (
                "on",
                f"The date of the round cannot be before the panel approved the placement on {long_date(decided_on)}",
            )
        )
    if provider_offer_pence <= 0:
        problems.append(("provider_offer_pence", "The provider's offer must be more than £0.00"))
    elif 0 < quoted_annual_pence < provider_offer_pence:
        problems.append(
            (
                "provider_offer_pence",
                f"The provider's offer of {format_pounds(provider_offer_pence)} is more than the quoted annual cost "
                f"of {format_pounds(quoted_annual_pence)}; record the new quote on the cost lines first",
            )
        )
    counter = council_counter_offer_pence
    if counter is not None:
        if counter <= 0:
            problems.append(
                (
                    "council_counter_offer_pence",
                    "A counter-offer must be more than £0.00; leave it empty if none was made",
                )
            )
        elif counter > provider_offer_pence > 0:
            problems.append(
                (
                    "council_counter_offer_pence",
                    f"The council's counter-offer of {format_pounds(counter)} is more than the provider's offer of "
                    f"{format_pounds(provider_offer_pence)}",
                )
            )
        elif counter > ceiling_pence:
            problems.append(
                (
                    "council_counter_offer_pence",
                    f"The council's counter-offer of {format_pounds(counter)} is above the panel's ceiling of "
                    f"{format_pounds(ceiling_pence)}",
                )
            )
    return problems


def totals(lines: Iterable[LineFacts]) -> tuple[int, int]:
    """(quoted, agreed) annual totals; unagreed lines add nothing to the agreed total."""
    quoted = agreed = 0
    for line in lines:
        quoted += line.quoted_annual_pence
        agreed += line.agreed_annual_pence or 0
    return quoted, agreed


# --- Finance work queues ---------------------------------------------------------------------------
# What a finance officer must act on (placements/queues.py lists each; docs/domain.md §2.5). The
# windows are the council's working practice, not statute: a contract's planned end shows this
# long before it (enough for a notice period of a term), an annual fee review this long before it
# falls due, and an attendance return is chased once the calendar month it covers has closed.

ENDING_SOON_DAYS = 90
REVIEW_DUE_DAYS = 30
# A placement review (not a fee review) shows on its queue this long before it falls due.
PLACEMENT_REVIEW_DUE_SOON_DAYS = 30


class Queue(enum.StrEnum):
    DEDUCTIONS = "deductions"
    RETURNS_MISSING = "returns-missing"
    REVIEWS_DUE = "reviews-due"
    ENDING = "ending"
    # Placement reviews (the panel's conditions), not the annual fee review above.
    PLACEMENT_REVIEWS_DUE = "placement-reviews-due"
    FEE_REVIEWS = "fee-reviews"

    @property
    def heading(self) -> str:
        return QUEUE_TITLES[self][0]

    @property
    def explanation(self) -> str:
        return QUEUE_TITLES[self][1]


QUEUE_TITLES: dict[Queue, tuple[str, str]] = {
    Queue.DEDUCTIONS: (
        "Deductions awaiting confirmation",
        "Attendance below the penalty clause's threshold: confirm or waive each deduction.",
    ),
    Queue.RETURNS_MISSING: (
        "Attendance returns not received",
        "Placements running last month with no attendance return covering any of it, by provider: chase "
        "the provider and record that you did.",
    ),
    Queue.REVIEWS_DUE: (
        "Annual fee reviews due",
        f"Active contracts whose annual fee review is overdue or falls due within {REVIEW_DUE_DAYS} days.",
    ),
    Queue.ENDING: (
        "Contracts ending soon",
        f"Active contracts whose planned end (or the earliest end their notice allows) is within "
        f"{ENDING_SOON_DAYS} days: plan the move or the extension.",
    ),
    Queue.PLACEMENT_REVIEWS_DUE: (
        "Placement reviews due",
        f"Reviews of running placements against the panel's conditions that are overdue or fall due within "
        f"{PLACEMENT_REVIEW_DUE_SOON_DAYS} days: hold the review and record its outcome.",
    ),
    Queue.FEE_REVIEWS: (
        "Fee reviews open",
        "Providers' requests for an uplift not yet settled: negotiate, agree or refuse, or wait for the panel.",
    ),
}


def last_closed_month(today: date) -> tuple[date, date]:
    """The calendar month before ``today``'s: the latest period a return can be chased for."""
    first_of_this = today.replace(day=1)
    last = first_of_this - timedelta(days=1)
    return last.replace(day=1), last


def overlaps(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    return a_start <= b_end and b_start <= a_end


def return_missing(
    period: tuple[date, date],
    *,
    placement_start: date,
    placement_finish: date | None,
    returns: Iterable[tuple[date, date]],
) -> bool:
    """True when the placement ran on some day of ``period`` and no return covers any of it."""
    start, end = period
    if not overlaps(placement_start, placement_finish or date.max, start, end):
        return False
    return not any(overlaps(r_start, r_end, start, end) for r_start, r_end in returns)


def review_due(annual_review_on: date, today: date) -> bool:
    """An annual fee review overdue or within ``REVIEW_DUE_DAYS``."""
    return annual_review_on <= today + timedelta(days=REVIEW_DUE_DAYS)


def ending_soon(end_on: date | None, today: date) -> bool:
    """A planned end from today to ``ENDING_SOON_DAYS`` ahead (a past planned end of a contract
    still active is shown too: it has run past its end)."""
    return end_on is not None and end_on <= today + timedelta(days=ENDING_SOON_DAYS)


# --- Placement reviews ---------------------------------------------------------------------------
# The panel approves a placement on conditions: when it is to be reviewed, the attendance it
# expects, the outcomes it expects for the child. Each becomes a tracked review with a due date
# (placements.models.PlacementReview). The intervals are the council's monitoring practice, not
# statute (the EHC plan's own annual review is the statutory one, in requests_app): a settling-in
# review after about a term, then one every half year while the placement runs.

FIRST_REVIEW_DAYS = 84  # 12 weeks after the start
REVIEW_INTERVAL_DAYS = 182  # about six months after the last review was held


class ReviewOutcome(enum.StrEnum):
    CONTINUE = "continue"
    CHANGE = "change"
    END = "end"

    @property
    def label(self) -> str:
        return REVIEW_OUTCOME_LABELS[self]


REVIEW_OUTCOME_LABELS: dict[ReviewOutcome, str] = {
    ReviewOutcome.CONTINUE: "Continue the placement as it is",
    ReviewOutcome.CHANGE: "Continue with changes",
    ReviewOutcome.END: "End the placement",
}

# A review can be held while the placement runs: active, or negotiating its annual fee review
# (the child is still there). Ending needs an active contract (the END transition).
REVIEW_STATUSES = frozenset({ContractStatus.ACTIVE, ContractStatus.NEGOTIATING})
# Scheduling or changing a review is possible before the placement starts, too.
REVIEW_SCHEDULE_STATUSES = frozenset({ContractStatus.DRAFT, ContractStatus.NEGOTIATING, ContractStatus.ACTIVE})


class ReviewState(enum.StrEnum):
    DONE = "done"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    UPCOMING = "upcoming"

    @property
    def label(self) -> str:
        return {"done": "Done", "overdue": "Overdue", "due_soon": "Due soon", "upcoming": "Upcoming"}[self.value]


def first_review_due(start_on: date) -> date:
    """The settling-in review: ``FIRST_REVIEW_DAYS`` after the placement starts."""
    return start_on + timedelta(days=FIRST_REVIEW_DAYS)


def next_review_due(held_on: date) -> date:
    """The review after one held on ``held_on``."""
    return held_on + timedelta(days=REVIEW_INTERVAL_DAYS)


def review_state(due_on: date, today: date, *, outcome: str = "") -> ReviewState:
    """Where a review stands: done once it has an outcome; otherwise overdue after its due day,
    due soon within ``PLACEMENT_REVIEW_DUE_SOON_DAYS``, upcoming before that."""
    if outcome:
        return ReviewState.DONE
    if due_on < today:
        return ReviewState.OVERDUE
    if due_on <= today + timedelta(days=PLACEMENT_REVIEW_DUE_SOON_DAYS):
        return ReviewState.DUE_SOON
    return ReviewState.UPCOMING


def placement_review_due(due_on: date, today: date) -> bool:
    """An open review for the finance queue: overdue or due within the window."""
    return review_state(due_on, today) in (ReviewState.OVERDUE, ReviewState.DUE_SOON)


def review_outcomes_allowed(status: ContractStatus | str) -> list[ReviewOutcome]:
    """The outcomes a review may record for a contract in ``status``."""
    status = ContractStatus(status)
    if status is ContractStatus.ACTIVE:
        return list(ReviewOutcome)
    if status in REVIEW_STATUSES:
        return [ReviewOutcome.CONTINUE, ReviewOutcome.CHANGE]
    return []


def review_outcome_problems(
    *,
    status: ContractStatus | str,
    outcome: str,
    held_on: date | None,
    today: date,
    placement_start: date,
    evidence: str,
    next_review_on: date | None,
) -> list[tuple[str, str]]:
    """What stops a review's outcome being recorded, as (field, message) pairs."""
    problems: list[tuple[str, str]] = []
    allowed = review_outcomes_allowed(status)
    if not allowed:
        label = ContractStatus(status).label.lower()
        return [("outcome", f"A placement that is {label} cannot have a review outcome recorded")]
    if outcome not in {o.value for o in ReviewOutcome}:
        problems.append(("outcome", "Select the outcome of the review"))
    elif ReviewOutcome(outcome) not in allowed:
        problems.append(
            ("outcome", "A placement whose fees are being renegotiated cannot be ended; agree the fees first")
        )
    if held_on is None:
        problems.append(("held_on", "Enter the date the review was held"))
    else:
        if held_on > today:
            problems.append(("held_on", "The date the review was held must be today or in the past"))
        if held_on < placement_start:
            problems.append(
                ("held_on", f"The review cannot be before the placement started on {long_date(placement_start)}")
            )
        if next_review_on is not None and next_review_on <= held_on:
            problems.append(("next_review_on", "The next review must be after the date this one was held"))
    if not evidence.strip():
        problems.append(("evidence", "Enter the evidence the review considered"))
    if outcome == ReviewOutcome.END and next_review_on is not None:
        problems.append(("next_review_on", "A placement that is ending has no next review; leave it empty"))
    return problems


_ATTENDANCE_PERCENT = re.compile(r"(\d{1,3}(?:\.\d{1,2})?)\s*(?:%|per\s*cent)", re.IGNORECASE)


def expected_attendance_from(conditions: str) -> Decimal | None:
    """The attendance the panel expects, read from its conditions: the first percentage in a
    sentence that mentions attendance ("attendance of at least 90%" -> 90). ``None`` if none."""
    for sentence in re.split(r"[;\n]|\.(?=\s|$)", conditions):
        if "attend" not in sentence.lower():
            continue
        match = _ATTENDANCE_PERCENT.search(sentence)
        if match:
            value = Decimal(match.group(1))
            if 0 < value <= 100:
                return value
    return None


def attendance_expectation_note(expected: Decimal | None, threshold: Decimal | None) -> str | None:
    """How the penalty clause's threshold compares with the attendance the panel expected; ``None``
    when they agree or either is missing."""
    if expected is None or threshold is None or expected == threshold:
        return None
    if threshold > expected:
        return (
            f"The penalty clause's threshold of {_threshold(threshold)}% is above the {_threshold(expected)}% "
            "attendance the panel expected: a deduction would be taken for attendance the panel accepted."
        )
    return (
        f"The penalty clause's threshold of {_threshold(threshold)}% is below the {_threshold(expected)}% "
        "attendance the panel expected: attendance can fall short of the expectation without a deduction."
    )


# --- Ending and notice -----------------------------------------------------------------------------


class LeavingReason(enum.StrEnum):
    REVIEW_DECISION = "review_decision"
    MOVED_SCHOOL = "moved_school"
    MOVED_AWAY = "moved_away"
    PROVIDER_NOTICE = "provider_notice"
    PARENT_REQUEST = "parent_request"
    PHASE_COMPLETED = "phase_completed"
    PLAN_CEASED = "plan_ceased"
    OTHER = "other"

    @property
    def label(self) -> str:
        return LEAVING_REASON_LABELS[self]


LEAVING_REASON_LABELS: dict[LeavingReason, str] = {
    LeavingReason.REVIEW_DECISION: "Ended after a placement review",
    LeavingReason.MOVED_SCHOOL: "Moved to another school or college",
    LeavingReason.MOVED_AWAY: "Moved out of the council's area",
    LeavingReason.PROVIDER_NOTICE: "The provider gave notice",
    LeavingReason.PARENT_REQUEST: "The parent or young person asked to end it",
    LeavingReason.PHASE_COMPLETED: "Completed the phase or course",
    LeavingReason.PLAN_CEASED: "The EHC plan ceased",
    LeavingReason.OTHER: "Other",
}


class NoticeUnit(enum.StrEnum):
    DAYS = "days"
    WEEKS = "weeks"


MAX_NOTICE_DAYS = 366


def notice_days(amount: int, unit: NoticeUnit | str) -> int:
    """A notice period in days: ``amount`` days, or ``amount`` weeks of seven days."""
    return amount * 7 if NoticeUnit(unit) is NoticeUnit.WEEKS else amount


def notice_period_problem(amount: int | None, unit: NoticeUnit | str) -> str | None:
    if amount is None:
        return None
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        return "Enter the notice period as a whole number, 0 or more"
    if notice_days(amount, unit) > MAX_NOTICE_DAYS:
        return "A notice period can be at most a year"
    return None


def earliest_end(notice_given_on: date, notice_period_days: int | None) -> date:
    """The first day the placement may end once notice is given: the notice day plus the
    period (no period: the notice day itself)."""
    return notice_given_on + timedelta(days=notice_period_days or 0)


def ends_before_notice(end_on: date, *, notice_given_on: date, notice_period_days: int | None) -> bool:
    """True when ``end_on`` is earlier than the notice allows (it then needs a recorded reason)."""
    return end_on < earliest_end(notice_given_on, notice_period_days)


def notice_problems(
    *,
    status: ContractStatus | str,
    given_on: date | None,
    planned_end_on: date | None,
    today: date,
    placement_start: date,
    notice_period_days: int | None,
    early_reason: str,
) -> list[tuple[str, str]]:
    """What stops notice being recorded, as (field, message) pairs."""
    if ContractStatus(status) is not ContractStatus.ACTIVE:
        return [("given_on", "Notice can be given only on an active placement")]
    problems: list[tuple[str, str]] = []
    if given_on is None:
        problems.append(("given_on", "Enter the date notice was given"))
    elif given_on > today:
        problems.append(("given_on", "The date notice was given must be today or in the past"))
    elif given_on < placement_start:
        problems.append(
            ("given_on", f"Notice cannot be given before the placement started on {long_date(placement_start)}")
        )
    if planned_end_on is None:
        problems.append(("planned_end_on", "Enter the planned last day of the placement"))
    elif given_on is not None and planned_end_on < given_on:
        problems.append(("planned_end_on", "The planned last day must be on or after the day notice was given"))
    elif (
        given_on is not None
        and ends_before_notice(planned_end_on, notice_given_on=given_on, notice_period_days=notice_period_days)
        and not early_reason.strip()
    ):
        allowed = earliest_end(given_on, notice_period_days)
        problems.append(
            (
                "early_end_reason",
                f"The notice period allows the placement to end on {long_date(allowed)} at the earliest; "
                "enter the reason it ends sooner",
            )
        )
    return problems


def ending_date(end_on: date | None, notice_given_on: date | None, notice_period_days: int | None) -> date | None:
    """When an active placement is due to end: its planned end, or else the earliest end its
    notice allows; ``None`` if neither is known."""
    if end_on is not None:
        return end_on
    if notice_given_on is not None:
        return earliest_end(notice_given_on, notice_period_days)
    return None


# --- Financial years -------------------------------------------------------------------------------
#
# A council's financial year runs from 1 April to 31 March (docs/domain.md, purchasing power over
# time). A year is named by the calendar year it starts in: 2025 is "2025-26".


def financial_year_of(day: date) -> int:
    """The financial year ``day`` falls in, by its starting calendar year."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year_bounds(year: int) -> tuple[date, date]:
    """The first and last day (1 April, 31 March) of financial year ``year``."""
    return date(year, 4, 1), date(year + 1, 3, 31)


def financial_year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def financial_year_days(year: int) -> int:
    start, end = financial_year_bounds(year)
    return (end - start).days + 1


def share_percent(part_pence: int, whole_pence: int) -> Decimal | None:
    """``part`` as a percentage of ``whole`` to one decimal place (half up); ``None`` of nothing."""
    if whole_pence <= 0:
        return None
    return (Decimal(part_pence) * 100 / Decimal(whole_pence)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def pro_rata_pence(annual_pence_days: int | Decimal, year_days: int) -> int:
    """A sum of annual amount × days in place, over the days of the year: pence, half up."""
    return round_half_up(Decimal(annual_pence_days) / Decimal(year_days))


# --- Contract versions: the fee in force on a day --------------------------------------------------
# A contract keeps its fees as versions with effective dates (docs/domain.md §2.6). Version 1 is
# the original agreement, in force from the placement's start; each agreed annual fee review adds
# the next, in force from its agreed effective date. A version is in force from its date until the
# day before the next one's: the latest version starting on or before a day is the one in force.
# Effective dates are unique per contract, so versions can neither overlap nor leave a gap.


@dataclass(frozen=True)
class VersionFacts:
    """A contract version as the rules see it."""

    version_no: int
    effective_from: date
    annual_cost_pence: int


def version_in_force(versions: Iterable[VersionFacts], day: date) -> VersionFacts | None:
    """The version in force on ``day``: the one with the latest ``effective_from`` on or before
    it. ``None`` before the first version (the placement had not started)."""
    in_force: VersionFacts | None = None
    for version in versions:
        if version.effective_from <= day and (in_force is None or version.effective_from > in_force.effective_from):
            in_force = version
    return in_force


def annual_cost_in_force(versions: Iterable[VersionFacts], day: date) -> int | None:
    """The agreed annual cost in force on ``day`` (pence), or ``None`` before the first version."""
    version = version_in_force(versions, day)
    return None if version is None else version.annual_cost_pence


def version_date_problems(
    effective_from: date, *, latest_effective_from: date | None, placement_start: date, placement_finish: date | None
) -> list[tuple[str, str]]:
    """Why a new version cannot take effect on ``effective_from``: it must fall within the
    placement and after the latest version already agreed (versions are added in date order,
    so the history is never rewritten)."""
    problems: list[tuple[str, str]] = []
    if effective_from < placement_start:
        problems.append(
            (
                "effective_from",
                f"The new fee cannot take effect before the placement started on {long_date(placement_start)}",
            )
        )
    if placement_finish is not None and effective_from > placement_finish:
        problems.append(
            (
                "effective_from",
                f"The new fee cannot take effect after the placement ends on {long_date(placement_finish)}",
            )
        )
    if latest_effective_from is not None and effective_from <= latest_effective_from:
        problems.append(
            (
                "effective_from",
                "The new fee must take effect after the current fee, which took effect on "
                f"{long_date(latest_effective_from)}",
            )
        )
    return problems


# --- Annual fee reviews ------------------------------------------------------------------------------
# The provider asks for an uplift; the council negotiates line by line; the outcome is agreed,
# refused or withdrawn. An agreed figure within the panel's ceiling takes effect from the agreed
# date; one above it goes back to the panel as a new referral, and takes effect only once the panel
# approves it with a ceiling that covers it (until then the old fee stays in force):
#
#   received -> negotiating -> agreed                          (within the ceiling)
#                    |      -> awaiting_panel -> agreed        (the panel approves)
#                    |                        -> refused       (the panel declines)
#                    |                        -> negotiating   (approved, but below the figure)
#                    +-> refused | withdrawn  (also from received)


class FeeReviewStatus(enum.StrEnum):
    RECEIVED = "received"
    NEGOTIATING = "negotiating"
    AWAITING_PANEL = "awaiting_panel"
    AGREED = "agreed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return FEE_REVIEW_STATUS_LABELS[self]


FEE_REVIEW_STATUS_LABELS: dict[FeeReviewStatus, str] = {
    FeeReviewStatus.RECEIVED: "Received",
    FeeReviewStatus.NEGOTIATING: "Negotiating",
    FeeReviewStatus.AWAITING_PANEL: "Waiting for the panel",
    FeeReviewStatus.AGREED: "Agreed",
    FeeReviewStatus.REFUSED: "Refused",
    FeeReviewStatus.WITHDRAWN: "Withdrawn",
}
OPEN_FEE_REVIEW_STATUSES = frozenset(
    {FeeReviewStatus.RECEIVED, FeeReviewStatus.NEGOTIATING, FeeReviewStatus.AWAITING_PANEL}
)


class FeeReviewAction(enum.StrEnum):
    RECORD_LINE = "record_line"
    AGREE = "agree"
    REFER_TO_PANEL = "refer_to_panel"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"
    PANEL_APPROVE = "panel_approve"
    PANEL_DECLINE = "panel_decline"
    PANEL_RETURN = "panel_return"

    @property
    def label(self) -> str:
        return FEE_REVIEW_ACTION_LABELS[self]


FEE_REVIEW_ACTION_LABELS: dict[FeeReviewAction, str] = {
    FeeReviewAction.RECORD_LINE: "Line negotiated",
    FeeReviewAction.AGREE: "Fee review agreed within the panel's ceiling",
    FeeReviewAction.REFER_TO_PANEL: "Fee review referred to the panel (above its ceiling)",
    FeeReviewAction.REFUSE: "Fee review refused",
    FeeReviewAction.WITHDRAW: "Fee review withdrawn by the provider",
    FeeReviewAction.PANEL_APPROVE: "The panel approved the new fee",
    FeeReviewAction.PANEL_DECLINE: "The panel declined the new fee",
    FeeReviewAction.PANEL_RETURN: "The panel's ceiling is below the agreed fee: negotiation resumed",
}

_FR = FeeReviewStatus
_FA = FeeReviewAction
FEE_REVIEW_TRANSITIONS: dict[tuple[FeeReviewStatus, FeeReviewAction], transitions.Transition[FeeReviewStatus]] = {
    (_FR.RECEIVED, _FA.RECORD_LINE): transitions.Transition(_FR.NEGOTIATING, MANAGE),
    (_FR.NEGOTIATING, _FA.RECORD_LINE): transitions.Transition(None, MANAGE),
    (_FR.NEGOTIATING, _FA.AGREE): transitions.Transition(_FR.AGREED, MANAGE),
    (_FR.NEGOTIATING, _FA.REFER_TO_PANEL): transitions.Transition(_FR.AWAITING_PANEL, MANAGE),
    (_FR.RECEIVED, _FA.REFUSE): transitions.Transition(_FR.REFUSED, MANAGE),
    (_FR.NEGOTIATING, _FA.REFUSE): transitions.Transition(_FR.REFUSED, MANAGE),
    (_FR.RECEIVED, _FA.WITHDRAW): transitions.Transition(_FR.WITHDRAWN, MANAGE),
    (_FR.NEGOTIATING, _FA.WITHDRAW): transitions.Transition(_FR.WITHDRAWN, MANAGE),
    # The panel's decision on the referral, recorded by the chair.
    (_FR.AWAITING_PANEL, _FA.PANEL_APPROVE): transitions.Transition(_FR.AGREED, Capability.PANEL_CHAIR),
    (_FR.AWAITING_PANEL, _FA.PANEL_DECLINE): transitions.Transition(_FR.REFUSED, Capability.PANEL_CHAIR),
    (_FR.AWAITING_PANEL, _FA.PANEL_RETURN): transitions.Transition(_FR.NEGOTIATING, Capability.PANEL_CHAIR),
}

_FEE_REVIEW_PHRASES: dict[FeeReviewAction, str] = {
    _FA.RECORD_LINE: "have its lines negotiated",
    _FA.AGREE: "be agreed",
    _FA.REFER_TO_PANEL: "be referred to the panel",
    _FA.REFUSE: "be refused",
    _FA.WITHDRAW: "be withdrawn",
    _FA.PANEL_APPROVE: "take the panel's approval",
    _FA.PANEL_DECLINE: "take the panel's refusal",
    _FA.PANEL_RETURN: "be returned by the panel",
}


def _fee_review_refusal(status: FeeReviewStatus, action: FeeReviewAction) -> str:
    return f"A fee review that is {status.label.lower()} cannot {_FEE_REVIEW_PHRASES[action]}."


def check_fee_review_transition(
    status: FeeReviewStatus | str, action: FeeReviewAction | str
) -> transitions.Transition[FeeReviewStatus]:
    return transitions.check(
        FEE_REVIEW_TRANSITIONS, FeeReviewStatus(status), FeeReviewAction(action), _fee_review_refusal
    )


def fee_review_allowed_actions(status: FeeReviewStatus | str) -> list[FeeReviewAction]:
    return transitions.allowed_actions(FEE_REVIEW_TRANSITIONS, FeeReviewStatus(status), FeeReviewAction)


def fee_review_agree_action(agreed_annual_pence: int, ceiling_pence: int) -> FeeReviewAction:
    """An agreed fee within the panel's ceiling takes effect; above it, it goes to the panel."""
    return FeeReviewAction.AGREE if agreed_annual_pence <= ceiling_pence else FeeReviewAction.REFER_TO_PANEL


def fee_review_panel_action(
    outcome: str, *, ceiling_pence: int | None, agreed_annual_pence: int
) -> FeeReviewAction | None:
    """What the panel's decision on a fee review's referral does to it: an approval whose ceiling
    covers the agreed fee puts it in force; an approval below it sends the review back to
    negotiation (within the new ceiling); a decline refuses it; a deferral or a request for more
    information leaves it waiting (``None``)."""
    if outcome in {"approve", "approve_with_conditions"}:
        if ceiling_pence is not None and agreed_annual_pence <= ceiling_pence:
            return FeeReviewAction.PANEL_APPROVE
        return FeeReviewAction.PANEL_RETURN
    if outcome == "decline":
        return FeeReviewAction.PANEL_DECLINE
    return None


@dataclass(frozen=True)
class ReviewLineFacts:
    """One cost line in a fee review: amounts per period, annualised with the line's periods."""

    period: Period | str
    periods_per_year: int
    current_amount_pence: int
    requested_amount_pence: int
    agreed_amount_pence: int | None


def review_totals(lines: Iterable[ReviewLineFacts]) -> tuple[int, int, int]:
    """(current, requested, agreed) annual totals of a fee review's lines; an unagreed line adds
    nothing to the agreed total."""
    current = requested = agreed = 0
    for line in lines:
        current += annualise(line.current_amount_pence, line.period, line.periods_per_year)
        requested += annualise(line.requested_amount_pence, line.period, line.periods_per_year)
        if line.agreed_amount_pence is not None:
            agreed += annualise(line.agreed_amount_pence, line.period, line.periods_per_year)
    return current, requested, agreed


def review_figures(lines: Iterable[ReviewLineFacts]) -> tuple[list[PriceFigures], PriceFigures]:
    """Each fee review line's figures, annualised (before = the amount in force when the review
    arrived, asked, agreed, and so saving and uplift), and the total's: the total is agreed only
    once every line is."""
    per_line = [
        PriceFigures(
            before_pence=annualise(line.current_amount_pence, line.period, line.periods_per_year),
            asked_pence=annualise(line.requested_amount_pence, line.period, line.periods_per_year),
            agreed_pence=None
            if line.agreed_amount_pence is None
            else annualise(line.agreed_amount_pence, line.period, line.periods_per_year),
        )
        for line in lines
    ]
    all_agreed = bool(per_line) and all(f.agreed_pence is not None for f in per_line)
    total = PriceFigures(
        before_pence=sum(f.before_pence for f in per_line),
        asked_pence=sum(f.asked_pence for f in per_line),
        agreed_pence=sum(f.agreed_pence or 0 for f in per_line) if all_agreed else None,
    )
    return per_line, total


def fee_review_agree_problems(lines: Sequence[ReviewLineFacts]) -> list[tuple[str, str]]:
    """What stops a fee review being agreed: every line must have an agreed amount."""
    if not lines:
        return [("lines", "The contract has no cost lines to review")]
    unagreed = sum(1 for line in lines if line.agreed_amount_pence is None)
    if unagreed:
        noun = "line has" if unagreed == 1 else "lines have"
        return [("lines", f"{unagreed} cost {noun} no agreed amount; agree every line first")]
    return []


# The panel's coarser cost categories (panels.workflow.CostCategory), for a fee review's referral.
_PANEL_COST_CATEGORY: dict[CostCategory, str] = {
    CostCategory.TUITION: "tuition",
    CostCategory.RESIDENTIAL: "residential",
    CostCategory.THERAPY_SPEECH_LANGUAGE: "therapies",
    CostCategory.THERAPY_OCCUPATIONAL: "therapies",
    CostCategory.THERAPY_PHYSIO: "therapies",
    CostCategory.THERAPY_OTHER: "therapies",
    CostCategory.ONE_TO_ONE_SUPPORT: "one_to_one",
    CostCategory.TRANSPORT: "transport",
    CostCategory.OTHER: "other",
}


def panel_cost_category(category: CostCategory | str) -> str:
    """The panel's cost category for a contract's cost line category."""
    return _PANEL_COST_CATEGORY[CostCategory(category)]
