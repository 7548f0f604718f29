"""The metrics API: its contract (exact names), validation, 404s and who may read it."""

from __future__ import annotations

from datetime import date

import pytest

from core.roles import Role
from reporting import services
from tests.dashboard.conftest import BACKLOG_DAY, MARCH

pytestmark = pytest.mark.django_db

MONTHLY_CONTRACT = {
    "month",
    "requests_received",
    "requests_from_parents",
    "decisions_to_assess",
    "decisions_not_to_assess",
    "refusal_rate",
    "decisions_within_6_weeks",
    "plans_issued",
    "plans_issued_within_20_weeks",
    "plans_issued_excluding_exceptions",
    "plans_issued_within_20_weeks_excluding_exceptions",
    "not_issue_decisions",
    "not_issue_decisions_within_16_weeks",
}
ANNUAL_CONTRACT = {
    "requests_received",
    "requests_decided_to_assess",
    "requests_decided_not_to_assess",
    "requests_decision_not_made",
    "requests_withdrawn",
    "refusal_rate_dfe",
    "plans_issued",
    "plans_issued_within_20_weeks",
    "pc_plans_issued_within_20_weeks",
    "plans_issued_excluding_exceptions",
    "plans_issued_within_20_weeks_excluding_exceptions",
    "pc_plans_issued_within_20_weeks_excluding_exceptions",
}
READERS = {Role.MANAGER, Role.PANEL_CHAIR}


@pytest.fixture
def manager_api(api_client_for, personas):
    return api_client_for(personas.manager)


def test_monthly_figures_have_the_contract_names_and_hand_computed_values(march_world, manager_api):
    services.metrics_compute_range(from_month=date(2025, 2, 1), to_month=date(2025, 4, 1))
    response = manager_api.get("/api/metrics/monthly/", {"from": "2025-01", "to": "2025-04"})
    assert response.status_code == 200
    body = response.json()
    # January has no snapshot: it is left out, not invented.
    assert [row["month"] for row in body] == ["2025-02", "2025-03", "2025-04"]
    march = body[1]
    assert MONTHLY_CONTRACT <= set(march)
    assert {k: march[k] for k in MONTHLY_CONTRACT} == {
        "month": "2025-03",
        "requests_received": 3,
        "requests_from_parents": 2,
        "decisions_to_assess": 1,
        "decisions_not_to_assess": 2,
        "refusal_rate": 66.7,  # 2 ÷ 3, one decimal
        "decisions_within_6_weeks": 2,
        "plans_issued": 3,
        "plans_issued_within_20_weeks": 2,
        "plans_issued_excluding_exceptions": 1,
        "plans_issued_within_20_weeks_excluding_exceptions": 1,
        "not_issue_decisions": 1,
        "not_issue_decisions_within_16_weeks": 1,
    }
    assert march["district"] is None
    assert march["requests_by_source"]["school"] == 1
    assert march["advice_returned"]["educational_psychology"] == {"returned": 2, "within_6_weeks": 1}
    # The rolling rate needs 12 stored months.
    assert march["refusal_rate_rolling_12_months"] is None


def test_refusal_rate_is_null_when_there_are_no_decisions(db, manager_api):
    services.metrics_compute_month(month_start=date(2025, 5, 1))
    body = manager_api.get("/api/metrics/monthly/", {"from": "2025-05", "to": "2025-05"}).json()
    assert body[0]["refusal_rate"] is None
    assert body[0]["requests_received"] == 0


def test_rolling_rate_over_twelve_stored_months(march_world, manager_api):
    services.metrics_compute_range(from_month=date(2024, 4, 1), to_month=MARCH)
    march = manager_api.get("/api/metrics/monthly/", {"from": "2025-03", "to": "2025-03"}).json()[0]
    # April 2024 to March 2025: in March r1 and r9 refused, r2 agreed; before March the
    # factories decided to assess r5, r6, r7 (November 2024) and r8 (January 2025): 2 ÷ 7.
    assert march["refusal_rate_rolling_12_months"] == 28.6


def test_monthly_figures_for_one_district_by_name(march_world, districts, manager_api):
    services.metrics_compute_month(month_start=MARCH)
    body = manager_api.get("/api/metrics/monthly/", {"from": "2025-03", "to": "2025-03", "district": "canterbury"})
    row = body.json()[0]
    assert row["district"] == "Canterbury"
    assert row["requests_received"] == 1 and row["refusal_rate"] == 100.0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-3", "to": "2025-04"}, "from"),
        ({"from": "2025-13", "to": "2025-04"}, "from"),
        ({"from": "2025-01", "to": "April"}, "to"),
        ({"to": "2025-04"}, "from"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(manager_api, params, field):
    response = manager_api.get("/api/metrics/monthly/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_what_the_schema_cannot_state_is_not_a_400(manager_api):
    """Rules across parameters are not refusals (docs/security.md, "The schema says what the API
    does"): ``to`` before ``from`` is an empty range, a long range is answered, and a district
    that does not exist is a 404 naming it."""
    backwards = manager_api.get("/api/metrics/monthly/", {"from": "2025-05", "to": "2025-04"})
    assert (backwards.status_code, backwards.json()) == (200, [])
    assert manager_api.get("/api/metrics/monthly/", {"from": "1990-01", "to": "2025-04"}).status_code == 200
    unknown = manager_api.get("/api/metrics/monthly/", {"from": "2025-01", "to": "2025-04", "district": "Atlantis"})
    assert unknown.status_code == 404 and "district" in unknown.json()["errors"]


def test_annual_figures_have_the_contract_names(march_world, manager_api):
    services.metrics_compute_year(year=2025)
    response = manager_api.get("/api/metrics/annual/", {"year": "2025"})
    assert response.status_code == 200
    body = response.json()
    assert ANNUAL_CONTRACT <= set(body)
    assert body["requests_received"] == 7
    assert body["refusal_rate_dfe"] == 42.9
    assert body["pc_plans_issued_within_20_weeks"] == 66.7
    assert body["pc_plans_issued_within_20_weeks_excluding_exceptions"] == 100.0


def test_annual_figures_not_stored_answer_404_json(db, manager_api):
    response = manager_api.get("/api/metrics/annual/", {"year": "2019"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert manager_api.get("/api/metrics/annual/", {"year": "19"}).json()["errors"].keys() == {"year"}


def test_backlog_snapshot_by_date_and_404_without_one(backlog_world, manager_api):
    assert manager_api.get("/api/metrics/backlog/", {"date": BACKLOG_DAY.isoformat()}).status_code == 404
    services.backlog_snapshot_take(on=BACKLOG_DAY)
    body = manager_api.get("/api/metrics/backlog/", {"date": BACKLOG_DAY.isoformat()}).json()
    assert body["open_requests"] == 4
    assert body["open_by_age_band"]["over_52_weeks"] == 1
    assert body["advice_by_adviser_type"]["educational_psychology"] == {"outstanding": 2, "overdue": 1}
    assert body["oldest_open_case"]["days_open"] == 365
    bad = manager_api.get("/api/metrics/backlog/", {"date": "2025-02-30"})
    assert bad.status_code == 400 and "date" in bad.json()["errors"]


@pytest.mark.parametrize("role", list(Role))
def test_only_managers_and_panel_chairs_read_the_metrics(db, api_client_for, personas, role):
    services.metrics_compute_month(month_start=MARCH)
    client = api_client_for(personas.for_role(role))
    for url, params in (
        ("/api/metrics/monthly/", {"from": "2025-03", "to": "2025-03"}),
        ("/api/metrics/annual/", {"year": "2025"}),
        ("/api/metrics/backlog/", {"date": "2025-03-31"}),
    ):
        status = client.get(url, params).status_code
        if role in READERS:
            assert status in (200, 404), (url, status)
        else:
            assert status == 403, (url, status)


def test_anonymous_callers_are_refused(db, api_client_for):
    assert api_client_for(None).get("/api/metrics/monthly/", {"from": "2025-03", "to": "2025-03"}).status_code == 401
