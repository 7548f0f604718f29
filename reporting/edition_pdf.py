"""The PDF of one version of the committee report (``ReportEdition``), as the worker draws it.

The same sections and tables as the print view (``reporting.views.report.report_body``), with
that version's commentary and its prepared-by and version block, and no links (a record leads
nowhere). Drawn by WeasyPrint (``reporting.pdf``).
"""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string

from reporting.models import ReportEdition
from reporting.pdf import html_to_pdf
from reporting.views.report import report_body, report_context

TEMPLATE = "dashboard/report_pdf.html"


def edition_html(edition: ReportEdition, *, rendered_at: datetime | None = None) -> str:
    body = report_body(month=edition.month, district=edition.district, links=None)
    prepared_by = edition.prepared_by
    context = {
        **report_context(body, edition),
        "prepared_by_name": prepared_by.get_full_name() or prepared_by.get_username(),
        "rendered_at": rendered_at,
    }
    return render_to_string(TEMPLATE, context)


def edition_pdf(edition: ReportEdition, *, rendered_at: datetime | None = None) -> bytes:
    return html_to_pdf(edition_html(edition, rendered_at=rendered_at))
