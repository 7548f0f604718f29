"""A request from creation to closing: create and assign, the provision evaluation, the
decision whether to assess (reg 5), the assessment, the decision whether to issue (reg 10),
the draft and final plan (reg 13), withdraw and reopen, the placement panel's entries on the
timeline, and recording that somebody opened a request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from core.access import access_log_record
from core.errors import Conflict, InvalidTransition, ValidationFailed
from core.models import AccessLog, Establishment
from core.roles import Capability, Role, user_has_role
from core.staleness import mark_stale
from requests_app import clocks, stored, workflow
from requests_app.models import (
    AdviceRequest,
    AssessmentDecision,
    AssessmentRequest,
    Child,
    DecisionOutcome,
    DecisionStage,
    PlacementType,
    ProvisionEvaluation,
    Recommendation,
    RequestEvent,
    RequestSource,
    Sen2Outcome,
)
from requests_app.services.children import check_not_duplicate, child_build
from requests_app.services.common import (
    add_error,
    check_action,
    check_date,
    fail,
    lock_request,
    long_date,
    refresh_clocks,
    require,
    require_action,
    resolve_today,
    save_request,
    write_event,
)
from requests_app.services.letters import auto_letters_issue

Status = workflow.Status
Action = workflow.Action

REFERENCE_PREFIX = "REQ-"


# --- Creating and assigning --------------------------------------------------------------------


def request_create(
    *,
    actor: User,
    child: Child | None = None,
    child_data: Mapping[str, Any] | None = None,
    received_on: date,
    source: str,
    requester_name: str = "",
    requester_email: str = "",
    requester_phone: str = "",
    requester_relationship: str = "",
    assigned_officer: User | None = None,
    reference: str = "",
    imported: bool = False,
    not_duplicate_reason: str = "",
    confirmed_different_child: bool = False,
    today: date | None = None,
) -> AssessmentRequest:
    """Record a new request (day 1 = ``received_on``) for an existing child or a new one.

    A new child (``child_data``) who may already be recorded raises ``PossibleDuplicate`` with
    the candidates, before anything else is checked, unless the caller confirms, after showing
    them, that this is a different child (``confirmed_different_child=True``).

    ``imported=True`` (the importer) needs the import capability, keeps ``reference`` and
    writes an "imported" event instead of "created". ``not_duplicate_reason``: why the officer
    judged the new child different from the possible duplicates shown; it goes on the timeline.
    A request for a child who already has an EHC plan is marked as a reassessment request
    (s.44 Children and Families Act 2014).
    """
    require(actor, Capability.REQUEST_IMPORT if imported else Capability.REQUEST_CREATE)
    if child_data is not None and child is None and not confirmed_different_child:
        check_not_duplicate(child_data)
    today = resolve_today(today)
    errors: dict[str, list[str]] = {}
    if (child is None) == (child_data is None):
        add_error(errors, "child", "Select a child or enter the child's details")
    if received_on is None:
        add_error(errors, "received_on", "Enter the date the request was received")
    else:
        check_date(errors, "received_on", received_on, today=today)
    if source not in RequestSource.values:
        add_error(errors, "source", "Select who made the request")
    if assigned_officer is not None and not user_has_role(assigned_officer, Role.SEN_OFFICER):
        add_error(errors, "assigned_officer", "Select an SEN officer")
    fail(errors)

    with transaction.atomic():
        if child is None:
            assert child_data is not None
            child = child_build(child_data, today=today)
            child.save()
        else:
            # Lock the child so two requests for the same child cannot both pass the check.
            child = Child.objects.select_for_update().get(pk=child.pk)
            if child.requests.open().exists():
                raise Conflict(
                    "This child already has a request in progress. Withdraw or close it before recording a new one.",
                    field="child",
                )
        # s.44: a child with an EHC plan is reassessed, not assessed for the first time.
        has_plan = (
            AssessmentRequest.objects.filter(child=child)
            .filter(Q(final_plan_issued_on__isnull=False) | Q(status=Status.PLAN_ISSUED.value))
            .exists()
        )
        request = AssessmentRequest(
            child=child,
            is_reassessment=has_plan,
            district_id=stored.request_district(child.district_id),
            received_on=received_on,
            source=source,
            requester_name=requester_name,
            requester_email=requester_email,
            requester_phone=requester_phone,
            requester_relationship=requester_relationship,
            assigned_officer=assigned_officer,
            status=Status.RECEIVED.value,
            request_outcome=Sen2Outcome.UNDECIDED,
            reference=reference.strip(),
            imported=imported,
        )
        refresh_clocks(request)
        try:
            # A savepoint, so the IntegrityError does not poison the outer transaction.
            with transaction.atomic():
                request.save()
        except IntegrityError as exc:
            raise Conflict(
                "This child already has a request in progress, or the reference is already used.",
                field="child",
            ) from exc
        if not request.reference:
            _assign_reference(request)
            request.save(update_fields=["reference"])
        created = write_event(
            request,
            actor=actor,
            action=workflow.EventAction.IMPORTED if imported else workflow.EventAction.CREATED,
            from_status="",
            payload={"child_id": child.pk, "source": source, **({"file": None, "row": None} if imported else {})},
            # The officer's judgement that the possible duplicates shown are other children.
            note=f"Not a duplicate: {not_duplicate_reason.strip()}" if not_duplicate_reason.strip() else "",
        )
        if not imported:
            # The request is being considered: the family is consulted (CFA 2014 s.36(4)) and the
            # school, health and social care told (reg 4(2)); a body with nobody on file is shown.
            auto_letters_issue(request=request, event=created, actor=actor, dated_on=today)
        # Requests received in a month: a request logged late changes a month already counted.
        mark_stale([received_on], "request recorded")
    return request


def request_assign(
    *, actor: User, requests: Iterable[int | AssessmentRequest] | QuerySet[AssessmentRequest], officer: User | None
) -> list[AssessmentRequest]:
    """Assign one or many open requests to an SEN officer; one event per request."""
    require_action(actor, Action.ASSIGN)
    if officer is None or not user_has_role(officer, Role.SEN_OFFICER):
        raise ValidationFailed("Select an SEN officer", field="officer")
    ids = sorted({r if isinstance(r, int) else r.pk for r in requests})
    if not ids:
        raise ValidationFailed("Select at least one request", field="requests")
    with transaction.atomic():
        # Lock in id order so two bulk assignments cannot deadlock each other.
        locked = list(AssessmentRequest.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(locked) != len(ids):
            raise ValidationFailed("One or more of the selected requests no longer exist", field="requests")
        for request in locked:
            check_action(request, Action.ASSIGN)
            previous = request.assigned_officer_id
            request.assigned_officer = officer
            request.save(update_fields=["assigned_officer", "updated_at"])
            write_event(
                request,
                actor=actor,
                action=Action.ASSIGN,
                from_status=request.status,
                payload={"officer_id": officer.pk, "previous_officer_id": previous},
            )
    return locked


# --- Provision evaluation ----------------------------------------------------------------------

_EVALUATION_FIELDS = {
    "schools_views_received",
    "sen_support_plan",
    "apdr_cycles",
    "provision_map",
    "costed_provision",
    "progress_data",
    "attainment_summary",
    "other_agencies",
    "notes",
    "recommendation",
}


def evaluation_start(*, actor: User, request: AssessmentRequest | int) -> AssessmentRequest:
    """The evaluation officer starts checking the evidence (received → evaluating)."""
    require_action(actor, Action.START_EVALUATION)
    with transaction.atomic():
        request = lock_request(request)
        from_status = request.status
        check_action(request, Action.START_EVALUATION)
        request.status = workflow.next_status(from_status, Action.START_EVALUATION)
        ProvisionEvaluation.objects.get_or_create(request=request)
        save_request(request)
        write_event(request, actor=actor, action=Action.START_EVALUATION, from_status=from_status)
    return request


def evaluation_record(
    *,
    actor: User,
    request: AssessmentRequest | int,
    complete: bool = False,
    today: date | None = None,
    **fields: Any,
) -> ProvisionEvaluation:
    """Save the checklist; with ``complete=True`` also finish it (evaluating → awaiting
    decision), which needs a recommendation."""
    action = Action.COMPLETE_EVALUATION if complete else Action.RECORD_EVALUATION
    require_action(actor, action)
    unknown = set(fields) - _EVALUATION_FIELDS
    if unknown:
        raise ValidationFailed(f"Unknown evaluation fields: {', '.join(sorted(unknown))}", field="fields")
    errors: dict[str, list[str]] = {}
    if fields.get("recommendation") and fields["recommendation"] not in Recommendation.values:
        add_error(errors, "recommendation", "Select a recommendation")
    apdr = fields.get("apdr_cycles")
    if apdr is not None and (not isinstance(apdr, int) or apdr < 0):
        add_error(errors, "apdr_cycles", "Enter the number of assess-plan-do-review cycles as 0 or more")
    fail(errors)

    with transaction.atomic():
        request = lock_request(request)
        check_action(request, action)
        evaluation, _ = ProvisionEvaluation.objects.select_for_update().get_or_create(request=request)
        for field, value in fields.items():
            setattr(evaluation, field, value)
        if complete:
            fail(workflow.missing_fields(action, {"recommendation": evaluation.recommendation}))
            evaluation.completed_by = actor
            evaluation.completed_on = resolve_today(today)
        evaluation.save()
        from_status = request.status
        request.status = workflow.next_status(from_status, action)
        save_request(request)
        write_event(
            request,
            actor=actor,
            action=action,
            from_status=from_status,
            payload={
                "evaluation_id": evaluation.pk,
                "recommendation": evaluation.recommendation,
                "fields": sorted(fields),
            },
        )
    evaluation.request = request
    return evaluation


# --- Decision whether to assess (reg 5) --------------------------------------------------------


def request_decide_assessment(
    *,
    actor: User,
    request: AssessmentRequest | int,
    outcome: str,
    notified_on: date | None,
    reasons: list[str] | None = None,
    reasons_text: str = "",
    rights_text_sent: bool = False,
    sen_support_advice: str = "",
    today: date | None = None,
) -> AssessmentRequest:
    """Record the decision whether to assess (reg 5(1)): ``outcome`` is "assess" or "refuse".

    A refusal names at least one s.36(8) reason and confirms the reg 5(3) rights text went.
    """
    if outcome not in (DecisionOutcome.ASSESS, DecisionOutcome.REFUSE):
        raise ValidationFailed("Select whether to assess", field="outcome")
    action = Action.DECIDE_TO_ASSESS if outcome == DecisionOutcome.ASSESS else Action.DECIDE_NOT_TO_ASSESS
    require_action(actor, action)
    reasons = list(reasons or [])
    today = resolve_today(today)
    with transaction.atomic():
        request = lock_request(request)
        check_action(request, action)
        errors = workflow.missing_fields(
            action, {"notified_on": notified_on, "reasons": reasons, "rights_text_sent": rights_text_sent}
        )
        check_date(
            errors,
            "notified_on",
            notified_on,
            today=today,
            not_before=request.received_on,
            not_before_message="The date the family was told must be on or after the date the request was received",
        )
        allowed = workflow.S36_ASSESS_REASONS if outcome == DecisionOutcome.ASSESS else workflow.S36_REFUSAL_REASONS
        # A reason of the other kind is refused with a message that says so, never dropped.
        contradictions = workflow.decision_reason_errors(outcome, assess_reasons=reasons, refusal_reasons=reasons)
        wrong_kind = contradictions.get("refusal_reasons" if outcome == DecisionOutcome.ASSESS else "assess_reasons")
        if wrong_kind:
            add_error(errors, "reasons", wrong_kind)
        elif any(code not in allowed for code in reasons):
            add_error(errors, "reasons", "Select reasons from the list")
        if "other" in reasons and not reasons_text.strip():
            add_error(errors, "reasons_text", "Explain the other reason")
        fail(errors)
        assert notified_on is not None

        decision = AssessmentDecision.objects.create(
            request=request,
            stage=DecisionStage.ASSESS,
            outcome=outcome,
            notified_on=notified_on,
            reasons=reasons,
            reasons_text=reasons_text,
            rights_text_sent=rights_text_sent,
            sen_support_advice=sen_support_advice,
            decided_by=actor,
        )
        from_status = request.status
        request.status = workflow.next_status(from_status, action)
        request.request_outcome = Sen2Outcome.YES if outcome == DecisionOutcome.ASSESS else Sen2Outcome.NO
        request.request_outcome_on = notified_on
        if outcome == DecisionOutcome.ASSESS:
            request.assessment_outcome = Sen2Outcome.UNDECIDED
        save_request(request)
        event = write_event(
            request,
            actor=actor,
            action=action,
            from_status=from_status,
            payload={
                "decision_id": decision.pk,
                "outcome": outcome,
                "reasons": reasons,
                "notified_on": notified_on.isoformat(),
            },
        )
        # reg 5(1): the letter to the parent or young person (not the requester), with the rights
        # of reg 5(3) on a refusal; reg 5(2): the bodies notified under reg 4(2). Same
        # transaction; messages are queued after commit.
        auto_letters_issue(request=request, event=event, actor=actor, dated_on=notified_on)
        mark_stale([notified_on], "decision whether to assess recorded")
    return request


# --- The assessment ------------------------------------------------------------------------------


def assessment_complete(*, actor: User, request: AssessmentRequest | int) -> AssessmentRequest:
    """All advice is in: the request waits for the decision whether to issue a plan."""
    return _simple_transition(actor=actor, request=request, action=Action.COMPLETE_ASSESSMENT)


def _simple_transition(
    *,
    actor: User,
    request: AssessmentRequest | int,
    action: workflow.Action,
    payload: dict[str, Any] | None = None,
    note: str = "",
) -> AssessmentRequest:
    require_action(actor, action)
    with transaction.atomic():
        request = lock_request(request)
        check_action(request, action)
        from_status = request.status
        request.status = workflow.next_status(from_status, action)
        save_request(request)
        write_event(request, actor=actor, action=action, from_status=from_status, payload=payload, note=note)
    return request


# --- Decision whether to issue (reg 10) --------------------------------------------------------


def request_decide_issue(
    *,
    actor: User,
    request: AssessmentRequest | int,
    outcome: str,
    notified_on: date | None,
    reasons_text: str = "",
    rights_text_sent: bool = False,
    advice_not_sought_reason: str = "",
    today: date | None = None,
) -> AssessmentRequest:
    """Decide whether to issue a plan: "issue" starts the draft; "not_issue" closes the request
    (reg 10(1): notified within 16 weeks, with the reg 10(3) rights text).

    A decision not to issue concludes an assessment, for which advice is sought (regs 6-8): it
    needs at least one request for advice (not cancelled), or ``advice_not_sought_reason``, a
    code of ``workflow.ADVICE_NOT_SOUGHT_REASONS`` (reg 6(4)), recorded on the decision."""
    if outcome not in (DecisionOutcome.ISSUE, DecisionOutcome.NOT_ISSUE):
        raise ValidationFailed("Select whether to issue a plan", field="outcome")
    action = Action.DECIDE_TO_ISSUE if outcome == DecisionOutcome.ISSUE else Action.DECIDE_NOT_TO_ISSUE
    require_action(actor, action)
    today = resolve_today(today)
    with transaction.atomic():
        request = lock_request(request)
        check_action(request, action)
        errors = workflow.missing_fields(
            action,
            {"notified_on": notified_on, "reasons_text": reasons_text.strip(), "rights_text_sent": rights_text_sent},
        )
        check_date(
            errors,
            "notified_on",
            notified_on,
            today=today,
            not_before=request.request_outcome_on or request.received_on,
            not_before_message="The date the family was told must be on or after the decision to assess",
        )
        if advice_not_sought_reason and advice_not_sought_reason not in workflow.ADVICE_NOT_SOUGHT_REASONS:
            add_error(errors, "advice_not_sought_reason", "Select why advice was not needed from the list")
        elif outcome == DecisionOutcome.NOT_ISSUE:
            advice_sought = AdviceRequest.objects.filter(request=request, cancelled_at__isnull=True).exists()
            message = workflow.not_issue_advice_error(
                advice_sought=advice_sought, advice_not_sought_reason=advice_not_sought_reason
            )
            if message:
                add_error(errors, "advice_not_sought_reason", message)
        fail(errors)
        assert notified_on is not None
        decision = AssessmentDecision.objects.create(
            request=request,
            stage=DecisionStage.ISSUE,
            outcome=outcome,
            notified_on=notified_on,
            reasons_text=reasons_text,
            rights_text_sent=rights_text_sent,
            advice_not_sought_reason=advice_not_sought_reason if outcome == DecisionOutcome.NOT_ISSUE else "",
            decided_by=actor,
        )
        from_status = request.status
        request.status = workflow.next_status(from_status, action)
        if outcome == DecisionOutcome.NOT_ISSUE:
            # SEN2: the outcome date is the date the not-issue decision was notified.
            request.assessment_outcome = Sen2Outcome.NO
            request.assessment_outcome_on = notified_on
        # A decision to issue leaves the outcome "A" until the final plan is issued (SEN2).
        save_request(request)
        event = write_event(
            request,
            actor=actor,
            action=action,
            from_status=from_status,
            payload={"decision_id": decision.pk, "outcome": outcome, "notified_on": notified_on.isoformat()},
        )
        # reg 10(1) and 10(3): a decision not to issue is told to the family with their rights.
        auto_letters_issue(request=request, event=event, actor=actor, dated_on=notified_on)
        mark_stale([notified_on], "decision whether to issue recorded")
    return request


# --- The plan (reg 13) -------------------------------------------------------------------------


def _standing_decision(request: AssessmentRequest, stage: str) -> AssessmentDecision | None:
    return AssessmentDecision.objects.filter(request=request, stage=stage, superseded=False).first()


def plan_issue_draft(
    *, actor: User, request: AssessmentRequest | int, issued_on: date | None, today: date | None = None
) -> AssessmentRequest:
    """The draft plan is served; the family's 15 days (reg 13(1)) start that day."""
    require_action(actor, Action.ISSUE_DRAFT)
    today = resolve_today(today)
    with transaction.atomic():
        request = lock_request(request)
        check_action(request, Action.ISSUE_DRAFT)
        errors = workflow.missing_fields(Action.ISSUE_DRAFT, {"issued_on": issued_on})
        decision = _standing_decision(request, DecisionStage.ISSUE)
        check_date(
            errors,
            "issued_on",
            issued_on,
            today=today,
            not_before=decision.notified_on if decision else request.received_on,
            not_before_message="The draft must be issued on or after the decision to issue a plan",
        )
        fail(errors)
        assert issued_on is not None
        from_status = request.status
        request.status = workflow.next_status(from_status, Action.ISSUE_DRAFT)
        request.draft_issued_on = issued_on
        save_request(request)
        event = write_event(
            request,
            actor=actor,
            action=Action.ISSUE_DRAFT,
            from_status=from_status,
            payload={
                "issued_on": issued_on.isoformat(),
                "earliest_final_on": clocks.earliest_final_plan_on(issued_on).isoformat(),
            },
        )
        # reg 13(1): the draft's cover letter to the family (their 15 days start today).
        auto_letters_issue(request=request, event=event, actor=actor, dated_on=issued_on)
        mark_stale([issued_on], "draft plan issued")
    return request


def plan_record_family_comments(
    *, actor: User, request: AssessmentRequest | int, received_on: date | None, today: date | None = None
) -> AssessmentRequest:
    """The family's representations on the draft arrived (reg 13(1))."""
    require_action(actor, Action.RECORD_FAMILY_COMMENTS)
    today = resolve_today(today)
    with transaction.atomic():
        request = lock_request(request)
        check_action(request, Action.RECORD_FAMILY_COMMENTS)
        errors = workflow.missing_fields(Action.RECORD_FAMILY_COMMENTS, {"received_on": received_on})
        check_date(
            errors,
            "received_on",
            received_on,
            today=today,
            not_before=request.draft_issued_on,
            not_before_message="The family's comments must be received on or after the draft was issued",
        )
        fail(errors)
        assert received_on is not None
        request.family_comments_received_on = received_on
        save_request(request)
        write_event(
            request,
            actor=actor,
            action=Action.RECORD_FAMILY_COMMENTS,
            from_status=request.status,
            payload={"received_on": received_on.isoformat()},
        )
    return request


def plan_issue_final(
    *,
    actor: User,
    request: AssessmentRequest | int,
    issued_on: date | None,
    named_establishment: Establishment | None,
    placement_type: str,
    today: date | None = None,
) -> AssessmentRequest:
    """Issue the final plan (reg 13(2): within 20 weeks), naming the school or setting.

    Not before the family's 15 days on the draft have run, unless they have already
    commented (reg 13(1); ``clocks.earliest_final_plan_on``). The placement type follows from
    the establishment's type when left blank, and one that cannot describe it (a special academy
    as a mainstream school) is refused naming both (``workflow.placement_mismatch``).
    """
    require_action(actor, Action.ISSUE_FINAL)
    today = resolve_today(today)
    if named_establishment is not None and not placement_type:
        placement_type = workflow.placement_type_for(named_establishment.type_group)
    with transaction.atomic():
        request = lock_request(request)
        check_action(request, Action.ISSUE_FINAL)
        errors = workflow.missing_fields(Action.ISSUE_FINAL, {"issued_on": issued_on, "placement_type": placement_type})
        if placement_type and placement_type not in PlacementType.values:
            add_error(errors, "placement_type", "Select the type of placement named in the plan")
        elif placement_type and named_establishment is not None:
            mismatch = workflow.placement_mismatch(
                named_establishment.type_group,
                placement_type,
                establishment_name=named_establishment.name,
                establishment_type_label=named_establishment.get_type_group_display(),
                placement_type_label=PlacementType(placement_type).label,
            )
            if mismatch:
                add_error(errors, "placement_type", mismatch)
        if named_establishment is None and placement_type and placement_type != PlacementType.OTHER:
            add_error(errors, "named_establishment", "Select the school or setting named in the plan")
        check_date(errors, "issued_on", issued_on, today=today)
        assert request.draft_issued_on is not None  # the draft_issued status guarantees it
        earliest = clocks.earliest_final_plan_on(request.draft_issued_on, request.family_comments_received_on)
        if issued_on is not None and issued_on < earliest:
            add_error(
                errors,
                "issued_on",
                f"The final plan cannot be issued before {long_date(earliest)}: the family has at "
                "least 15 days from the draft to comment and ask for a school (reg 13(1))",
            )
        fail(errors)
        assert issued_on is not None
        from_status = request.status
        request.status = workflow.next_status(from_status, Action.ISSUE_FINAL)
        request.final_plan_issued_on = issued_on
        request.named_establishment = named_establishment
        request.placement_type = placement_type
        request.assessment_outcome = Sen2Outcome.YES
        request.assessment_outcome_on = issued_on
        save_request(request)
        event = write_event(
            request,
            actor=actor,
            action=Action.ISSUE_FINAL,
            from_status=from_status,
            payload={
                "issued_on": issued_on.isoformat(),
                "named_establishment_id": named_establishment.pk if named_establishment else None,
                "placement_type": placement_type,
                "within_20_weeks": clocks.within(clocks.FINAL_PLAN_PERIOD, request.received_on, issued_on),
            },
        )
        # reg 13(2) and 14: the final plan's cover letter, with the rights, to the family; the plan to the
        # setting named in it and to the health body (reg 13(2)(b), (c)).
        auto_letters_issue(request=request, event=event, actor=actor, dated_on=issued_on)
        mark_stale([issued_on], "final plan issued")
    return request


# --- Withdraw, reopen, refer ---------------------------------------------------------------------


def request_withdraw(
    *,
    actor: User,
    request: AssessmentRequest | int,
    reason: str,
    withdrawn_on: date | None,
    today: date | None = None,
) -> AssessmentRequest:
    """Close a request withdrawn by the family or ceased (moved away, left education).

    SEN2: ``requestoutcome`` W if no decision to assess was made yet, else
    ``assessmentoutcome`` W.
    """
    require_action(actor, Action.WITHDRAW)
    today = resolve_today(today)
    with transaction.atomic():
        request = lock_request(request)
        check_action(request, Action.WITHDRAW)
        errors = workflow.missing_fields(Action.WITHDRAW, {"reason": reason.strip(), "withdrawn_on": withdrawn_on})
        check_date(
            errors,
            "withdrawn_on",
            withdrawn_on,
            today=today,
            not_before=request.received_on,
            not_before_message="The date of withdrawal must be on or after the date the request was received",
        )
        fail(errors)
        assert withdrawn_on is not None
        from_status = request.status
        request.status = workflow.next_status(from_status, Action.WITHDRAW)
        if request.request_outcome == Sen2Outcome.UNDECIDED:
            request.request_outcome = Sen2Outcome.WITHDRAWN
            request.request_outcome_on = withdrawn_on
            outcome_field = "request_outcome"
        else:
            request.assessment_outcome = Sen2Outcome.WITHDRAWN
            request.assessment_outcome_on = withdrawn_on
            outcome_field = "assessment_outcome"
        request.closed_reason = reason.strip()
        save_request(request)
        write_event(
            request,
            actor=actor,
            action=Action.WITHDRAW,
            from_status=from_status,
            payload={"withdrawn_on": withdrawn_on.isoformat(), "outcome_field": outcome_field},
            note=reason.strip(),
        )
        mark_stale([withdrawn_on], "request withdrawn")
    return request


def _status_before_closing(request: AssessmentRequest) -> Status:
    """The status the request had before it closed: the latest event that moved it into its
    current status. Requests closed outside this service (imported) fall back to the status
    the closing action most often comes from."""
    closing = (
        RequestEvent.objects.filter(request=request, to_status=request.status)
        .exclude(from_status__in=["", request.status])
        .order_by("-occurred_at", "-pk")
        .first()
    )
    if closing is not None:
        return Status(closing.from_status)
    if request.status == Status.REFUSED:
        return Status.AWAITING_DECISION
    if request.status == Status.NOT_ISSUED:
        return Status.AWAITING_ISSUE_DECISION
    # Withdrawn: before or after the decision to assess.
    return Status.RECEIVED if request.request_outcome == Sen2Outcome.WITHDRAWN else Status.ASSESSING


def request_reopen(*, actor: User, request: AssessmentRequest | int, reason: str) -> AssessmentRequest:
    """Reopen a refused, not-issued or withdrawn request (senior officers): it goes back to the
    status it had before it closed and the closing outcome is cleared. A decision it had
    reached is kept on file but marked superseded, so a new one can be recorded."""
    require_action(actor, Action.REOPEN)
    with transaction.atomic():
        request = lock_request(request)
        check_action(request, Action.REOPEN)
        fail(workflow.missing_fields(Action.REOPEN, {"reason": reason.strip()}))
        if AssessmentRequest.objects.open().filter(child_id=request.child_id).exists():
            raise Conflict(
                "This child has another request in progress. Close it before reopening this one.",
                field="child",
            )
        from_status = request.status
        # The outcome dates reopening clears: their months' figures counted them.
        outcome_days = [request.request_outcome_on, request.assessment_outcome_on]
        try:
            target = workflow.next_status(from_status, Action.REOPEN, previous_status=_status_before_closing(request))
        except workflow.TransitionError as exc:
            raise InvalidTransition(exc.message) from exc
        superseded: list[int] = []
        if from_status == Status.REFUSED:
            request.request_outcome, request.request_outcome_on = Sen2Outcome.UNDECIDED, None
            superseded = _supersede(request, DecisionStage.ASSESS)
        elif from_status == Status.NOT_ISSUED:
            request.assessment_outcome, request.assessment_outcome_on = Sen2Outcome.UNDECIDED, None
            superseded = _supersede(request, DecisionStage.ISSUE)
        elif request.request_outcome == Sen2Outcome.WITHDRAWN:
            request.request_outcome, request.request_outcome_on = Sen2Outcome.UNDECIDED, None
        else:
            request.assessment_outcome, request.assessment_outcome_on = Sen2Outcome.UNDECIDED, None
        request.status = target.value
        request.closed_reason = ""
        save_request(request)
        write_event(
            request,
            actor=actor,
            action=Action.REOPEN,
            from_status=from_status,
            payload={"superseded_decision_ids": superseded},
            note=reason.strip(),
        )
        mark_stale(outcome_days, "request reopened")
    return request


def _supersede(request: AssessmentRequest, stage: str) -> list[int]:
    decisions = AssessmentDecision.objects.filter(request=request, stage=stage, superseded=False)
    ids = list(decisions.values_list("pk", flat=True))
    decisions.update(superseded=True)
    return ids


def request_refer_to_panel(*, actor: User, request: AssessmentRequest | int, note: str = "") -> AssessmentRequest:
    """Record on the timeline that the request went to the placement panel (the panels app
    calls this when it creates a referral)."""
    return _simple_transition(actor=actor, request=request, action=Action.REFER_TO_PANEL, note=note.strip())


def request_record_panel_outcome(
    *, request: AssessmentRequest | int, actor: User, outcome: str, meeting_id: int, decision_id: int, note: str = ""
) -> RequestEvent:
    """Put the placement panel's decision on the request's timeline (the panels app calls this
    in the decision's transaction). The status does not change, and a closed request (a plan
    already issued, for a change of placement) takes the entry too; the payload holds ids and
    the outcome code only."""
    require(actor, Capability.PANEL_CHAIR)
    with transaction.atomic():
        request = lock_request(request)
        return write_event(
            request,
            actor=actor,
            action=workflow.EventAction.PANEL_DECISION,
            from_status=request.status,
            payload={"outcome": outcome, "meeting_id": meeting_id, "decision_id": decision_id},
            note=note.strip(),
        )


# --- Reads ----------------------------------------------------------------------------------


def request_record_view(*, user: User, request: AssessmentRequest, path: str = "") -> AccessLog:
    """Log that ``user`` opened this request (call it in the same transaction as the read)."""
    require(user, Capability.REQUEST_VIEW)
    return access_log_record(
        user=user, child_id=request.child_id, object_type="assessment_request", object_id=request.pk, path=path
    )


# --- Helpers ----------------------------------------------------------------------------------


def _assign_reference(request: AssessmentRequest) -> None:
    """REQ-000123 from the primary key. An imported reference in the same format could
    already hold that value, so step past it (rare; the unique constraint is the backstop)."""
    candidate = f"{REFERENCE_PREFIX}{request.pk:06d}"
    suffix = 0
    while AssessmentRequest.objects.filter(reference=candidate).exists():
        suffix += 1
        candidate = f"{REFERENCE_PREFIX}{request.pk:06d}-{suffix}"
    request.reference = candidate
