"""Finance work queues (placements/workflow.py ``Queue``): what a finance officer must act on,
each a page and an API list, with counts on the placements home page.

The database narrows each list; the rules that decide an item (``workflow.return_missing``,
``review_due``, ``ending_soon``) are the pure ones, applied here to what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch, Q

from placements import workflow
from placements.models import AttendanceReturn, Deduction, PlacementContract
from placements.workflow import Queue


@dataclass(frozen=True)
class QueueItem:
    """One thing to act on: the contract, the date it turns on, and what is due."""

    contract: PlacementContract
    due_on: date
    detail: str
    deduction: Deduction | None = None


def _contracts(user: Any) -> Any:
    return PlacementContract.objects.visible_to(user).select_related("child", "provider__establishment")


def deductions_awaiting(user: Any) -> list[QueueItem]:
    rows = (
        Deduction.objects.filter(
            status=workflow.DeductionStatus.PENDING.value,
            attendance_return__contract__in=PlacementContract.objects.visible_to(user),
        )
        .select_related("attendance_return__contract__child", "attendance_return__contract__provider__establishment")
        .order_by("attendance_return__period_end", "pk")
    )
    return [
        QueueItem(
            contract=d.attendance_return.contract,
            due_on=d.attendance_return.period_end,
            detail=(
                f"{workflow.format_pounds(d.amount_pence)} for {workflow.long_date(d.attendance_return.period_start)}"
                f" to {workflow.long_date(d.attendance_return.period_end)}"
            ),
            deduction=d,
        )
        for d in rows
    ]


def returns_missing(user: Any, today: date) -> list[QueueItem]:
    start, end = workflow.last_closed_month(today)
    candidates = (
        _contracts(user)
        .filter(status__in=[s.value for s in workflow.AGREED_STATUSES], start_on__lte=end)
        .filter(
            Q(status=workflow.ContractStatus.ENDED.value, ended_on__gte=start)
            | Q(status=workflow.ContractStatus.ACTIVE.value, end_on__isnull=True)
            | Q(status=workflow.ContractStatus.ACTIVE.value, end_on__gte=start)
        )
        .prefetch_related(
            Prefetch(
                "attendance_returns",
                queryset=AttendanceReturn.objects.filter(period_start__lte=end, period_end__gte=start),
                to_attr="returns_in_period",
            )
        )
        .order_by("provider__establishment__name", "reference")
    )
    items = []
    for contract in candidates:
        finish = contract.ended_on if contract.status == workflow.ContractStatus.ENDED else contract.end_on
        if workflow.return_missing(
            (start, end),
            placement_start=contract.start_on,
            placement_finish=finish,
            returns=[(r.period_start, r.period_end) for r in contract.returns_in_period],
        ):
            items.append(
                QueueItem(
                    contract=contract,
                    due_on=end,
                    detail=f"No return for {start:%B %Y}",
                )
            )
    return items


def reviews_due(user: Any, today: date) -> list[QueueItem]:
    horizon = today + timedelta(days=workflow.REVIEW_DUE_DAYS)
    rows = (
        _contracts(user)
        .filter(status=workflow.ContractStatus.ACTIVE.value, annual_review_on__lte=horizon)
        .order_by("annual_review_on", "reference")
    )
    return [
        QueueItem(
            contract=c,
            due_on=c.annual_review_on,
            detail="Overdue" if c.annual_review_on < today else f"Due {workflow.long_date(c.annual_review_on)}",
        )
        for c in rows
        if workflow.review_due(c.annual_review_on, today)
    ]


def contracts_ending(user: Any, today: date) -> list[QueueItem]:
    horizon = today + timedelta(days=workflow.ENDING_SOON_DAYS)
    rows = (
        _contracts(user)
        .filter(status=workflow.ContractStatus.ACTIVE.value, end_on__isnull=False, end_on__lte=horizon)
        .order_by("end_on", "reference")
    )
    items = []
    for c in rows:
        if not workflow.ending_soon(c.end_on, today):
            continue
        days = (c.end_on - today).days
        detail = (
            f"Planned end passed {-days} day{'s' if days != -1 else ''} ago"
            if days < 0
            else f"Ends in {days} day{'s' if days != 1 else ''}"
        )
        items.append(QueueItem(contract=c, due_on=c.end_on, detail=detail))
    return items


def queue_items(queue: Queue, user: Any, today: date) -> list[QueueItem]:
    if queue is Queue.DEDUCTIONS:
        return deductions_awaiting(user)
    if queue is Queue.RETURNS_MISSING:
        return returns_missing(user, today)
    if queue is Queue.REVIEWS_DUE:
        return reviews_due(user, today)
    return contracts_ending(user, today)


def queue_counts(user: Any, today: date) -> dict[Queue, int]:
    return {queue: len(queue_items(queue, user, today)) for queue in Queue}
