"""Report jobs run on their own Celery queue, so a ten-year backfill never delays interactive
work (CELERY_TASK_ROUTES in settings.py; one worker pool per queue in production)."""

from __future__ import annotations

import pytest

from senportal.celery import app


def _queue(task_name: str) -> str:
    route = app.amqp.router.route({}, task_name, args=(), kwargs={})
    queue = route["queue"]
    return queue if isinstance(queue, str) else queue.name


@pytest.mark.parametrize(
    "task_name",
    ["reports.monthly_metrics", "reports.backlog_snapshot", "reports.compute_range", "placements.reports.anything"],
)
def test_report_tasks_go_to_the_reports_queue(task_name: str) -> None:
    assert _queue(task_name) == "reports"


@pytest.mark.parametrize("task_name", ["core.heartbeat", "requests.notify_officer", "panels.circulate_papers"])
def test_other_tasks_go_to_the_interactive_queue(task_name: str) -> None:
    assert _queue(task_name) == "interactive"


def test_the_scheduled_report_jobs_are_report_tasks() -> None:
    from django.conf import settings

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"reports.monthly_metrics", "reports.backlog_snapshot"} <= scheduled
    assert all(_queue(name) == "reports" for name in scheduled if name.startswith("reports."))
