"""The demo history tells Kent's story, measured through the real pipeline.

demo.history generates the county history (seeded, on the test database); the
dashboard's own jobs store the monthly and annual snapshots; the figures are read back from
the metrics API as a manager would. Each published figure (docs/domain.md §4.2: requests and
new plans within 1%, the rates within 1 percentage point; the 2018 deck, docs/domain.md §4.3)
must come back within its tolerance. The history alone: what a user sees after ``make run``, the
other demos included, is checked on the seeded file by tests/dashboard/test_seeded_demo.py.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.db import transaction
from django.db.models import F
from rest_framework.test import APIClient

from core.roles import Role
from demo import history
from reporting import services
from requests_app import clocks, workflow
from requests_app.models import AdviceRequest, AssessmentRequest, Child, RequestEvent
from tests.conftest import api_token_for, make_user
from tests.requests_app.stored_checks import assert_stored_as_built

pytestmark = pytest.mark.django_db

PUBLISHED_YEARS = [year for year, target in history.TARGETS.items() if target.published]
FIRST_MONTH, LAST_MONTH = date(2016, 9, 1), date(2018, 8, 1)


@dataclass(frozen=True)
class Published:
    summary: history.HistorySummary
    annual: dict[int, dict[str, Any]]
    monthly: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def published(calibrated_history: history.HistorySummary, django_db_blocker: Any) -> Iterator[Published]:
    """History (tests/dashboard/conftest.py: built once per run) → snapshot jobs → API, once for
    the module; rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        summary = calibrated_history
        # The deck's months (from the growth comparison's first window) and their years ...
        services.metrics_compute_range(from_month=FIRST_MONTH, to_month=LAST_MONTH)
        # ... and every other published year.
        for year in PUBLISHED_YEARS:
            if year not in (2016, 2017, 2018):
                services.metrics_compute_year(year=year)
        manager = make_user(Role.MANAGER, username="calibration_manager")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for(manager)}")
        annual = {}
        for year in PUBLISHED_YEARS:
            response = client.get("/api/metrics/annual/", {"year": str(year)})
            assert response.status_code == 200, response.content
            annual[year] = response.json()
        response = client.get("/api/metrics/monthly/", {"from": f"{FIRST_MONTH:%Y-%m}", "to": f"{LAST_MONTH:%Y-%m}"})
        assert response.status_code == 200, response.content
        monthly = {row["month"]: row for row in response.json()}
        yield Published(summary, annual, monthly)
        transaction.set_rollback(True)


def _months(first: date, count: int) -> list[str]:
    index = first.year * 12 + first.month - 1
    return [f"{(index + i) // 12:04d}-{(index + i) % 12 + 1:02d}" for i in range(count)]


@pytest.mark.parametrize("year", PUBLISHED_YEARS)
def test_each_published_year_is_reproduced_on_the_dfe_basis(published: Published, year: int) -> None:
    target = history.TARGETS[year]
    figures = published.annual[year]
    assert figures["requests_received"] == pytest.approx(target.requests, rel=0.01)
    assert figures["refusal_rate_dfe"] == pytest.approx(target.refusal_pc, abs=1.0)
    # New plans issued in the calendar year: a count, so within 1% (docs/domain.md §4.2).
    assert figures["plans_issued"] == pytest.approx(target.plans, rel=0.01)
    not_issued = figures["not_issue_decisions"]
    assert 100 * not_issued / (not_issued + figures["plans_issued"]) == pytest.approx(target.not_issued_pc, abs=1.0)
    assert figures["pc_plans_issued_within_20_weeks"] == pytest.approx(target.within_20_pc, abs=1.0)
    assert figures["pc_plans_issued_within_20_weeks_excluding_exceptions"] == pytest.approx(
        target.within_20_ex_pc, abs=1.0
    )


def test_the_2018_deck_on_the_decision_basis(published: Published) -> None:
    months = published.monthly
    assert set(_months(FIRST_MONTH, 24)) <= set(months)
    # "Refusal to assess rates have increased from 19% in 2017 ..."
    rates_2017 = [months[m]["refusal_rate"] for m in _months(date(2017, 1, 1), 12)]
    assert sum(rates_2017) / 12 == pytest.approx(19.0, abs=2.0)
    refused = sum(months[m]["decisions_not_to_assess"] for m in _months(date(2017, 1, 1), 12))
    agreed = sum(months[m]["decisions_to_assess"] for m in _months(date(2017, 1, 1), 12))
    assert 100 * refused / (refused + agreed) == pytest.approx(19.0, abs=2.0)
    # "... to 35% in August 2018. This means that in August the lowest number of Statutory
    # Assessments were agreed to be undertaken (170) since February 2018."
    august = months["2018-08"]
    assert august["refusal_rate"] == pytest.approx(35.0, abs=2.0)
    assert august["decisions_to_assess"] == pytest.approx(170, abs=5)
    assert all(months[m]["decisions_to_assess"] > august["decisions_to_assess"] for m in _months(date(2018, 3, 1), 5))
    assert months["2018-02"]["decisions_to_assess"] <= august["decisions_to_assess"]


def test_requests_up_81_percent_in_18_months_three_in_four_from_parents(published: Published) -> None:
    months = published.monthly
    # history.GROWTH_WINDOWS: March-August 2018 against September 2016-February 2017.
    (later, later_count), (earlier, earlier_count) = history.GROWTH_WINDOWS
    recent = sum(months[m]["requests_received"] for m in _months(later, later_count))
    before = sum(months[m]["requests_received"] for m in _months(earlier, earlier_count))
    assert 100 * (recent - before) / before == pytest.approx(81.0, abs=5.0)
    received = sum(row["requests_received"] for row in months.values())
    from_parents = sum(row["requests_from_parents"] for row in months.values())
    assert 100 * from_parents / received == pytest.approx(75.0, abs=2.0)


def test_needs_ages_and_sex_follow_the_published_shapes(published: Published) -> None:
    rows = list(published.monthly.values())
    received = sum(row["requests_received"] for row in rows)
    need = {k: sum(row["requests_by_primary_need"][k] for row in rows) for k in rows[0]["requests_by_primary_need"]}
    assert max(need, key=need.__getitem__) == "ASD"
    assert 100 * need["ASD"] / received == pytest.approx(46.2, abs=3.0)  # Kent, docs/domain.md §4.5
    ages = {k: sum(row["requests_by_age_band"][k] for row in rows) for k in rows[0]["requests_by_age_band"]}
    # England's new plans by age (docs/domain.md §4.5): half at 5-10, the peak at school entry.
    assert 100 * ages["5-10"] / received == pytest.approx(49.7, abs=3.0)
    children = Child.objects.filter(requests__reference__startswith=history.HIST_PREFIX)
    boys = children.filter(sex="M").count()
    assert 100 * boys / children.count() == pytest.approx(64.0, abs=2.0)  # 64.3% of 2024 requests
    assert children.values("district").distinct().count() == 12


def test_history_rows_are_ones_the_services_could_have_written(published: Published) -> None:
    requests = AssessmentRequest.objects.filter(reference__startswith=history.HIST_PREFIX)
    assert published.summary.requests == requests.count() > 30_000
    assert 0 < published.summary.open_requests == requests.open().count() < 0.05 * requests.count()
    # Stored clocks equal the clock module's, exceptions and all (every week20 case, and a sample).
    sample = set(requests.filter(week20=True).values_list("pk", flat=True))
    sample |= set(random.Random(1).sample(list(requests.values_list("pk", flat=True)), 1500))
    for request in AssessmentRequest.objects.filter(pk__in=sample).prefetch_related("clock_exceptions", "events"):
        periods = [e.as_period() for e in request.clock_exceptions.all() if e.is_active and e.advice_request_id is None]
        computed = clocks.request_clocks(request.received_on, periods)
        assert (request.final_plan_target_on, request.decision_target_on, request.week20) == (
            computed.final_plan_target_on,
            computed.decision_target_on,
            computed.week20,
        ), request.reference
        assert request.next_deadline_on == workflow.next_deadline(
            request.status,
            decision_target_on=computed.decision_target_on,
            not_issue_target_on=computed.not_issue_target_on,
            final_plan_target_on=computed.final_plan_target_on,
        )
        # A legal timeline from "created" to the stored status.
        events = list(request.events.all())
        assert events[0].action == "created" and events[-1].to_status == request.status
        for before, event in zip(events, events[1:], strict=False):
            assert before.occurred_at <= event.occurred_at
            assert event.to_status == workflow.next_status(event.from_status, event.action), request.reference
    # created, the decisions, the EP advice asked for and received: at most 8 a request.
    assert RequestEvent.objects.filter(request__in=requests).count() < 6 * requests.count()
    advice = AdviceRequest.objects.filter(request__in=requests)
    assert advice.count() > 0.5 * requests.count() and advice.filter(received_on__isnull=True).exists()
    # The request's district is its child's (ADR 0007): the history writes it as the services do.
    assert not requests.exclude(district_id=F("child__district_id")).exists()
    assert not requests.filter(district__isnull=True).exists()


def test_history_rows_are_the_stored_builders(published: Published) -> None:
    """Each request's district, status and clocks, and its events' payloads, are the ones
    ``requests_app.stored`` builds (a sample of every status, with and without exceptions)."""
    requests = AssessmentRequest.objects.filter(reference__startswith=history.HIST_PREFIX)
    sample = []
    for status in workflow.Status:
        of_status = requests.filter(status=status).order_by("pk")
        sample += list(of_status.filter(week20=True)[:5]) + list(of_status.filter(week20=False)[:5])
    assert {r.status for r in sample} >= {"received", "refused", "withdrawn", "not_issued", "plan_issued"}
    assert any(r.week20 for r in sample)
    assert assert_stored_as_built(sample) == len(sample)
