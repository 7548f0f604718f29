"""Reading the stored snapshots: the figures the API and the pages show, defined once.

Everything here reads ``MonthlyMetric``/``AnnualMetric``/``BacklogSnapshot`` rows (a fixed
number of queries, whatever the number of requests) and derives rates from their counts.
A month with no snapshot is left out of the API's list and shown as a gap on the page: the
figures are never computed on demand, so the page is equally fast at any data size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from django.db.models import Q

from core.db_router import reporting_reads
from core.models import NeedType, StaleMonth
from reporting import sources as roof_sources
from reporting.models import AnnualMetric, BacklogSnapshot, MonthlyMetric
from reporting.services import months_between
from requests_app.models import AdviserType, RequestSource
from requests_app.reports import AGE_BANDS, BACKLOG_AGE_BAND_LABELS, BACKLOG_AGE_BANDS, metric_label, percent
from requests_app.workflow import STATUS_LABELS, Status

# The monthly API's contract (docs/domain.md §5): these names never change.
MONTHLY_COUNTS: tuple[str, ...] = (
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
    # Beyond the contract: all decisions whether to assess (to + not), the 6-week denominator.
    "decisions_made",
)
ANNUAL_COUNTS: tuple[str, ...] = (
    "requests_received",
    "requests_decided_to_assess",
    "requests_decided_not_to_assess",
    "requests_decision_not_made",
    "requests_withdrawn",
    "requests_decided_within_6_weeks",
    "plans_issued",
    "plans_issued_within_20_weeks",
    "plans_issued_excluding_exceptions",
    "plans_issued_within_20_weeks_excluding_exceptions",
    "not_issue_decisions",
    "not_issue_decisions_within_16_weeks",
)
ROLLING_MONTHS = 12
# Open statuses in the order a request moves through them.
OPEN_STAGES: list[str] = [status.value for status in Status if status.is_open]

# Plain-English definitions shown beside the figures (and in the API schema).
DEFINITIONS: dict[str, str] = {
    "refusal_rate": (
        "Decision basis (the council's monthly measure): decisions not to assess dated in the month ÷ "
        "all decisions whether to assess dated in the month × 100. Withdrawals are not decisions."
    ),
    "refusal_rate_rolling_12_months": (
        "The same, over the 12 months ending with the month; shown only when all 12 months are stored."
    ),
    "refusal_rate_dfe": (
        "DfE basis (requests.csv): requests received in the year that were refused ÷ all requests received "
        "in the year × 100, by each request's outcome now."
    ),
    "plans_maintained": (
        "SEN2's caseload: final plans issued on or before the January census day of the year (the third "
        "Thursday of January) and not ceased by that day, counted on that day, not today."
    ),
    "decisions_within_6_weeks": "Decisions dated in the month made no more than 42 days after the request (reg 5).",
    "plans_issued_within_20_weeks": "Final plans issued in the month no more than 20 weeks after the request (reg 13).",
    "excluding_exceptions": (
        "Excluding exceptions: plans where an exception applied (week20) are left out of both counts."
    ),
    "not_issue_decisions_within_16_weeks": (
        "Decisions not to issue a plan made within 16 weeks of the request (reg 10)."
    ),
}
# --- How each figure is shown --------------------------------------------------------------------
#
# One entry per figure a page, a table, a chart or an export shows: its label (a column header,
# a row title or a chart legend), its unit, and what a linked number counts (read by screen
# readers after the number: "3 requests received in March 2025"). A request figure's label is the
# one its definition carries (``requests_app.reports``) unless a shorter one is given here; the
# panel's and placements' labels are written here. The table and chart layouts in
# ``reporting/layouts.py`` name figures by key, so each label is written once.

Unit = Literal["count", "percent", "money", "decimal"]


@dataclass(frozen=True)
class Figure:
    key: str  # the stored (or derived) field, and the metric name its case list is asked for by
    title: str = ""  # "" for the label of the figure's definition (requests_app.reports)
    unit: Unit = "count"
    says: str = ""  # what a linked number counts, where that is not the label in lower case
    # A rate derived from a period's counts: (numerator, denominators summed), × 100, one decimal.
    share_of: tuple[str, tuple[str, ...]] | None = None

    @property
    def label(self) -> str:
        return self.title or metric_label(self.key)

    @property
    def header(self) -> str:
        """The label as a column or row header: money says it is in pounds."""
        return f"{self.label} (£)" if self.unit == "money" else self.label

    @property
    def linked(self) -> bool:
        """Counts and sums of money link to the cases behind them; rates and means do not."""
        return self.unit in ("count", "money")

    @property
    def counts(self) -> str:
        return self.says or self.label.lower()

    def value(self, found: dict[str, Any] | None) -> Any:
        """The figure in one period's figures; None where nothing is stored."""
        if found is None:
            return None
        if self.key.startswith(OUTCOME_PREFIX):
            by_outcome = found.get("panel_decisions_by_outcome")
            return None if by_outcome is None else by_outcome.get(self.key.removeprefix(OUTCOME_PREFIX), 0)
        if self.key not in found and self.share_of is not None:
            numerator, denominators = self.share_of
            return percent(found.get(numerator, 0), sum(found.get(name, 0) for name in denominators))
        return found.get(self.key)


OUTCOME_PREFIX = "panel_decisions.outcome."
_DECISIONS = ("decisions_to_assess", "decisions_not_to_assess")


def _figures(*entries: Figure) -> dict[str, Figure]:
    return {entry.key: entry for entry in entries}


def _share(key: str, title: str, numerator: str, *denominators: str) -> Figure:
    return Figure(key, title, "percent", share_of=(numerator, denominators))


FIGURES: dict[str, Figure] = _figures(
    # Requests, decisions and plans, by month (MonthlyMetric) or calendar year (AnnualMetric).
    Figure("requests_received"),
    Figure("requests_from_parents"),
    _share("pc_requests_from_parents", "Parents' share", "requests_from_parents", "requests_received"),
    Figure("decisions_made"),
    Figure("decisions_to_assess"),
    Figure("decisions_not_to_assess"),
    _share("refusal_rate", "Refusal rate (decision basis)", "decisions_not_to_assess", *_DECISIONS),
    Figure("refusal_rate_rolling_12_months", "Refusal rate, rolling 12 months", "percent"),
    Figure("decisions_within_6_weeks"),
    _share("pc_decisions_within_6_weeks", "Share of decisions within 6 weeks", "decisions_within_6_weeks", *_DECISIONS),
    Figure("not_issue_decisions"),
    Figure("not_issue_decisions_within_16_weeks"),
    _share(
        "pc_not_issue_decisions_within_16_weeks",
        "Share of decisions not to issue within 16 weeks",
        "not_issue_decisions_within_16_weeks",
        "not_issue_decisions",
    ),
    Figure("plans_issued"),
    Figure("plans_issued_within_20_weeks"),
    _share(
        "pc_plans_issued_within_20_weeks",
        "Share of plans within 20 weeks",
        "plans_issued_within_20_weeks",
        "plans_issued",
    ),
    Figure("plans_issued_excluding_exceptions"),
    Figure("plans_issued_within_20_weeks_excluding_exceptions"),
    _share(
        "pc_plans_issued_within_20_weeks_excluding_exceptions",
        "Share of plans within 20 weeks, excluding exceptions",
        "plans_issued_within_20_weeks_excluding_exceptions",
        "plans_issued_excluding_exceptions",
    ),
    # Educational psychology advice returned in the month, and within 6 weeks (reg 8).
    Figure("advice_returned.educational_psychology", "EP advice returned"),
    Figure("advice_returned_within_6_weeks.educational_psychology", "EP advice returned within 6 weeks"),
    _share(
        "pc_ep_advice_within_6_weeks",
        "Share of EP advice within 6 weeks",
        "advice_returned_within_6_weeks.educational_psychology",
        "advice_returned.educational_psychology",
    ),
    # Of the requests received in a calendar year, by their outcome now (a column of its own table).
    Figure("requests_decided_to_assess", "Decided to assess"),
    Figure("requests_decided_not_to_assess", "Refused to assess"),
    Figure("requests_decision_not_made", "No decision yet"),
    Figure("requests_withdrawn", "Withdrawn"),
    Figure("refusal_rate_dfe", "Refusal rate (DfE basis)", "percent"),
    # The caseload on the year's January census day (SEN2 convention), stored with the year.
    Figure("plans_maintained", "Plans maintained at the January census", says="plans maintained at the census"),
    # The backlog on a day (BacklogSnapshot); a band or a stage is a row of its own table.
    Figure("open_requests"),
    *(
        Figure(f"open_requests.age.{band}", label, says=metric_label(f"open_requests.age.{band}").lower())
        for band, label in BACKLOG_AGE_BAND_LABELS.items()
    ),
    *(
        Figure(
            f"open_requests.stage.{stage}",
            STATUS_LABELS[Status(stage)],
            says=metric_label(f"open_requests.stage.{stage}").lower(),
        )
        for stage in OPEN_STAGES
    ),
    Figure("decisions_overdue"),
    Figure("advice_outstanding"),
    Figure("advice_overdue"),
    *(Figure(f"advice_{state}.{value}") for value in AdviserType.values for state in ("outstanding", "overdue")),
    # The placement panel (council-wide; sources.py).
    Figure("panel_referrals_received", "Referrals received", says="referrals to the panel"),
    Figure("panel_decided", "Final decisions", says="panel decisions"),
    Figure("panel_approved", "Approved", says="panel approvals"),
    Figure("panel_approval_rate", "Approval rate", "percent"),
    Figure("panel_mean_days_to_decision", "Mean days from referral to decision", "decimal"),
    *(
        Figure(f"{OUTCOME_PREFIX}{code}", label, says=f"panel decisions: {label.lower()}")
        for code, label in roof_sources.OUTCOME_LABELS.items()
    ),
    Figure(
        "panel_cost_requested_pence",
        "Requested, all final decisions",
        "money",
        says="annual cost requested, all panel decisions",
    ),
    Figure(
        "panel_cost_requested_approved_pence",
        "Requested, approvals",
        "money",
        says="annual cost requested, panel approvals",
    ),
    Figure(
        "panel_cost_agreed_pence", "Agreed ceilings, approvals", "money", says="agreed annual ceilings, panel approvals"
    ),
    # Independent placements (council-wide; sources.py).
    Figure("placements_active", "Placements in place", says="independent placements in place"),
    Figure("placements_committed_annual_pence", "Committed annual spend", "money"),
    Figure("placements_savings_pence", "Savings from negotiation", "money"),
    Figure("placements_deductions_applied_pence", "Deductions applied", "money", says="attendance deductions applied"),
    Figure("placements_returns_below_threshold", "Returns below threshold", says="attendance returns below threshold"),
)

# The printed report's definitions, each titled by its figure's label.
DEFINITION_TITLES: dict[str, str] = {
    key: FIGURES[key].label if key in FIGURES else "Excluding exceptions" for key in DEFINITIONS
}


def refusal_rate(data: dict[str, Any]) -> float | None:
    """Decision basis: not ÷ (to + not) × 100, one decimal; None when no decisions."""
    refused = data.get("decisions_not_to_assess", 0)
    return percent(refused, refused + data.get("decisions_to_assess", 0))


def month_label(month: date) -> str:
    return f"{month:%B %Y}"


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _breakdown(data: dict[str, Any], prefix: str, keys: list[str]) -> dict[str, int]:
    return {key: data.get(f"{prefix}.{key}", 0) for key in keys}


def monthly_figures(month: date, data: dict[str, Any], *, rolling: float | None, computed_at: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {"month": f"{month:%Y-%m}"}
    figures.update({name: data.get(name, 0) for name in MONTHLY_COUNTS})
    figures["refusal_rate"] = refusal_rate(data)
    figures["refusal_rate_rolling_12_months"] = rolling
    figures["requests_by_source"] = _breakdown(data, "requests_received.source", RequestSource.values)
    figures["requests_by_primary_need"] = _breakdown(data, "requests_received.need", NeedType.values)
    figures["requests_by_age_band"] = _breakdown(data, "requests_received.age", list(AGE_BANDS))
    figures["advice_returned"] = {
        adviser: {
            "returned": data.get(f"advice_returned.{adviser}", 0),
            "within_6_weeks": data.get(f"advice_returned_within_6_weeks.{adviser}", 0),
        }
        for adviser in AdviserType.values
    }
    # The EP advice figures by their metric names, for the tables (the API nests them above).
    for name in ("advice_returned", "advice_returned_within_6_weeks"):
        key = f"{name}.{AdviserType.EDUCATIONAL_PSYCHOLOGY.value}"
        figures[key] = data.get(key, 0)
    # Beyond the contract: the panel and placement fields (None on a district's row).
    figures.update(roof_sources.monthly_extras(data))
    figures["computed_at"] = computed_at
    return figures


@dataclass
class MonthlySeries:
    """Every month in a range with its figures, or None where no snapshot is stored."""

    months: list[date]
    figures: list[dict[str, Any] | None]

    @property
    def present(self) -> list[dict[str, Any]]:
        return [f for f in self.figures if f is not None]

    @property
    def as_at(self) -> datetime | None:
        """When the oldest of the range's stored figures was computed ("figures as at")."""
        return as_at(self.figures)

    @property
    def stale(self) -> list[date]:
        """The range's stored months marked stale since they were computed."""
        return [m for m, f in zip(self.months, self.figures, strict=True) if f is not None and f.get("stale")]


def as_at(found: Iterable[dict[str, Any] | None]) -> datetime | None:
    """The earliest ``computed_at`` of some figure sets: the figures are as at that time at least."""
    times = [f["computed_at"] for f in found if f is not None and f.get("computed_at") is not None]
    return min(times) if times else None


def _stale_set(first: date, last: date) -> set[date]:
    """The months from ``first`` to ``last`` marked stale (core.staleness), one query."""
    return set(StaleMonth.objects.filter(month__gte=first, month__lte=last).values_list("month", flat=True))


def _scope(district_id: int | None) -> Q:
    """The rows of one district, or the all-districts rows (district null) for None."""
    return Q(district__isnull=True) if district_id is None else Q(district_id=district_id)


def monthly_series(*, from_month: date, to_month: date, district_id: int | None) -> MonthlySeries:
    """One query: the range's snapshots plus the 11 months before (for the rolling rate)."""
    months = months_between(from_month, to_month)
    with reporting_reads():  # evaluated here: a queryset picks its database when it runs
        rows = list(
            MonthlyMetric.objects.filter(
                _scope(district_id), month__gte=add_months(from_month, 1 - ROLLING_MONTHS), month__lte=to_month
            ).only("month", "data", "computed_at")
        )
        stale = _stale_set(from_month, to_month)
    stored = {row.month: row for row in rows}
    figures: list[dict[str, Any] | None] = []
    for month in months:
        row = stored.get(month)
        if row is None:
            figures.append(None)
            continue
        window = [stored.get(add_months(month, -i)) for i in range(ROLLING_MONTHS)]
        rolling = None
        if all(window):
            refused = sum(r.data.get("decisions_not_to_assess", 0) for r in window if r)
            agreed = sum(r.data.get("decisions_to_assess", 0) for r in window if r)
            rolling = percent(refused, refused + agreed)
        found = monthly_figures(month, row.data, rolling=rolling, computed_at=row.computed_at)
        found["stale"] = month in stale
        figures.append(found)
    return MonthlySeries(months=months, figures=figures)


def annual_figures_for(years: list[int], *, district_id: int | None) -> dict[int, dict[str, Any]]:
    """One query: the stored annual figures of ``years`` (missing years are absent)."""
    result: dict[int, dict[str, Any]] = {}
    with reporting_reads():
        rows = list(AnnualMetric.objects.filter(_scope(district_id), year__in=years))
        stale_years = {
            m.year for m in _stale_set(date(min(years, default=2000), 1, 1), date(max(years, default=2000), 12, 1))
        }
    for row in rows:
        figures: dict[str, Any] = {"year": row.year}
        figures.update({name: row.data.get(name, 0) for name in ANNUAL_COUNTS})
        figures["refusal_rate_dfe"] = percent(figures["requests_decided_not_to_assess"], figures["requests_received"])
        figures["pc_plans_issued_within_20_weeks"] = percent(
            figures["plans_issued_within_20_weeks"], figures["plans_issued"]
        )
        figures["pc_plans_issued_within_20_weeks_excluding_exceptions"] = percent(
            figures["plans_issued_within_20_weeks_excluding_exceptions"], figures["plans_issued_excluding_exceptions"]
        )
        figures["computed_at"] = row.computed_at
        # A year's figures are recomputed with any of its months: stale while one of them is.
        figures["stale"] = row.year in stale_years
        result[row.year] = figures
    return result


def backlog_values(backlog: dict[str, Any]) -> dict[str, Any]:
    """A backlog's figures by metric name (``FIGURES`` keys), from ``backlog_figures``'s shape."""
    values: dict[str, Any] = {
        "open_requests": backlog["open_requests"],
        "decisions_overdue": backlog["decisions_overdue"],
        "advice_outstanding": backlog["advice_outstanding"],
        "advice_overdue": backlog["advice_overdue"],
    }
    values.update({f"open_requests.age.{band}": n for band, n in backlog["open_by_age_band"].items()})
    values.update({f"open_requests.stage.{stage}": n for stage, n in backlog["open_by_stage"].items()})
    for adviser, counts in backlog["advice_by_adviser_type"].items():
        values[f"advice_outstanding.{adviser}"] = counts["outstanding"]
        values[f"advice_overdue.{adviser}"] = counts["overdue"]
    return values


def backlog_figures(snapshot: BacklogSnapshot, *, district_id: int | None) -> dict[str, Any] | None:
    """A backlog snapshot for all districts or one (None if the district was not in it)."""
    data = snapshot.data if district_id is None else snapshot.data.get("districts", {}).get(str(district_id))
    if data is None:
        return None
    return {
        "date": snapshot.on.isoformat(),
        "open_requests": data.get("open_requests", 0),
        "open_by_stage": _breakdown(data, "open_requests.stage", OPEN_STAGES),
        "open_by_age_band": _breakdown(data, "open_requests.age", list(BACKLOG_AGE_BANDS)),
        "decisions_overdue": data.get("decisions_overdue", 0),
        "advice_outstanding": data.get("advice_outstanding", 0),
        "advice_overdue": data.get("advice_overdue", 0),
        "advice_by_adviser_type": {
            adviser: {
                "outstanding": data.get(f"advice_outstanding.{adviser}", 0),
                "overdue": data.get(f"advice_overdue.{adviser}", 0),
            }
            for adviser in AdviserType.values
        },
        "oldest_open_case": data.get("oldest_open_case"),
        "computed_at": snapshot.computed_at,
    }
