"""CSV and XLSX downloads: one helper (``core.exports``) writes the dashboard's and the
placements' files, and neither format lets a cell run as a formula (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core import exports
from core.models import AccessAction, AccessLog
from reporting import services, tables
from reporting.tables import Cell, Table
from tests.dashboard.conftest import MARCH, table_part
from tests.requests_app.factories import ChildFactory, DistrictFactory, ReceivedRequestFactory

# In the representative set CI runs on the embedded default (SQLite, filesystem broker) too.
pytestmark = pytest.mark.embedded

TRIGGERS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x.example","click")']
SAFE = ["Smith", "O'Brien", "1+1=2", " =padded", ""]


def _csv(response: Any) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # so Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(body[1:], newline="")))


def _sheet(response: Any) -> Any:
    assert response["Content-Type"] == exports.XLSX_TYPE
    return load_workbook(io.BytesIO(response.content)).active


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["pdf", "html", "CSV", ""])
def test_a_format_the_dashboard_does_not_write_is_refused_and_nothing_is_logged(
    client: Any, personas: Any, fmt: str
) -> None:
    services.metrics_compute_month(month_start=MARCH)
    client.force_login(personas.manager)
    response = client.get(
        reverse("dashboard:report"),
        {"month": "2025-03", "table": "report_districts", "format": fmt, "purpose": "service_planning"},
    )
    assert response.status_code == 400
    assert "a format, CSV or XLSX" in response.content.decode()
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()


@pytest.mark.parametrize("value", TRIGGERS)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(value: str) -> None:
    assert exports.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", [*SAFE, 3, -3, 2.5, Decimal("-1000.50"), date(2025, 3, 1), None])
def test_other_values_are_left_alone(value: Any) -> None:
    assert exports.neutralise(value) == value


def test_csv_neutralises_every_trigger_and_keeps_numbers_and_dates() -> None:
    rows = [["Name", "Count", "Pounds", "Day", "Empty"]]
    rows += [[value, -3, Decimal("-1000.50"), date(2025, 3, 1), None] for value in TRIGGERS + SAFE]
    response = exports.export_response(rows, stem="cases-x March 2025", fmt="csv")
    assert response["Content-Disposition"] == 'attachment; filename="cases-x-March-2025.csv"'
    written = _csv(response)
    assert written[0] == rows[0]
    assert [r[0] for r in written[1:]] == ["'" + v for v in TRIGGERS] + SAFE
    # A negative number is a number, not a formula; a date is ISO; nothing is "None".
    assert {tuple(r[1:]) for r in written[1:]} == {("-3", "-1000.50", "2025-03-01", "")}


def test_xlsx_stores_every_trigger_as_text_and_no_cell_as_a_formula() -> None:
    rows = [["Name", "Count", "Pounds", "Day"]]
    rows += [[value, -3, Decimal("-1000.50"), date(2025, 3, 1)] for value in TRIGGERS + SAFE]
    response = exports.export_response(rows, stem="x", fmt="xlsx", sheet_title="Cases: by month [2025]")
    assert response["Content-Disposition"] == 'attachment; filename="x.xlsx"'
    sheet = _sheet(response)
    assert sheet.title == "Cases  by month  2025 "  # characters a sheet title may not hold become spaces
    cells = [row for row in sheet.iter_rows(min_row=2)]
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    # A stored carriage return reads back as a line feed through the standard library's XML
    # parser and as itself through lxml (openpyxl uses lxml when it is installed): either is
    # the same text, so compare with line ends made one.
    names = [(row[0].value or "").replace("\r", "\n") for row in cells]
    assert names == ["'" + v.replace("\r", "\n") for v in TRIGGERS] + [v.replace("\r", "\n") for v in SAFE]
    assert all(row[0].data_type == "s" for row in cells if row[0].value)
    assert {(row[1].value, row[2].value, row[3].data_type) for row in cells} == {(-3, -1000.5, "d")}


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="csv, xlsx"):
        exports.export_response([["a"]], stem="x", fmt="pdf")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_dashboard_table_exports_its_cells_as_numbers_with_text_neutralised(fmt: str) -> None:
    table = Table(
        "t",
        "Money by month",
        ["Month", "Count", "Spend (£)", "Rate"],
        [
            [
                Cell("=cmd|' /C calc'!A0", kind="text"),
                Cell(3),
                Cell(-12_345_678, kind="money"),
                Cell(66.7, kind="percent"),
            ],
            [Cell("March 2025", kind="text"), Cell(None), Cell(None, kind="money"), Cell(None, kind="percent")],
        ],
    )
    response = tables.export_response(table.export_rows(), stem="dashboard-t", fmt=fmt, sheet_title=table.caption)
    if fmt == "csv":
        assert _csv(response) == [
            ["Month", "Count", "Spend (£)", "Rate"],
            ["'=cmd|' /C calc'!A0", "3", "-123456.78", "66.7"],
            ["March 2025", "", "", ""],
        ]
    else:
        assert list(_sheet(response).iter_rows(values_only=True)) == [
            ("Month", "Count", "Spend (£)", "Rate"),
            ("'=cmd|' /C calc'!A0", 3, -123456.78, 66.7),
            ("March 2025", None, None, None),
        ]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_district_name_in_the_report_export_is_neutralised_and_the_export_logged(
    client: Any, personas: Any, fmt: str, settings: Any
) -> None:
    settings.SUPPRESSION_THRESHOLD = 1  # no count is small enough to be suppressed here
    district = DistrictFactory(name='=HYPERLINK("http://x.example","Ashford")')
    ReceivedRequestFactory(received_on=date(2025, 3, 3), child=ChildFactory(district=district))
    services.metrics_compute_month(month_start=MARCH)
    client.force_login(personas.manager)
    response = client.get(
        reverse("dashboard:report"),
        {"month": "2025-03", "table": "report_districts", "format": fmt, "purpose": "service_planning"},
    )
    assert response.status_code == 200
    expected = ["'" + district.name, 1, 0, 0, 0, None]
    if fmt == "csv":
        rows = table_part(_csv(response))
        assert rows[1] == [str(v) if v is not None else "" for v in expected]
    else:
        rows = table_part(list(_sheet(response).iter_rows(values_only=True)))
        assert list(rows[1]) == expected
    assert rows[0][0] == "District"
    logged = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert logged.object_type == "dashboard_table:report_districts" and logged.child_id is None


# --- Title blocks, units and formats (issue 16) ----------------------------------------------------


def _titled_table() -> Table:
    return Table(
        "six_weeks",
        "Decisions made within 6 weeks, and decisions not to issue a plan within 16 weeks",
        ["Month", "Decisions", "Share within 6 weeks", "Spend (£)", "Day"],
        [
            [
                Cell("March 2025", kind="text"),
                Cell(1234),
                Cell(66.7, kind="percent"),
                Cell(12_345, kind="money"),
                Cell(date(2025, 3, 31), kind="date"),
            ]
        ],
        description="Decisions dated in the month made no more than 42 days after the request.",
        as_at=datetime(2025, 4, 1, 2, 0, tzinfo=UTC),
        stale=["March 2025"],
    )


TITLE = [("Scope", "One district"), ("District", "Maidstone"), ("Period", "January 2025 to March 2025")]


def test_a_csv_file_opens_with_its_title_block_and_units_in_the_headings() -> None:
    response = tables.table_file(
        _titled_table(), title=TITLE, stem="dashboard-Maidstone-2025-01-to-2025-03-six_weeks", fmt="csv", sheet="x"
    )
    rows = _csv(response)
    assert rows[0] == ["Decisions made within 6 weeks, and decisions not to issue a plan within 16 weeks"]
    assert rows[1:5] == [
        ["Scope", "One district"],
        ["District", "Maidstone"],
        ["Period", "January 2025 to March 2025"],
        ["Basis", "Decisions dated in the month made no more than 42 days after the request."],
    ]
    assert rows[5] == ["Figures as at", "1 April 2025, 02:00"]
    assert rows[6][0] == "Out of date"
    assert table_part(rows)[0] == ["Month", "Decisions", "Share within 6 weeks (%)", "Spend (£)", "Day"]
    assert table_part(rows)[1][:4] == ["March 2025", "1234", "66.7", "123.45"]
    assert (
        response["Content-Disposition"] == 'attachment; filename="dashboard-Maidstone-2025-01-to-2025-03-six_weeks.csv"'
    )


def test_an_xlsx_file_has_number_formats_and_a_meaningful_sheet_name() -> None:
    table = _titled_table()
    response = tables.table_file(table, title=TITLE, stem="x", fmt="xlsx", sheet=table.caption)
    sheet = _sheet(response)
    assert sheet.title == "Decisions made within 6 weeks"  # cut at a word, within Excel's 31 characters
    data_row = next(row for row in sheet.iter_rows() if row[0].value == "March 2025")
    count, share, money, day = data_row[1], data_row[2], data_row[3], data_row[4]
    assert (count.value, count.number_format) == (1234, "#,##0")
    assert (share.value, share.number_format) == (pytest.approx(0.667), "0.0%")
    assert (money.value, money.number_format) == (pytest.approx(123.45), '"£"#,##0.00')
    assert day.number_format == "d mmm yyyy"


@pytest.mark.django_db
def test_dashboard_files_say_their_district_and_period_in_their_names(client: Any, personas: Any) -> None:
    district = DistrictFactory(name="Maidstone")
    client.force_login(personas.manager)
    period = {
        "from_month": "2025-01",
        "to_month": "2025-03",
        "table": "requests",
        "format": "csv",
        "purpose": "service_planning",
    }
    everywhere = client.get(reverse("dashboard:home"), period)
    maidstone = client.get(reverse("dashboard:home"), {**period, "district": district.pk})
    assert (
        everywhere["Content-Disposition"]
        == 'attachment; filename="dashboard-All-districts-2025-01-to-2025-03-requests.csv"'
    )
    assert (
        maidstone["Content-Disposition"] == 'attachment; filename="dashboard-Maidstone-2025-01-to-2025-03-requests.csv"'
    )
    rows = _csv(maidstone)
    assert ["District", "Maidstone"] in rows[:6] and ["Period", "January 2025 to March 2025"] in rows[:6]
