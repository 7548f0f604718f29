"""The grouped figures (ADR 0006): every scope, and every month or year of a range, in a
handful of queries, equal to the single-scope figures and to the case lists behind them; the
range backfill writes what month-by-month computing writes, reruns replace rows in place, and
the number of queries does not grow with the months or the districts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.test.utils import CaptureQueriesContext

from core.models import District, NeedType
from reporting import services, sources
from reporting.models import AnnualMetric, MonthlyMetric
from requests_app import reports
from requests_app.models import AdviserType, AssessmentRequest, RequestEvent, RequestSource
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    AssessmentRequestFactory,
    ChildFactory,
    DistrictFactory,
    DraftingRequestFactory,
    EvaluatingRequestFactory,
    NotIssuedRequestFactory,
    PlanIssuedRequestFactory,
    RefusedRequestFactory,
    WithdrawnRequestFactory,
)

pytestmark = pytest.mark.django_db

MONTHS = [date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)]
YEARS = [2024, 2025]
ON = date(2025, 4, 30)


@pytest.fixture
def spread(db: None) -> dict[str, Any]:
    """Three districts (the third with no rows at all) and requests spread over Dec 2024 to Apr
    2025: received in one month and decided in another, withdrawn, plans with and without a
    clock exception, a decision not to issue, other sources, needs and ages, advice of
    several adviser types, and open work for the backlog on 30 April."""
    a, b, empty = DistrictFactory(name="Ashford"), DistrictFactory(name="Dover"), DistrictFactory(name="Thanet")

    def child(district: District, **kwargs: Any) -> Any:
        return ChildFactory(district=district, **kwargs)

    # Received in January, refused in February (a/b): counts in two different months.
    RefusedRequestFactory(child=child(a), received_on=date(2025, 1, 20), request_outcome_on=date(2025, 2, 10))
    RefusedRequestFactory(
        child=child(b, primary_need=NeedType.SLD, date_of_birth=date(2008, 1, 15)),
        received_on=date(2025, 1, 31),
        request_outcome_on=date(2025, 3, 31),
        source=RequestSource.SCHOOL,
    )
    # Received in December 2024, decided to assess in January 2025 (across the year end), late.
    late = AssessingRequestFactory(
        child=child(a, date_of_birth=date(2021, 12, 2)),
        received_on=date(2024, 12, 1),
        request_outcome_on=date(2025, 1, 31),
    )
    # Withdrawn: received in February, withdrawn in March, not a decision.
    WithdrawnRequestFactory(child=child(b), received_on=date(2025, 2, 27), request_outcome_on=date(2025, 3, 19))
    # Plans: one in time with no exception, one late with an exception, one in time with one.
    PlanIssuedRequestFactory(child=child(a), received_on=date(2024, 10, 20), final_plan_issued_on=date(2025, 3, 3))
    with_exception = [
        PlanIssuedRequestFactory(child=child(b), received_on=date(2024, 7, 1), final_plan_issued_on=date(2024, 12, 30)),
        PlanIssuedRequestFactory(child=child(a), received_on=date(2024, 11, 20), final_plan_issued_on=date(2025, 4, 1)),
    ]
    AssessmentRequest.objects.filter(pk__in=[r.pk for r in with_exception]).update(week20=True)
    NotIssuedRequestFactory(child=child(b), received_on=date(2024, 12, 15), assessment_outcome_on=date(2025, 3, 2))
    # Young person's own request, aged 19 on the day; and open work for the backlog.
    AssessmentRequestFactory(
        child=child(a, date_of_birth=date(2005, 4, 2)),
        received_on=date(2025, 4, 1),
        source=RequestSource.YOUNG_PERSON,
    )
    EvaluatingRequestFactory(child=child(b), received_on=date(2025, 3, 1))
    drafting = DraftingRequestFactory(child=child(b), received_on=date(2024, 3, 1))
    # Advice by adviser type: returned in time, late, in another month, and outstanding.
    AdviceRequestFactory(request=late, requested_on=date(2025, 2, 1), received_on=date(2025, 3, 1))
    AdviceRequestFactory(
        request=late, adviser_type=AdviserType.HEALTH, requested_on=date(2025, 1, 1), received_on=date(2025, 3, 20)
    )
    AdviceRequestFactory(
        request=drafting,
        adviser_type=AdviserType.SOCIAL_CARE,
        requested_on=date(2025, 1, 10),
        received_on=date(2025, 2, 5),
    )
    AdviceRequestFactory(request=drafting, requested_on=date(2025, 3, 1))
    AdviceRequestFactory(request=drafting, adviser_type=AdviserType.HEALTH, requested_on=date(2025, 4, 20))
    # Every district, those the factories made for establishments and users included.
    districts = list(District.objects.order_by("pk").values_list("pk", flat=True))
    return {"a": a, "b": b, "empty": empty, "districts": districts}


# --- Grouped = single scope = the case lists ------------------------------------------------------


def test_grouped_monthly_figures_equal_each_scopes_own_figures_and_case_lists(spread):
    grouped = reports.monthly_request_metrics_by_scope(months=MONTHS)
    scopes = [None, *spread["districts"]]
    assert set(grouped) == {(month, scope) for month in MONTHS for scope in scopes}
    mismatches = []
    for month in MONTHS:
        for scope in scopes:
            single = reports.monthly_request_metrics(month_start=month, district_id=scope)
            for name in reports.MONTHLY_METRICS:
                listed = reports.cases_for(name, month_start=month, district_id=scope).count()
                if not grouped[(month, scope)][name] == single[name] == listed:
                    mismatches.append((name, month, scope, grouped[(month, scope)][name], single[name], listed))
    assert mismatches == []
    # The data set is not trivially zero: both districts and several windows have figures.
    march = grouped[(date(2025, 3, 1), None)]
    assert march["decisions_not_to_assess"] == 1 and march["plans_issued"] == 1 and march["advice_returned"] == 2
    assert grouped[(date(2025, 1, 1), spread["b"].pk)]["requests_received.need.SLD"] == 1
    assert all(value == 0 for value in grouped[(date(2025, 3, 1), spread["empty"].pk)].values())


def test_grouped_annual_figures_equal_each_scopes_own_figures_and_case_lists(spread):
    grouped = reports.annual_request_metrics_by_scope(years=YEARS)
    mismatches = []
    for year in YEARS:
        for scope in [None, *spread["districts"]]:
            single = reports.annual_request_metrics(year=year, district_id=scope)
            if grouped[(year, scope)] != single:
                mismatches.append((year, scope, grouped[(year, scope)], single))
            for name in reports.ANNUAL_METRICS:
                if grouped[(year, scope)][name] != reports.cases_for(name, year=year, district_id=scope).count():
                    mismatches.append((name, year, scope))
    assert mismatches == []
    assert grouped[(2025, None)]["requests_withdrawn"] == 1
    assert grouped[(2024, spread["b"].pk)]["plans_issued_excluding_exceptions"] == 0
    assert grouped[(2025, spread["empty"].pk)]["refusal_rate_dfe"] is None


def test_grouped_backlog_equals_each_scopes_own_backlog_and_case_lists(spread):
    grouped = reports.backlog_snapshot_by_scope(on=ON)
    mismatches = []
    for scope in [None, *spread["districts"]]:
        single = reports.backlog_snapshot(on=ON, district_id=scope)
        if grouped[scope] != single:
            mismatches.append((scope, grouped[scope], single))
        for name in reports.BACKLOG_METRICS:
            if grouped[scope][name] != reports.cases_for(name, on=ON, district_id=scope).count():
                mismatches.append((name, scope))
    assert mismatches == []
    assert grouped[None]["oldest_open_case"]["received_on"] == "2024-03-01"
    assert grouped[spread["a"].pk]["oldest_open_case"]["received_on"] == "2024-12-01"
    assert grouped[spread["empty"].pk]["oldest_open_case"] is None
    assert grouped[None]["advice_outstanding.educational_psychology"] == 1


def test_all_districts_counts_every_group_even_a_district_left_out_of_the_scopes(spread):
    """The all-districts figure is the sum over every district group, not over the scopes asked
    for: a district missing from ``district_ids`` (like children without a district) still
    counts towards all districts."""
    only_a = reports.monthly_request_metrics_by_scope(months=MONTHS, district_ids=[spread["a"].pk])
    everyone = reports.monthly_request_metrics_by_scope(months=MONTHS)
    for month in MONTHS:
        assert only_a[(month, None)] == everyone[(month, None)]
    assert (MONTHS[0], spread["b"].pk) not in only_a


def test_the_group_without_a_district_counts_towards_all_districts_only():
    # Pure: rows whose child has no district form the group None, which is not a scope.
    names = ["requests_received", "decisions_made"]
    march, april = (2025, 3), (2025, 4)
    groups = {
        (march, 1): {"requests_received": 2},
        (march, None): {"requests_received": 5, "decisions_made": 1},
        (march, 9): {"requests_received": 1},  # a district not among the scopes
        (april, 2): {"decisions_made": 3},
    }
    summed = reports.sum_groups(names, groups, [march, april], [None, 1, 2])
    assert summed[(march, None)] == {"requests_received": 8, "decisions_made": 1}
    assert summed[(march, 1)] == {"requests_received": 2, "decisions_made": 0}
    assert summed[(march, 2)] == {"requests_received": 0, "decisions_made": 0}
    assert summed[(april, None)] == {"requests_received": 0, "decisions_made": 3}
    assert summed[(april, 1)] == {"requests_received": 0, "decisions_made": 0}


# --- The stored snapshots -------------------------------------------------------------------------


def _stored() -> tuple[dict[tuple[date, int | None], dict[str, Any]], dict[tuple[int, int | None], dict[str, Any]]]:
    monthly = {(row.month, row.district_id): row.data for row in MonthlyMetric.objects.all()}
    annual = {(row.year, row.district_id): row.data for row in AnnualMetric.objects.all()}
    return monthly, annual


def _per_scope(month: date, scope: int | None) -> dict[str, Any]:
    """What the pre-grouping job stored: each source's per-scope function, merged."""
    data = reports.monthly_request_metrics(month_start=month, district_id=scope)
    data.update(sources.panel_monthly(month_start=month, district_id=scope))
    data.update(sources.placements_monthly(month_start=month, district_id=scope))
    return data


def test_a_range_backfill_writes_the_same_rows_as_computing_month_by_month(spread):
    result = services.metrics_compute_range(from_month=MONTHS[0], to_month=MONTHS[-1])
    assert result.months == MONTHS and result.years == YEARS
    scopes = [None, *spread["districts"]]
    assert result.rows == len(scopes) * (len(MONTHS) + len(YEARS))
    by_range = _stored()

    MonthlyMetric.objects.all().delete()
    AnnualMetric.objects.all().delete()
    for month in MONTHS:
        assert services.metrics_compute_month(month_start=month) == len(scopes)
    for year in YEARS:
        assert services.metrics_compute_year(year=year) == len(scopes)
    assert _stored() == by_range

    # And what the per-scope functions (the job before grouping) give, scope by scope.
    monthly, annual = by_range
    for month in MONTHS:
        for scope in scopes:
            assert monthly[(month, scope)] == _per_scope(month, scope)
    for year in YEARS:
        for scope in scopes:
            assert annual[(year, scope)] == reports.annual_request_metrics(year=year, district_id=scope)
    # Council-wide figures on the all-districts rows only.
    assert "panel_decided" in monthly[(MONTHS[0], None)]
    assert "panel_decided" not in monthly[(MONTHS[0], spread["a"].pk)]


def test_rerunning_a_range_replaces_each_row_in_place(spread):
    services.metrics_compute_range(from_month=MONTHS[0], to_month=MONTHS[-1])
    first = {(row.month, row.district_id): (row.pk, row.computed_at) for row in MonthlyMetric.objects.all()}
    years = {(row.year, row.district_id): row.pk for row in AnnualMetric.objects.all()}

    # A late correction in March, district A; then the same range again.
    AssessmentRequestFactory(child=ChildFactory(district=spread["a"]), received_on=date(2025, 3, 10))
    services.metrics_compute_range(from_month=MONTHS[0], to_month=MONTHS[-1])
    again = {(row.month, row.district_id): (row.pk, row.computed_at) for row in MonthlyMetric.objects.all()}
    assert again.keys() == first.keys()
    assert all(again[key][0] == first[key][0] and again[key][1] >= first[key][1] for key in first)
    assert {(row.year, row.district_id): row.pk for row in AnnualMetric.objects.all()} == years
    march = MonthlyMetric.objects.get(month=date(2025, 3, 1), district=spread["a"])
    assert march.data["requests_received"] == 1
    assert MonthlyMetric.objects.get(month=date(2025, 3, 1), district=None).data["requests_received"] == 2
    assert AnnualMetric.objects.get(year=2025, district=None).data["requests_received"] == 6


def test_a_failure_while_writing_leaves_the_stored_months_as_they_were(spread, monkeypatch):
    services.metrics_compute_range(from_month=MONTHS[0], to_month=MONTHS[-1])
    before = _stored()
    AssessmentRequestFactory(child=ChildFactory(district=spread["a"]), received_on=date(2025, 3, 10))

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(MonthlyMetric.objects, "bulk_update", broken)
    with pytest.raises(RuntimeError):
        services.metrics_compute_range(from_month=MONTHS[0], to_month=MONTHS[-1])
    assert _stored() == before


# --- Queries: bounded, whatever the months and districts -------------------------------------------


def _requests_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The request figures alone (the council-wide panel and placement figures are read a month
    at a time by design: see the test below)."""
    monkeypatch.setattr(services, "FIGURE_SOURCES", services.FIGURE_SOURCES[:1])


# Per run: the districts and 4 monthly aggregates, then per write batch a savepoint, the rows'
# ids, one bulk update and one bulk insert; the same for the years with 2 aggregates.
RANGE_QUERIES = 22


@pytest.mark.parametrize(("months", "extra_districts"), [(1, 0), (12, 0), (12, 10)])
def test_a_twelve_month_range_costs_the_same_queries_as_one_month(spread, monkeypatch, months, extra_districts):
    _requests_only(monkeypatch)
    for _ in range(extra_districts):
        DistrictFactory()
    first = date(2024, 5, 1)
    last = services.months_between(first, date(2025, 4, 1))[months - 1]
    with CaptureQueriesContext(connection) as captured:
        result = services.metrics_compute_range(from_month=first, to_month=last)
    assert len(result.months) == months
    assert len(captured) <= RANGE_QUERIES
    # A rerun updates instead of inserting: no more queries either.
    with CaptureQueriesContext(connection) as again:
        services.metrics_compute_range(from_month=first, to_month=last)
    assert len(again) <= RANGE_QUERIES


def test_a_twelve_month_range_with_every_source_is_bounded(spread, django_assert_max_num_queries):
    # The request figures: a constant; the council-wide panel and placement figures: a few
    # queries per month, for the all-districts scope only (never per district).
    DistrictFactory.create_batch(10)
    per_month = 8
    with django_assert_max_num_queries(RANGE_QUERIES + per_month * 12):
        services.metrics_compute_range(from_month=date(2024, 5, 1), to_month=date(2025, 4, 1))


def test_the_backlog_costs_the_same_queries_whatever_the_districts(spread, django_assert_max_num_queries):
    services.backlog_snapshot_take(on=ON)
    DistrictFactory.create_batch(10)
    with django_assert_max_num_queries(14):
        snapshot = services.backlog_snapshot_take(on=ON)
    assert len(snapshot.data["districts"]) == District.objects.count()
    assert snapshot.data["open_requests"] == reports.backlog_snapshot(on=ON)["open_requests"]
    assert snapshot.data["districts"][str(spread["b"].pk)] == {
        **reports.backlog_snapshot(on=ON, district_id=spread["b"].pk)
    }


def test_the_last_and_first_days_of_months_fall_in_their_own_months(spread):
    # The last day of a month and the first of the next go to different months.
    a = spread["a"]
    AssessmentRequestFactory(child=ChildFactory(district=a), received_on=date(2025, 1, 31))
    AssessmentRequestFactory(child=ChildFactory(district=a), received_on=date(2025, 2, 1))
    grouped = reports.monthly_request_metrics_by_scope(months=MONTHS)
    for month in MONTHS:
        assert (
            grouped[(month, a.pk)]["requests_received"]
            == reports.cases_for("requests_received", month_start=month, district_id=a.pk).count()
        )


# --- Date parts ---------------------------------------------------------------------------------


def test_native_date_parts_equal_djangos_extract(spread):
    rows = AssessmentRequest.objects.annotate(
        y=reports._Year("received_on"),
        m=reports._Month("received_on"),
        d=reports._Day("child__date_of_birth"),
        y0=ExtractYear("received_on"),
        m0=ExtractMonth("received_on"),
        d0=ExtractDay("child__date_of_birth"),
    ).values_list("y", "m", "d", "y0", "m0", "d0")
    assert rows and all((y, m, d) == (y0, m0, d0) for y, m, d, y0, m0, d0 in rows)


def test_a_leap_day_birthday_turns_a_year_older_on_the_first_of_march(db):
    district = DistrictFactory()
    born = date(2008, 2, 29)
    AssessmentRequestFactory(child=ChildFactory(district=district, date_of_birth=born), received_on=date(2013, 2, 28))
    AssessmentRequestFactory(child=ChildFactory(district=district, date_of_birth=born), received_on=date(2013, 3, 1))
    grouped = reports.monthly_request_metrics_by_scope(months=[date(2013, 2, 1), date(2013, 3, 1)])
    assert grouped[(date(2013, 2, 1), None)]["requests_received.age.0-4"] == 1  # still 4
    assert grouped[(date(2013, 3, 1), None)]["requests_received.age.5-10"] == 1  # 5 on 1 March
    assert grouped[(date(2013, 3, 1), district.pk)]["requests_received.age.0-4"] == 0


def test_the_sqlite_date_part_shortcut_is_only_for_dates() -> None:
    # A datetime's year depends on the time zone: the ISO-text slice would take UTC's.
    date_sql = str(AssessmentRequest.objects.annotate(y=reports._Year("received_on")).values("y").query)
    datetime_sql = str(RequestEvent.objects.annotate(y=reports._Year("occurred_at")).values("y").query)
    if connection.vendor == "sqlite":
        assert "SUBSTR" in date_sql
    assert "SUBSTR" not in datetime_sql
