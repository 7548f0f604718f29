"""Figures that stay true (issue 16): a late change marks its months stale, the page and the API
say so, and the nightly job (or a recompute asked for from the page) recomputes them and clears
the marks; every figure set says when it was computed; a backlog is kept at each month end."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from core.joblock import job_lock
from core.roles import Role
from core.staleness import mark_stale, stale_months
from reporting import services, tasks
from reporting.models import BacklogSnapshot, MonthlyMetric, RecomputeJob
from requests_app.models import AssessmentRequest

MARCH, APRIL = date(2025, 3, 1), date(2025, 4, 1)
PERIOD = {"from_month": "2025-01", "to_month": "2025-04"}


def _refused(month: date) -> int:
    return MonthlyMetric.objects.get(month=month, district__isnull=True).data["decisions_not_to_assess"]


# --- Which months the nightly job recomputes (no database) ---------------------------------------


def test_nightly_months_are_the_trailing_13_and_every_stale_month_up_to_the_last_ended():
    months = services.months_to_refresh(today=date(2025, 6, 15), stale=[date(2023, 2, 1), date(2025, 6, 1)])
    assert months[0] == date(2023, 2, 1)  # an old stale month is included
    assert months[1:] == services.months_between(date(2024, 5, 1), date(2025, 5, 1))  # 13 months
    assert date(2025, 6, 1) not in months  # the month in progress waits until it has ended


def test_nightly_months_on_the_first_of_january_end_with_december():
    months = services.months_to_refresh(today=date(2026, 1, 1), stale=[])
    assert (months[0], months[-1], len(months)) == (date(2024, 12, 1), date(2025, 12, 1), 13)


# --- A late change, the marks and the nightly job --------------------------------------------------


@pytest.fixture
def stored(march_world):
    services.metrics_compute_range(from_month=date(2025, 1, 1), to_month=APRIL)
    return march_world


def _move_refusal_to_april(world) -> None:
    """r1 was refused on 31 March; a correction dates the refusal 2 April (as a service would,
    it marks the old and the new date's months stale)."""
    request = world["r1"]
    AssessmentRequest.objects.filter(pk=request.pk).update(request_outcome_on=date(2025, 4, 2))
    mark_stale([date(2025, 3, 31), date(2025, 4, 2)], "decision date corrected")


@pytest.mark.embedded
def test_a_late_change_marks_its_months_stale_and_the_nightly_job_recomputes_them(stored):
    march_before, april_before = _refused(MARCH), _refused(APRIL)
    _move_refusal_to_april(stored)
    assert stale_months() == [MARCH, APRIL]
    # The stored figures are unchanged until recomputed.
    assert (_refused(MARCH), _refused(APRIL)) == (march_before, april_before)

    result = tasks.nightly_refresh.apply(kwargs={"today": "2025-05-10"}).get()

    assert stale_months() == []
    assert result["cleared"] == 2
    assert "2025-03" in result["months"] and "2024-04" in result["months"]  # the trailing 13 months
    assert (_refused(MARCH), _refused(APRIL)) == (march_before - 1, april_before + 1)


def test_the_nightly_job_recomputes_an_old_stale_month_outside_the_trailing_year(stored):
    _move_refusal_to_april(stored)
    result = tasks.nightly_refresh.apply(kwargs={"today": "2027-01-05"}).get()
    assert "2025-03" in result["months"] and "2025-04" in result["months"]
    assert stale_months() == []
    assert result["years"][0] == 2025  # the year of the old months is recomputed too


def test_a_month_marked_again_while_it_is_computed_stays_stale(stored):
    def late_mark(done: int, total: int) -> None:
        mark_stale([date(2025, 3, 20)], "changed while the job ran")

    services.metrics_compute_months(months=[MARCH], progress=late_mark)
    assert stale_months() == [MARCH]


def test_the_nightly_job_exits_while_another_metrics_job_runs(stored):
    _move_refusal_to_april(stored)
    with job_lock(tasks.METRICS_LOCK, seconds=60):
        result = tasks.nightly_refresh.apply(kwargs={"today": "2025-05-10"}).get()
    assert "skipped" in result
    assert stale_months() == [MARCH, APRIL]


def test_the_page_and_the_api_say_which_figures_are_stale_and_when_they_were_computed(
    stored, page_client_for, api_client_for, personas
):
    _move_refusal_to_april(stored)
    page = page_client_for(personas.manager).get(reverse("dashboard:home"), PERIOD).content.decode()
    assert "Figures as at" in page
    assert "March 2025 (out of date)" in page and "April 2025 (out of date)" in page
    assert "January 2025 (out of date)" not in page
    api = api_client_for(personas.manager)
    rows = api.get("/api/metrics/monthly/", {"from": "2025-01", "to": "2025-04"}).json()
    assert {row["month"]: row["stale"] for row in rows} == {
        "2025-01": False,
        "2025-02": False,
        "2025-03": True,
        "2025-04": True,
    }
    assert all(row["computed_at"] for row in rows)
    annual = api.get("/api/metrics/annual/", {"year": "2025"}).json()
    assert annual["stale"] is True and annual["computed_at"]

    tasks.nightly_refresh.apply(kwargs={"today": "2025-05-10"}).get()
    page = page_client_for(personas.manager).get(reverse("dashboard:home"), PERIOD).content.decode()
    assert "(out of date)" not in page and "Out of date" not in page


# --- A recompute asked for from the page -------------------------------------------------------------


@pytest.fixture
def queued(monkeypatch):
    """The job ids sent to the worker (the page's POST enqueues on commit)."""
    sent: list[int] = []
    monkeypatch.setattr(tasks.recompute_job, "delay", lambda job_id: sent.append(job_id))
    return sent


@pytest.mark.embedded
def test_a_manager_recomputes_the_page_months_and_sees_the_progress(
    stored, page_client_for, personas, queued, django_capture_on_commit_callbacks
):
    march_before = _refused(MARCH)
    _move_refusal_to_april(stored)
    client = page_client_for(personas.manager)
    page = client.get(reverse("dashboard:home"), PERIOD).content.decode()
    assert "Recompute January 2025 to April 2025" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dashboard:recompute"), PERIOD)
    job = RecomputeJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:recompute-job", args=[job.pk])
    assert queued == [job.pk]
    waiting = client.get(response["Location"]).content.decode()
    assert "Waiting to start" in waiting and "0 of 4 months" in waiting
    assert 'http-equiv="refresh"' in waiting

    tasks.recompute_job.apply(args=[job.pk]).get()  # what the worker runs

    job.refresh_from_db()
    assert (job.status, job.months_done, job.requested_by) == ("done", 4, personas.manager)
    finished = client.get(response["Location"]).content.decode()
    assert "Finished" in finished and "4 of 4 months" in finished and 'http-equiv="refresh"' not in finished
    assert stale_months() == []
    assert _refused(MARCH) == march_before - 1


def test_asking_again_while_a_recompute_waits_shows_the_same_job(stored, page_client_for, personas, queued):
    client = page_client_for(personas.manager)
    first = client.post(reverse("dashboard:recompute"), PERIOD)
    second = client.post(reverse("dashboard:recompute"), {"from_month": "2024-01", "to_month": "2024-02"})
    assert first["Location"] == second["Location"]
    assert RecomputeJob.objects.count() == 1


def test_a_recompute_waits_while_another_metrics_job_runs(stored, personas):
    job, _ = services.recompute_job_request(requested_by=personas.manager, from_month=MARCH, to_month=APRIL)
    with job_lock(tasks.METRICS_LOCK, seconds=60):
        tasks.recompute_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "queued" and "Waiting for another figures job" in job.message
    tasks.recompute_job.apply(args=[job.pk]).get()
    job.refresh_from_db()
    assert job.status == "done"


def test_a_job_run_twice_recomputes_once(stored, personas):
    job, _ = services.recompute_job_request(requested_by=personas.manager, from_month=MARCH, to_month=APRIL)
    services.recompute_job_run(job_id=job.pk)
    finished_at = RecomputeJob.objects.get(pk=job.pk).finished_at
    again = services.recompute_job_run(job_id=job.pk)
    assert again.finished_at == finished_at


@pytest.mark.parametrize(
    "data, message",
    [
        ({"from_month": "2025-04", "to_month": "2025-01"}, "same as the first month or later"),
        ({"from_month": "April", "to_month": "2025-01"}, "as YYYY-MM"),
        ({**PERIOD, "district": "999999"}, "That district is not known"),
    ],
)
def test_a_bad_recompute_request_is_refused_with_a_reason(db, page_client_for, personas, data, message):
    response = page_client_for(personas.manager).post(reverse("dashboard:recompute"), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not RecomputeJob.objects.exists()


@pytest.mark.parametrize("role", list(Role))
def test_only_managers_may_ask_for_a_recompute(db, page_client_for, personas, queued, role):
    response = page_client_for(personas.for_role(role)).post(reverse("dashboard:recompute"), PERIOD)
    assert response.status_code == (302 if role == Role.MANAGER else 403)


@pytest.mark.parametrize("role", list(Role))
def test_a_recompute_job_page_is_for_dashboard_readers(db, page_client_for, personas, role):
    job = RecomputeJob.objects.create(
        from_month=MARCH, to_month=APRIL, requested_at="2025-05-01T10:00:00Z", months_total=2
    )
    response = page_client_for(personas.for_role(role)).get(reverse("dashboard:recompute-job", args=[job.pk]))
    assert response.status_code == (200 if role in (Role.MANAGER, Role.PANEL_CHAIR) else 403)


def test_only_managers_see_the_recompute_button(db, page_client_for, personas):
    chair = page_client_for(personas.for_role(Role.PANEL_CHAIR)).get(reverse("dashboard:home")).content.decode()
    assert "dashboard/recompute/" not in chair


# --- The backlog at every month end -------------------------------------------------------------------


def test_the_nightly_backlog_on_the_first_also_keeps_the_month_end(march_world):
    tasks.backlog_snapshot.apply(kwargs={"on": "2025-07-01"}).get()
    assert sorted(BacklogSnapshot.objects.values_list("on", flat=True)) == [date(2025, 6, 30), date(2025, 7, 1)]
    tasks.backlog_snapshot.apply(kwargs={"on": "2025-07-02"}).get()  # not the 1st: today's only
    assert BacklogSnapshot.objects.count() == 3
    assert services.month_end_backlog(date(2025, 6, 1)).on == date(2025, 6, 30)
    assert services.month_end_backlog(date(2025, 5, 1)) is None


def test_the_report_shows_the_backlog_kept_at_that_month_end(march_world, page_client_for, personas):
    services.backlog_snapshot_take(on=date(2025, 3, 31))
    services.backlog_snapshot_take(on=date(2025, 6, 30))
    page = page_client_for(personas.manager).get(reverse("dashboard:report"), {"month": "2025-03"}).content.decode()
    assert "31 March 2025" in page and "30 June 2025" not in page
