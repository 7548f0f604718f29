"""Advice requested during the assessment (regs 6 and 8) and its cancellation, and the clock
exceptions that move a statutory deadline (regs 5(4), 8(2), 10(4), 13(3)) for the request or for
one advice request."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from core.errors import InvalidTransition
from core.staleness import mark_stale
from requests_app import clocks, workflow
from requests_app.models import AdviceRequest, AdviserType, AssessmentRequest, ClockException
from requests_app.services.common import (
    add_error,
    check_action,
    check_date,
    fail,
    lock_request,
    require_action,
    resolve_today,
    save_request,
    write_event,
)
from requests_app.services.letters import advice_letters_issue

Action = workflow.Action


# --- Advice (regs 6 and 8) ---------------------------------------------------------------------


def advice_request_create(
    *,
    actor: User,
    request: AssessmentRequest | int,
    adviser_type: str,
    addressee: str,
    requested_on: date | None,
    today: date | None = None,
) -> AdviceRequest:
    """Ask a body for advice (reg 6); it is due within 6 weeks (reg 8(1))."""
    require_action(actor, Action.REQUEST_ADVICE)
    today = resolve_today(today)
    with transaction.atomic():
        request = lock_request(request)
        check_action(request, Action.REQUEST_ADVICE)
        errors = workflow.missing_fields(
            Action.REQUEST_ADVICE,
            {"adviser_type": adviser_type, "addressee": addressee.strip(), "requested_on": requested_on},
        )
        if adviser_type and adviser_type not in AdviserType.values:
            add_error(errors, "adviser_type", "Select who the advice is requested from")
        check_date(
            errors,
            "requested_on",
            requested_on,
            today=today,
            not_before=request.received_on,
            not_before_message="The date advice was requested must be on or after the date the request was received",
        )
        if adviser_type in AdviserType.values:
            # One awaited request per service: a second would sit in its queue twice (the request
            # row is locked, so two officers cannot both pass this check).
            awaited = AdviceRequest.objects.filter(request=request).awaited().values_list("adviser_type", flat=True)
            duplicate = workflow.duplicate_advice_error(
                adviser_type, awaited_types=awaited, adviser_label=AdviserType(adviser_type).label
            )
            if duplicate:
                add_error(errors, "adviser_type", duplicate)
        fail(errors)
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
        event = write_event(
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
        # reg 6(1): the letter asking for the advice, to the adviser on the child's file.
        advice_letters_issue(
            request=request, event=event, adviser_type=adviser_type, actor=actor, dated_on=requested_on
        )
    return advice


def advice_record_received(
    *,
    actor: User,
    advice: AdviceRequest | int,
    received_on: date | None,
    notes: str = "",
    today: date | None = None,
) -> AdviceRequest:
    """Record that requested advice has arrived."""
    require_action(actor, Action.RECORD_ADVICE)
    today = resolve_today(today)
    advice_pk = advice.pk if isinstance(advice, AdviceRequest) else advice
    with transaction.atomic():
        request_id = AdviceRequest.objects.values_list("request_id", flat=True).get(pk=advice_pk)
        request = lock_request(request_id)
        check_action(request, Action.RECORD_ADVICE)
        advice = AdviceRequest.objects.select_for_update().get(pk=advice_pk)
        if advice.received_on is not None:
            raise InvalidTransition("This advice has already been recorded as received.")
        errors = workflow.missing_fields(Action.RECORD_ADVICE, {"received_on": received_on})
        check_date(
            errors,
            "received_on",
            received_on,
            today=today,
            not_before=advice.requested_on,
            not_before_message="The date the advice was received must be on or after the date it was requested",
        )
        fail(errors)
        assert received_on is not None
        advice.received_on = received_on
        advice.notes = notes
        advice.received_recorded_by = actor
        advice.save()
        # Advice returned in a month (and within 6 weeks) is a monthly figure.
        mark_stale([received_on], "advice received")
        write_event(
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


def advice_cancel(*, actor: User, advice: AdviceRequest | int, reason: str) -> AdviceRequest:
    """Cancel a request for advice that went to the wrong service or is no longer needed: kept
    on file with the reason, it leaves the advice queue and no longer counts as awaited."""
    require_action(actor, Action.CANCEL_ADVICE)
    advice_pk = advice.pk if isinstance(advice, AdviceRequest) else advice
    with transaction.atomic():
        request_id = AdviceRequest.objects.values_list("request_id", flat=True).get(pk=advice_pk)
        request = lock_request(request_id)
        check_action(request, Action.CANCEL_ADVICE)
        advice = AdviceRequest.objects.select_for_update().get(pk=advice_pk)
        if advice.received_on is not None:
            raise InvalidTransition("This advice has already been received.")
        if advice.cancelled_at is not None:
            raise InvalidTransition("This request for advice has already been cancelled.")
        fail(workflow.missing_fields(Action.CANCEL_ADVICE, {"reason": reason.strip()}))
        advice.cancelled_at = timezone.now()
        advice.cancelled_by = actor
        advice.cancelled_reason = reason.strip()
        advice.save(update_fields=["cancelled_at", "cancelled_by", "cancelled_reason"])
        write_event(
            request,
            actor=actor,
            action=Action.CANCEL_ADVICE,
            from_status=request.status,
            payload={"advice_request_id": advice.pk, "adviser_type": advice.adviser_type},
            note=reason.strip(),
        )
    return advice


# --- Clock exceptions --------------------------------------------------------------------------


def exception_add(
    *,
    actor: User,
    request: AssessmentRequest | int,
    kind: str,
    start: date | None,
    end: date | None,
    evidence: str,
    advice_request: AdviceRequest | None = None,
) -> ClockException:
    """Record an exception period (regs 5(4), 8(2), 10(4), 13(3)) and recompute the clocks:
    the request's targets, or one advice request's target when ``advice_request`` is given."""
    require_action(actor, Action.ADD_EXCEPTION)
    with transaction.atomic():
        request = lock_request(request)
        check_action(request, Action.ADD_EXCEPTION)
        errors = workflow.missing_fields(
            Action.ADD_EXCEPTION, {"kind": kind, "start": start, "end": end, "evidence": evidence.strip()}
        )
        if advice_request is not None and advice_request.request_id != request.pk:
            add_error(errors, "advice_request", "Select advice requested for this request")
        if kind and start and end:
            clock: clocks.ClockKind = "advice" if advice_request is not None else "request"
            for field, message in clocks.validate_exception(kind, start, end, clock=clock):
                add_error(errors, field, message)
            # The window the clock runs in now: day 1 to the current (exception-adjusted) target.
            # An exception wholly outside it would add no days, so it is refused, naming it.
            if advice_request is not None:
                window = (advice_request.requested_on, advice_request.target_on)
            else:
                window = (request.received_on, request.final_plan_target_on)
            outside = clocks.exception_outside_window(start, end, window_start=window[0], window_end=window[1])
            if outside:
                add_error(errors, "start", outside)
        fail(errors)
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
        save_request(request)
        write_event(request, actor=actor, action=Action.ADD_EXCEPTION, from_status=request.status, payload=payload)
        _mark_exception_stale(request, exception, "clock exception added")
    return exception


def _exception_payload(exception: ClockException) -> dict[str, Any]:
    return {
        "exception_id": exception.pk,
        "kind": exception.kind,
        "start": exception.start.isoformat(),
        "end": exception.end.isoformat(),
        "advice_request_id": exception.advice_request_id,
        "advice_target_on": None,  # the advice request's new target, for an advice exception
    }


def exception_remove(*, actor: User, exception: ClockException | int, reason: str) -> ClockException:
    """Withdraw a recorded exception (kept on file, no longer counted) and recompute."""
    require_action(actor, Action.REMOVE_EXCEPTION)
    exception_pk = exception.pk if isinstance(exception, ClockException) else exception
    with transaction.atomic():
        request_id = ClockException.objects.values_list("request_id", flat=True).get(pk=exception_pk)
        request = lock_request(request_id)
        check_action(request, Action.REMOVE_EXCEPTION)
        exception = ClockException.objects.select_for_update().get(pk=exception_pk)
        if exception.removed_at is not None:
            raise InvalidTransition("This exception has already been removed.")
        fail(workflow.missing_fields(Action.REMOVE_EXCEPTION, {"reason": reason.strip()}))
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
        save_request(request)
        write_event(
            request,
            actor=actor,
            action=Action.REMOVE_EXCEPTION,
            from_status=request.status,
            payload=payload,
            note=reason.strip(),
        )
        _mark_exception_stale(request, exception, "clock exception removed")
    return exception


def _mark_exception_stale(request: AssessmentRequest, exception: ClockException, reason: str) -> None:
    """An exception moves targets and the SEN2 week20 flag: the months of its period and of the
    request's outcomes (plans within 20 weeks excluding exceptions) are stale; for an advice
    exception, also the month the advice came back."""
    advice_received = exception.advice_request.received_on if exception.advice_request is not None else None
    mark_stale(
        [
            exception.start,
            exception.end,
            request.request_outcome_on,
            request.assessment_outcome_on,
            request.final_plan_issued_on,
            advice_received,
        ],
        reason,
    )


def _advice_refresh(advice: AdviceRequest) -> None:
    exceptions = [e.as_period() for e in advice.clock_exceptions.active()]
    computed = clocks.advice_clocks(advice.requested_on, exceptions)
    advice.due_on, advice.target_on = computed.due_on, computed.target_on
