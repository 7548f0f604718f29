"""Recomputing stored figures on request (``dashboard:recompute``, ``dashboard:recompute-job``).

A manager asks from the dashboard for the months on the page to be recomputed; the request
queues a ``RecomputeJob`` that a Celery worker runs (``reports.recompute_job``), and this page
shows its progress until it has finished. One job at a time: asking while one is waiting or
running shows that job (``services.recompute_job_request``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from core.ids import parse_id
from core.models import District
from core.pages import requires
from core.roles import Capability
from reporting import figures, services
from reporting.models import RecomputeJob
from reporting.views.common import bad_request, parse_month


@requires(Capability.REPORTS_RECOMPUTE)
def recompute(request: HttpRequest) -> HttpResponse:
    """POST ``from_month``, ``to_month`` (YYYY-MM) and optionally ``district``: queue the job."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    start, end = parse_month(request.POST.get("from_month", "")), parse_month(request.POST.get("to_month", ""))
    if start is None or end is None:
        return bad_request(request, "Give the first and last month to recompute as YYYY-MM, for example 2025-01.")
    if end < start:
        return bad_request(request, "The last month to recompute must be the same as the first month or later.")
    district_id = parse_id(request.POST.get("district", "")) if request.POST.get("district") else None
    if district_id is not None and not District.objects.filter(pk=district_id).exists():
        return bad_request(request, "That district is not known.")
    job, _ = services.recompute_job_request(
        requested_by=request.user, from_month=start, to_month=end, district_id=district_id
    )
    return redirect("dashboard:recompute-job", pk=job.pk)


@requires(Capability.REPORTS_VIEW)
def recompute_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of a recomputation; refreshes itself every few seconds until it has finished."""
    job = get_object_or_404(RecomputeJob.objects.select_related("requested_by", "district"), pk=pk)
    query = {"from_month": f"{job.from_month:%Y-%m}", "to_month": f"{job.to_month:%Y-%m}"}
    if job.district_id:
        query["district"] = str(job.district_id)
    return render(
        request,
        "dashboard/recompute_job.html",
        {
            "job": job,
            "range_label": f"{figures.month_label(job.from_month)} to {figures.month_label(job.to_month)}",
            "dashboard_url": f"{reverse('dashboard:home')}?{urlencode(query)}",
        },
    )
