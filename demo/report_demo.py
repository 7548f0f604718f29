"""The committee report in the demo: a saved version of last month's report and its PDF, queued
for the worker (as the SEN2 return is), so the demo manager finds the PDF ready once the worker
that ``make run`` starts has drawn it. Never drawn here: seeding does not wait for WeasyPrint."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model

from reporting import services
from reporting.models import ReportEdition, ReportPdf
from reporting.views.report import REPORT_SECTIONS

COMMENTARY = {
    "requests": "Requests for assessment stayed close to the month before; most came from schools.",
    "backlog": "The backlog of open requests is shown at the month end; overdue decisions are followed up weekly.",
}


def seed_report_pdf(*, today: date, manager: Any | None = None) -> str:
    """Last month's report saved once as the demo manager (if no version is saved for any month),
    and the latest version's PDF asked for if it has none. Returns a line for the seed's output."""
    manager = manager or get_user_model().objects.filter(username="manager").first()
    if manager is None:
        return "no manager: no version saved"
    latest = ReportEdition.objects.order_by("-month", "-version").first()
    if latest is None:
        latest = services.report_edition_save(
            month=services.previous_month(today),
            district_id=None,
            prepared_by=manager,
            commentary=COMMENTARY,
            sections=REPORT_SECTIONS,
        )  # queues its PDF on commit
    elif not ReportPdf.objects.filter(edition=latest).exists():
        services.report_pdf_request(edition_id=latest.pk, requested_by=manager)
    return f"{latest.month:%B %Y} version {latest.version}: its PDF is queued for the worker (see Dashboard, report)"
