"""Taking the metric snapshots. Every write to the dashboard's tables goes through here.

The roof composes the apps: each app offers pure aggregate functions over its own tables
(``requests_app.reports``; the panel and placement figures through ``sources``), listed once in
``FIGURE_SOURCES``. A snapshot is the merge of every source's figures for the period. The jobs
are idempotent: one row per period and scope, replaced in place (same row, fresh values), so a
rerun (or a retried task) leaves the same rows with fresh values.

Reading and writing are separate (ADR 0006): the figures of every month (or year) of a run and
every scope are read first, with a source's grouped function where it has one (a handful of
grouped queries for the whole range), then written in short transactions of at most
``WRITE_BATCH`` periods, each period whole: a failure never leaves a period half-written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.db_router import reporting_reads
from core.errors import ValidationFailed
from core.models import District
from reporting import sources as roof_sources
from reporting.models import AnnualMetric, BacklogSnapshot, MonthlyMetric
from requests_app import reports as request_reports

logger = logging.getLogger(__name__)

Scope = int | None  # a district's id, or None: all districts
P = TypeVar("P", bound=Hashable)

# Periods written per transaction: short transactions, few round trips.
WRITE_BATCH = 12


@dataclass(frozen=True)
class FigureSource:
    """One app's report functions, as the dashboard composes them.

    ``monthly(month_start=, district_id=)``, ``annual(year=, district_id=)`` and
    ``backlog(on=, district_id=)`` return counts keyed by metric name (names must not clash
    between sources); ``cases_for(metric, *, month_start=, year=, on=, district_id=)`` returns
    the rows behind one of them, and ``is_metric(name)`` says whether the name is the source's.

    Optional grouped functions compute every scope (and every month or year) at once and are
    used instead of the per-scope ones when given: ``monthly_by_scope(months=, district_ids=)``
    → ``{(month, scope): counts}``, ``annual_by_scope(years=, district_ids=)`` → ``{(year,
    scope): counts}``, ``backlog_by_scope(on=, district_ids=)`` → ``{scope: counts}``, where
    scope is None for all districts. ``council_wide`` sources have figures for all districts
    only: their per-scope functions are called once per period, for ``district_id=None``.
    """

    name: str
    is_metric: Callable[[str], bool]
    cases_for: Callable[..., QuerySet[Any]]
    monthly: Callable[..., dict[str, Any]] | None = None
    annual: Callable[..., dict[str, Any]] | None = None
    backlog: Callable[..., dict[str, Any]] | None = None
    monthly_by_scope: Callable[..., dict[tuple[date, Scope], dict[str, Any]]] | None = None
    annual_by_scope: Callable[..., dict[tuple[int, Scope], dict[str, Any]]] | None = None
    backlog_by_scope: Callable[..., dict[Scope, dict[str, Any]]] | None = None
    council_wide: bool = False


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
        monthly_by_scope=request_reports.monthly_request_metrics_by_scope,
        annual_by_scope=request_reports.annual_request_metrics_by_scope,
        backlog_by_scope=request_reports.backlog_snapshot_by_scope,
    ),
    # Council-wide only (district scopes get no keys): see reporting/sources.py.
    FigureSource(
        name="panels",
        is_metric=roof_sources.is_panel_metric,
        cases_for=roof_sources.panel_cases_for,
        monthly=roof_sources.panel_monthly,
        council_wide=True,
    ),
    FigureSource(
        name="placements",
        is_metric=roof_sources.is_placement_metric,
        cases_for=roof_sources.placement_cases_for,
        monthly=roof_sources.placements_monthly,
        backlog=roof_sources.placements_backlog,
        council_wide=True,
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


def _districts() -> list[int]:
    return list(District.objects.order_by("pk").values_list("pk", flat=True))


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


# --- Reading: every source, every period and scope ------------------------------------------------


def _collect(
    periods: Sequence[P],
    districts: Sequence[int],
    *,
    grouped: Callable[[FigureSource], Callable[..., dict[Any, dict[str, Any]]] | None],
    single: Callable[[FigureSource], Callable[..., dict[str, Any]] | None],
    call_grouped: Callable[[Callable[..., dict[Any, dict[str, Any]]]], dict[tuple[P, Scope], dict[str, Any]]],
    call_single: Callable[[Callable[..., dict[str, Any]], P, Scope], dict[str, Any]],
) -> dict[P, dict[Scope, dict[str, Any]]]:
    """The merged figures of every source for every (period, scope). A source's grouped
    function is called once; otherwise its per-scope function once per period and scope (once
    per period for a council-wide source). Loops over sources, periods and scopes only."""
    scopes: list[Scope] = [None, *districts]
    parts: dict[tuple[P, Scope], list[dict[str, Any]]] = {(p, s): [] for p in periods for s in scopes}
    with reporting_reads():  # the aggregates read the replica, if there is one
        for source in FIGURE_SOURCES:
            by_scope, per_scope = grouped(source), single(source)
            if by_scope is not None:
                found = call_grouped(by_scope)
                for key, part in parts.items():
                    part.append(found.get(key, {}))
            elif per_scope is not None:
                for period in periods:
                    for scope in [None] if source.council_wide else scopes:
                        parts[(period, scope)].append(call_single(per_scope, period, scope))
    merged: dict[P, dict[Scope, dict[str, Any]]] = {p: {} for p in periods}
    for (period, scope), found_parts in parts.items():
        merged[period][scope] = _merge(found_parts)
    return merged


def _monthly_figures(months: Sequence[date], districts: Sequence[int]) -> dict[date, dict[Scope, dict[str, Any]]]:
    return _collect(
        months,
        districts,
        grouped=lambda s: s.monthly_by_scope,
        single=lambda s: s.monthly,
        call_grouped=lambda f: f(months=months, district_ids=districts),
        call_single=lambda f, month, scope: f(month_start=month, district_id=scope),
    )


def _annual_figures(years: Sequence[int], districts: Sequence[int]) -> dict[int, dict[Scope, dict[str, Any]]]:
    return _collect(
        years,
        districts,
        grouped=lambda s: s.annual_by_scope,
        single=lambda s: s.annual,
        call_grouped=lambda f: f(years=years, district_ids=districts),
        call_single=lambda f, year, scope: f(year=year, district_id=scope),
    )


def _backlog_figures(on: date, districts: Sequence[int]) -> dict[Scope, dict[str, Any]]:
    return _collect(
        [on],
        districts,
        grouped=lambda s: s.backlog_by_scope,
        single=lambda s: s.backlog,
        call_grouped=lambda f: {(on, scope): data for scope, data in f(on=on, district_ids=districts).items()},
        call_single=lambda f, day, scope: f(on=day, district_id=scope),
    )[on]


# --- Writing: one row per period and scope, replaced in place ---------------------------------------


def _batches(items: Sequence[P], size: int) -> Iterable[Sequence[P]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _store(
    model: type[MonthlyMetric] | type[AnnualMetric],
    period_field: str,
    figures: dict[Any, dict[Scope, dict[str, Any]]],
) -> int:
    """Write every (period, scope) row of ``figures``: existing rows are updated in place (same
    id), missing ones created. At most ``WRITE_BATCH`` periods per transaction; each period's
    rows are written whole. A few queries per batch, whatever the number of districts."""
    written = 0
    for periods in _batches(sorted(figures), WRITE_BATCH):
        now = timezone.now()
        with transaction.atomic():
            existing: dict[tuple[Any, Scope], Any] = {
                (getattr(row, period_field), row.district_id): row
                for row in model.objects.select_for_update()
                .filter(**{f"{period_field}__in": periods})
                .only("pk", period_field, "district")
            }
            to_update: list[Any] = []
            to_create: list[Any] = []
            for period in periods:
                for scope, data in figures[period].items():
                    row = existing.get((period, scope))
                    if row is None:
                        to_create.append(model(**{period_field: period}, district_id=scope, data=data, computed_at=now))
                    else:
                        row.data, row.computed_at = data, now
                        to_update.append(row)
            if to_update:
                model.objects.bulk_update(to_update, ["data", "computed_at"])
            if to_create:
                model.objects.bulk_create(to_create)
            written += len(to_update) + len(to_create)
    return written


# --- Services ----------------------------------------------------------------------------------


def _compute_months(months: Sequence[date]) -> int:
    figures = _monthly_figures(months, _districts())
    written = _store(MonthlyMetric, "month", figures)
    logger.info("Monthly metrics stored for %s to %s (%d rows)", f"{months[0]:%Y-%m}", f"{months[-1]:%Y-%m}", written)
    return written


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ValidationFailed("Enter a year between 2000 and 2100", field="year")


def _compute_years(years: Sequence[int]) -> int:
    for year in years:
        _check_year(year)
    figures = _annual_figures(years, _districts())
    written = _store(AnnualMetric, "year", figures)
    logger.info("Annual metrics stored for %s (%d rows)", ", ".join(map(str, years)), written)
    return written


def metrics_compute_month(*, month_start: date) -> int:
    """Compute and store one month's figures for all districts and for each district.

    Returns the number of rows written. One transaction: a month is never half-replaced.
    """
    return _compute_months([first_of_month(month_start)])


def metrics_compute_year(*, year: int) -> int:
    """Compute and store a calendar year's DfE-basis figures for all districts and each one."""
    _check_year(year)
    return _compute_years([year])


@dataclass
class RangeResult:
    months: list[date] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    rows: int = 0


def metrics_compute_range(*, from_month: date, to_month: date) -> RangeResult:
    """Recompute every month from ``from_month`` to ``to_month`` (inclusive), then the annual
    figures of every calendar year the range touches (docs/domain.md §5): a corrected month
    changes its year's totals too.

    The request figures of each ``WRITE_BATCH`` months are read in a handful of grouped
    queries (ADR 0006), the council-wide panel and placement figures a month at a time, and
    then written in one transaction, each month whole; so a long backfill that stops half-way
    keeps the batches it finished and can simply be rerun."""
    if from_month > to_month:
        raise ValidationFailed("The first month must be on or before the last month", field="from")
    result = RangeResult(months=months_between(from_month, to_month))
    result.years = sorted({month.year for month in result.months})
    for year in result.years:
        _check_year(year)
    # Read then write WRITE_BATCH months at a time: a read that fails late (a time limit, a
    # replica gone) keeps the batches already stored.
    for months in _batches(result.months, WRITE_BATCH):
        result.rows += _compute_months(months)
    result.rows += _compute_years(result.years)
    return result


def backlog_snapshot_take(*, on: date) -> BacklogSnapshot:
    """Store the backlog on ``on`` (the nightly job: today), all districts and per district."""
    districts = _districts()
    figures = _backlog_figures(on, districts)
    data = figures[None]
    data["districts"] = {str(district_id): figures[district_id] for district_id in districts}
    with transaction.atomic():
        snapshot, _ = BacklogSnapshot.objects.update_or_create(
            on=on, defaults={"data": data, "computed_at": timezone.now()}
        )
    logger.info("Backlog snapshot stored for %s", on.isoformat())
    return snapshot


# --- Drill-down ------------------------------------------------------------------------------


def figure_source_for(metric: str) -> FigureSource | None:
    return next((source for source in FIGURE_SOURCES if source.is_metric(metric)), None)
