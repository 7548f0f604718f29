"""The dashboard pages: who may see them, the numbers and the cases behind them, exports
(with formula injection neutralised and logged), and a query count that does not grow."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AccessAction, AccessLog
from core.roles import Role
from reporting import services
from reporting.tables import neutralise
from reporting.views import cases_url
from requests_app.reports import cases_for
from tests.conftest import PERSONA_PASSWORD
from tests.dashboard.conftest import BACKLOG_DAY, MARCH
from tests.requests_app.factories import ChildFactory, RefusedRequestFactory

pytestmark = pytest.mark.django_db

READERS = {Role.MANAGER, Role.PANEL_CHAIR}
PERIOD = {"from_month": "2025-01", "to_month": "2025-04"}


@pytest.fixture
def manager_client(client, personas):
    client.force_login(personas.manager)
    return client


@pytest.fixture
def stored(march_world):
    services.metrics_compute_range(from_month=date(2025, 1, 1), to_month=date(2025, 4, 1))
    services.backlog_snapshot_take(on=BACKLOG_DAY)
    return march_world


@pytest.mark.parametrize("role", list(Role))
def test_dashboard_pages_are_for_managers_and_panel_chairs(client, personas, role):
    client.force_login(personas.for_role(role))
    for url in (
        reverse("dashboard:home"),
        reverse("dashboard:report") + "?month=2025-03",
        cases_url("requests_received", month=MARCH),
    ):
        status = client.get(url).status_code
        assert status == (200 if role in READERS else 403), (role, url, status)


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_dashboard_shows_the_stored_figures_with_links_to_their_cases(stored, manager_client):
    response = manager_client.get(reverse("dashboard:home"), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    # March's requests received (3) links to the case list behind it.
    link = cases_url("requests_received", month=MARCH).replace("&", "&amp;")
    assert f'href="{link}">3<' in html
    assert "66.7%" in html  # March refusal rate, decision basis
    assert "42.9%" in html  # 2025 refusal rate, DfE basis
    assert 'id="dashboard-charts"' in html and 'type="application/json"' in html
    assert "<script>" not in html  # no inline script (CSP)
    assert "Panel and placement figures appear here once those services are in use." in html


def test_bad_filter_shows_an_error_summary(stored, manager_client):
    response = manager_client.get(reverse("dashboard:home"), {"from_month": "March", "to_month": "2025-04"})
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()


@pytest.mark.parametrize(
    ("metric", "where"),
    [
        ("requests_received", {"month": MARCH}),
        ("decisions_not_to_assess", {"month": MARCH}),
        ("plans_issued_excluding_exceptions", {"month": MARCH}),
        ("advice_returned.educational_psychology", {"month": MARCH}),
        ("requests_decided_not_to_assess", {"year": 2025}),
    ],
)
def test_each_number_lists_exactly_the_cases_it_counts_and_logs_each_child(stored, manager_client, metric, where):
    response = manager_client.get(cases_url(metric, **where))
    assert response.status_code == 200
    kwargs = {"month_start": where["month"]} if "month" in where else {"year": where["year"]}
    expected = cases_for(metric, **kwargs)
    assert response.context["total"] == expected.count()
    assert len(response.context["rows"]) == expected.count()
    logged = AccessLog.objects.filter(action=AccessAction.LIST)
    assert logged.count() == expected.count()


def test_backlog_numbers_list_their_cases(stored, manager_client):
    response = manager_client.get(cases_url("open_requests.age.over_52_weeks", on=BACKLOG_DAY))
    assert response.status_code == 200
    assert response.context["total"] == cases_for("open_requests.age.over_52_weeks", on=BACKLOG_DAY).count()


@pytest.mark.parametrize(
    "query",
    [
        {"metric": "nonsense", "month": "2025-03"},
        {"metric": "requests_received", "month": "2025-3"},
        {"metric": "requests_received"},
        {"metric": "open_requests", "month": "2025-03"},
        {"metric": "requests_received", "month": "2025-03", "district": "x"},
    ],
)
def test_bad_case_list_queries_answer_400(stored, manager_client, query):
    assert manager_client.get(reverse("dashboard:cases"), query).status_code == 400


INJECTION = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def injected(districts):
    RefusedRequestFactory(
        child=ChildFactory(district=districts[0], forename=INJECTION, surname="-Smith"),
        received_on=date(2025, 3, 3),
        request_outcome_on=date(2025, 3, 20),
    )


def test_csv_export_neutralises_formulas_and_logs_an_export_per_child(injected, manager_client):
    response = manager_client.get(cases_url("decisions_not_to_assess", month=MARCH) + "&format=csv&purpose=casework")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Reference"
    child_cell = rows[1][1]
    assert child_cell.startswith("'=HYPERLINK")
    assert AccessLog.objects.filter(action=AccessAction.EXPORT).count() == 1


def test_xlsx_export_stores_the_payload_as_text_not_a_formula(injected, manager_client):
    response = manager_client.get(cases_url("decisions_not_to_assess", month=MARCH) + "&format=xlsx&purpose=casework")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s"
    assert str(cell.value).startswith("'=HYPERLINK")
    assert AccessLog.objects.filter(action=AccessAction.EXPORT).count() == 1


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_triggers_get_an_apostrophe(value):
    assert neutralise(value) == "'" + value
    assert neutralise("Smith") == "Smith" and neutralise(-3) == -3


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_dashboard_table_exports(stored, manager_client, fmt):
    page = manager_client.get(reverse("dashboard:home"), PERIOD)
    keys = list(page.context["tables"])
    assert {"requests", "decisions", "annual", "six_weeks", "twenty_weeks", "backlog_age", "advice_backlog"} <= set(
        keys
    )
    for key in keys:
        response = manager_client.get(
            reverse("dashboard:home"), {**PERIOD, "table": key, "format": fmt, "purpose": "service_planning"}
        )
        assert response.status_code == 200, key
        assert "attachment" in response["Content-Disposition"]
    assert AccessLog.objects.filter(action=AccessAction.EXPORT).count() == len(keys)


def test_an_unknown_table_or_format_is_a_bad_request(stored, manager_client):
    home = reverse("dashboard:home")
    assert manager_client.get(home, {**PERIOD, "table": "nope", "format": "csv"}).status_code == 400
    assert manager_client.get(home, {**PERIOD, "table": "requests", "format": "pdf"}).status_code == 400
    assert manager_client.get(cases_url("requests_received", month=MARCH) + "&format=pdf").status_code == 400


def test_printable_report_for_a_month(stored, manager_client):
    response = manager_client.get(reverse("dashboard:report"), {"month": "2025-03"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "March 2025" in html and "Canterbury" in html
    csv_response = manager_client.get(
        reverse("dashboard:report"),
        {"month": "2025-03", "table": "report_districts", "format": "csv", "purpose": "service_planning"},
    )
    assert csv_response.status_code == 200
    assert manager_client.get(reverse("dashboard:report"), {"month": "March"}).status_code == 400


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert (
            client.get(reverse("dashboard:home"), {"from_month": "2024-04", "to_month": "2025-03"}).status_code == 200
        )
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_the_data(districts, client, personas):
    client.force_login(personas.manager)
    RefusedRequestFactory(child=ChildFactory(district=districts[0]), received_on=date(2025, 3, 3))
    services.metrics_compute_month(month_start=MARCH)
    services.backlog_snapshot_take(on=BACKLOG_DAY)
    small = _dashboard_queries(client)
    # Twenty times the requests, twelve stored months instead of one, more districts.
    for i in range(20):
        RefusedRequestFactory(
            child=ChildFactory(district=districts[i % 2]), received_on=date(2024, 4, 1) + timedelta(days=17 * i)
        )
    services.metrics_compute_range(from_month=date(2024, 4, 1), to_month=MARCH)
    services.backlog_snapshot_take(on=BACKLOG_DAY)
    large = _dashboard_queries(client)
    assert small == large


def test_signing_in_and_out_is_unaffected(client, personas):
    # The dashboard link appears in a manager's navigation.
    client.post("/sign-in/", {"username": personas.manager.username, "password": PERSONA_PASSWORD})
    html = client.get("/").content.decode()
    assert re.search(r'href="/dashboard/"', html)
