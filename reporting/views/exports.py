"""CSV and XLSX files from the dashboard pages: any table on a page (``?table=KEY&format=csv``)
and the list of cases behind a number (``?format=xlsx`` on the case list).

Files are written by ``core.exports`` (which neutralises spreadsheet formulas). An export needs
the export capability, a fresh sign-in and a purpose (``core.exports.export_gate``), and leaves
an access-log row, written in its own transaction before the file is returned: no log row, no
file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from core.access import access_log_record, access_log_record_many
from core.db_router import reporting_reads
from core.exports import export_gate
from core.models import AccessAction
from core.roles import Capability, user_can
from reporting.tables import EXPORT_FORMATS, Table, export_response, table_file


class UnknownExport(Exception):
    """The table or the format asked for is not one the page offers."""


def table_export(
    request: HttpRequest, tables: list[Table], *, stem: str, title: list[tuple[str, str]] | None = None
) -> HttpResponse | None:
    """``?table=KEY&format=csv|xlsx``: one of the page's tables as a file, logged; None when
    the request asks for no file. Raises ``UnknownExport`` for a table or format not offered.
    The file opens with a title block (``title``: scope, district, period, basis; and when the
    figures were computed) and is named ``<stem>-<table>``: the stem says the scope and period."""
    fmt, key = request.GET.get("format"), request.GET.get("table")
    if fmt is None and key is None:
        return None
    if not user_can(request.user, Capability.EXPORT):
        raise PermissionDenied
    table = next((t for t in tables if t.key == key), None)
    if fmt not in EXPORT_FORMATS or table is None:
        raise UnknownExport
    gate, _purpose = export_gate(request)  # a fresh sign-in and a purpose first (in the logged path)
    if gate is not None:
        return gate
    with transaction.atomic():
        # Aggregate figures name no child; the row records who took which table.
        access_log_record(
            user=request.user,
            child_id=None,
            object_type=f"dashboard_table:{table.key}"[:40],
            object_id=None,
            action=AccessAction.EXPORT,
            path=request.get_full_path(),
        )
    return table_file(table, title=title or [], stem=f"{stem}-{table.key}", fmt=fmt, sheet=table.sheet or table.caption)


def export_links(request: HttpRequest, table_key: str) -> dict[str, str]:
    """The page's own URL asking for ``table_key`` in each format."""
    params = request.GET.copy()
    for name in ("table", "format", "page"):
        params.pop(name, None)
    links = {}
    for fmt in EXPORT_FORMATS:
        params["table"], params["format"] = table_key, fmt
        links[fmt] = f"?{params.urlencode()}"
    return links


def attach_exports(request: HttpRequest, tables: Iterable[Table]) -> None:
    """Offer each table's downloads to a reader who may export."""
    can_export = user_can(request.user, Capability.EXPORT)
    for table in tables:
        table.exports = export_links(request, table.key) if can_export else {}


def cases_export(
    request: HttpRequest,
    objects_in: Iterable[Any],
    *,
    fmt: str,
    headers: list[str],
    make_row: Callable[[Any], list[Any]],
    child_id: Callable[[Any], int],
    object_type: str,
    stem: str,
) -> HttpResponse:
    """Every case behind a number as a file (the caller has checked the format), logged per child."""
    if not user_can(request.user, Capability.EXPORT):
        raise PermissionDenied
    gate, _purpose = export_gate(request)  # a fresh sign-in and a purpose first (in the logged path)
    if gate is not None:
        return gate
    with reporting_reads():
        objects = list(objects_in)
        rows = [make_row(o) for o in objects]
    # The access log is written to the primary (outside the report reads; the router sends every
    # write there anyway), in its own transaction: no log row, no file.
    with transaction.atomic():
        access_log_record_many(
            user=request.user,
            child_ids=[child_id(o) for o in objects],
            object_type=object_type,
            action=AccessAction.EXPORT,
            path=request.get_full_path(),
        )
    return export_response([headers, *rows], stem=stem, fmt=fmt, sheet_title="Cases")
