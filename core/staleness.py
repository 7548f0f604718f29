"""Which months' stored figures are stale (docs/architecture.md, "Figures that stay true").

Every service that changes a dated fact calls :func:`mark_stale` with the dates the change
touches (the old and the new value of a corrected date, say), inside its own transaction, so
the mark commits or rolls back with the change. The reporting jobs read :func:`stale_months`,
recompute those months and call :func:`clear_stale` with the time their computation began: a
month marked again while the job ran stays stale for the next run.

This module sits in ``core`` so that every app can mark months without importing ``reporting``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone

from .models import StaleMonth

REASON_MAX = 200


def month_start(day: datetime.date | datetime.datetime) -> datetime.date:
    """The first day of ``day``'s calendar month (a datetime counts in the local time zone)."""
    if isinstance(day, datetime.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    return day.replace(day=1)


def mark_stale(
    days: Iterable[datetime.date | datetime.datetime | None], reason: str, *, now: datetime.datetime | None = None
) -> list[datetime.date]:
    """Mark the months of ``days`` stale (``None`` entries are ignored); return the months marked.

    Idempotent and safe under concurrency: one upsert per call, keyed on the month."""
    months = sorted({month_start(d) for d in days if d is not None})
    if not months:
        return []
    marked_at = now or timezone.now()
    text = reason.strip()[:REASON_MAX] or "changed"
    StaleMonth.objects.bulk_create(
        [StaleMonth(month=m, marked_at=marked_at, reason=text) for m in months],
        update_conflicts=True,
        unique_fields=["month"],
        update_fields=["marked_at", "reason"],
    )
    return months


def stale_months(*, since: datetime.date | None = None) -> list[datetime.date]:
    """The stale months, oldest first (from ``since``'s month on, when given)."""
    qs = StaleMonth.objects.all()
    if since is not None:
        qs = qs.filter(month__gte=month_start(since))
    return list(qs.values_list("month", flat=True))


def is_stale(month: datetime.date) -> bool:
    return StaleMonth.objects.filter(month=month_start(month)).exists()


def clear_stale(months: Iterable[datetime.date], *, computed_from: datetime.datetime) -> int:
    """Clear the marks of ``months`` that were made before ``computed_from`` (when the
    recomputation began); a mark made while it ran survives. Returns how many were cleared."""
    starts = {month_start(m) for m in months}
    if not starts:
        return 0
    deleted, _ = StaleMonth.objects.filter(Q(month__in=starts) & Q(marked_at__lte=computed_from)).delete()
    return deleted
