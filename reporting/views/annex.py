"""The committee report's case-list annex (``dashboard:report-annex``): for the month (and
district) of a report, the cases behind each count of its "Figures for the month" table.

The aggregate report may go on a public agenda; this annex may not: it identifies cases, so it
is a separate page with its own protective marking, for readers allowed to open requests, and
every read is access-logged. It is minimised: each case is given by its reference (linked to the
case), district, the date received and its stage, and nothing more (no name, date of birth,
address or needs). Each list is the figure's own definition (``FigureSource.cases_for``), so its
length is the figure's number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from core.access import access_log_record_many
from core.db_router import reporting_reads
from core.models import AccessAction, District
from core.pages import requires
from core.roles import Capability, user_can
from reporting import figures, layouts
from reporting.figures import FIGURES
from reporting.services import figure_source_for, previous_month
from reporting.views.common import bad_request, parse_month, request_detail_url
from reporting.views.report import _report_district
from requests_app.models import AssessmentRequest

ANNEX_HEADERS = ["Reference", "District", "Received", "Stage now"]


@dataclass
class AnnexList:
    key: str
    label: str
    rows: list[dict[str, Any]] = field(default_factory=list)


def annex_figures() -> list[str]:
    """The counts of the report's month table whose cases are requests (the annex's lists)."""
    return [key for key in layouts.REPORT_SUMMARY.rows if FIGURES[key].unit == "count" and FIGURES[key].linked]


@requires(Capability.REPORTS_VIEW)
def report_annex(request: HttpRequest) -> HttpResponse:
    # The lists identify cases: the reader must also be allowed to open requests.
    if not user_can(request.user, Capability.REQUEST_VIEW):
        raise PermissionDenied
    if "month" in request.GET:
        month = parse_month(request.GET["month"])
        if month is None:
            return bad_request(request, "The month must be given as YYYY-MM, for example 2025-01.")
    else:
        month = previous_month(timezone.localdate())
    with reporting_reads():
        districts = list(District.objects.order_by("name"))
        district = _report_district(request, districts)
        if isinstance(district, str):
            return bad_request(request, district)
        where: dict[str, Any] = {"month_start": month}
        if district is not None:
            where["district_id"] = district.pk
        lists: list[AnnexList] = []
        child_ids: set[int] = set()
        for key in annex_figures():
            source = figure_source_for(key)
            if source is None:
                continue
            qs = source.cases_for(key, **where)
            if qs.model is not AssessmentRequest:
                continue
            found = AnnexList(key, FIGURES[key].label)
            for case in qs.select_related("district").order_by("received_on", "pk"):
                found.rows.append(
                    {
                        "reference": str(case),
                        "url": request_detail_url(case.pk),
                        "district": case.district.name if case.district else "",
                        "received_on": case.received_on,
                        "stage": case.stage_label,
                    }
                )
                child_ids.add(int(case.child_id))
            lists.append(found)
    with transaction.atomic():
        access_log_record_many(
            user=request.user,
            child_ids=sorted(child_ids),
            object_type="assessment_request",
            action=AccessAction.LIST,
            path=request.get_full_path(),
        )
    label = figures.month_label(month)
    query = {"month": f"{month:%Y-%m}", **({"district": district.pk} if district else {})}
    context = {
        "month_label": label,
        "scope": district.name if district else "All districts",
        "lists": lists,
        "headers": ANNEX_HEADERS,
        "marking": settings.REPORT_PROTECTIVE_MARKING,
        "report_url": f"{reverse('dashboard:report')}?{urlencode(query)}",
    }
    return render(request, "dashboard/report_annex.html", context)
