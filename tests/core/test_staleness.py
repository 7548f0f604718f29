"""The stale-month marks that every dated change leaves for the reporting jobs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import StaleMonth
from core.staleness import clear_stale, is_stale, mark_stale, month_start, stale_months


def test_month_start_of_a_date_and_of_an_aware_datetime() -> None:
    assert month_start(dt.date(2026, 3, 31)) == dt.date(2026, 3, 1)
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (BST).
    late = dt.datetime(2026, 5, 31, 23, 30, tzinfo=dt.UTC)
    assert month_start(late) == dt.date(2026, 6, 1)


@pytest.mark.django_db
def test_marks_each_month_once_ignores_none_and_keeps_the_latest_reason() -> None:
    months = mark_stale([dt.date(2026, 1, 5), None, dt.date(2026, 1, 30), dt.date(2025, 12, 1)], "decision corrected")
    assert months == [dt.date(2025, 12, 1), dt.date(2026, 1, 1)]
    mark_stale([dt.date(2026, 1, 9)], "plan date corrected")
    assert stale_months() == [dt.date(2025, 12, 1), dt.date(2026, 1, 1)]
    assert StaleMonth.objects.get(month=dt.date(2026, 1, 1)).reason == "plan date corrected"
    assert stale_months(since=dt.date(2026, 1, 20)) == [dt.date(2026, 1, 1)]
    assert mark_stale([None], "nothing") == []


@pytest.mark.django_db
def test_clear_keeps_a_mark_made_while_the_recompute_ran() -> None:
    began = timezone.now()
    mark_stale([dt.date(2026, 2, 1)], "before", now=began - dt.timedelta(minutes=1))
    mark_stale([dt.date(2026, 3, 1)], "during", now=began + dt.timedelta(seconds=5))
    assert clear_stale([dt.date(2026, 2, 14), dt.date(2026, 3, 2)], computed_from=began) == 1
    assert not is_stale(dt.date(2026, 2, 1))
    assert is_stale(dt.date(2026, 3, 20))


@pytest.mark.django_db
def test_database_refuses_a_month_that_is_not_its_first_day() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        StaleMonth.objects.create(month=dt.date(2026, 1, 2), marked_at=timezone.now(), reason="x")
