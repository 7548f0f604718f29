"""The life of an EHC needs-assessment request, as data: statuses, actions, who may act.

Pure Python (no Django import), so every rule here is tested without a database
(docs/style.md item 1). Services in ``requests_app/services/`` consult this module before they
change a request; models build their choices from the enums below.

The shape follows the statutory process (docs/domain.md §1.2-1.5):

    received -> evaluating -> awaiting_decision -> refused (closed)
                                                | assessing -> awaiting_issue_decision
                                                               -> not_issued (closed)
                                                               | drafting -> draft_issued
                                                                            -> plan_issued (closed)
    any open status -> withdrawn (closed); refused, not_issued, withdrawn -> reopen.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date

from core import workflow as transitions
from core.roles import Capability

__all__ = [
    "ACTION_CAPABILITY",
    "CLOSED_STATUSES",
    "EVENT_ACTION_LABELS",
    "OPEN_STATUSES",
    "REOPEN_SOURCES",
    "REQUIRED_FOR",
    "S36_ASSESS_REASONS",
    "S36_REFUSAL_REASONS",
    "STATUS_LABELS",
    "TRANSITIONS",
    "Action",
    "EventAction",
    "Status",
    "Transition",
    "TransitionError",
    "allowed_actions",
    "check_transition",
    "missing_fields",
    "next_deadline",
    "next_status",
    "stage_label",
]


class Status(enum.StrEnum):
    RECEIVED = "received"
    EVALUATING = "evaluating"
    AWAITING_DECISION = "awaiting_decision"
    REFUSED = "refused"
    ASSESSING = "assessing"
    AWAITING_ISSUE_DECISION = "awaiting_issue_decision"
    NOT_ISSUED = "not_issued"
    DRAFTING = "drafting"
    DRAFT_ISSUED = "draft_issued"
    PLAN_ISSUED = "plan_issued"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


STATUS_LABELS: dict[Status, str] = {
    Status.RECEIVED: "Received",
    Status.EVALUATING: "Provision evaluation",
    Status.AWAITING_DECISION: "Awaiting decision to assess",
    Status.REFUSED: "Refused to assess",
    Status.ASSESSING: "Assessing",
    Status.AWAITING_ISSUE_DECISION: "Awaiting decision to issue",
    Status.NOT_ISSUED: "Not issued",
    Status.DRAFTING: "Drafting plan",
    Status.DRAFT_ISSUED: "Draft plan issued",
    Status.PLAN_ISSUED: "Plan issued",
    Status.WITHDRAWN: "Withdrawn",
}

CLOSED_STATUSES: frozenset[Status] = frozenset(
    {Status.REFUSED, Status.NOT_ISSUED, Status.PLAN_ISSUED, Status.WITHDRAWN}
)
OPEN_STATUSES: frozenset[Status] = frozenset(Status) - CLOSED_STATUSES

# The statuses in which the council is still deciding whether to assess (reg 5, 6 weeks).
DECIDING_STATUSES: frozenset[Status] = frozenset({Status.RECEIVED, Status.EVALUATING, Status.AWAITING_DECISION})
# Assessment under way: the reg 10 (16-week) decision not to issue is the next limit.
ASSESSING_STATUSES: frozenset[Status] = frozenset({Status.ASSESSING, Status.AWAITING_ISSUE_DECISION})
# A plan is being written: the reg 13(2) (20-week) final plan is the next limit.
PLAN_STATUSES: frozenset[Status] = frozenset({Status.DRAFTING, Status.DRAFT_ISSUED})


class Action(enum.StrEnum):
    START_EVALUATION = "start_evaluation"
    RECORD_EVALUATION = "record_evaluation"  # save the checklist without finishing it
    COMPLETE_EVALUATION = "complete_evaluation"
    DECIDE_TO_ASSESS = "decide_to_assess"
    DECIDE_NOT_TO_ASSESS = "decide_not_to_assess"
    REQUEST_ADVICE = "request_advice"
    RECORD_ADVICE = "record_advice"
    CANCEL_ADVICE = "cancel_advice"
    COMPLETE_ASSESSMENT = "complete_assessment"
    DECIDE_NOT_TO_ISSUE = "decide_not_to_issue"
    DECIDE_TO_ISSUE = "decide_to_issue"
    ISSUE_DRAFT = "issue_draft"
    RECORD_FAMILY_COMMENTS = "record_family_comments"
    ISSUE_FINAL = "issue_final"
    ADD_EXCEPTION = "add_exception"
    REMOVE_EXCEPTION = "remove_exception"
    ASSIGN = "assign"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    REFER_TO_PANEL = "refer_to_panel"

    @property
    def label(self) -> str:
        return EVENT_ACTION_LABELS[self.value]


# ``restores`` marks the reopen action, whose target is the status the request had before it
# closed (the caller reads it from the event log and passes it to :func:`next_status`).
Transition = transitions.Transition[Status]
TransitionError = transitions.TransitionError


TRANSITIONS: dict[tuple[Status, Action], Transition] = {
    # Provision evaluation (the Kent evaluation officer's checklist, CoP 9.14).
    (Status.RECEIVED, Action.START_EVALUATION): Transition(Status.EVALUATING, Capability.REQUEST_EVALUATE),
    (Status.EVALUATING, Action.RECORD_EVALUATION): Transition(None, Capability.REQUEST_EVALUATE),
    (Status.EVALUATING, Action.COMPLETE_EVALUATION): Transition(Status.AWAITING_DECISION, Capability.REQUEST_EVALUATE),
    # reg 5(1): the decision whether to assess; it can be made at any point before assessment.
    **{
        (s, Action.DECIDE_TO_ASSESS): Transition(Status.ASSESSING, Capability.REQUEST_DECIDE) for s in DECIDING_STATUSES
    },
    **{
        (s, Action.DECIDE_NOT_TO_ASSESS): Transition(Status.REFUSED, Capability.REQUEST_DECIDE)
        for s in DECIDING_STATUSES
    },
    # reg 6: advice is sought (and may still arrive) while the assessment is under way.
    **{(s, Action.REQUEST_ADVICE): Transition(None, Capability.REQUEST_DECIDE) for s in ASSESSING_STATUSES},
    **{(s, Action.RECORD_ADVICE): Transition(None, Capability.ADVICE_RECORD) for s in ASSESSING_STATUSES},
    # Advice asked of the wrong service, or no longer needed, is cancelled with a reason; it
    # leaves the advice queue and no longer counts as awaited.
    **{(s, Action.CANCEL_ADVICE): Transition(None, Capability.REQUEST_DECIDE) for s in ASSESSING_STATUSES},
    (Status.ASSESSING, Action.COMPLETE_ASSESSMENT): Transition(
        Status.AWAITING_ISSUE_DECISION, Capability.REQUEST_DECIDE
    ),
    # reg 10(1): decision not to issue; or the decision to issue, which starts the draft.
    **{
        (s, Action.DECIDE_NOT_TO_ISSUE): Transition(Status.NOT_ISSUED, Capability.REQUEST_DECIDE)
        for s in ASSESSING_STATUSES
    },
    **{(s, Action.DECIDE_TO_ISSUE): Transition(Status.DRAFTING, Capability.REQUEST_DECIDE) for s in ASSESSING_STATUSES},
    # reg 13: draft, the family's 15 days, final plan.
    (Status.DRAFTING, Action.ISSUE_DRAFT): Transition(Status.DRAFT_ISSUED, Capability.REQUEST_DECIDE),
    (Status.DRAFT_ISSUED, Action.RECORD_FAMILY_COMMENTS): Transition(None, Capability.REQUEST_DECIDE),
    (Status.DRAFT_ISSUED, Action.ISSUE_FINAL): Transition(Status.PLAN_ISSUED, Capability.REQUEST_DECIDE),
    # Housekeeping on any open request.
    **{(s, Action.ADD_EXCEPTION): Transition(None, Capability.REQUEST_DECIDE) for s in OPEN_STATUSES},
    **{(s, Action.REMOVE_EXCEPTION): Transition(None, Capability.REQUEST_DECIDE) for s in OPEN_STATUSES},
    **{(s, Action.ASSIGN): Transition(None, Capability.REQUEST_ASSIGN) for s in OPEN_STATUSES},
    **{(s, Action.WITHDRAW): Transition(Status.WITHDRAWN, Capability.REQUEST_DECIDE) for s in OPEN_STATUSES},
    # A closed request (other than one whose plan was issued) can be reopened by a senior
    # officer, e.g. after mediation or when a withdrawal was recorded in error.
    **{
        (s, Action.REOPEN): Transition(None, Capability.REQUEST_REOPEN, restores=True)
        for s in (Status.REFUSED, Status.NOT_ISSUED, Status.WITHDRAWN)
    },
    # The placement panel sees requests once an assessment is under way (and after the plan,
    # for a change of placement).
    **{
        (s, Action.REFER_TO_PANEL): Transition(None, Capability.PANEL_REFER)
        for s in (
            Status.ASSESSING,
            Status.AWAITING_ISSUE_DECISION,
            Status.DRAFTING,
            Status.DRAFT_ISSUED,
            Status.PLAN_ISSUED,
        )
    },
}

# Each action needs the same capability whichever status it starts from; checked before the
# status so that somebody without the role is refused (403) without learning the status.
ACTION_CAPABILITY: dict[Action, Capability] = transitions.action_capabilities(TRANSITIONS)

# Where a reopened request may go back to: the statuses from which each closing action leads.
REOPEN_SOURCES: dict[Status, frozenset[Status]] = {
    Status.REFUSED: DECIDING_STATUSES,
    Status.NOT_ISSUED: ASSESSING_STATUSES,
    Status.WITHDRAWN: OPEN_STATUSES,
}

# "A request that is <status> cannot <phrase>."
_ACTION_PHRASES: dict[Action, str] = {
    Action.START_EVALUATION: "have a provision evaluation started",
    Action.RECORD_EVALUATION: "have its provision evaluation updated",
    Action.COMPLETE_EVALUATION: "have its provision evaluation completed",
    Action.DECIDE_TO_ASSESS: "be assessed",
    Action.DECIDE_NOT_TO_ASSESS: "be refused an assessment",
    Action.REQUEST_ADVICE: "have advice requested",
    Action.RECORD_ADVICE: "have advice recorded",
    Action.CANCEL_ADVICE: "have a request for advice cancelled",
    Action.COMPLETE_ASSESSMENT: "have its assessment completed",
    Action.DECIDE_NOT_TO_ISSUE: "have a decision not to issue a plan",
    Action.DECIDE_TO_ISSUE: "have a decision to issue a plan",
    Action.ISSUE_DRAFT: "have a draft plan issued",
    Action.RECORD_FAMILY_COMMENTS: "have the family's comments on the draft recorded",
    Action.ISSUE_FINAL: "have a final plan issued",
    Action.ADD_EXCEPTION: "have a clock exception added",
    Action.REMOVE_EXCEPTION: "have a clock exception removed",
    Action.ASSIGN: "be assigned to an officer",
    Action.WITHDRAW: "be withdrawn",
    Action.REOPEN: "be reopened",
    Action.REFER_TO_PANEL: "be referred to the placement panel",
}


class EventAction(enum.StrEnum):
    """What a timeline entry records: every workflow action plus the ways a request begins."""

    CREATED = "created"
    IMPORTED = "imported"
    START_EVALUATION = Action.START_EVALUATION.value
    RECORD_EVALUATION = Action.RECORD_EVALUATION.value
    COMPLETE_EVALUATION = Action.COMPLETE_EVALUATION.value
    DECIDE_TO_ASSESS = Action.DECIDE_TO_ASSESS.value
    DECIDE_NOT_TO_ASSESS = Action.DECIDE_NOT_TO_ASSESS.value
    REQUEST_ADVICE = Action.REQUEST_ADVICE.value
    RECORD_ADVICE = Action.RECORD_ADVICE.value
    CANCEL_ADVICE = Action.CANCEL_ADVICE.value
    COMPLETE_ASSESSMENT = Action.COMPLETE_ASSESSMENT.value
    DECIDE_NOT_TO_ISSUE = Action.DECIDE_NOT_TO_ISSUE.value
    DECIDE_TO_ISSUE = Action.DECIDE_TO_ISSUE.value
    ISSUE_DRAFT = Action.ISSUE_DRAFT.value
    RECORD_FAMILY_COMMENTS = Action.RECORD_FAMILY_COMMENTS.value
    ISSUE_FINAL = Action.ISSUE_FINAL.value
    ADD_EXCEPTION = Action.ADD_EXCEPTION.value
    REMOVE_EXCEPTION = Action.REMOVE_EXCEPTION.value
    ASSIGN = Action.ASSIGN.value
    WITHDRAW = Action.WITHDRAW.value
    REOPEN = Action.REOPEN.value
    REFER_TO_PANEL = Action.REFER_TO_PANEL.value
    # Written by the panels app; the request's status does not change.
    PANEL_DECISION = "panel_decision"
    # The child moved district; the request moves with them (docs/decisions/0007).
    DISTRICT_CHANGED = "district_changed"
    # Disagreement resolution (docs/domain.md §1.7): the request's status does not change.
    MEDIATION_RECORDED = "mediation_recorded"
    MEDIATION_UPDATED = "mediation_updated"
    APPEAL_REGISTERED = "appeal_registered"
    APPEAL_DECIDED = "appeal_decided"
    APPEAL_COMPLIED = "appeal_complied"
    # A SEN2 return's mediation or Tribunal flag loaded as history (docs/sen2.md): no dates but
    # the decision's and the return's census.
    DISPUTE_IMPORTED = "dispute_imported"
    # The case file's people and letters (docs/domain.md, "Letters and notices").
    CONTACT_CHANGED = "contact_changed"
    LETTER_ISSUED = "letter_issued"
    # Documents on the case (core/documents.py): the request's status does not change.
    DOCUMENT_UPLOADED = "document_uploaded"
    DOCUMENT_QUARANTINED = "document_quarantined"
    # --- Case notes and corrections (issue 13, notes): the status does not change. ---
    NOTE_ADDED = "note_added"
    CORRECTED = "corrected"
    # The SEN2 return's items (docs/sen2.md): the request's status does not change.
    SEN2_RECORDED = "sen2_recorded"
    PLACEMENT_RECORDED = "placement_recorded"

    @property
    def label(self) -> str:
        return EVENT_ACTION_LABELS[self.value]


# Timeline wording, past tense.
EVENT_ACTION_LABELS: dict[str, str] = {
    "created": "Request received",
    "imported": "Imported from the previous system",
    Action.START_EVALUATION.value: "Provision evaluation started",
    Action.RECORD_EVALUATION.value: "Provision evaluation updated",
    Action.COMPLETE_EVALUATION.value: "Provision evaluation completed",
    Action.DECIDE_TO_ASSESS.value: "Decided to assess",
    Action.DECIDE_NOT_TO_ASSESS.value: "Decided not to assess",
    Action.REQUEST_ADVICE.value: "Advice requested",
    Action.RECORD_ADVICE.value: "Advice received",
    Action.CANCEL_ADVICE.value: "Request for advice cancelled",
    Action.COMPLETE_ASSESSMENT.value: "Assessment completed",
    Action.DECIDE_NOT_TO_ISSUE.value: "Decided not to issue a plan",
    Action.DECIDE_TO_ISSUE.value: "Decided to issue a plan",
    Action.ISSUE_DRAFT.value: "Draft plan issued",
    Action.RECORD_FAMILY_COMMENTS.value: "Family's comments on the draft received",
    Action.ISSUE_FINAL.value: "Final plan issued",
    Action.ADD_EXCEPTION.value: "Clock exception added",
    Action.REMOVE_EXCEPTION.value: "Clock exception removed",
    Action.ASSIGN.value: "Assigned to an officer",
    Action.WITHDRAW.value: "Withdrawn",
    Action.REOPEN.value: "Reopened",
    Action.REFER_TO_PANEL.value: "Referred to the placement panel",
    "panel_decision": "Placement panel decision",
    "district_changed": "Child's district changed",
    "mediation_recorded": "Mediation recorded",
    "mediation_updated": "Mediation updated",
    "appeal_registered": "Appeal registered with the SEND Tribunal",
    "appeal_decided": "Tribunal decision recorded",
    "appeal_complied": "Tribunal order complied with",
    "dispute_imported": "Mediation or appeal imported from a SEN2 return (dates not recorded)",
    "contact_changed": "Family or professional contacts changed",
    "letter_issued": "Letter or notice issued",
    "document_uploaded": "Document added",
    "document_quarantined": "Document quarantined: a virus was found",
    # --- Case notes and corrections (issue 13, notes) ---
    "note_added": "Contact or note logged",
    "corrected": "Record corrected",
    "sen2_recorded": "SEN2 return details recorded",
    "placement_recorded": "Placement recorded",
}


def _refusal(status: Status, action: Action) -> str:
    message = f"A request that is {status.label} cannot {_ACTION_PHRASES[action]}."
    if (status, Action.REOPEN) in TRANSITIONS:
        message += " Reopen it first."
    elif status in CLOSED_STATUSES:
        message += " The request is closed."
    return message


def check_transition(status: Status | str, action: Action | str) -> Transition:
    """The transition for ``action`` from ``status``, or :class:`TransitionError`."""
    return transitions.check(TRANSITIONS, Status(status), Action(action), _refusal)


def next_status(status: Status | str, action: Action | str, *, previous_status: Status | str | None = None) -> Status:
    """The status after ``action``. For reopen, ``previous_status`` is the status the request
    had before it closed; it must be one the closing action can have come from."""
    status = Status(status)
    transition = check_transition(status, action)
    if transition.restores:
        target = Status(previous_status) if previous_status else None
        if target is None or target not in REOPEN_SOURCES[status]:
            raise TransitionError(
                f"A request that is {status.label} cannot go back to "
                f"{target.label if target else 'an unknown status'}.",
                status=status,
                action=Action(action),
            )
        return target
    return transition.status_after(status)


# Actions that act on one record of the request (an exception, an advice request): offered only
# when there is such a record to act on.
_NEEDS_ACTIVE_EXCEPTION: frozenset[Action] = frozenset({Action.REMOVE_EXCEPTION})
_NEEDS_AWAITED_ADVICE: frozenset[Action] = frozenset({Action.RECORD_ADVICE, Action.CANCEL_ADVICE})


def allowed_actions(
    status: Status | str, *, has_active_exception: bool = True, has_awaited_advice: bool = True
) -> list[Action]:
    """The actions the table allows from ``status``, in the order of :class:`Action`.

    ``has_active_exception`` / ``has_awaited_advice`` say whether the request has a clock
    exception still counting / advice still awaited: without one, the actions on it (remove an
    exception; record or cancel advice) are not offered."""
    allowed = transitions.allowed_actions(TRANSITIONS, Status(status), Action)
    if not has_active_exception:
        allowed = [action for action in allowed if action not in _NEEDS_ACTIVE_EXCEPTION]
    if not has_awaited_advice:
        allowed = [action for action in allowed if action not in _NEEDS_AWAITED_ADVICE]
    return allowed


def next_deadline(
    status: Status | str,
    *,
    decision_target_on: date,
    not_issue_target_on: date,
    final_plan_target_on: date,
) -> date | None:
    """The statutory target the request is working towards now (None once closed)."""
    status = Status(status)
    if status in DECIDING_STATUSES:
        return decision_target_on  # reg 5(1): 6 weeks
    if status in ASSESSING_STATUSES:
        # reg 10(1): a decision not to issue must be notified by week 16, so that is the point
        # by which the assessment must have reached its conclusion.
        return not_issue_target_on
    if status in PLAN_STATUSES:
        return final_plan_target_on  # reg 13(2): 20 weeks
    return None


_STAGE_LABELS: dict[Status, str] = {
    **{s: "Deciding whether to assess" for s in DECIDING_STATUSES},
    **{s: "Needs assessment" for s in ASSESSING_STATUSES},
    **{s: "EHC plan" for s in PLAN_STATUSES},
    **{s: "Closed" for s in CLOSED_STATUSES},
}


def stage_label(status: Status | str) -> str:
    """The phase of the 20 weeks the request is in, for queues and the timeline."""
    return _STAGE_LABELS[Status(status)]


# --- Reasons against the s.36(8) test -----------------------------------------------------------

# s.36(8): the council must assess if the child has or may have SEN and may need provision
# through an EHC plan. A refusal names why the test is not met (CoP 9.14 evidence).
S36_REFUSAL_REASONS: dict[str, str] = {
    "no_evidence_of_sen": "No evidence the child has or may have SEN",
    "needs_met_by_sen_support": "Needs can be met from resources normally available (SEN support)",
    "insufficient_graduated_response": ("Not enough evidence of the graduated response (assess, plan, do, review)"),
    "progress_with_current_support": "Good progress with current support",
    "other": "Other",
}
S36_ASSESS_REASONS: dict[str, str] = {
    "has_or_may_have_sen": "The child or young person has or may have SEN",
    "may_need_ehc_plan_provision": ("Special educational provision may need to be made through an EHC plan"),
    "other": "Other",
}

# --- Stage rules as data (data-hub-api's validate.py): what each action needs ---------------------

REQUIRED_FOR: dict[Action, dict[str, str]] = {
    Action.COMPLETE_EVALUATION: {"recommendation": "Select a recommendation"},
    Action.DECIDE_TO_ASSESS: {
        "notified_on": "Enter the date the family was told of the decision",
    },
    Action.DECIDE_NOT_TO_ASSESS: {
        "notified_on": "Enter the date the family was told of the decision",
        "reasons": "Select at least one reason the s.36(8) test is not met",
        # reg 5(3): a refusal must set out appeal and mediation rights and SENDIAS support.
        "rights_text_sent": (
            "Confirm the letter set out the right of appeal, mediation and where to get advice and support (reg 5(3))"
        ),
    },
    Action.DECIDE_TO_ISSUE: {
        "notified_on": "Enter the date the family was told of the decision",
    },
    Action.DECIDE_NOT_TO_ISSUE: {
        "notified_on": "Enter the date the family was told of the decision",
        "reasons_text": "Enter the reasons a plan is not necessary",
        # reg 10(3): same content as a refusal notice.
        "rights_text_sent": (
            "Confirm the letter set out the right of appeal, mediation and where to get advice and support (reg 10(3))"
        ),
    },
    Action.REQUEST_ADVICE: {
        "adviser_type": "Select who the advice is requested from",
        "addressee": "Enter the service or person asked for advice",
        "requested_on": "Enter the date the advice was requested",
    },
    Action.RECORD_ADVICE: {"received_on": "Enter the date the advice was received"},
    Action.CANCEL_ADVICE: {"reason": "Enter why the request for advice is being cancelled"},
    Action.ISSUE_DRAFT: {"issued_on": "Enter the date the draft plan was issued"},
    Action.RECORD_FAMILY_COMMENTS: {"received_on": "Enter the date the family's comments were received"},
    Action.ISSUE_FINAL: {
        "issued_on": "Enter the date the final plan was issued",
        "placement_type": "Select the type of placement named in the plan",
    },
    Action.ADD_EXCEPTION: {
        "kind": "Select the type of exception",
        "start": "Enter the date the exception started",
        "end": "Enter the date the exception ended",
        "evidence": "Enter the evidence for the exception",
    },
    Action.REMOVE_EXCEPTION: {"reason": "Enter why the exception is being removed"},
    Action.WITHDRAW: {
        "reason": "Enter why the request was withdrawn",
        "withdrawn_on": "Enter the date the request was withdrawn",
    },
    Action.REOPEN: {"reason": "Enter why the request is being reopened"},
}


def missing_fields(action: Action | str, values: Mapping[str, object]) -> dict[str, list[str]]:
    """Errors for the fields ``action`` requires that are empty (None, "", [], False)."""
    rules = REQUIRED_FOR.get(Action(action), {})
    return {field: [message] for field, message in rules.items() if not values.get(field)}


# --- Decision rules (regs 5, 6-8 and 10) ---------------------------------------------------------


def decision_reason_errors(
    outcome: str, *, assess_reasons: Iterable[str], refusal_reasons: Iterable[str]
) -> dict[str, str]:
    """Reasons that contradict the decision whether to assess, by the field that holds them.

    A decision to assess gives s.36(8) reasons the test is met; a refusal, reasons it is not.
    Reasons of the other kind are refused with a message rather than dropped, so what the
    officer ticked is never silently lost from the record (or from the letter)."""
    errors: dict[str, str] = {}
    wrong_refusals = [code for code in refusal_reasons if code != "other" and code in S36_REFUSAL_REASONS]
    wrong_assess = [code for code in assess_reasons if code != "other" and code in S36_ASSESS_REASONS]
    if outcome == "assess" and wrong_refusals:
        errors["refusal_reasons"] = (
            "You chose to assess but selected reasons for refusing. Untick the refusal reasons, or choose "
            "Refuse to assess"
        )
    if outcome == "refuse" and wrong_assess:
        errors["assess_reasons"] = (
            "You chose to refuse but selected reasons for assessing. Untick the reasons for assessing, or choose Assess"
        )
    return errors


# reg 6(4): the council need not seek advice under reg 6(1)(b)-(e) and (g)-(j) where advice has
# already been provided (for any purpose) and the person who gave it, the council and the
# parent or young person are satisfied it is sufficient for the assessment. A decision not to
# issue made without seeking advice (regs 6-8) records which of these applied.
ADVICE_NOT_SOUGHT_REASONS: dict[str, str] = {
    "existing_advice_agreed_sufficient": (
        "Advice already provided is sufficient: the adviser, the council and the family agree (reg 6(4))"
    ),
}


def not_issue_advice_error(*, advice_sought: bool, advice_not_sought_reason: str) -> str | None:
    """regs 6-8: a decision not to issue follows an assessment, which seeks advice. Without any
    advice sought the decision needs the statutory reason the advice was not needed."""
    if advice_sought:
        return None
    if advice_not_sought_reason in ADVICE_NOT_SOUGHT_REASONS:
        return None
    return (
        "No advice has been requested for this assessment (regs 6 to 8). Request advice first, or record "
        "that advice already provided was agreed to be sufficient (reg 6(4))"
    )


def duplicate_advice_error(adviser_type: str, *, awaited_types: Iterable[str], adviser_label: str) -> str | None:
    """One open request for advice to each service: a second one would sit in that service's
    queue twice and hold up the assessment (cancel the first if it went to the wrong place)."""
    if adviser_type in set(awaited_types):
        return (
            f"{adviser_label} advice has already been requested and is still awaited. Record it as received, "
            "or cancel that request first"
        )
    return None


# --- The placement named in the plan (section I) -------------------------------------------------

# The placement types an establishment of each GIAS type group can be named as (docs/domain.md §2.2).
# The first is the one it is named as unless the officer says otherwise: a mainstream school
# can be named for its resourced provision or SEN unit; a special school only as what it is.
PLACEMENT_TYPES_BY_ESTABLISHMENT_TYPE: dict[str, tuple[str, ...]] = {
    "mainstream_maintained": ("mainstream", "resourced_provision"),
    "mainstream_academy": ("mainstream", "resourced_provision"),
    "mainstream_independent": ("mainstream",),
    "special_maintained": ("special_maintained",),
    "special_academy": ("special_academy",),
    "non_maintained_special": ("non_maintained_special",),
    "independent_special": ("independent_special",),
    "alternative_provision": ("other",),
    "further_education": ("further_education",),
    "specialist_post16": ("specialist_post16",),
    "early_years": ("other",),
}


def placement_type_for(establishment_type: str) -> str:
    """The placement type an establishment is named as by default ('' for an unknown type)."""
    return PLACEMENT_TYPES_BY_ESTABLISHMENT_TYPE.get(establishment_type, ("",))[0]


def placement_mismatch(
    establishment_type: str,
    placement_type: str,
    *,
    establishment_name: str,
    establishment_type_label: str,
    placement_type_label: str,
) -> str | None:
    """The message when ``placement_type`` cannot describe an establishment of this type, naming both."""
    allowed = PLACEMENT_TYPES_BY_ESTABLISHMENT_TYPE.get(establishment_type)
    if allowed is None or placement_type in allowed:
        return None
    return (
        f"{establishment_name} is a {establishment_type_label.lower()}: it cannot be named as "
        f"{placement_type_label.lower()}. Choose the placement type that matches the school, or leave it blank"
    )
