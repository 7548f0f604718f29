"""Request metrics and backlog: aggregate queries over requests_app's own tables.

Each figure is defined once, as a ``Q`` over one model (requests or advice requests) for a
period or a day. The number is ``Count("pk", filter=q)`` in one aggregate query, and the cases
behind it are ``.filter(q)`` on the same base queryset (``cases_for``), so a number on the
dashboard and the list it links to cannot disagree. Definitions follow docs/domain.md §5 and the DfE
files described in docs/domain.md §3.4; the comments give the basis of each.

Figures read the stored current state of each request (its SEN2 outcome codes, the dates they
were set and the stored statutory due dates), so a request reopened after a decision no longer
counts that decision. The dashboard stores snapshots (``reporting``) so a published
month does not move when a case is later corrected, unless the month is recomputed.

The snapshot jobs compute every scope (all districts and each district) and every month or
year of a range at once: one aggregate query per (model, window date), grouped by the child's
district and the month or year of the window (``*_by_scope``, ADR 0006). The single-scope
functions run the same queries narrowed to one district.

No rows are loaded into Python to be counted: the loops here run over months, sources, needs,
bands, adviser types and groups, never over requests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from django.db.models import Case, Count, DateField, DateTimeField, F, IntegerField, Q, QuerySet, Value, When, Window
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear, RowNumber
from django.db.models.lookups import LessThan

from core.models import District, NeedType
from core.sen2codes import census_date
from requests_app import workflow
from requests_app.models import (
    OPEN,
    AdviceRequest,
    AdviserType,
    AssessmentRequest,
    RequestSource,
    Sen2Outcome,
)

__all__ = [
    "AGE_BANDS",
    "ANNUAL_METRICS",
    "BACKLOG_AGE_BANDS",
    "BACKLOG_METRICS",
    "MONTHLY_METRICS",
    "UnknownMetric",
    "annual_request_metrics",
    "annual_request_metrics_by_scope",
    "backlog_snapshot",
    "backlog_snapshot_by_scope",
    "cases_for",
    "is_metric",
    "metric_kind",
    "metric_label",
    "month_bounds",
    "monthly_request_metrics",
    "monthly_request_metrics_by_scope",
    "percent",
    "sum_groups",
    "year_bounds",
]

Y, N, A, W = Sen2Outcome.YES, Sen2Outcome.NO, Sen2Outcome.UNDECIDED, Sen2Outcome.WITHDRAWN
# Withdrawals are not decisions (docs/domain.md §5): only Y and N are decisions to assess or not.
DECIDED = [Y.value, N.value]

Period = tuple[date, date]  # [start, end): start inclusive, end exclusive
ModelKind = Literal["request", "advice"]
# A dashboard scope: a district's id, or None for all districts. Not to be confused with the
# group of rows whose child has no district (also None in a GROUP BY): that group counts
# towards all districts and towards no district.
Scope = int | None


class UnknownMetric(LookupError):
    """The metric name is not one this module defines."""


# --- Periods and rates -----------------------------------------------------------------------


def month_bounds(month_start: date) -> Period:
    """The calendar month containing ``month_start``: [first day, first day of next month)."""
    start = month_start.replace(day=1)
    end = date(start.year + 1, 1, 1) if start.month == 12 else date(start.year, start.month + 1, 1)
    return start, end


def year_bounds(year: int) -> Period:
    """A calendar year, the DfE reporting basis for requests.csv and timeliness_20_week.csv."""
    return date(year, 1, 1), date(year + 1, 1, 1)


def percent(numerator: int | None, denominator: int | None) -> float | None:
    """``numerator ÷ denominator × 100`` to one decimal place, rounding halves up (as DfE
    tables do; Python's ``round`` would turn 6.25 into 6.2). ``None`` when there is nothing
    to divide by, so "no decisions" never reads as a rate of 0%."""
    if not denominator or numerator is None:
        return None
    value = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value)


# --- Date parts -----------------------------------------------------------------------------


class _NativeOnSQLite:
    """A date part, computed natively on SQLite. Django evaluates ``Extract*`` there with a
    Python function called once per row and part, which was most of the time of the grouped
    queries (the age bands take six parts a row). SQLite stores a ``DateField`` as ISO text
    (``YYYY-MM-DD``), so the part is a fixed slice of it. PostgreSQL keeps ``EXTRACT``."""

    span: tuple[int, int]  # (first character, length) in YYYY-MM-DD

    lhs: Any
    as_sql: Any  # Extract's, through the subclasses below

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        field = self.lhs.output_field
        if isinstance(field, DateTimeField) or not isinstance(field, DateField):
            # A datetime's part depends on the time zone: leave it to Django.
            sql, params = self.as_sql(compiler, connection, **extra_context)
            return sql, params
        sql, params = compiler.compile(self.lhs)
        start, length = self.span
        return f"CAST(SUBSTR({sql}, {start}, {length}) AS INTEGER)", params


class _Year(_NativeOnSQLite, ExtractYear):
    span = (1, 4)


class _Month(_NativeOnSQLite, ExtractMonth):
    span = (6, 2)


class _Day(_NativeOnSQLite, ExtractDay):
    span = (9, 2)


# --- Age at the date the request was received ----------------------------------------------


def _month_day(field: str) -> Any:
    return _Month(field) * 100 + _Day(field)


# Whole years between date of birth and received_on, in SQL on both SQLite and PostgreSQL. The
# (month, day) comparison is clocks.age_on's: someone born on 29 February turns a year older
# on 1 March in a non-leap year.
AGE_AT_RECEIVED = Case(
    When(
        LessThan(_month_day("received_on"), _month_day("child__date_of_birth")),
        then=_Year("received_on") - _Year("child__date_of_birth") - Value(1),
    ),
    default=_Year("received_on") - _Year("child__date_of_birth"),
    output_field=IntegerField(),
)

# requests.csv reports age when the request was received, in these bands (the 0-25 range, s.83).
AGE_BANDS: dict[str, tuple[int, int]] = {
    "0-4": (0, 4),
    "5-10": (5, 10),
    "11-15": (11, 15),
    "16-19": (16, 19),
    "20-25": (20, 25),
}

# Backlog bands: weeks since received_on (docs/domain.md §5), as (more than, at most) days open.
BACKLOG_AGE_BANDS: dict[str, tuple[int | None, int | None]] = {
    "up_to_6_weeks": (None, 6 * 7),
    "6_to_16_weeks": (6 * 7, 16 * 7),
    "16_to_20_weeks": (16 * 7, 20 * 7),
    "20_to_52_weeks": (20 * 7, 52 * 7),
    "over_52_weeks": (52 * 7, None),
}
BACKLOG_AGE_BAND_LABELS: dict[str, str] = {
    "up_to_6_weeks": "6 weeks or less",
    "6_to_16_weeks": "Over 6 to 16 weeks",
    "16_to_20_weeks": "Over 16 to 20 weeks",
    "20_to_52_weeks": "Over 20 to 52 weeks",
    "over_52_weeks": "Over 52 weeks",
}


# --- Definitions: period figures -------------------------------------------------------------


@dataclass(frozen=True)
class PeriodMetric:
    """A count of rows of ``model`` whose ``window`` date falls in the period and that meet
    ``condition``. The window field also narrows the aggregate's scan (indexed columns)."""

    name: str
    label: str
    model: ModelKind
    window: str
    condition: Q = Q()

    def q(self, period: Period) -> Q:
        start, end = period
        return Q(**{f"{self.window}__gte": start, f"{self.window}__lt": end}) & self.condition


def _received(name: str, label: str, condition: Q | None = None) -> PeriodMetric:
    return PeriodMetric(name, label, "request", "received_on", condition or Q())


def _decided(name: str, label: str, condition: Q) -> PeriodMetric:
    return PeriodMetric(name, label, "request", "request_outcome_on", condition)


def _assessed(name: str, label: str, condition: Q) -> PeriodMetric:
    return PeriodMetric(name, label, "request", "assessment_outcome_on", condition)


def _advice(name: str, label: str, condition: Q | None = None) -> PeriodMetric:
    return PeriodMetric(name, label, "advice", "received_on", condition or Q())


# reg 5(1): the decision whether to assess within 6 weeks of the request. The statutory due
# date (received_on + 42 days), not the exception-adjusted target: docs/domain.md §5 counts a
# decision "made ≤ 42 days after received_on", as DfE's request_outcome_six_weeks does.
_WITHIN_6_WEEKS = Q(request_outcome__in=DECIDED, request_outcome_on__lte=F("decision_due_on"))
# reg 13(2): the final plan within 20 weeks of the request.
_PLAN = Q(assessment_outcome=Y)
_PLAN_IN_20_WEEKS = _PLAN & Q(assessment_outcome_on__lte=F("final_plan_due_on"))
# timeliness_20_week.csv "excluding exceptions": drop plans where an exception applied (week20).
_NO_EXCEPTION = Q(week20=False)
# reg 10(1): a decision not to issue a plan within 16 weeks of the request.
_NOT_ISSUED = Q(assessment_outcome=N)

_SHARED: list[PeriodMetric] = [
    _received("requests_received", "Requests received"),
    _assessed("plans_issued", "Plans issued", _PLAN),
    _assessed("plans_issued_within_20_weeks", "Plans issued within 20 weeks", _PLAN_IN_20_WEEKS),
    _assessed("plans_issued_excluding_exceptions", "Plans issued where no exception applied", _PLAN & _NO_EXCEPTION),
    _assessed(
        "plans_issued_within_20_weeks_excluding_exceptions",
        "Plans issued within 20 weeks where no exception applied",
        _PLAN_IN_20_WEEKS & _NO_EXCEPTION,
    ),
    _assessed("not_issue_decisions", "Decisions not to issue a plan", _NOT_ISSUED),
    _assessed(
        "not_issue_decisions_within_16_weeks",
        "Decisions not to issue a plan within 16 weeks",
        _NOT_ISSUED & Q(assessment_outcome_on__lte=F("not_issue_due_on")),
    ),
]

_MONTHLY_ONLY: list[PeriodMetric] = [
    _received("requests_from_parents", "Requests from parents", Q(source=RequestSource.PARENT)),
    *(
        _received(f"requests_received.source.{value}", f"Requests received from: {label}", Q(source=value))
        for value, label in RequestSource.choices
    ),
    *(
        _received(
            f"requests_received.need.{value}", f"Requests received, primary need: {label}", Q(child__primary_need=value)
        )
        for value, label in NeedType.choices
    ),
    *(
        _received(
            f"requests_received.age.{band}",
            f"Requests received for children aged {band}",
            Q(age_at_received__gte=low, age_at_received__lte=high),
        )
        for band, (low, high) in AGE_BANDS.items()
    ),
    # Decisions dated in the month (request_outcome_on), whenever the request arrived.
    _decided("decisions_made", "Decisions whether to assess", Q(request_outcome__in=DECIDED)),
    _decided("decisions_to_assess", "Decisions to assess", Q(request_outcome=Y)),
    _decided("decisions_not_to_assess", "Decisions not to assess", Q(request_outcome=N)),
    _decided("decisions_within_6_weeks", "Decisions made within 6 weeks", _WITHIN_6_WEEKS),
    # reg 8(1): advice within 6 weeks of the request for it; counted when the advice arrives.
    _advice("advice_returned", "Advice returned"),
    _advice("advice_returned_within_6_weeks", "Advice returned within 6 weeks", Q(received_on__lte=F("due_on"))),
    *(
        _advice(f"advice_returned.{value}", f"{label} advice returned", Q(adviser_type=value))
        for value, label in AdviserType.choices
    ),
    *(
        _advice(
            f"advice_returned_within_6_weeks.{value}",
            f"{label} advice returned within 6 weeks",
            Q(adviser_type=value, received_on__lte=F("due_on")),
        )
        for value, label in AdviserType.choices
    ),
]

# requests.csv: the outcome (as it stands now) of the requests RECEIVED in the year; the
# denominator of every rate is all requests received in the year.
_ANNUAL_ONLY: list[PeriodMetric] = [
    _received("requests_decided_to_assess", "Requests received in the year, decided to assess", Q(request_outcome=Y)),
    _received(
        "requests_decided_not_to_assess", "Requests received in the year, decided not to assess", Q(request_outcome=N)
    ),
    _received(
        "requests_decision_not_made", "Requests received in the year, decision not yet made", Q(request_outcome=A)
    ),
    _received("requests_withdrawn", "Requests received in the year, withdrawn", Q(request_outcome=W)),
    _received(
        "requests_decided_within_6_weeks", "Requests received in the year, decided within 6 weeks", _WITHIN_6_WEEKS
    ),
]

PERIOD_METRICS: dict[str, PeriodMetric] = {m.name: m for m in [*_SHARED, *_MONTHLY_ONLY, *_ANNUAL_ONLY]}
MONTHLY_METRICS: tuple[str, ...] = tuple(m.name for m in [*_SHARED, *_MONTHLY_ONLY])
ANNUAL_METRICS: tuple[str, ...] = tuple(m.name for m in [*_SHARED, *_ANNUAL_ONLY])


# --- Definitions: the backlog on a day -------------------------------------------------------


@dataclass(frozen=True)
class BacklogMetric:
    name: str
    label: str
    model: ModelKind
    build: Callable[[date], Q]

    def q(self, on: date) -> Q:
        return self.build(on)


def _open_on(on: date) -> Q:
    # The stored current status: the nightly job runs for "today", when current = as at.
    return Q(status__in=OPEN, received_on__lte=on)


def _band(on: date, band: str) -> Q:
    more_than, at_most = BACKLOG_AGE_BANDS[band]
    q = _open_on(on)
    if at_most is not None:  # open at most N days: received on or after on - N
        q &= Q(received_on__gte=on - timedelta(days=at_most))
    if more_than is not None:
        q &= Q(received_on__lt=on - timedelta(days=more_than))
    return q


def _advice_outstanding(on: date) -> Q:
    # AdviceRequestQuerySet.outstanding(): not yet received, on a request still in progress, and
    # not cancelled by then (a cancelled request for advice is no longer awaited).
    not_cancelled = Q(cancelled_at__isnull=True) | Q(cancelled_at__date__gt=on)
    return Q(received_on__isnull=True, request__status__in=OPEN, requested_on__lte=on) & not_cancelled


def _advice_overdue(on: date) -> Q:
    # reg 8(1): over 6 weeks (the exception-adjusted target has passed; "within" is on or before).
    return _advice_outstanding(on) & Q(target_on__lt=on)


_DECIDING = sorted(s.value for s in workflow.DECIDING_STATUSES)


def _open_in_status(on: date, status: str) -> Q:
    return _open_on(on) & Q(status=status)


def _decisions_overdue(on: date) -> Q:
    return _open_on(on) & Q(status__in=_DECIDING, decision_target_on__lt=on)


def _advice_outstanding_of(on: date, adviser_type: str) -> Q:
    return _advice_outstanding(on) & Q(adviser_type=adviser_type)


def _advice_overdue_of(on: date, adviser_type: str) -> Q:
    return _advice_overdue(on) & Q(adviser_type=adviser_type)


_BACKLOG: list[BacklogMetric] = [
    BacklogMetric("open_requests", "Open requests", "request", _open_on),
    *(
        BacklogMetric(
            f"open_requests.stage.{status.value}",
            f"Open requests: {status.label}",
            "request",
            functools.partial(_open_in_status, status=status.value),
        )
        for status in workflow.Status
        if status.is_open
    ),
    *(
        BacklogMetric(
            f"open_requests.age.{band}",
            f"Open requests, open {label.lower()}",
            "request",
            functools.partial(_band, band=band),
        )
        for band, label in BACKLOG_AGE_BAND_LABELS.items()
    ),
    # reg 5(1): still deciding whether to assess after the (exception-adjusted) 6-week target.
    BacklogMetric(
        "decisions_overdue",
        "Decisions to assess overdue",
        "request",
        _decisions_overdue,
    ),
    BacklogMetric("advice_outstanding", "Advice requests outstanding", "advice", _advice_outstanding),
    BacklogMetric("advice_overdue", "Advice requests overdue (over 6 weeks)", "advice", _advice_overdue),
    *(
        BacklogMetric(
            f"advice_outstanding.{value}",
            f"{label} advice outstanding",
            "advice",
            functools.partial(_advice_outstanding_of, adviser_type=value),
        )
        for value, label in AdviserType.choices
    ),
    *(
        BacklogMetric(
            f"advice_overdue.{value}",
            f"{label} advice overdue (over 6 weeks)",
            "advice",
            functools.partial(_advice_overdue_of, adviser_type=value),
        )
        for value, label in AdviserType.choices
    ),
]
BACKLOG_METRICS: dict[str, BacklogMetric] = {m.name: m for m in _BACKLOG}


# --- Plans maintained: SEN2's caseload, counted on each year's January census day -------------

PLANS_MAINTAINED = "plans_maintained"
PLANS_MAINTAINED_LABEL = "Plans maintained at the January census"


def plans_maintained_q(on: date) -> Q:
    """Plans in force on a day: the final plan issued on or before it, and not ceased by then
    (a plan ceased on the day itself no longer counts)."""
    return Q(final_plan_issued_on__isnull=False, final_plan_issued_on__lte=on) & (
        Q(plan_ceased_on__isnull=True) | Q(plan_ceased_on__gt=on)
    )


def plans_maintained_by_scope(*, years: Sequence[int], scopes: Sequence[Scope]) -> dict[tuple[int, Scope], int]:
    """Plans maintained on the January census day of each year (SEN2's convention,
    ``core.sen2codes.census_date``), for every scope. One grouped query for all the years."""
    if not years:
        return {}
    aggregates = {f"y{year}": Count("pk", filter=plans_maintained_q(census_date(year))) for year in years}
    last = max(census_date(year) for year in years)
    rows = (
        _base("request", None)
        .filter(final_plan_issued_on__lte=last)
        .order_by()
        .annotate(group_district=F(_district_of("request")))
        .values("group_district")
        .annotate(**aggregates)
    )
    counts: dict[tuple[int, Scope], int] = {(year, scope): 0 for year in years for scope in scopes}
    for row in rows:
        for year in years:
            for scope in {None, row["group_district"]}:
                if (year, scope) in counts:
                    counts[(year, scope)] += row[f"y{year}"] or 0
    return counts


# --- Base querysets (one per model; the count and the list both start here) ------------------


def _requests(district_id: int | None) -> QuerySet[AssessmentRequest]:
    qs = AssessmentRequest.objects.annotate(age_at_received=AGE_AT_RECEIVED)
    # The child's district as recorded now (the district a manager is responsible for today).
    return qs.filter(child__district_id=district_id) if district_id is not None else qs


def _advice_requests(district_id: int | None) -> QuerySet[AdviceRequest]:
    qs = AdviceRequest.objects.all()
    return qs.filter(request__child__district_id=district_id) if district_id is not None else qs


def _base(model: ModelKind, district_id: int | None) -> QuerySet[Any]:
    return _requests(district_id) if model == "request" else _advice_requests(district_id)


def _district_of(model: ModelKind) -> str:
    """The grouping column: the child's district as recorded now (see ``_requests``)."""
    return "child__district_id" if model == "request" else "request__child__district_id"


def _district_ids(district_ids: Iterable[int] | None) -> list[int]:
    if district_ids is None:
        return list(District.objects.order_by("pk").values_list("pk", flat=True))
    return list(district_ids)


# --- Grouped counting: every scope, and every month or year of a range, at once -----------------
#
# A period figure for month m and district d is ``Count(filter=window in m & condition)`` over
# the rows of d. Grouping the rows by (district, year and month of the window date) gives
# every (m, d) cell of one window in one aggregate query: the window range narrows the scan to
# the whole range (an indexed column), the GROUP BY places each row in the month its window
# date falls in, and each metric's own ``condition`` is the filter of its count. So there is
# one query per (model, window) whatever the number of months and districts: three windows on
# requests (received, decided, assessed) and one on advice. The all-districts figure is the
# sum over every district group, the group of children without a district included.

PeriodKey = tuple[int, int]  # (year, month); month 0 for a calendar year
GroupCounts = dict[tuple[PeriodKey, Scope], dict[str, int]]  # (period, district group) -> counts


def _month_key(month_start: date) -> PeriodKey:
    return month_start.year, month_start.month


def _count_grouped(
    names: Sequence[str], period: Period, *, by_month: bool, district_id: int | None = None
) -> GroupCounts:
    """Counts of ``names`` for the rows whose window dates fall in ``period``, per (year and
    month, or year; district group). One aggregate query per (model, window). ``district_id``
    narrows the rows to one district (the single-scope functions)."""
    start, end = period
    by_window: dict[tuple[ModelKind, str], list[PeriodMetric]] = {}
    for name in names:
        metric = PERIOD_METRICS[name]
        by_window.setdefault((metric.model, metric.window), []).append(metric)
    groups: GroupCounts = {}
    for (model, window), metrics in by_window.items():
        keys: dict[str, Any] = {"group_district": F(_district_of(model)), "group_year": _Year(window)}
        if by_month:
            keys["group_month"] = _Month(window)
        # Aliases m0, m1, …: metric names hold dots, which are no business of the SQL.
        aggregates = {
            f"m{i}": Count("pk", filter=m.condition) if m.condition else Count("pk") for i, m in enumerate(metrics)
        }
        rows = (
            _base(model, district_id)
            .filter(**{f"{window}__gte": start, f"{window}__lt": end})
            .order_by()
            .annotate(**keys)
            .values(*keys)
            .annotate(**aggregates)
        )
        for row in rows:
            key = (int(row["group_year"]), int(row.get("group_month") or 0))
            counts = groups.setdefault((key, row["group_district"]), {})
            counts.update({m.name: row[f"m{i}"] or 0 for i, m in enumerate(metrics)})
    return groups


def sum_groups(
    names: Sequence[str], groups: GroupCounts, periods: Sequence[PeriodKey], scopes: Sequence[Scope]
) -> dict[tuple[PeriodKey, Scope], dict[str, int]]:
    """Every (period, scope) asked for, zeros where no row fell: a district scope takes its
    own group, the all-districts scope (None) the sum of every group, including the group of
    children without a district and districts not among ``scopes``. Loops over groups only."""
    zero = dict.fromkeys(names, 0)
    result = {(period, scope): dict(zero) for period in periods for scope in scopes}
    for (period, district), counts in groups.items():
        if (period, None) in result:
            total = result[(period, None)]
            for name, value in counts.items():
                total[name] += value
        if district is not None and (period, district) in result:
            result[(period, district)].update(counts)
    return result


def _periods_span(months: Sequence[date]) -> Period:
    return month_bounds(min(months))[0], month_bounds(max(months))[1]


def _with_annual_rates(data: dict[str, Any]) -> dict[str, Any]:
    data["refusal_rate_dfe"] = percent(data["requests_decided_not_to_assess"], data["requests_received"])
    data["pc_plans_issued_within_20_weeks"] = percent(data["plans_issued_within_20_weeks"], data["plans_issued"])
    data["pc_plans_issued_within_20_weeks_excluding_exceptions"] = percent(
        data["plans_issued_within_20_weeks_excluding_exceptions"], data["plans_issued_excluding_exceptions"]
    )
    return data


def _backlog_grouped(on: date, scopes: Sequence[Scope], district_id: int | None = None) -> dict[Scope, dict[str, Any]]:
    """The backlog for every scope: one grouped aggregate per model, and one query for the
    oldest open case of every district group (a row number per district, first kept)."""
    groups: dict[Scope, dict[str, Any]] = {}
    for model in ("request", "advice"):
        metrics = [m for m in _BACKLOG if m.model == model]
        aggregates = {f"m{i}": Count("pk", filter=m.q(on)) for i, m in enumerate(metrics)}
        base = _base(model, district_id)
        base = base.filter(_open_on(on)) if model == "request" else base.filter(_advice_outstanding(on))
        rows = base.order_by().annotate(group_district=F(_district_of(model))).values("group_district")
        for row in rows.annotate(**aggregates):
            counts = groups.setdefault(row["group_district"], {})
            counts.update({m.name: row[f"m{i}"] or 0 for i, m in enumerate(metrics)})

    names = [m.name for m in _BACKLOG]
    summed = sum_groups(names, {((0, 0), d): c for d, c in groups.items()}, [(0, 0)], scopes)
    result: dict[Scope, dict[str, Any]] = {scope: summed[((0, 0), scope)] for scope in scopes}

    # The oldest open request of each district group (ties on the day: the lowest id, as the
    # single query ``order_by("received_on", "pk").first()`` picks): one row per group.
    district = _district_of("request")
    first_rows = (
        _base("request", district_id)
        .filter(_open_on(on))
        .order_by()
        .annotate(
            group_district=F(district),
            rank=Window(RowNumber(), partition_by=[F(district)], order_by=[F("received_on").asc(), F("pk").asc()]),
        )
        .filter(rank=1)
        .values("pk", "reference", "received_on", "group_district")
    )
    oldest: dict[Scope, dict[str, Any]] = {}
    for row in first_rows:  # one row per district group
        for scope in {None, row["group_district"]}:  # the all-districts scope, and the row's district
            known = oldest.get(scope)
            if known is None or (row["received_on"], row["pk"]) < (known["received_on"], known["pk"]):
                oldest[scope] = row
    for scope, data in result.items():
        row = oldest.get(scope)
        data["oldest_open_case"] = (
            {
                "request_id": row["pk"],
                "reference": row["reference"] or f"Request {row['pk']}",
                "received_on": row["received_on"].isoformat(),
                "days_open": (on - row["received_on"]).days,
            }
            if row
            else None
        )
    return result


# --- The figures -----------------------------------------------------------------------------


def monthly_request_metrics_by_scope(
    *, months: Sequence[date], district_ids: Iterable[int] | None = None
) -> dict[tuple[date, Scope], dict[str, Any]]:
    """``monthly_request_metrics`` for every month of ``months`` (first days) and every scope
    (None: all districts, and each of ``district_ids``, by default every district), keyed by
    (month, scope). Four aggregate queries whatever the number of months and districts; the
    scan covers the months from the first to the last of ``months``."""
    months = sorted({m.replace(day=1) for m in months})
    if not months:
        return {}
    scopes: list[Scope] = [None, *_district_ids(district_ids)]
    groups = _count_grouped(MONTHLY_METRICS, _periods_span(months), by_month=True)
    summed = sum_groups(MONTHLY_METRICS, groups, [_month_key(m) for m in months], scopes)
    return {(month, scope): dict(summed[(_month_key(month), scope)]) for month in months for scope in scopes}


def annual_request_metrics_by_scope(
    *, years: Sequence[int], district_ids: Iterable[int] | None = None
) -> dict[tuple[int, Scope], dict[str, Any]]:
    """``annual_request_metrics`` for every year of ``years`` and every scope, keyed by (year,
    scope). Two aggregate queries whatever the number of years and districts."""
    years = sorted(set(years))
    if not years:
        return {}
    scopes: list[Scope] = [None, *_district_ids(district_ids)]
    groups = _count_grouped(ANNUAL_METRICS, (year_bounds(years[0])[0], year_bounds(years[-1])[1]), by_month=False)
    summed = sum_groups(ANNUAL_METRICS, groups, [(year, 0) for year in years], scopes)
    maintained = plans_maintained_by_scope(years=years, scopes=scopes)
    return {
        (year, scope): _with_annual_rates(dict(summed[((year, 0), scope)]))
        | {PLANS_MAINTAINED: maintained[(year, scope)]}
        for year in years
        for scope in scopes
    }


def backlog_snapshot_by_scope(*, on: date, district_ids: Iterable[int] | None = None) -> dict[Scope, dict[str, Any]]:
    """``backlog_snapshot`` for every scope (None: all districts, and each district), keyed by
    scope. Three queries whatever the number of districts."""
    return _backlog_grouped(on, [None, *_district_ids(district_ids)])


def monthly_request_metrics(*, month_start: date, district_id: int | None = None) -> dict[str, Any]:
    """Counts for one calendar month (docs/domain.md §5), keyed by metric name (``MONTHLY_METRICS``).

    Requests received (by source, primary need and age band at received_on), decisions to
    assess or not dated in the month, decisions within 6 weeks, plans issued (within 20
    weeks, with and without exceptions), decisions not to issue (within 16 weeks) and advice
    returned (within 6 weeks) by adviser type. The same grouped queries as
    ``monthly_request_metrics_by_scope``, narrowed to the one scope.
    """
    key = _month_key(month_start)
    groups = _count_grouped(MONTHLY_METRICS, month_bounds(month_start), by_month=True, district_id=district_id)
    return sum_groups(MONTHLY_METRICS, groups, [key], [district_id])[(key, district_id)]


def annual_request_metrics(*, year: int, district_id: int | None = None) -> dict[str, Any]:
    """Figures for a calendar year on the DfE basis (requests.csv, timeliness_20_week.csv).

    Request outcomes count the requests received in the year by their outcome now, over all
    requests received in the year (``refusal_rate_dfe``); plan timeliness counts the plans
    issued in the year, including and excluding exceptions (DfE's headline excludes them).
    """
    groups = _count_grouped(ANNUAL_METRICS, year_bounds(year), by_month=False, district_id=district_id)
    data = _with_annual_rates(sum_groups(ANNUAL_METRICS, groups, [(year, 0)], [district_id])[((year, 0), district_id)])
    data[PLANS_MAINTAINED] = plans_maintained_by_scope(years=[year], scopes=[district_id])[(year, district_id)]
    return data


def backlog_snapshot(*, on: date, district_id: int | None = None) -> dict[str, Any]:
    """The open work on a day: open requests by stage and by weeks since received, decisions
    overdue, advice outstanding and overdue by adviser type (the EP backlog), and the oldest
    open case.

    Reads each request's stored current status, so it is exact for today; the nightly job
    takes it for today. For a past ``on`` it counts requests received by then that are open
    now, which is an approximation (a request closed since is missing).
    """
    return _backlog_grouped(on, [district_id], district_id)[district_id]


# --- The cases behind a number ---------------------------------------------------------------


def is_metric(metric: str) -> bool:
    return metric in PERIOD_METRICS or metric in BACKLOG_METRICS or metric == PLANS_MAINTAINED


def metric_kind(metric: str) -> Literal["period", "backlog"]:
    if metric in PERIOD_METRICS or metric == PLANS_MAINTAINED:
        return "period"
    if metric in BACKLOG_METRICS:
        return "backlog"
    raise UnknownMetric(metric)


def metric_model(metric: str) -> ModelKind:
    if metric == PLANS_MAINTAINED:
        return "request"
    definition = PERIOD_METRICS.get(metric) or BACKLOG_METRICS.get(metric)
    if definition is None:
        raise UnknownMetric(metric)
    return definition.model


def metric_label(metric: str) -> str:
    if metric == PLANS_MAINTAINED:
        return PLANS_MAINTAINED_LABEL
    definition = PERIOD_METRICS.get(metric) or BACKLOG_METRICS.get(metric)
    if definition is None:
        raise UnknownMetric(metric)
    return definition.label


def cases_for(
    metric: str,
    *,
    month_start: date | None = None,
    year: int | None = None,
    on: date | None = None,
    district_id: int | None = None,
) -> QuerySet[Any]:
    """The rows counted by ``metric``: AssessmentRequests, or AdviceRequests for ``advice_*``.

    Period figures take ``month_start`` or ``year``; backlog figures take ``on``. The queryset
    is the one the count aggregates, filtered by the same ``Q``, so ``.count()`` equals the
    stored number (for the same data). ``plans_maintained`` takes ``year``: the plans in force on
    that year's January census day.
    """
    if metric == PLANS_MAINTAINED:
        if year is None:
            raise ValueError(f"{metric} needs year")
        return _base("request", district_id).filter(plans_maintained_q(census_date(year)))
    if metric in PERIOD_METRICS:
        definition = PERIOD_METRICS[metric]
        if month_start is not None:
            period = month_bounds(month_start)
        elif year is not None:
            period = year_bounds(year)
        else:
            raise ValueError(f"{metric} needs month_start or year")
        return _base(definition.model, district_id).filter(definition.q(period))
    if metric in BACKLOG_METRICS:
        if on is None:
            raise ValueError(f"{metric} needs on")
        backlog = BACKLOG_METRICS[metric]
        return _base(backlog.model, district_id).filter(backlog.q(on))
    raise UnknownMetric(metric)
