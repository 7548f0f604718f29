"""The cases behind a number (``dashboard:cases``): the rows a stored figure counts, listed
25 to a page with a link to each case, or exported whole.

``?metric=NAME`` with ``month=YYYY-MM``, ``year=YYYY`` or ``date=YYYY-MM-DD`` (and optionally
``district=ID``). The list is the report definition's own queryset (``FigureSource.cases_for``),
so it cannot disagree with the number. The lists name children: the reader must be allowed to
open requests, and the panel's or placements' business for those lists; every page or file
read leaves access-log rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from core import pages
from core.access import access_log_record_many
from core.db_router import reporting_reads
from core.ids import parse_id
from core.models import AccessAction, District
from core.pages import requires
from core.roles import Capability, user_can
from panels.models import PanelDecision, Referral
from placements.models import PlacementContract
from reporting import figures
from reporting import sources as roof_sources
from reporting.services import figure_source_for
from reporting.tables import EXPORT_FORMATS, pounds
from reporting.views.common import bad_request, detail_url, parse_month, request_detail_url
from reporting.views.exports import cases_export, export_links
from requests_app.models import AdviceRequest, AssessmentRequest
from requests_app.reports import metric_label

CASES_PAGE_SIZE = 25


CASE_HEADERS = ["Reference", "Child", "District", "Received", "Stage", "Decision whether to assess", "Plan decision"]
ADVICE_HEADERS = ["Reference", "Child", "District", "Adviser type", "Requested", "Target", "Received"]
REFERRAL_HEADERS = ["Referral", "Child", "District", "Referred", "Kind", "Proposed setting", "Status"]
DECISION_HEADERS = [
    "Referral",
    "Child",
    "District",
    "Referred",
    "Decided",
    "Outcome",
    "Days",
    "Requested a year",
    "Ceiling a year",
]
CONTRACT_HEADERS = [
    "Contract",
    "Child",
    "District",
    "Provider",
    "Placement",
    "Quoted a year",
    "Agreed a year",
    "Saving",
]


def _case_row(request_obj: AssessmentRequest) -> list[Any]:
    decision = (
        f"{request_obj.get_request_outcome_display()} on {request_obj.request_outcome_on:%-d %b %Y}"
        if request_obj.request_outcome_on
        else request_obj.get_request_outcome_display()
    )
    plan = (
        f"{request_obj.get_assessment_outcome_display()} on {request_obj.assessment_outcome_on:%-d %b %Y}"
        if request_obj.assessment_outcome_on
        else request_obj.get_assessment_outcome_display()
    )
    return [
        str(request_obj),
        request_obj.child.full_name,
        request_obj.child.district.name,
        request_obj.received_on,
        request_obj.stage_label,
        decision,
        plan,
    ]


def _advice_row(advice: AdviceRequest) -> list[Any]:
    return [
        str(advice.request),
        advice.request.child.full_name,
        advice.request.child.district.name,
        advice.get_adviser_type_display(),
        advice.requested_on,
        advice.target_on,
        advice.received_on,
    ]


def _referral_row(referral: Referral) -> list[Any]:
    child = referral.request.child
    return [
        f"Referral {referral.pk}",
        child.full_name,
        child.district.name,
        referral.referred_on,
        referral.get_kind_display(),
        referral.proposed_establishment.name if referral.proposed_establishment else None,
        referral.get_status_display(),
    ]


def _decision_row(decision: PanelDecision) -> list[Any]:
    referral = decision.item.referral
    child = referral.request.child
    held_on = decision.item.meeting.held_on
    ceiling = decision.agreed_annual_ceiling_pence
    return [
        f"Referral {referral.pk}",
        child.full_name,
        child.district.name,
        referral.referred_on,
        held_on,
        decision.get_outcome_display(),
        (held_on - referral.referred_on).days,
        pounds(decision.requested_annual_cost_pence),
        pounds(ceiling) if ceiling is not None else None,
    ]


def _contract_row(contract: PlacementContract) -> list[Any]:
    if contract.ended_on:
        dates = f"{contract.start_on:%-d %b %Y} to {contract.ended_on:%-d %b %Y} (ended)"
    elif contract.end_on:
        dates = f"{contract.start_on:%-d %b %Y} to {contract.end_on:%-d %b %Y} (planned)"
    else:
        dates = f"from {contract.start_on:%-d %b %Y}"
    return [
        str(contract),
        contract.child.full_name,
        contract.child.district.name,
        contract.provider.establishment.name,
        f"{contract.get_status_display()}: {dates}",
        pounds(contract.quoted_annual_cost_pence),
        pounds(contract.agreed_annual_cost_pence),
        # No saving until the fees are agreed (placements: saving_pence is null before then).
        pounds(contract.saving_pence) if contract.saving_pence is not None else None,
    ]


@dataclass(frozen=True)
class CaseKind:
    """How the case list shows one kind of row: the columns, the child it names (for the
    access log), the page it links to and the capability needed to list it."""

    headers: list[str]
    row: Callable[[Any], list[Any]]
    object_type: str
    child_id: Callable[[Any], int]
    url: Callable[[Any], str | None]
    prepare: Callable[[QuerySet[Any]], QuerySet[Any]]
    capability: Capability | None = None


CASE_KINDS: dict[type, CaseKind] = {
    AssessmentRequest: CaseKind(
        CASE_HEADERS,
        _case_row,
        "assessment_request",
        lambda o: int(o.child_id),
        lambda o: request_detail_url(o.pk),
        lambda qs: qs.select_related("child", "child__district").order_by("received_on", "pk"),
    ),
    AdviceRequest: CaseKind(
        ADVICE_HEADERS,
        _advice_row,
        "advice_request",
        lambda o: int(o.request.child_id),
        lambda o: request_detail_url(o.request_id),
        lambda qs: qs.select_related("request", "request__child", "request__child__district").order_by(
            "requested_on", "pk"
        ),
    ),
    Referral: CaseKind(
        REFERRAL_HEADERS,
        _referral_row,
        "panel_referral",
        lambda o: int(o.request.child_id),
        lambda o: detail_url("panels:referral-detail", o.pk),
        lambda qs: qs.select_related("request__child__district", "proposed_establishment").order_by(
            "referred_on", "pk"
        ),
        Capability.PANEL_VIEW,
    ),
    PanelDecision: CaseKind(
        DECISION_HEADERS,
        _decision_row,
        "panel_decision",
        lambda o: int(o.item.referral.request.child_id),
        lambda o: detail_url("panels:referral-detail", o.item.referral_id),
        lambda qs: qs.select_related("item__meeting", "item__referral__request__child__district").order_by(
            "item__meeting__held_on", "pk"
        ),
        Capability.PANEL_VIEW,
    ),
    PlacementContract: CaseKind(
        CONTRACT_HEADERS,
        _contract_row,
        "placement_contract",
        lambda o: int(o.child_id),
        lambda o: detail_url("placements:contract-detail", o.pk),
        # contracts_for orders by provider and reference already.
        lambda qs: qs.select_related("child__district", "provider__establishment"),
        Capability.PLACEMENT_VIEW,
    ),
}


@dataclass
class CaseQuery:
    metric: str
    label: str
    period_label: str
    where: dict[str, Any]
    district: District | None
    note: str = ""


def _case_query(request: HttpRequest) -> CaseQuery | str:
    """The metric, period and district asked for, or the message saying what is wrong."""
    metric = request.GET.get("metric", "")
    source = figure_source_for(metric)
    if source is None:
        return "Choose a figure from the dashboard: that figure is not known."
    where: dict[str, Any] = {}
    if "month" in request.GET:
        month = parse_month(request.GET["month"])
        if month is None:
            return "The month must be given as YYYY-MM, for example 2025-01."
        where["month_start"], period_label = month, figures.month_label(month)
    elif "year" in request.GET:
        if not re.fullmatch(r"(19|20)\d{2}", request.GET["year"]):
            return "The year must be given as YYYY, for example 2025."
        where["year"] = int(request.GET["year"])
        period_label = str(where["year"])
    elif "date" in request.GET:
        try:
            where["on"] = date.fromisoformat(request.GET["date"])
        except ValueError:
            return "The date must be given as YYYY-MM-DD, for example 2025-01-31."
        period_label = f"on {where['on']:%-d %B %Y}"
    else:
        return "Choose a month, a year or a date."
    district = None
    if request.GET.get("district"):
        raw = request.GET["district"]
        district_id = parse_id(raw)
        district = District.objects.filter(pk=district_id).first() if district_id else None
        if district is None:
            return "That district is not known."
        where["district_id"] = district.pk
    try:
        source.cases_for(metric, **where)
    except roof_sources.CouncilWideOnly:
        return "Panel and placement figures are kept for the whole council only: leave out the district."
    except ValueError:
        return "That figure needs a different kind of period (a month or year for counts, a date for the backlog)."
    label = roof_sources.metric_label(metric)
    if label is None:
        try:
            label = metric_label(metric)
        except LookupError:
            label = metric
    return CaseQuery(metric, label, period_label, where, district, roof_sources.case_note(metric, where))


@requires(Capability.REPORTS_VIEW)
def cases(request: HttpRequest) -> HttpResponse:
    # Case lists name children: the reader must also be allowed to open requests
    # (AssessmentRequest.objects.visible_to's rule), and panel or placement business for those lists.
    if not user_can(request.user, Capability.REQUEST_VIEW):
        raise PermissionDenied
    with reporting_reads():
        query = _case_query(request)
    if isinstance(query, str):
        return bad_request(request, query)
    source = figure_source_for(query.metric)
    assert source is not None
    qs: QuerySet[Any] = source.cases_for(query.metric, **query.where)
    kind = CASE_KINDS[qs.model]
    if kind.capability is not None and not user_can(request.user, kind.capability):
        raise PermissionDenied
    qs = kind.prepare(qs)
    headers, make_row, object_type = kind.headers, kind.row, kind.object_type

    fmt = request.GET.get("format")
    if fmt is not None:
        if fmt not in EXPORT_FORMATS:
            return bad_request(request, "Choose CSV or XLSX.")
        return cases_export(
            request,
            qs,
            fmt=fmt,
            headers=headers,
            make_row=make_row,
            child_id=kind.child_id,
            object_type=object_type,
            stem=f"cases-{query.metric}-{query.period_label}",
        )

    params = request.GET.copy()
    params.pop("page", None)
    with reporting_reads():
        paginator = Paginator(qs, CASES_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))  # counts here: the count is cached on the paginator
        objects = list(page.object_list)
        rows = [{"cells": make_row(o), "url": kind.url(o)} for o in objects]
        pagination = pages.pagination(page, params.urlencode())
    with transaction.atomic():
        access_log_record_many(
            user=request.user,
            child_ids=[kind.child_id(o) for o in objects],
            object_type=object_type,
            action=AccessAction.LIST,
            path=request.get_full_path(),
        )
    context = {
        "query": query,
        "headers": headers,
        "rows": rows,
        "total": paginator.count,
        "page": page,
        "pagination": pagination,
        "exports": export_links(request, "cases") if user_can(request.user, Capability.EXPORT) else {},
        "back_url": reverse("dashboard:home"),
    }
    return render(request, "dashboard/cases.html", context)
