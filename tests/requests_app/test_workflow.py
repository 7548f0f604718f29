"""The request workflow as data: transitions, who may act, deadlines. No database."""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from core.roles import Capability
from requests_app import workflow
from requests_app.workflow import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    Action,
    Status,
    TransitionError,
    allowed_actions,
    check_transition,
    missing_fields,
    next_deadline,
    next_status,
    stage_label,
)

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_PY = ROOT / "requests_app" / "workflow.py"

S = Status
A = Action
C = Capability
DECIDING = [S.RECEIVED, S.EVALUATING, S.AWAITING_DECISION]
ASSESSING = [S.ASSESSING, S.AWAITING_ISSUE_DECISION]
OPEN = sorted(OPEN_STATUSES)
STAY = None

# The specification, written out independently of the module: (from, action) -> (to, capability).
# ``STAY`` means the request keeps its status; reopen's target is checked separately.
EXPECTED: dict[tuple[Status, Action], tuple[Status | None, Capability]] = {
    (S.RECEIVED, A.START_EVALUATION): (S.EVALUATING, C.REQUEST_EVALUATE),
    (S.EVALUATING, A.RECORD_EVALUATION): (STAY, C.REQUEST_EVALUATE),
    (S.EVALUATING, A.COMPLETE_EVALUATION): (S.AWAITING_DECISION, C.REQUEST_EVALUATE),
    **{(s, A.DECIDE_TO_ASSESS): (S.ASSESSING, C.REQUEST_DECIDE) for s in DECIDING},
    **{(s, A.DECIDE_NOT_TO_ASSESS): (S.REFUSED, C.REQUEST_DECIDE) for s in DECIDING},
    **{(s, A.REQUEST_ADVICE): (STAY, C.REQUEST_DECIDE) for s in ASSESSING},
    **{(s, A.RECORD_ADVICE): (STAY, C.ADVICE_RECORD) for s in ASSESSING},
    **{(s, A.CANCEL_ADVICE): (STAY, C.REQUEST_DECIDE) for s in ASSESSING},
    (S.ASSESSING, A.COMPLETE_ASSESSMENT): (S.AWAITING_ISSUE_DECISION, C.REQUEST_DECIDE),
    **{(s, A.DECIDE_NOT_TO_ISSUE): (S.NOT_ISSUED, C.REQUEST_DECIDE) for s in ASSESSING},
    **{(s, A.DECIDE_TO_ISSUE): (S.DRAFTING, C.REQUEST_DECIDE) for s in ASSESSING},
    (S.DRAFTING, A.ISSUE_DRAFT): (S.DRAFT_ISSUED, C.REQUEST_DECIDE),
    (S.DRAFT_ISSUED, A.RECORD_FAMILY_COMMENTS): (STAY, C.REQUEST_DECIDE),
    (S.DRAFT_ISSUED, A.ISSUE_FINAL): (S.PLAN_ISSUED, C.REQUEST_DECIDE),
    **{(s, A.ADD_EXCEPTION): (STAY, C.REQUEST_DECIDE) for s in OPEN},
    **{(s, A.REMOVE_EXCEPTION): (STAY, C.REQUEST_DECIDE) for s in OPEN},
    **{(s, A.ASSIGN): (STAY, C.REQUEST_ASSIGN) for s in OPEN},
    **{(s, A.WITHDRAW): (S.WITHDRAWN, C.REQUEST_DECIDE) for s in OPEN},
    **{(s, A.REOPEN): (STAY, C.REQUEST_REOPEN) for s in (S.REFUSED, S.NOT_ISSUED, S.WITHDRAWN)},
    **{
        (s, A.REFER_TO_PANEL): (STAY, C.PANEL_REFER)
        for s in (S.ASSESSING, S.AWAITING_ISSUE_DECISION, S.DRAFTING, S.DRAFT_ISSUED, S.PLAN_ISSUED)
    },
}
DISALLOWED = sorted(set(itertools.product(Status, Action)) - set(EXPECTED))


def test_the_table_is_exactly_the_specification() -> None:
    assert set(TRANSITIONS) == set(EXPECTED)


@pytest.mark.parametrize(("status", "action"), sorted(EXPECTED), ids=lambda v: v.value)
def test_allowed_transition(status: Status, action: Action) -> None:
    to, capability = EXPECTED[(status, action)]
    transition = check_transition(status, action)
    assert transition.capability is capability
    assert transition.to is to
    if action is not A.REOPEN:
        assert next_status(status, action) is (to or status)


@pytest.mark.parametrize(("status", "action"), DISALLOWED, ids=lambda v: v.value)
def test_disallowed_transition_is_refused_with_a_clear_message(status: Status, action: Action) -> None:
    with pytest.raises(TransitionError) as caught:
        check_transition(status, action)
    message = caught.value.message
    assert message.startswith(f"A request that is {status.label} cannot ")
    assert message.endswith(".")
    assert caught.value.status is status and caught.value.action is action
    with pytest.raises(TransitionError):
        next_status(status, action)


def test_refused_request_must_be_reopened_before_it_is_assessed() -> None:
    with pytest.raises(
        TransitionError,
        match=r"^A request that is Refused to assess cannot be assessed\. "
        r"Reopen it first\.$",
    ):
        check_transition(S.REFUSED, A.DECIDE_TO_ASSESS)


def test_issued_plan_is_closed_for_good() -> None:
    with pytest.raises(TransitionError, match="Plan issued cannot be withdrawn. The request is closed."):
        check_transition(S.PLAN_ISSUED, A.WITHDRAW)


def test_strings_are_accepted_as_well_as_enums() -> None:
    assert check_transition("received", "start_evaluation").to is S.EVALUATING


@pytest.mark.parametrize(
    ("closed", "previous"),
    [(S.REFUSED, s) for s in DECIDING] + [(S.NOT_ISSUED, s) for s in ASSESSING] + [(S.WITHDRAWN, s) for s in OPEN],
)
def test_reopen_restores_the_status_before_closing(closed: Status, previous: Status) -> None:
    assert next_status(closed, A.REOPEN, previous_status=previous) is previous


@pytest.mark.parametrize(
    ("closed", "previous"),
    [(S.REFUSED, S.ASSESSING), (S.NOT_ISSUED, S.RECEIVED), (S.WITHDRAWN, S.PLAN_ISSUED), (S.REFUSED, None)],
)
def test_reopen_refuses_a_status_the_request_cannot_have_come_from(closed: Status, previous: Status | None) -> None:
    with pytest.raises(TransitionError, match="cannot go back to"):
        next_status(closed, A.REOPEN, previous_status=previous)


def test_open_and_closed_statuses_partition_the_statuses() -> None:
    assert set(Status) == OPEN_STATUSES | CLOSED_STATUSES
    assert not OPEN_STATUSES & CLOSED_STATUSES
    assert {S.REFUSED, S.NOT_ISSUED, S.PLAN_ISSUED, S.WITHDRAWN} == CLOSED_STATUSES


def test_status_labels_are_uk_english() -> None:
    assert [s.label for s in Status] == [
        "Received",
        "Provision evaluation",
        "Awaiting decision to assess",
        "Refused to assess",
        "Assessing",
        "Awaiting decision to issue",
        "Not issued",
        "Drafting plan",
        "Draft plan issued",
        "Plan issued",
        "Withdrawn",
    ]


def test_every_action_and_event_has_a_label() -> None:
    assert all(a.label for a in Action)
    assert all(e.label for e in workflow.EventAction)
    assert {a.value for a in Action} <= {e.value for e in workflow.EventAction}


def test_every_action_needs_one_capability_whatever_the_status() -> None:
    for (_, action), transition in TRANSITIONS.items():
        assert workflow.ACTION_CAPABILITY[action] is transition.capability


def test_allowed_actions() -> None:
    assert allowed_actions(S.DRAFT_ISSUED) == [
        A.RECORD_FAMILY_COMMENTS,
        A.ISSUE_FINAL,
        A.ADD_EXCEPTION,
        A.REMOVE_EXCEPTION,
        A.ASSIGN,
        A.WITHDRAW,
        A.REFER_TO_PANEL,
    ]
    assert allowed_actions(S.PLAN_ISSUED) == [A.REFER_TO_PANEL]
    assert allowed_actions(S.REFUSED) == [A.REOPEN]


# --- Deadlines -------------------------------------------------------------------------------

DECISION, NOT_ISSUE, FINAL = date(2025, 3, 14), date(2025, 5, 23), date(2025, 6, 20)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.RECEIVED, DECISION),
        (S.EVALUATING, DECISION),
        (S.AWAITING_DECISION, DECISION),
        (S.ASSESSING, NOT_ISSUE),  # reg 10: the decision not to issue is due by week 16
        (S.AWAITING_ISSUE_DECISION, NOT_ISSUE),
        (S.DRAFTING, FINAL),
        (S.DRAFT_ISSUED, FINAL),
        (S.REFUSED, None),
        (S.NOT_ISSUED, None),
        (S.PLAN_ISSUED, None),
        (S.WITHDRAWN, None),
    ],
)
def test_next_deadline_follows_the_stage(status: Status, expected: date | None) -> None:
    assert (
        next_deadline(status, decision_target_on=DECISION, not_issue_target_on=NOT_ISSUE, final_plan_target_on=FINAL)
        == expected
    )


def test_stage_labels() -> None:
    assert stage_label(S.EVALUATING) == "Deciding whether to assess"
    assert stage_label(S.AWAITING_ISSUE_DECISION) == "Needs assessment"
    assert stage_label(S.DRAFT_ISSUED) == "EHC plan"
    assert {stage_label(s) for s in CLOSED_STATUSES} == {"Closed"}


# --- Stage rules and reasons ----------------------------------------------------------------


def test_a_refusal_needs_reasons_a_date_and_the_rights_text() -> None:
    errors = missing_fields(A.DECIDE_NOT_TO_ASSESS, {"reasons": [], "rights_text_sent": False})
    assert set(errors) == {"notified_on", "reasons", "rights_text_sent"}
    assert "reg 5(3)" in errors["rights_text_sent"][0]
    assert (
        missing_fields(
            A.DECIDE_NOT_TO_ASSESS,
            {"notified_on": date(2025, 1, 1), "reasons": ["no_evidence_of_sen"], "rights_text_sent": True},
        )
        == {}
    )


def test_actions_without_rules_need_nothing() -> None:
    assert missing_fields(A.ASSIGN, {}) == {}


def test_s36_reason_codes() -> None:
    assert list(workflow.S36_REFUSAL_REASONS) == [
        "no_evidence_of_sen",
        "needs_met_by_sen_support",
        "insufficient_graduated_response",
        "progress_with_current_support",
        "other",
    ]
    assert list(workflow.S36_ASSESS_REASONS) == ["has_or_may_have_sen", "may_need_ehc_plan_provision", "other"]
    assert workflow.S36_REFUSAL_REASONS["needs_met_by_sen_support"] == (
        "Needs can be met from resources normally available (SEN support)"
    )


# --- Purity ----------------------------------------------------------------------------------


def test_workflow_source_has_no_django_import() -> None:
    tree = ast.parse(WORKFLOW_PY.read_text(encoding="utf-8"))
    imported: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            imported.append(node.module)
    assert "core.roles" in imported
    assert not [name for name in imported if name.split(".")[0] == "django"]


def test_importing_workflow_does_not_load_the_orm() -> None:
    # senportal/__init__.py loads the Celery app (and with it django.conf), so the whole of
    # django cannot be kept out; the ORM can.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import requests_app.workflow; "
        "assert not any(m == 'django.db' or m.startswith('django.db.') for m in sys.modules), "
        "sorted(m for m in sys.modules if m.startswith('django.db'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
