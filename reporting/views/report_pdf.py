"""The PDF of a saved version of the committee report (``dashboard:report-pdf`` and its
download), drawn by the worker and kept (``ReportPdf``, ``reporting.edition_pdf``).

Saving the commentary queues the version's PDF; this page shows it being prepared (refreshing
itself, no JavaScript needed), then offers the download, or says it failed and offers to try
again. The download is the stored file, the same bytes each time, through the export gate (a
fresh sign-in and a purpose) with an access-log row. Managers only, like preparing the report.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from core.access import access_log_record
from core.exports import export_gate
from core.models import AccessAction
from core.pages import requires
from core.roles import Capability, user_can
from reporting import figures, services
from reporting.models import ReportEdition, ReportPdf

REFRESH_SECONDS = 5


def _edition(pk: int) -> ReportEdition:
    return get_object_or_404(ReportEdition.objects.select_related("prepared_by", "district"), pk=pk)


def report_url(edition: ReportEdition) -> str:
    query = {"month": f"{edition.month:%Y-%m}", **({"district": edition.district_id} if edition.district_id else {})}
    return f"{reverse('dashboard:report')}?{urlencode(query)}"


@requires(Capability.REPORTS_PREPARE)
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the version's PDF, being prepared, ready or failed. POST: ask for it (again, after a
    failure); a ready PDF is kept as it is."""
    edition = _edition(pk)
    if request.method == "POST":
        services.report_pdf_request(edition_id=edition.pk, requested_by=request.user)
        return redirect("dashboard:report-pdf", pk=edition.pk)
    pdf = ReportPdf.objects.filter(edition=edition).select_related("requested_by").first()
    context = {
        "edition": edition,
        "pdf": pdf,
        "month_label": figures.month_label(edition.month),
        "scope": edition.district.name if edition.district else "All districts",
        "prepared_by": edition.prepared_by.get_full_name() or edition.prepared_by.get_username(),
        "report_url": report_url(edition),
        "refresh": REFRESH_SECONDS if pdf is not None and not pdf.finished and not pdf.stuck else 0,
        "download_url": reverse("dashboard:report-pdf-download", args=[edition.pk]),
    }
    return render(request, "dashboard/report_pdf_status.html", context)


@requires(Capability.REPORTS_PREPARE)
def report_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored PDF, as drawn: a fresh sign-in and a purpose first, and an access-log row."""
    if not user_can(request.user, Capability.EXPORT):
        raise PermissionDenied
    edition = _edition(pk)
    pdf = ReportPdf.objects.filter(edition=edition).first()
    if pdf is None or not pdf.ready:
        return redirect("dashboard:report-pdf", pk=edition.pk)  # the page says where it stands
    refused, _purpose = export_gate(request)
    if refused is not None:
        return refused
    content = services.report_pdf_bytes(pdf)
    with transaction.atomic():
        access_log_record(
            user=request.user,
            child_id=None,
            object_type="dashboard_report_pdf",
            object_id=pdf.pk,
            action=AccessAction.EXPORT,
            path=request.get_full_path(),
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename}"'
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
