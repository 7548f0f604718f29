"""What every dashboard page shares: month parsing, links to the cases behind a number, the
cells a layout's figures become, and who may follow which links."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from core.roles import Capability, user_can
from reporting.figures import FIGURES, month_label
from reporting.layouts import Service
from reporting.tables import Cell

MONTH_RE = re.compile(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")


def parse_month(value: str) -> date | None:
    value = (value or "").strip()
    return date(int(value[:4]), int(value[5:7]), 1) if MONTH_RE.match(value) else None


def cases_url(
    metric: str,
    *,
    month: date | None = None,
    year: int | None = None,
    on: date | None = None,
    district_id: int | None = None,
) -> str:
    """The list of the cases a stored figure counts, for a month, a year or a day."""
    params: dict[str, Any] = {"metric": metric}
    if month is not None:
        params["month"] = f"{month:%Y-%m}"
    if year is not None:
        params["year"] = year
    if on is not None:
        params["date"] = on.isoformat()
    if district_id is not None:
        params["district"] = district_id
    return f"{reverse('dashboard:cases')}?{urlencode(params)}"


def detail_url(name: str, pk: int) -> str | None:
    """The page of one row, or None where that page does not exist (yet)."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def request_detail_url(pk: int) -> str | None:
    return detail_url("requests:detail", pk)


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "dashboard/bad_request.html", {"message": message}, status=400)


def text_cell(value: str) -> Cell:
    return Cell(value, kind="text")


def figure_cell(key: str, value: Any, *, context: str = "", link: bool = True, **where: Any) -> Cell:
    """A figure's value as a table cell in its unit. A count links to its cases (unless ``link``
    is false or nothing is stored), with what it counts and ``context`` ("in March 2025") read
    to screen-reader users after the number. Rates and means are not linked."""
    figure = FIGURES[key]
    linked = link and figure.linked and value is not None
    return Cell(
        value,
        url=cases_url(key, **where) if linked else None,
        hidden=f" {figure.counts}{context}" if linked else "",
        kind=figure.unit,
        figure=key,
    )


def month_context(month: date) -> str:
    return f" in {month_label(month)}"


def service_links(request: HttpRequest) -> dict[Service, bool]:
    """Whether the reader may follow a council-wide figure to its case list: the cases name
    children, so the reader must also be allowed to open requests."""
    requests = user_can(request.user, Capability.REQUEST_VIEW)
    return {
        "panel": requests and user_can(request.user, Capability.PANEL_VIEW),
        "placements": requests and user_can(request.user, Capability.PLACEMENT_VIEW),
    }


def may_link(links: dict[Service, bool], service: Service | None) -> bool:
    return True if service is None else links[service]
