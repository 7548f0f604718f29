"""Dashboard test data: a small, hand-computed world around March 2025 and a backlog day.

Every expected number in the tests is worked out by hand from the rows below (see the
comments on each row); the same rows feed the definitions, the API and the pages.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from core.models import District
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
