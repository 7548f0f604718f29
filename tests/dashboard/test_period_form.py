"""The dashboard's period form says which month is missing and what to enter (issue 18 item 2)."""

from __future__ import annotations

from reporting.views.home import PeriodForm


def test_an_empty_period_names_each_month_and_how_to_write_it():
    form = PeriodForm({}, districts=[])
    assert not form.is_valid()
    assert form.errors["from_month"] == ["Enter the first month of the period, for example 2025-01"]
    assert form.errors["to_month"] == ["Enter the last month of the period, for example 2025-12"]
