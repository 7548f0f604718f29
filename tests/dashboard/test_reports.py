"""The request metrics (docs/domain.md §5, DfE definitions of docs/domain.md §3.4) against hand-computed
data, the snapshots they are stored in, and the drill-down lists behind every number."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import ValidationFailed
from core.models import District
from reporting import services
from reporting.models import AnnualMetric, BacklogSnapshot, MonthlyMetric
from reporting.tasks import backlog_snapshot as backlog_task
from reporting.tasks import compute_range, monthly_metrics
from requests_app import reports
from requests_app.reports import (
    ANNUAL_METRICS,
    BACKLOG_METRICS,
    MONTHLY_METRICS,
    annual_request_metrics,
    backlog_snapshot,
    cases_for,
    monthly_request_metrics,
    percent,
)
from tests.dashboard.conftest import BACKLOG_DAY, MARCH
from tests.requests_app.factories import AssessmentRequestFactory

pytestmark = pytest.mark.django_db


# --- Pure helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(2, 3, 66.7), (1, 3, 33.3), (1, 16, 6.3), (1, 8, 12.5), (0, 5, 0.0), (3, 0, None), (0, 0, None)],
)
def test_percent_has_one_decimal_rounding_halves_up_and_none_without_a_denominator(numerator, denominator, expected):
    assert percent(numerator, denominator) == expected


def test_month_bounds_run_from_the_first_to_the_first_of_the_next_month():
    assert reports.month_bounds(date(2024, 12, 15)) == (date(2024, 12, 1), date(2025, 1, 1))
    assert reports.month_bounds(date(2024, 2, 1)) == (date(2024, 2, 1), date(2024, 3, 1))


def test_range_helpers_count_months_inclusively():
    assert services.months_between(date(2024, 11, 1), date(2025, 2, 1)) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]
    assert services.previous_month(date(2025, 1, 1)) == date(2024, 12, 1)
    assert services.previous_month(date(2025, 3, 31)) == date(2025, 2, 1)


# --- Monthly definitions ------------------------------------------------------------------------


def test_requests_received_count_by_received_date_source_and_age_band(march_world):
    m = monthly_request_metrics(month_start=MARCH)
    # r1 (1 Mar), r4 (5 Mar), r9 (31 Mar, imported history counts the same); r2 and r3 are February.
    assert m["requests_received"] == 3
    assert m["requests_from_parents"] == 2
    assert m["requests_received.source.parent"] == 2
    assert m["requests_received.source.school"] == 1
    assert m["requests_received.source.young_person"] == 0
    assert m["requests_received.need.ASD"] == 3
    # Age on the day received: r4 is 4 (birthday tomorrow), r1 turned 5 that day, r9 is 15.
    assert m["requests_received.age.0-4"] == 1
    assert m["requests_received.age.5-10"] == 1
    assert m["requests_received.age.11-15"] == 1
    assert m["requests_received.age.16-19"] == 0


def test_decisions_count_in_the_month_they_are_dated_and_withdrawals_are_not_decisions(march_world):
    m = monthly_request_metrics(month_start=MARCH)
    # Decided on 31 March: r2 (to assess, received in February), r1 and r9 (not to assess).
    # r3 was decided on 1 April; r4 was withdrawn in March and is no decision.
    assert m["decisions_to_assess"] == 1
    assert m["decisions_not_to_assess"] == 2
    assert m["decisions_made"] == 3
    april = monthly_request_metrics(month_start=date(2025, 4, 1))
    assert april["decisions_to_assess"] == 1
    assert april["decisions_not_to_assess"] == 0


def test_decision_after_six_weeks_counts_as_late(march_world):
    # r1 (30 days) and r9 (same day) are within 42 days; r2 (49 days) is not.
    assert monthly_request_metrics(month_start=MARCH)["decisions_within_6_weeks"] == 2


def test_plan_timeliness_with_and_without_exceptions(march_world):
    m = monthly_request_metrics(month_start=MARCH)
    assert m["plans_issued"] == 3  # r5, r6, r7
    assert m["plans_issued_within_20_weeks"] == 2  # r5, r7
    # week20 plans (r6, r7) drop out of both the numerator and the denominator.
    assert m["plans_issued_excluding_exceptions"] == 1
    assert m["plans_issued_within_20_weeks_excluding_exceptions"] == 1


def test_not_issue_decisions_within_sixteen_weeks(march_world):
    m = monthly_request_metrics(month_start=MARCH)
    assert m["not_issue_decisions"] == 1
    assert m["not_issue_decisions_within_16_weeks"] == 1


def test_advice_returned_within_six_weeks_by_adviser_type(march_world):
    m = monthly_request_metrics(month_start=MARCH)
    assert m["advice_returned.educational_psychology"] == 2
    assert m["advice_returned_within_6_weeks.educational_psychology"] == 1
    assert m["advice_returned.health"] == 0  # received on 1 April
    assert monthly_request_metrics(month_start=date(2025, 4, 1))["advice_returned.health"] == 1


def test_district_figures_count_only_that_districts_children(march_world, districts):
    _, canterbury = districts
    m = monthly_request_metrics(month_start=MARCH, district_id=canterbury.pk)
    assert m["requests_received"] == 1
    assert m["decisions_not_to_assess"] == 1
    assert m["plans_issued"] == 0


# --- Annual (DfE basis) ------------------------------------------------------------------------


def test_annual_figures_follow_the_requests_received_in_the_year(march_world):
    y = annual_request_metrics(year=2025)
    # Received in 2025: r1 (N), r2 (Y), r3 (Y), r4 (W), r9 (N), r10 (A), r11 (N, decided in 2026).
    assert y["requests_received"] == 7
    assert y["requests_decided_to_assess"] == 2
    assert y["requests_decided_not_to_assess"] == 3
    assert y["requests_decision_not_made"] == 1
    assert y["requests_withdrawn"] == 1
    assert y["refusal_rate_dfe"] == 42.9  # 3 / 7, over ALL requests received
    # Timeliness is over plans ISSUED in the year (r5, r6, r7 were received in 2024).
    assert y["plans_issued"] == 3
    assert y["plans_issued_within_20_weeks"] == 2
    assert y["pc_plans_issued_within_20_weeks"] == 66.7
    assert y["plans_issued_excluding_exceptions"] == 1
    assert y["plans_issued_within_20_weeks_excluding_exceptions"] == 1
    assert y["pc_plans_issued_within_20_weeks_excluding_exceptions"] == 100.0


# --- Backlog -------------------------------------------------------------------------------------


def test_backlog_by_stage_age_band_overdue_and_ep_advice(backlog_world):
    b = backlog_snapshot(on=BACKLOG_DAY)
    assert b["open_requests"] == 4  # b1-b4; b5 closed, b6 not yet received
    assert b["open_requests.age.up_to_6_weeks"] == 1
    assert b["open_requests.age.6_to_16_weeks"] == 2
    assert b["open_requests.age.16_to_20_weeks"] == 0
    assert b["open_requests.age.20_to_52_weeks"] == 0
    assert b["open_requests.age.over_52_weeks"] == 1
    assert b["open_requests.stage.received"] == 1
    assert b["open_requests.stage.evaluating"] == 1
    assert b["open_requests.stage.assessing"] == 1
    assert b["open_requests.stage.drafting"] == 1
    assert b["decisions_overdue"] == 1  # b2 only: b1's target is today
    assert b["advice_outstanding.educational_psychology"] == 2
    assert b["advice_overdue.educational_psychology"] == 1
    assert b["advice_outstanding.health"] == 0
    assert b["advice_outstanding"] == 2
    oldest = b["oldest_open_case"]
    assert oldest["request_id"] == backlog_world["b4"].pk
    assert oldest["days_open"] == 365


def test_backlog_of_an_empty_service_has_no_oldest_case(db):
    b = backlog_snapshot(on=BACKLOG_DAY)
    assert b["open_requests"] == 0 and b["oldest_open_case"] is None


# --- The drill-down list equals the count ---------------------------------------------------------


def test_every_monthly_and_annual_number_equals_its_case_list(march_world, districts):
    mismatches = []
    for district_id in (None, districts[1].pk):
        for month in (date(2025, 2, 1), MARCH, date(2025, 4, 1)):
            counts = monthly_request_metrics(month_start=month, district_id=district_id)
            for name in MONTHLY_METRICS:
                listed = cases_for(name, month_start=month, district_id=district_id).count()
                if listed != counts[name]:
                    mismatches.append((name, month, district_id, counts[name], listed))
        counts = annual_request_metrics(year=2025, district_id=district_id)
        for name in ANNUAL_METRICS:
            listed = cases_for(name, year=2025, district_id=district_id).count()
            if listed != counts[name]:
                mismatches.append((name, 2025, district_id, counts[name], listed))
    assert mismatches == []


def test_every_backlog_number_equals_its_case_list(backlog_world):
    counts = backlog_snapshot(on=BACKLOG_DAY)
    mismatches = [
        (name, counts[name], cases_for(name, on=BACKLOG_DAY).count())
        for name in BACKLOG_METRICS
        if cases_for(name, on=BACKLOG_DAY).count() != counts[name]
    ]
    assert mismatches == []


def test_unknown_metrics_and_missing_periods_are_refused(db):
    with pytest.raises(reports.UnknownMetric):
        cases_for("no_such_figure", month_start=MARCH)
    with pytest.raises(ValueError):
        cases_for("requests_received")
    with pytest.raises(ValueError):
        cases_for("open_requests", month_start=MARCH)


# --- Snapshots: stored, idempotent --------------------------------------------------------------


def test_computing_a_month_twice_keeps_one_row_per_scope_with_fresh_values(march_world):
    scopes = District.objects.count() + 1
    assert services.metrics_compute_month(month_start=MARCH) == scopes
    first = MonthlyMetric.objects.get(month=MARCH, district=None)
    assert first.data["requests_received"] == 3

    # A late correction: another request received in March. The rerun replaces the values.
    AssessmentRequestFactory(received_on=date(2025, 3, 10))
    assert services.metrics_compute_month(month_start=date(2025, 3, 17)) == District.objects.count() + 1
    assert MonthlyMetric.objects.filter(month=MARCH).count() == District.objects.count() + 1
    again = MonthlyMetric.objects.get(month=MARCH, district=None)
    assert again.pk == first.pk
    assert again.data["requests_received"] == 4
    assert again.computed_at >= first.computed_at


def test_the_all_districts_row_is_unique_despite_null(db):
    services.metrics_compute_month(month_start=MARCH)
    row = MonthlyMetric.objects.get(month=MARCH, district=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyMetric.objects.create(month=MARCH, district=None, data={}, computed_at=row.computed_at)
    services.metrics_compute_year(year=2025)
    annual = AnnualMetric.objects.get(year=2025, district=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualMetric.objects.create(year=2025, district=None, data={}, computed_at=annual.computed_at)


def test_a_range_recomputes_every_month_and_every_year_it_touches(march_world):
    result = services.metrics_compute_range(from_month=date(2024, 12, 1), to_month=date(2025, 2, 1))
    assert result.months == [date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)]
    assert result.years == [2024, 2025]
    assert set(MonthlyMetric.objects.filter(district=None).values_list("month", flat=True)) == set(result.months)
    assert set(AnnualMetric.objects.filter(district=None).values_list("year", flat=True)) == {2024, 2025}
    assert AnnualMetric.objects.get(year=2025, district=None).data["requests_received"] == 7
    # Rerun: same rows.
    before = MonthlyMetric.objects.count(), AnnualMetric.objects.count()
    services.metrics_compute_range(from_month=date(2024, 12, 1), to_month=date(2025, 2, 1))
    assert (MonthlyMetric.objects.count(), AnnualMetric.objects.count()) == before


def test_backlog_snapshot_is_replaced_on_rerun_and_holds_each_district(backlog_world, districts):
    first = services.backlog_snapshot_take(on=BACKLOG_DAY)
    second = services.backlog_snapshot_take(on=BACKLOG_DAY)
    assert BacklogSnapshot.objects.count() == 1 and first.pk == second.pk
    assert second.data["open_requests"] == 4
    canterbury = districts[1]
    assert second.data["districts"][str(canterbury.pk)]["open_requests"] == 1  # b2


def test_a_range_backwards_is_refused(db):
    with pytest.raises(ValidationFailed):
        services.metrics_compute_range(from_month=date(2025, 3, 1), to_month=date(2025, 1, 1))


# --- Tasks and the management command (in-process; the real worker is in test_worker.py) --------


def test_monthly_task_defaults_to_the_month_just_ended_and_is_safe_twice(db):
    expected = services.previous_month(timezone.localdate())
    assert monthly_metrics()["month"] == f"{expected:%Y-%m}"
    monthly_metrics()
    assert MonthlyMetric.objects.filter(month=expected, district=None).count() == 1
    assert monthly_metrics("2025-03")["month"] == "2025-03"
    assert compute_range("2025-01", "2025-02")["months"] == 2
    assert backlog_task("2025-06-30")["on"] == "2025-06-30"


def test_compute_metrics_command_runs_the_services_and_reports_timings(march_world, capsys):
    call_command("compute_metrics", "--from", "2025-02", "--to", "2025-03", "--backlog")
    out = capsys.readouterr().out
    assert "Computed 2 month(s) 2025-02 to 2025-03 and year(s) 2025" in out
    assert "Backlog on" in out and " s" in out
    assert MonthlyMetric.objects.get(month=MARCH, district=None).data["requests_received"] == 3


def test_compute_metrics_command_rejects_a_bad_month(db):
    with pytest.raises(CommandError, match="--from must be a month"):
        call_command("compute_metrics", "--from", "2025-13")
