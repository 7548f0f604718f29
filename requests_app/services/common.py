"""What the request services share: the capability and transition checks, input validation,
the request's row lock, the stored clocks and the one event row each change writes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils import timezone

from core.errors import InvalidTransition, NotPermitted, ValidationFailed
from core.roles import Capability, user_can
from requests_app import clocks, workflow
from requests_app.models import AssessmentRequest, ClockException, RequestEvent


def require(actor: Any, capability: Capability) -> None:
    if not user_can(actor, capability):
        raise NotPermitted("You do not have permission to do this.")


def require_action(actor: Any, action: workflow.Action) -> None:
    require(actor, workflow.ACTION_CAPABILITY[action])


def lock_request(request: AssessmentRequest | int) -> AssessmentRequest:
    """Re-read the request inside the transaction and hold its row until commit."""
    pk = request.pk if isinstance(request, AssessmentRequest) else request
    return AssessmentRequest.objects.select_for_update().get(pk=pk)


def check_action(request: AssessmentRequest, action: workflow.Action) -> workflow.Transition:
    try:
        return workflow.check_transition(request.status, action)
    except workflow.TransitionError as exc:
        raise InvalidTransition(exc.message) from exc


def resolve_today(today: date | None) -> date:
    return today or timezone.localdate()


def fail(errors: Mapping[str, list[str]]) -> None:
    """Raise one ValidationFailed carrying every field's messages (the first is the summary)."""
    if errors:
        field, messages = next(iter(errors.items()))
        raise ValidationFailed(messages[0], field=field, errors=dict(errors))


def add_error(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def check_date(
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
        add_error(errors, field, "The date must be today or in the past")
    if not_before is not None and value < not_before:
        add_error(errors, field, not_before_message or f"The date must be on or after {long_date(not_before)}")


def long_date(value: date) -> str:
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


def write_event(
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


def refresh_clocks(request: AssessmentRequest) -> None:
    """Recompute the stored deadlines from received_on, the live request-level exceptions and
    the status (design.md §4: stored, indexed, recomputed on change — never counted). The one
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


def save_request(request: AssessmentRequest) -> None:
    # The status or a date may have moved the next deadline: recompute before every save.
    refresh_clocks(request)
    request.save()
