"""Comparisons of a month's stored figures (issue 16): the month beside the month before, the
same month a year earlier, and the year to date beside the previous year to date.

Pure functions over the stored monthly counts (``MonthlyMetric.data`` keyed by month): no
database. A count over a period is the sum of its months' counts; a share over a period is
worked out from the summed counts (numerator ÷ denominator × 100, one decimal, as
``figures.Figure.value`` does for one month), never as an average of monthly shares. A period
with any month not stored has no value (None), so a comparison never silently covers fewer months.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from reporting.figures import FIGURES, add_months, month_label

MonthlyData = Mapping[date, Mapping[str, Any] | None]

# The figures compared, in the order a report lists them: each count beside its share.
COMPARED: tuple[str, ...] = (
    "requests_received",
    "requests_from_parents",
    "pc_requests_from_parents",
    "decisions_to_assess",
    "decisions_not_to_assess",
    "refusal_rate",
    "decisions_made",
    "decisions_within_6_weeks",
    "pc_decisions_within_6_weeks",
    "not_issue_decisions",
    "not_issue_decisions_within_16_weeks",
    "pc_not_issue_decisions_within_16_weeks",
    "plans_issued",
    "plans_issued_within_20_weeks",
    "pc_plans_issued_within_20_weeks",
    "plans_issued_excluding_exceptions",
    "plans_issued_within_20_weeks_excluding_exceptions",
    "pc_plans_issued_within_20_weeks_excluding_exceptions",
    "advice_returned.educational_psychology",
    "advice_returned_within_6_weeks.educational_psychology",
    "pc_ep_advice_within_6_weeks",
)


@dataclass(frozen=True)
class Periods:
    """The periods a month is compared with."""

    month: date
    last_month: date
    same_month_last_year: date
    year_to_date: tuple[date, ...]
    previous_year_to_date: tuple[date, ...]

    @property
    def needed(self) -> tuple[date, date]:
        """The first and last month whose figures the comparisons read."""
        return min(self.previous_year_to_date[0], self.last_month), self.month

    def labels(self) -> dict[str, str]:
        return {
            "month": month_label(self.month),
            "last_month": month_label(self.last_month),
            "same_month_last_year": month_label(self.same_month_last_year),
            "year_to_date": _span(self.year_to_date),
            "previous_year_to_date": _span(self.previous_year_to_date),
        }


def _span(months: Sequence[date]) -> str:
    first, last = months[0], months[-1]
    return month_label(first) if first == last else f"{first:%B} to {month_label(last)}"


def periods_for(month: date) -> Periods:
    """``month`` (its first day) and the periods it is compared with. The year to date runs
    from January to the month; the previous year to date over the same months a year before."""
    month = month.replace(day=1)
    year_to_date = tuple(date(month.year, m, 1) for m in range(1, month.month + 1))
    return Periods(
        month=month,
        last_month=add_months(month, -1),
        same_month_last_year=date(month.year - 1, month.month, 1),
        year_to_date=year_to_date,
        previous_year_to_date=tuple(date(m.year - 1, m.month, 1) for m in year_to_date),
    )


def summed(data: MonthlyData, months: Sequence[date]) -> dict[str, Any] | None:
    """The counts of ``months`` added up (numbers only), or None if any month is not stored."""
    total: dict[str, Any] = {}
    for month in months:
        found = data.get(month)
        if found is None:
            return None
        for key, value in found.items():
            if isinstance(value, int) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
    return total


def value(key: str, data: MonthlyData, months: Sequence[date]) -> Any:
    """A figure over ``months``: a summed count, or a share of summed counts; None if a month is missing."""
    found = summed(data, months)
    figure = FIGURES[key]
    if found is not None and figure.share_of is not None:
        found.pop(key, None)  # a stored rate is never summed: work it out from the counts
    return figure.value(found)


@dataclass(frozen=True)
class Comparison:
    key: str
    month: Any
    last_month: Any
    same_month_last_year: Any
    year_to_date: Any
    previous_year_to_date: Any

    @property
    def values(self) -> tuple[Any, Any, Any, Any, Any]:
        return (self.month, self.last_month, self.same_month_last_year, self.year_to_date, self.previous_year_to_date)


def compare(data: MonthlyData, month: date, keys: Sequence[str] = COMPARED) -> list[Comparison]:
    """Each figure of ``keys`` for ``month`` beside its comparisons (``data``: stored counts by month)."""
    p = periods_for(month)
    return [
        Comparison(
            key=key,
            month=value(key, data, [p.month]),
            last_month=value(key, data, [p.last_month]),
            same_month_last_year=value(key, data, [p.same_month_last_year]),
            year_to_date=value(key, data, p.year_to_date),
            previous_year_to_date=value(key, data, p.previous_year_to_date),
        )
        for key in keys
    ]
