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

import hashlib
import logging
import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from celery import current_app
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core.db_router import reporting_reads
from core.documents import documents_storage
from core.errors import Conflict, ValidationFailed
from core.models import District
from core.staleness import clear_stale, stale_months
from reporting import sources as roof_sources
from reporting.models import AnnualMetric, BacklogSnapshot, MonthlyMetric, RecomputeJob, ReportEdition, ReportPdf
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
    cleared: int = 0  # stale marks cleared


Progress = Callable[[int, int], None]  # (months done, months in all)


def metrics_compute_months(*, months: Iterable[date], progress: Progress | None = None) -> RangeResult:
    """Recompute the given months (any set, not only a run of months), then the annual figures
    of every calendar year they touch (docs/domain.md §5), and clear the stale marks of those
    months that were made before the computation began (a month marked while this ran stays
    stale for the next run). ``progress`` is told after each batch of months is stored.

    The request figures of each ``WRITE_BATCH`` months are read in a handful of grouped
    queries (ADR 0006), the council-wide panel and placement figures a month at a time, and
    then written in one transaction, each month whole; so a long backfill that stops half-way
    keeps the batches it finished and can simply be rerun."""
    computed_from = timezone.now()
    result = RangeResult(months=sorted({first_of_month(m) for m in months}))
    result.years = sorted({month.year for month in result.months})
    for year in result.years:
        _check_year(year)
    done = 0
    for batch in _batches(result.months, WRITE_BATCH):
        result.rows += _compute_months(batch)
        done += len(batch)
        if progress is not None:
            progress(done, len(result.months))
    if result.years:
        result.rows += _compute_years(result.years)
    result.cleared = clear_stale(result.months, computed_from=computed_from)
    return result


def metrics_compute_range(*, from_month: date, to_month: date, progress: Progress | None = None) -> RangeResult:
    """Recompute every month from ``from_month`` to ``to_month`` (inclusive) and the years
    they touch, clearing their stale marks (``metrics_compute_months``)."""
    if from_month > to_month:
        raise ValidationFailed("The first month must be on or before the last month", field="from")
    return metrics_compute_months(months=months_between(from_month, to_month), progress=progress)


TRAILING_MONTHS = 13


def months_to_refresh(*, today: date, stale: Iterable[date], trailing: int = TRAILING_MONTHS) -> list[date]:
    """The months the nightly job recomputes: the ``trailing`` months ending with the month
    just ended, whatever their marks (a change that forgot to mark is still caught within a
    year and a month), and every month marked stale up to the month just ended. The month in
    progress is left alone: it is first stored when it has ended (a mark on it waits for then)."""
    last = previous_month(today)
    months = set(months_between(_add_months(last, 1 - trailing), last))
    months |= {first_of_month(m) for m in stale if first_of_month(m) <= last}
    return sorted(months)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def metrics_refresh(*, today: date, progress: Progress | None = None) -> RangeResult:
    """The nightly refresh: recompute the stale months and the trailing 13 months."""
    return metrics_compute_months(months=months_to_refresh(today=today, stale=stale_months()), progress=progress)


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


def backlog_snapshot_nightly(*, today: date) -> list[BacklogSnapshot]:
    """The nightly backlog: today's, and on the 1st also the month end just passed (the last
    day of the month before), unless one is stored for it. The job runs in the small hours, so
    the open work it reads is the open work at the end of that day; kept for every month end,
    it gives the monthly report the backlog of any past month."""
    taken = [backlog_snapshot_take(on=today)]
    if today.day == 1:
        month_end = today - timedelta(days=1)
        if not BacklogSnapshot.objects.filter(on=month_end).exists():
            taken.append(backlog_snapshot_take(on=month_end))
    return taken


def month_end_backlog(month: date) -> BacklogSnapshot | None:
    """The backlog snapshot for the end of ``month``: the one on its last day, or the latest
    taken in the month before it when none was kept for that day."""
    last_day = _add_months(first_of_month(month), 1) - timedelta(days=1)
    return BacklogSnapshot.objects.filter(on__lte=last_day, on__gte=first_of_month(month)).order_by("-on").first()


# --- Recomputations asked for from the dashboard ---------------------------------------------------


def recompute_job_request(
    *, requested_by: Any, from_month: date, to_month: date, district_id: int | None = None
) -> tuple[RecomputeJob, bool]:
    """Queue a recomputation of ``from_month`` to ``to_month``; returns the job and whether it
    is new. Single-flight: while a job is waiting or running, asking again returns that job
    (the lock ``reports.metrics`` also keeps the job apart from the scheduled ones)."""
    if from_month > to_month:
        raise ValidationFailed("The first month must be on or before the last month", field="from_month")
    months = months_between(from_month, to_month)
    for year in sorted({m.year for m in months}):
        _check_year(year)
    with transaction.atomic():
        # Serialise requests: lock the unfinished jobs (none, or the one) before looking.
        active = (
            RecomputeJob.objects.select_for_update()
            .filter(status__in=[RecomputeJob.Status.QUEUED, RecomputeJob.Status.RUNNING])
            .order_by("requested_at")
            .first()
        )
        if active is not None:
            return active, False
        job = RecomputeJob.objects.create(
            from_month=first_of_month(from_month),
            to_month=first_of_month(to_month),
            district_id=district_id,
            requested_by=requested_by,
            requested_at=timezone.now(),
            months_total=len(months),
        )
        from reporting import tasks  # the roof's own tasks module imports this one

        transaction.on_commit(lambda: tasks.recompute_job.delay(job.pk))
    logger.info("Recompute %s to %s queued (job %d)", f"{from_month:%Y-%m}", f"{to_month:%Y-%m}", job.pk)
    return job, True


def recompute_job_run(*, job_id: int) -> RecomputeJob:
    """Run a queued job: claim it (queued → running, a conditional update, so two deliveries
    of the task cannot both run it), recompute its months recording progress after each batch,
    then mark it done (or failed, with the reason, and re-raise). A finished job is left alone."""
    now = timezone.now()
    claimed = RecomputeJob.objects.filter(pk=job_id, status=RecomputeJob.Status.QUEUED).update(
        status=RecomputeJob.Status.RUNNING, started_at=now, message=""
    )
    job = RecomputeJob.objects.get(pk=job_id)
    if claimed != 1:
        return job

    def progress(done: int, total: int) -> None:
        RecomputeJob.objects.filter(pk=job_id).update(months_done=min(done, job.months_total))

    try:
        metrics_compute_range(from_month=job.from_month, to_month=job.to_month, progress=progress)
    except Exception as error:
        RecomputeJob.objects.filter(pk=job_id).update(
            status=RecomputeJob.Status.FAILED,
            finished_at=timezone.now(),
            message=f"Stopped: {type(error).__name__}"[:200],
        )
        raise
    RecomputeJob.objects.filter(pk=job_id).update(
        status=RecomputeJob.Status.DONE, finished_at=timezone.now(), months_done=job.months_total
    )
    job.refresh_from_db()
    return job


def recompute_job_wait(*, job_id: int, message: str) -> None:
    """Say on a waiting job why it has not started (another metrics job holds the lock)."""
    RecomputeJob.objects.filter(pk=job_id, status=RecomputeJob.Status.QUEUED).update(message=message[:200])


# --- Drill-down ------------------------------------------------------------------------------


def figure_source_for(metric: str) -> FigureSource | None:
    return next((source for source in FIGURE_SOURCES if source.is_metric(metric)), None)


# --- The committee report's editions -------------------------------------------------------------

COMMENTARY_MAX = 4000


def report_edition_save(
    *, month: date, district_id: int | None, prepared_by: Any, commentary: dict[str, str], sections: Iterable[str]
) -> ReportEdition:
    """Save the commentary of a month's report as its next version (append-only), prepared by
    ``prepared_by`` now. Only the report's ``sections`` may carry commentary, each at most
    ``COMMENTARY_MAX`` characters. Versions are numbered under a lock on the month's editions."""
    allowed = set(sections)
    unknown = sorted(set(commentary) - allowed)
    if unknown:
        raise ValidationFailed(f"The report has no section {unknown[0]!r}", field="commentary")
    cleaned = {key: text.strip() for key, text in commentary.items() if text.strip()}
    for key, text in cleaned.items():
        if len(text) > COMMENTARY_MAX:
            raise ValidationFailed(
                f"Write at most {COMMENTARY_MAX} characters of commentary for each section", field=f"commentary_{key}"
            )
    month = first_of_month(month)
    scope = Q(district__isnull=True) if district_id is None else Q(district_id=district_id)
    with transaction.atomic():
        latest = ReportEdition.objects.select_for_update().filter(scope, month=month).order_by("-version").first()
        edition = ReportEdition.objects.create(
            month=month,
            district_id=district_id,
            version=(latest.version + 1) if latest else 1,
            commentary=cleaned,
            prepared_by=prepared_by,
            prepared_at=timezone.now(),
        )
        # Each saved version gets its PDF, drawn by the worker (report_pdf_request).
        _report_pdf_queue(edition=edition, requested_by=prepared_by)
    logger.info("Report %s version %d saved", f"{month:%Y-%m}", edition.version)
    return edition


def report_edition_latest(*, month: date, district_id: int | None) -> ReportEdition | None:
    scope = Q(district__isnull=True) if district_id is None else Q(district_id=district_id)
    return (
        ReportEdition.objects.select_related("prepared_by")
        .filter(scope, month=first_of_month(month))
        .order_by("-version")
        .first()
    )


# --- The committee report's PDF, drawn by the worker and kept ------------------------------------

# The Celery task that draws a queued PDF (reporting.tasks.report_pdf).
REPORT_PDF_TASK = "reports.report_pdf"
REPORT_PDF_FOLDER = "reports"


def _report_pdf_queue(*, edition: ReportEdition, requested_by: Any) -> ReportPdf:
    """Inside the caller's transaction: a new queued PDF for ``edition``, the task sent on commit."""
    pdf = ReportPdf.objects.create(edition=edition, requested_by=requested_by, requested_at=timezone.now())
    transaction.on_commit(lambda: current_app.send_task(REPORT_PDF_TASK, args=[pdf.pk]))
    return pdf


def report_pdf_request(*, edition_id: int, requested_by: Any) -> tuple[ReportPdf, bool]:
    """Ask for the PDF of a version of the report; returns it and whether it was (re)queued.
    A version has one PDF: while it is being prepared, or once it is ready, asking again returns
    it unchanged (a ready file is never drawn again: it is the record). A failed one is queued
    again (the retry), and so is one left running past the task's time limit (a killed worker)."""
    with transaction.atomic():
        edition = ReportEdition.objects.select_for_update().get(pk=edition_id)
        pdf = ReportPdf.objects.select_for_update().filter(edition=edition).first()
        if pdf is None:
            pdf = _report_pdf_queue(edition=edition, requested_by=requested_by)
        elif pdf.status == ReportPdf.Status.FAILED or pdf.stuck:
            ReportPdf.objects.filter(pk=pdf.pk).update(
                status=ReportPdf.Status.QUEUED, requested_by=requested_by, requested_at=timezone.now(), failure=""
            )
            pk = pdf.pk
            transaction.on_commit(lambda: current_app.send_task(REPORT_PDF_TASK, args=[pk]))
            pdf.refresh_from_db()
        else:
            return pdf, False
    logger.info("Report PDF %d queued (edition %d)", pdf.pk, edition_id)
    return pdf, True


def report_pdf_run(*, pdf_id: int, render: Callable[[ReportEdition, datetime], bytes]) -> ReportPdf:
    """Draw a queued PDF with ``render`` (the edition and the time it is drawn → the file's
    bytes) and keep it: claim it (queued → running, a conditional update, so two deliveries of
    the task cannot both draw it), store the file under a random key, then record its SHA-256,
    size and time. A failure is recorded on the row (the page offers a retry) and the file, if
    stored, is removed. A PDF not queued is left alone."""
    claimed = ReportPdf.objects.filter(pk=pdf_id, status=ReportPdf.Status.QUEUED).update(
        status=ReportPdf.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    pdf = ReportPdf.objects.select_related("edition", "edition__prepared_by", "edition__district").get(pk=pdf_id)
    if claimed != 1:
        return pdf
    storage = documents_storage()
    key = ""
    try:
        rendered_at = timezone.now()
        data = render(pdf.edition, rendered_at)
        key = storage.save(f"{REPORT_PDF_FOLDER}/{rendered_at:%Y/%m}/{uuid.uuid4().hex}.pdf", ContentFile(data))
        with transaction.atomic():
            ReportPdf.objects.select_for_update().filter(pk=pdf_id).update(
                status=ReportPdf.Status.DONE,
                rendered_at=rendered_at,
                storage_key=key,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                failure="",
            )
    except Exception as error:
        logger.exception("Report PDF %d failed", pdf_id)
        if key:
            storage.delete(key)
        ReportPdf.objects.filter(pk=pdf_id).update(
            status=ReportPdf.Status.FAILED, rendered_at=None, failure=f"Stopped: {type(error).__name__}"[:200]
        )
    pdf.refresh_from_db()
    logger.info("Report PDF %d %s", pdf_id, pdf.status)
    return pdf


def report_pdf_bytes(pdf: ReportPdf) -> bytes:
    """The stored file, exactly as drawn: refused (409) if it is not ready, or if its bytes no
    longer match the SHA-256 recorded when it was drawn."""
    if pdf.status != ReportPdf.Status.DONE:
        raise Conflict("This PDF is not ready yet")
    with documents_storage().open(pdf.storage_key, "rb") as handle:
        data = bytes(handle.read())
    if hashlib.sha256(data).hexdigest() != pdf.sha256:
        logger.error("Report PDF %d does not match its SHA-256", pdf.pk)
        raise Conflict("The stored PDF does not match the file that was drawn; ask for it again")
    return data
