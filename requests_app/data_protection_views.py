"""Pages for subject access requests (managers and the data protection officer) and the
retention schedule's lists (administrators), issue 14.

Downloading a copy needs a sign-in within the last 15 minutes (sudo mode, ``core.sudo``): a
stale session is sent to confirm who it is and comes back to the download.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.pages import requires
from core.roles import Capability
from core.sudo import is_fresh, require_sudo
from requests_app.models import Child, RetentionRun, SubjectAccessRequest, SubjectAccessStatus
from requests_app.services import retention, subject_access


def _download_name(sar: SubjectAccessRequest) -> str:
    return f"subject-access-{sar.pk}-child-{sar.child_id}.zip"


@requires(Capability.DATA_PROTECTION)
def subject_access_list(request: HttpRequest) -> HttpResponse:
    sars = SubjectAccessRequest.objects.select_related("child", "requested_by")[:200]
    return render(request, "requests_app/subject_access_list.html", {"sars": sars})


@require_POST
@requires(Capability.DATA_PROTECTION)
def subject_access_new(request: HttpRequest, child_pk: int) -> HttpResponse:
    child = get_object_or_404(Child, pk=child_pk)
    assert isinstance(request.user, User)
    sar = subject_access.sar_request(actor=request.user, child=child)
    return redirect("requests:subject-access-detail", sar.pk)


@requires(Capability.DATA_PROTECTION)
def subject_access_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sar = get_object_or_404(SubjectAccessRequest.objects.select_related("child", "requested_by"), pk=pk)
    assert isinstance(request.user, User)
    context = {
        "sar": sar,
        "ready": sar.status == SubjectAccessStatus.READY,
        "failed": sar.status == SubjectAccessStatus.FAILED,
        "recent": is_fresh(request),
        "sections": sar.manifest.get("sections", []),
    }
    return render(request, "requests_app/subject_access_detail.html", context)


@require_POST
@requires(Capability.DATA_PROTECTION)
def subject_access_retry(request: HttpRequest, pk: int) -> HttpResponse:
    sar = get_object_or_404(SubjectAccessRequest, pk=pk)
    assert isinstance(request.user, User)
    subject_access.sar_retry(actor=request.user, sar=sar)
    return redirect("requests:subject-access-detail", sar.pk)


@requires(Capability.DATA_PROTECTION)
def subject_access_download(request: HttpRequest, pk: int) -> HttpResponse:
    sar = get_object_or_404(SubjectAccessRequest, pk=pk)
    assert isinstance(request.user, User)
    refused = require_sudo(request)  # after the role check: confirm who you are, then come back
    if refused is not None:
        return refused
    content = subject_access.sar_download(actor=request.user, sar=sar, path=request.path)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{_download_name(sar)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Retention (administrators) ------------------------------------------------------------------------


@requires(Capability.ADMIN)
def retention_list(request: HttpRequest) -> HttpResponse:
    runs = RetentionRun.objects.annotate(
        due=Count("items", filter=Q(items__held=False)), held=Count("items", filter=Q(items__held=True))
    )[:60]
    return render(request, "requests_app/retention_list.html", {"runs": runs})


@require_POST
@requires(Capability.ADMIN)
def retention_review_now(request: HttpRequest) -> HttpResponse:
    run = retention.retention_review()
    return redirect("requests:retention-detail", run.pk)


@requires(Capability.ADMIN)
def retention_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(RetentionRun.objects.select_related("approved_by"), pk=pk)
    if request.method == "POST":
        assert isinstance(request.user, User)
        retention.retention_approve(actor=request.user, run=run)
        return redirect("requests:retention-detail", run.pk)
    items = run.items.select_related("child").order_by("held", "due_on", "pk")[:500]
    return render(request, "requests_app/retention_detail.html", {"run": run, "items": items})
