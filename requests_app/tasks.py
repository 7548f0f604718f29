"""Thin Celery tasks for letters and reminders: ids and ISO dates in, one service call each,
safe to run twice (a sent message is left alone; a digest is unique per officer and day)."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from requests_app.messaging import SendFailed
from requests_app.services import letters


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


@shared_task(name="requests_app.sweep_messages", soft_time_limit=60, time_limit=90)
def sweep_messages() -> int:
    """Re-queue messages the broker lost (the row exists before the task is queued)."""
    return len(letters.messages_sweep())


@shared_task(name="requests_app.officer_digests", soft_time_limit=5 * 60, time_limit=6 * 60)
def officer_digests(day: str | None = None) -> int:
    """Each officer's morning digest (beat, 07:00). Returns how many were new."""
    return letters.digests_build(day=date.fromisoformat(day) if day else None)
