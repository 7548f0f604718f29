"""Core Celery tasks."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="core.heartbeat", soft_time_limit=20, time_limit=30)
def heartbeat() -> str:
    """A periodic no-op that proves beat and a worker are alive; returns the time it ran."""
    return timezone.now().isoformat()


@shared_task(name="core.echo", soft_time_limit=20, time_limit=30)
def echo(value: int) -> int:
    """Round-trip check used by the health page's tests and by CI's real-worker test."""
    return value * 2
