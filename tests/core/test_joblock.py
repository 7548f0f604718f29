"""Single-flight report jobs and the broker's redelivery timeout (a worker killed mid-job)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app
from django.conf import settings
from django.utils import timezone

from core.joblock import JobRunning, job_lock, job_lock_acquire, job_lock_release
from core.models import JobLock
from reporting import tasks

pytestmark = pytest.mark.django_db


def test_a_second_copy_cannot_claim_a_running_job():
    holder = job_lock_acquire("reports.metrics", seconds=60)
    with pytest.raises(JobRunning):
        job_lock_acquire("reports.metrics", seconds=60)
    job_lock_release("reports.metrics", holder)
    assert not JobLock.objects.exists()
    job_lock_release("reports.metrics", job_lock_acquire("reports.metrics", seconds=60))


def test_a_killed_workers_claim_expires_with_its_time_limit():
    JobLock.objects.create(
        name="reports.metrics",
        holder="killed",
        acquired_at=timezone.now() - timedelta(minutes=40),
        expires_at=timezone.now() - timedelta(minutes=10),
    )
    with job_lock("reports.metrics", seconds=60):
        assert JobLock.objects.get().holder != "killed"
    assert not JobLock.objects.exists()


def test_the_claim_is_released_when_the_job_fails():
    with pytest.raises(RuntimeError), job_lock("reports.backlog", seconds=60):
        raise RuntimeError("the job failed")
    assert not JobLock.objects.exists()


def test_the_monthly_job_exits_while_another_metrics_job_runs(monkeypatch):
    ran = []
    monkeypatch.setattr(tasks.services, "metrics_compute_range", lambda **kwargs: ran.append(kwargs))
    with job_lock(tasks.METRICS_LOCK, seconds=60):
        result = tasks.monthly_metrics("2026-10")
    assert result == {"month": "2026-10", "skipped": "another metrics job is running"} and ran == []


def test_the_backlog_job_exits_while_another_copy_runs(monkeypatch):
    monkeypatch.setattr(tasks.services, "backlog_snapshot_take", lambda **kwargs: pytest.fail("ran alongside"))
    with job_lock(tasks.BACKLOG_LOCK, seconds=60):
        assert tasks.backlog_snapshot("2026-12-01")["skipped"] == "another backlog job is running"


def test_a_range_recompute_waits_for_the_running_job(monkeypatch):
    retried = []

    def retry(**kwargs):
        retried.append(kwargs["countdown"])
        raise kwargs["exc"]

    monkeypatch.setattr(tasks.compute_range, "retry", retry)
    with job_lock(tasks.METRICS_LOCK, seconds=60), pytest.raises(JobRunning):
        tasks.compute_range("2026-01", "2026-02")
    assert retried == [tasks.RANGE_WAIT_SECONDS]


def test_redelivery_waits_longer_than_any_task_may_run_but_not_the_default_hour():
    current_app.loader.import_default_modules()
    limits = [task.time_limit or settings.CELERY_TASK_TIME_LIMIT for name, task in current_app.tasks.items()
              if not name.startswith("celery.")]  # fmt: skip
    assert limits and max(limits) <= settings.CELERY_TASK_TIME_LIMIT
    assert max(limits) < settings.CELERY_VISIBILITY_TIMEOUT < 60 * 60
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT
