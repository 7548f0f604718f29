"""Thin Celery tasks of the requests app: ids and ISO dates in, one service call each.

Data protection (issue 14): building a subject access copy, and the retention schedule's nightly
list and its application once approved. Letters and reminders (issue 13): safe to run twice (a
sent message is left alone; a digest is unique per officer and day)."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from core.joblock import JobRunning, job_lock
from requests_app.messaging import SendFailed
from requests_app.services import letters

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


@shared_task(
    bind=True, name="requests_app.send_message", max_retries=letters.MAX_ATTEMPTS, soft_time_limit=60, time_limit=90
)
def send_message(self: Any, message_id: int) -> str:
    """Send one outbound message; a temporary failure is retried with exponential backoff."""
    try:
        message = letters.message_send(message_id=message_id)
    except SendFailed as exc:
        attempts = self.request.retries + 1
        raise self.retry(exc=exc, countdown=letters.retry_delay(attempts)) from exc
    return str(message.state)


@shared_task(name="requests_app.render_letter", soft_time_limit=60, time_limit=90)
def render_letter(letter_id: int) -> str:
    """Render one letter's PDF after the change that wrote it committed, then queue its email."""
    return str(letters.letter_render(letter_id=letter_id).state)


@shared_task(name="requests_app.sweep_messages", soft_time_limit=60, time_limit=90)
def sweep_messages() -> int:
    """Re-queue messages the broker lost (the row exists before the task is queued)."""
    return len(letters.messages_sweep())


@shared_task(name="requests_app.officer_digests", soft_time_limit=5 * 60, time_limit=6 * 60)
def officer_digests(day: str | None = None) -> int:
    """Each officer's morning digest (beat, 07:00). Returns how many were new."""
    return letters.digests_build(day=date.fromisoformat(day) if day else None)
