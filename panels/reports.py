"""Panel figures for the dashboard and the reporting issue: aggregate queries only, no loops
over rows in Python.

Definitions (label them wherever they are shown):

- **Referrals received**: referrals with ``referred_on`` in the period.
- **Decided**: agenda items given a *final* outcome (approve, approve with conditions,
  decline) at meetings held in the period. The meeting day is the decision day. Deferrals and
  requests for more information are counted in ``by_outcome`` but are not decisions on the
  request, so they do not dilute the approval rate.
- **Approval rate**: (approve + approve with conditions) ÷ decided; ``None`` when nothing was
  decided.
- **Cost requested / agreed**: over the approvals in the period, the requested annual cost
  (the referral's cost lines when decided) and the agreed annual ceiling, in pence; and the
  requested cost over all final decisions, for the "asked for vs granted" view.
- **Days from referral to decision**: the meeting day of the final decision minus the
  referral's ``referred_on`` (a deferred referral counts its whole wait). The mean is an
  ``AVG`` on both databases; the median uses PostgreSQL's ``percentile_cont`` and is ``None``
  on SQLite, which has no ordered-set aggregate (the embedded development database only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum

from panels import workflow
from panels.models import PanelDecision, Referral

FINAL = Q(outcome__in=sorted(o.value for o in workflow.FINAL_OUTCOMES))
APPROVED = Q(outcome__in=sorted(o.value for o in workflow.APPROVALS))


class _Median(Aggregate):
    """PostgreSQL ``percentile_cont(0.5)``: the median (interpolated) of an interval."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


@dataclass(frozen=True)
class PanelFigures:
    date_from: date
    date_to: date
    referrals_received: int
    decided: int
    approved: int
    approval_rate: float | None
    cost_requested_pence: int  # all final decisions
    cost_requested_approved_pence: int  # approvals only
    cost_agreed_pence: int  # approvals only: the agreed ceilings
    mean_days_to_decision: float | None
    median_days_to_decision: float | None  # PostgreSQL only
    by_outcome: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()}


def _days(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 86400, 1)


def panel_figures(*, date_from: date, date_to: date) -> PanelFigures:
    """The panel's figures for referrals made and decisions taken between the dates
    (inclusive). Two queries."""
    received = Referral.objects.filter(referred_on__gte=date_from, referred_on__lte=date_to).count()
    wait = ExpressionWrapper(
        F("item__meeting__held_on") - F("item__referral__referred_on"), output_field=DurationField()
    )
    aggregates: dict[str, Any] = {
        "decided": Count("pk", filter=FINAL),
        "approved": Count("pk", filter=APPROVED),
        "cost_requested": Sum("requested_annual_cost_pence", filter=FINAL),
        "cost_requested_approved": Sum("requested_annual_cost_pence", filter=APPROVED),
        "cost_agreed": Sum("agreed_annual_ceiling_pence", filter=APPROVED),
        "mean_wait": Avg(wait, filter=FINAL),
        **{f"outcome_{o.value}": Count("pk", filter=Q(outcome=o.value)) for o in workflow.DecisionOutcome},
    }
    if connection.vendor == "postgresql":
        aggregates["median_wait"] = _Median(wait, filter=FINAL)
    row = PanelDecision.objects.decided_between(date_from, date_to).aggregate(**aggregates)
    decided, approved = row["decided"], row["approved"]
    return PanelFigures(
        date_from=date_from,
        date_to=date_to,
        referrals_received=received,
        decided=decided,
        approved=approved,
        approval_rate=round(approved / decided, 4) if decided else None,
        cost_requested_pence=row["cost_requested"] or 0,
        cost_requested_approved_pence=row["cost_requested_approved"] or 0,
        cost_agreed_pence=row["cost_agreed"] or 0,
        mean_days_to_decision=_days(row["mean_wait"]),
        median_days_to_decision=_days(row.get("median_wait")),
        by_outcome={o.value: row[f"outcome_{o.value}"] for o in workflow.DecisionOutcome},
    )


# --- The case lists behind the figures -----------------------------------------------------------

# The figure each name stands for, so every panel number on a page can link to its rows:
# referrals for ``referrals_received``, decisions for the rest (``outcome.<code>`` for one
# outcome, deferrals included). Each list is the queryset the count above aggregates, filtered
# by the same ``Q``, so ``cases_for(...).count()`` equals the figure for the same data.
CASE_METRICS: tuple[str, ...] = (
    "referrals_received",
    "decided",
    "approved",
    *(f"outcome.{o.value}" for o in workflow.DecisionOutcome),
)


def cases_for(metric: str, *, date_from: date, date_to: date) -> QuerySet[Any]:
    """The rows behind a panel figure for the dates (inclusive): ``referrals_received`` is a
    ``Referral`` queryset; ``decided`` (also behind the requested cost and the days to
    decision), ``approved`` (behind the agreed ceilings) and ``outcome.<code>`` are
    ``PanelDecision`` querysets. Raises ``ValueError`` for any other name."""
    if metric == "referrals_received":
        return Referral.objects.filter(referred_on__gte=date_from, referred_on__lte=date_to)
    decisions = PanelDecision.objects.decided_between(date_from, date_to)
    if metric == "decided":
        return decisions.filter(FINAL)
    if metric == "approved":
        return decisions.filter(APPROVED)
    if metric in CASE_METRICS:
        return decisions.filter(Q(outcome=metric.removeprefix("outcome.")))
    raise ValueError(f"Unknown panel figure {metric!r}; use one of {', '.join(CASE_METRICS)}")
