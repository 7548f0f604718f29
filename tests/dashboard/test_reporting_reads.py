"""With a reporting replica configured, every dashboard read of the stored figures and of the
cases behind them goes to the "reporting" alias: the dashboard page and its table exports, the
printable report, the drill-down case lists and their exports, and the metrics API (monthly,
annual and backlog). The access-log rows the case lists and exports write stay on the primary.

CI configures no replica, so each test adds a "reporting" alias for itself, as settings.py
declares it when REPORTING_DATABASE_URL is set (a TEST MIRROR of default): a second connection
to the test database. The tests commit their rows (transactional) so that connection sees them,
as a replica would.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.db_router import REPORTING_ALIAS
from core.models import AccessAction, AccessLog, District
from panels.models import PanelDecision, Referral
from placements.models import PlacementContract
from reporting import services
from reporting.models import AnnualMetric, BacklogSnapshot, MonthlyMetric
from reporting.views import cases_url
from requests_app.models import AdviceRequest, AssessmentRequest
from tests.dashboard.conftest import BACKLOG_DAY, MARCH

pytestmark = pytest.mark.django_db(transaction=True)

PERIOD = {"from_month": "2025-01", "to_month": "2025-04"}
MONTHLY, ANNUAL, BACKLOG = (m._meta.db_table for m in (MonthlyMetric, AnnualMetric, BacklogSnapshot))
# Every table a report read may touch: none of them may be read from the primary.
REPORT_TABLES = [
    MONTHLY,
    ANNUAL,
    BACKLOG,
    *(
        m._meta.db_table
        for m in (AssessmentRequest, AdviceRequest, Referral, PanelDecision, PlacementContract, District)
    ),
]
ACCESS_LOG = AccessLog._meta.db_table


@pytest.fixture
def reporting_alias() -> Iterator[str]:
    """A "reporting" database alias for the length of one test: the same database as default
    through its own connection, configured as settings.py configures it (TEST MIRROR)."""
    assert REPORTING_ALIAS not in connections.settings
    config = copy.deepcopy(connections["default"].settings_dict)
    config["TEST"] = {**config.get("TEST", {}), "MIRROR": "default"}
    connections.settings[REPORTING_ALIAS] = config
    # Connect now: Django's test case refuses to open connections to aliases it was not told
    # about (ensure_connection), but one already open is used like any other.
    connections[REPORTING_ALIAS].connect()
    try:
        yield REPORTING_ALIAS
    finally:
        connections[REPORTING_ALIAS].close()
        del connections[REPORTING_ALIAS]
        del connections.settings[REPORTING_ALIAS]


@pytest.fixture
def stored(march_world: dict[str, AssessmentRequest]) -> None:
    """The months', years' and a backlog snapshot, computed before the replica exists."""
    services.metrics_compute_range(from_month=date(2025, 1, 1), to_month=date(2025, 4, 1))
    services.backlog_snapshot_take(on=BACKLOG_DAY)


@pytest.fixture
def backlog_stored(backlog_world: dict[str, AssessmentRequest]) -> None:
    """Open work on the backlog day (one EP advice request overdue), and its snapshot."""
    services.backlog_snapshot_take(on=BACKLOG_DAY)


@dataclass
class Captured:
    replica: list[str]
    primary: list[str]

    def reads(self, sql: list[str], table: str) -> bool:
        return any(q.startswith("SELECT") and f'"{table}"' in q for q in sql)

    def replica_read(self, table: str) -> bool:
        return self.reads(self.replica, table)

    def primary_reads_of_reports(self) -> list[str]:
        return [q for q in self.primary if q.startswith("SELECT") and any(f'"{t}"' in q for t in REPORT_TABLES)]

    def writes(self, sql: list[str]) -> list[str]:
        return [q for q in sql if q.startswith(("INSERT", "UPDATE", "DELETE"))]


@pytest.fixture
def capture(reporting_alias: str) -> Any:
    def _capture(call: Any) -> tuple[Any, Captured]:
        with (
            CaptureQueriesContext(connections[reporting_alias]) as replica,
            CaptureQueriesContext(connection) as primary,
        ):
            result = call()
        return result, Captured(
            [q["sql"] for q in replica.captured_queries], [q["sql"] for q in primary.captured_queries]
        )

    return _capture


@pytest.fixture
def manager_client(client: Any, personas: Any) -> Any:
    client.force_login(personas.manager)
    return client


def test_the_dashboard_reads_its_snapshots_from_the_replica(stored: None, manager_client: Any, capture: Any) -> None:
    response, sql = capture(lambda: manager_client.get(reverse("dashboard:home"), PERIOD))
    assert response.status_code == 200
    assert "66.7%" in response.content.decode()  # March's refusal rate: the replica saw the committed rows
    for table in (MONTHLY, ANNUAL, BACKLOG, "core_district"):
        assert sql.replica_read(table), table
    assert sql.primary_reads_of_reports() == []
    assert sql.writes(sql.replica) == []


def test_a_dashboard_table_export_reads_the_replica_and_logs_on_the_primary(
    stored: None, manager_client: Any, capture: Any
) -> None:
    response, sql = capture(
        lambda: manager_client.get(
            reverse("dashboard:home"), {**PERIOD, "table": "requests", "format": "csv", "purpose": "service_planning"}
        )
    )
    assert response.status_code == 200
    assert sql.replica_read(MONTHLY)
    assert sql.primary_reads_of_reports() == []
    assert any(f'"{ACCESS_LOG}"' in q for q in sql.writes(sql.primary))
    assert sql.writes(sql.replica) == []
    assert AccessLog.objects.filter(action=AccessAction.EXPORT).count() == 1


@pytest.mark.parametrize(
    "params",
    [
        {"month": "2025-03"},
        {"month": "2025-03", "table": "report_year", "format": "xlsx", "purpose": "service_planning"},
    ],
)
def test_the_printable_report_reads_the_replica(
    stored: None, manager_client: Any, capture: Any, params: dict[str, str]
) -> None:
    response, sql = capture(lambda: manager_client.get(reverse("dashboard:report"), params))
    assert response.status_code == 200
    for table in (MONTHLY, ANNUAL, BACKLOG, "core_district"):
        assert sql.replica_read(table), table
    assert sql.primary_reads_of_reports() == []
    assert sql.writes(sql.replica) == []


def test_the_report_for_a_district_reads_the_replica(
    stored: None, districts: tuple[District, District], manager_client: Any, capture: Any
) -> None:
    params = {"month": "2025-03", "district": districts[0].pk}
    response, sql = capture(lambda: manager_client.get(reverse("dashboard:report"), params))
    assert response.status_code == 200
    assert "Figures for March 2025, Ashford" in response.content.decode()
    assert sql.replica_read(MONTHLY) and sql.replica_read(ANNUAL) and sql.replica_read(BACKLOG)
    assert sql.primary_reads_of_reports() == []


@pytest.mark.parametrize(
    ("world", "url", "table", "rows"),
    [
        ("stored", lambda: cases_url("requests_received", month=MARCH), "requests_app_assessmentrequest", 3),
        ("backlog_stored", lambda: cases_url("advice_overdue", on=BACKLOG_DAY), "requests_app_advicerequest", 1),
    ],
    ids=["requests", "advice"],
)
@pytest.mark.parametrize("fmt", [None, "csv"])
def test_a_case_list_reads_the_replica_and_writes_the_access_log_on_the_primary(
    request: Any,
    manager_client: Any,
    capture: Any,
    world: str,
    url: Any,
    table: str,
    rows: int,
    fmt: str | None,
) -> None:
    request.getfixturevalue(world)
    target = url() + (f"&format={fmt}&purpose=casework" if fmt else "")
    response, sql = capture(lambda: manager_client.get(target))
    assert response.status_code == 200
    assert sql.replica_read(table)
    assert sql.primary_reads_of_reports() == []
    # Each child named on the list (or in the file) is logged, on the primary only.
    assert any(f'"{ACCESS_LOG}"' in q for q in sql.writes(sql.primary))
    assert sql.writes(sql.replica) == []
    action = AccessAction.EXPORT if fmt else AccessAction.LIST
    assert AccessLog.objects.filter(action=action).count() == rows


@pytest.mark.parametrize(
    ("path", "params", "table"),
    [
        ("/api/metrics/monthly/", {"from": "2025-01", "to": "2025-04"}, MONTHLY),
        ("/api/metrics/monthly/", {"from": "2025-03", "to": "2025-03", "district": "Ashford"}, MONTHLY),
        ("/api/metrics/annual/", {"year": "2025"}, ANNUAL),
        ("/api/metrics/backlog/", {"date": BACKLOG_DAY.isoformat()}, BACKLOG),
        ("/api/metrics/backlog/", {"date": BACKLOG_DAY.isoformat(), "district": "Ashford"}, BACKLOG),
    ],
    ids=["monthly", "monthly-district", "annual", "backlog", "backlog-district"],
)
def test_the_metrics_api_reads_the_replica(
    stored: None, api_client_for: Any, personas: Any, capture: Any, path: str, params: dict[str, str], table: str
) -> None:
    api = api_client_for(personas.manager)
    response, sql = capture(lambda: api.get(path, params))
    assert response.status_code == 200, response.content
    assert sql.replica_read(table)
    if "district" in params:
        assert sql.replica_read("core_district")
    assert sql.primary_reads_of_reports() == []
    assert sql.writes(sql.replica) == []


def test_the_api_answers_404_from_the_replica_when_nothing_is_stored(
    db: None, api_client_for: Any, personas: Any, capture: Any
) -> None:
    api = api_client_for(personas.manager)
    response, sql = capture(lambda: api.get("/api/metrics/backlog/", {"date": "2025-06-30"}))
    assert response.status_code == 404
    assert sql.replica_read(BACKLOG)
    assert sql.primary_reads_of_reports() == []
