"""The retention schedule's rules (pure; docs/retention.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from requests_app.retention import Rule, ScheduleError, schedule
from requests_app.services.subject_access import one_month_after

CASE = Rule("sen_case_file", "date_of_birth", 31, "anonymise")


def test_the_case_file_is_due_on_the_31st_birthday_not_the_day_before() -> None:
    born = date(1995, 6, 15)
    assert CASE.due_on(born) == date(2026, 6, 15)
    assert not CASE.is_due(born, date(2026, 6, 14))
    assert CASE.is_due(born, date(2026, 6, 15))


def test_a_leap_day_birthday_counts_from_28_february() -> None:
    assert CASE.due_on(date(1996, 2, 29)) == date(2027, 2, 28)


def test_access_log_cutoff_is_years_before_now() -> None:
    rule = Rule("access_log", "written", 6, "delete")
    assert rule.cutoff(datetime(2026, 12, 7, 3, 15, tzinfo=UTC)) == datetime(2020, 12, 7, 3, 15, tzinfo=UTC)


GOOD = {
    "sen_case_file": {"basis": "date_of_birth", "years": 31, "action": "anonymise"},
    "access_log": {"basis": "written", "years": 6, "action": "delete"},
}


def test_the_schedule_is_read_and_checked() -> None:
    assert schedule(GOOD)["sen_case_file"] == CASE


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"access_log": None}, "no rule for access_log"),
        ({"access_log": {"basis": "closure", "years": 6, "action": "delete"}}, "basis"),
        ({"access_log": {"basis": "written", "years": 6, "action": "shred"}}, "action"),
        ({"access_log": {"basis": "written", "years": 0, "action": "delete"}}, "at least one year"),
    ],
)
def test_the_job_refuses_an_incomplete_or_wrong_schedule(change: dict, message: str) -> None:
    raw = {**GOOD, **change}
    raw = {k: v for k, v in raw.items() if v is not None}
    with pytest.raises(ScheduleError, match=message):
        schedule(raw)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 9, 3), date(2026, 10, 3)),
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_a_subject_access_request_is_due_one_calendar_month_after_receipt(received: date, due: date) -> None:
    assert one_month_after(received) == due
