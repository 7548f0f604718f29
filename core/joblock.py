"""Single-flight jobs: at most one copy of a named job runs at a time, whatever the workers.

``job_lock(name, seconds=...)`` claims the job by inserting its ``JobLock`` row (the primary key
makes a second insert fail, on PostgreSQL and SQLite alike) and deletes it when the job ends. A
claim older than ``seconds`` (the job's own hard time limit) is stale: its worker was killed, and
the next copy takes it over. Used by the scheduled report jobs (reporting/tasks.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import JobLock


class JobRunning(Exception):
    """Another copy of the job holds the claim."""


def job_lock_acquire(name: str, *, seconds: int) -> str:
    """Claim ``name`` for ``seconds``; the holder token, or :class:`JobRunning`."""
    now = timezone.now()
    holder = uuid.uuid4().hex
    with transaction.atomic():
        JobLock.objects.filter(name=name, expires_at__lte=now).delete()  # a killed worker's claim
        try:
            with transaction.atomic():
                JobLock.objects.create(
                    name=name, holder=holder, acquired_at=now, expires_at=now + timedelta(seconds=seconds)
                )
        except IntegrityError as error:
            raise JobRunning(name) from error
    return holder


def job_lock_release(name: str, holder: str) -> None:
    """Give up the claim (only the holder's own: an expired claim taken over stays)."""
    JobLock.objects.filter(name=name, holder=holder).delete()


@contextmanager
def job_lock(name: str, *, seconds: int) -> Iterator[None]:
    holder = job_lock_acquire(name, seconds=seconds)
    try:
        yield
    finally:
        job_lock_release(name, holder)
