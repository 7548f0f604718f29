"""CSV and XLSX downloads that every app may use (core sits below the apps).

Every export neutralises spreadsheet formula injection: a text cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so a name such as
``=HYPERLINK(...)`` is shown as text and never run (OWASP "CSV injection"). Numbers and dates
are written as numbers and dates.

Placements' downloads and the dashboard's tables and case lists (``reporting.tables``)
both write their files here, so the neutralising is defined once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

__all__ = ["EXPORT_FORMATS", "FORMULA_TRIGGERS", "XLSX_TYPE", "export_response", "neutralise"]


def neutralise(value: Any) -> Any:
    """A value safe to put in a spreadsheet cell: text a spreadsheet would read as a formula
    gets a leading apostrophe; numbers and dates are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _filename(stem: str, fmt: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-") + f".{fmt}"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_response(rows: Iterable[list[Any]], *, stem: str, fmt: str, sheet_title: str = "Data") -> HttpResponse:
    """An attachment of ``rows`` (the first row is the header) as CSV or XLSX."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"Export as one of: {', '.join(EXPORT_FORMATS)}")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(["" if v is None else neutralise(_plain(v)) for v in row])
        # A byte-order mark so Excel opens the UTF-8 file with the right characters.
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = re.sub(r"[\[\]:*?/\\]", " ", sheet_title)[:31] or "Data"
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
