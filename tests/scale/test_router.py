"""The reporting router: report reads go to the "reporting" replica when one is configured,
everything else (and every write) to "default"; and the report tasks' own Celery queue.

CI configures no replica, so the tests add a "reporting" alias for themselves: a second
connection to the test database (a TEST MIRROR of default, as settings.py declares it when
REPORTING_DATABASE_URL is set). The integration test commits its rows (transactional test) so
the second connection sees them, as a replica would.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from core.db_router import REPORTING_ALIAS, ReportingRouter, in_reporting_reads, reporting_reads
from core.models import District
from reporting import figures, services
from reporting.models import MonthlyMetric
from requests_app.models import AssessmentRequest
from tests.requests_app.factories import ChildFactory, DistrictFactory, ReceivedRequestFactory


@pytest.fixture
def reporting_alias(transactional_db: None) -> Iterator[str]:
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


# --- The router on its own -----------------------------------------------------------------------


def test_without_a_replica_every_read_stays_on_default() -> None:
    router = ReportingRouter()
    assert router.db_for_read(AssessmentRequest) is None
    with reporting_reads():
        assert in_reporting_reads()
        assert router.db_for_read(AssessmentRequest) is None  # no "reporting" alias: default
    assert not in_reporting_reads()


def test_with_a_replica_only_report_reads_go_to_it(reporting_alias: str) -> None:
    router = ReportingRouter()
    assert router.db_for_read(AssessmentRequest) is None  # interactive reads: default
    with reporting_reads():
        assert router.db_for_read(AssessmentRequest) == reporting_alias
        with reporting_reads():  # nested: still the replica
            assert router.db_for_read(MonthlyMetric) == reporting_alias
        assert router.db_for_read(AssessmentRequest) == reporting_alias
        # Writes never go to a replica.
        assert router.db_for_write(MonthlyMetric) == "default"
    assert router.db_for_read(AssessmentRequest) is None


def test_migrations_run_on_the_primary_only() -> None:
    router = ReportingRouter()
    assert router.allow_migrate("reporting", "requests_app") is False
    assert router.allow_migrate("default", "requests_app") is None


# --- The dashboard's jobs and reads with a replica -----------------------------------------------


def test_the_monthly_job_reads_from_the_replica_and_writes_to_default(reporting_alias: str) -> None:
    district = DistrictFactory()
    month = date(2025, 3, 1)
    for day in (3, 17):
        ReceivedRequestFactory(received_on=month.replace(day=day), child=ChildFactory(district=district))

    with (
        CaptureQueriesContext(connections[reporting_alias]) as replica,
        CaptureQueriesContext(connection) as primary,
    ):
        services.metrics_compute_month(month_start=month)

    replica_sql = [q["sql"] for q in replica.captured_queries]
    primary_sql = [q["sql"] for q in primary.captured_queries]
    # The aggregates over requests ran on the replica, none on the primary...
    assert any("requests_app_assessmentrequest" in sql for sql in replica_sql)
    assert not any('FROM "requests_app_assessmentrequest"' in sql for sql in primary_sql)
    # ...and the snapshot rows were written on the primary only.
    assert any(sql.startswith(("INSERT", "UPDATE")) and "dashboard_monthlymetric" in sql for sql in primary_sql)
    assert not any(sql.startswith(("INSERT", "UPDATE")) for sql in replica_sql)
    # The replica saw the committed rows: the stored figure counts both requests.
    stored = MonthlyMetric.objects.get(month=month, district__isnull=True)
    assert stored.data["requests_received"] == 2
    assert MonthlyMetric.objects.get(month=month, district=district).data["requests_received"] == 2


def test_the_backlog_job_and_the_dashboard_read_the_replica(reporting_alias: str) -> None:
    ReceivedRequestFactory(child=ChildFactory(district=DistrictFactory()))
    with CaptureQueriesContext(connections[reporting_alias]) as replica:
        snapshot = services.backlog_snapshot_take(on=date.today())
        series = figures.monthly_series(from_month=date(2025, 1, 1), to_month=date(2025, 3, 1), district_id=None)
    assert snapshot.data["open_requests"] == 1
    assert len(series.months) == 3
    sql = " ".join(q["sql"] for q in replica.captured_queries)
    assert "requests_app_assessmentrequest" in sql
    assert "dashboard_monthlymetric" in sql


def test_interactive_reads_stay_on_default_with_a_replica(reporting_alias: str) -> None:
    DistrictFactory()
    with CaptureQueriesContext(connections[reporting_alias]) as replica:
        assert District.objects.count() == 1
        assert AssessmentRequest.objects.open().count() == 0
    assert replica.captured_queries == []
