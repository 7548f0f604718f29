"""The dashboard (``dashboard:home``): the figures month by month for a range of months and a
district, the calendar years they touch, the latest backlog, and the panel's and independent
placements' figures (council-wide). Each number links to its cases; each table has a chart
beside it (or under it) and exports to CSV and XLSX.

Numbers come from the stored snapshots (``reporting.figures``), so the page costs the same few
queries at any data size. The tables and charts are the layouts of ``reporting.layouts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.db_router import reporting_reads
from core.forms import GovukForm
from core.models import Council, District
from core.pages import requires
from core.roles import Capability, user_can
from reporting import comparisons, figures, layouts, published
from reporting import sources as roof_sources
from reporting.figures import FIGURES
from reporting.layouts import Chart, GridTable, SeriesTable, Service
from reporting.models import BacklogSnapshot, MonthlyMetric, PublishedEhcpFigures, RecomputeJob
from reporting.services import months_between, previous_month
from reporting.tables import Cell, Table, pounds
from reporting.views.common import (
    bad_request,
    cases_url,
    figure_cell,
    may_link,
    month_context,
    parse_month,
    request_detail_url,
    service_links,
    text_cell,
)
from reporting.views.exports import UnknownExport, attach_exports, table_export

DEFAULT_MONTHS = 12
MAX_MONTHS = 240


# --- The filter form -------------------------------------------------------------------------


class PeriodForm(GovukForm):
    show_optional = False  # a filter: "All districts" says what an empty choice means
    from_month = forms.CharField(
        label="From",
        help_text="Month as YYYY-MM, for example 2025-01",
        max_length=7,
        error_messages={"required": "Enter the first month of the period, for example 2025-01"},
    )
    to_month = forms.CharField(
        label="To",
        help_text="Month as YYYY-MM, for example 2025-12",
        max_length=7,
        error_messages={"required": "Enter the last month of the period, for example 2025-12"},
    )
    district = forms.TypedChoiceField(label="District", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, districts: list[District], **kwargs: Any):
        super().__init__(*args, **kwargs)
        district = cast(forms.TypedChoiceField, self.fields["district"])
        district.choices = [("", "All districts"), *((d.pk, d.name) for d in districts)]
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
        data = cast(dict[str, Any], super().clean())
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


# --- Filling the layouts -----------------------------------------------------------------------


# A long range keeps its page light: only the latest months are shown month by month; the
# months before them are summarised a calendar year to a row (counts summed, shares from the sums).
# Thirteen: the month and the same month a year before, as the comparisons read them. (With 24,
# the demo's January 2016 to November 2026 for all districts was 408 KB of HTML, over the 300 KB
# the page may weigh: docs/benchmarks.md.)
DETAILED_MONTHS = 13


def monthly_table(
    layout: SeriesTable, series: figures.MonthlySeries, *, district_id: int | None = None, link: bool = True
) -> Table:
    """One row per month of the range's latest ``DETAILED_MONTHS`` months, and one per calendar
    year before them (not linked: a year's list is on its months' rows); a month with no
    snapshot reads "No data", and so does a year with any month missing."""
    rows: list[list[Cell]] = []
    by_month = dict(zip(series.months, series.figures, strict=True))
    detailed = series.months[-DETAILED_MONTHS:]
    older = series.months[: -DETAILED_MONTHS or None] if len(series.months) > DETAILED_MONTHS else []
    for year in sorted({m.year for m in older}):
        in_year = [m for m in older if m.year == year]
        span = "whole year" if len(in_year) == 12 else f"{in_year[0]:%b} to {in_year[-1]:%b}"
        stale = any(by_month[m] and by_month[m].get("stale") for m in in_year)  # type: ignore[union-attr]
        row = [text_cell(f"{year} ({span})" + (" (out of date)" if stale else ""))]
        for key in layout.columns:
            row.append(figure_cell(key, comparisons.value(key, by_month, in_year), link=False))
        rows.append(row)
    for month in detailed:
        found = by_month[month]
        where: dict[str, Any] = {"month": month}
        if district_id is not None:
            where["district_id"] = district_id
        stale = bool(found and found.get("stale"))
        row = [text_cell(figures.month_label(month) + (" (out of date)" if stale else ""))]
        for key in layout.columns:
            value = FIGURES[key].value(found)
            row.append(figure_cell(key, value, context=month_context(month), link=link, **where))
        rows.append(row)
    description = layout.description
    if older:
        description = (
            f"{description} Months before {figures.month_label(detailed[0])} are summarised by calendar year: "
            "counts added up, shares worked out from those sums."
        ).strip()
    return Table(
        layout.key,
        layout.caption,
        layout.headers,
        rows,
        description=description,
        as_at=series.as_at,
        stale=[figures.month_label(m) for m in series.stale],
    )


def annual_table(
    annual: dict[int, dict[str, Any]], *, district_id: int | None, layout: SeriesTable = layouts.ANNUAL_TABLE
) -> Table:
    rows = [
        [
            text_cell(str(year)),
            *(
                figure_cell(key, FIGURES[key].value(found), context=f", {year}", year=year, district_id=district_id)
                for key in layout.columns
            ),
        ]
        for year, found in sorted(annual.items())
    ]
    return Table(
        layout.key,
        layout.caption,
        layout.headers,
        rows,
        description=layout.description,
        as_at=figures.as_at(annual.values()),
        stale=[str(year) for year, found in sorted(annual.items()) if found.get("stale")],
    )


def comparison_table(month: date, *, district_id: int | None) -> Table:
    """The month's figures beside last month, the same month last year, and the year to date
    beside the previous year to date (``reporting.comparisons``), from the stored snapshots."""
    periods = comparisons.periods_for(month)
    first, last = periods.needed
    with reporting_reads():
        rows = MonthlyMetric.objects.filter(
            Q(district__isnull=True) if district_id is None else Q(district_id=district_id),
            month__gte=first,
            month__lte=last,
        ).only("month", "data", "computed_at")
        data = {row.month: row.data for row in rows}
        computed = [row.computed_at for row in rows]
    labels = periods.labels()
    headers = [
        "Figure",
        labels["month"],
        f"Last month ({labels['last_month']})",
        f"Same month last year ({labels['same_month_last_year']})",
        f"Year to date ({labels['year_to_date']})",
        f"Previous year to date ({labels['previous_year_to_date']})",
    ]
    single = (periods.month, periods.last_month, periods.same_month_last_year)
    table_rows: list[list[Cell]] = []
    for found in comparisons.compare(data, month):
        figure = FIGURES[found.key]
        cells = [text_cell(figure.header)]
        for index, value in enumerate(found.values):
            where: dict[str, Any] = {"month": single[index]} if index < 3 else {}
            if where and district_id is not None:
                where["district_id"] = district_id
            context = month_context(single[index]) if index < 3 else ""
            cells.append(figure_cell(found.key, value, context=context, link=bool(where), **where))
        table_rows.append(cells)
    return Table(
        "comparison",
        f"{labels['month']} compared",
        headers,
        table_rows,
        description=layouts.COMPARISON_DESCRIPTION,
        as_at=min(computed) if computed else None,
    )


PUBLISHED_RATE_LABELS = {
    "refusal_rate_dfe": "Refusal rate",
    "pc_plans_issued_within_20_weeks": "Plans within 20 weeks",
    "pc_plans_issued_within_20_weeks_excluding_exceptions": "Plans within 20 weeks, excluding exceptions",
}
PUBLISHED_AREA_LABELS = {
    "ours": "this council",
    "published": "published for this council",
    "england": "England",
    "neighbours": "statistical neighbours",
}


def published_table(years: list[int], annual: dict[int, dict[str, Any]]) -> Table | None:
    """The calendar years' DfE-basis rates beside DfE's published figures for this council,
    England and the statistical neighbours (``load_published_ehcp_stats``); None when none are loaded."""
    with reporting_reads():
        loaded = list(PublishedEhcpFigures.objects.filter(year__in=years))
        council = Council.objects.first()
    if not loaded:
        return None
    rows_in = [
        published.PublishedRow(
            r.year,
            r.level,
            r.area_code,
            r.area_name,
            {name: getattr(r, name) for name in published.MEASURES},
        )
        for r in loaded
    ]
    compared = published.compare_published(
        ours={year: found for year, found in annual.items() if year in years},
        published=rows_in,
        council_code=council.la_number if council else settings.PUBLISHED_STATS_COUNCIL_DEFAULT,
        neighbours=settings.PUBLISHED_STATS_NEIGHBOURS,
    )
    headers = ["Year"] + [
        f"{rate_label}, {area_label} (%)"
        for rate_label in PUBLISHED_RATE_LABELS.values()
        for area_label in PUBLISHED_AREA_LABELS.values()
    ]
    rows = [
        [text_cell(str(year))]
        + [Cell(values[rate][area], kind="percent") for rate in PUBLISHED_RATE_LABELS for area in PUBLISHED_AREA_LABELS]
        for year, values in sorted(compared.items())
    ]
    return Table(
        "published",
        "DfE-basis rates beside DfE's published figures for this council, England and the statistical neighbours",
        headers,
        rows,
        description=(
            "Published figures are loaded from DfE's 'Education, health and care plans' release. The statistical "
            "neighbours' rate is worked out from their counts added together; a count DfE suppressed is left out."
        ),
        as_at=max((r.loaded_at for r in loaded), default=None),
    )


def grid_table(layout: GridTable, values: dict[str, Any], *, as_at: datetime | None = None, **where: Any) -> Table:
    rows = [
        [text_cell(row.header), *(figure_cell(key, values[key], **where) for key in row.figures)] for row in layout.rows
    ]
    return Table(layout.key, layout.caption, layout.headers, rows, as_at=as_at)


def _chart(chart: Chart, labels: list[str], columns: list[tuple[str, list[Any]]]) -> dict[str, Any]:
    return {
        "id": chart.id,
        "kind": chart.kind,
        "unit": chart.unit,
        "labels": labels,
        "series": [{"label": label, "data": data} for label, data in columns],
    }


def chart_month_labels(series: figures.MonthlySeries) -> list[str]:
    return [f"{m:%b %Y}" for m in series.months]


def series_chart(chart: Chart, series: figures.MonthlySeries) -> dict[str, Any]:
    """A chart's data (JSON for charts.js): each series is a column of a table on the page."""
    labels = chart_month_labels(series)
    columns = []
    for key in chart.series:
        values = [FIGURES[key].value(found) for found in series.figures]
        if chart.unit == "money":  # pence to pounds
            values = [v / 100 if v is not None else None for v in values]
        columns.append((FIGURES[key].label, values))
    return _chart(chart, labels, columns)


def shared_month_labels(charts: list[dict[str, Any]], series: figures.MonthlySeries) -> dict[str, Any]:
    """The charts' JSON with the range's month labels written once: a chart over those months
    says ``"labels": "months"`` (charts.js reads the shared list). A ten-year range repeated 131
    labels in each of 15 charts, about 20 KB of the page's weight."""
    months = chart_month_labels(series)
    return {
        "months": months,
        "charts": [{**chart, "labels": "months"} if chart["labels"] == months else chart for chart in charts],
    }


def grid_chart(chart_id: str, layout: GridTable, values: dict[str, Any]) -> dict[str, Any]:
    """A bar chart of a backlog table: its rows (the total left out), one series per column."""
    rows = [row for row in layout.rows if not row.total]
    columns = [(FIGURES[key].label, [values[row.figures[i]] for row in rows]) for i, key in enumerate(layout.columns)]
    return _chart(Chart(chart_id, "bar", "count", layout.columns), [row.header for row in rows], columns)


def extras_in_use(series: figures.MonthlySeries, backlog_data: dict[str, Any] | None) -> bool:
    """Whether the range (or the latest snapshot) has any panel or placement activity."""
    months = any(f and any(f.get(k) for k in layouts.IN_USE) for f in series.figures)
    return months or bool(backlog_data and backlog_data.get("placements_active"))


def _summary_list(
    keys: tuple[str, ...], data: dict[str, Any], *, url: Any, to_date: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Rows of a GOV.UK summary list: each figure's label, value in its unit and link."""
    rows = []
    for key in keys:
        figure, value = FIGURES[key], data.get(key, 0)
        suffix = " to date" if key in to_date else ""
        rows.append(
            {
                "title": figure.label + suffix,
                "display": pounds(value) if figure.unit == "money" else str(value),
                "url": url(key),
                "hidden": f" {figure.counts}{suffix}",
            }
        )
    return rows


# --- The page ----------------------------------------------------------------------------------


@requires(Capability.REPORTS_VIEW)
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
    tables = [monthly_table(layout, series, district_id=period.district_id) for layout in layouts.MONTHLY_TABLES]
    tables.insert(2, annual_table(annual, district_id=period.district_id))
    tables += [
        monthly_table(layouts.EP_ADVICE_TABLE, series, district_id=period.district_id),
        annual_table(annual, district_id=period.district_id, layout=layouts.ANNUAL_TIMELINESS_TABLE),
        comparison_table(period.to_month, district_id=period.district_id),
    ]
    compared_with_published = published_table(years, annual) if period.district is None else None
    if compared_with_published is not None:
        tables.append(compared_with_published)
    charts = [series_chart(chart, series) for chart in layouts.MONTHLY_CHARTS]
    backlog_summary: list[dict[str, Any]] = []
    if backlog is not None and snapshot is not None:
        values = figures.backlog_values(backlog)
        where: dict[str, Any] = {"on": snapshot.on, "district_id": period.district_id}
        tables += [grid_table(layout, values, as_at=snapshot.computed_at, **where) for layout in layouts.BACKLOG_TABLES]
        by_key = {layout.key: layout for layout in layouts.BACKLOG_TABLES}
        charts += [grid_chart(chart_id, by_key[table_key], values) for chart_id, table_key in layouts.BACKLOG_CHARTS]
        backlog_summary = _summary_list(layouts.BACKLOG_SUMMARY, values, url=lambda key: cases_url(key, **where))

    # Panel and placement figures are stored for the whole council only.
    council_wide = period.district is None
    links: dict[Service, bool] = service_links(request)
    if council_wide:
        tables += [
            monthly_table(layout, series, link=may_link(links, layout.service))
            for layout in layouts.COUNCIL_WIDE_TABLES
        ]
    in_use = council_wide and extras_in_use(series, snapshot.data if snapshot else None)
    if in_use:
        charts += [series_chart(chart, series) for chart in layouts.COUNCIL_WIDE_CHARTS]
    placements_today: list[dict[str, Any]] = []
    if in_use and snapshot is not None and "placements_active" in snapshot.data:
        on = snapshot.on
        placements_today = _summary_list(
            layouts.PLACEMENTS_TODAY,
            snapshot.data,
            url=lambda key: cases_url(key, on=on) if links["placements"] else None,
            to_date=layouts.TO_DATE,
        )

    try:
        scope = period.district.name if period.district else "All districts"
        exported = table_export(
            request,
            tables,
            stem=f"dashboard-{scope}-{period.from_month:%Y-%m}-to-{period.to_month:%Y-%m}",
            title=[
                ("Scope", "One district" if period.district else "The whole council"),
                ("District", scope),
                ("Period", f"{figures.month_label(period.from_month)} to {figures.month_label(period.to_month)}"),
            ],
        )
    except UnknownExport:
        return bad_request(request, "Choose a table on this page and a format, CSV or XLSX.")
    if exported is not None:
        return exported
    attach_exports(request, tables)
    oldest = backlog["oldest_open_case"] if backlog else None
    can_recompute = user_can(request.user, Capability.REPORTS_RECOMPUTE)
    context = {
        "as_at": figures.as_at([*series.figures, *annual.values()]),
        "stale_labels": [figures.month_label(m) for m in series.stale],
        "can_recompute": can_recompute,
        "recompute_job": RecomputeJob.objects.order_by("-requested_at").first() if can_recompute else None,
        "form": form,
        "period": period,
        "period_label": f"{figures.month_label(period.from_month)} to {figures.month_label(period.to_month)}",
        "tables": {t.key: t for t in tables},
        "charts": shared_month_labels(charts, series),
        "missing_months": [figures.month_label(m) for m, f in zip(series.months, series.figures, strict=True) if not f],
        "annual": [annual[y] for y in sorted(annual)],
        "backlog": backlog,
        "backlog_on": snapshot.on if snapshot else None,
        "backlog_summary": backlog_summary,
        "oldest": oldest,
        "oldest_url": request_detail_url(oldest["request_id"]) if oldest else None,
        "definitions": figures.DEFINITIONS,
        "council_wide": council_wide,
        "extras_in_use": in_use,
        "placements_today": placements_today,
        "extra_definitions": roof_sources.DEFINITIONS,
        "report_query": urlencode(
            {"month": f"{period.to_month:%Y-%m}", **({"district": period.district_id} if period.district else {})}
        ),
    }
    return render(request, "dashboard/home.html", context)
