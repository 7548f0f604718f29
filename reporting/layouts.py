"""The dashboard's and the monthly report's tables and charts, as data.

A layout names its figures by key; ``figures.FIGURES`` says how each is labelled, in what unit,
and what a linked number counts, and ``figures.DEFINITIONS``/``sources.DEFINITIONS`` how each is
defined. So a label is written once, there, and every table, chart, export and summary list that
shows the figure reads it. The pages (``reporting/views/``) fill these layouts with the stored
figures of the period asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reporting import sources
from reporting.figures import DEFINITIONS, FIGURES, OPEN_STAGES, OUTCOME_PREFIX
from requests_app.models import AdviserType
from requests_app.reports import BACKLOG_AGE_BAND_LABELS

Service = Literal["panel", "placements"]  # whose case lists a council-wide table links to

_PANEL = sources.DEFINITIONS
OUTCOMES_DESCRIPTION = "Every outcome recorded at meetings held in the month, deferrals included."


def _described(*texts: str) -> str:
    return " ".join(texts)


@dataclass(frozen=True)
class SeriesTable:
    """One row per month (or calendar year), one column per figure."""

    key: str
    caption: str
    columns: tuple[str, ...]
    description: str = ""
    period_header: str = "Month"
    service: Service | None = None  # council-wide: links only for readers of that service

    @property
    def headers(self) -> list[str]:
        return [self.period_header, *(FIGURES[key].header for key in self.columns)]


@dataclass(frozen=True)
class FigureTable:
    """One row per figure of a period: the figure's label and its value. ``caption`` may name
    ``{period}`` (the month or year), ``{scope}`` (the district or all districts) and ``{day}``."""

    key: str
    caption: str
    rows: tuple[str, ...]
    description: str = ""
    headers: tuple[str, str] = ("Figure", "Value")
    service: Service | None = None


@dataclass(frozen=True)
class GridRow:
    figures: tuple[str, ...]
    title: str = ""  # "" for the first figure's label
    total: bool = False  # a total row: in the table, not in the chart drawn from it

    @property
    def header(self) -> str:
        return self.title or FIGURES[self.figures[0]].label


@dataclass(frozen=True)
class GridTable:
    """Rows of a breakdown (a band, a stage, an adviser type), one column per measure."""

    key: str
    caption: str
    row_header: str
    columns: tuple[str, ...]  # the column headers are these figures' labels
    rows: tuple[GridRow, ...]

    @property
    def headers(self) -> list[str]:
        return [self.row_header, *(FIGURES[key].header for key in self.columns)]


@dataclass(frozen=True)
class Chart:
    """A chart drawn from a table on the page: each series is one figure by month."""

    id: str
    kind: Literal["line", "bar"]
    unit: Literal["count", "percent", "money", "days"]
    series: tuple[str, ...]


# --- The dashboard -------------------------------------------------------------------------------

MONTHLY_TABLES: tuple[SeriesTable, ...] = (
    SeriesTable(
        "requests",
        "Requests for an EHC needs assessment received each month",
        ("requests_received", "requests_from_parents", "pc_requests_from_parents"),
    ),
    SeriesTable(
        "decisions",
        "Decisions whether to assess, and the refusal-to-assess rate (decision basis)",
        ("decisions_to_assess", "decisions_not_to_assess", "refusal_rate", "refusal_rate_rolling_12_months"),
        _described(DEFINITIONS["refusal_rate"], DEFINITIONS["refusal_rate_rolling_12_months"]),
    ),
    SeriesTable(
        "six_weeks",
        "Decisions made within 6 weeks, and decisions not to issue a plan within 16 weeks",
        (
            "decisions_made",
            "decisions_within_6_weeks",
            "pc_decisions_within_6_weeks",
            "not_issue_decisions",
            "not_issue_decisions_within_16_weeks",
            "pc_not_issue_decisions_within_16_weeks",
        ),
        _described(DEFINITIONS["decisions_within_6_weeks"], DEFINITIONS["not_issue_decisions_within_16_weeks"]),
    ),
    SeriesTable(
        "twenty_weeks",
        "Final plans issued within 20 weeks, including and excluding exceptions",
        (
            "plans_issued",
            "plans_issued_within_20_weeks",
            "pc_plans_issued_within_20_weeks",
            "plans_issued_excluding_exceptions",
            "plans_issued_within_20_weeks_excluding_exceptions",
            "pc_plans_issued_within_20_weeks_excluding_exceptions",
        ),
        _described(DEFINITIONS["plans_issued_within_20_weeks"], DEFINITIONS["excluding_exceptions"]),
    ),
)
ANNUAL_TABLE = SeriesTable(
    "annual",
    "Requests received in each calendar year by outcome (DfE basis)",
    (
        "requests_received",
        "requests_decided_to_assess",
        "requests_decided_not_to_assess",
        "requests_decision_not_made",
        "requests_withdrawn",
        "refusal_rate_dfe",
        "plans_maintained",
    ),
    DEFINITIONS["refusal_rate_dfe"],
    period_header="Year",
)
BACKLOG_TABLES: tuple[GridTable, ...] = (
    GridTable(
        "backlog_age",
        "Open requests by time since the request was received",
        "Time since received",
        ("open_requests",),
        (
            *(GridRow((f"open_requests.age.{band}",)) for band in BACKLOG_AGE_BAND_LABELS),
            GridRow(("open_requests",), "All open requests", total=True),
        ),
    ),
    GridTable(
        "backlog_stage",
        "Open requests by stage",
        "Stage",
        ("open_requests",),
        (
            *(GridRow((f"open_requests.stage.{stage}",)) for stage in OPEN_STAGES),
            GridRow(("decisions_overdue",), total=True),
        ),
    ),
    GridTable(
        "advice_backlog",
        "Advice requests outstanding and overdue (over 6 weeks), by adviser type",
        "Adviser type",
        ("advice_outstanding", "advice_overdue"),
        (
            *(
                GridRow((f"advice_outstanding.{value}", f"advice_overdue.{value}"), label)
                for value, label in AdviserType.choices
            ),
            GridRow(("advice_outstanding", "advice_overdue"), "All adviser types", total=True),
        ),
    ),
)
# The backlog's headline figures, as a summary list above its tables.
BACKLOG_SUMMARY: tuple[str, ...] = ("open_requests", "decisions_overdue")

_PANEL_FIGURES = (
    "panel_referrals_received",
    "panel_decided",
    "panel_approved",
    "panel_approval_rate",
    "panel_mean_days_to_decision",
)
_PANEL_DESCRIPTION = _described(
    *(
        _PANEL[key]
        for key in ("panel_referrals_received", "panel_decided", "panel_approval_rate", "panel_days_to_decision")
    )
)
_OUTCOMES = tuple(f"{OUTCOME_PREFIX}{code}" for code in sources.OUTCOME_LABELS)
_PANEL_COST = ("panel_cost_requested_pence", "panel_cost_requested_approved_pence", "panel_cost_agreed_pence")
_PANEL_COST_DESCRIPTION = _PANEL["panel_cost"].replace("in pence", "in pounds")
_PLACEMENTS = ("placements_active", "placements_committed_annual_pence", "placements_savings_pence")
_DEDUCTIONS = ("placements_deductions_applied_pence", "placements_returns_below_threshold")
_DEDUCTIONS_DESCRIPTION = _PANEL["placements_deductions"].replace("in pence, ", "")

# Panel and placement figures are kept for the whole council only (sources.py).
COUNCIL_WIDE_TABLES: tuple[SeriesTable, ...] = (
    SeriesTable(
        "panel",
        "Referrals to the placement panel and its decisions each month",
        _PANEL_FIGURES,
        _PANEL_DESCRIPTION,
        service="panel",
    ),
    SeriesTable(
        "panel_outcomes", "Panel decisions by outcome each month", _OUTCOMES, OUTCOMES_DESCRIPTION, service="panel"
    ),
    SeriesTable(
        "panel_cost",
        "Annual cost requested and agreed at the panel each month",
        _PANEL_COST,
        _PANEL_COST_DESCRIPTION,
        service="panel",
    ),
    SeriesTable(
        "placements",
        "Independent placements at each month end",
        _PLACEMENTS,
        _PANEL["placements_in_place"],
        service="placements",
    ),
    SeriesTable(
        "placements_deductions",
        "Attendance deductions on independent placements each month",
        _DEDUCTIONS,
        _DEDUCTIONS_DESCRIPTION,
        service="placements",
    ),
)
# The figures that say a service is in use (any non-zero in the range shows its sections).
IN_USE: tuple[str, ...] = (
    "panel_referrals_received",
    "panel_decided",
    "placements_active",
    "placements_returns_below_threshold",
)
# The latest nightly snapshot's "as at" placement figures; the deductions there are to date.
PLACEMENTS_TODAY: tuple[str, ...] = (*_PLACEMENTS, "placements_deductions_applied_pence")
TO_DATE: frozenset[str] = frozenset({"placements_deductions_applied_pence"})

MONTHLY_CHARTS: tuple[Chart, ...] = (
    Chart("requests", "line", "count", ("requests_received", "requests_from_parents")),
    Chart("parents_share", "line", "percent", ("pc_requests_from_parents",)),
    Chart("decisions", "bar", "count", ("decisions_to_assess", "decisions_not_to_assess")),
    Chart("refusal", "line", "percent", ("refusal_rate", "refusal_rate_rolling_12_months")),
    Chart(
        "timeliness",
        "line",
        "percent",
        (
            "pc_decisions_within_6_weeks",
            "pc_plans_issued_within_20_weeks",
            "pc_plans_issued_within_20_weeks_excluding_exceptions",
        ),
    ),
)
# Bar charts drawn from a backlog table, (chart id, table key): its rows, the total left out.
BACKLOG_CHARTS: tuple[tuple[str, str], ...] = (("backlog", "backlog_age"), ("advice", "advice_backlog"))
COUNCIL_WIDE_CHARTS: tuple[Chart, ...] = (
    Chart("panel_counts", "bar", "count", ("panel_referrals_received", "panel_decided")),
    Chart("panel_rate", "line", "percent", ("panel_approval_rate",)),
    Chart("panel_cost", "bar", "money", ("panel_cost_requested_approved_pence", "panel_cost_agreed_pence")),
    Chart("panel_days", "line", "days", ("panel_mean_days_to_decision",)),
    Chart("placements_active", "line", "count", ("placements_active",)),
    Chart("placements_spend", "line", "money", ("placements_committed_annual_pence",)),
    Chart("placements_savings", "line", "money", ("placements_savings_pence",)),
    Chart("placements_deductions", "bar", "money", ("placements_deductions_applied_pence",)),
)

# --- The printable monthly report ----------------------------------------------------------------

REPORT_SUMMARY = FigureTable(
    "report_summary",
    "Figures for {period}, {scope}",
    (
        "requests_received",
        "requests_from_parents",
        "decisions_to_assess",
        "decisions_not_to_assess",
        "decisions_within_6_weeks",
        "plans_issued",
        "plans_issued_within_20_weeks",
        "plans_issued_excluding_exceptions",
        "plans_issued_within_20_weeks_excluding_exceptions",
        "not_issue_decisions",
        "not_issue_decisions_within_16_weeks",
        "refusal_rate",
        "refusal_rate_rolling_12_months",
    ),
)
# One row per district: the caption names {period}; the columns are figures.
REPORT_DISTRICTS = SeriesTable(
    "report_districts",
    "Figures for {period} by district",
    ("requests_received", "decisions_to_assess", "decisions_not_to_assess", "plans_issued", "refusal_rate"),
    period_header="District",
)
REPORT_YEAR = FigureTable(
    "report_year",
    "Calendar year {period} on the DfE basis, {scope} (as last computed)",
    (
        "requests_received",
        "requests_decided_not_to_assess",
        "refusal_rate_dfe",
        "plans_issued",
        "pc_plans_issued_within_20_weeks",
        "pc_plans_issued_within_20_weeks_excluding_exceptions",
        "plans_maintained",
    ),
    DEFINITIONS["refusal_rate_dfe"],
)
REPORT_BACKLOG = FigureTable(
    "report_backlog",
    "Backlog on {day}, {scope}",
    (
        "open_requests",
        "decisions_overdue",
        f"advice_outstanding.{AdviserType.EDUCATIONAL_PSYCHOLOGY}",
        f"advice_overdue.{AdviserType.EDUCATIONAL_PSYCHOLOGY}",
    ),
)
REPORT_PANEL: tuple[FigureTable, ...] = (
    FigureTable(
        "report_panel",
        "Referrals to the placement panel and its decisions, {period}",
        _PANEL_FIGURES,
        _PANEL_DESCRIPTION,
        service="panel",
    ),
    FigureTable(
        "report_panel_outcomes",
        "Panel decisions by outcome, {period}",
        _OUTCOMES,
        OUTCOMES_DESCRIPTION,
        headers=("Outcome", "Decisions"),
        service="panel",
    ),
    FigureTable(
        "report_panel_cost",
        "Annual cost requested and agreed at the panel, {period}",
        _PANEL_COST,
        _PANEL_COST_DESCRIPTION,
        service="panel",
    ),
)
REPORT_PLACEMENTS: tuple[FigureTable, ...] = (
    FigureTable(
        "report_placements",
        "Independent placements on {day}",
        _PLACEMENTS,
        _PANEL["placements_in_place"],
        service="placements",
    ),
    FigureTable(
        "report_placements_deductions",
        "Attendance deductions on independent placements, {period}",
        _DEDUCTIONS,
        _DEDUCTIONS_DESCRIPTION,
        service="placements",
    ),
)


# --- Comparisons and the figures the dashboard showed only in the API (issue 16) -------------------

EP_ADVICE_TABLE = SeriesTable(
    "ep_advice",
    "Educational psychology advice returned each month, and within 6 weeks",
    (
        "advice_returned.educational_psychology",
        "advice_returned_within_6_weeks.educational_psychology",
        "pc_ep_advice_within_6_weeks",
    ),
    "Advice from the educational psychology service received in the month; within 6 weeks means no more "
    "than 6 weeks after it was asked for (reg 8).",
)
ANNUAL_TIMELINESS_TABLE = SeriesTable(
    "annual_twenty_weeks",
    "Final plans issued in each calendar year within 20 weeks, including and excluding exceptions (DfE basis)",
    (
        "plans_issued",
        "plans_issued_within_20_weeks",
        "pc_plans_issued_within_20_weeks",
        "plans_issued_excluding_exceptions",
        "plans_issued_within_20_weeks_excluding_exceptions",
        "pc_plans_issued_within_20_weeks_excluding_exceptions",
    ),
    _described(DEFINITIONS["plans_issued_within_20_weeks"], DEFINITIONS["excluding_exceptions"]),
    period_header="Year",
)
COMPARISON_DESCRIPTION = (
    "A count over several months is the sum of their counts; a share is worked out from those sums. "
    "'No data' means a month of that period has no stored figures."
)
