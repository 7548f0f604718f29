"""The managers' dashboard: the figures by month, the backlog, the cases behind each number,
and a printable monthly report.

Numbers come from the stored snapshots (``figures``), so a page costs the same few queries at
any data size. Each number links to ``dashboard:cases``, which lists the rows the same report
definition counts (``FigureSource.cases_for``). Every table exports to CSV and XLSX
(``?table=…&format=csv|xlsx``, written by ``core.exports``); exports and case lists
leave access-log rows.

The snapshot, figure and case-list reads run inside ``reporting_reads()``, so they go to the
reporting replica when one is configured (``core.db_router``). The access-log rows are
written outside those blocks, and the router sends every write to the primary in any case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core import pages
from core.access import access_log_record, access_log_record_many
from core.db_router import reporting_reads
from core.forms import GovukForm
from core.models import AccessAction, District
from core.pages import requires
from core.roles import Capability, user_can
from panels.models import PanelDecision, Referral
from placements.models import PlacementContract
from reporting import figures
from reporting import sources as roof_sources
from reporting.models import BacklogSnapshot, MonthlyMetric
from reporting.services import figure_source_for, months_between, previous_month
from reporting.tables import EXPORT_FORMATS, Cell, Table, export_response, pounds
from requests_app.models import AdviceRequest, AdviserType, AssessmentRequest
from requests_app.reports import BACKLOG_AGE_BAND_LABELS, metric_label, percent
from requests_app.workflow import STATUS_LABELS, Status

C = Capability
MONTH_RE = re.compile(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")
DEFAULT_MONTHS = 12
MAX_MONTHS = 240
CASES_PAGE_SIZE = 25


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


def request_detail_url(pk: int) -> str | None:
    return _detail_url("requests:detail", pk)


def _detail_url(name: str, pk: int) -> str | None:
    """The page of one row, or None where that page does not exist (yet)."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def _export_or_none(request: HttpRequest, tables: list[Table], *, stem: str) -> HttpResponse | None:
    """``?table=KEY&format=csv|xlsx``: one of the page's tables as a file, logged."""
    fmt, key = request.GET.get("format"), request.GET.get("table")
    if fmt is None and key is None:
        return None
    if not user_can(request.user, C.EXPORT):
        raise PermissionDenied
    table = next((t for t in tables if t.key == key), None)
    if fmt not in EXPORT_FORMATS or table is None:
        raise _BadRequest
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
    return export_response(table.export_rows(), stem=f"{stem}-{table.key}", fmt=fmt, sheet_title=table.caption)


class _BadRequest(Exception):
    pass


def _export_links(request: HttpRequest, table_key: str) -> dict[str, str]:
    params = request.GET.copy()
    for name in ("table", "format", "page"):
        params.pop(name, None)
    links = {}
    for fmt in EXPORT_FORMATS:
        params["table"], params["format"] = table_key, fmt
        links[fmt] = f"?{params.urlencode()}"
    return links


def _attach_exports(request: HttpRequest, tables: list[Table]) -> None:
    can_export = user_can(request.user, C.EXPORT)
    for table in tables:
        table.exports = _export_links(request, table.key) if can_export else {}


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "dashboard/bad_request.html", {"message": message}, status=400)


# --- The filter form -------------------------------------------------------------------------


class PeriodForm(GovukForm):
    from_month = forms.CharField(label="From", help_text="Month as YYYY-MM, for example 2025-01", max_length=7)
    to_month = forms.CharField(label="To", help_text="Month as YYYY-MM, for example 2025-12", max_length=7)
    district = forms.TypedChoiceField(label="District", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, districts: list[District], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", "All districts"), *((d.pk, d.name) for d in districts)]
        for name in ("from_month", "to_month"):
            self.fields[name].widget.attrs.update({"class": "govuk-input govuk-input--width-5", "spellcheck": "false"})

    def _month(self, name: str) -> date:
        value = parse_month(self.cleaned_data.get(name, ""))
        if value is None:
            raise forms.ValidationError(f"Enter the month as YYYY-MM, for example 2025-01 ({self.fields[name].label})")
        return value

    def clean_from_month(self) -> date:
        return self._month("from_month")

    def clean_to_month(self) -> date:
        return self._month("to_month")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("from_month"), data.get("to_month")
        if start and end:
            if end < start:
                self.add_error("to_month", "The last month must be the same as the first month or later")
            elif len(months_between(start, end)) > MAX_MONTHS:
                self.add_error("to_month", f"Choose at most {MAX_MONTHS} months")
        return data


@dataclass
class Period:
    from_month: date
    to_month: date
    district: District | None

    @property
    def district_id(self) -> int | None:
        return self.district.pk if self.district else None


def _period(request: HttpRequest, districts: list[District]) -> tuple[PeriodForm, Period]:
    last = previous_month(timezone.localdate())
    default = Period(figures.add_months(last, 1 - DEFAULT_MONTHS), last, None)
    bound = any(name in request.GET for name in ("from_month", "to_month", "district"))
    initial = {"from_month": f"{default.from_month:%Y-%m}", "to_month": f"{default.to_month:%Y-%m}"}
    form = PeriodForm(request.GET if bound else None, initial=initial, districts=districts)
    if bound and form.is_valid():
        by_id = {d.pk: d for d in districts}
        chosen = form.cleaned_data["district"]
        return form, Period(form.cleaned_data["from_month"], form.cleaned_data["to_month"], by_id.get(chosen))
    return form, default


# --- Building the page's tables --------------------------------------------------------------


def _count(value: int | None, metric: str, hidden: str, **where: Any) -> Cell:
    return Cell(value, url=cases_url(metric, **where) if value is not None else None, hidden=hidden)


def _pct(value: float | None) -> Cell:
    return Cell(value, kind="percent")


def _text(value: str) -> Cell:
    return Cell(value, kind="text")


def _monthly_rows(series: figures.MonthlySeries, district_id: int | None, columns: list[Any]) -> list[list[Cell]]:
    """One row per month; ``columns`` are (metric, what) for linked counts, or callables
    giving a rate from the month's figures. Months with no snapshot read "No data"."""
    rows: list[list[Cell]] = []
    for month, found in zip(series.months, series.figures, strict=True):
        label = figures.month_label(month)
        row = [_text(label)]
        for column in columns:
            if callable(column):
                row.append(_pct(column(found) if found else None))
            else:
                metric, what = column
                row.append(
                    _count(
                        found[metric] if found else None,
                        metric,
                        f" {what} in {label}",
                        month=month,
                        district_id=district_id,
                    )
                )
        rows.append(row)
    return rows


def _home_tables(
    series: figures.MonthlySeries,
    annual: dict[int, dict[str, Any]],
    backlog: dict[str, Any] | None,
    on: date | None,
    district_id: int | None,
) -> list[Table]:
    def share(numerator: str, denominator: str | tuple[str, ...]) -> Callable[[dict[str, Any]], float | None]:
        names = (denominator,) if isinstance(denominator, str) else denominator
        return lambda f: percent(f[numerator], sum(f[n] for n in names))

    decisions = ("decisions_to_assess", "decisions_not_to_assess")
    tables = [
        Table(
            "requests",
            "Requests for an EHC needs assessment received each month",
            ["Month", "Requests received", "From parents", "Parents' share"],
            _monthly_rows(
                series,
                district_id,
                [
                    ("requests_received", "requests received"),
                    ("requests_from_parents", "requests from parents"),
                    share("requests_from_parents", "requests_received"),
                ],
            ),
        ),
        Table(
            "decisions",
            "Decisions whether to assess, and the refusal-to-assess rate (decision basis)",
            ["Month", "Assessments agreed", "Refused to assess", "Refusal rate", "Refusal rate, rolling 12 months"],
            [
                row + [_pct(found["refusal_rate_rolling_12_months"] if found else None)]
                for row, found in zip(
                    _monthly_rows(
                        series,
                        district_id,
                        [
                            ("decisions_to_assess", "decisions to assess"),
                            ("decisions_not_to_assess", "decisions not to assess"),
                            figures.refusal_rate,
                        ],
                    ),
                    series.figures,
                    strict=True,
                )
            ],
            description=figures.DEFINITIONS["refusal_rate"]
            + " "
            + figures.DEFINITIONS["refusal_rate_rolling_12_months"],
        ),
        Table(
            "annual",
            "Requests received in each calendar year by outcome (DfE basis)",
            [
                "Year",
                "Requests received",
                "Decided to assess",
                "Refused",
                "No decision yet",
                "Withdrawn",
                "Refusal rate",
            ],
            [
                [
                    _text(str(year)),
                    *(
                        _count(found[m], m, f" {what}, {year}", year=year, district_id=district_id)
                        for m, what in (
                            ("requests_received", "requests received"),
                            ("requests_decided_to_assess", "decided to assess"),
                            ("requests_decided_not_to_assess", "refused"),
                            ("requests_decision_not_made", "no decision yet"),
                            ("requests_withdrawn", "withdrawn"),
                        )
                    ),
                    _pct(found["refusal_rate_dfe"]),
                ]
                for year, found in sorted(annual.items())
            ],
            description=figures.DEFINITIONS["refusal_rate_dfe"],
        ),
        Table(
            "six_weeks",
            "Decisions made within 6 weeks, and decisions not to issue a plan within 16 weeks",
            [
                "Month",
                "Decisions whether to assess",
                "Within 6 weeks",
                "Share within 6 weeks",
                "Decisions not to issue",
                "Within 16 weeks",
                "Share within 16 weeks",
            ],
            _monthly_rows(
                series,
                district_id,
                [
                    ("decisions_made", "decisions whether to assess"),
                    ("decisions_within_6_weeks", "decisions made within 6 weeks"),
                    share("decisions_within_6_weeks", decisions),
                    ("not_issue_decisions", "decisions not to issue"),
                    ("not_issue_decisions_within_16_weeks", "decisions not to issue within 16 weeks"),
                    share("not_issue_decisions_within_16_weeks", "not_issue_decisions"),
                ],
            ),
            description=figures.DEFINITIONS["decisions_within_6_weeks"]
            + " "
            + figures.DEFINITIONS["not_issue_decisions_within_16_weeks"],
        ),
        Table(
            "twenty_weeks",
            "Final plans issued within 20 weeks, including and excluding exceptions",
            [
                "Month",
                "Plans issued",
                "Within 20 weeks",
                "Share within 20 weeks",
                "Plans issued, no exception",
                "Within 20 weeks, no exception",
                "Share within 20 weeks, excluding exceptions",
            ],
            _monthly_rows(
                series,
                district_id,
                [
                    ("plans_issued", "plans issued"),
                    ("plans_issued_within_20_weeks", "plans issued within 20 weeks"),
                    share("plans_issued_within_20_weeks", "plans_issued"),
                    ("plans_issued_excluding_exceptions", "plans issued with no exception"),
                    (
                        "plans_issued_within_20_weeks_excluding_exceptions",
                        "plans issued within 20 weeks with no exception",
                    ),
                    share("plans_issued_within_20_weeks_excluding_exceptions", "plans_issued_excluding_exceptions"),
                ],
            ),
            description=figures.DEFINITIONS["plans_issued_within_20_weeks"]
            + " "
            + figures.DEFINITIONS["excluding_exceptions"],
        ),
    ]
    if backlog is not None and on is not None:
        where = {"on": on, "district_id": district_id}
        tables += [
            Table(
                "backlog_age",
                "Open requests by time since the request was received",
                ["Time since received", "Open requests"],
                [
                    [
                        _text(label),
                        _count(
                            backlog["open_by_age_band"][band],
                            f"open_requests.age.{band}",
                            f" open requests, {label.lower()}",
                            **where,
                        ),
                    ]
                    for band, label in BACKLOG_AGE_BAND_LABELS.items()
                ]
                + [
                    [
                        _text("All open requests"),
                        _count(backlog["open_requests"], "open_requests", " open requests", **where),
                    ]
                ],
            ),
            Table(
                "backlog_stage",
                "Open requests by stage",
                ["Stage", "Open requests"],
                [
                    [
                        _text(STATUS_LABELS[Status(stage)]),
                        _count(count, f"open_requests.stage.{stage}", f" open requests at stage {stage}", **where),
                    ]
                    for stage, count in backlog["open_by_stage"].items()
                ]
                + [
                    [
                        _text("Decisions to assess overdue"),
                        _count(backlog["decisions_overdue"], "decisions_overdue", " decisions overdue", **where),
                    ]
                ],
            ),
            Table(
                "advice_backlog",
                "Advice requests outstanding and overdue (over 6 weeks), by adviser type",
                ["Adviser type", "Outstanding", "Overdue"],
                [
                    [
                        _text(AdviserType(adviser).label),
                        _count(
                            v["outstanding"], f"advice_outstanding.{adviser}", f" {adviser} advice outstanding", **where
                        ),
                        _count(v["overdue"], f"advice_overdue.{adviser}", f" {adviser} advice overdue", **where),
                    ]
                    for adviser, v in backlog["advice_by_adviser_type"].items()
                ]
                + [
                    [
                        _text("All adviser types"),
                        _count(backlog["advice_outstanding"], "advice_outstanding", " advice outstanding", **where),
                        _count(backlog["advice_overdue"], "advice_overdue", " advice overdue", **where),
                    ]
                ],
            ),
        ]
    return tables


def _charts(series: figures.MonthlySeries, backlog: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The charts' data (JSON for charts.js): each series is a column of a table on the page."""
    labels = [f"{m:%b %Y}" for m in series.months]

    def column(fn: Callable[[dict[str, Any]], Any]) -> list[Any]:
        return [fn(found) if found else None for found in series.figures]

    def share(numerator: str, *names: str) -> Callable[[dict[str, Any]], float | None]:
        return lambda f: percent(f[numerator], sum(f[n] for n in names))

    charts: list[dict[str, Any]] = [
        {
            "id": "requests",
            "kind": "line",
            "unit": "count",
            "labels": labels,
            "series": [
                {"label": "Requests received", "data": column(lambda f: f["requests_received"])},
                {"label": "From parents", "data": column(lambda f: f["requests_from_parents"])},
            ],
        },
        {
            "id": "parents_share",
            "kind": "line",
            "unit": "percent",
            "labels": labels,
            "series": [
                {"label": "Parents' share", "data": column(share("requests_from_parents", "requests_received"))}
            ],
        },
        {
            "id": "decisions",
            "kind": "bar",
            "unit": "count",
            "labels": labels,
            "series": [
                {"label": "Assessments agreed", "data": column(lambda f: f["decisions_to_assess"])},
                {"label": "Refused to assess", "data": column(lambda f: f["decisions_not_to_assess"])},
            ],
        },
        {
            "id": "refusal",
            "kind": "line",
            "unit": "percent",
            "labels": labels,
            "series": [
                {"label": "Refusal rate (month)", "data": column(figures.refusal_rate)},
                {"label": "Rolling 12 months", "data": column(lambda f: f["refusal_rate_rolling_12_months"])},
            ],
        },
        {
            "id": "timeliness",
            "kind": "line",
            "unit": "percent",
            "labels": labels,
            "series": [
                {
                    "label": "Decisions within 6 weeks",
                    "data": column(share("decisions_within_6_weeks", "decisions_to_assess", "decisions_not_to_assess")),
                },
                {
                    "label": "Plans within 20 weeks",
                    "data": column(share("plans_issued_within_20_weeks", "plans_issued")),
                },
                {
                    "label": "Plans within 20 weeks, excl. exceptions",
                    "data": column(
                        share("plans_issued_within_20_weeks_excluding_exceptions", "plans_issued_excluding_exceptions")
                    ),
                },
            ],
        },
    ]
    if backlog is not None:
        charts += [
            {
                "id": "backlog",
                "kind": "bar",
                "unit": "count",
                "labels": list(BACKLOG_AGE_BAND_LABELS.values()),
                "series": [{"label": "Open requests", "data": list(backlog["open_by_age_band"].values())}],
            },
            {
                "id": "advice",
                "kind": "bar",
                "unit": "count",
                "labels": [AdviserType(a).label for a in backlog["advice_by_adviser_type"]],
                "series": [
                    {
                        "label": "Outstanding",
                        "data": [v["outstanding"] for v in backlog["advice_by_adviser_type"].values()],
                    },
                    {"label": "Overdue", "data": [v["overdue"] for v in backlog["advice_by_adviser_type"].values()]},
                ],
            },
        ]
    return charts


# --- Panel and placement sections (council-wide only: see sources.py) ------------------------

# (stored or derived field, cell kind, what a linked number counts; "" for a rate, not linked)
PANEL_COLUMNS: list[tuple[str, str, str]] = [
    ("panel_referrals_received", "count", "referrals to the panel"),
    ("panel_decided", "count", "panel decisions"),
    ("panel_approved", "count", "panel approvals"),
    ("panel_approval_rate", "percent", ""),
    ("panel_mean_days_to_decision", "decimal", ""),
]
PANEL_OUTCOME_COLUMNS: list[tuple[str, str, str]] = [
    (f"panel_decisions.outcome.{code}", "count", f"panel decisions: {label.lower()}")
    for code, label in roof_sources.OUTCOME_LABELS.items()
]
PANEL_COST_COLUMNS: list[tuple[str, str, str]] = [
    ("panel_cost_requested_pence", "money", "annual cost requested, all panel decisions"),
    ("panel_cost_requested_approved_pence", "money", "annual cost requested, panel approvals"),
    ("panel_cost_agreed_pence", "money", "agreed annual ceilings, panel approvals"),
]
PLACEMENT_COLUMNS: list[tuple[str, str, str]] = [
    ("placements_active", "count", "independent placements in place at the month end"),
    ("placements_committed_annual_pence", "money", "committed annual spend at the month end"),
    ("placements_savings_pence", "money", "savings from negotiation at the month end"),
]
DEDUCTION_COLUMNS: list[tuple[str, str, str]] = [
    ("placements_deductions_applied_pence", "money", "attendance deductions applied"),
    ("placements_returns_below_threshold", "count", "attendance returns below threshold"),
]
# The figures that say a service is in use (any non-zero in the range shows the sections).
IN_USE = ("panel_referrals_received", "panel_decided", "placements_active", "placements_returns_below_threshold")


def _figure(found: dict[str, Any] | None, key: str) -> Any:
    if found is None:
        return None
    if key.startswith("panel_decisions.outcome."):
        by_outcome = found.get("panel_decisions_by_outcome")
        return None if by_outcome is None else by_outcome.get(key.rsplit(".", 1)[1], 0)
    return found.get(key)


def _extra_rows(series: figures.MonthlySeries, columns: list[tuple[str, str, str]], *, link: bool) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for month, found in zip(series.months, series.figures, strict=True):
        label = figures.month_label(month)
        row = [_text(label)]
        for key, kind, what in columns:
            value = _figure(found, key)
            linked = link and bool(what) and value is not None
            row.append(
                Cell(
                    value,
                    url=cases_url(key, month=month) if linked else None,
                    hidden=f" {what} in {label}" if linked else "",
                    kind=kind,
                )
            )
        rows.append(row)
    return rows


def extras_in_use(series: figures.MonthlySeries, backlog_data: dict[str, Any] | None) -> bool:
    """Whether the range (or the latest snapshot) has any panel or placement activity."""
    months = any(f and any(f.get(k) for k in IN_USE) for f in series.figures)
    return months or bool(backlog_data and backlog_data.get("placements_active"))


def _extra_tables(series: figures.MonthlySeries, *, panel_links: bool, placement_links: bool) -> list[Table]:
    defs = roof_sources.DEFINITIONS
    return [
        Table(
            "panel",
            "Referrals to the placement panel and its decisions each month",
            [
                "Month",
                "Referrals received",
                "Decided",
                "Approved",
                "Approval rate",
                "Mean days from referral to decision",
            ],
            _extra_rows(series, PANEL_COLUMNS, link=panel_links),
            description=" ".join(
                defs[k]
                for k in (
                    "panel_referrals_received",
                    "panel_decided",
                    "panel_approval_rate",
                    "panel_days_to_decision",
                )
            ),
        ),
        Table(
            "panel_outcomes",
            "Panel decisions by outcome each month",
            ["Month", *(label for label in roof_sources.OUTCOME_LABELS.values())],
            _extra_rows(series, PANEL_OUTCOME_COLUMNS, link=panel_links),
            description="Every outcome recorded at meetings held in the month, deferrals included.",
        ),
        Table(
            "panel_cost",
            "Annual cost requested and agreed at the panel each month",
            [
                "Month",
                "Requested, all decisions (£)",
                "Requested, approvals (£)",
                "Agreed ceilings, approvals (£)",
            ],
            _extra_rows(series, PANEL_COST_COLUMNS, link=panel_links),
            description=defs["panel_cost"].replace("in pence", "in pounds"),
        ),
        Table(
            "placements",
            "Independent placements at each month end",
            ["Month", "Placements in place", "Committed annual spend (£)", "Savings from negotiation (£)"],
            _extra_rows(series, PLACEMENT_COLUMNS, link=placement_links),
            description=defs["placements_in_place"],
        ),
        Table(
            "placements_deductions",
            "Attendance deductions on independent placements each month",
            ["Month", "Deductions applied (£)", "Returns below threshold"],
            _extra_rows(series, DEDUCTION_COLUMNS, link=placement_links),
            description=defs["placements_deductions"].replace("in pence, ", ""),
        ),
    ]


def _extra_charts(series: figures.MonthlySeries) -> list[dict[str, Any]]:
    labels = [f"{m:%b %Y}" for m in series.months]

    def column(key: str, *, money: bool = False) -> list[Any]:
        values = [_figure(found, key) for found in series.figures]
        return [v / 100 if money and v is not None else v for v in values]

    def chart(chart_id: str, kind: str, unit: str, *series_spec: tuple[str, str]) -> dict[str, Any]:
        money = unit == "money"
        return {
            "id": chart_id,
            "kind": kind,
            "unit": unit,
            "labels": labels,
            "series": [{"label": label, "data": column(key, money=money)} for label, key in series_spec],
        }

    return [
        chart(
            "panel_counts",
            "bar",
            "count",
            ("Referrals received", "panel_referrals_received"),
            ("Decided", "panel_decided"),
        ),
        chart("panel_rate", "line", "percent", ("Approval rate", "panel_approval_rate")),
        chart(
            "panel_cost",
            "bar",
            "money",
            ("Requested (approvals)", "panel_cost_requested_approved_pence"),
            ("Agreed ceilings", "panel_cost_agreed_pence"),
        ),
        chart("panel_days", "line", "days", ("Mean days to decision", "panel_mean_days_to_decision")),
        chart("placements_active", "line", "count", ("Placements in place", "placements_active")),
        chart("placements_spend", "line", "money", ("Committed spend", "placements_committed_annual_pence")),
        chart("placements_savings", "line", "money", ("Savings", "placements_savings_pence")),
        chart("placements_deductions", "bar", "money", ("Deductions applied", "placements_deductions_applied_pence")),
    ]


def _placements_today(snapshot: BacklogSnapshot | None, *, link: bool) -> list[dict[str, Any]]:
    """The latest nightly snapshot's "as at" placement figures, for a summary list."""
    data = snapshot.data if snapshot else {}
    if snapshot is None or "placements_active" not in data:
        return []
    rows = []
    for key, title, kind, what in (
        ("placements_active", "Placements in place", "count", "placements in place"),
        ("placements_committed_annual_pence", "Committed annual spend", "money", "committed annual spend"),
        ("placements_savings_pence", "Savings from negotiation", "money", "savings from negotiation"),
        ("placements_deductions_applied_pence", "Deductions applied to date", "money", "deductions applied to date"),
    ):
        value = data.get(key, 0)
        rows.append(
            {
                "title": title,
                "display": pounds(value) if kind == "money" else str(value),
                "url": cases_url(key, on=snapshot.on) if link else None,
                "hidden": f" {what}",
            }
        )
    return rows


# --- Pages -----------------------------------------------------------------------------------


@requires(C.REPORTS_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    with reporting_reads():
        districts = list(District.objects.order_by("name"))
        form, period = _period(request, districts)
        series = figures.monthly_series(
            from_month=period.from_month, to_month=period.to_month, district_id=period.district_id
        )
        years = sorted({m.year for m in series.months})
        annual = figures.annual_figures_for(years, district_id=period.district_id)
        snapshot = BacklogSnapshot.objects.filter(on__lte=today).order_by("-on").first()
    backlog = figures.backlog_figures(snapshot, district_id=period.district_id) if snapshot else None
    tables = _home_tables(series, annual, backlog, snapshot.on if snapshot else None, period.district_id)
    # Panel and placement figures are stored for the whole council only.
    council_wide = period.district is None
    panel_links = user_can(request.user, C.PANEL_VIEW) and user_can(request.user, C.REQUEST_VIEW)
    placement_links = user_can(request.user, C.PLACEMENT_VIEW) and user_can(request.user, C.REQUEST_VIEW)
    if council_wide:
        tables += _extra_tables(series, panel_links=panel_links, placement_links=placement_links)
    in_use = council_wide and extras_in_use(series, snapshot.data if snapshot else None)
    try:
        exported = _export_or_none(request, tables, stem="dashboard")
    except _BadRequest:
        return _bad_request(request, "Choose a table on this page and a format, CSV or XLSX.")
    if exported is not None:
        return exported
    _attach_exports(request, tables)
    oldest = backlog["oldest_open_case"] if backlog else None
    context = {
        "form": form,
        "period": period,
        "period_label": f"{figures.month_label(period.from_month)} to {figures.month_label(period.to_month)}",
        "tables": {t.key: t for t in tables},
        "charts": _charts(series, backlog) + (_extra_charts(series) if in_use else []),
        "missing_months": [figures.month_label(m) for m, f in zip(series.months, series.figures, strict=True) if not f],
        "annual": [annual[y] for y in sorted(annual)],
        "backlog": backlog,
        "backlog_on": snapshot.on if snapshot else None,
        "oldest": oldest,
        "backlog_links": (
            {
                name: cases_url(name, on=snapshot.on, district_id=period.district_id)
                for name in ("open_requests", "decisions_overdue")
            }
            if snapshot
            else {}
        ),
        "oldest_url": request_detail_url(oldest["request_id"]) if oldest else None,
        "definitions": figures.DEFINITIONS,
        "council_wide": council_wide,
        "extras_in_use": in_use,
        "placements_today": _placements_today(snapshot, link=placement_links) if in_use else [],
        "extra_definitions": roof_sources.DEFINITIONS,
        "report_query": urlencode(
            {"month": f"{period.to_month:%Y-%m}", **({"district": period.district_id} if period.district else {})}
        ),
    }
    return render(request, "dashboard/home.html", context)


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
        pounds(contract.saving_pence),
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
        lambda o: _detail_url("panels:referral-detail", o.pk),
        lambda qs: qs.select_related("request__child__district", "proposed_establishment").order_by(
            "referred_on", "pk"
        ),
        C.PANEL_VIEW,
    ),
    PanelDecision: CaseKind(
        DECISION_HEADERS,
        _decision_row,
        "panel_decision",
        lambda o: int(o.item.referral.request.child_id),
        lambda o: _detail_url("panels:referral-detail", o.item.referral_id),
        lambda qs: qs.select_related("item__meeting", "item__referral__request__child__district").order_by(
            "item__meeting__held_on", "pk"
        ),
        C.PANEL_VIEW,
    ),
    PlacementContract: CaseKind(
        CONTRACT_HEADERS,
        _contract_row,
        "placement_contract",
        lambda o: int(o.child_id),
        lambda o: _detail_url("placements:contract-detail", o.pk),
        # contracts_for orders by provider and reference already.
        lambda qs: qs.select_related("child__district", "provider__establishment"),
        C.PLACEMENT_VIEW,
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
        district = District.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
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


@requires(C.REPORTS_VIEW)
def cases(request: HttpRequest) -> HttpResponse:
    # Case lists name children: the reader must also be allowed to open requests
    # (AssessmentRequest.objects.visible_to's rule), and panel or placement business for those lists.
    if not user_can(request.user, C.REQUEST_VIEW):
        raise PermissionDenied
    with reporting_reads():
        query = _case_query(request)
    if isinstance(query, str):
        return _bad_request(request, query)
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
            return _bad_request(request, "Choose CSV or XLSX.")
        if not user_can(request.user, C.EXPORT):
            raise PermissionDenied
        with reporting_reads():
            objects = list(qs)
            export_rows = [make_row(o) for o in objects]
        # The access log is written to the primary (outside the report reads; the router sends
        # every write there anyway), in its own transaction: no log row, no file.
        with transaction.atomic():
            access_log_record_many(
                user=request.user,
                child_ids=[kind.child_id(o) for o in objects],
                object_type=object_type,
                action=AccessAction.EXPORT,
                path=request.get_full_path(),
            )
        stem = f"cases-{query.metric}-{query.period_label}"
        return export_response([headers, *export_rows], stem=stem, fmt=fmt, sheet_title="Cases")

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
        "exports": _export_links(request, "cases") if user_can(request.user, C.EXPORT) else {},
        "back_url": reverse("dashboard:home"),
    }
    return render(request, "dashboard/cases.html", context)


@dataclass
class ReportSection:
    """A titled part of the printable report: an introduction, its tables, or a note in their place."""

    key: str
    heading: str
    tables: list[Table]
    intro: str = ""
    note: str = ""


def _figure_rows(
    found: dict[str, Any], rows: list[tuple[str, str, str, str]], *, month: date, link: bool
) -> list[list[Cell]]:
    """One row per stored figure of a month: (key, row header, cell kind, what a linked number
    counts; "" for a rate or a mean, which is not linked)."""
    label = figures.month_label(month)
    result: list[list[Cell]] = []
    for key, title, kind, what in rows:
        value = _figure(found, key)
        linked = link and bool(what) and value is not None
        result.append(
            [
                _text(title),
                Cell(
                    value,
                    url=cases_url(key, month=month) if linked else None,
                    hidden=f" {what}, {label}" if linked else "",
                    kind=kind,
                ),
            ]
        )
    return result


def _report_extra_sections(
    found: dict[str, Any], month: date, label: str, *, panel_links: bool, placement_links: bool
) -> list[ReportSection]:
    """The month's panel and placement figures as the dashboard defines them (council-wide)."""
    defs = roof_sources.DEFINITIONS
    month_end_label = f"{roof_sources.month_end(month):%-d %B %Y}"
    panel = ReportSection(
        "panel",
        "Placement panel",
        [
            Table(
                "report_panel",
                f"Referrals to the placement panel and its decisions, {label}",
                ["Figure", "Value"],
                _figure_rows(
                    found,
                    [
                        ("panel_referrals_received", "Referrals received", "count", "referrals to the panel"),
                        ("panel_decided", "Final decisions", "count", "panel decisions"),
                        ("panel_approved", "Approved", "count", "panel approvals"),
                        ("panel_approval_rate", "Approval rate", "percent", ""),
                        ("panel_mean_days_to_decision", "Mean days from referral to decision", "decimal", ""),
                    ],
                    link=panel_links,
                    month=month,
                ),
                description=" ".join(
                    defs[k]
                    for k in (
                        "panel_referrals_received",
                        "panel_decided",
                        "panel_approval_rate",
                        "panel_days_to_decision",
                    )
                ),
            ),
            Table(
                "report_panel_outcomes",
                f"Panel decisions by outcome, {label}",
                ["Outcome", "Decisions"],
                _figure_rows(
                    found,
                    [
                        (f"panel_decisions.outcome.{code}", outcome, "count", f"panel decisions: {outcome.lower()}")
                        for code, outcome in roof_sources.OUTCOME_LABELS.items()
                    ],
                    link=panel_links,
                    month=month,
                ),
                description="Every outcome recorded at meetings held in the month, deferrals included.",
            ),
            Table(
                "report_panel_cost",
                f"Annual cost requested and agreed at the panel, {label}",
                ["Figure", "Value"],
                _figure_rows(
                    found,
                    [
                        (
                            "panel_cost_requested_pence",
                            "Requested, all final decisions (£)",
                            "money",
                            "annual cost requested, all panel decisions",
                        ),
                        (
                            "panel_cost_requested_approved_pence",
                            "Requested, approvals (£)",
                            "money",
                            "annual cost requested, panel approvals",
                        ),
                        (
                            "panel_cost_agreed_pence",
                            "Agreed ceilings, approvals (£)",
                            "money",
                            "agreed annual ceilings, panel approvals",
                        ),
                    ],
                    link=panel_links,
                    month=month,
                ),
                description=defs["panel_cost"].replace("in pence", "in pounds"),
            ),
        ],
        intro=(
            "Referrals to the central placement panel and the decisions taken at meetings held in the month. "
            + defs["council_wide"]
        ),
    )
    placements = ReportSection(
        "placements",
        "Independent placements",
        [
            Table(
                "report_placements",
                f"Independent placements on {month_end_label}",
                ["Figure", "Value"],
                _figure_rows(
                    found,
                    [
                        ("placements_active", "Placements in place", "count", "independent placements in place"),
                        (
                            "placements_committed_annual_pence",
                            "Committed annual spend (£)",
                            "money",
                            "committed annual spend",
                        ),
                        (
                            "placements_savings_pence",
                            "Savings from negotiation (£)",
                            "money",
                            "savings from negotiation",
                        ),
                    ],
                    link=placement_links,
                    month=month,
                ),
                description=defs["placements_in_place"],
            ),
            Table(
                "report_placements_deductions",
                f"Attendance deductions on independent placements, {label}",
                ["Figure", "Value"],
                _figure_rows(
                    found,
                    [
                        (
                            "placements_deductions_applied_pence",
                            "Deductions applied (£)",
                            "money",
                            "attendance deductions applied",
                        ),
                        (
                            "placements_returns_below_threshold",
                            "Returns below threshold",
                            "count",
                            "attendance returns below threshold",
                        ),
                    ],
                    link=placement_links,
                    month=month,
                ),
                description=defs["placements_deductions"].replace("in pence, ", ""),
            ),
        ],
        intro=defs["council_wide"],
    )
    return [panel, placements]


def _report_district(request: HttpRequest, districts: list[District]) -> District | None | str:
    """The district asked for (``?district=ID``), None for all districts, or what is wrong."""
    raw = request.GET.get("district", "")
    if not raw:
        return None
    found = next((d for d in districts if raw.isdigit() and d.pk == int(raw)), None)
    return found if found is not None else "That district is not known."


@requires(C.REPORTS_VIEW)
def report(request: HttpRequest) -> HttpResponse:
    """A printable monthly report: the month's figures for all districts (or one) and by district,
    the year's DfE-basis figures as stored, the backlog at the end of the month, and the panel's
    and independent placements' figures of the month (council-wide only)."""
    if "month" in request.GET:
        month = parse_month(request.GET["month"])
        if month is None:
            return _bad_request(request, "The month must be given as YYYY-MM, for example 2025-01.")
    else:
        month = previous_month(timezone.localdate())
    month_end = figures.add_months(month, 1)
    with reporting_reads():
        districts = list(District.objects.order_by("name"))
        district = _report_district(request, districts)
        if isinstance(district, str):
            return _bad_request(request, district)
        district_id = district.pk if district else None
        series = figures.monthly_series(from_month=month, to_month=month, district_id=district_id)
        by_district = {
            row.district_id: row
            for row in MonthlyMetric.objects.filter(month=month, district__isnull=False).only("district_id", "data")
        }
        annual = figures.annual_figures_for([month.year], district_id=district_id).get(month.year)
        snapshot = BacklogSnapshot.objects.filter(on__lt=month_end).order_by("-on").first()
    found = series.figures[0]
    label = figures.month_label(month)
    scope = district.name if district else "all districts"
    in_scope = {"district_id": district_id}

    summary_rows: list[list[Cell]] = []
    if found:
        for metric, what in (
            ("requests_received", "Requests received"),
            ("requests_from_parents", "Requests from parents"),
            ("decisions_to_assess", "Decisions to assess"),
            ("decisions_not_to_assess", "Decisions not to assess"),
            ("decisions_within_6_weeks", "Decisions made within 6 weeks"),
            ("plans_issued", "Plans issued"),
            ("plans_issued_within_20_weeks", "Plans issued within 20 weeks"),
            ("plans_issued_excluding_exceptions", "Plans issued, no exception"),
            ("plans_issued_within_20_weeks_excluding_exceptions", "Plans issued within 20 weeks, no exception"),
            ("not_issue_decisions", "Decisions not to issue a plan"),
            ("not_issue_decisions_within_16_weeks", "Decisions not to issue within 16 weeks"),
        ):
            summary_rows.append(
                [_text(what), _count(found[metric], metric, f" {what.lower()} in {label}", month=month, **in_scope)]
            )
        summary_rows.append([_text("Refusal rate (decision basis)"), _pct(found["refusal_rate"])])
        summary_rows.append([_text("Refusal rate, rolling 12 months"), _pct(found["refusal_rate_rolling_12_months"])])
    district_rows: list[list[Cell]] = []
    for each in districts:
        row = by_district.get(each.pk)
        data = row.data if row else None
        cells = [_text(each.name)]
        for metric in ("requests_received", "decisions_to_assess", "decisions_not_to_assess", "plans_issued"):
            cells.append(
                _count(
                    data.get(metric, 0) if data else None,
                    metric,
                    f" {metric.replace('_', ' ')}, {each.name}, {label}",
                    month=month,
                    district_id=each.pk,
                )
            )
        cells.append(_pct(figures.refusal_rate(data) if data else None))
        district_rows.append(cells)
    sections = [
        ReportSection(
            "requests",
            "Requests, decisions and plans",
            [Table("report_summary", f"Figures for {label}, {scope}", ["Figure", "Value"], summary_rows)],
            note="" if found else f"No figures are stored for {label}, {scope}, yet.",
        ),
        ReportSection(
            "districts",
            "By district",
            [
                Table(
                    "report_districts",
                    f"Figures for {label} by district",
                    [
                        "District",
                        "Requests received",
                        "Decisions to assess",
                        "Decisions not to assess",
                        "Plans issued",
                        "Refusal rate",
                    ],
                    district_rows,
                )
            ],
        ),
    ]
    if annual:
        sections.append(
            ReportSection(
                "year",
                f"Calendar year {month.year}",
                [
                    Table(
                        "report_year",
                        f"Calendar year {month.year} on the DfE basis, {scope} (as last computed)",
                        ["Figure", "Value"],
                        [
                            [
                                _text("Requests received"),
                                _count(
                                    annual["requests_received"],
                                    "requests_received",
                                    f" requests received in {month.year}",
                                    year=month.year,
                                    **in_scope,
                                ),
                            ],
                            [
                                _text("Refused to assess"),
                                _count(
                                    annual["requests_decided_not_to_assess"],
                                    "requests_decided_not_to_assess",
                                    f" refused, {month.year}",
                                    year=month.year,
                                    **in_scope,
                                ),
                            ],
                            [_text("Refusal rate (DfE basis)"), _pct(annual["refusal_rate_dfe"])],
                            [
                                _text("Plans issued"),
                                _count(
                                    annual["plans_issued"],
                                    "plans_issued",
                                    f" plans issued in {month.year}",
                                    year=month.year,
                                    **in_scope,
                                ),
                            ],
                            [_text("Share within 20 weeks"), _pct(annual["pc_plans_issued_within_20_weeks"])],
                            [
                                _text("Share within 20 weeks, excluding exceptions"),
                                _pct(annual["pc_plans_issued_within_20_weeks_excluding_exceptions"]),
                            ],
                        ],
                        description=figures.DEFINITIONS["refusal_rate_dfe"],
                    )
                ],
            )
        )
    backlog = figures.backlog_figures(snapshot, district_id=district_id) if snapshot else None
    if not (backlog and snapshot):
        sections.append(
            ReportSection("backlog", "Backlog", [], note=f"No backlog snapshot was taken in or before {label}.")
        )
    else:
        where = {"on": snapshot.on, **in_scope}
        ep = backlog["advice_by_adviser_type"][AdviserType.EDUCATIONAL_PSYCHOLOGY]
        sections.append(
            ReportSection(
                "backlog",
                "Backlog",
                [
                    Table(
                        "report_backlog",
                        f"Backlog on {snapshot.on:%-d %B %Y}, {scope}",
                        ["Figure", "Value"],
                        [
                            [
                                _text("Open requests"),
                                _count(backlog["open_requests"], "open_requests", " open requests", **where),
                            ],
                            [
                                _text("Decisions to assess overdue"),
                                _count(
                                    backlog["decisions_overdue"], "decisions_overdue", " decisions overdue", **where
                                ),
                            ],
                            [
                                _text("Educational psychology advice outstanding"),
                                _count(
                                    ep["outstanding"],
                                    f"advice_outstanding.{AdviserType.EDUCATIONAL_PSYCHOLOGY}",
                                    " EP advice outstanding",
                                    **where,
                                ),
                            ],
                            [
                                _text("Educational psychology advice overdue"),
                                _count(
                                    ep["overdue"],
                                    f"advice_overdue.{AdviserType.EDUCATIONAL_PSYCHOLOGY}",
                                    " EP advice overdue",
                                    **where,
                                ),
                            ],
                        ],
                    )
                ],
                intro="Open work on the last nightly snapshot taken in or before the month.",
            )
        )

    # Panel and placement figures are stored on the all-districts rows only (sources.py).
    panel_links = user_can(request.user, C.PANEL_VIEW) and user_can(request.user, C.REQUEST_VIEW)
    placement_links = user_can(request.user, C.PLACEMENT_VIEW) and user_can(request.user, C.REQUEST_VIEW)
    council_wide_note = ""
    if district is not None:
        council_wide_note = roof_sources.DEFINITIONS["council_wide"] + " They are in the report for all districts."
    elif found is None:
        pass  # the page says no figures are stored for the month
    elif found.get("panel_decided") is None:
        council_wide_note = f"Panel and placement figures were not stored for {label}: recompute the month to add them."
    elif not extras_in_use(series, snapshot.data if snapshot else None):
        council_wide_note = "Panel and placement figures appear here once those services are in use."
    else:
        sections += _report_extra_sections(
            found, month, label, panel_links=panel_links, placement_links=placement_links
        )
    tables = [table for section in sections for table in section.tables]
    try:
        exported = _export_or_none(
            request, tables, stem=f"report-{month:%Y-%m}" + (f"-{district.name}" if district else "")
        )
    except _BadRequest:
        return _bad_request(request, "Choose a table on this page and a format, CSV or XLSX.")
    if exported is not None:
        return exported
    _attach_exports(request, tables)
    return render(
        request,
        "dashboard/report.html",
        {
            "month_label": label,
            "scope": district.name if district else "All districts",
            "district": district,
            "all_districts_url": f"{reverse('dashboard:report')}?{urlencode({'month': f'{month:%Y-%m}'})}",
            "found": found,
            "sections": sections,
            "council_wide_note": council_wide_note,
            "definitions": [(figures.DEFINITION_TITLES[k], text) for k, text in figures.DEFINITIONS.items()],
        },
    )
