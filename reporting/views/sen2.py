"""The SEN2 return pages (managers only): make a return for a census date as a background job,
follow its progress, read its validation report and its published figures beside the
dashboard's, and download the file (each download written to the access log)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.exports import export_gate
from core.pages import form_add_domain_error, requires
from core.roles import Capability
from reporting.models import Sen2Return, Sen2ReturnStatus
from reporting.sen2 import codes, validate
from reporting.sen2.services import sen2_return_download, sen2_return_request


class Sen2Form(forms.Form):
    census_date = forms.DateField(
        label="Census date",
        help_text="The return describes each case as it stood on this date. For example, 2026-01-15",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"required": "Enter the census date", "invalid": "Enter the census date as YYYY-MM-DD"},
    )

    def clean_census_date(self) -> date:
        value: date = self.cleaned_data["census_date"]
        if value.year < 2015:
            raise forms.ValidationError("Enter a census date in 2015 or later")
        return value


@requires(Capability.SEN2_RETURN)
@require_http_methods(["GET", "POST"])
def sen2_list(request: HttpRequest) -> HttpResponse:
    form = Sen2Form(request.POST or None, initial={"census_date": codes.last_census_on_or_before(date.today())})
    if request.method == "POST" and form.is_valid():
        try:
            row = sen2_return_request(census=form.cleaned_data["census_date"], user=request.user)
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            return redirect("dashboard:sen2-detail", pk=row.pk)
    returns = Sen2Return.objects.select_related("requested_by").defer("content", "report")[:50]
    return render(request, "dashboard/sen2_list.html", {"form": form, "returns": returns})


# Findings listed on the page for each severity (the counts by rule cover them all; the command
# and the API give every finding).
SHOWN = 200


def _case_links(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for finding in findings:
        finding["url"] = reverse("requests:detail", args=[finding["request_id"]]) if finding.get("request_id") else ""
        finding["description"] = validate.RULES.get(finding["rule"], "")
    return findings


@requires(Capability.SEN2_RETURN)
def sen2_detail(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(Sen2Return.objects.select_related("requested_by").defer("content"), pk=pk)
    findings = _case_links(list(row.report.get("findings", [])))
    comparison = row.report.get("comparison") or {}
    for case in comparison.get("cases", []):
        case["url"] = reverse("requests:detail", args=[case["request_id"]])
    errors = [f for f in findings if f["severity"] == validate.ERROR]
    queries = [f for f in findings if f["severity"] != validate.ERROR]
    by_rule = Counter((f["rule"], f["severity"]) for f in findings)
    context = {
        "row": row,
        "running": row.status in (Sen2ReturnStatus.QUEUED, Sen2ReturnStatus.RUNNING),
        "rules": [
            {"rule": rule, "severity": severity, "count": count, "description": validate.RULES.get(rule, "")}
            for (rule, severity), count in sorted(by_rule.items())
        ],
        "errors": errors[:SHOWN],
        "queries": queries[:SHOWN],
        "errors_total": len(errors),
        "queries_total": len(queries),
        "shown": SHOWN,
        "comparison": comparison,
        "disagreements": [r for r in comparison.get("rows", []) if not r["agrees"]],
    }
    return render(request, "dashboard/sen2_detail.html", context)


@requires(Capability.SEN2_RETURN)
def sen2_download(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(Sen2Return, pk=pk, status=Sen2ReturnStatus.DONE)
    # The whole caseload in one file: a fresh sign-in and the export's purpose first (the page's
    # link names the purpose "statutory_return"); the access-log row keeps it in its path.
    refused, _purpose = export_gate(request)
    if refused is not None:
        return refused
    content = sen2_return_download(row=row, user=request.user, path=request.get_full_path())
    response = HttpResponse(content, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{row.filename}"'
    response["Cache-Control"] = "no-store"
    return response
