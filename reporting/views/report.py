"""The printable monthly report (``dashboard:report``): one month's figures for all districts
(or one) and by district, the calendar year's DfE-basis figures as stored, the backlog at the
end of the month, and the panel's and independent placements' figures of the month
(council-wide only). Laid out for A4; every table exports like the dashboard's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from core.db_router import reporting_reads
from core.ids import parse_id
from core.models import District
from core.pages import requires
from core.roles import Capability, user_can
from reporting import figures, layouts, services, suppression, svg
from reporting import sources as roof_sources
from reporting.figures import FIGURES
from reporting.layouts import FigureTable, Service
from reporting.models import BacklogSnapshot, MonthlyMetric, ReportEdition, ReportPdf
from reporting.services import month_end_backlog, previous_month
from reporting.tables import Cell, Table
from reporting.views.common import (
    bad_request,
    figure_cell,
    may_link,
    month_context,
    parse_month,
    service_links,
    text_cell,
)
from reporting.views.exports import UnknownExport, attach_exports, table_export
from reporting.views.home import extras_in_use, monthly_table


@dataclass
class ReportSection:
    """A titled part of the printable report: an introduction, its tables, or a note in their place."""

    key: str
    heading: str
    tables: list[Table]
    intro: str = ""
    note: str = ""
    commentary: str = ""
    charts: list[str] = field(default_factory=list)  # server-drawn SVG (reporting.svg)


def figure_table(
    layout: FigureTable,
    values: dict[str, Any] | None,
    *,
    context: str = "",
    link: bool = True,
    caption: dict[str, str],
    **where: Any,
) -> Table:
    """One row per figure of the layout: its label, and its value in its unit (linked to its cases)."""
    rows: list[list[Cell]] = [
        [
            text_cell(FIGURES[key].header),
            figure_cell(key, FIGURES[key].value(values), context=context, link=link, **where),
        ]
        for key in layout.rows
    ]
    return Table(
        layout.key, layout.caption.format(**caption), list(layout.headers), rows, description=layout.description
    )


def _district_rows(
    districts: list[District],
    by_district: dict[int | None, MonthlyMetric],
    month: date,
    total: dict[str, Any] | None,
    *,
    link: bool = True,
) -> list[list[Cell]]:
    """One row per district and a row for all districts, with small-number suppression: a count
    below ``SUPPRESSION_THRESHOLD`` is "c", and so is any count that would give it away from the
    all-districts row (``reporting.suppression``); a rate worked out from a "c" is "c" too."""
    label = figures.month_label(month)
    columns = layouts.REPORT_DISTRICTS.columns
    counts = [key for key in columns if FIGURES[key].unit == "count"]
    scopes: list[tuple[str, int | None, dict[str, Any] | None]] = [
        (each.name, each.pk, by_district[each.pk].data if each.pk in by_district else None) for each in districts
    ]
    scopes.append(("All districts", None, total))
    grid = [[int(FIGURES[key].value(data) or 0) for key in counts] for _, _, data in scopes]
    hidden = suppression.suppressed_cells(
        suppression.Grid(grid, column_totals=True), threshold=settings.SUPPRESSION_THRESHOLD
    )
    rows: list[list[Cell]] = []
    for r, (name, district_id, data) in enumerate(scopes):
        cells = [text_cell(name)]
        hidden_here = {counts[c] for (row, c) in hidden if row == r}
        for key in columns:
            value = FIGURES[key].value(data)
            if data is not None and value is None and FIGURES[key].unit == "count":
                value = 0  # a count added since the month was stored
            share = FIGURES[key].share_of
            derived_from_hidden = share is not None and bool({share[0], *share[1]} & hidden_here)
            if key in hidden_here or derived_from_hidden:
                cells.append(Cell(suppression.SUPPRESSED, kind="text"))
                continue
            where: dict[str, Any] = {"month": month}
            if district_id is not None:
                where["district_id"] = district_id
            cells.append(figure_cell(key, value, context=f", {name}, {label}", link=link, **where))
        rows.append(cells)
    return rows


SUPPRESSION_NOTE = 'Counts from 1 to {below} are shown as "c", and so are the shares worked out from them.'


def suppress_report_tables(tables: list[Table]) -> None:
    """Small-number suppression on every table of the report, and so on its files (the district
    table has had its own, with the secondary suppression against its all-districts row): a count
    below ``SUPPRESSION_THRESHOLD`` and each share worked out from it are shown as "c"."""
    threshold = settings.SUPPRESSION_THRESHOLD
    units = {key: figure.unit for key, figure in FIGURES.items()}
    shares = {key: figure.share_of for key, figure in FIGURES.items() if figure.share_of is not None}
    for table in tables:
        if suppression.suppress_table(table, units=units, shares=shares, threshold=threshold):
            note = SUPPRESSION_NOTE.format(below=threshold - 1)
            table.description = f"{table.description} {note}".strip()


def _report_district(request: HttpRequest, districts: list[District]) -> District | None | str:
    """The district asked for (``?district=ID``), None for all districts, or what is wrong."""
    raw = request.GET.get("district", "")
    if not raw:
        return None
    district_id = parse_id(raw)
    found = next((d for d in districts if d.pk == district_id), None)
    return found if found is not None else "That district is not known."


@dataclass
class ReportBody:
    """What the report shows for a month and a scope, built the same way for the page and for
    the PDF the worker draws (``reporting.edition_pdf``): its sections and their tables."""

    month: date
    district: District | None
    sections: list[ReportSection]
    found: dict[str, Any] | None
    council_wide_note: str
    as_at: Any

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    @property
    def stem(self) -> str:
        return f"report-{self.month:%Y-%m}-{self.district.name if self.district else 'all-districts'}"


def report_body(
    *,
    month: date,
    district: District | None,
    links: dict[Service, bool] | None,
    districts: list[District] | None = None,
) -> ReportBody:
    """The report's sections for ``month`` and ``district`` (None: all districts), suppressed.
    ``links`` says which council-wide figures may link to their cases; None: no figure links
    (the PDF, which is a record and leads nowhere)."""
    link = links is not None
    month_end = figures.add_months(month, 1)
    with reporting_reads():
        if districts is None:
            districts = list(District.objects.order_by("name"))
        district_id = district.pk if district else None
        series = figures.monthly_series(from_month=month, to_month=month, district_id=district_id)
        by_district = {
            row.district_id: row
            for row in MonthlyMetric.objects.filter(month=month, district__isnull=False).only(
                "district_id", "data", "computed_at"
            )
        }
        all_districts = MonthlyMetric.objects.filter(month=month, district__isnull=True).only("data").first()
        annual = figures.annual_figures_for([month.year], district_id=district_id).get(month.year)
        # The backlog kept at the month end; failing that, the last one taken before the month ended.
        snapshot = month_end_backlog(month) or BacklogSnapshot.objects.filter(on__lt=month_end).order_by("-on").first()
    found = series.figures[0]
    label = figures.month_label(month)
    scope = district.name if district else "all districts"
    in_month: dict[str, Any] = {"context": month_context(month), "month": month, "district_id": district_id}
    caption = {"period": label, "scope": scope}

    summary = figure_table(layouts.REPORT_SUMMARY, found, caption=caption, link=link, **in_month)
    if not found:
        summary.rows = []
    districts_layout = layouts.REPORT_DISTRICTS
    sections = [
        ReportSection(
            "requests",
            "Requests, decisions and plans",
            [summary],
            note="" if found else f"No figures are stored for {label}, {scope}, yet.",
        ),
        ReportSection(
            "districts",
            "By district",
            [
                Table(
                    districts_layout.key,
                    districts_layout.caption.format(period=label),
                    districts_layout.headers,
                    _district_rows(
                        districts, by_district, month, all_districts.data if all_districts else None, link=link
                    ),
                    description=(
                        f'Counts below {settings.SUPPRESSION_THRESHOLD} are shown as "c", and so are the counts that '
                        "would let them be worked out from the all-districts row."
                    ),
                )
            ],
        ),
    ]
    sections.append(_trend_section(month, district_id=district_id, scope=scope, link=link))
    if annual:
        sections.append(
            ReportSection(
                "year",
                f"Calendar year {month.year}",
                [
                    figure_table(
                        layouts.REPORT_YEAR,
                        annual,
                        caption={"period": str(month.year), "scope": scope},
                        context=f" in {month.year}",
                        link=link,
                        year=month.year,
                        district_id=district_id,
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
        sections.append(
            ReportSection(
                "backlog",
                "Backlog",
                [
                    figure_table(
                        layouts.REPORT_BACKLOG,
                        figures.backlog_values(backlog),
                        caption={"day": f"{snapshot.on:%-d %B %Y}", "scope": scope},
                        link=link,
                        on=snapshot.on,
                        district_id=district_id,
                    )
                ],
                intro=(
                    f"Open work at the end of {label}, as kept on {snapshot.on:%-d %B %Y} "
                    f"(figures as at {timezone.localtime(snapshot.computed_at):%-d %B %Y, %H:%M})."
                ),
            )
        )

    # Panel and placement figures are stored on the all-districts rows only (sources.py).
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
        sections += _council_wide_sections(links, found, month)
    # Figures as at: each section's tables were computed with its snapshot.
    section_as_at = {
        "year": figures.as_at([annual]),
        "backlog": snapshot.computed_at if snapshot else None,
        "districts": min((row.computed_at for row in by_district.values()), default=None),
    }
    for section in sections:
        for table in section.tables:
            table.as_at = table.as_at or section_as_at.get(section.key, figures.as_at([found]))
    body = ReportBody(month, district, sections, found, council_wide_note, figures.as_at([found, annual]))
    suppress_report_tables(body.tables)
    return body


def report_context(body: ReportBody, edition: ReportEdition | None) -> dict[str, Any]:
    """What the report's templates show of ``body``, with the commentary and the prepared-by
    and version block of ``edition`` (None: the draft)."""
    for section in body.sections:
        section.commentary = edition.commentary.get(section.key, "") if edition is not None else ""
    district = body.district
    return {
        "month_label": figures.month_label(body.month),
        "scope": district.name if district else "All districts",
        "district": district,
        "all_districts_url": f"{reverse('dashboard:report')}?{urlencode({'month': f'{body.month:%Y-%m}'})}",
        "found": body.found,
        "sections": body.sections,
        "council_wide_note": body.council_wide_note,
        "definitions": [(figures.DEFINITION_TITLES[k], text) for k, text in figures.DEFINITIONS.items()],
        "marking": settings.REPORT_PROTECTIVE_MARKING,
        "edition": edition,
        "month_value": f"{body.month:%Y-%m}",
        "district_id": district.pk if district else None,
        "as_at": body.as_at,
    }


@requires(Capability.REPORTS_VIEW)
def report(request: HttpRequest) -> HttpResponse:
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
    body = report_body(month=month, district=district, links=service_links(request), districts=districts)
    tables = body.tables
    label = figures.month_label(month)
    wants_pdf = request.GET.get("format") == "pdf" and "table" not in request.GET
    if not wants_pdf:
        try:
            exported = table_export(
                request,
                tables,
                stem=body.stem,
                title=[
                    ("Scope", "One district" if district else "The whole council"),
                    ("District", district.name if district else "All districts"),
                    ("Period", label),
                ],
            )
        except UnknownExport:
            return bad_request(request, "Choose a table on this page and a format, CSV or XLSX.")
        if exported is not None:
            return exported
        attach_exports(request, tables)
    edition = services.report_edition_latest(month=month, district_id=district.pk if district else None)
    context = {
        **report_context(body, edition),
        "can_prepare": user_can(request.user, Capability.REPORTS_PREPARE),
        "pdf_url": reverse("dashboard:report-pdf", args=[edition.pk]) if edition is not None else "",
        "annex_url": (
            f"{reverse('dashboard:report-annex')}?"
            + urlencode({"month": f"{month:%Y-%m}", **({"district": district.pk} if district else {})})
            if user_can(request.user, Capability.REQUEST_VIEW)
            else ""
        ),
    }
    if wants_pdf:
        return _report_pdf(request, edition)
    return render(request, "dashboard/report.html", context)


def _report_pdf(request: HttpRequest, edition: ReportEdition | None) -> HttpResponse:
    """``?format=pdf``: the PDF is drawn by the worker for each saved version and kept, so this
    leads to the latest version's PDF page (which asks for it if it has not been) rather than
    holding the request while it is drawn."""
    if not user_can(request.user, Capability.REPORTS_PREPARE):
        raise PermissionDenied
    if edition is None:
        return bad_request(
            request,
            "The PDF is made for each saved version of the report: save the commentary to make the first "
            "version, or print this page from your browser.",
        )
    if not ReportPdf.objects.filter(edition=edition).exists():
        services.report_pdf_request(edition_id=edition.pk, requested_by=request.user)
    return redirect("dashboard:report-pdf", pk=edition.pk)


def _council_wide_sections(
    links: dict[Service, bool] | None, found: dict[str, Any], month: date
) -> list[ReportSection]:
    """The month's panel and placement figures as the dashboard defines them (council-wide)."""
    label = figures.month_label(month)
    caption = {"period": label, "day": f"{roof_sources.month_end(month):%-d %B %Y}"}

    def tables(group: tuple[FigureTable, ...]) -> list[Table]:
        return [
            figure_table(
                layout,
                found,
                caption=caption,
                context=f", {label}",
                link=links is not None and may_link(links, layout.service),
                month=month,
            )
            for layout in group
        ]

    council_wide = roof_sources.DEFINITIONS["council_wide"]
    return [
        ReportSection(
            "panel",
            "Placement panel",
            tables(layouts.REPORT_PANEL),
            intro=(
                "Referrals to the central placement panel and the decisions taken at meetings held in the month. "
                + council_wide
            ),
        ),
        ReportSection("placements", "Independent placements", tables(layouts.REPORT_PLACEMENTS), intro=council_wide),
    ]


@requires(Capability.REPORTS_PREPARE)
def report_commentary(request: HttpRequest) -> HttpResponse:
    """POST the commentary of each section (``commentary_<section>``) for ``month`` (and
    ``district``): saved as the report's next version, then back to the report."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    month = parse_month(request.POST.get("month", ""))
    if month is None:
        return bad_request(request, "The month must be given as YYYY-MM, for example 2025-01.")
    district = _report_district_id(request.POST.get("district", ""))
    if isinstance(district, str):
        return bad_request(request, district)
    commentary = {
        name.removeprefix("commentary_"): str(request.POST.get(name, ""))
        for name in request.POST
        if name.startswith("commentary_")
    }
    services.report_edition_save(
        month=month, district_id=district, prepared_by=request.user, commentary=commentary, sections=REPORT_SECTIONS
    )
    query = {"month": f"{month:%Y-%m}", **({"district": district} if district else {})}
    return redirect(f"{reverse('dashboard:report')}?{urlencode(query)}#report-edition")


def _report_district_id(raw: str) -> int | None | str:
    if not raw:
        return None
    district_id = parse_id(raw)
    if district_id is None or not District.objects.filter(pk=district_id).exists():
        return "That district is not known."
    return district_id


# The sections a commentary may be written for (ReportSection keys).
REPORT_SECTIONS = ("requests", "districts", "trend", "year", "backlog", "panel", "placements")


TREND_MONTHS = 13


def _trend_section(month: date, *, district_id: int | None, scope: str, link: bool = True) -> ReportSection:
    """The 13 months to the month reported, as server-drawn charts (they print) and tables."""
    with reporting_reads():
        series = figures.monthly_series(
            from_month=figures.add_months(month, 1 - TREND_MONTHS), to_month=month, district_id=district_id
        )
    labels = [f"{m:%b %y}" for m in series.months]

    def column(key: str) -> list[float | None]:
        return [FIGURES[key].value(found) for found in series.figures]

    first, last = figures.month_label(series.months[0]), figures.month_label(month)
    counts = svg.bar_chart(
        title=f"Requests received and refusals to assess, {first} to {last}, {scope}",
        description="Bar chart of the requests received and the decisions not to assess each month; "
        "the figures are in the tables below.",
        labels=labels,
        series=[
            (FIGURES["requests_received"].label, column("requests_received")),
            (FIGURES["decisions_not_to_assess"].label, column("decisions_not_to_assess")),
        ],
    )
    shares = svg.bar_chart(
        title=f"Timeliness, {first} to {last}, {scope}",
        description="Bar chart of the share of decisions made within 6 weeks and of final plans issued within "
        "20 weeks each month, in per cent; the figures are in the tables below.",
        labels=labels,
        series=[
            (FIGURES["pc_decisions_within_6_weeks"].label, column("pc_decisions_within_6_weeks")),
            (FIGURES["pc_plans_issued_within_20_weeks"].label, column("pc_plans_issued_within_20_weeks")),
        ],
        unit="percent",
    )
    by_key = {layout.key: layout for layout in layouts.MONTHLY_TABLES}
    tables = [
        monthly_table(by_key[key], series, district_id=district_id, link=link)
        for key in ("requests", "six_weeks", "twenty_weeks")
    ]
    for table in tables:
        table.key = f"trend_{table.key}"
    return ReportSection(
        "trend",
        f"The last {TREND_MONTHS} months",
        tables,
        intro="Counts with their shares, month by month to the month reported.",
        charts=[mark_safe(counts), mark_safe(shares)],  # noqa: S308 (built from escaped text)
    )
