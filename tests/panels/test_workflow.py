"""The panel's rules as data: transitions, quorum, recusal, complete referrals, minimised
identity, decision rules, minutes. No database."""

from __future__ import annotations

import ast
import itertools
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from core.roles import Capability
from panels import workflow
from panels.workflow import (
    MEETING_TRANSITIONS,
    REFERRAL_TRANSITIONS,
    ChildFacts,
    DecisionOutcome,
    ItemFacts,
    MeetingAction,
    MeetingStatus,
    MemberFacts,
    MinutesFacts,
    ReferralAction,
    ReferralFacts,
    ReferralStatus,
    TransitionError,
    check_meeting_transition,
    check_referral_transition,
    conflicts_for,
    decision_missing,
    minimised_child,
    minutes_body,
    quorum,
    referral_missing,
)

WORKFLOW_PY = Path(__file__).resolve().parents[2] / "panels" / "workflow.py"

MS = MeetingStatus
MA = MeetingAction
RS = ReferralStatus
RA = ReferralAction
C = Capability
STAY = None

# The specification, written out independently of the module.
MEETING_EXPECTED: dict[tuple[MeetingStatus, MeetingAction], tuple[MeetingStatus | None, Capability]] = {
    (MS.SCHEDULED, MA.ADD_ITEM): (STAY, C.PANEL_CHAIR),
    (MS.SCHEDULED, MA.WITHDRAW_ITEM): (STAY, C.PANEL_CHAIR),
    (MS.PAPERS_CIRCULATED, MA.WITHDRAW_ITEM): (STAY, C.PANEL_CHAIR),
    (MS.SCHEDULED, MA.CIRCULATE_PAPERS): (MS.PAPERS_CIRCULATED, C.PANEL_CHAIR),
    (MS.SCHEDULED, MA.DECLARE_INTEREST): (STAY, C.PANEL_VIEW),
    (MS.PAPERS_CIRCULATED, MA.DECLARE_INTEREST): (STAY, C.PANEL_VIEW),
    (MS.HELD, MA.DECLARE_INTEREST): (STAY, C.PANEL_VIEW),
    (MS.PAPERS_CIRCULATED, MA.RECORD_ATTENDANCE): (STAY, C.PANEL_CHAIR),
    (MS.HELD, MA.RECORD_ATTENDANCE): (STAY, C.PANEL_CHAIR),
    (MS.PAPERS_CIRCULATED, MA.MARK_HELD): (MS.HELD, C.PANEL_CHAIR),
    (MS.HELD, MA.RECORD_DECISION): (STAY, C.PANEL_CHAIR),
    (MS.PAPERS_CIRCULATED, MA.DEFER_ITEM): (STAY, C.PANEL_CHAIR),
    (MS.HELD, MA.DEFER_ITEM): (STAY, C.PANEL_CHAIR),
    (MS.PAPERS_CIRCULATED, MA.CORRECT_DECLARATION): (STAY, C.PANEL_CHAIR),
    (MS.HELD, MA.CORRECT_DECLARATION): (STAY, C.PANEL_CHAIR),
    (MS.HELD, MA.CORRECT_ATTENDANCE): (STAY, C.PANEL_CHAIR),
    (MS.HELD, MA.DRAFT_MINUTES): (STAY, C.PANEL_CHAIR),
    (MS.HELD, MA.APPROVE_MINUTES): (MS.MINUTES_APPROVED, C.PANEL_CHAIR),
}
MEETING_DISALLOWED = sorted(set(itertools.product(MeetingStatus, MeetingAction)) - set(MEETING_EXPECTED))

REFERRAL_EXPECTED: dict[tuple[ReferralStatus, ReferralAction], tuple[ReferralStatus | None, Capability]] = {
    (RS.AWAITING_PANEL, RA.UPDATE): (STAY, C.PANEL_REFER),
    (RS.AWAITING_PANEL, RA.ADD_TO_AGENDA): (RS.ON_AGENDA, C.PANEL_CHAIR),
    (RS.ON_AGENDA, RA.WITHDRAW_FROM_AGENDA): (RS.AWAITING_PANEL, C.PANEL_CHAIR),
    (RS.ON_AGENDA, RA.DECIDE): (RS.DECIDED, C.PANEL_CHAIR),
    (RS.ON_AGENDA, RA.RETURN): (RS.AWAITING_PANEL, C.PANEL_CHAIR),
}
REFERRAL_DISALLOWED = sorted(set(itertools.product(ReferralStatus, ReferralAction)) - set(REFERRAL_EXPECTED))


# --- Transitions -------------------------------------------------------------------------------


def test_meeting_table_is_exactly_the_specification() -> None:
    assert set(MEETING_TRANSITIONS) == set(MEETING_EXPECTED)


def test_referral_table_is_exactly_the_specification() -> None:
    assert set(REFERRAL_TRANSITIONS) == set(REFERRAL_EXPECTED)


@pytest.mark.parametrize(("status", "action"), sorted(MEETING_EXPECTED), ids=str)
def test_allowed_meeting_transition(status: MeetingStatus, action: MeetingAction) -> None:
    to, capability = MEETING_EXPECTED[(status, action)]
    transition = check_meeting_transition(status, action)
    assert (transition.to, transition.capability) == (to, capability)


@pytest.mark.parametrize(("status", "action"), MEETING_DISALLOWED, ids=str)
def test_disallowed_meeting_transition(status: MeetingStatus, action: MeetingAction) -> None:
    with pytest.raises(TransitionError, match=f"A meeting that is {status.label.lower()} cannot"):
        check_meeting_transition(status.value, action.value)


@pytest.mark.parametrize(("status", "action"), sorted(REFERRAL_EXPECTED), ids=str)
def test_allowed_referral_transition(status: ReferralStatus, action: ReferralAction) -> None:
    to, capability = REFERRAL_EXPECTED[(status, action)]
    transition = check_referral_transition(status, action)
    assert (transition.to, transition.capability) == (to, capability)


@pytest.mark.parametrize(("status", "action"), REFERRAL_DISALLOWED, ids=str)
def test_disallowed_referral_transition(status: ReferralStatus, action: ReferralAction) -> None:
    with pytest.raises(TransitionError, match=f"A referral that is {status.label.lower()} cannot"):
        check_referral_transition(status, action)


def test_the_agenda_is_fixed_once_the_papers_are_out() -> None:
    with pytest.raises(TransitionError, match="cannot have items added"):
        check_meeting_transition(MS.PAPERS_CIRCULATED, MA.ADD_ITEM)
    assert check_meeting_transition(MS.PAPERS_CIRCULATED, MA.WITHDRAW_ITEM).to is None


@pytest.mark.parametrize(
    ("outcome", "action", "status"),
    [
        (DecisionOutcome.APPROVE, RA.DECIDE, RS.DECIDED),
        (DecisionOutcome.APPROVE_WITH_CONDITIONS, RA.DECIDE, RS.DECIDED),
        (DecisionOutcome.DECLINE, RA.DECIDE, RS.DECIDED),
        (DecisionOutcome.DEFER, RA.RETURN, RS.AWAITING_PANEL),
        (DecisionOutcome.MORE_INFORMATION, RA.RETURN, RS.AWAITING_PANEL),
    ],
)
def test_a_decision_settles_or_returns_the_referral(
    outcome: DecisionOutcome, action: ReferralAction, status: ReferralStatus
) -> None:
    assert workflow.referral_after(outcome) == (action, status)


# --- Quorum ------------------------------------------------------------------------------------

FULL = [(1, "sen"), (2, "ep"), (3, "finance"), (4, "head_teacher")]


def test_one_of_each_officer_and_four_members_is_quorate() -> None:
    result = quorum(FULL, [], minimum_headcount=4)
    assert result.quorate
    assert result.missing == []
    assert result.counts == {"sen": 1, "ep": 1, "finance": 1, "head_teacher": 1, "total": 4}


@pytest.mark.parametrize(
    ("absent_type", "message"),
    [
        ("sen", "No SEN member present and not recused"),
        ("ep", "No educational psychology member present and not recused"),
        ("finance", "No finance member present and not recused"),
    ],
)
def test_each_required_member_type_must_be_present(absent_type: str, message: str) -> None:
    present = [(pk, kind) for pk, kind in FULL if kind != absent_type] + [(9, "head_teacher")]
    result = quorum(present, [], minimum_headcount=4)
    assert not result.quorate
    assert result.missing == [message]


@pytest.mark.parametrize(
    ("recused_id", "message"),
    [
        (1, "No SEN member present and not recused"),
        (2, "No educational psychology member present and not recused"),
        (3, "No finance member present and not recused"),
    ],
)
def test_a_recused_member_does_not_count(recused_id: int, message: str) -> None:
    present = [*FULL, (9, "head_teacher")]
    result = quorum(present, [recused_id], minimum_headcount=4)
    assert result.missing == [message]
    assert result.counts["total"] == 4


def test_headcount_below_the_minimum() -> None:
    result = quorum(FULL[:3], [], minimum_headcount=4)
    assert not result.quorate
    assert result.missing == ["Only 3 members present and not recused; at least 4 are needed"]


def test_a_recused_head_teacher_can_make_the_item_inquorate_on_headcount() -> None:
    result = quorum(FULL, [4], minimum_headcount=4)
    assert result.missing == ["Only 3 members present and not recused; at least 4 are needed"]
    assert quorum(FULL, [4], minimum_headcount=3).quorate


def test_every_shortfall_is_listed() -> None:
    result = quorum([(4, "head_teacher")], [], minimum_headcount=4)
    assert len(result.missing) == 4
    assert result.missing[-1] == "Only 1 member present and not recused; at least 4 are needed"
    assert result.as_dict()["quorate"] is False


# --- Recusal -----------------------------------------------------------------------------------

ITEM = ItemFacts(proposed_establishment_id=10, option_establishment_ids=[20, 21], preference_establishment_id=30)


@pytest.mark.parametrize(
    ("school", "reason"),
    [
        (10, "Head teacher of the proposed school"),
        (20, "Head teacher of a school considered as an option"),
        (21, "Head teacher of a school considered as an option"),
        (30, "Head teacher of the school the parents prefer"),
    ],
)
def test_a_head_teacher_of_a_school_in_the_case_is_recused(school: int, reason: str) -> None:
    assert conflicts_for(MemberFacts(1, "head_teacher", school), ITEM) == [reason]


def test_every_reason_is_given() -> None:
    item = ItemFacts(proposed_establishment_id=10, option_establishment_ids=[10], preference_establishment_id=10)
    assert len(conflicts_for(MemberFacts(1, "head_teacher", 10), item)) == 3


def test_a_head_teacher_of_another_school_is_not_recused() -> None:
    assert conflicts_for(MemberFacts(1, "head_teacher", 99), ITEM) == []


@pytest.mark.parametrize("member_type", ["sen", "ep", "finance"])
def test_officers_are_not_recused_automatically(member_type: str) -> None:
    assert conflicts_for(MemberFacts(1, member_type, 10), ITEM) == []


def test_no_school_on_the_item_means_no_conflict() -> None:
    assert conflicts_for(MemberFacts(1, "head_teacher", 10), ItemFacts(proposed_establishment_id=None)) == []


# --- A complete referral ---------------------------------------------------------------------

COMPLETE = ReferralFacts(
    kind="independent_special",
    proposed_establishment_id=10,
    parental_preference="The proposed school",
    needs_summary="ASD, high anxiety",
    option_reasons=["No place"],
    cost_line_amounts=[6_000_000],
)


def _with(**changes: Any) -> ReferralFacts:
    return ReferralFacts(**{**COMPLETE.__dict__, **changes})


def test_a_complete_referral_misses_nothing() -> None:
    assert referral_missing(COMPLETE) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"proposed_establishment_id": None}, "proposed_establishment", "Select the proposed school"),
        ({"parental_preference": "  "}, "parental_preference", "Record the parents' or young person's preference"),
        ({"needs_summary": ""}, "needs_summary", "Enter a summary of the child's needs"),
        ({"option_reasons": []}, "options", "Add at least one maintained or academy option considered"),
        (
            {"option_reasons": ["ok", ""]},
            "options",
            "Give the reason each option considered does or does not meet need",
        ),
        ({"cost_line_amounts": []}, "cost_lines", "Add the requested annual cost"),
        ({"cost_line_amounts": [0]}, "cost_lines", "The requested annual cost must be more than £0"),
    ],
)
def test_each_missing_part_is_named(changes: dict[str, Any], field: str, message: str) -> None:
    assert referral_missing(_with(**changes)) == [(field, message)]


@pytest.mark.parametrize("kind", ["exceptional_top_up", "one_to_one", "therapy", "transport"])
def test_a_funding_request_needs_no_proposed_school(kind: str) -> None:
    assert referral_missing(_with(kind=kind, proposed_establishment_id=None)) == []


def test_an_empty_referral_lists_everything_in_form_order() -> None:
    empty = ReferralFacts(
        kind="non_maintained_special", proposed_establishment_id=None, parental_preference="", needs_summary=""
    )
    assert [f for f, _ in referral_missing(empty)] == [
        "proposed_establishment",
        "parental_preference",
        "needs_summary",
        "options",
        "cost_lines",
    ]


# --- Decisions -----------------------------------------------------------------------------------

YES = {
    "suitable_answer": "yes",
    "compatible_answer": "yes",
    "resources_answer": "yes",
    "reasons_text": "Because",
    "requested_annual_cost_pence": 100,
}


def test_an_approval_with_a_ceiling_is_complete() -> None:
    assert decision_missing("approve", {**YES, "agreed_annual_ceiling_pence": 100}) == []


@pytest.mark.parametrize(
    ("outcome", "values", "field"),
    [
        ("approve", YES, "agreed_annual_ceiling_pence"),
        ("approve_with_conditions", {**YES, "agreed_annual_ceiling_pence": 100}, "conditions"),
        (
            "approve",
            {**YES, "agreed_annual_ceiling_pence": 100, "resources_answer": "no", "resources_text": "x"},
            "outcome",
        ),
        ("decline", YES, "outcome"),
        (
            "decline",
            {**YES, "agreed_annual_ceiling_pence": 1, "resources_answer": "no", "resources_text": "x"},
            "agreed_annual_ceiling_pence",
        ),
        ("decline", {**YES, "suitable_answer": "no"}, "suitable_text"),
        ("defer", YES, "deferred_to"),
        ("more_information", {**YES, "deferred_to": 3}, "deferred_to"),
        ("more_information", {**YES, "reasons_text": " "}, "reasons_text"),
        ("more_information", {**YES, "compatible_answer": "maybe"}, "compatible_answer"),
    ],
)
def test_decision_rules(outcome: str, values: dict[str, Any], field: str) -> None:
    assert [f for f, _ in decision_missing(outcome, values)] == [field]


def test_a_decline_on_resources_with_costs_compared_is_complete() -> None:
    values = {**YES, "resources_answer": "no", "resources_text": "A maintained place meets need for £25,000"}
    assert decision_missing("decline", values) == []
    assert decision_missing("defer", {**YES, "deferred_to": 7}) == []


# --- Minimised identity --------------------------------------------------------------------

CHILD = ChildFacts(
    forename="Amelia", surname="Testperson", date_of_birth=date(2014, 3, 1), district="Swale", primary_need="ASD"
)


def test_minimised_child_is_initials_age_district_and_need() -> None:
    assert minimised_child(CHILD, date(2025, 2, 28)) == {
        "initials": "AT",
        "age": 10,
        "district": "Swale",
        "primary_need": "ASD",
    }
    assert minimised_child(CHILD, date(2025, 3, 1))["age"] == 11


def test_minimised_child_holds_no_name_or_date_of_birth() -> None:
    text = repr(minimised_child(CHILD, date(2025, 1, 1)))
    assert "Amelia" not in text and "Testperson" not in text and "2014" not in text


# --- Minutes -----------------------------------------------------------------------------------


def test_minutes_record_attendance_declarations_and_decisions() -> None:
    facts = MinutesFacts(
        meeting_id=5,
        held_on=date(2025, 1, 15),
        location="Sessions House",
        chair="Pat Chair",
        attendance=[
            {"name": "Sam Sen", "member_type": "sen", "present": True},
            {"name": "Hana Head", "member_type": "head_teacher", "present": True},
            {"name": "Fin Finance", "member_type": "finance", "present": False},
        ],
        items=[
            {
                "position": 1,
                "referral_id": 40,
                "kind": "independent_special",
                "initials": "AT",
                "declarations": [
                    {
                        "name": "Hana Head",
                        "nature": "prejudicial",
                        "interest": "Head teacher of the proposed school",
                        "recused": True,
                        "automatic": True,
                    },
                    {"name": "Sam Sen", "nature": "none", "interest": "", "recused": False, "automatic": False},
                ],
                "decision": {
                    "outcome": "approve_with_conditions",
                    "suitable_answer": "yes",
                    "compatible_answer": "yes",
                    "resources_answer": "not_assessed",
                    "reasons_text": "Only setting able to meet need",
                    "agreed_annual_ceiling_pence": 5_500_000,
                    "conditions": "Review at 6 months",
                },
            },
            {
                "position": 2,
                "referral_id": 41,
                "kind": "transport",
                "initials": "BC",
                "declarations": [],
                "withdrawn_reason": "Family moved",
                "decision": None,
            },
        ],
    )
    body, content = minutes_body(facts)
    assert "15 January 2025, Sessions House" in body
    assert "Present: Sam Sen (SEN officer), Hana Head (Special school head teacher)" in body
    assert "Apologies: Fin Finance" in body
    assert "Hana Head, prejudicial interest – Head teacher of the proposed school (recused automatically)" in body
    assert "Sam Sen, no interest (took part)" in body  # every declaration is minuted
    assert "Outcome: Approved with conditions" in body
    assert "Compatible with the efficient use of resources: Not assessed" in body
    assert "Agreed annual cost ceiling: £55,000.00" in body
    assert "Withdrawn from the agenda: Family moved" in body
    assert content["items"][0]["decision"]["outcome"] == "approve_with_conditions"
    assert content["held_on"] == "2025-01-15"


# --- Purity ------------------------------------------------------------------------------------


def test_workflow_source_has_no_django_import() -> None:
    tree = ast.parse(WORKFLOW_PY.read_text(encoding="utf-8"))
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            modules.append(node.module)
    assert not [m for m in modules if m.split(".")[0] == "django"]
