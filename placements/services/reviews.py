"""A placement over its life: the reviews the panel's conditions call for, the notice that ends
it, and chasing providers for missing attendance returns.

The rules are ``placements.workflow`` (review due dates and outcomes, the notice period); these
functions apply them under the contract's row lock and write one ``PlacementEvent`` each.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from core.roles import Capability, user_can
from placements import workflow
from placements.models import PlacementContract, PlacementEventAction, PlacementReview, Provider, ReturnChase
from placements.services.common import (
    Errors,
    add_error,
    fail,
    lock_contract,
    long_date,
    parse_percent,
    pk_of,
    require_manage,
    write_event,
)
from placements.workflow import ContractStatus, ReviewOutcome

__all__ = [
    "contract_give_notice",
    "first_review_create",
    "notice_period_check",
    "returns_chase_record",
    "review_record_outcome",
    "review_schedule",
    "review_update",
]


def _review_payload(review: PlacementReview, **extra: Any) -> dict[str, Any]:
    return {
        "contract_id": review.contract_id,
        "review_id": review.pk,
        "due_on": review.due_on.isoformat(),
        "expected_attendance_percent": (
            None if review.expected_attendance_percent is None else str(review.expected_attendance_percent)
        ),
        **extra,
    }


def _attendance(errors: Errors, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return parse_percent(errors, "expected_attendance_percent", value, what="expected attendance")


def first_review_create(
    *,
    actor: Any,
    contract: PlacementContract,
    conditions: str,
    due_on: date | None = None,
    expected_attendance_percent: Any = None,
    expected_outcomes: str | None = None,
) -> PlacementReview:
    """The first review of a contract just drafted from a panel decision: due when given, else
    ``workflow.first_review_due``; the attendance and outcomes the panel's ``conditions`` state
    unless given. Called by ``contract_create`` inside its transaction (it holds the lock)."""
    errors: Errors = {}
    attendance = _attendance(errors, expected_attendance_percent)
    if due_on is not None and due_on < contract.start_on:
        add_error(errors, "first_review_on", "The first review must be on or after the start date")
    fail(errors)
    if attendance is None and expected_attendance_percent in (None, ""):
        attendance = workflow.expected_attendance_from(conditions)
    outcomes = conditions.strip() if expected_outcomes is None else expected_outcomes.strip()
    review = PlacementReview.objects.create(
        contract=contract,
        due_on=due_on or workflow.first_review_due(contract.start_on),
        expected_attendance_percent=attendance,
        expected_outcomes=outcomes,
        from_panel_conditions=bool(conditions.strip()),
    )
    write_event(
        actor=actor,
        action=PlacementEventAction.REVIEW_SCHEDULED,
        contract=contract,
        payload=_review_payload(review, from_panel_conditions=review.from_panel_conditions),
    )
    return review


def _check_schedulable(contract: PlacementContract) -> None:
    if ContractStatus(contract.status) not in workflow.REVIEW_SCHEDULE_STATUSES:
        raise InvalidTransition(
            f"A contract that is {ContractStatus(contract.status).label.lower()} cannot have reviews scheduled."
        )


def review_schedule(
    *,
    actor: Any,
    contract: PlacementContract | int,
    due_on: date | None,
    expected_attendance_percent: Any = None,
    expected_outcomes: str = "",
) -> PlacementReview:
    """Schedule a review for a contract that has none open (one drafted before reviews were
    tracked, or one whose last review ended without a next)."""
    require_manage(actor)
    with transaction.atomic():
        locked = lock_contract(contract)
        _check_schedulable(locked)
        errors: Errors = {}
        attendance = _attendance(errors, expected_attendance_percent)
        if due_on is None:
            add_error(errors, "due_on", "Enter the date the review is due")
        elif due_on < locked.start_on:
            add_error(errors, "due_on", f"The review must be on or after the start date, {long_date(locked.start_on)}")
        fail(errors)
        assert due_on is not None
        if PlacementReview.objects.filter(contract=locked).open().exists():
            raise Conflict("This placement already has a review to hold; change that one instead.", field="due_on")
        review = PlacementReview.objects.create(
            contract=locked,
            due_on=due_on,
            expected_attendance_percent=attendance,
            expected_outcomes=expected_outcomes.strip(),
        )
        write_event(
            actor=actor,
            action=PlacementEventAction.REVIEW_SCHEDULED,
            contract=locked,
            payload=_review_payload(review),
        )
    return review


def _lock_review(review: PlacementReview | int) -> tuple[PlacementContract, PlacementReview]:
    contract_id = PlacementReview.objects.filter(pk=pk_of(review)).values_list("contract_id", flat=True).first()
    if contract_id is None:
        raise ValidationFailed("Select a placement review", field="review")
    locked = lock_contract(contract_id)
    found = PlacementReview.objects.select_for_update().get(pk=pk_of(review))
    if found.outcome:
        raise InvalidTransition("This review has already been held; its outcome cannot be changed.", field="review")
    return locked, found


def review_update(
    *,
    actor: Any,
    review: PlacementReview | int,
    due_on: date | None,
    expected_attendance_percent: Any = None,
    expected_outcomes: str = "",
) -> PlacementReview:
    """Change an open review: its due date, the attendance and the outcomes expected."""
    require_manage(actor)
    with transaction.atomic():
        locked, found = _lock_review(review)
        _check_schedulable(locked)
        errors: Errors = {}
        attendance = _attendance(errors, expected_attendance_percent)
        if due_on is None:
            add_error(errors, "due_on", "Enter the date the review is due")
        elif due_on < locked.start_on:
            add_error(errors, "due_on", f"The review must be on or after the start date, {long_date(locked.start_on)}")
        fail(errors)
        assert due_on is not None
        before = _review_payload(found)
        found.due_on = due_on
        found.expected_attendance_percent = attendance
        found.expected_outcomes = expected_outcomes.strip()
        found.save(update_fields=["due_on", "expected_attendance_percent", "expected_outcomes", "updated_at"])
        write_event(
            actor=actor,
            action=PlacementEventAction.REVIEW_UPDATED,
            contract=locked,
            payload=_review_payload(found, before=before),
        )
    return found


def review_record_outcome(
    *,
    actor: Any,
    review: PlacementReview | int,
    outcome: str,
    held_on: date | None,
    evidence: str,
    next_review_on: date | None = None,
    planned_end_on: date | None = None,
    early_end_reason: str = "",
) -> PlacementReview:
    """Record what a review decided and the evidence for it. "Continue" and "change" schedule the
    next review (``next_review_on``, else ``workflow.next_review_due``) with the same
    expectations; "end" starts the ending: notice is recorded as given on the day of the review
    and the planned last day is ``planned_end_on``, else the earliest the notice allows.

    Finance records any review; an SEN officer those of the children whose case is theirs
    (``PlacementReviewQuerySet.visible_to``). None of it is money: the fees are finance's."""
    if not user_can(actor, Capability.PLACEMENT_REVIEW_RECORD):
        raise NotPermitted("You do not have permission to do this.")
    if (
        not user_can(actor, Capability.PLACEMENT_VIEW)
        and not PlacementReview.objects.visible_to(actor).filter(pk=pk_of(review)).exists()
    ):
        raise NotPermitted("You can record the reviews of your own cases only.", field="review")
    with transaction.atomic():
        locked, found = _lock_review(review)
        today = timezone.localdate()
        errors: Errors = {}
        for name, message in workflow.review_outcome_problems(
            status=locked.status,
            outcome=outcome,
            held_on=held_on,
            today=today,
            placement_start=locked.start_on,
            evidence=evidence,
            next_review_on=next_review_on,
        ):
            add_error(errors, name, message)
        if outcome == ReviewOutcome.END and held_on is not None and not errors:
            end_on = planned_end_on or workflow.earliest_end(held_on, locked.notice_period_days)
            for name, message in workflow.notice_problems(
                status=locked.status,
                given_on=held_on,
                planned_end_on=end_on,
                today=today,
                placement_start=locked.start_on,
                notice_period_days=locked.notice_period_days,
                early_reason=early_end_reason,
            ):
                add_error(errors, "held_on" if name == "given_on" else name, message)
        fail(errors)
        assert held_on is not None
        found.outcome = outcome
        found.held_on = held_on
        found.evidence = evidence.strip()
        found.recorded_by = actor
        found.recorded_at = timezone.now()
        found.save(update_fields=["outcome", "held_on", "evidence", "recorded_by", "recorded_at", "updated_at"])
        extra: dict[str, Any] = {"outcome": outcome, "held_on": held_on.isoformat()}
        if outcome == ReviewOutcome.END:
            end_on = planned_end_on or workflow.earliest_end(held_on, locked.notice_period_days)
            _apply_notice(locked, given_on=held_on, planned_end_on=end_on, early_end_reason=early_end_reason)
            extra.update(notice_given_on=held_on.isoformat(), planned_end_on=end_on.isoformat())
        else:
            following = PlacementReview.objects.create(
                contract=locked,
                due_on=next_review_on or workflow.next_review_due(held_on),
                expected_attendance_percent=found.expected_attendance_percent,
                expected_outcomes=found.expected_outcomes,
                from_panel_conditions=found.from_panel_conditions,
            )
            extra.update(next_review_id=following.pk, next_review_on=following.due_on.isoformat())
        write_event(
            actor=actor,
            action=PlacementEventAction.REVIEW_RECORDED,
            contract=locked,
            payload=_review_payload(found, **extra),
            note=ReviewOutcome(outcome).label,
        )
    return found


# --- Notice and ending -----------------------------------------------------------------------------


def notice_period_check(errors: Errors, amount: Any, unit: str) -> int | None:
    """A notice period (``amount`` days or weeks) in days, or ``None`` when none is given."""
    if amount is None or amount == "":
        return None
    problem = workflow.notice_period_problem(amount, unit or workflow.NoticeUnit.DAYS)
    if problem:
        add_error(errors, "notice_period", problem)
        return None
    return workflow.notice_days(amount, unit or workflow.NoticeUnit.DAYS)


def _apply_notice(contract: PlacementContract, *, given_on: date, planned_end_on: date, early_end_reason: str) -> None:
    early = workflow.ends_before_notice(
        planned_end_on, notice_given_on=given_on, notice_period_days=contract.notice_period_days
    )
    contract.notice_given_on = given_on
    contract.end_on = planned_end_on
    contract.early_end_reason = early_end_reason.strip() if early else ""
    contract.save(update_fields=["notice_given_on", "end_on", "early_end_reason", "notice_period_days", "updated_at"])


def contract_give_notice(
    *,
    actor: Any,
    contract: PlacementContract | int,
    given_on: date | None,
    planned_end_on: date | None,
    notice_period: int | None = None,
    notice_period_unit: str = workflow.NoticeUnit.DAYS,
    early_end_reason: str = "",
    note: str = "",
) -> PlacementContract:
    """Record that notice to end the placement was given on ``given_on`` and its planned last
    day. The contract's notice period (set here if given) makes the earliest end the notice day
    plus the period; a planned end sooner than that needs ``early_end_reason``. The placement
    stays active until the child leaves (``contract_end``)."""
    require_manage(actor)
    with transaction.atomic():
        locked = lock_contract(contract)
        errors: Errors = {}
        period_days = notice_period_check(errors, notice_period, notice_period_unit)
        if period_days is not None:
            locked.notice_period_days = period_days
        for name, message in workflow.notice_problems(
            status=locked.status,
            given_on=given_on,
            planned_end_on=planned_end_on,
            today=timezone.localdate(),
            placement_start=locked.start_on,
            notice_period_days=locked.notice_period_days,
            early_reason=early_end_reason,
        ):
            add_error(errors, name, message)
        if "given_on" in errors and locked.status != ContractStatus.ACTIVE:
            raise InvalidTransition(errors["given_on"][0], field="given_on")
        fail(errors)
        assert given_on is not None and planned_end_on is not None
        _apply_notice(locked, given_on=given_on, planned_end_on=planned_end_on, early_end_reason=early_end_reason)
        write_event(
            actor=actor,
            action=PlacementEventAction.NOTICE_GIVEN,
            contract=locked,
            payload={
                "contract_id": locked.pk,
                "notice_given_on": given_on.isoformat(),
                "planned_end_on": planned_end_on.isoformat(),
                "notice_period_days": locked.notice_period_days,
                "earliest_end_on": workflow.earliest_end(given_on, locked.notice_period_days).isoformat(),
                "early": bool(locked.early_end_reason),
            },
            note=(early_end_reason.strip() if locked.early_end_reason else note.strip()),
        )
    return locked


# --- Chasing returns -------------------------------------------------------------------------------


def returns_chase_record(
    *,
    actor: Any,
    provider: Provider | int,
    period_start: date | None,
    period_end: date | None,
    chased_on: date | None,
    note: str = "",
) -> ReturnChase:
    """Record that a provider was chased for the attendance returns it has not sent for a closed
    period (the returns-missing queue shows the latest chase beside the provider)."""
    require_manage(actor)
    with transaction.atomic():
        found = Provider.objects.select_for_update().filter(pk=pk_of(provider)).first()
        errors: Errors = {}
        if found is None:
            add_error(errors, "provider", "Select the provider")
        if period_start is None:
            add_error(errors, "period_start", "Enter the first day of the period chased")
        if period_end is None:
            add_error(errors, "period_end", "Enter the last day of the period chased")
        elif period_start is not None and period_end < period_start:
            add_error(errors, "period_end", "The end of the period must be on or after its start")
        today = timezone.localdate()
        if chased_on is None:
            add_error(errors, "chased_on", "Enter the date the provider was chased")
        elif chased_on > today:
            add_error(errors, "chased_on", "The date the provider was chased must be today or in the past")
        elif period_end is not None and chased_on <= period_end:
            add_error(errors, "chased_on", "A provider is chased once the period has closed, after its last day")
        fail(errors)
        assert found is not None and period_start is not None and period_end is not None and chased_on is not None
        chase = ReturnChase.objects.create(
            provider=found,
            period_start=period_start,
            period_end=period_end,
            chased_on=chased_on,
            note=note.strip(),
            chased_by=actor,
        )
        write_event(
            actor=actor,
            action=PlacementEventAction.RETURNS_CHASED,
            provider=found,
            payload={
                "provider_id": found.pk,
                "chase_id": chase.pk,
                "period_start": period_start.isoformat(),
                "period_end": period_end.isoformat(),
                "chased_on": chased_on.isoformat(),
            },
            note=note.strip(),
        )
    return chase
