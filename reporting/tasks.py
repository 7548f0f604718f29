"""Thin Celery tasks for the dashboard snapshots (routed to the "reports" queue by name).

They take ISO dates (JSON-safe, no personal data), call one service and return a summary of
counts and dates. Each is safe to run twice: the services replace each row in place.
A database hiccup is retried with backoff; a hard time limit stops a runaway backfill.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from core.joblock import JobRunning, job_lock
from reporting import services
from reporting.sen2 import services as sen2_services

_RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "max_retries": 3}
# The monthly job and a range recompute write the same snapshot rows: one claim for both, so
# they never run alongside each other (a second copy of a scheduled job exits; an asked-for
# range waits its turn). Each claim lasts the job's hard time limit, so a killed worker's claim
# frees itself.
METRICS_LOCK = "reports.metrics"
BACKLOG_LOCK = "reports.backlog"
MONTHLY_LIMIT = 12 * 60
BACKLOG_LIMIT = 6 * 60
RANGE_LIMIT = 30 * 60
RANGE_WAIT_SECONDS = 120


@shared_task(name="reports.monthly_metrics", soft_time_limit=10 * 60, time_limit=MONTHLY_LIMIT, **_RETRY)
def monthly_metrics(month: str | None = None) -> dict[str, Any]:
    """Store one month's figures and its year's annual figures. ``month`` is "YYYY-MM" or
    "YYYY-MM-DD"; by default the month just ended (beat runs this on the 1st)."""
    if month:
        start = date.fromisoformat(month if len(month) > 7 else f"{month}-01")
    else:
        start = services.previous_month(timezone.localdate())
    try:
        with job_lock(METRICS_LOCK, seconds=MONTHLY_LIMIT):
            result = services.metrics_compute_range(from_month=start, to_month=start)
    except JobRunning:
        return {"month": f"{start:%Y-%m}", "skipped": "another metrics job is running"}
    return {"month": f"{start:%Y-%m}", "years": result.years, "rows": result.rows}


@shared_task(name="reports.backlog_snapshot", soft_time_limit=5 * 60, time_limit=BACKLOG_LIMIT, **_RETRY)
def backlog_snapshot(on: str | None = None) -> dict[str, Any]:
    """Store the backlog for ``on`` ("YYYY-MM-DD"); by default today (beat runs it nightly). On
    the 1st it also keeps the month end just passed (``services.backlog_snapshot_nightly``)."""
    day = date.fromisoformat(on) if on else timezone.localdate()
    try:
        with job_lock(BACKLOG_LOCK, seconds=BACKLOG_LIMIT):
            taken = services.backlog_snapshot_nightly(today=day)
    except JobRunning:
        return {"on": day.isoformat(), "skipped": "another backlog job is running"}
    return {
        "on": day.isoformat(),
        "open_requests": taken[0].data.get("open_requests", 0),
        "taken": [snapshot.on.isoformat() for snapshot in taken],
    }


@shared_task(
    bind=True,
    name="reports.compute_range",
    soft_time_limit=25 * 60,
    time_limit=RANGE_LIMIT,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=RANGE_LIMIT // RANGE_WAIT_SECONDS,
)
def compute_range(self: Any, from_month: str, to_month: str) -> dict[str, Any]:
    """Recompute the months from ``from_month`` to ``to_month`` ("YYYY-MM") and their years;
    while another metrics job runs, wait for it (retry every 2 minutes, up to its time limit)."""
    try:
        with job_lock(METRICS_LOCK, seconds=RANGE_LIMIT):
            result = services.metrics_compute_range(
                from_month=date.fromisoformat(f"{from_month[:7]}-01"),
                to_month=date.fromisoformat(f"{to_month[:7]}-01"),
            )
    except JobRunning as running:
        raise self.retry(exc=running, countdown=RANGE_WAIT_SECONDS) from running
    return {"months": len(result.months), "years": result.years, "rows": result.rows}


# --- SEN2 return (docs/sen2.md) ------------------------------------------------------------------

SEN2_LIMIT = 30 * 60


@shared_task(name=sen2_services.TASK_NAME, soft_time_limit=25 * 60, time_limit=SEN2_LIMIT, **_RETRY)
def sen2_return(return_id: int) -> dict[str, Any]:
    """Build one queued SEN2 return (an id only: no personal data in the task)."""
    row = sen2_services.sen2_return_run(return_id=return_id)
    return {"return": row.pk, "status": row.status, "errors": row.error_count}


NIGHTLY_LIMIT = 30 * 60


@shared_task(name="reports.nightly_refresh", soft_time_limit=25 * 60, time_limit=NIGHTLY_LIMIT, **_RETRY)
def nightly_refresh(today: str | None = None) -> dict[str, Any]:
    """Recompute the months marked stale and the trailing 13 months, clearing their marks
    (``services.metrics_refresh``). Beat runs it every night; a second copy exits."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    try:
        with job_lock(METRICS_LOCK, seconds=NIGHTLY_LIMIT):
            result = services.metrics_refresh(today=day)
    except JobRunning:
        return {"today": day.isoformat(), "skipped": "another metrics job is running"}
    return {
        "months": [f"{m:%Y-%m}" for m in result.months],
        "years": result.years,
        "rows": result.rows,
        "cleared": result.cleared,
    }


@shared_task(
    bind=True,
    name="reports.recompute_job",
    soft_time_limit=25 * 60,
    time_limit=RANGE_LIMIT,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=RANGE_LIMIT // RANGE_WAIT_SECONDS,
)
def recompute_job(self: Any, job_id: int) -> dict[str, Any]:
    """Run a recomputation a manager asked for from the dashboard (``RecomputeJob`` ``job_id``),
    its progress recorded on the job. While another metrics job runs it waits its turn (the
    job says so), retrying every 2 minutes up to its time limit."""
    try:
        with job_lock(METRICS_LOCK, seconds=RANGE_LIMIT):
            job = services.recompute_job_run(job_id=job_id)
    except JobRunning as running:
        services.recompute_job_wait(job_id=job_id, message="Waiting for another figures job to finish")
        raise self.retry(exc=running, countdown=RANGE_WAIT_SECONDS) from running
    return {"job": job.pk, "status": job.status, "months": job.months_done}


# --- The committee report's PDF (docs/architecture.md §5.1) ----------------------------------------

REPORT_PDF_LIMIT = 10 * 60


@shared_task(name=services.REPORT_PDF_TASK, soft_time_limit=8 * 60, time_limit=REPORT_PDF_LIMIT, **_RETRY)
def report_pdf(pdf_id: int) -> dict[str, Any]:
    """Draw and keep the PDF of one version of the report (an id only: no personal data in the
    task). A failure is recorded on the row, where the page offers to try again."""
    from reporting.edition_pdf import edition_pdf  # WeasyPrint and the page code: the worker's only

    row = services.report_pdf_run(pdf_id=pdf_id, render=lambda edition, at: edition_pdf(edition, rendered_at=at))
    return {"pdf": row.pk, "status": row.status, "bytes": row.size}
