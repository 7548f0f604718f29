"""Tables as data: one definition rendered as a GOV.UK table, a CSV file and an XLSX workbook.

The files are written by ``core.exports`` (the helper placements use too), which
neutralises spreadsheet formula injection: a text cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return gets a leading apostrophe, so a child's name such as
``=HYPERLINK(...)`` is shown as text and never run (OWASP "CSV injection").
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font

from core.exports import EXPORT_FORMATS, FORMULA_TRIGGERS, XLSX_TYPE, export_response, neutralise

__all__ = [
    "EXPORT_FORMATS",
    "FORMULA_TRIGGERS",
    "XLSX_TYPE",
    "Cell",
    "Table",
    "export_response",
    "neutralise",
    "pounds",
]


def pounds(pence: int) -> str:
    """Integer pence as pounds with commas and pence: 123456789 -> "£1,234,567.89"; a negative
    amount gets a minus sign (U+2212, which no spreadsheet reads as a formula)."""
    sign = "\u2212" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}.{part:02d}"


@dataclass
class Cell:
    value: Any = None
    url: str | None = None
    hidden: str = ""  # read to screen-reader users after a linked number ("requests received in May")
    kind: str = "count"  # count | percent | money (integer pence) | decimal (one place) | text
    figure: str = ""  # the figure's key (reporting.figures.FIGURES) when the cell shows one

    @property
    def display(self) -> str:
        if self.value is None:
            return "No data"
        if self.kind == "percent":
            return f"{self.value:.1f}%"
        if self.kind == "money":
            return pounds(self.value)
        if self.kind == "decimal":
            return f"{self.value:.1f}"
        if isinstance(self.value, date):
            return f"{self.value:%-d %b %Y}"
        return str(self.value)

    @property
    def numeric(self) -> bool:
        return self.kind in ("count", "percent", "money", "decimal")

    @property
    def export_value(self) -> Any:
        # Money leaves as a number of pounds (the column header says "(£)"), so a spreadsheet can add it up.
        if self.kind == "money" and self.value is not None:
            return Decimal(self.value) / 100
        return self.value


@dataclass
class Table:
    key: str
    caption: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    description: str = ""
    exports: dict[str, str] = field(default_factory=dict)  # format -> URL, when the reader may export
    as_at: datetime | None = None  # when the oldest stored figure in the table was computed
    stale: list[str] = field(default_factory=list)  # the periods shown whose figures are out of date
    sheet: str = ""  # the XLSX sheet's name (at most 31 characters); the caption's start when empty

    def export_rows(self) -> Iterable[list[Any]]:
        yield self.headers
        for row in self.rows:
            yield [cell.export_value for cell in row]


# --- Files with a title block (issue 16) -------------------------------------------------------------

PERCENT_UNIT = " (%)"
XLSX_FORMATS = {"count": "#,##0", "money": '"£"#,##0.00', "percent": "0.0%", "decimal": "0.0"}


def _column_kinds(table: Table) -> list[str]:
    """Each column's kind, from the first row that has a value in it."""
    kinds = ["text"] * len(table.headers)
    for index in range(len(table.headers)):
        for row in table.rows:
            if index < len(row) and row[index].value is not None and row[index].kind != "text":
                kinds[index] = row[index].kind
                break
    return kinds


def headers_with_units(table: Table) -> list[str]:
    """The headers with their units: money already says "(£)"; a percentage column gets "(%)"."""
    return [
        f"{header}{PERCENT_UNIT}" if kind == "percent" and not header.endswith(PERCENT_UNIT) else header
        for header, kind in zip(table.headers, _column_kinds(table), strict=True)
    ]


def title_rows(table: Table, title: list[tuple[str, str]]) -> list[list[Any]]:
    """The title block above a file's table: the table's caption, then what the figures cover
    (scope, district, period, basis, ...) and when they were computed."""
    as_at = f"{table.as_at:%-d %B %Y, %H:%M}" if table.as_at else "Not stored"
    rows: list[list[Any]] = [[table.caption], *([label, value] for label, value in title)]
    if table.description:
        rows.append(["Basis", table.description])
    rows.append(["Figures as at", as_at])
    if table.stale:
        rows.append(["Out of date", ", ".join(table.stale) + " changed after they were computed"])
    return rows


def sheet_name(text: str) -> str:
    """An XLSX sheet name from a caption: Excel's forbidden characters removed, cut to 31
    characters at a word boundary."""
    clean = " ".join(re.sub(r"[\[\]:*?/\\]", " ", text).split())
    if len(clean) > 31:
        clean = clean[:31].rsplit(" ", 1)[0].rstrip(",;-")
    return clean or "Data"


def table_file(table: Table, *, title: list[tuple[str, str]], stem: str, fmt: str, sheet: str) -> HttpResponse:
    """A table as a CSV or XLSX file: the title block, a blank row, the headers with units, the
    rows. In XLSX each number carries its format (counts, pounds, percentages, dates) and the
    sheet is named ``sheet``; text is neutralised against formulas either way."""
    headers = headers_with_units(table)
    if fmt != "xlsx":
        rows = [*title_rows(table, title), [], headers, *(list(r) for r in list(table.export_rows())[1:])]
        return export_response(rows, stem=stem, fmt=fmt, sheet_title=sheet)
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet_name(sheet)
    for row in title_rows(table, title):
        worksheet.append([neutralise(v) for v in row])
    worksheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    worksheet.append([])
    worksheet.append([neutralise(h) for h in headers])
    for cell in worksheet[worksheet.max_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        values: list[Any] = []
        for cell in row:
            value = cell.export_value
            if cell.kind == "percent" and value is not None:
                value = value / 100  # a spreadsheet percentage: 0.667 shown as 66.7%
            values.append(neutralise(value))
        worksheet.append(values)
        for written, cell in zip(worksheet[worksheet.max_row], row, strict=False):
            if cell.kind in XLSX_FORMATS and cell.value is not None:
                written.number_format = XLSX_FORMATS[cell.kind]
            elif isinstance(cell.value, date):
                written.number_format = "d mmm yyyy"
    for column in worksheet.iter_rows():
        for written in column:
            if written.data_type == "f":  # belt and braces, as core.exports
                written.value = "'" + str(written.value)
                written.data_type = TYPE_STRING
    worksheet.column_dimensions["A"].width = 36
    output = io.BytesIO()
    workbook.save(output)
    response = HttpResponse(output.getvalue(), content_type=XLSX_TYPE)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-")
    response["Content-Disposition"] = f'attachment; filename="{safe}.xlsx"'
    return response
