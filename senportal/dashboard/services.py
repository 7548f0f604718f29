"""Taking the metric snapshots. Every write to the dashboard's tables goes through here.

The roof composes the apps: each app offers pure aggregate functions over its own tables
(``requests_app.reports`` today; panel and placement figures later), listed once in
``FIGURE_SOURCES``. A snapshot is the merge of every source's figures for the period. The jobs
are idempotent: one row per period and scope, replaced by ``update_or_create`` in one
transaction, so a rerun (or a retried task) leaves the same rows with fresh values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from requests_app import reports as request_reports
from senportal.core.errors import ValidationFailed
from senportal.core.models import District
from senportal.dashboard import sources as roof_sources
from senportal.dashboard.models import AnnualMetric, BacklogSnapshot, MonthlyMetric
from senportal.db_router import reporting_reads

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FigureSource:
    """One app's report functions, as the dashboard composes them.

    ``monthly(month_start=, district_id=)``, ``annual(year=, district_id=)`` and
    ``backlog(on=, district_id=)`` return counts keyed by metric name (names must not clash
    between sources); ``cases_for(metric, *, month_start=, year=, on=, district_id=)`` returns
    the rows behind one of them, and ``is_metric(name)`` says whether the name is the source's.
    """

    name: str
    is_metric: Callable[[str], bool]
    cases_for: Callable[..., QuerySet[Any]]
    monthly: Callable[..., dict[str, Any]] | None = None
    annual: Callable[..., dict[str, Any]] | None = None
    backlog: Callable[..., dict[str, Any]] | None = None


# The hook list. Panel outcomes (panels.reports.panel_figures) and placement figures plug in
# here with a FigureSource each; the dashboard page shows their section once their keys appear.
FIGURE_SOURCES: tuple[FigureSource, ...] = (
    FigureSource(
        name="requests",
        is_metric=request_reports.is_metric,
        cases_for=request_reports.cases_for,
        monthly=request_reports.monthly_request_metrics,
        annual=request_reports.annual_request_metrics,
        backlog=request_reports.backlog_snapshot,
    ),
    # Council-wide only (district scopes get no keys): see senportal/dashboard/sources.py.
    FigureSource(
        name="panels",
        is_metric=roof_sources.is_panel_metric,
        cases_for=roof_sources.panel_cases_for,
        monthly=roof_sources.panel_monthly,
    ),
    FigureSource(
        name="placements",
        is_metric=roof_sources.is_placement_metric,
        cases_for=roof_sources.placement_cases_for,
        monthly=roof_sources.placements_monthly,
        backlog=roof_sources.placements_backlog,
    ),
)


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        clash = merged.keys() & part.keys()
        if clash:
            raise ValueError(f"Two figure sources define {sorted(clash)}")
        merged.update(part)
    return merged


def _scopes() -> list[int | None]:
    """All districts (None), then each district."""
    return [None, *District.objects.order_by("pk").values_list("pk", flat=True)]


def first_of_month(value: date) -> date:
    return value.replace(day=1)


def previous_month(today: date) -> date:
    """The first day of the month before ``today``'s: the month just ended."""
    first = first_of_month(today)
    return date(first.year - 1, 12, 1) if first.month == 1 else date(first.year, first.month - 1, 1)


def months_between(from_month: date, to_month: date) -> list[date]:
    """First days of every month from ``from_month`` to ``to_month`` inclusive."""
    months: list[date] = []
    current, last = first_of_month(from_month), first_of_month(to_month)
    while current <= last:
        months.append(current)
        current = date(current.year + 1, 1, 1) if current.month == 12 else date(current.year, current.month + 1, 1)
    return months


# --- Services ----------------------------------------------------------------------------------


def metrics_compute_month(*, month_start: date) -> int:
    """Compute and store one month's figures for all districts and for each district.

    Returns the number of rows written. One transaction: a month is never half-replaced.
    """
    month = first_of_month(month_start)
    sources = [s.monthly for s in FIGURE_SOURCES if s.monthly is not None]
    written = 0
    with transaction.atomic():
        for district_id in _scopes():
            with reporting_reads():  # the aggregates read the replica, if there is one
                data = _merge([compute(month_start=month, district_id=district_id) for compute in sources])
            MonthlyMetric.objects.update_or_create(
                month=month, district_id=district_id, defaults={"data": data, "computed_at": timezone.now()}
            )
            written += 1
    logger.info("Monthly metrics stored for %s (%d rows)", f"{month:%Y-%m}", written)
    return written


def metrics_compute_year(*, year: int) -> int:
    """Compute and store a calendar year's DfE-basis figures for all districts and each one."""
    if not 2000 <= year <= 2100:
        raise ValidationFailed("Enter a year between 2000 and 2100", field="year")
    sources = [s.annual for s in FIGURE_SOURCES if s.annual is not None]
    written = 0
    with transaction.atomic():
        for district_id in _scopes():
            with reporting_reads():
                data = _merge([compute(year=year, district_id=district_id) for compute in sources])
            AnnualMetric.objects.update_or_create(
                year=year, district_id=district_id, defaults={"data": data, "computed_at": timezone.now()}
            )
            written += 1
    logger.info("Annual metrics stored for %d (%d rows)", year, written)
    return written


@dataclass
class RangeResult:
    months: list[date] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    rows: int = 0


def metrics_compute_range(*, from_month: date, to_month: date) -> RangeResult:
    """Recompute every month from ``from_month`` to ``to_month`` (inclusive), then the annual
    figures of every calendar year the range touches (design.md §5): a corrected month
    changes its year's totals too. Each month and each year is its own transaction, so a
    long backfill that stops half-way keeps what it finished and can simply be rerun."""
    if from_month > to_month:
        raise ValidationFailed("The first month must be on or before the last month", field="from")
    result = RangeResult(months=months_between(from_month, to_month))
    for month in result.months:
        result.rows += metrics_compute_month(month_start=month)
    result.years = sorted({month.year for month in result.months})
    for year in result.years:
        result.rows += metrics_compute_year(year=year)
    return result


def backlog_snapshot_take(*, on: date) -> BacklogSnapshot:
    """Store the backlog on ``on`` (the nightly job: today), all districts and per district."""
    sources = [s.backlog for s in FIGURE_SOURCES if s.backlog is not None]
    with transaction.atomic():
        districts = _scopes()[1:]
        with reporting_reads():
            data = _merge([compute(on=on) for compute in sources])
            data["districts"] = {
                str(district_id): _merge([compute(on=on, district_id=district_id) for compute in sources])
                for district_id in districts
            }
        snapshot, _ = BacklogSnapshot.objects.update_or_create(
            on=on, defaults={"data": data, "computed_at": timezone.now()}
        )
    logger.info("Backlog snapshot stored for %s", on.isoformat())
    return snapshot


# --- Drill-down ------------------------------------------------------------------------------


def figure_source_for(metric: str) -> FigureSource | None:
    return next((source for source in FIGURE_SOURCES if source.is_metric(metric)), None)
