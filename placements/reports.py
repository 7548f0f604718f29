"""Placement figures: what the council buys from each provider, at what price, and what the
attendance clauses recovered. Aggregate queries only; no loops over contract rows in Python.

Definitions (label them wherever they are shown):

- **In place on a date** (``PlacementContractQuerySet.in_place_on``): fees agreed (active, or
  since ended), started on or before the date and not finished before it.
- **Pupils placed**: contracts in place on the date (one per child and provider).
- **Committed annual spend**: the sum of the agreed annual cost of the contracts in place.
- **Average / lowest / highest annual cost per pupil**: over the contracts in place.
- **Negotiation savings**: quoted (asked for) minus agreed annual cost, summed over the contracts
  in place. A fee review's line agreed above the ask cannot be recorded; a rise against an
  earlier fee is an uplift (purchasing power over time shows it beside the saving).
- **Deductions applied**: confirmed deductions, in pence, on returns for periods ending in the
  reporting window (all time by default), whatever the contract's status now.
- **Returns below threshold**: returns in the window that carry a deduction, whatever its
  status (a deduction exists exactly while a return is below its clause's threshold).

Money is integer pence; averages and medians are rounded half up to the penny.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    BigIntegerField,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least
from django.utils import timezone

from panels import workflow as panel_workflow
from panels.models import ReferralCostLine
from placements import workflow
from placements.models import PLACED, ContractVersion, CostLine, Deduction, PlacementContract, Provider
from placements.versions import annual_cost_on_expression
from placements.workflow import DeductionStatus

__all__ = [
    "METRICS",
    "PROVIDER_COLUMNS",
    "PlacementFigures",
    "contract_line_benchmarks",
    "contracts_for",
    "line_benchmarks",
    "placement_figures",
    "purchasing_power",
    "purchasing_power_by_need",
    "purchasing_power_year",
    "purchasing_power_years",
    "referral_line_benchmarks",
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


class _Percentiles(Aggregate):
    """PostgreSQL ``percentile_cont`` of the lowest, the quartiles and the highest at once (an
    array of five): interpolated as ``panels.workflow.percentile`` does."""

    function = "PERCENTILE_CONT"
    name = "Percentiles"
    template = "%(function)s(ARRAY[0, 0.25, 0.5, 0.75, 1]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = ArrayField(FloatField())


def _benchmark(n: int, figures: list[float] | None) -> panel_workflow.Benchmark:
    if not n or not figures:
        return panel_workflow.Benchmark()
    low, q1, median, q3, high = figures
    return panel_workflow.benchmark_from_percentiles(
        n=n, low=low, lower_quartile=q1, median=median, upper_quartile=q3, high=high
    )


def _comparable_lines() -> QuerySet[CostLine]:
    """Lines whose agreed cost is a benchmark: agreed, on an active contract."""
    return CostLine.objects.filter(agreed_amount_pence__isnull=False, contract__status=workflow.ContractStatus.ACTIVE)


def contract_line_benchmarks(*, contract: PlacementContract) -> dict[str, panel_workflow.Benchmark]:
    """For each cost category on ``contract``: the lowest, quartiles, median and highest
    annualised agreed amount of lines in that category at OTHER providers, on active contracts
    for children with the same primary need, and how many lines that is (``n``).

    Per line, not per contract: two therapy lines on one contract count as two. One grouped
    query on PostgreSQL (``percentile_cont``); on SQLite (the embedded development database,
    which has no ordered-set aggregate) the figures are taken in Python
    (``panels.workflow.benchmark_of``) over the annual amounts of the matching lines.
    """
    categories = sorted(set(CostLine.objects.filter(contract=contract).values_list("category", flat=True)))
    comparable = (
        _comparable_lines()
        .filter(category__in=categories, contract__child__primary_need=contract.child.primary_need)
        .exclude(contract__provider_id=contract.provider_id)
    )
    result = dict.fromkeys(categories, panel_workflow.Benchmark())
    if connection.vendor == "postgresql":
        rows = comparable.values("category").annotate(n=Count("pk"), p=_Percentiles(AGREED_ANNUAL)).order_by()
        for row in rows:
            result[row["category"]] = _benchmark(row["n"], row["p"])
        return result
    amounts: dict[str, list[int]] = {}
    for category, annual in comparable.annotate(annual=AGREED_ANNUAL).values_list("category", "annual"):
        amounts.setdefault(category, []).append(annual)
    for category, values in amounts.items():
        result[category] = panel_workflow.benchmark_of(values)
    return result


def line_benchmarks(*, contract: PlacementContract) -> dict[str, dict[str, int | None]]:
    """``contract_line_benchmarks`` as plain figures per category: ``n``, ``min``,
    ``lower_quartile``, ``median``, ``upper_quartile``, ``max`` (``None`` without a comparison)."""
    return {
        category: {
            "median": b.median,
            "min": b.low,
            "max": b.high,
            "lower_quartile": b.lower_quartile,
            "upper_quartile": b.upper_quartile,
            "n": b.n,
        }
        for category, b in contract_line_benchmarks(contract=contract).items()
    }


# A referral's cost lines use the panel's broader kinds; the contract's lines map onto them.
PANEL_CATEGORY: dict[str, str] = {
    workflow.CostCategory.TUITION: panel_workflow.CostCategory.TUITION,
    workflow.CostCategory.RESIDENTIAL: panel_workflow.CostCategory.RESIDENTIAL,
    workflow.CostCategory.THERAPY_SPEECH_LANGUAGE: panel_workflow.CostCategory.THERAPIES,
    workflow.CostCategory.THERAPY_OCCUPATIONAL: panel_workflow.CostCategory.THERAPIES,
    workflow.CostCategory.THERAPY_PHYSIO: panel_workflow.CostCategory.THERAPIES,
    workflow.CostCategory.THERAPY_OTHER: panel_workflow.CostCategory.THERAPIES,
    workflow.CostCategory.ONE_TO_ONE_SUPPORT: panel_workflow.CostCategory.ONE_TO_ONE,
    workflow.CostCategory.TRANSPORT: panel_workflow.CostCategory.TRANSPORT,
    workflow.CostCategory.OTHER: panel_workflow.CostCategory.OTHER,
}


def _panel_category() -> Case:
    kinds: dict[str, list[str]] = {}
    for line_category, panel_category in PANEL_CATEGORY.items():
        kinds.setdefault(str(panel_category), []).append(str(line_category))
    return Case(
        *[When(category__in=categories, then=Value(kind)) for kind, categories in kinds.items()],
        default=Value(""),
        output_field=CharField(),
    )


def referral_line_benchmarks(referral_ids: Sequence[int]) -> dict[int, panel_workflow.Benchmark]:
    """For every cost line of the referrals ``referral_ids`` (keyed by the line's id): the
    benchmark of its kind, that is the agreed annual amounts of contract lines of the same kind
    (``PANEL_CATEGORY``) on active contracts for children with the referral's child's primary
    need, at providers other than the proposed establishment.

    One query for all the lines on PostgreSQL (two correlated subqueries per line: the count,
    and ``percentile_cont`` of the five figures), so an agenda pack costs the same whatever its
    length. On SQLite one small query per line, with the figures taken in Python.
    """
    lines = ReferralCostLine.objects.filter(referral_id__in=list(referral_ids)).annotate(
        need=F("referral__request__child__primary_need"),
        # Establishment ids start at 1: 0 excludes nobody when no establishment is proposed.
        excluded=Coalesce(F("referral__proposed_establishment_id"), Value(0)),
    )
    comparable = _comparable_lines().annotate(kind=_panel_category())
    if connection.vendor == "postgresql":
        matching = (
            comparable.filter(kind=OuterRef("category"), contract__child__primary_need=OuterRef("need"))
            .exclude(contract__provider__establishment_id=OuterRef("excluded"))
            .order_by()
            .values("kind")
        )
        rows = lines.annotate(
            n=Subquery(matching.annotate(c=Count("pk")).values("c")[:1], output_field=IntegerField()),
            p=Subquery(
                matching.annotate(q=_Percentiles(AGREED_ANNUAL)).values("q")[:1], output_field=ArrayField(FloatField())
            ),
        ).values_list("pk", "n", "p")
        return {pk: _benchmark(n or 0, p) for pk, n, p in rows}
    result: dict[int, panel_workflow.Benchmark] = {}
    for pk, category, need, excluded in lines.values_list("pk", "category", "need", "excluded"):
        values = (
            comparable.filter(kind=category, contract__child__primary_need=need)
            .exclude(contract__provider__establishment_id=excluded)
            .annotate(annual=AGREED_ANNUAL)
            .values_list("annual", flat=True)
        )
        result[pk] = panel_workflow.benchmark_of(values)
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


def deduction_totals(*, date_from: date | None = None, date_to: date | None = None) -> tuple[int, int]:
    """Every provider together, in the window of return periods: the confirmed deduction total
    and the count of returns below threshold — what ``purchasing_power``'s rows add up to (every
    return belongs to a contract, every contract to a provider). One aggregate over the
    deductions, not a row per provider: the monthly metrics job asks for it once a month."""
    found = Deduction.objects.filter(_window(date_from, date_to, "attendance_return__")).aggregate(
        total=Coalesce(Sum("amount_pence", filter=Q(status=DeductionStatus.CONFIRMED)), Value(0)),
        below=Count("pk"),
    )
    return int(found["total"]), int(found["below"])


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
                Sum(
                    Greatest(
                        F("contracts__quoted_annual_cost_pence") - F("contracts__agreed_annual_cost_pence"), Value(0)
                    ),
                    filter=placed,
                ),
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
            savings_pence=Sum(Greatest(F("quoted_annual_cost_pence") - F("agreed_annual_cost_pence"), Value(0))),
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
        savings=Sum(Greatest(F("quoted_annual_cost_pence") - F("agreed_annual_cost_pence"), Value(0))),
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


# --- Purchasing power over time (financial years) ------------------------------------------------
#
# docs/domain.md "Purchasing power over time". For financial year Y (1 April to 31 March):
# - a placement counts in Y when its fees were agreed (active, or since ended) and its time in
#   place (start to the actual end if ended, the planned end if set, else open) overlaps Y;
# - spend: the annual cost in force × the days in place within Y ÷ the days in Y;
# - pupils: distinct children with a placement counted in Y; average annual cost: the mean
#   annual cost of those placements (not pro rata);
# - share of spend: a provider's spend ÷ all providers' spend in Y;
# - saved by negotiation: (asked − agreed annual cost of the version in force each day, never
#   negative) pro rata as spend is; uplifts: (the version in force − the original agreement)
#   pro rata the same way, shown beside the saving and never netted against it;
# - saved by deductions: confirmed deductions on returns whose period ends in Y.

YEAR_COLUMNS = (
    "provider_name",
    "pupils",
    "spend_pence",
    "share_percent",
    "average_pence",
    "negotiation_savings_pence",
    "uplift_pence",
    "deductions_pence",
)


def _annual_cost(contract: str, on: date) -> Any:
    """The annual cost in pence, as an SQL expression, of the contract reached through the
    relation prefix ``contract`` (``""`` for the contract itself, ``"contracts__"`` from a
    provider): the fee in force on ``on`` (``placements.versions``: the contract version in
    force that day; a contract without versions, its agreed annual cost).

    Purchasing power over time uses it for the average annual cost per pupil in a year (the fee
    in force on the year's last day); spend and savings price each day at the version in force
    that day (``_versioned_spend_days``).
    """
    return Cast(annual_cost_on_expression(on, contract=f"{contract}pk"), BigIntegerField())


class _DaysInclusive(Func):
    """The days from ``start`` to ``end``, both counted (``end - start + 1``)."""

    output_field = IntegerField()

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:  # type: ignore[override]
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        return f"(({end_sql}) - ({start_sql}) + 1)", (*end_params, *start_params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:  # type: ignore[override]
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        return (
            f"(CAST(julianday({end_sql}) - julianday({start_sql}) AS INTEGER) + 1)",
            (*end_params, *start_params),
        )


def _year_terms(year: int, prefix: str = "") -> tuple[Q, Any, Any]:
    """For financial year ``year``: the condition that a contract (through ``prefix``) was in
    place at some time in it, the first day of its time in place in the year, and its days in
    place in the year."""
    first, last = workflow.financial_year_bounds(year)
    first_v, last_v = Value(first, output_field=DateField()), Value(last, output_field=DateField())
    ended = workflow.ContractStatus.ENDED.value
    active = workflow.ContractStatus.ACTIVE.value
    in_year = Q(**{f"{prefix}status__in": PLACED, f"{prefix}start_on__lte": last}) & (
        Q(**{f"{prefix}status": ended, f"{prefix}ended_on__gte": first})
        | Q(**{f"{prefix}status": active, f"{prefix}end_on__isnull": True})
        | Q(**{f"{prefix}status": active, f"{prefix}end_on__gte": first})
    )
    finish = Case(
        When(**{f"{prefix}status": ended}, then=F(f"{prefix}ended_on")),
        default=F(f"{prefix}end_on"),
        output_field=DateField(),
    )
    start = Greatest(F(f"{prefix}start_on"), first_v, output_field=DateField())
    end = Least(Coalesce(finish, last_v), last_v, output_field=DateField())
    return in_year, start, _DaysInclusive(end, start)


def _versioned_days(year: int, contract: str, days: Any, *, amount: Any, fallback: Any) -> Any:
    """Pence × days of the contract reached through ``contract`` (``""`` or ``"contracts__"``)
    in financial year ``year``, each day taking ``amount`` (an expression over the contract
    version's own fields) of the version in force that day (``placements.versions``): the sum over
    its versions of the amount times its days in place in the year. A fee review taking effect on
    1 October counts April to September at the old version and October to March at the new one.
    A contract with no versions (bulk-loaded data) takes ``fallback`` (an expression over the
    contract) for all ``days``. An SQL expression."""
    first, last = workflow.financial_year_bounds(year)
    first_v, last_v = Value(first, output_field=DateField()), Value(last, output_field=DateField())
    after_last = Value(last + timedelta(days=1), output_field=DateField())
    ended = workflow.ContractStatus.ENDED.value
    next_from = (
        ContractVersion.objects.filter(
            contract_id=OuterRef("contract_id"), effective_from__gt=OuterRef("effective_from")
        )
        .order_by("effective_from")
        .values("effective_from")[:1]
    )
    finish = Case(
        When(contract__status=ended, then=F("contract__ended_on")),
        default=F("contract__end_on"),
        output_field=DateField(),
    )
    start = Greatest(F("effective_from"), F("contract__start_on"), first_v, output_field=DateField())
    # The version runs to the day before the next one (exclusive end), the placement to its finish.
    until_next = Least(Coalesce(Subquery(next_from, output_field=DateField()), after_last), after_last)
    until_finish = Least(Coalesce(finish, last_v), last_v, output_field=DateField())
    version_days = Greatest(
        Least(_DaysInclusive(until_next, start) - 1, _DaysInclusive(until_finish, start)),
        Value(0),
        output_field=IntegerField(),
    )
    per_version = (
        ContractVersion.objects.filter(contract_id=OuterRef(f"{contract}pk"))
        .values("contract_id")
        .annotate(total=Sum(Cast(amount, BigIntegerField()) * version_days))
        .values("total")
    )
    has_versions = Exists(ContractVersion.objects.filter(contract_id=OuterRef(f"{contract}pk")))
    return Case(
        When(has_versions, then=Coalesce(Subquery(per_version, output_field=BigIntegerField()), Value(0))),
        default=Cast(fallback, BigIntegerField()) * days,
        output_field=BigIntegerField(),
    )


def _versioned_spend_days(year: int, contract: str, days: Any) -> Any:
    """Spend: each day priced at the annual cost of the version in force (``_versioned_days``);
    a contract without versions at its agreed annual cost."""
    return _versioned_days(
        year, contract, days, amount=F("annual_cost_pence"), fallback=F(f"{contract}agreed_annual_cost_pence")
    )


def _versioned_savings_days(year: int, contract: str, days: Any) -> Any:
    """Saved by negotiation (``workflow.negotiation_saving``): each day, what the provider asked for
    the version in force minus what was agreed for it, never below nothing; a contract without
    versions, its quoted minus agreed annual cost."""
    return _versioned_days(
        year,
        contract,
        days,
        amount=Greatest(F("requested_annual_cost_pence") - F("annual_cost_pence"), Value(0)),
        fallback=Greatest(
            F(f"{contract}quoted_annual_cost_pence") - F(f"{contract}agreed_annual_cost_pence"), Value(0)
        ),
    )


def _versioned_uplift_days(year: int, contract: str, days: Any) -> Any:
    """The cost of uplifts (``workflow.uplift``): each day, the annual cost of the version in force
    minus the original agreement's (version 1); nothing for a contract without versions."""
    original = ContractVersion.objects.filter(contract_id=OuterRef("contract_id"), version_no=1).values(
        "annual_cost_pence"
    )[:1]
    return _versioned_days(
        year,
        contract,
        days,
        amount=F("annual_cost_pence")
        - Coalesce(Subquery(original, output_field=IntegerField()), F("annual_cost_pence")),
        fallback=Value(0),
    )


def purchasing_power_year(*, year: int, order_by: str = "provider_name") -> list[dict[str, Any]]:
    """One row per provider with a placement or a confirmed deduction in financial year
    ``year``: pupils, spend, share of spend, average annual cost, negotiation savings and
    deductions (definitions above). One query; the shares are worked out over its rows."""
    if order_by.lstrip("-") not in YEAR_COLUMNS:
        raise ValueError(f"Sort by one of: {', '.join(YEAR_COLUMNS)}")
    first, last = workflow.financial_year_bounds(year)
    in_year, start, days = _year_terms(year, "contracts__")
    annual = _annual_cost("contracts__", min(last, timezone.localdate()))
    spend = _versioned_spend_days(year, "contracts__", days)
    savings = _versioned_savings_days(year, "contracts__", days)
    uplifts = _versioned_uplift_days(year, "contracts__", days)
    rows = list(
        Provider.objects.annotate(
            provider_name=F("establishment__name"),
            pupils=Count("contracts__child", distinct=True, filter=in_year),
            spend_days=Sum(spend, filter=in_year, output_field=BigIntegerField()),
            savings_days=Sum(savings, filter=in_year, output_field=BigIntegerField()),
            uplift_days=Sum(uplifts, filter=in_year, output_field=BigIntegerField()),
            average_raw=Avg(annual, filter=in_year),
            deductions_pence=Coalesce(_deduction_subquery(first, last, by_need=False, total=True), Value(0)),
        )
        .filter(Q(pupils__gt=0) | Q(deductions_pence__gt=0))
        .values(
            "pk",
            "provider_name",
            "pupils",
            "spend_days",
            "savings_days",
            "uplift_days",
            "average_raw",
            "deductions_pence",
        )
        .order_by("provider_name", "pk")
    )
    year_days = workflow.financial_year_days(year)
    out = [
        {
            "provider_id": row["pk"],
            "provider_name": row["provider_name"],
            "pupils": row["pupils"],
            "spend_pence": workflow.pro_rata_pence(row["spend_days"] or 0, year_days),
            "average_pence": _pence(row["average_raw"]),
            "negotiation_savings_pence": workflow.pro_rata_pence(row["savings_days"] or 0, year_days),
            "uplift_pence": workflow.pro_rata_pence(row["uplift_days"] or 0, year_days),
            "deductions_pence": row["deductions_pence"],
        }
        for row in rows
    ]
    total = sum(row["spend_pence"] for row in out)
    for row in out:
        row["share_percent"] = workflow.share_percent(row["spend_pence"], total)
    name = order_by.lstrip("-")
    present = [r for r in out if r[name] is not None]
    missing = [r for r in out if r[name] is None]
    present.sort(key=lambda r: r[name], reverse=order_by.startswith("-"))
    return present + missing


def purchasing_power_years(*, until: date | None = None) -> list[dict[str, Any]]:
    """The council's totals for each financial year from the first placement's to the one
    holding ``until`` (today by default), latest first: pupils, spend, negotiation savings and
    deductions. Three queries whatever the number of contracts or years."""
    until = until or timezone.localdate()
    earliest = PlacementContract.objects.filter(status__in=PLACED).aggregate(first=Min("start_on"))["first"]
    last_year = workflow.financial_year_of(until)
    if earliest is None:
        return []
    years = list(range(min(workflow.financial_year_of(earliest), last_year), last_year + 1))
    aggregates: dict[str, Any] = {}
    for year in years:
        in_year, start, days = _year_terms(year)
        aggregates[f"pupils_{year}"] = Count("child", distinct=True, filter=in_year)
        aggregates[f"spend_{year}"] = Sum(
            _versioned_spend_days(year, "", days), filter=in_year, output_field=BigIntegerField()
        )
        aggregates[f"savings_{year}"] = Sum(
            _versioned_savings_days(year, "", days), filter=in_year, output_field=BigIntegerField()
        )
        aggregates[f"uplift_{year}"] = Sum(
            _versioned_uplift_days(year, "", days), filter=in_year, output_field=BigIntegerField()
        )
    totals = PlacementContract.objects.filter(status__in=PLACED).aggregate(**aggregates)
    deductions = Deduction.objects.filter(status=DeductionStatus.CONFIRMED).aggregate(
        **{
            f"d_{year}": Sum(
                "amount_pence",
                filter=Q(
                    attendance_return__period_end__gte=workflow.financial_year_bounds(year)[0],
                    attendance_return__period_end__lte=workflow.financial_year_bounds(year)[1],
                ),
            )
            for year in years
        }
    )
    out = []
    for year in reversed(years):
        days_in_year = workflow.financial_year_days(year)
        out.append(
            {
                "year": year,
                "label": workflow.financial_year_label(year),
                "pupils": totals[f"pupils_{year}"],
                "spend_pence": workflow.pro_rata_pence(totals[f"spend_{year}"] or 0, days_in_year),
                "negotiation_savings_pence": workflow.pro_rata_pence(totals[f"savings_{year}"] or 0, days_in_year),
                "uplift_pence": workflow.pro_rata_pence(totals[f"uplift_{year}"] or 0, days_in_year),
                "deductions_pence": deductions[f"d_{year}"] or 0,
            }
        )
    return out
