"""CSV and XLSX downloads that every app may use (core sits below the apps).

Every export neutralises spreadsheet formula injection: a text cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so a name such as
``=HYPERLINK(...)`` is shown as text and never run (OWASP "CSV injection"). Numbers and dates
are written as numbers and dates.

Placements' downloads and the dashboard's tables and case lists (``reporting.tables``)
both write their files here, so the neutralising is defined once.

Before any file leaves the service, ``export_gate`` asks for two things (issue 14): a fresh
sign-in (sudo mode, ``core.sudo``) and the purpose of the export, chosen from
``EXPORT_PURPOSES``. The purpose travels as ``purpose=<code>`` in the download's address, so the
access-log row written for the export (its ``path``) records it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

__all__ = [
    "EXPORT_FORMATS",
    "EXPORT_PURPOSES",
    "FORMULA_TRIGGERS",
    "XLSX_TYPE",
    "export_gate",
    "export_response",
    "neutralise",
]

# Why a file is taken out of the service: one is chosen before every download (UK GDPR
# Art. 5(1)(b) purpose limitation; the access log keeps it).
EXPORT_PURPOSES: tuple[tuple[str, str], ...] = (
    ("casework", "Casework for the children listed"),
    ("statutory_return", "A statutory return (SEN2 or another DfE collection)"),
    ("service_planning", "Service planning, commissioning or budget monitoring"),
    ("panel", "Preparing for or following up a panel"),
    ("data_protection", "A subject access request or another data-protection duty"),
    ("audit", "Audit or data-quality checking"),
)
PURPOSE_PARAM = "purpose"


def export_gate(request: HttpRequest) -> tuple[HttpResponse | None, str]:
    """Before a download: ``(response, "")`` to send instead of the file (the "confirm it is you"
    page when the sign-in is older than 15 minutes, else the page asking the purpose), or
    ``(None, purpose)`` when the file may be made."""
    from core import sudo  # noqa: PLC0415 (sudo imports DRF; exports stays light for its rules tests)

    refused = sudo.require_sudo(request)
    if refused is not None:
        return refused, ""
    purpose = request.GET.get(PURPOSE_PARAM, "")
    if purpose in dict(EXPORT_PURPOSES):
        return None, purpose
    kept = [(name, value) for name, values in request.GET.lists() if name != PURPOSE_PARAM for value in values]
    context = {
        "purposes": EXPORT_PURPOSES,
        "kept": kept,
        "action": request.path,
        "error": PURPOSE_PARAM in request.GET,
        "cancel": request.path,
    }
    return render(request, "core/export_purpose.html", context, status=400 if context["error"] else 200), ""


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
