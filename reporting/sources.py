"""Panel and placement figures as the dashboard composes them (docs/domain.md §5, ADR 0005).

The apps define the figures (``panels.reports.panel_figures``/``cases_for``,
``placements.reports.placement_figures``/``purchasing_power``/``contracts_for``); this module
only names them for the snapshots, a month or a day at a time, and maps each stored name back
to the app's case list. ``services.FIGURE_SOURCES`` lists them beside the request figures.

Stored names are prefixed ``panel_`` and ``placements_`` so they cannot clash with the request
figures (the merge raises if they do).

**Council-wide only.** The panel and placement report functions take no district, so these
figures are stored on the all-districts rows only: for a district scope the sources return
``{}`` and the case lists refuse a district (``CouncilWideOnly``). The API gives ``null`` for
them on a district's row, and the dashboard says so when a district is chosen.

Monthly (as stored on ``MonthlyMetric``):

- ``panel_referrals_received``: referrals with ``referred_on`` in the month.
- ``panel_decided`` / ``panel_approved``: final decisions / approvals (approve, approve with
  conditions) at meetings held in the month; ``panel_decisions.outcome.<code>`` counts every
  outcome, deferrals and requests for more information included.
- ``panel_cost_requested_pence``: requested annual cost over the final decisions;
  ``panel_cost_requested_approved_pence`` and ``panel_cost_agreed_pence``: requested cost and
  agreed annual ceiling over the approvals.
- ``panel_days_to_decision_sum`` / ``_count``: days from referral to the meeting of the final
  decision, summed over the final decisions, and how many (so a mean over any run of months
  is sum ÷ count). The median is not stored.
- ``placements_active``, ``placements_committed_annual_pence``, ``placements_savings_pence``:
  contracts in place on the last day of the month, their agreed annual cost and quoted − agreed.
- ``placements_deductions_applied_pence``: confirmed deductions on returns for periods ending
  in the month; ``placements_returns_below_threshold``: returns for periods ending in the month
  that carry a deduction, whatever its status. Their case lists are the contracts those
  deductions and returns belong to (a contract with two such returns in a month is listed once).

Daily (``BacklogSnapshot``, "as at" the day): the three in-place figures on the day, and
``placements_deductions_applied_pence`` as confirmed deductions for periods ending on or before
the day (to date).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import DurationField, ExpressionWrapper, F, QuerySet, Sum

from panels import reports as panel_reports
from panels import workflow as panel_workflow
from placements import reports as placement_reports
from requests_app.reports import percent

PANEL_PREFIX = "panel_"
PLACEMENTS_PREFIX = "placements_"
OUTCOMES: list[str] = [o.value for o in panel_workflow.DecisionOutcome]
OUTCOME_LABELS: dict[str, str] = {o.value: o.label for o in panel_workflow.DecisionOutcome}


class CouncilWideOnly(ValueError):
    """A district was asked for a figure kept for the whole council only."""


def month_end(month_start: date) -> date:
    first_next = (
        date(month_start.year + 1, 1, 1)
        if month_start.month == 12
        else date(month_start.year, month_start.month + 1, 1)
    )
    return first_next - timedelta(days=1)


# --- Panel ---------------------------------------------------------------------------------------

# Stored name -> (panels.reports.cases_for name, label on the case list).
PANEL_METRICS: dict[str, tuple[str, str]] = {
    "panel_referrals_received": ("referrals_received", "Referrals to the placement panel"),
    "panel_decided": ("decided", "Panel decisions (approved or declined)"),
    "panel_approved": ("approved", "Panel approvals"),
    "panel_cost_requested_pence": ("decided", "Panel decisions: annual cost requested"),
    "panel_cost_requested_approved_pence": ("approved", "Panel approvals: annual cost requested"),
    "panel_cost_agreed_pence": ("approved", "Panel approvals: agreed annual ceilings"),
    "panel_days_to_decision_sum": ("decided", "Panel decisions: days from referral to decision"),
    "panel_days_to_decision_count": ("decided", "Panel decisions: days from referral to decision"),
    **{
        f"panel_decisions.outcome.{code}": (f"outcome.{code}", f"Panel decisions: {label.lower()}")
        for code, label in OUTCOME_LABELS.items()
    },
}

# Days from referral to the meeting of the decision: the same difference panel_figures averages.
_WAIT = ExpressionWrapper(F("item__meeting__held_on") - F("item__referral__referred_on"), output_field=DurationField())


def panel_monthly(*, month_start: date, district_id: int | None = None) -> dict[str, Any]:
    """The month's panel figures (all districts only). Three queries."""
    if district_id is not None:
        return {}
    first, last = month_start, month_end(month_start)
    found = panel_reports.panel_figures(date_from=first, date_to=last)
    waited = panel_reports.cases_for("decided", date_from=first, date_to=last).aggregate(total=Sum(_WAIT))["total"]
    return {
        "panel_referrals_received": found.referrals_received,
        "panel_decided": found.decided,
        "panel_approved": found.approved,
        **{f"panel_decisions.outcome.{code}": found.by_outcome.get(code, 0) for code in OUTCOMES},
        "panel_cost_requested_pence": found.cost_requested_pence,
        "panel_cost_requested_approved_pence": found.cost_requested_approved_pence,
        "panel_cost_agreed_pence": found.cost_agreed_pence,
        "panel_days_to_decision_sum": waited.days if waited is not None else 0,
        "panel_days_to_decision_count": found.decided,
    }


def is_panel_metric(metric: str) -> bool:
    return metric in PANEL_METRICS


def panel_cases_for(
    metric: str,
    *,
    month_start: date | None = None,
    year: int | None = None,
    on: date | None = None,
    district_id: int | None = None,
) -> QuerySet[Any]:
    """The referrals or decisions behind a stored panel figure of a month."""
    if metric not in PANEL_METRICS:
        raise LookupError(metric)
    if district_id is not None:
        raise CouncilWideOnly(metric)
    if month_start is None:
        raise ValueError(f"{metric} needs month_start")
    name = PANEL_METRICS[metric][0]
    return panel_reports.cases_for(name, date_from=month_start, date_to=month_end(month_start))


# --- Placements ----------------------------------------------------------------------------------

# Stored name -> (placements.reports.contracts_for name, label on the case list).
PLACEMENT_METRICS: dict[str, tuple[str, str]] = {
    "placements_active": ("pupils", "Independent placements in place"),
    "placements_committed_annual_pence": ("committed", "Independent placements: committed annual spend"),
    "placements_savings_pence": ("savings", "Independent placements: savings from negotiation"),
    "placements_deductions_applied_pence": ("deductions", "Independent placements: attendance deductions applied"),
    "placements_returns_below_threshold": ("returns_below", "Independent placements: returns below threshold"),
}
_IN_PLACE = ("pupils", "committed", "savings")


def placements_monthly(*, month_start: date, district_id: int | None = None) -> dict[str, Any]:
    """As at the month's last day, and the deductions of returns ending in the month (all
    districts only). Three queries: the deductions summed over every provider at once."""
    if district_id is not None:
        return {}
    last = month_end(month_start)
    found = placement_reports.placement_figures(on=last)
    deductions, returns_below = placement_reports.deduction_totals(date_from=month_start, date_to=last)
    return {
        "placements_active": found.active_placements,
        "placements_committed_annual_pence": found.committed_annual_pence,
        "placements_savings_pence": found.savings_pence,
        "placements_deductions_applied_pence": deductions,
        "placements_returns_below_threshold": returns_below,
    }


def placements_backlog(*, on: date, district_id: int | None = None) -> dict[str, Any]:
    """As at ``on`` (the nightly snapshot: today), all districts only. Two queries."""
    if district_id is not None:
        return {}
    found = placement_reports.placement_figures(on=on)
    return {
        "placements_active": found.active_placements,
        "placements_committed_annual_pence": found.committed_annual_pence,
        "placements_savings_pence": found.savings_pence,
        "placements_deductions_applied_pence": found.deductions_applied_pence,
    }


def is_placement_metric(metric: str) -> bool:
    return metric in PLACEMENT_METRICS


def placement_cases_for(
    metric: str,
    *,
    month_start: date | None = None,
    year: int | None = None,
    on: date | None = None,
    district_id: int | None = None,
) -> QuerySet[Any]:
    """The contracts behind a stored placement figure: of a month (``month_start``: in place on
    its last day, or deductions and returns for periods ending in it) or a day (``on``: in
    place on the day, or deductions for periods ending on or before it)."""
    if metric not in PLACEMENT_METRICS:
        raise LookupError(metric)
    if district_id is not None:
        raise CouncilWideOnly(metric)
    name = PLACEMENT_METRICS[metric][0]
    if month_start is not None:
        last = month_end(month_start)
        if name in _IN_PLACE:
            return placement_reports.contracts_for(name, on=last)
        return placement_reports.contracts_for(name, date_from=month_start, date_to=last)
    if on is not None and name != "returns_below":
        if name in _IN_PLACE:
            return placement_reports.contracts_for(name, on=on)
        return placement_reports.contracts_for(name, date_to=on)
    raise ValueError(f"{metric} needs month_start" + ("" if name == "returns_below" else " or on"))


# --- Reading the stored figures ------------------------------------------------------------------


def metric_label(metric: str) -> str | None:
    found = PANEL_METRICS.get(metric) or PLACEMENT_METRICS.get(metric)
    return found[1] if found else None


def case_note(metric: str, where: dict[str, Any]) -> str:
    """What the list is, in words, where the period alone would not say it."""
    if metric in PLACEMENT_METRICS:
        name = PLACEMENT_METRICS[metric][0]
        month, on = where.get("month_start"), where.get("on")
        if name in _IN_PLACE:
            day = month_end(month) if month else on
            return f"The contracts in place on {day:%-d %B %Y}." if day else ""
        if name == "deductions":
            what = "with a confirmed attendance deduction on a return for a period ending"
        else:
            what = "with an attendance return below its threshold for a period ending"
        return f"The contracts {what} {'in the month' if month else 'on or before the day'}."
    if metric.startswith(PANEL_PREFIX):
        if metric == "panel_referrals_received":
            return "Referrals dated in the month."
        return "Decisions taken at panel meetings held in the month (the meeting day is the decision day)."
    return ""


def _round1(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def monthly_extras(data: dict[str, Any]) -> dict[str, Any]:
    """The panel and placement fields of a stored month, ``None`` where the row has none (a
    district's row, or a month stored before these figures existed)."""
    extras: dict[str, Any] = {}
    for name in (
        "panel_referrals_received",
        "panel_decided",
        "panel_approved",
        "panel_cost_requested_pence",
        "panel_cost_requested_approved_pence",
        "panel_cost_agreed_pence",
        "panel_days_to_decision_sum",
        "panel_days_to_decision_count",
        *PLACEMENT_METRICS,
    ):
        extras[name] = data.get(name)
    has_panel = extras["panel_decided"] is not None
    extras["panel_approval_rate"] = percent(extras["panel_approved"], extras["panel_decided"]) if has_panel else None
    extras["panel_mean_days_to_decision"] = (
        _round1(extras["panel_days_to_decision_sum"] or 0, extras["panel_days_to_decision_count"] or 0)
        if has_panel
        else None
    )
    extras["panel_decisions_by_outcome"] = (
        {code: data.get(f"panel_decisions.outcome.{code}", 0) for code in OUTCOMES} if has_panel else None
    )
    return extras


DEFINITIONS: dict[str, str] = {
    "panel_referrals_received": "Referrals to the placement panel dated in the month.",
    "panel_decided": (
        "Final decisions (approved, approved with conditions, declined) at panel meetings held in the month; "
        "deferrals and requests for more information are not decisions."
    ),
    "panel_approved": "Of those, approved or approved with conditions.",
    "panel_approval_rate": "Approved ÷ decided × 100, one decimal; null when nothing was decided.",
    "panel_cost": (
        "Annual costs in pence: requested over all final decisions, and requested and agreed (the ceiling) "
        "over the approvals."
    ),
    "panel_days_to_decision": (
        "Days from the referral to the meeting of its final decision (a deferred referral counts its whole "
        "wait), summed over the month's final decisions; the mean is the sum ÷ the count, one decimal."
    ),
    "placements_in_place": (
        "Independent placements in place on the last day of the month (fees agreed, started, not yet "
        "finished), their agreed annual cost, and quoted − agreed annual cost (the saving from negotiation)."
    ),
    "placements_deductions": (
        "Confirmed attendance deductions, in pence, on returns for periods ending in the month; and the "
        "returns ending in the month below their clause's threshold (with a deduction of any status)."
    ),
    "council_wide": "Panel and placement figures are kept for the whole council only, not by district.",
}
