"""The central placement panel's rules, as data: meetings, referrals, quorum, recusal.

Pure Python (no Django import), so every rule here is tested without a database (docs/style.md
item 1). ``panels/services.py`` consults this module before it changes anything; the models
build their choices from the enums below.

The panel scrutinises every request for an independent or non-maintained special school
(INMSS) place and other high-cost funding requests (docs/domain.md §2.3, §6.1 step 6), applying the
s.39(4) tests: suitable for the child's age, ability, aptitude and SEN; compatible with the
efficient education of others; compatible with the efficient use of resources.

    meeting:  scheduled -> papers_circulated -> held -> minutes_approved
    referral: awaiting_panel -> on_agenda -> decided (approve, approve with conditions, decline)
                                          -> awaiting_panel (deferred, more information, withdrawn
                                             from the agenda)
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core import workflow as transitions
from core.roles import Capability
from requests_app.clocks import age_on

__all__ = [
    "BENCHMARK_MIN_COMPARISONS",
    "CEILING_MARGIN_ABOVE_REQUEST_PERCENT",
    "Benchmark",
    "CostFlag",
    "benchmark_from_percentiles",
    "benchmark_of",
    "cost_flags",
    "inspection_below_good",
    "percentile",
    "REDACTED",
    "ChildIdentifiers",
    "DeclarationState",
    "PapersAccess",
    "attendance_refusal",
    "ceiling_needs_reason",
    "identifier_message",
    "identifiers_in",
    "item_chair_refusal",
    "member_declaration_refusal",
    "papers_access",
    "redact_identifiers",
    "sitting_ids",
    "DECISION_OUTCOME_LABELS",
    "FINAL_OUTCOMES",
    "MEETING_STATUS_LABELS",
    "MEETING_TRANSITIONS",
    "PLACEMENT_KINDS",
    "REFERRAL_TRANSITIONS",
    "REQUIRED_MEMBER_TYPES",
    "S39_TESTS",
    "ChildFacts",
    "CostCategory",
    "DeclarationNature",
    "DecisionOutcome",
    "ItemFacts",
    "MeetingAction",
    "MeetingStatus",
    "MemberFacts",
    "MemberType",
    "MinutesFacts",
    "QuorumResult",
    "ReferralAction",
    "ReferralFacts",
    "ReferralKind",
    "ReferralStatus",
    "TestAnswer",
    "Transition",
    "TransitionError",
    "check_meeting_transition",
    "check_referral_transition",
    "conflicts_for",
    "decision_missing",
    "minimised_child",
    "minutes_body",
    "quorum",
    "referral_missing",
]


# --- Enums ---------------------------------------------------------------------------------------


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    PAPERS_CIRCULATED = "papers_circulated"
    HELD = "held"
    MINUTES_APPROVED = "minutes_approved"

    @property
    def label(self) -> str:
        return MEETING_STATUS_LABELS[self]


MEETING_STATUS_LABELS: dict[MeetingStatus, str] = {
    MeetingStatus.SCHEDULED: "Scheduled",
    MeetingStatus.PAPERS_CIRCULATED: "Papers circulated",
    MeetingStatus.HELD: "Held",
    MeetingStatus.MINUTES_APPROVED: "Minutes approved",
}


class MeetingAction(enum.StrEnum):
    ADD_ITEM = "add_item"
    WITHDRAW_ITEM = "withdraw_item"
    CIRCULATE_PAPERS = "circulate_papers"
    DECLARE_INTEREST = "declare_interest"
    RECORD_ATTENDANCE = "record_attendance"
    MARK_HELD = "mark_held"
    RECORD_DECISION = "record_decision"
    DEFER_ITEM = "defer_item"  # the chair moves an item to a later meeting, with a reason
    CORRECT_DECLARATION = "correct_declaration"  # the chair, with a reason, after circulation
    CORRECT_ATTENDANCE = "correct_attendance"  # the chair, with a reason, once attendance is fixed
    DRAFT_MINUTES = "draft_minutes"
    APPROVE_MINUTES = "approve_minutes"


class ReferralStatus(enum.StrEnum):
    AWAITING_PANEL = "awaiting_panel"
    ON_AGENDA = "on_agenda"
    DECIDED = "decided"

    @property
    def label(self) -> str:
        return REFERRAL_STATUS_LABELS[self]


REFERRAL_STATUS_LABELS: dict[ReferralStatus, str] = {
    ReferralStatus.AWAITING_PANEL: "Awaiting panel",
    ReferralStatus.ON_AGENDA: "On an agenda",
    ReferralStatus.DECIDED: "Decided",
}


class ReferralAction(enum.StrEnum):
    UPDATE = "update"  # change the papers (e.g. after "more information")
    ADD_TO_AGENDA = "add_to_agenda"
    WITHDRAW_FROM_AGENDA = "withdraw_from_agenda"
    DECIDE = "decide"  # approve, approve with conditions, decline
    RETURN = "return"  # defer, more information: back to the queue for a later meeting


class ReferralKind(enum.StrEnum):
    """What the panel is asked to fund (docs/domain.md §2.2: INMSS, and other high-cost requests)."""

    INDEPENDENT_SPECIAL = "independent_special"
    NON_MAINTAINED_SPECIAL = "non_maintained_special"
    EXCEPTIONAL_TOP_UP = "exceptional_top_up"
    ONE_TO_ONE = "one_to_one"
    THERAPY = "therapy"
    TRANSPORT = "transport"

    @property
    def label(self) -> str:
        return REFERRAL_KIND_LABELS[self]

    @property
    def is_placement(self) -> bool:
        return self in PLACEMENT_KINDS


REFERRAL_KIND_LABELS: dict[ReferralKind, str] = {
    ReferralKind.INDEPENDENT_SPECIAL: "Independent special school placement",
    ReferralKind.NON_MAINTAINED_SPECIAL: "Non-maintained special school placement",
    ReferralKind.EXCEPTIONAL_TOP_UP: "Funding request – exceptional top-up",
    ReferralKind.ONE_TO_ONE: "Funding request – 1:1 support",
    ReferralKind.THERAPY: "Funding request – therapy",
    ReferralKind.TRANSPORT: "Funding request – transport",
}
PLACEMENT_KINDS: frozenset[ReferralKind] = frozenset(
    {ReferralKind.INDEPENDENT_SPECIAL, ReferralKind.NON_MAINTAINED_SPECIAL}
)


class CostCategory(enum.StrEnum):
    TUITION = "tuition"
    RESIDENTIAL = "residential"
    THERAPIES = "therapies"
    ONE_TO_ONE = "one_to_one"
    TRANSPORT = "transport"
    OTHER = "other"


COST_CATEGORY_LABELS: dict[CostCategory, str] = {
    CostCategory.TUITION: "Tuition",
    CostCategory.RESIDENTIAL: "Residential",
    CostCategory.THERAPIES: "Therapies",
    CostCategory.ONE_TO_ONE: "1:1 support",
    CostCategory.TRANSPORT: "Transport",
    CostCategory.OTHER: "Other",
}


class MemberType(enum.StrEnum):
    SEN = "sen"
    EP = "ep"
    FINANCE = "finance"
    HEAD_TEACHER = "head_teacher"


MEMBER_TYPE_LABELS: dict[MemberType, str] = {
    MemberType.SEN: "SEN officer",
    MemberType.EP: "Educational psychologist",
    MemberType.FINANCE: "Finance officer",
    MemberType.HEAD_TEACHER: "Special school head teacher",
}
# Quorum: one of each of these, present and not recused (docs/domain.md §2.4).
REQUIRED_MEMBER_TYPES: tuple[MemberType, ...] = (MemberType.SEN, MemberType.EP, MemberType.FINANCE)
_QUORUM_MISSING: dict[MemberType, str] = {
    MemberType.SEN: "No SEN member present and not recused",
    MemberType.EP: "No educational psychology member present and not recused",
    MemberType.FINANCE: "No finance member present and not recused",
}


class DeclarationNature(enum.StrEnum):
    NONE = "none"
    PERSONAL = "personal"  # declared and noted; the member may still take part
    PREJUDICIAL = "prejudicial"  # the member leaves the discussion and the decision


DECLARATION_NATURE_LABELS: dict[DeclarationNature, str] = {
    DeclarationNature.NONE: "No interest",
    DeclarationNature.PERSONAL: "Personal interest",
    DeclarationNature.PREJUDICIAL: "Prejudicial interest",
}


class DecisionOutcome(enum.StrEnum):
    APPROVE = "approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions"
    DECLINE = "decline"
    DEFER = "defer"
    MORE_INFORMATION = "more_information"

    @property
    def label(self) -> str:
        return DECISION_OUTCOME_LABELS[self]


DECISION_OUTCOME_LABELS: dict[DecisionOutcome, str] = {
    DecisionOutcome.APPROVE: "Approved",
    DecisionOutcome.APPROVE_WITH_CONDITIONS: "Approved with conditions",
    DecisionOutcome.DECLINE: "Declined",
    DecisionOutcome.DEFER: "Deferred",
    DecisionOutcome.MORE_INFORMATION: "More information needed",
}
APPROVALS: frozenset[DecisionOutcome] = frozenset({DecisionOutcome.APPROVE, DecisionOutcome.APPROVE_WITH_CONDITIONS})
# The outcomes that settle a referral; the others send it back for a later meeting.
FINAL_OUTCOMES: frozenset[DecisionOutcome] = APPROVALS | {DecisionOutcome.DECLINE}


class TestAnswer(enum.StrEnum):
    __test__ = False  # not a pytest class, whatever its name

    YES = "yes"
    NO = "no"
    NOT_ASSESSED = "not_assessed"


TEST_ANSWER_LABELS: dict[TestAnswer, str] = {
    TestAnswer.YES: "Yes",
    TestAnswer.NO: "No",
    TestAnswer.NOT_ASSESSED: "Not assessed",
}

# s.39(4) Children and Families Act 2014: the council must name the requested setting unless
# one of these fails. Keys are the decision's field prefixes.
S39_TESTS: dict[str, str] = {
    "suitable": "Suitable for the child's age, ability, aptitude and SEN",
    "compatible": "Compatible with the efficient education of others",
    "resources": "Compatible with the efficient use of resources",
}


# --- Transition tables ---------------------------------------------------------------------------


Transition = transitions.Transition
TransitionError = transitions.TransitionError


# Members declare before the meeting and may still do so when it opens; after the papers go
# out the agenda is fixed, except that the chair may withdraw an item (with a reason).
MEETING_TRANSITIONS: dict[tuple[MeetingStatus, MeetingAction], Transition[MeetingStatus]] = {
    (MeetingStatus.SCHEDULED, MeetingAction.ADD_ITEM): Transition(None, Capability.PANEL_CHAIR),
    (MeetingStatus.SCHEDULED, MeetingAction.WITHDRAW_ITEM): Transition(None, Capability.PANEL_CHAIR),
    (MeetingStatus.PAPERS_CIRCULATED, MeetingAction.WITHDRAW_ITEM): Transition(None, Capability.PANEL_CHAIR),
    (MeetingStatus.SCHEDULED, MeetingAction.CIRCULATE_PAPERS): Transition(
        MeetingStatus.PAPERS_CIRCULATED, Capability.PANEL_CHAIR
    ),
    **{
        (s, MeetingAction.DECLARE_INTEREST): Transition(None, Capability.PANEL_VIEW)
        for s in (MeetingStatus.SCHEDULED, MeetingStatus.PAPERS_CIRCULATED, MeetingStatus.HELD)
    },
    **{
        (s, MeetingAction.RECORD_ATTENDANCE): Transition(None, Capability.PANEL_CHAIR)
        for s in (MeetingStatus.PAPERS_CIRCULATED, MeetingStatus.HELD)
    },
    (MeetingStatus.PAPERS_CIRCULATED, MeetingAction.MARK_HELD): Transition(MeetingStatus.HELD, Capability.PANEL_CHAIR),
    (MeetingStatus.HELD, MeetingAction.RECORD_DECISION): Transition(None, Capability.PANEL_CHAIR),
    # The panel's terms of reference: an item the panel cannot take (the chair referred it and
    # no vice-chair is present, papers late, quorum lost) is deferred by the chair to a later
    # meeting with the reason minuted; it is not withdrawn.
    **{
        (s, MeetingAction.DEFER_ITEM): Transition(None, Capability.PANEL_CHAIR)
        for s in (MeetingStatus.PAPERS_CIRCULATED, MeetingStatus.HELD)
    },
    **{
        (s, MeetingAction.CORRECT_DECLARATION): Transition(None, Capability.PANEL_CHAIR)
        for s in (MeetingStatus.PAPERS_CIRCULATED, MeetingStatus.HELD)
    },
    (MeetingStatus.HELD, MeetingAction.CORRECT_ATTENDANCE): Transition(None, Capability.PANEL_CHAIR),
    (MeetingStatus.HELD, MeetingAction.DRAFT_MINUTES): Transition(None, Capability.PANEL_CHAIR),
    (MeetingStatus.HELD, MeetingAction.APPROVE_MINUTES): Transition(
        MeetingStatus.MINUTES_APPROVED, Capability.PANEL_CHAIR
    ),
}


REFERRAL_TRANSITIONS: dict[tuple[ReferralStatus, ReferralAction], Transition[ReferralStatus]] = {
    (ReferralStatus.AWAITING_PANEL, ReferralAction.UPDATE): Transition(None, Capability.PANEL_REFER),
    (ReferralStatus.AWAITING_PANEL, ReferralAction.ADD_TO_AGENDA): Transition(
        ReferralStatus.ON_AGENDA, Capability.PANEL_CHAIR
    ),
    (ReferralStatus.ON_AGENDA, ReferralAction.WITHDRAW_FROM_AGENDA): Transition(
        ReferralStatus.AWAITING_PANEL, Capability.PANEL_CHAIR
    ),
    (ReferralStatus.ON_AGENDA, ReferralAction.DECIDE): Transition(ReferralStatus.DECIDED, Capability.PANEL_CHAIR),
    (ReferralStatus.ON_AGENDA, ReferralAction.RETURN): Transition(
        ReferralStatus.AWAITING_PANEL, Capability.PANEL_CHAIR
    ),
}

_MEETING_PHRASES: dict[MeetingAction, str] = {
    MeetingAction.ADD_ITEM: "have items added to its agenda",
    MeetingAction.WITHDRAW_ITEM: "have items withdrawn from its agenda",
    MeetingAction.CIRCULATE_PAPERS: "have its papers circulated",
    MeetingAction.DECLARE_INTEREST: "take declarations of interest",
    MeetingAction.RECORD_ATTENDANCE: "have its attendance recorded",
    MeetingAction.MARK_HELD: "be marked as held",
    MeetingAction.RECORD_DECISION: "have decisions recorded",
    MeetingAction.DEFER_ITEM: "have items deferred by the chair",
    MeetingAction.CORRECT_DECLARATION: "have declarations corrected by the chair",
    MeetingAction.CORRECT_ATTENDANCE: "have its attendance corrected",
    MeetingAction.DRAFT_MINUTES: "have its minutes drafted",
    MeetingAction.APPROVE_MINUTES: "have its minutes approved",
}
_REFERRAL_PHRASES: dict[ReferralAction, str] = {
    ReferralAction.UPDATE: "be changed",
    ReferralAction.ADD_TO_AGENDA: "be added to an agenda",
    ReferralAction.WITHDRAW_FROM_AGENDA: "be withdrawn from an agenda",
    ReferralAction.DECIDE: "be decided",
    ReferralAction.RETURN: "be deferred or sent back for more information",
}


def _meeting_refusal(status: MeetingStatus, action: MeetingAction) -> str:
    return f"A meeting that is {status.label.lower()} cannot {_MEETING_PHRASES[action]}."


def _referral_refusal(status: ReferralStatus, action: ReferralAction) -> str:
    return f"A referral that is {status.label.lower()} cannot {_REFERRAL_PHRASES[action]}."


def check_meeting_transition(status: MeetingStatus | str, action: MeetingAction | str) -> Transition[MeetingStatus]:
    """The transition for ``action`` on a meeting in ``status``, or :class:`TransitionError`."""
    return transitions.check(MEETING_TRANSITIONS, MeetingStatus(status), MeetingAction(action), _meeting_refusal)


def check_referral_transition(status: ReferralStatus | str, action: ReferralAction | str) -> Transition[ReferralStatus]:
    """The transition for ``action`` on a referral in ``status``, or :class:`TransitionError`."""
    return transitions.check(REFERRAL_TRANSITIONS, ReferralStatus(status), ReferralAction(action), _referral_refusal)


def referral_after(outcome: DecisionOutcome | str) -> tuple[ReferralAction, ReferralStatus]:
    """The referral action a decision outcome takes, and the referral's status after it."""
    action = ReferralAction.DECIDE if DecisionOutcome(outcome) in FINAL_OUTCOMES else ReferralAction.RETURN
    return action, REFERRAL_TRANSITIONS[(ReferralStatus.ON_AGENDA, action)].status_after(ReferralStatus.ON_AGENDA)


# --- A complete referral ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralFacts:
    """What :func:`referral_missing` needs to know about a referral (no ORM objects)."""

    kind: str
    proposed_establishment_id: int | None
    parental_preference: str
    needs_summary: str
    option_reasons: Sequence[str] = ()  # one per option considered
    cost_line_amounts: Sequence[int] = ()  # pence, one per line


def referral_missing(facts: ReferralFacts) -> list[tuple[str, str]]:
    """What stops the referral going on an agenda, as (field, message) pairs in form order.

    The panel cannot apply the s.39(4) tests without the setting asked for, the maintained
    options it is compared with (and why each does or does not meet need), the child's needs
    and the cost (the efficient-use-of-resources test compares costs).
    """
    missing: list[tuple[str, str]] = []
    if ReferralKind(facts.kind).is_placement and facts.proposed_establishment_id is None:
        missing.append(("proposed_establishment", "Select the proposed school"))
    if not facts.parental_preference.strip():
        missing.append(("parental_preference", "Record the parents' or young person's preference"))
    if not facts.needs_summary.strip():
        missing.append(("needs_summary", "Enter a summary of the child's needs"))
    if not facts.option_reasons:
        missing.append(("options", "Add at least one maintained or academy option considered"))
    elif any(not reason.strip() for reason in facts.option_reasons):
        missing.append(("options", "Give the reason each option considered does or does not meet need"))
    if not facts.cost_line_amounts:
        missing.append(("cost_lines", "Add the requested annual cost"))
    elif sum(facts.cost_line_amounts) <= 0:
        missing.append(("cost_lines", "The requested annual cost must be more than £0"))
    return missing


# --- Conflicts of interest ---------------------------------------------------------------------


@dataclass(frozen=True)
class MemberFacts:
    member_id: int
    member_type: str
    establishment_id: int | None = None


@dataclass(frozen=True)
class ItemFacts:
    proposed_establishment_id: int | None
    option_establishment_ids: Collection[int] = ()
    preference_establishment_id: int | None = None


def conflicts_for(member: MemberFacts, item: ItemFacts) -> list[str]:
    """Why ``member`` must be recused from ``item`` automatically (empty: no automatic conflict).

    A head teacher whose own school is the setting proposed, the parents' preference or one of
    the options the panel weighs it against has a prejudicial interest: the decision affects
    their school's roll and funding. Other interests are for the member to declare.
    """
    if MemberType(member.member_type) is not MemberType.HEAD_TEACHER or member.establishment_id is None:
        return []
    school = member.establishment_id
    reasons: list[str] = []
    if school == item.proposed_establishment_id:
        reasons.append("Head teacher of the proposed school")
    if school == item.preference_establishment_id:
        reasons.append("Head teacher of the school the parents prefer")
    if school in set(item.option_establishment_ids):
        reasons.append("Head teacher of a school considered as an option")
    return reasons


# --- Quorum ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuorumResult:
    quorate: bool
    missing: list[str]
    counts: dict[str, int]  # members present and not recused, by type, plus "total"

    def as_dict(self) -> dict[str, Any]:
        return {"quorate": self.quorate, "missing": list(self.missing), "counts": dict(self.counts)}


def quorum(
    present_members: Iterable[tuple[int, str]], recused_ids: Collection[int], *, minimum_headcount: int
) -> QuorumResult:
    """Whether an item can be decided: one SEN, one EP and one finance member present and not
    recused, and at least ``minimum_headcount`` members present and not recused in all."""
    recused = set(recused_ids)
    sitting = {member_id: MemberType(kind) for member_id, kind in present_members if member_id not in recused}
    counts = {kind.value: sum(1 for k in sitting.values() if k is kind) for kind in MemberType}
    counts["total"] = len(sitting)
    missing = [_QUORUM_MISSING[kind] for kind in REQUIRED_MEMBER_TYPES if counts[kind.value] == 0]
    if len(sitting) < minimum_headcount:
        missing.append(
            f"Only {len(sitting)} member{'s' if len(sitting) != 1 else ''} present and not recused; "
            f"at least {minimum_headcount} are needed"
        )
    return QuorumResult(quorate=not missing, missing=missing, counts=counts)


# --- Decisions -----------------------------------------------------------------------------------


# A ceiling more than this many per cent above the requested annual cost needs a recorded
# reason. The panel agrees a ceiling against the costed request it has scrutinised under the
# efficient-use-of-resources test (s.39(4)(b)(ii) Children and Families Act 2014); 10% leaves
# room for the annual fee uplift and a small negotiation margin between referral and contract,
# and anything beyond it is no longer a decision on the request in front of the panel.
CEILING_MARGIN_ABOVE_REQUEST_PERCENT = 10


def ceiling_needs_reason(ceiling_pence: int, *, requested_pence: int, lowest_option_pence: int | None) -> str | None:
    """Why an approval's cost ceiling needs a recorded reason, or None when it does not.

    A ceiling below the lowest costed option (or, when no option was costed, below the
    requested cost) funds less than any setting considered could provide; a ceiling more than
    :data:`CEILING_MARGIN_ABOVE_REQUEST_PERCENT` above the requested cost commits money the
    panel was not asked for. Either may be right, but the minutes must say why.
    """
    floor = lowest_option_pence if lowest_option_pence is not None else requested_pence
    if ceiling_pence < floor:
        what = "the lowest costed option" if lowest_option_pence is not None else "the requested cost"
        return f"The ceiling is below {what} ({_pounds(floor)}): give the reason"
    if ceiling_pence * 100 > requested_pence * (100 + CEILING_MARGIN_ABOVE_REQUEST_PERCENT):
        return (
            f"The ceiling is more than {CEILING_MARGIN_ABOVE_REQUEST_PERCENT}% above the requested cost "
            f"({_pounds(requested_pence)}): give the reason"
        )
    return None


def decision_missing(outcome: DecisionOutcome | str, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What a decision with ``outcome`` lacks, as (field, message) pairs.

    ``values`` holds ``suitable_answer``, ``compatible_answer``, ``resources_answer`` (and their
    ``_text``), ``agreed_annual_ceiling_pence``, ``conditions``, ``deferred_to`` and
    ``reasons_text``, and for an approval ``requested_annual_cost_pence``,
    ``lowest_option_cost_pence`` and ``ceiling_reason``. A decline must say which s.39(4) test
    fails; an approval must have assessed every test and answered none "no" (s.39(4) Children
    and Families Act 2014: the council names the setting unless a test fails, so naming it
    needs all three tested); either way the panel gives its reasons.
    """
    outcome = DecisionOutcome(outcome)
    missing: list[tuple[str, str]] = []
    answers = {test: values.get(f"{test}_answer") or "" for test in S39_TESTS}
    for test, answer in answers.items():
        if answer not in set(TestAnswer):
            missing.append((f"{test}_answer", f"Answer the test: {S39_TESTS[test]}"))
        elif answer == TestAnswer.NO and not str(values.get(f"{test}_text") or "").strip():
            missing.append((f"{test}_text", f"Explain why the setting is not: {S39_TESTS[test].lower()}"))
        elif outcome in APPROVALS and answer == TestAnswer.NOT_ASSESSED:
            missing.append((f"{test}_answer", f"An approval must assess the test: {S39_TESTS[test]}"))
    ceiling = values.get("agreed_annual_ceiling_pence")
    if outcome in APPROVALS:
        if ceiling is None:
            missing.append(("agreed_annual_ceiling_pence", "Enter the agreed annual cost ceiling"))
        elif ceiling == 0:
            missing.append(("agreed_annual_ceiling_pence", "The agreed annual cost ceiling must be more than £0"))
        elif isinstance(ceiling, int) and ceiling > 0 and not str(values.get("ceiling_reason") or "").strip():
            problem = ceiling_needs_reason(
                ceiling,
                requested_pence=int(values.get("requested_annual_cost_pence") or 0),
                lowest_option_pence=values.get("lowest_option_cost_pence"),
            )
            if problem:
                missing.append(("ceiling_reason", problem))
        if any(answer == TestAnswer.NO for answer in answers.values()):
            missing.append(("outcome", "A placement cannot be approved when a s.39(4) test is answered no"))
    elif ceiling is not None:
        missing.append(("agreed_annual_ceiling_pence", "Only an approval has an agreed cost ceiling"))
    if outcome not in APPROVALS and str(values.get("ceiling_reason") or "").strip():
        missing.append(("ceiling_reason", "Only an approval has a cost ceiling to give a reason for"))
    if outcome is DecisionOutcome.APPROVE_WITH_CONDITIONS and not str(values.get("conditions") or "").strip():
        missing.append(("conditions", "Enter the conditions of the approval"))
    if outcome is DecisionOutcome.DECLINE and TestAnswer.NO not in answers.values():
        missing.append(("outcome", "Answer no to the s.39(4) test the request fails"))
    if outcome is DecisionOutcome.DEFER and not values.get("deferred_to"):
        missing.append(("deferred_to", "Select the meeting the item is deferred to"))
    if outcome is not DecisionOutcome.DEFER and values.get("deferred_to"):
        missing.append(("deferred_to", "Only a deferred item names a later meeting"))
    if not str(values.get("reasons_text") or "").strip():
        missing.append(("reasons_text", "Enter the panel's reasons"))
    return missing


# --- Who takes an item --------------------------------------------------------------------------


def item_chair_refusal(
    *,
    actor_id: int,
    meeting_chair_id: int,
    proposer_id: int,
    recused_user_ids: Collection[int],
    present_user_ids: Collection[int],
) -> str | None:
    """Why ``actor_id`` (who holds the chair's capability) may not take an item and record the
    panel's decision on it, or None.

    The panel's terms of reference, following the common-law rule against bias: nobody is a
    judge in their own cause. The member who proposed the referral takes no part in its
    decision, and a member with a prejudicial interest leaves the item. When the chair is
    either, a vice-chair (any member with the chair's role who is present and not conflicted)
    takes the item; otherwise the chair defers it to a later meeting with a reason.
    """
    way_through = (
        "A vice-chair present at the meeting can take the item, or the chair can defer it to a "
        "later meeting with a reason."
    )
    if actor_id == proposer_id:
        return f"You made this referral, so you take no part in the panel's decision on it. {way_through}"
    if actor_id in set(recused_user_ids):
        return f"You are recused from this item, so you cannot take it. {way_through}"
    if actor_id != meeting_chair_id and actor_id not in set(present_user_ids):
        return (
            "Only the meeting's chair, or a member with the chair's role recorded as present, can take "
            "an item and record the panel's decision."
        )
    return None


def sitting_ids(present_ids: Iterable[int], recused_ids: Collection[int], proposer_member_id: int | None) -> list[int]:
    """The members who may take part in an item: present, not recused, and not the member who
    proposed the referral (who takes no part in its decision and does not count for its quorum)."""
    out = set(recused_ids) | ({proposer_member_id} if proposer_member_id is not None else set())
    return [pk for pk in present_ids if pk not in out]


# --- Declarations and attendance after the papers are out -------------------------------------

_NATURE_RANK: dict[DeclarationNature, int] = {
    DeclarationNature.NONE: 0,
    DeclarationNature.PERSONAL: 1,
    DeclarationNature.PREJUDICIAL: 2,
}


@dataclass(frozen=True)
class DeclarationState:
    nature: str
    recused: bool


def member_declaration_refusal(
    *, meeting_status: MeetingStatus | str, before: DeclarationState | None, after: DeclarationState
) -> str | None:
    """Why a member may not change their own declaration themselves, or None.

    Before the papers go out a member may change their declaration freely. Once they are out
    (the panel's terms of reference: members read the papers on the basis of what they have
    declared) a member may add a declaration or make it stronger (declare an interest, recuse
    themselves), but only the chair, with a reason, may withdraw or weaken one: otherwise
    re-declaring "no interest" would silently un-recuse a member who has read nothing.
    """
    if MeetingStatus(meeting_status) is MeetingStatus.SCHEDULED or before is None:
        return None
    weaker = _NATURE_RANK[DeclarationNature(after.nature)] < _NATURE_RANK[DeclarationNature(before.nature)]
    if weaker or (before.recused and not after.recused):
        return (
            "The papers have gone out: you can add to your declaration but not withdraw or weaken it. "
            "Ask the chair to correct it, with a reason."
        )
    return None


def attendance_refusal(*, decisions_recorded: int) -> str | None:
    """Why attendance can no longer be recorded in the ordinary way, or None.

    Attendance is fixed once the first decision on the meeting is recorded: each decision's
    quorum rests on it, so changing it afterwards would make the minutes contradict
    themselves. A correction is then the chair's explicit action, with a reason, shown in the
    minutes.
    """
    if decisions_recorded:
        return "Attendance was fixed when the first decision was recorded. Use 'Correct attendance' and give a reason."
    return None


# --- What a member may see of a referral -------------------------------------------------------


class PapersAccess(enum.StrEnum):
    FULL = "full"  # council officers and internal members
    MINIMISED = "minimised"  # head teachers: initials, age, district, need; free text redacted
    WITHHELD = "withheld"  # recused: that the item is on the agenda, and why they are recused


def papers_access(*, recused: bool, minimised: bool) -> PapersAccess:
    """How much of a referral's papers a viewer gets (docs/architecture.md §1 and the panel's terms of
    reference): a member recused from it gets none of them, whatever their role; a head teacher
    (external) gets the minimised papers; everyone else who can see the referral gets it all."""
    if recused:
        return PapersAccess.WITHHELD
    if minimised:
        return PapersAccess.MINIMISED
    return PapersAccess.FULL


# --- A child's identifiers in free text --------------------------------------------------------


@dataclass(frozen=True)
class ChildIdentifiers:
    forename: str
    surname: str
    date_of_birth: date | None = None
    upn: str = ""


REDACTED = "[redacted]"
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ORDINAL = r"(?:st|nd|rd|th)?"


def _name_pattern(name: str, *, any_case: bool) -> str:
    words = [w for w in re.split(r"\s+", name.strip()) if w]
    body = r"[\s\-]+".join(re.escape(w) for w in words)
    if any_case:
        return rf"(?i:\b{body}\b)"
    # A single name counts when written as a name (capitalised or in capitals): "the school
    # will" is not the forename Will, "Will" and "WILL" are.
    upper = r"[\s\-]+".join(re.escape(w.upper()) for w in words)
    return rf"\b(?:{body}|{upper})\b"


def _date_patterns(born: date) -> list[str]:
    day, month, year = born.day, born.month, born.year
    d, m = rf"0?{day}", rf"0?{month}"
    yy = rf"(?:{year}|{year % 100:02d})"
    name = _MONTHS[month - 1]
    month_word = rf"(?:{name}|{name[:3]}\.?)"
    return [
        rf"(?<!\d){d}\s*[/.\-]\s*{m}\s*[/.\-]\s*{yy}(?!\d)",  # 03/04/2015, 3-4-15, 03.04.2015
        rf"(?<!\d){m}\s*/\s*{d}\s*/\s*{year}(?!\d)",  # 04/03/2015 (month first)
        rf"(?<!\d){year}\s*[/.\-]\s*{m}\s*[/.\-]\s*{d}(?!\d)",  # 2015-04-03
        rf"(?i:(?<!\d){d}{_ORDINAL}(?:\s+of)?\s+{month_word},?\s+{yy}(?!\d))",  # 3rd April 2015
        rf"(?i:\b{month_word}\s+{d}{_ORDINAL},?\s+{year}(?!\d))",  # April 3, 2015
    ]


def _identifier_patterns(child: ChildIdentifiers) -> list[tuple[str, str]]:
    """(what it is, regular expression) for each identifier, the longest first."""
    found: list[tuple[str, str]] = []
    forename, surname = child.forename.strip(), child.surname.strip()
    if forename and surname:
        found.append(("full name", _name_pattern(f"{forename} {surname}", any_case=True)))
        found.append(("full name", _name_pattern(f"{surname} {forename}", any_case=True)))
    if surname:
        found.append(("surname", _name_pattern(surname, any_case=False)))
        # Each part of a double-barrelled surname ("Taylor" of "Taylor-Smith").
        parts = [p for p in re.split(r"[\s\-]+", surname) if len(p) >= 3]
        if len(parts) > 1:
            found.extend(("surname", _name_pattern(p, any_case=False)) for p in parts)
    if len(forename) >= 2:
        found.append(("forename", _name_pattern(forename, any_case=False)))
    if child.date_of_birth is not None:
        found.extend(("date of birth", pattern) for pattern in _date_patterns(child.date_of_birth))
    upn = re.sub(r"\s", "", child.upn)
    if upn:
        spaced = r"[\s\-]?".join(re.escape(ch) for ch in upn)
        found.append(("UPN", rf"(?i:(?<![A-Za-z0-9]){spaced}(?![A-Za-z0-9]))"))
    return found


def identifiers_in(text: str, child: ChildIdentifiers) -> list[str]:
    """Which of the child's identifiers (full name, surname, forename, date of birth in the
    usual written forms, UPN) appear in ``text``, each once, in that order.

    Free text in a referral goes into every member's pack, including the head teachers', who
    may know the child only by initials, age, district and need (docs/architecture.md §1; UK GDPR
    Art. 5(1)(c), data minimisation). So the text must not identify the child.
    """
    kinds: list[str] = []
    for kind, pattern in _identifier_patterns(child):
        # Each match is struck out before the next pattern, so a full name is not also
        # reported as a surname and a forename.
        text, found = re.subn(pattern, REDACTED, text)
        if found and kind not in kinds:
            kinds.append(kind)
    return kinds


def redact_identifiers(text: str, child: ChildIdentifiers) -> str:
    """``text`` with each of the child's identifiers replaced by :data:`REDACTED`."""
    for _, pattern in _identifier_patterns(child):
        text = re.sub(pattern, REDACTED, text)
    return text


def identifier_message(label: str, kinds: Sequence[str], initials: str) -> str:
    """The refusal for free text that identifies the child, naming the field."""
    return (
        f"{label} contains the child's {' and '.join(kinds)}. "
        f"Refer to the child as 'the child' or by initials ({initials}): the papers go to members "
        "who may not know who the child is."
    )


# --- Minimised identity --------------------------------------------------------------------


@dataclass(frozen=True)
class ChildFacts:
    forename: str
    surname: str
    date_of_birth: date
    district: str
    primary_need: str


def minimised_child(child: ChildFacts, today: date) -> dict[str, Any]:
    """What a head teacher on the panel may know of the child (docs/architecture.md §1): initials, age,
    district and primary need. Never the name, date of birth or UPN."""
    return {
        "initials": f"{child.forename[:1]}{child.surname[:1]}".upper(),
        "age": age_on(child.date_of_birth, today),
        "district": child.district,
        "primary_need": child.primary_need,
    }


# --- Minutes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MinutesFacts:
    """Everything the minutes record, already reduced to plain values (ids, codes, names of
    staff, the child's initials only)."""

    meeting_id: int
    held_on: date
    location: str
    chair: str
    attendance: Sequence[Mapping[str, Any]]  # name, member_type, present
    items: Sequence[Mapping[str, Any]] = field(default_factory=list)
    # each item: position, referral_id, kind, initials, status, withdrawn_reason, referred_by
    # (name), proposer_is_member, deferred_to_held_on (a chair's deferral),
    # declarations [{name, nature, interest, recused, automatic}],
    # declaration_corrections [{name, before_nature, after_nature, recused, reason, by}],
    # decision {..., chaired_by, participants [names], quorum {...}, ceiling_reason} or None
    attendance_corrections: Sequence[Mapping[str, Any]] = field(default_factory=list)
    # each: name, present, reason, by


def _pounds(pence: int | None) -> str:
    return "—" if pence is None else f"£{pence / 100:,.2f}"


def _nature(code: str) -> str:
    return DECLARATION_NATURE_LABELS[DeclarationNature(code)].lower()


def _quorum_line(quorum: Mapping[str, Any]) -> str:
    counts = quorum.get("counts") or {}
    state = "quorate" if quorum.get("quorate") else "not quorate"
    parts = ", ".join(
        f"{counts.get(kind.value, 0)} {MEMBER_TYPE_LABELS[kind].lower()}" for kind in REQUIRED_MEMBER_TYPES
    )
    minimum = quorum.get("minimum_headcount")
    tail = f" (at least {minimum} needed)" if minimum else ""
    return f"  Quorum: {state} – {parts}; {counts.get('total', 0)} taking part in all{tail}"


def _item_lines(item: Mapping[str, Any]) -> list[str]:
    """The minutes of one agenda item (the panel's terms of reference: who declared what, who
    left the item, who took part, the quorum, the costs and the reasons are all minuted)."""
    lines = [
        f"Item {item['position']}: referral {item['referral_id']} "
        f"({REFERRAL_KIND_LABELS[ReferralKind(item['kind'])]}, child {item['initials']})"
    ]
    if item.get("referred_by"):
        took_part = (
            " (a member of the panel, who took no part in the decision)" if item.get("proposer_is_member") else ""
        )
        lines.append(f"  Referred by {item['referred_by']}{took_part}")
    for d in item["declarations"]:
        how = "recused automatically" if d["automatic"] else ("recused" if d["recused"] else "took part")
        interest = f" – {d['interest']}" if d["interest"] else ""
        lines.append(f"  Declaration: {d['name']}, {_nature(d['nature'])}{interest} ({how})")
    for c in item.get("declaration_corrections") or ():
        recused = "recused" if c["recused"] else "not recused"
        lines.append(
            f"  Declaration corrected by {c['by']}: {c['name']}, {_nature(c['before_nature'])} -> "
            f"{_nature(c['after_nature'])} ({recused}) – {c['reason']}"
        )
    if item.get("status") == "deferred":
        lines.append(
            f"  Deferred by the chair to the meeting of {item['deferred_to_held_on']}: {item['withdrawn_reason']}"
        )
    elif item.get("withdrawn_reason"):
        lines.append(f"  Withdrawn from the agenda: {item['withdrawn_reason']}")
    lines.extend(_cost_lines(item))
    decision = item.get("decision")
    if decision:
        if decision.get("chaired_by") and decision["chaired_by"] != decision.get("meeting_chair"):
            lines.append(f"  Item taken by {decision['chaired_by']} in the chair's place")
        if decision.get("participants") is not None:
            lines.append("  Members taking part: " + (", ".join(decision["participants"]) or "none"))
        if decision.get("quorum"):
            lines.append(_quorum_line(decision["quorum"]))
        lines.append(f"  Outcome: {DECISION_OUTCOME_LABELS[DecisionOutcome(decision['outcome'])]}")
        for test, label in S39_TESTS.items():
            answer = TEST_ANSWER_LABELS[TestAnswer(decision[f"{test}_answer"])]
            text = decision.get(f"{test}_text") or ""
            lines.append(f"  {label}: {answer}" + (f" – {text}" if text else ""))
        lines.append(f"  Reasons: {decision['reasons_text']}")
        if decision.get("requested_annual_cost_pence") is not None:
            lines.append(f"  Requested annual cost: {_pounds(decision['requested_annual_cost_pence'])}")
        if decision.get("agreed_annual_ceiling_pence") is not None:
            lines.append(f"  Agreed annual cost ceiling: {_pounds(decision['agreed_annual_ceiling_pence'])}")
        if decision.get("ceiling_reason"):
            lines.append(f"  Reason for the ceiling: {decision['ceiling_reason']}")
        if decision.get("conditions"):
            lines.append(f"  Conditions: {decision['conditions']}")
        if decision.get("deferred_to_id"):
            lines.append(f"  Deferred to meeting {decision['deferred_to_id']}")
    return lines


def _cost_lines(item: Mapping[str, Any]) -> list[str]:
    """The costs before the panel, each against its benchmark, with any flag; the maintained
    special-school cost per place; the proposed provider's inspection (figures only)."""
    lines: list[str] = []
    for c in item.get("cost_lines") or ():
        b = c["benchmark"]
        label = COST_CATEGORY_LABELS[CostCategory(c["category"])]
        if b["n"]:
            compared = (
                f"median elsewhere {_pounds(b['median_pence'])}, quartiles {_pounds(b['lower_quartile_pence'])} "
                f"to {_pounds(b['upper_quartile_pence'])}, range {_pounds(b['min_pence'])} to "
                f"{_pounds(b['max_pence'])} ({b['n']} agreed)"
            )
        else:
            compared = "no comparison"
        flags = "; ".join(COST_FLAG_LABELS[CostFlag(f)] for f in c["flags"])
        lines.append(
            f"  Cost: {label} {_pounds(c['annual_amount_pence'])} a year – {compared}"
            + (f" – FLAGGED: {flags.lower()}" if flags else "")
        )
    if item.get("cost_lines") and item.get("maintained_average_pence") is not None:
        lines.append(f"  Maintained special school average cost per place: {_pounds(item['maintained_average_pence'])}")
    inspection = item.get("provider_inspection")
    if inspection:
        when = f", inspected {inspection['ofsted_inspected_on']}" if inspection.get("ofsted_inspected_on") else ""
        s41 = "on the s.41 approved list" if inspection["s41_approved"] else "not on the s.41 approved list"
        flag = " – FLAGGED: below Good" if inspection["below_good"] else ""
        lines.append(f"  Proposed provider: Ofsted {inspection['ofsted_grade_label']}{when}; {s41}{flag}")
    return lines


def minutes_body(facts: MinutesFacts) -> tuple[str, dict[str, Any]]:
    """The draft minutes: plain text for people and the same content as structured data."""
    present = [a for a in facts.attendance if a["present"]]
    apologies = [a for a in facts.attendance if not a["present"]]
    lines = [
        f"Central placement panel, {facts.held_on.day} {facts.held_on:%B %Y}, {facts.location}",
        f"Chair: {facts.chair}",
        "Present: " + (", ".join(f"{a['name']} ({MEMBER_TYPE_LABELS[MemberType(a['member_type'])]})" for a in present)),
        "Apologies: " + (", ".join(a["name"] for a in apologies) or "none"),
    ]
    for c in facts.attendance_corrections:
        state = "present" if c["present"] else "absent"
        lines.append(f"Attendance corrected by {c['by']}: {c['name']} recorded as {state} – {c['reason']}")
    lines.append("")
    for item in facts.items:
        lines.extend(_item_lines(item))
        lines.append("")
    structured = {
        "meeting_id": facts.meeting_id,
        "held_on": facts.held_on.isoformat(),
        "location": facts.location,
        "chair": facts.chair,
        "attendance": [dict(a) for a in facts.attendance],
        "attendance_corrections": [dict(c) for c in facts.attendance_corrections],
        "items": [dict(i) for i in facts.items],
    }
    return "\n".join(lines).rstrip() + "\n", structured


# --- Minutes as a member reads them ---------------------------------------------------------------

_ITEM_HEADER = re.compile(r"Item (\d+): referral (\d+)(?: \(([^,()]+)(?:, child [^)]*)?\))?")
WITHHELD_ITEM_NOTE = "  Papers withheld: you were recused from this item."


def minutes_for_reader(body: str, withheld: Collection[int]) -> str:
    """The minutes' text as a member recused from some items reads it (page and download
    alike): each of those items keeps its number, its referral and the kind of case, and none of
    its content (the child's initials, the declarations, the reasons, the costs), as the agenda
    shows it to them. ``withheld``: the referral ids whose papers are withheld from the reader
    (``selectors.withheld_papers``)."""
    if not withheld:
        return body
    blocks = body.split("\n\n")
    for index, block in enumerate(blocks):
        found = _ITEM_HEADER.match(block)
        if found and int(found.group(2)) in withheld:
            kind = f" ({found.group(3)})" if found.group(3) else ""
            blocks[index] = f"Item {found.group(1)}: referral {found.group(2)}{kind}\n{WITHHELD_ITEM_NOTE}"
    return "\n\n".join(blocks)


# --- Cost intelligence -------------------------------------------------------------------------
#
# docs/domain.md "Cost intelligence": each costed line of a referral is set beside the agreed
# annual costs of the same kind of line at other providers, for children with the same primary
# need. The quartiles are interpolated exactly as PostgreSQL's ``percentile_cont`` does, so the
# figures computed here (the SQLite fallback, the tests) and in SQL agree to the penny.

# Fewer comparisons than this and the benchmark is shown but nothing is flagged: a "range" of
# one or two contracts says nothing about the market.
BENCHMARK_MIN_COMPARISONS = 3


@dataclass(frozen=True)
class Benchmark:
    """Agreed annual costs (pence) of ``n`` comparable lines: lowest, quartiles, highest."""

    n: int = 0
    low: int | None = None
    lower_quartile: int | None = None
    median: int | None = None
    upper_quartile: int | None = None
    high: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return {
            "n": self.n,
            "min_pence": self.low,
            "lower_quartile_pence": self.lower_quartile,
            "median_pence": self.median,
            "upper_quartile_pence": self.upper_quartile,
            "max_pence": self.high,
        }


class CostFlag(enum.StrEnum):
    ABOVE_UPPER_QUARTILE = "above_upper_quartile"
    ABOVE_RANGE = "above_range"
    BELOW_RANGE = "below_range"

    @property
    def label(self) -> str:
        return COST_FLAG_LABELS[self]


COST_FLAG_LABELS: dict[CostFlag, str] = {
    CostFlag.ABOVE_UPPER_QUARTILE: "Above the upper quartile",
    CostFlag.ABOVE_RANGE: "Above the highest agreed elsewhere",
    CostFlag.BELOW_RANGE: "Below the lowest agreed elsewhere",
}


def _half_up(value: Any) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percentile(sorted_values: Sequence[int], fraction: float) -> float:
    """The continuous percentile of ``sorted_values`` (ascending, not empty), interpolated
    linearly between the two nearest ranks: PostgreSQL's ``percentile_cont(fraction)``."""
    if not sorted_values:
        raise ValueError("No values to take a percentile of")
    position = fraction * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def benchmark_of(values: Iterable[int]) -> Benchmark:
    """The benchmark of a list of agreed annual amounts in pence (rounded half up to the penny)."""
    ordered = sorted(values)
    if not ordered:
        return Benchmark()
    return benchmark_from_percentiles(
        n=len(ordered),
        low=ordered[0],
        lower_quartile=percentile(ordered, 0.25),
        median=percentile(ordered, 0.5),
        upper_quartile=percentile(ordered, 0.75),
        high=ordered[-1],
    )


def benchmark_from_percentiles(
    *, n: int, low: Any, lower_quartile: Any, median: Any, upper_quartile: Any, high: Any
) -> Benchmark:
    """A benchmark from figures already computed (by SQL): pence, rounded half up."""
    if not n:
        return Benchmark()
    return Benchmark(
        n=n,
        low=_half_up(low),
        lower_quartile=_half_up(lower_quartile),
        median=_half_up(median),
        upper_quartile=_half_up(upper_quartile),
        high=_half_up(high),
    )


def maintained_average_multiple(cost_pence: int | None, average_pence: int) -> Decimal | None:
    """How many times the maintained special-school average a cost is, to one decimal place
    (half up); ``None`` with no cost or no average."""
    if cost_pence is None or average_pence <= 0:
        return None
    return (Decimal(cost_pence) / Decimal(average_pence)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def maintained_average_flag(cost_pence: int | None, average_pence: int) -> str | None:
    """The flag on an option (or the requested total) that costs more than the council's
    maintained special-school average per place: "2.1 times the maintained special school
    average". ``None`` at or below the average, or with no cost."""
    if cost_pence is None or average_pence <= 0 or cost_pence <= average_pence:
        return None
    multiple = maintained_average_multiple(cost_pence, average_pence)
    return f"{multiple} times the maintained special school average"


def cost_flags(amount_pence: int | None, benchmark: Benchmark) -> list[CostFlag]:
    """Why ``amount_pence`` stands out against ``benchmark``: above the upper quartile, above the
    highest or below the lowest comparable agreed cost. Nothing with fewer than
    ``BENCHMARK_MIN_COMPARISONS`` comparisons, or no amount."""
    if amount_pence is None or benchmark.n < BENCHMARK_MIN_COMPARISONS:
        return []
    assert benchmark.upper_quartile is not None and benchmark.high is not None and benchmark.low is not None
    flags: list[CostFlag] = []
    if amount_pence > benchmark.upper_quartile:
        flags.append(CostFlag.ABOVE_UPPER_QUARTILE)
    if amount_pence > benchmark.high:
        flags.append(CostFlag.ABOVE_RANGE)
    if amount_pence < benchmark.low:
        flags.append(CostFlag.BELOW_RANGE)
    return flags


# Ofsted's overall effectiveness grades, best first (the codes are core.models.OfstedGrade's).
OFSTED_GOOD_OR_BETTER = frozenset({"outstanding", "good"})


def inspection_below_good(grade: str) -> bool:
    """True when a provider's latest Ofsted grade is below "Good" (requires improvement or
    inadequate); False when good or better, or when no grade is recorded."""
    return bool(grade) and grade not in OFSTED_GOOD_OR_BETTER
