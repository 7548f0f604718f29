"""Tables as data: one definition rendered as a GOV.UK table, a CSV file and an XLSX workbook.

Every export neutralises spreadsheet formula injection: a text cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so a child's name such as
``=HYPERLINK(...)`` is shown as text and never run (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
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

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    """A value safe to put in a spreadsheet cell: text that a spreadsheet would read as a
    formula gets a leading apostrophe; numbers and dates are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


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

    def export_rows(self) -> Iterable[list[Any]]:
        yield self.headers
        for row in self.rows:
            yield [cell.export_value for cell in row]


def _filename(stem: str, fmt: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-") + f".{fmt}"


def export_response(rows: Iterable[list[Any]], *, stem: str, fmt: str, sheet_title: str = "Data") -> HttpResponse:
    """An attachment of ``rows`` (the first row is the header) as CSV or XLSX."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(["" if v is None else neutralise(_plain(v)) for v in row])
        # A byte-order mark so Excel opens the UTF-8 file with the right characters.
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        workbook = Workbook(write_only=False)
        sheet = workbook.active
        sheet.title = sheet_title[:31]
        for row in rows:
            sheet.append([neutralise(v) for v in row])
        # Belt and braces: no text cell may be stored as a formula, whatever openpyxl guessed.
        for worksheet_row in sheet.iter_rows():
            for cell in worksheet_row:
                if cell.data_type == "f":
                    cell.value = "'" + str(cell.value)
                    cell.data_type = TYPE_STRING
        output = io.BytesIO()
        workbook.save(output)
        response = HttpResponse(output.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(stem, fmt)}"'
    return response


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
