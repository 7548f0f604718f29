"""What the request services share: the capability and transition checks, input validation,
the request's row lock, the stored clocks and the one event row each change writes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from core.errors import InvalidTransition, NotPermitted, ValidationFailed
from core.roles import Capability, user_can
from requests_app import clocks, stored, workflow
from requests_app.models import AssessmentRequest, ClockException, RequestEvent


def require(actor: User, capability: Capability) -> None:
    if not user_can(actor, capability):
        raise NotPermitted("You do not have permission to do this.")


def require_action(actor: User, action: workflow.Action) -> None:
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


def clocks_of(request: AssessmentRequest) -> stored.StoredClocks:
    """The clocks as stored on ``request`` (after ``refresh_clocks``)."""
    return stored.StoredClocks(**{name: getattr(request, name) for name in _CLOCK_FIELDS})


_CLOCK_FIELDS = tuple(stored.StoredClocks.__dataclass_fields__)


def write_event(
    request: AssessmentRequest,
    *,
    actor: User | None,
    action: workflow.Action | workflow.EventAction | str,
    from_status: str,
    payload: Mapping[str, Any] | None = None,
    note: str = "",
) -> RequestEvent:
    """Write the one event for a change, as ``stored.event_row`` builds it: ``payload`` holds
    exactly the action's facts (ids, codes and dates only, never names)."""
    row = stored.event_row(
        action=action,
        from_status=from_status,
        to_status=request.status,
        clocks_after=clocks_of(request),
        facts=payload,
        note=note,
    )
    return RequestEvent.objects.create(
        request=request,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=row.action,
        from_status=row.from_status,
        to_status=row.to_status,
        occurred_at=timezone.now(),
        payload=row.payload,
        note=row.note,
    )


def refresh_clocks(request: AssessmentRequest) -> None:
    """Recompute the stored deadlines from received_on, the live request-level exceptions and
    the status (``stored.request_clocks``: stored, indexed, recomputed on change, never
    counted); the caller saves."""
    exceptions: list[clocks.ExceptionPeriod] = []
    if request.pk:
        exceptions = [e.as_period() for e in ClockException.objects.filter(request=request).active().request_level()]
    for name, value in stored.request_clocks(request.received_on, request.status, exceptions).fields().items():
        setattr(request, name, value)


def save_request(request: AssessmentRequest) -> None:
    # The status or a date may have moved the next deadline: recompute before every save.
    refresh_clocks(request)
    request.save()
