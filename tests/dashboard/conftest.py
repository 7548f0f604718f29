"""Dashboard test data: a small, hand-computed world around March 2025 and a backlog day.

Every expected number in the tests is worked out by hand from the rows below (see the
comments on each row); the same rows feed the definitions, the API and the pages.
"""

from __future__ import annotations

import os
import random
import sys
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from core.models import District
from demo import core_demo, history
from requests_app.models import AdviceRequest, AdviserType, AssessmentRequest, RequestSource
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    AssessmentRequestFactory,
    ChildFactory,
    DistrictFactory,
    DraftingRequestFactory,
    EvaluatingRequestFactory,
    NotIssuedRequestFactory,
    PlanIssuedRequestFactory,
    RefusedRequestFactory,
    WithdrawnRequestFactory,
)

MARCH = date(2025, 3, 1)
BACKLOG_DAY = date(2025, 6, 30)


def _child(district: District, **kwargs: Any) -> Any:
    return ChildFactory(district=district, **kwargs)


@pytest.fixture
def districts(db: None) -> tuple[District, District]:
    return DistrictFactory(name="Ashford"), DistrictFactory(name="Canterbury")


@pytest.fixture
def march_world(districts: tuple[District, District]) -> dict[str, AssessmentRequest]:
    """Requests and advice around March 2025, district A (Ashford) unless said otherwise."""
    a, b = districts
    rows: dict[str, AssessmentRequest] = {}
    # r1: received 1 Mar (5th birthday that day: band 5-10), refused 31 Mar (due 12 Apr: in time).
    rows["r1"] = RefusedRequestFactory(
        child=_child(a, date_of_birth=date(2020, 3, 1)),
        received_on=date(2025, 3, 1),
        request_outcome_on=date(2025, 3, 31),
    )
    # r2: received 10 Feb, decided to assess 31 Mar: counts in March (decision month); due 24 Mar: late.
    rows["r2"] = AssessingRequestFactory(
        child=_child(a), received_on=date(2025, 2, 10), request_outcome_on=date(2025, 3, 31)
    )
    # r3: received 15 Feb, decided to assess on 1 April: not a March decision.
    rows["r3"] = AssessingRequestFactory(
        child=_child(a), received_on=date(2025, 2, 15), request_outcome_on=date(2025, 4, 1)
    )
    # r4: received 5 Mar (one day before 5th birthday: band 0-4), withdrawn 20 Mar: not a decision.
    rows["r4"] = WithdrawnRequestFactory(
        child=_child(a, date_of_birth=date(2020, 3, 6)),
        received_on=date(2025, 3, 5),
        request_outcome_on=date(2025, 3, 20),
    )
    # r5: plan issued 3 Mar, due 9 Mar: within 20 weeks, no exception.
    rows["r5"] = PlanIssuedRequestFactory(
        child=_child(a), received_on=date(2024, 10, 20), final_plan_issued_on=date(2025, 3, 3)
    )
    # r6: plan issued 10 Mar, due 18 Feb: late; an exception applied (week20).
    rows["r6"] = PlanIssuedRequestFactory(
        child=_child(a), received_on=date(2024, 10, 1), final_plan_issued_on=date(2025, 3, 10)
    )
    # r7: plan issued 12 Mar, due 14 Mar: within 20 weeks; an exception applied (week20).
    rows["r7"] = PlanIssuedRequestFactory(
        child=_child(a), received_on=date(2024, 10, 25), final_plan_issued_on=date(2025, 3, 12)
    )
    AssessmentRequest.objects.filter(pk__in=[rows["r6"].pk, rows["r7"].pk]).update(week20=True)
    # r8: decision not to issue 15 Mar, due 23 Mar: within 16 weeks.
    rows["r8"] = NotIssuedRequestFactory(
        child=_child(a), received_on=date(2024, 12, 1), assessment_outcome_on=date(2025, 3, 15)
    )
    # r9: imported history, district B, from a school, received and refused 31 Mar; aged 15 (16 on 1 Apr).
    rows["r9"] = RefusedRequestFactory(
        child=_child(b, date_of_birth=date(2009, 4, 1)),
        received_on=date(2025, 3, 31),
        request_outcome_on=date(2025, 3, 31),
        source=RequestSource.SCHOOL,
        imported=True,
    )
    # r10: received 1 Jun 2025, no decision yet.
    rows["r10"] = AssessmentRequestFactory(child=_child(a), received_on=date(2025, 6, 1))
    # r11: received 20 Dec 2025, refused 10 Jan 2026: a 2025 refusal on the DfE basis.
    rows["r11"] = RefusedRequestFactory(
        child=_child(a), received_on=date(2025, 12, 20), request_outcome_on=date(2026, 1, 10)
    )
    # Advice on r2: EP received 25 Mar (due 3 Apr: in time); EP received 2 Mar (due 12 Feb: late);
    # health received 1 Apr (not March).
    AdviceRequestFactory(request=rows["r2"], requested_on=date(2025, 2, 20), received_on=date(2025, 3, 25))
    AdviceRequestFactory(request=rows["r2"], requested_on=date(2025, 1, 1), received_on=date(2025, 3, 2))
    AdviceRequestFactory(
        request=rows["r2"],
        adviser_type=AdviserType.HEALTH,
        requested_on=date(2025, 2, 20),
        received_on=date(2025, 4, 1),
    )
    return rows


@pytest.fixture
def backlog_world(districts: tuple[District, District]) -> dict[str, AssessmentRequest]:
    """Open work on 30 June 2025."""
    a, b = districts
    on = BACKLOG_DAY
    rows: dict[str, AssessmentRequest] = {}
    # b1: exactly 6 weeks open: band "up to 6 weeks"; decision target is today: not overdue.
    rows["b1"] = AssessmentRequestFactory(child=_child(a), received_on=on - timedelta(days=42))
    # b2: 6 weeks and a day, still evaluating: "6 to 16 weeks", decision overdue.
    rows["b2"] = EvaluatingRequestFactory(child=_child(b), received_on=on - timedelta(days=43))
    # b3: exactly 16 weeks, assessing: "6 to 16 weeks", not deciding so not a decision overdue.
    rows["b3"] = AssessingRequestFactory(child=_child(a), received_on=on - timedelta(days=112))
    # b4: a year and a day, drafting: "over 52 weeks", the oldest open case.
    rows["b4"] = DraftingRequestFactory(child=_child(a), received_on=on - timedelta(days=365))
    # b5: closed (refused): not in the backlog, nor is its outstanding advice.
    rows["b5"] = RefusedRequestFactory(child=_child(a), received_on=on - timedelta(days=200))
    # b6: received tomorrow: not open on the day.
    rows["b6"] = AssessmentRequestFactory(child=_child(a), received_on=on + timedelta(days=1))
    # EP advice on b3: one overdue (target 8 days ago), one outstanding in time; health received.
    AdviceRequestFactory(request=rows["b3"], requested_on=on - timedelta(days=50))
    AdviceRequestFactory(request=rows["b3"], requested_on=on - timedelta(days=10))
    AdviceRequestFactory(
        request=rows["b3"],
        adviser_type=AdviserType.HEALTH,
        requested_on=on - timedelta(days=50),
        received_on=on - timedelta(days=5),
    )
    AdviceRequestFactory(request=rows["b5"], requested_on=on - timedelta(days=150))
    assert AdviceRequest.objects.count() == 4
    return rows


def table_part(rows: list[Any]) -> list[Any]:
    """A dashboard export's rows after its title block (which ends with an empty row)."""
    rows = [list(row) for row in rows]
    blank = next(i for i, row in enumerate(rows) if all(v in (None, "") for v in row))
    return rows[blank + 1 :]


# --- The calibrated demo history, built once for every test that reads it ----------------------
# tests/dashboard/test_calibration.py and tests/dashboard/sen2/test_demo.py both need the whole
# 2016-today history (about 30,000 requests: a minute and a half of CPU to generate). It is built
# once, inside one outer transaction, the first time a test asks for ``calibrated_history``, and
# rolled back as soon as the next test to run is not of a module that asks for it. Those modules'
# tests are kept together: placed next to each other in the collection (so a run without xdist builds it
# once too) and in one xdist group (so ``--dist loadgroup`` sends them all to one process). Each
# module's own additions (the metrics jobs, the SEN2 items and build) go in its module fixture's
# savepoint inside this transaction, and each test's in pytest-django's savepoint inside that.

HISTORY_FIXTURE = "calibrated_history"
HISTORY_SEED = 2018
# A fixed day, so the history (and every figure measured on it) is the same whenever it runs.
HISTORY_TODAY = date(2026, 11, 30)


class _OpenHistory:
    """The outer transaction holding the history, open from the first test that needs it to the
    last; ``builds`` counts how often it was generated in this process."""

    def __init__(self) -> None:
        self.atomic: Any = None
        self.blocker: Any = None
        self.summary: history.HistorySummary | None = None
        self.builds = 0

    def open(self, blocker: Any) -> history.HistorySummary:
        if self.atomic is None:
            with blocker.unblock():
                atomic = transaction.atomic()
                atomic.__enter__()
                try:
                    districts = core_demo.seed_districts()
                    core_demo.seed_establishments(random.Random(1), districts)
                    summary = history.seed_history(random.Random(HISTORY_SEED), today=HISTORY_TODAY)
                    # The deferred foreign-key checks of its rows, now, once: left pending, every
                    # test's teardown (Django's TestCase checks constraints before rolling back
                    # its savepoint, which then restores them as pending) checked them again.
                    connection.check_constraints()
                except BaseException:
                    atomic.__exit__(*sys.exc_info())
                    raise
            self.atomic, self.blocker, self.summary = atomic, blocker, summary
            self.builds += 1
            trace = os.environ.get("SENPORTAL_TEST_HISTORY_TRACE")
            if trace:  # a line per build, for checking that a run builds it once
                with open(trace, "a") as log:
                    log.write(f"pid {os.getpid()}: history built ({summary.requests} requests)\n")
        assert self.summary is not None
        return self.summary

    def close(self) -> None:
        if self.atomic is not None:
            atomic, self.atomic, self.summary = self.atomic, None, None
            with self.blocker.unblock():
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)


_HISTORY = _OpenHistory()


@pytest.fixture(scope="module")
def calibrated_history(django_db_setup: None, django_db_blocker: Any) -> history.HistorySummary:
    """demo.history's county history (with the demo's districts and establishments), read-only:
    a module fixture that adds to it does so in its own savepoint and rolls that back."""
    return _HISTORY.open(django_db_blocker)


_IN_HISTORY_GROUP = pytest.StashKey[bool]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The group: every test of a module where some test reads the history (a module fixture on
    # it stays open until the module's last test).
    modules = {item.module for item in items if HISTORY_FIXTURE in getattr(item, "fixturenames", ())}
    group = [item for item in items if getattr(item, "module", None) in modules]
    if not group:
        return
    for item in group:
        item.add_marker(pytest.mark.xdist_group("calibrated-history"))
        item.stash[_IN_HISTORY_GROUP] = True
    first = items.index(group[0])
    rest = [item for item in items if not item.stash.get(_IN_HISTORY_GROUP, False)]
    items[:] = rest[:first] + group + rest[first:]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    result = yield  # the test's own fixtures (and any module fixture on the history) first
    if nextitem is None or not nextitem.stash.get(_IN_HISTORY_GROUP, False):
        _HISTORY.close()
    return result
