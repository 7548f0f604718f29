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
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core import workflow as transitions
from core.roles import Capability
from requests_app.clocks import age_on

__all__ = [
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


def decision_missing(outcome: DecisionOutcome | str, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What a decision with ``outcome`` lacks, as (field, message) pairs.

    ``values`` holds ``suitable_answer``, ``compatible_answer``, ``resources_answer`` (and their
    ``_text``), ``agreed_annual_ceiling_pence``, ``conditions``, ``deferred_to`` and
    ``reasons_text``. A decline must say which s.39(4) test fails; an approval cannot stand
    with a test answered "no"; either way the panel gives its reasons.
    """
    outcome = DecisionOutcome(outcome)
    missing: list[tuple[str, str]] = []
    answers = {test: values.get(f"{test}_answer") or "" for test in S39_TESTS}
    for test, answer in answers.items():
        if answer not in set(TestAnswer):
            missing.append((f"{test}_answer", f"Answer the test: {S39_TESTS[test]}"))
        elif answer == TestAnswer.NO and not str(values.get(f"{test}_text") or "").strip():
            missing.append((f"{test}_text", f"Explain why the setting is not: {S39_TESTS[test].lower()}"))
    ceiling = values.get("agreed_annual_ceiling_pence")
    if outcome in APPROVALS:
        if ceiling is None:
            missing.append(("agreed_annual_ceiling_pence", "Enter the agreed annual cost ceiling"))
        if any(answer == TestAnswer.NO for answer in answers.values()):
            missing.append(("outcome", "A placement cannot be approved when a s.39(4) test is answered no"))
    elif ceiling is not None:
        missing.append(("agreed_annual_ceiling_pence", "Only an approval has an agreed cost ceiling"))
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
    # each item: position, referral_id, kind, initials, status, withdrawn_reason,
    # declarations [{name, nature, interest, recused, automatic}], decision {...} or None


def _pounds(pence: int | None) -> str:
    return "—" if pence is None else f"£{pence / 100:,.2f}"


def minutes_body(facts: MinutesFacts) -> tuple[str, dict[str, Any]]:
    """The draft minutes: plain text for people and the same content as structured data."""
    present = [a for a in facts.attendance if a["present"]]
    apologies = [a for a in facts.attendance if not a["present"]]
    lines = [
        f"Central placement panel, {facts.held_on.day} {facts.held_on:%B %Y}, {facts.location}",
        f"Chair: {facts.chair}",
        "Present: " + (", ".join(f"{a['name']} ({MEMBER_TYPE_LABELS[MemberType(a['member_type'])]})" for a in present)),
        "Apologies: " + (", ".join(a["name"] for a in apologies) or "none"),
        "",
    ]
    for item in facts.items:
        lines.append(
            f"Item {item['position']}: referral {item['referral_id']} "
            f"({REFERRAL_KIND_LABELS[ReferralKind(item['kind'])]}, child {item['initials']})"
        )
        for d in item["declarations"]:
            if d["nature"] == DeclarationNature.NONE and not d["recused"]:
                continue
            how = "recused automatically" if d["automatic"] else ("recused" if d["recused"] else "took part")
            lines.append(
                f"  Declaration: {d['name']}, {DECLARATION_NATURE_LABELS[DeclarationNature(d['nature'])].lower()}"
                f" – {d['interest']} ({how})"
            )
        if item.get("withdrawn_reason"):
            lines.append(f"  Withdrawn from the agenda: {item['withdrawn_reason']}")
        decision = item.get("decision")
        if decision:
            lines.append(f"  Outcome: {DECISION_OUTCOME_LABELS[DecisionOutcome(decision['outcome'])]}")
            for test, label in S39_TESTS.items():
                answer = TEST_ANSWER_LABELS[TestAnswer(decision[f"{test}_answer"])]
                text = decision.get(f"{test}_text") or ""
                lines.append(f"  {label}: {answer}" + (f" – {text}" if text else ""))
            lines.append(f"  Reasons: {decision['reasons_text']}")
            if decision.get("agreed_annual_ceiling_pence") is not None:
                lines.append(f"  Agreed annual cost ceiling: {_pounds(decision['agreed_annual_ceiling_pence'])}")
            if decision.get("conditions"):
                lines.append(f"  Conditions: {decision['conditions']}")
            if decision.get("deferred_to_id"):
                lines.append(f"  Deferred to meeting {decision['deferred_to_id']}")
        lines.append("")
    structured = {
        "meeting_id": facts.meeting_id,
        "held_on": facts.held_on.isoformat(),
        "location": facts.location,
        "chair": facts.chair,
        "attendance": [dict(a) for a in facts.attendance],
        "items": [dict(i) for i in facts.items],
    }
    return "\n".join(lines).rstrip() + "\n", structured
