"""A task sent with .delay() is run by a real Celery worker on the configured broker.

In CI the broker is Redis; on a developer's machine it is the filesystem transport. The worker
is a separate process, so this exercises serialisation, routing and the result backend — what
an eager test would skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import current_app

from core.tasks import echo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def celery_worker_process() -> Iterator[subprocess.Popen[bytes]]:
    log = open(ROOT / "var" / "test-celery-worker.log", "wb")  # noqa: SIM115 - closed below
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
            f"test-worker-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the Celery worker exited early; see {log.name}")
            if current_app.control.ping(timeout=1.0):
                break
        else:
            pytest.fail(f"the Celery worker did not answer within 60 s; see {log.name}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.mark.worker
def test_delay_is_run_by_a_real_worker_and_the_result_read_back(celery_worker_process):
    result = echo.delay(21)
    assert result.get(timeout=30) == 42
    assert result.successful()


@pytest.mark.worker
def test_tasks_are_json_serialised_and_acknowledged_late():
    conf = current_app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
