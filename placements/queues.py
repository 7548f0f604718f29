"""Finance work queues (placements/workflow.py ``Queue``): what a finance officer must act on,
each a page and an API list, with counts on the placements home page.

Each queue is one SQL query (``queue_queryset``): the database applies the same rules as the
pure ones in ``placements.workflow`` (``return_missing``, ``review_due``, ``ending_soon``,
``placement_review_due``), so a count is a ``COUNT(*)`` however many requests and contracts the
council holds, and the items are built only for the page shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from placements import workflow
from placements.models import (
    AttendanceReturn,
    Deduction,
    FeeReview,
    PlacementContract,
    PlacementReview,
    Provider,
    ReturnChase,
)
from placements.workflow import ContractStatus, Queue


@dataclass(frozen=True)
class QueueItem:
    """One thing to act on: the contract, the date it turns on, and what is due."""

    contract: PlacementContract
    due_on: date
    detail: str
    deduction: Deduction | None = None
    review: PlacementReview | None = None
    # Returns missing: the provider to chase, the period, and when it was last chased for it.
    provider: Provider | None = None
    period: tuple[date, date] | None = None
    chased_on: date | None = None
    fee_review: FeeReview | None = None


def _contracts(user: Any) -> QuerySet[PlacementContract]:
    return PlacementContract.objects.visible_to(user).select_related("child", "provider__establishment")


def _deductions(user: Any) -> QuerySet[Deduction]:
    return (
        Deduction.objects.filter(
            status=workflow.DeductionStatus.PENDING.value,
            attendance_return__contract__in=PlacementContract.objects.visible_to(user),
        )
        .select_related("attendance_return__contract__child", "attendance_return__contract__provider__establishment")
        .order_by("attendance_return__period_end", "pk")
    )


def deductions_awaiting(user: Any) -> list[QueueItem]:
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
        for d in _deductions(user)
    ]


def _returns_missing(user: Any, today: date) -> QuerySet[PlacementContract]:
    """Placements running on some day of the last closed month (an ended one only up to its
    end) with no return covering any day of it (``workflow.return_missing``, in SQL)."""
    start, end = workflow.last_closed_month(today)
    covering = AttendanceReturn.objects.filter(contract=OuterRef("pk"), period_start__lte=end, period_end__gte=start)
    last_chase = ReturnChase.objects.filter(
        provider=OuterRef("provider_id"), period_start=start, period_end=end
    ).order_by("-chased_on", "-pk")
    return (
        _contracts(user)
        .filter(status__in=[s.value for s in workflow.AGREED_STATUSES], start_on__lte=end)
        .filter(
            Q(status=ContractStatus.ENDED.value, ended_on__gte=start)
            | Q(status=ContractStatus.ACTIVE.value, end_on__isnull=True)
            | Q(status=ContractStatus.ACTIVE.value, end_on__gte=start)
        )
        .filter(~Exists(covering))
        .annotate(chased_on=Subquery(last_chase.values("chased_on")[:1]))
        .order_by("provider__establishment__name", "provider_id", "reference")
    )


def returns_missing(user: Any, today: date) -> list[QueueItem]:
    start, end = workflow.last_closed_month(today)
    return [
        QueueItem(
            contract=contract,
            due_on=end,
            detail=f"No return for {start:%B %Y}",
            provider=contract.provider,
            period=(start, end),
            chased_on=getattr(contract, "chased_on", None),  # annotated by _returns_missing
        )
        for contract in _returns_missing(user, today)
    ]


def by_provider(items: Sequence[QueueItem]) -> list[dict[str, Any]]:
    """Returns-missing items grouped by provider, in order: one chase covers them all."""
    groups: dict[int, dict[str, Any]] = {}
    for item in items:
        provider = item.contract.provider
        group = groups.setdefault(
            provider.pk, {"provider": provider, "chased_on": item.chased_on, "period": item.period, "items": []}
        )
        group["items"].append(item)
    return list(groups.values())


def _fee_reviews(user: Any, today: date) -> QuerySet[PlacementContract]:
    horizon = today + timedelta(days=workflow.REVIEW_DUE_DAYS)
    return (
        _contracts(user)
        .filter(status=ContractStatus.ACTIVE.value, annual_review_on__lte=horizon)
        .order_by("annual_review_on", "reference")
    )


def reviews_due(user: Any, today: date) -> list[QueueItem]:
    """Annual fee reviews due (``Queue.REVIEWS_DUE``; placement reviews are ``placement_reviews_due``)."""
    return [
        QueueItem(
            contract=c,
            due_on=c.annual_review_on,
            detail="Overdue" if c.annual_review_on < today else f"Due {workflow.long_date(c.annual_review_on)}",
        )
        for c in _fee_reviews(user, today)
    ]


def _ending(user: Any, today: date) -> QuerySet[PlacementContract]:
    # Giving notice sets the planned end (services.reviews), so the planned end is the date.
    horizon = today + timedelta(days=workflow.ENDING_SOON_DAYS)
    return (
        _contracts(user)
        .filter(status=ContractStatus.ACTIVE.value, end_on__isnull=False, end_on__lte=horizon)
        .order_by("end_on", "reference")
    )


def contracts_ending(user: Any, today: date) -> list[QueueItem]:
    items = []
    for c in _ending(user, today):
        ends = workflow.ending_date(c.end_on, c.notice_given_on, c.notice_period_days)
        assert ends is not None
        days = (ends - today).days
        detail = (
            f"Planned end passed {-days} day{'s' if days != -1 else ''} ago"
            if days < 0
            else f"Ends in {days} day{'s' if days != 1 else ''}"
        )
        if c.notice_given_on:
            detail += f"; notice given {workflow.long_date(c.notice_given_on)}"
        items.append(QueueItem(contract=c, due_on=ends, detail=detail))
    return items


def _placement_reviews(user: Any, today: date) -> QuerySet[PlacementReview]:
    horizon = today + timedelta(days=workflow.PLACEMENT_REVIEW_DUE_SOON_DAYS)
    return (
        PlacementReview.objects.visible_to(user)
        .open()
        .filter(
            due_on__lte=horizon,
            contract__status__in=[s.value for s in workflow.REVIEW_STATUSES],
        )
        .select_related("contract__child", "contract__provider__establishment")
        .order_by("due_on", "contract__reference", "pk")
    )


def placement_reviews_due(user: Any, today: date) -> list[QueueItem]:
    """Placement reviews (the panel's conditions) overdue or due within the window."""
    items = []
    for review in _placement_reviews(user, today):
        state = workflow.review_state(review.due_on, today)
        detail = (
            f"Overdue by {(today - review.due_on).days} days"
            if state is workflow.ReviewState.OVERDUE
            else f"Due {workflow.long_date(review.due_on)}"
        )
        items.append(QueueItem(contract=review.contract, due_on=review.due_on, detail=detail, review=review))
    return items


def queue_queryset(queue: Queue, user: Any, today: date) -> QuerySet[Any]:
    """The one query behind a queue (what ``queue_counts`` counts)."""
    if queue is Queue.DEDUCTIONS:
        return _deductions(user)
    if queue is Queue.RETURNS_MISSING:
        return _returns_missing(user, today)
    if queue is Queue.REVIEWS_DUE:
        return _fee_reviews(user, today)
    if queue is Queue.PLACEMENT_REVIEWS_DUE:
        return _placement_reviews(user, today)
    if queue is Queue.FEE_REVIEWS:
        return _open_fee_reviews(user)
    return _ending(user, today)


def _open_fee_reviews(user: Any) -> QuerySet[FeeReview]:
    return (
        FeeReview.objects.visible_to(user)
        .open()
        .filter(contract__in=PlacementContract.objects.visible_to(user))
        .select_related("contract__child", "contract__provider__establishment")
        .order_by("received_on", "pk")
    )


def fee_reviews_open(user: Any) -> list[QueueItem]:
    """Annual fee reviews not yet settled (received, negotiating or waiting for the panel), the
    longest waiting first."""
    rows = _open_fee_reviews(user)
    return [
        QueueItem(
            contract=r.contract,
            due_on=r.received_on,
            detail=(
                f"{workflow.FeeReviewStatus(r.status).label}: {workflow.format_pounds(r.current_annual_cost_pence)} "
                f"a year now, {workflow.format_pounds(r.requested_annual_cost_pence)} asked for"
            ),
            fee_review=r,
        )
        for r in rows
    ]


def queue_items(queue: Queue, user: Any, today: date) -> list[QueueItem]:
    if queue is Queue.FEE_REVIEWS:
        return fee_reviews_open(user)
    if queue is Queue.DEDUCTIONS:
        return deductions_awaiting(user)
    if queue is Queue.RETURNS_MISSING:
        return returns_missing(user, today)
    if queue is Queue.REVIEWS_DUE:
        return reviews_due(user, today)
    if queue is Queue.PLACEMENT_REVIEWS_DUE:
        return placement_reviews_due(user, today)
    return contracts_ending(user, today)


def queue_counts(user: Any, today: date) -> dict[Queue, int]:
    """Each queue's size: one ``COUNT(*)`` query per queue, never rows loaded into Python."""
    return {queue: queue_queryset(queue, user, today).count() for queue in Queue}
