"""Every change to an EHC needs-assessment request.

Keyword-only functions named ``<thing>_<verb>``. Each one:

1. checks the actor's capability (``NotPermitted``, 403) before it reads anything else;
2. opens one ``transaction.atomic()`` and re-reads the request row with
   ``select_for_update()``, so two officers acting at once are serialised and the second sees
   the first one's status (``InvalidTransition``, 409) instead of overwriting it;
3. checks the transition table in ``workflow`` and validates its input (``ValidationFailed``,
   400, with UK-English messages keyed by field);
4. changes the rows, recomputes the stored clocks, and writes exactly one ``RequestEvent``.

Each returns the updated object, freshly read: the instance a caller passed in is not
modified. Views, API actions, admin actions, commands and tasks all call these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from core.access import access_log_record
from core.errors import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from core.models import AccessLog, District, Establishment, NeedType
from core.roles import Capability, Role, user_can, user_has_role
from requests_app import clocks, workflow
from requests_app.models import (
    AdviceRequest,
    AdviserType,
    AssessmentDecision,
    AssessmentRequest,
    Child,
    ClockException,
    DecisionOutcome,
    DecisionStage,
    PlacementType,
    ProvisionEvaluation,
    Recommendation,
    RequestEvent,
    RequestSource,
    Sen2Outcome,
    Sex,
)

Status = workflow.Status
Action = workflow.Action

REFERENCE_PREFIX = "REQ-"

__all__ = [
    "advice_record_received",
    "advice_request_create",
    "assessment_complete",
    "evaluation_record",
    "evaluation_start",
    "exception_add",
    "exception_remove",
    "find_duplicates",
    "plan_issue_draft",
    "plan_issue_final",
    "plan_record_family_comments",
    "request_assign",
    "request_create",
    "request_decide_assessment",
    "request_decide_issue",
    "request_record_panel_outcome",
    "request_record_view",
    "request_refer_to_panel",
    "request_reopen",
    "request_withdraw",
]


# --- Guards and helpers --------------------------------------------------------------------------


def _require(actor: Any, capability: Capability) -> None:
    if not user_can(actor, capability):
        raise NotPermitted("You do not have permission to do this.")


def _require_action(actor: Any, action: workflow.Action) -> None:
    _require(actor, workflow.ACTION_CAPABILITY[action])


def _lock(request: AssessmentRequest | int) -> AssessmentRequest:
    """Re-read the request inside the transaction and hold its row until commit."""
    pk = request.pk if isinstance(request, AssessmentRequest) else request
    return AssessmentRequest.objects.select_for_update().get(pk=pk)


def _check(request: AssessmentRequest, action: workflow.Action) -> workflow.Transition:
    try:
        return workflow.check_transition(request.status, action)
    except workflow.TransitionError as exc:
        raise InvalidTransition(exc.message) from exc


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _fail(errors: Mapping[str, list[str]]) -> None:
    """Raise one ValidationFailed carrying every field's messages (the first is the summary)."""
    if errors:
        field, messages = next(iter(errors.items()))
        raise ValidationFailed(messages[0], field=field, errors=dict(errors))


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _check_date(
    errors: dict[str, list[str]],
    field: str,
    value: date | None,
    *,
    today: date,
    not_before: date | None = None,
    not_before_message: str = "",
) -> None:
    """A date that is set, not in the future and not before ``not_before``."""
    if value is None:
        return  # missing values are reported by workflow.missing_fields
    if value > today:
        _add(errors, field, "The date must be today or in the past")
    if not_before is not None and value < not_before:
        _add(errors, field, not_before_message or f"The date must be on or after {_long(not_before)}")


def _long(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _clock_snapshot(request: AssessmentRequest) -> dict[str, Any]:
    return {
        "next_deadline_on": _iso(request.next_deadline_on),
        "decision_target_on": _iso(request.decision_target_on),
        "not_issue_target_on": _iso(request.not_issue_target_on),
        "final_plan_target_on": _iso(request.final_plan_target_on),
        "week20": request.week20,
    }


def _event(
    request: AssessmentRequest,
    *,
    actor: Any,
    action: workflow.Action | workflow.EventAction | str,
    from_status: str,
    payload: dict[str, Any] | None = None,
    note: str = "",
) -> RequestEvent:
    """Write the one event for a change. Payload: ids, codes and dates only, never names."""
    return RequestEvent.objects.create(
        request=request,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=workflow.EventAction(getattr(action, "value", action)).value,
        from_status=from_status,
        to_status=request.status,
        occurred_at=timezone.now(),
        payload={**(payload or {}), "clocks": _clock_snapshot(request)},
        note=note,
    )


def _refresh_clocks(request: AssessmentRequest) -> None:
    """Recompute the stored deadlines from received_on, the live request-level exceptions and
    the status (docs/architecture.md §4: stored, indexed, recomputed on change — never counted). The one
    place they are computed; the caller saves."""
    exceptions: list[clocks.ExceptionPeriod] = []
    if request.pk:
        exceptions = [e.as_period() for e in ClockException.objects.filter(request=request).active().request_level()]
    computed = clocks.request_clocks(request.received_on, exceptions)
    request.decision_due_on = computed.decision_due_on
    request.not_issue_due_on = computed.not_issue_due_on
    request.final_plan_due_on = computed.final_plan_due_on
    request.decision_target_on = computed.decision_target_on
    request.not_issue_target_on = computed.not_issue_target_on
    request.final_plan_target_on = computed.final_plan_target_on
    request.week20 = computed.week20
    request.next_deadline_on = workflow.next_deadline(
        request.status,
        decision_target_on=computed.decision_target_on,
        not_issue_target_on=computed.not_issue_target_on,
        final_plan_target_on=computed.final_plan_target_on,
    )


def _save(request: AssessmentRequest) -> None:
    # The status or a date may have moved the next deadline: recompute before every save.
    _refresh_clocks(request)
    request.save()


def _advice_refresh(advice: AdviceRequest) -> None:
    exceptions = [e.as_period() for e in advice.clock_exceptions.active()]
    computed = clocks.advice_clocks(advice.requested_on, exceptions)
    advice.due_on, advice.target_on = computed.due_on, computed.target_on


def _standing_decision(request: AssessmentRequest, stage: str) -> AssessmentDecision | None:
    return AssessmentDecision.objects.filter(request=request, stage=stage, superseded=False).first()


def _assign_reference(request: AssessmentRequest) -> None:
    """REQ-000123 from the primary key. An imported reference in the same format could
    already hold that value, so step past it (rare; the unique constraint is the backstop)."""
    candidate = f"{REFERENCE_PREFIX}{request.pk:06d}"
    suffix = 0
    while AssessmentRequest.objects.filter(reference=candidate).exists():
        suffix += 1
        candidate = f"{REFERENCE_PREFIX}{request.pk:06d}-{suffix}"
    request.reference = candidate


# --- Children and duplicates -------------------------------------------------------------------


def find_duplicates(*, forename: str, surname: str, date_of_birth: date | None, upn: str = "") -> list[Child]:
    """Children who may be the one being entered: the same UPN, or the same date of birth and
    a similar name (same surname, or first names starting with the same three letters).
    Each comes with ``open_requests`` prefetched."""
    match = Q(pk__in=[])
    upn = (upn or "").strip().upper()
    if upn:
        match |= Q(upn=upn)
    if date_of_birth is not None:
        name = Q(surname__iexact=surname.strip())
        if forename.strip():
            name |= Q(forename__istartswith=forename.strip()[:3])
        match |= Q(date_of_birth=date_of_birth) & name
    open_requests = Prefetch("requests", queryset=AssessmentRequest.objects.open(), to_attr="open_requests")
    return list(Child.objects.filter(match).select_related("district").prefetch_related(open_requests))


_CHILD_FIELDS = {
    "forename",
    "surname",
    "date_of_birth",
    "sex",
    "upn",
    "postcode",
    "district",
    "current_establishment",
    "primary_need",
    "secondary_need",
    "legacy_ref",
}
_CHILD_REQUIRED = {
    "forename": "Enter the child's first name",
    "surname": "Enter the child's last name",
    "date_of_birth": "Enter the child's date of birth",
    "district": "Select the district the child lives in",
    "primary_need": "Select the child's primary need",
}


def _child_build(data: Mapping[str, Any], *, today: date) -> Child:
    errors: dict[str, list[str]] = {}
    unknown = set(data) - _CHILD_FIELDS
    if unknown:
        raise ValidationFailed(f"Unknown child fields: {', '.join(sorted(unknown))}", field="child_data")
    for field, message in _CHILD_REQUIRED.items():
        if not data.get(field):
            _add(errors, field, message)
    dob = data.get("date_of_birth")
    if isinstance(dob, date) and dob > today:
        _add(errors, "date_of_birth", "The date of birth must be in the past")
    if data.get("sex", Sex.UNKNOWN) not in Sex.values:
        _add(errors, "sex", "Select the child's sex")
    if data.get("primary_need") and data["primary_need"] not in NeedType.values:
        _add(errors, "primary_need", "Select the child's primary need")
    if data.get("secondary_need") and data["secondary_need"] not in NeedType.values:
        _add(errors, "secondary_need", "Select the child's secondary need")
    upn = str(data.get("upn") or "").strip().upper()
    if upn and (len(upn) != 13 or not upn.isalnum()):
        _add(errors, "upn", "Enter a UPN of 13 letters and numbers, or leave it blank")
    _fail(errors)

    values = {**data, "upn": upn, "postcode": str(data.get("postcode") or "").strip().upper()}
    for field, model in (("district", District), ("current_establishment", Establishment)):
        value = values.get(field)
        if value is not None and not isinstance(value, model):
            values[field] = model.objects.filter(pk=value).first()
            if values[field] is None:
                _fail({field: [f"Select a valid {field.replace('_', ' ')}"]})
    child = Child(**values)
    try:
        child.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        _fail({field: [str(m) for m in messages] for field, messages in exc.message_dict.items()})
    if upn and Child.objects.filter(upn=upn).exists():
        _fail({"upn": ["A child with this UPN is already recorded. Select that child instead"]})
    return child


def child_change_district(*, actor: Any, child: Child | int, district: District | int) -> Child:
    """Record that the child now lives in ``district``, and move every request of theirs with
    them, in one transaction: ``AssessmentRequest.district`` is a copy of the child's district
    (docs/decisions/0007-district-on-request.md) and must never disagree with it.

    Returns the child as saved. Moving to the district the child is already in changes nothing.
    """
    if not (user_can(actor, Capability.REQUEST_CREATE) or user_can(actor, Capability.ADMIN)):
        raise NotPermitted("You do not have permission to do this.")
    district_id = district.pk if isinstance(district, District) else district
    if not District.objects.filter(pk=district_id).exists():
        _fail({"district": ["Select the district the child lives in"]})
    with transaction.atomic():
        # Lock the child first, then its requests (the order request_create locks in), so a
        # request created meanwhile either waits and copies the new district or is moved here.
        locked = Child.objects.select_for_update().get(pk=child.pk if isinstance(child, Child) else child)
        if locked.district_id == district_id:
            return locked
        previous = locked.district_id
        locked.district_id = district_id
        locked.save(update_fields=["district"])
        # A child holds a handful of requests: one timeline entry on each, as every change has.
        for request in AssessmentRequest.objects.select_for_update().filter(child=locked).order_by("pk"):
            request.district_id = district_id
            request.save(update_fields=["district", "updated_at"])
            _event(
                request,
                actor=actor,
                action=workflow.EventAction.DISTRICT_CHANGED,
                from_status=request.status,
                payload={"from_district_id": previous, "to_district_id": district_id},
            )
    return locked


# --- Creating and assigning --------------------------------------------------------------------


def request_create(
    *,
    actor: Any,
    child: Child | None = None,
    child_data: Mapping[str, Any] | None = None,
    received_on: date,
    source: str,
    requester_name: str = "",
    requester_email: str = "",
    requester_phone: str = "",
    requester_relationship: str = "",
    assigned_officer: Any = None,
    reference: str = "",
    imported: bool = False,
    today: date | None = None,
) -> AssessmentRequest:
    """Record a new request (day 1 = ``received_on``) for an existing child or a new one.

    ``imported=True`` (the importer) needs the import capability, keeps ``reference`` and
    writes an "imported" event instead of "created".
    """
    _require(actor, Capability.REQUEST_IMPORT if imported else Capability.REQUEST_CREATE)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if (child is None) == (child_data is None):
        _add(errors, "child", "Select a child or enter the child's details")
    if received_on is None:
        _add(errors, "received_on", "Enter the date the request was received")
    else:
        _check_date(errors, "received_on", received_on, today=today)
    if source not in RequestSource.values:
        _add(errors, "source", "Select who made the request")
    if assigned_officer is not None and not user_has_role(assigned_officer, Role.SEN_OFFICER):
        _add(errors, "assigned_officer", "Select an SEN officer")
    _fail(errors)

    with transaction.atomic():
        if child is None:
            assert child_data is not None
            child = _child_build(child_data, today=today)
            child.save()
        else:
            # Lock the child so two requests for the same child cannot both pass the check.
            child = Child.objects.select_for_update().get(pk=child.pk)
            if child.requests.open().exists():
                raise Conflict(
                    "This child already has a request in progress. Withdraw or close it before recording a new one.",
                    field="child",
                )
        request = AssessmentRequest(
            child=child,
            district_id=child.district_id,  # the copy the queue filters on (decision 0007)
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
        _refresh_clocks(request)
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
        _event(
            request,
            actor=actor,
            action=workflow.EventAction.IMPORTED if imported else workflow.EventAction.CREATED,
            from_status="",
            payload={"child_id": child.pk, "source": source},
        )
    return request


def request_assign(
    *, actor: Any, requests: Iterable[int | AssessmentRequest] | QuerySet[AssessmentRequest], officer: Any
) -> list[AssessmentRequest]:
    """Assign one or many open requests to an SEN officer; one event per request."""
    _require_action(actor, Action.ASSIGN)
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
            _check(request, Action.ASSIGN)
            previous = request.assigned_officer_id
            request.assigned_officer = officer
            request.save(update_fields=["assigned_officer", "updated_at"])
            _event(
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


def evaluation_start(*, actor: Any, request: AssessmentRequest | int) -> AssessmentRequest:
    """The evaluation officer starts checking the evidence (received → evaluating)."""
    _require_action(actor, Action.START_EVALUATION)
    with transaction.atomic():
        request = _lock(request)
        from_status = request.status
        _check(request, Action.START_EVALUATION)
        request.status = workflow.next_status(from_status, Action.START_EVALUATION)
        ProvisionEvaluation.objects.get_or_create(request=request)
        _save(request)
        _event(request, actor=actor, action=Action.START_EVALUATION, from_status=from_status)
    return request


def evaluation_record(
    *,
    actor: Any,
    request: AssessmentRequest | int,
    complete: bool = False,
    today: date | None = None,
    **fields: Any,
) -> ProvisionEvaluation:
    """Save the checklist; with ``complete=True`` also finish it (evaluating → awaiting
    decision), which needs a recommendation."""
    action = Action.COMPLETE_EVALUATION if complete else Action.RECORD_EVALUATION
    _require_action(actor, action)
    unknown = set(fields) - _EVALUATION_FIELDS
    if unknown:
        raise ValidationFailed(f"Unknown evaluation fields: {', '.join(sorted(unknown))}", field="fields")
    errors: dict[str, list[str]] = {}
    if fields.get("recommendation") and fields["recommendation"] not in Recommendation.values:
        _add(errors, "recommendation", "Select a recommendation")
    apdr = fields.get("apdr_cycles")
    if apdr is not None and (not isinstance(apdr, int) or apdr < 0):
        _add(errors, "apdr_cycles", "Enter the number of assess-plan-do-review cycles as 0 or more")
    _fail(errors)

    with transaction.atomic():
        request = _lock(request)
        _check(request, action)
        evaluation, _ = ProvisionEvaluation.objects.select_for_update().get_or_create(request=request)
        for field, value in fields.items():
            setattr(evaluation, field, value)
        if complete:
            _fail(workflow.missing_fields(action, {"recommendation": evaluation.recommendation}))
            evaluation.completed_by = actor
            evaluation.completed_on = _today(today)
        evaluation.save()
        from_status = request.status
        request.status = workflow.next_status(from_status, action)
        _save(request)
        _event(
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
    actor: Any,
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
    _require_action(actor, action)
    reasons = list(reasons or [])
    today = _today(today)
    with transaction.atomic():
        request = _lock(request)
        _check(request, action)
        errors = workflow.missing_fields(
            action, {"notified_on": notified_on, "reasons": reasons, "rights_text_sent": rights_text_sent}
        )
        _check_date(
            errors,
            "notified_on",
            notified_on,
            today=today,
            not_before=request.received_on,
            not_before_message="The date the family was told must be on or after the date the request was received",
        )
        allowed = workflow.S36_ASSESS_REASONS if outcome == DecisionOutcome.ASSESS else workflow.S36_REFUSAL_REASONS
        if any(code not in allowed for code in reasons):
            _add(errors, "reasons", "Select reasons from the list")
        if "other" in reasons and not reasons_text.strip():
            _add(errors, "reasons_text", "Explain the other reason")
        _fail(errors)
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
        _save(request)
        _event(
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
    return request


# --- Advice (regs 6 and 8) ---------------------------------------------------------------------


def advice_request_create(
    *,
    actor: Any,
    request: AssessmentRequest | int,
    adviser_type: str,
    addressee: str,
    requested_on: date | None,
    today: date | None = None,
) -> AdviceRequest:
    """Ask a body for advice (reg 6); it is due within 6 weeks (reg 8(1))."""
    _require_action(actor, Action.REQUEST_ADVICE)
    today = _today(today)
    with transaction.atomic():
        request = _lock(request)
        _check(request, Action.REQUEST_ADVICE)
        errors = workflow.missing_fields(
            Action.REQUEST_ADVICE,
            {"adviser_type": adviser_type, "addressee": addressee.strip(), "requested_on": requested_on},
        )
        if adviser_type and adviser_type not in AdviserType.values:
            _add(errors, "adviser_type", "Select who the advice is requested from")
        _check_date(
            errors,
            "requested_on",
            requested_on,
            today=today,
            not_before=request.received_on,
            not_before_message="The date advice was requested must be on or after the date the request was received",
        )
        _fail(errors)
        assert requested_on is not None
        computed = clocks.advice_clocks(requested_on)
        advice = AdviceRequest.objects.create(
            request=request,
            adviser_type=adviser_type,
            addressee=addressee.strip(),
            requested_on=requested_on,
            due_on=computed.due_on,
            target_on=computed.target_on,
            requested_by=actor,
        )
        _event(
            request,
            actor=actor,
            action=Action.REQUEST_ADVICE,
            from_status=request.status,
            payload={
                "advice_request_id": advice.pk,
                "adviser_type": adviser_type,
                "requested_on": requested_on.isoformat(),
                "due_on": advice.due_on.isoformat(),
            },
        )
    return advice


def advice_record_received(
    *,
    actor: Any,
    advice: AdviceRequest | int,
    received_on: date | None,
    notes: str = "",
    today: date | None = None,
) -> AdviceRequest:
    """Record that requested advice has arrived."""
    _require_action(actor, Action.RECORD_ADVICE)
    today = _today(today)
    advice_pk = advice.pk if isinstance(advice, AdviceRequest) else advice
    with transaction.atomic():
        request_id = AdviceRequest.objects.values_list("request_id", flat=True).get(pk=advice_pk)
        request = _lock(request_id)
        _check(request, Action.RECORD_ADVICE)
        advice = AdviceRequest.objects.select_for_update().get(pk=advice_pk)
        if advice.received_on is not None:
            raise InvalidTransition("This advice has already been recorded as received.")
        errors = workflow.missing_fields(Action.RECORD_ADVICE, {"received_on": received_on})
        _check_date(
            errors,
            "received_on",
            received_on,
            today=today,
            not_before=advice.requested_on,
            not_before_message="The date the advice was received must be on or after the date it was requested",
        )
        _fail(errors)
        assert received_on is not None
        advice.received_on = received_on
        advice.notes = notes
        advice.received_recorded_by = actor
        advice.save()
        _event(
            request,
            actor=actor,
            action=Action.RECORD_ADVICE,
            from_status=request.status,
            payload={
                "advice_request_id": advice.pk,
                "adviser_type": advice.adviser_type,
                "received_on": received_on.isoformat(),
                "on_time": received_on <= advice.target_on,
            },
        )
    return advice


def assessment_complete(*, actor: Any, request: AssessmentRequest | int) -> AssessmentRequest:
    """All advice is in: the request waits for the decision whether to issue a plan."""
    return _simple_transition(actor=actor, request=request, action=Action.COMPLETE_ASSESSMENT)


def _simple_transition(
    *,
    actor: Any,
    request: AssessmentRequest | int,
    action: workflow.Action,
    payload: dict[str, Any] | None = None,
    note: str = "",
) -> AssessmentRequest:
    _require_action(actor, action)
    with transaction.atomic():
        request = _lock(request)
        _check(request, action)
        from_status = request.status
        request.status = workflow.next_status(from_status, action)
        _save(request)
        _event(request, actor=actor, action=action, from_status=from_status, payload=payload, note=note)
    return request


# --- Decision whether to issue (reg 10) --------------------------------------------------------


def request_decide_issue(
    *,
    actor: Any,
    request: AssessmentRequest | int,
    outcome: str,
    notified_on: date | None,
    reasons_text: str = "",
    rights_text_sent: bool = False,
    today: date | None = None,
) -> AssessmentRequest:
    """Decide whether to issue a plan: "issue" starts the draft; "not_issue" closes the request
    (reg 10(1): notified within 16 weeks, with the reg 10(3) rights text)."""
    if outcome not in (DecisionOutcome.ISSUE, DecisionOutcome.NOT_ISSUE):
        raise ValidationFailed("Select whether to issue a plan", field="outcome")
    action = Action.DECIDE_TO_ISSUE if outcome == DecisionOutcome.ISSUE else Action.DECIDE_NOT_TO_ISSUE
    _require_action(actor, action)
    today = _today(today)
    with transaction.atomic():
        request = _lock(request)
        _check(request, action)
        errors = workflow.missing_fields(
            action,
            {"notified_on": notified_on, "reasons_text": reasons_text.strip(), "rights_text_sent": rights_text_sent},
        )
        _check_date(
            errors,
            "notified_on",
            notified_on,
            today=today,
            not_before=request.request_outcome_on or request.received_on,
            not_before_message="The date the family was told must be on or after the decision to assess",
        )
        _fail(errors)
        assert notified_on is not None
        decision = AssessmentDecision.objects.create(
            request=request,
            stage=DecisionStage.ISSUE,
            outcome=outcome,
            notified_on=notified_on,
            reasons_text=reasons_text,
            rights_text_sent=rights_text_sent,
            decided_by=actor,
        )
        from_status = request.status
        request.status = workflow.next_status(from_status, action)
        if outcome == DecisionOutcome.NOT_ISSUE:
            # SEN2: the outcome date is the date the not-issue decision was notified.
            request.assessment_outcome = Sen2Outcome.NO
            request.assessment_outcome_on = notified_on
        # A decision to issue leaves the outcome "A" until the final plan is issued (SEN2).
        _save(request)
        _event(
            request,
            actor=actor,
            action=action,
            from_status=from_status,
            payload={"decision_id": decision.pk, "outcome": outcome, "notified_on": notified_on.isoformat()},
        )
    return request


# --- The plan (reg 13) -------------------------------------------------------------------------


def plan_issue_draft(
    *, actor: Any, request: AssessmentRequest | int, issued_on: date | None, today: date | None = None
) -> AssessmentRequest:
    """The draft plan is served; the family's 15 days (reg 13(1)) start that day."""
    _require_action(actor, Action.ISSUE_DRAFT)
    today = _today(today)
    with transaction.atomic():
        request = _lock(request)
        _check(request, Action.ISSUE_DRAFT)
        errors = workflow.missing_fields(Action.ISSUE_DRAFT, {"issued_on": issued_on})
        decision = _standing_decision(request, DecisionStage.ISSUE)
        _check_date(
            errors,
            "issued_on",
            issued_on,
            today=today,
            not_before=decision.notified_on if decision else request.received_on,
            not_before_message="The draft must be issued on or after the decision to issue a plan",
        )
        _fail(errors)
        assert issued_on is not None
        from_status = request.status
        request.status = workflow.next_status(from_status, Action.ISSUE_DRAFT)
        request.draft_issued_on = issued_on
        _save(request)
        _event(
            request,
            actor=actor,
            action=Action.ISSUE_DRAFT,
            from_status=from_status,
            payload={
                "issued_on": issued_on.isoformat(),
                "earliest_final_on": clocks.earliest_final_plan_on(issued_on).isoformat(),
            },
        )
    return request


def plan_record_family_comments(
    *, actor: Any, request: AssessmentRequest | int, received_on: date | None, today: date | None = None
) -> AssessmentRequest:
    """The family's representations on the draft arrived (reg 13(1))."""
    _require_action(actor, Action.RECORD_FAMILY_COMMENTS)
    today = _today(today)
    with transaction.atomic():
        request = _lock(request)
        _check(request, Action.RECORD_FAMILY_COMMENTS)
        errors = workflow.missing_fields(Action.RECORD_FAMILY_COMMENTS, {"received_on": received_on})
        _check_date(
            errors,
            "received_on",
            received_on,
            today=today,
            not_before=request.draft_issued_on,
            not_before_message="The family's comments must be received on or after the draft was issued",
        )
        _fail(errors)
        assert received_on is not None
        request.family_comments_received_on = received_on
        _save(request)
        _event(
            request,
            actor=actor,
            action=Action.RECORD_FAMILY_COMMENTS,
            from_status=request.status,
            payload={"received_on": received_on.isoformat()},
        )
    return request


def plan_issue_final(
    *,
    actor: Any,
    request: AssessmentRequest | int,
    issued_on: date | None,
    named_establishment: Establishment | None,
    placement_type: str,
    today: date | None = None,
) -> AssessmentRequest:
    """Issue the final plan (reg 13(2): within 20 weeks), naming the school or setting.

    Not before the family's 15 days on the draft have run, unless they have already
    commented (reg 13(1); ``clocks.earliest_final_plan_on``).
    """
    _require_action(actor, Action.ISSUE_FINAL)
    today = _today(today)
    with transaction.atomic():
        request = _lock(request)
        _check(request, Action.ISSUE_FINAL)
        errors = workflow.missing_fields(Action.ISSUE_FINAL, {"issued_on": issued_on, "placement_type": placement_type})
        if placement_type and placement_type not in PlacementType.values:
            _add(errors, "placement_type", "Select the type of placement named in the plan")
        if named_establishment is None and placement_type and placement_type != PlacementType.OTHER:
            _add(errors, "named_establishment", "Select the school or setting named in the plan")
        _check_date(errors, "issued_on", issued_on, today=today)
        assert request.draft_issued_on is not None  # the draft_issued status guarantees it
        earliest = clocks.earliest_final_plan_on(request.draft_issued_on, request.family_comments_received_on)
        if issued_on is not None and issued_on < earliest:
            _add(
                errors,
                "issued_on",
                f"The final plan cannot be issued before {_long(earliest)}: the family has at "
                "least 15 days from the draft to comment and ask for a school (reg 13(1))",
            )
        _fail(errors)
        assert issued_on is not None
        from_status = request.status
        request.status = workflow.next_status(from_status, Action.ISSUE_FINAL)
        request.final_plan_issued_on = issued_on
        request.named_establishment = named_establishment
        request.placement_type = placement_type
        request.assessment_outcome = Sen2Outcome.YES
        request.assessment_outcome_on = issued_on
        _save(request)
        _event(
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
    return request


# --- Clock exceptions --------------------------------------------------------------------------


def exception_add(
    *,
    actor: Any,
    request: AssessmentRequest | int,
    kind: str,
    start: date | None,
    end: date | None,
    evidence: str,
    advice_request: AdviceRequest | None = None,
) -> ClockException:
    """Record an exception period (regs 5(4), 8(2), 10(4), 13(3)) and recompute the clocks:
    the request's targets, or one advice request's target when ``advice_request`` is given."""
    _require_action(actor, Action.ADD_EXCEPTION)
    with transaction.atomic():
        request = _lock(request)
        _check(request, Action.ADD_EXCEPTION)
        errors = workflow.missing_fields(
            Action.ADD_EXCEPTION, {"kind": kind, "start": start, "end": end, "evidence": evidence.strip()}
        )
        if advice_request is not None and advice_request.request_id != request.pk:
            _add(errors, "advice_request", "Select advice requested for this request")
        if kind and start and end:
            clock: clocks.ClockKind = "advice" if advice_request is not None else "request"
            for field, message in clocks.validate_exception(kind, start, end, clock=clock):
                _add(errors, field, message)
        _fail(errors)
        assert start is not None and end is not None
        exception = ClockException.objects.create(
            request=request,
            advice_request=advice_request,
            kind=kind,
            start=start,
            end=end,
            evidence=evidence.strip(),
            recorded_by=actor,
        )
        payload = _exception_payload(exception)
        if advice_request is not None:
            advice = AdviceRequest.objects.select_for_update().get(pk=advice_request.pk)
            _advice_refresh(advice)
            advice.save(update_fields=["due_on", "target_on"])
            payload["advice_target_on"] = advice.target_on.isoformat()
        _save(request)
        _event(request, actor=actor, action=Action.ADD_EXCEPTION, from_status=request.status, payload=payload)
    return exception


def _exception_payload(exception: ClockException) -> dict[str, Any]:
    return {
        "exception_id": exception.pk,
        "kind": exception.kind,
        "start": exception.start.isoformat(),
        "end": exception.end.isoformat(),
        "advice_request_id": exception.advice_request_id,
    }


def exception_remove(*, actor: Any, exception: ClockException | int, reason: str) -> ClockException:
    """Withdraw a recorded exception (kept on file, no longer counted) and recompute."""
    _require_action(actor, Action.REMOVE_EXCEPTION)
    exception_pk = exception.pk if isinstance(exception, ClockException) else exception
    with transaction.atomic():
        request_id = ClockException.objects.values_list("request_id", flat=True).get(pk=exception_pk)
        request = _lock(request_id)
        _check(request, Action.REMOVE_EXCEPTION)
        exception = ClockException.objects.select_for_update().get(pk=exception_pk)
        if exception.removed_at is not None:
            raise InvalidTransition("This exception has already been removed.")
        _fail(workflow.missing_fields(Action.REMOVE_EXCEPTION, {"reason": reason.strip()}))
        exception.removed_at = timezone.now()
        exception.removed_by = actor
        exception.removed_reason = reason.strip()
        exception.save()
        payload = _exception_payload(exception)
        if exception.advice_request_id is not None:
            advice = AdviceRequest.objects.select_for_update().get(pk=exception.advice_request_id)
            _advice_refresh(advice)
            advice.save(update_fields=["due_on", "target_on"])
            payload["advice_target_on"] = advice.target_on.isoformat()
        _save(request)
        _event(
            request,
            actor=actor,
            action=Action.REMOVE_EXCEPTION,
            from_status=request.status,
            payload=payload,
            note=reason.strip(),
        )
    return exception


# --- Withdraw, reopen, refer ---------------------------------------------------------------------


def request_withdraw(
    *,
    actor: Any,
    request: AssessmentRequest | int,
    reason: str,
    withdrawn_on: date | None,
    today: date | None = None,
) -> AssessmentRequest:
    """Close a request withdrawn by the family or ceased (moved away, left education).

    SEN2: ``requestoutcome`` W if no decision to assess was made yet, else
    ``assessmentoutcome`` W.
    """
    _require_action(actor, Action.WITHDRAW)
    today = _today(today)
    with transaction.atomic():
        request = _lock(request)
        _check(request, Action.WITHDRAW)
        errors = workflow.missing_fields(Action.WITHDRAW, {"reason": reason.strip(), "withdrawn_on": withdrawn_on})
        _check_date(
            errors,
            "withdrawn_on",
            withdrawn_on,
            today=today,
            not_before=request.received_on,
            not_before_message="The date of withdrawal must be on or after the date the request was received",
        )
        _fail(errors)
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
        _save(request)
        _event(
            request,
            actor=actor,
            action=Action.WITHDRAW,
            from_status=from_status,
            payload={"withdrawn_on": withdrawn_on.isoformat(), "outcome_field": outcome_field},
            note=reason.strip(),
        )
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


def request_reopen(*, actor: Any, request: AssessmentRequest | int, reason: str) -> AssessmentRequest:
    """Reopen a refused, not-issued or withdrawn request (senior officers): it goes back to the
    status it had before it closed and the closing outcome is cleared. A decision it had
    reached is kept on file but marked superseded, so a new one can be recorded."""
    _require_action(actor, Action.REOPEN)
    with transaction.atomic():
        request = _lock(request)
        _check(request, Action.REOPEN)
        _fail(workflow.missing_fields(Action.REOPEN, {"reason": reason.strip()}))
        if AssessmentRequest.objects.open().filter(child_id=request.child_id).exists():
            raise Conflict(
                "This child has another request in progress. Close it before reopening this one.",
                field="child",
            )
        from_status = request.status
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
        _save(request)
        _event(
            request,
            actor=actor,
            action=Action.REOPEN,
            from_status=from_status,
            payload={"superseded_decision_ids": superseded},
            note=reason.strip(),
        )
    return request


def _supersede(request: AssessmentRequest, stage: str) -> list[int]:
    decisions = AssessmentDecision.objects.filter(request=request, stage=stage, superseded=False)
    ids = list(decisions.values_list("pk", flat=True))
    decisions.update(superseded=True)
    return ids


def request_refer_to_panel(*, actor: Any, request: AssessmentRequest | int, note: str = "") -> AssessmentRequest:
    """Record on the timeline that the request went to the placement panel (the panels app
    calls this when it creates a referral)."""
    return _simple_transition(actor=actor, request=request, action=Action.REFER_TO_PANEL, note=note.strip())


def request_record_panel_outcome(
    *, request: AssessmentRequest | int, actor: Any, outcome: str, meeting_id: int, decision_id: int, note: str = ""
) -> RequestEvent:
    """Put the placement panel's decision on the request's timeline (the panels app calls this
    in the decision's transaction). The status does not change, and a closed request (a plan
    already issued, for a change of placement) takes the entry too; the payload holds ids and
    the outcome code only."""
    _require(actor, Capability.PANEL_CHAIR)
    with transaction.atomic():
        request = _lock(request)
        return _event(
            request,
            actor=actor,
            action=workflow.EventAction.PANEL_DECISION,
            from_status=request.status,
            payload={"outcome": outcome, "meeting_id": meeting_id, "decision_id": decision_id},
            note=note.strip(),
        )


# --- Reads ----------------------------------------------------------------------------------


def request_record_view(*, user: Any, request: AssessmentRequest, path: str = "") -> AccessLog:
    """Log that ``user`` opened this request (call it in the same transaction as the read)."""
    _require(user, Capability.REQUEST_VIEW)
    return access_log_record(
        user=user, child_id=request.child_id, object_type="assessment_request", object_id=request.pk, path=path
    )
