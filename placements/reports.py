"""Placement figures: what the council buys from each provider, at what price, and what the
attendance clauses recovered. Aggregate queries only; no loops over contract rows in Python.

Definitions (label them wherever they are shown):

- **In place on a date** (``PlacementContractQuerySet.in_place_on``): fees agreed (active, or
  since ended), started on or before the date and not finished before it.
- **Pupils placed**: contracts in place on the date (one per child and provider).
- **Committed annual spend**: the sum of the agreed annual cost of the contracts in place.
- **Average / lowest / highest annual cost per pupil**: over the contracts in place.
- **Negotiation savings**: quoted minus agreed annual cost, summed over the contracts in place
  (negative where more was agreed than first quoted).
- **Deductions applied**: confirmed deductions, in pence, on returns for periods ending in the
  reporting window (all time by default), whatever the contract's status now.
- **Returns below threshold**: returns in the window that carry a deduction, whatever its
  status (a deduction exists exactly while a return is below its clause's threshold).

Money is integer pence; averages and medians are rounded half up to the penny.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    F,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from placements import workflow
from placements.models import CostLine, Deduction, PlacementContract, Provider
from placements.versions import annual_cost_on_expression
from placements.workflow import DeductionStatus

__all__ = [
    "METRICS",
    "PROVIDER_COLUMNS",
    "PlacementFigures",
    "contracts_for",
    "line_benchmarks",
    "placement_figures",
    "purchasing_power",
    "purchasing_power_by_need",
]


class _Median(Aggregate):
    """PostgreSQL ``percentile_cont(0.5)``: the interpolated median."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _pence(value: Any) -> int | None:
    """An average or median from the database (float or Decimal) to whole pence, half up."""
    if value is None:
        return None
    return workflow.round_half_up(Decimal(str(value)))


# --- Benchmarks for one contract's lines ---------------------------------------------------------

# The annual agreed amount of a line, in SQL: the same product as workflow.annualise (exact for
# the whole number of periods the model stores).
AGREED_ANNUAL = F("agreed_amount_pence") * F("periods_per_year")


def line_benchmarks(*, contract: PlacementContract) -> dict[str, dict[str, int | None]]:
    """For each cost category on ``contract``: the median, lowest and highest annualised agreed
    amount of lines in that category at OTHER providers, on active contracts for children with
    the same primary need, and how many lines that is (``n``). Categories with no comparison
    have ``n`` 0 and ``None`` figures.

    Per line, not per contract: two therapy lines on one contract count as two. The count, min
    and max are one grouped query on any database. The median is ``percentile_cont`` in the
    same query on PostgreSQL; on SQLite (the embedded development database, which has no
    ordered-set aggregate) it is taken in Python over one ``values_list`` of the annual amounts
    of the few matching lines, which is the small per-category result, not the contracts.
    """
    categories = sorted(set(CostLine.objects.filter(contract=contract).values_list("category", flat=True)))
    comparable = CostLine.objects.filter(
        category__in=categories,
        agreed_amount_pence__isnull=False,
        contract__status=workflow.ContractStatus.ACTIVE,
        contract__child__primary_need=contract.child.primary_need,
    ).exclude(contract__provider_id=contract.provider_id)
    aggregates: dict[str, Any] = {
        "n": Count("pk"),
        "low": Min(AGREED_ANNUAL, output_field=IntegerField()),
        "high": Max(AGREED_ANNUAL, output_field=IntegerField()),
    }
    postgres = connection.vendor == "postgresql"
    if postgres:
        aggregates["median"] = _Median(AGREED_ANNUAL)
    grouped = {row["category"]: row for row in comparable.values("category").annotate(**aggregates).order_by()}
    result: dict[str, dict[str, int | None]] = {}
    for category in categories:
        row = grouped.get(category)
        if row is None:
            result[category] = {"median": None, "min": None, "max": None, "n": 0}
            continue
        if postgres:
            median = _pence(row["median"])
        else:
            amounts = list(
                comparable.filter(category=category).annotate(annual=AGREED_ANNUAL).values_list("annual", flat=True)
            )
            median = _pence(Decimal(str(statistics.median(amounts))))
        result[category] = {"median": median, "min": row["low"], "max": row["high"], "n": row["n"]}
    return result


# --- Purchasing power ------------------------------------------------------------------------------

PROVIDER_COLUMNS = (
    "provider_name",
    "pupils",
    "committed_pence",
    "average_pence",
    "min_pence",
    "max_pence",
    "savings_pence",
    "deductions_pence",
    "returns_below",
)
NEED_COLUMNS = ("provider_name", "primary_need", *PROVIDER_COLUMNS[1:])


def _in_place_q(on: date, prefix: str = "") -> Q:
    """``PlacementContractQuerySet.in_place_on`` as a Q reaching the contract through ``prefix``."""
    return Q(
        **{
            f"{prefix}status__in": [workflow.ContractStatus.ACTIVE, workflow.ContractStatus.ENDED],
            f"{prefix}start_on__lte": on,
        }
    ) & (
        Q(**{f"{prefix}status": workflow.ContractStatus.ENDED, f"{prefix}ended_on__gte": on})
        | Q(**{f"{prefix}status": workflow.ContractStatus.ACTIVE, f"{prefix}end_on__isnull": True})
        | Q(**{f"{prefix}status": workflow.ContractStatus.ACTIVE, f"{prefix}end_on__gte": on})
    )


def _window(date_from: date | None, date_to: date | None, prefix: str) -> Q:
    q = Q()
    if date_from is not None:
        q &= Q(**{f"{prefix}period_end__gte": date_from})
    if date_to is not None:
        q &= Q(**{f"{prefix}period_end__lte": date_to})
    return q


def _ordering(order_by: str, columns: tuple[str, ...]) -> list[Any]:
    """``order_by`` (a column, ``-`` for descending; empty figures last), then a stable tie-break."""
    name = order_by.lstrip("-")
    if name not in columns:
        raise ValueError(f"Sort by one of: {', '.join(columns)}")
    descending = order_by.startswith("-")
    expression = F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
    tie_break = (
        ["provider_name", "provider_id", "primary_need"] if "primary_need" in columns else ["provider_name", "pk"]
    )
    return [expression, *tie_break]


def _deduction_subquery(date_from: date | None, date_to: date | None, *, by_need: bool, total: bool) -> Subquery:
    """Per provider (and need): the confirmed deduction total, or the count of returns below
    threshold. A correlated subquery, so the join to deductions cannot multiply the contract
    sums in the outer query."""
    outer = {"attendance_return__contract__provider_id": OuterRef("provider_id" if by_need else "pk")}
    if by_need:
        outer["attendance_return__contract__child__primary_need"] = OuterRef("child__primary_need")
    rows = Deduction.objects.filter(**outer).filter(_window(date_from, date_to, "attendance_return__"))
    if total:
        rows = rows.filter(status=DeductionStatus.CONFIRMED)
        value = Sum("amount_pence")
    else:
        value = Count("pk")
    return Subquery(
        rows.order_by().values("attendance_return__contract__provider_id").annotate(v=value).values("v")[:1],
        output_field=IntegerField(),
    )


def purchasing_power(
    *,
    on: date | None = None,
    order_by: str = "provider_name",
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict[str, Any]]:
    """One row per provider: pupils placed on ``on`` (today by default), committed annual spend,
    average and range of annual cost per pupil, negotiation savings, deductions applied and
    returns below threshold (in the window of return periods, all time by default). Sorted in
    the database by any of ``PROVIDER_COLUMNS`` (prefix ``-`` for descending). One query."""
    on = on or timezone.localdate()
    placed = _in_place_q(on, "contracts__")
    # The fee in force on ``on`` (a fee review's uplift only from its date; docs/domain.md §2.6).
    agreed = annual_cost_on_expression(on, contract="contracts__pk")
    rows = (
        Provider.objects.annotate(
            provider_name=F("establishment__name"),
            pupils=Count("contracts", filter=placed),
            committed_pence=Coalesce(Sum(agreed, filter=placed), Value(0)),
            average_raw=Avg(agreed, filter=placed),
            min_pence=Min(agreed, filter=placed),
            max_pence=Max(agreed, filter=placed),
            # Savings by negotiation: the latest agreement's quote against what was agreed.
            savings_pence=Coalesce(
                Sum(F("contracts__quoted_annual_cost_pence") - F("contracts__agreed_annual_cost_pence"), filter=placed),
                Value(0),
            ),
            average_pence=F("average_raw"),
            deductions_pence=Coalesce(_deduction_subquery(date_from, date_to, by_need=False, total=True), Value(0)),
            returns_below=Coalesce(_deduction_subquery(date_from, date_to, by_need=False, total=False), Value(0)),
        )
        .order_by(*_ordering(order_by, PROVIDER_COLUMNS))
        .values("pk", "establishment_id", "average_raw", *PROVIDER_COLUMNS)
    )
    return [_clean(row) for row in rows]


def purchasing_power_by_need(
    *,
    on: date | None = None,
    order_by: str = "provider_name",
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict[str, Any]]:
    """The same figures by provider and the child's primary need, for the needs with a pupil
    placed on ``on``. One grouped query; sortable by any of ``NEED_COLUMNS``."""
    on = on or timezone.localdate()
    agreed = annual_cost_on_expression(on)
    rows = (
        PlacementContract.objects.filter(_in_place_q(on))
        .values("provider_id", "child__primary_need")
        .annotate(
            provider_name=F("provider__establishment__name"),
            primary_need=F("child__primary_need"),
            pupils=Count("pk"),
            committed_pence=Sum(agreed),
            average_raw=Avg(agreed),
            average_pence=F("average_raw"),
            min_pence=Min(agreed),
            max_pence=Max(agreed),
            savings_pence=Sum(F("quoted_annual_cost_pence") - F("agreed_annual_cost_pence")),
            deductions_pence=Coalesce(_deduction_subquery(date_from, date_to, by_need=True, total=True), Value(0)),
            returns_below=Coalesce(_deduction_subquery(date_from, date_to, by_need=True, total=False), Value(0)),
        )
        .order_by(*_ordering(order_by, NEED_COLUMNS))
    )
    return [_clean(row) for row in rows]


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in ("average_raw", "child__primary_need")}
    out["average_pence"] = _pence(row["average_raw"])
    out["provider_id"] = row.get("provider_id", row.get("pk"))
    out.pop("pk", None)
    return out


# --- The dashboard's figures and the case lists behind them --------------------------------------


@dataclass(frozen=True)
class PlacementFigures:
    on: date
    active_placements: int
    committed_annual_pence: int
    savings_pence: int
    deductions_applied_pence: int

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "on": self.on.isoformat()}


def placement_figures(*, on: date | None = None) -> PlacementFigures:
    """Independent placements in place on ``on``, their committed annual spend and negotiation
    savings, and the confirmed deductions to date. Two queries."""
    on = on or timezone.localdate()
    in_force = annual_cost_on_expression(on)
    row = PlacementContract.objects.in_place_on(on).aggregate(
        n=Count("pk"),
        committed=Sum(in_force),
        savings=Sum(F("quoted_annual_cost_pence") - F("agreed_annual_cost_pence")),
    )
    deductions = Deduction.objects.filter(
        status=DeductionStatus.CONFIRMED, attendance_return__period_end__lte=on
    ).aggregate(total=Sum("amount_pence"))["total"]
    return PlacementFigures(
        on=on,
        active_placements=row["n"],
        committed_annual_pence=row["committed"] or 0,
        savings_pence=row["savings"] or 0,
        deductions_applied_pence=deductions or 0,
    )


# The figure each metric name stands for, so every number on a page can link to its contracts.
METRICS = ("pupils", "committed", "savings", "deductions", "returns_below")


def contracts_for(
    metric: str,
    provider_id: int | None = None,
    need: str | None = None,
    *,
    on: date | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[PlacementContract]:
    """The contracts behind a figure: ``pupils``, ``committed`` and ``savings`` are the
    contracts in place on ``on``; ``deductions`` those with a confirmed deduction, and
    ``returns_below`` those with a return below threshold, in the window. Optionally one
    provider's and one primary need's."""
    if metric not in METRICS:
        raise ValueError(f"Unknown figure {metric!r}; use one of {', '.join(METRICS)}")
    on = on or timezone.localdate()
    contracts = PlacementContract.objects.all()
    if metric in ("pupils", "committed", "savings"):
        contracts = contracts.in_place_on(on)
    else:
        deductions = Deduction.objects.filter(_window(date_from, date_to, "attendance_return__"))
        if metric == "deductions":
            deductions = deductions.filter(status=DeductionStatus.CONFIRMED)
        contracts = contracts.filter(pk__in=deductions.values("attendance_return__contract_id"))
    if provider_id is not None:
        contracts = contracts.filter(provider_id=provider_id)
    if need:
        contracts = contracts.filter(child__primary_need=need)
    return contracts.with_related().order_by("provider__establishment__name", "reference")
