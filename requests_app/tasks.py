"""Data protection jobs (issue 14): building a subject access copy, and the retention schedule's
nightly list and its application once approved."""

from __future__ import annotations

from celery import shared_task

from core.joblock import JobRunning, job_lock

REVIEW_LIMIT = 15 * 60


@shared_task(name="data_protection.build_subject_access", soft_time_limit=10 * 60, time_limit=12 * 60)
def build_subject_access(sar_id: int) -> str:
    from requests_app.services.subject_access import sar_build

    return sar_build(sar_id).status


@shared_task(name="data_protection.retention_review", soft_time_limit=REVIEW_LIMIT - 60, time_limit=REVIEW_LIMIT)
def retention_review_task() -> int | None:
    """Nightly: list what the schedule says is due (single-flight)."""
    from requests_app.services.retention import retention_review

    try:
        with job_lock("data_protection.retention_review", seconds=REVIEW_LIMIT):
            return retention_review().pk
    except JobRunning:
        return None


@shared_task(name="data_protection.retention_apply", soft_time_limit=REVIEW_LIMIT - 60, time_limit=REVIEW_LIMIT)
def retention_apply_task(run_id: int) -> str:
    from requests_app.services.retention import retention_apply

    try:
        with job_lock("data_protection.retention_apply", seconds=REVIEW_LIMIT):
            return retention_apply(run_id).status
    except JobRunning:
        return "running"
