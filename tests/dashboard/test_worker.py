"""The monthly job as beat would send it, run by a REAL Celery worker (no eager mode).

The worker is a separate process, so it must open the database this test writes to: the
test database pytest-django created (``DATABASE_URL`` in the worker's environment points at
it). That works on PostgreSQL and on SQLite, whose test database is a file in every run
(``django_db_modify_db_settings`` in tests/conftest.py), so the test runs in the full suite.
The worker has a unique name and the test waits for that worker, not for any that answers.

On the filesystem broker (the embedded default) the worker gets its own broker folder, so a
developer's running worker, or another test run's, cannot take this test's task.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from celery import current_app
from celery.schedules import crontab
from django.conf import settings
from django.db import connection
from django.utils import timezone

from reporting.models import BacklogSnapshot, MonthlyMetric
from reporting.services import previous_month
from tests.requests_app.factories import AssessmentRequestFactory

ROOT = Path(__file__).resolve().parents[2]


def _test_database_url() -> str | None:
    """A DATABASE_URL for the database this test process is using, or None if another
    process cannot open it (in-memory SQLite)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            return None
        return f"sqlite:///{Path(name).resolve()}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"


def _forget_connections() -> None:
    """Make the app look its broker connection pools up again (kombu keys them by URL and
    transport options, so the other options get their own pool and the old one stays open)."""
    current_app._pool = None
    current_app.amqp._producer_pool = None


@pytest.fixture
def isolated_broker(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Extra worker environment; on the filesystem broker, a private broker folder used by
    both this process and the worker."""
    conf = current_app.conf
    if not conf.broker_url.startswith("filesystem://"):
        yield {}
        return
    var_dir = tmp_path / "var"
    broker = var_dir / "celery-broker"
    for sub in ("queue", "processed", "control"):
        (broker / sub).mkdir(parents=True)
    saved = conf.broker_transport_options
    conf.broker_transport_options = {
        "data_folder_in": str(broker / "queue"),
        "data_folder_out": str(broker / "queue"),
        "processed_folder": str(broker / "processed"),
        "control_folder": str(broker / "control"),
        "store_processed": False,
    }
    _forget_connections()
    try:
        # The worker reads its broker folders from VAR_DIR and writes results where we read them.
        yield {"VAR_DIR": str(var_dir), "CELERY_RESULT_BACKEND": conf.result_backend}
    finally:
        conf.broker_transport_options = saved
        _forget_connections()


@pytest.fixture
def worker_on_test_database(isolated_broker: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    url = _test_database_url()
    if url is None:
        pytest.fail("the test database is in-memory SQLite, which a worker process cannot open")
    env = {**os.environ, "DATABASE_URL": url, **isolated_broker}
    hostname = f"test-dashboard-worker-{uuid.uuid4().hex[:12]}@{socket.gethostname()}"
    log_path = ROOT / "var" / f"test-dashboard-worker-{os.getpid()}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "senportal",
            "worker",
            "-Q",
            "interactive,reports",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            "-n",
            hostname,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the Celery worker exited early; see {log_path}")
            replies = current_app.control.ping(destination=[hostname], timeout=1.0)
            if any(hostname in reply for reply in replies):
                break
        else:
            pytest.fail(f"the Celery worker did not answer within 60 s; see {log_path}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        # Close this process's connections too, so the test database can be flushed and dropped.
        connection.close()


def _send(entry: dict[str, Any]) -> Any:
    return current_app.send_task(entry["task"], args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))


def test_beat_schedule_runs_monthly_on_the_first_at_two_and_backlog_nightly():
    schedule = current_app.conf.beat_schedule
    monthly, backlog = schedule["monthly-metrics"], schedule["backlog-snapshot"]
    assert monthly["task"] == "reports.monthly_metrics" and backlog["task"] == "reports.backlog_snapshot"
    assert monthly["schedule"] == crontab(minute=0, hour=2, day_of_month=1)
    assert backlog["schedule"] == crontab(minute=30, hour=1)
    assert settings.CELERY_TIMEZONE == "Europe/London"
    # Routed by name to the reports queue, away from interactive work.
    assert current_app.amqp.router.route({}, "reports.monthly_metrics")["queue"].name == "reports"


@pytest.mark.worker
@pytest.mark.serial
@pytest.mark.embedded
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_monthly_job_sent_from_the_beat_schedule(worker_on_test_database):
    month = previous_month(timezone.localdate())
    AssessmentRequestFactory(received_on=date(month.year, month.month, 2))

    result = _send(current_app.conf.beat_schedule["monthly-metrics"])
    summary = result.get(timeout=120)

    assert result.successful()
    assert summary["month"] == f"{month:%Y-%m}"
    row = MonthlyMetric.objects.get(month=month, district=None)
    assert row.data["requests_received"] == 1

    # Safe to run twice: the same rows, replaced.
    rows = MonthlyMetric.objects.count()
    _send(current_app.conf.beat_schedule["monthly-metrics"]).get(timeout=120)
    assert MonthlyMetric.objects.count() == rows

    _send(current_app.conf.beat_schedule["backlog-snapshot"]).get(timeout=120)
    assert BacklogSnapshot.objects.get(on=timezone.localdate()).data["open_requests"] == 1
