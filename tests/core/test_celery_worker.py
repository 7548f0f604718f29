"""A task sent with .delay() is run by a real Celery worker on the configured broker.

In CI the broker is Redis (the main run) or the filesystem transport (the embedded run). The
worker is a separate process, so this exercises serialisation, routing and the result backend —
what an eager test would skip. The test starts its own worker under a unique name, listening
only on a unique queue: it waits for that worker by name (not for any worker that answers), and
reads that worker's own count of the tasks it ran, so a developer's worker, or another test
run's, can neither stand in for it nor take its task.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery import current_app

from core.tasks import echo

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Worker:
    process: subprocess.Popen[bytes]
    hostname: str  # the worker's node name, e.g. test-worker-1a2b@host
    queue: str  # the only queue it consumes


def _answers(hostname: str) -> bool:
    replies = current_app.control.ping(destination=[hostname], timeout=1.0)
    return any(hostname in reply for reply in replies)


@pytest.fixture(scope="module")
def own_worker() -> Iterator[Worker]:
    token = uuid.uuid4().hex[:12]
    hostname, queue = f"test-worker-{token}@{socket.gethostname()}", f"test-{token}"
    log_path = ROOT / "var" / f"test-celery-worker-{os.getpid()}.log"
    log_path.parent.mkdir(exist_ok=True)
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
            queue,
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            "-n",
            hostname,
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not _answers(hostname):
            if process.poll() is not None:
                pytest.fail(f"the Celery worker exited early; see {log_path}")
            if time.monotonic() > deadline:
                pytest.fail(f"the Celery worker {hostname} did not answer within 60 s; see {log_path}")
        yield Worker(process, hostname, queue)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.mark.worker
@pytest.mark.serial
@pytest.mark.embedded
def test_delay_is_run_by_this_tests_worker_and_the_result_read_back(own_worker: Worker) -> None:
    result = echo.apply_async(args=(21,), queue=own_worker.queue)
    assert result.get(timeout=30) == 42
    assert result.successful()
    # The worker that ran it is ours: its own count says so.
    stats = current_app.control.inspect(destination=[own_worker.hostname], timeout=5.0).stats() or {}
    assert stats[own_worker.hostname]["total"] == {"core.echo": 1}


@pytest.mark.worker
@pytest.mark.embedded
def test_tasks_are_json_serialised_and_acknowledged_late() -> None:
    conf = current_app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
