"""panel_figures against a small data set whose figures are worked out by hand below."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from panels.reports import panel_figures
from tests.panels.factories import AgendaItemFactory, HeldMeetingFactory, PanelDecisionFactory, ReferralFactory

pytestmark = pytest.mark.django_db

JAN_1, JAN_31 = date(2025, 1, 1), date(2025, 1, 31)


@pytest.fixture
def january() -> None:
    """
    Referrals:  R1 2024-12-20 (before the period), R2 01-05, R3 01-10, R4 01-12, R5 02-03 (after).
    Meetings:   M1 held 01-15, M2 held 01-29, M3 held 02-12 (after).

    R1 at M1  approve                  requested 60,000.00  ceiling 55,000.00   wait 26 days
    R2 at M1  decline                  requested 80,000.00                      wait 10 days
    R3 at M1  defer to M2              (not final)
    R3 at M2  approve with conditions  requested 70,000.00  ceiling 70,000.00   wait 19 days
    R4 at M2  more information         (not final)
    R5 at M3  approve                  (after the period)

    received 3 (R2, R3, R4); decided 3; approved 2; rate 2/3;
    requested (final) 210,000.00; requested (approved) 130,000.00; agreed 125,000.00;
    mean wait (26 + 10 + 19) / 3 = 18.3 days; median 19 days.
    """
    r1, r2, r3, r4, r5 = (
        ReferralFactory(referred_on=day)
        for day in (date(2024, 12, 20), date(2025, 1, 5), date(2025, 1, 10), date(2025, 1, 12), date(2025, 2, 3))
    )
    m1, m2, m3 = (HeldMeetingFactory(held_on=day) for day in (date(2025, 1, 15), date(2025, 1, 29), date(2025, 2, 12)))

    def decide(referral: object, meeting: object, position: int, **fields: object) -> None:
        item = AgendaItemFactory(referral=referral, meeting=meeting, position=position, status="decided")
        PanelDecisionFactory(item=item, **fields)

    decide(r1, m1, 1, requested_annual_cost_pence=6_000_000, agreed_annual_ceiling_pence=5_500_000)
    decide(
        r2,
        m1,
        2,
        outcome="decline",
        resources_answer="no",
        requested_annual_cost_pence=8_000_000,
        agreed_annual_ceiling_pence=None,
    )
    decide(r3, m1, 3, outcome="defer", deferred_to=m2, agreed_annual_ceiling_pence=None)
    decide(
        r3,
        m2,
        1,
        outcome="approve_with_conditions",
        conditions="Review after two terms",
        requested_annual_cost_pence=7_000_000,
        agreed_annual_ceiling_pence=7_000_000,
    )
    decide(r4, m2, 2, outcome="more_information", agreed_annual_ceiling_pence=None)
    decide(r5, m3, 1, requested_annual_cost_pence=9_000_000, agreed_annual_ceiling_pence=9_000_000)


@pytest.mark.usefixtures("january")
def test_panel_figures_for_january() -> None:
    figures = panel_figures(date_from=JAN_1, date_to=JAN_31)
    assert figures.referrals_received == 3
    assert figures.decided == 3
    assert figures.approved == 2
    assert figures.approval_rate == 0.6667
    assert figures.cost_requested_pence == 21_000_000
    assert figures.cost_requested_approved_pence == 13_000_000
    assert figures.cost_agreed_pence == 12_500_000
    assert figures.mean_days_to_decision == 18.3
    assert figures.median_days_to_decision == (19.0 if connection.vendor == "postgresql" else None)
    assert figures.by_outcome == {
        "approve": 1,
        "approve_with_conditions": 1,
        "decline": 1,
        "defer": 1,
        "more_information": 1,
    }
    assert figures.as_dict()["date_from"] == "2025-01-01"


@pytest.mark.usefixtures("january")
def test_panel_figures_take_two_queries(django_assert_num_queries: object) -> None:
    with django_assert_num_queries(2):  # type: ignore[operator]
        panel_figures(date_from=JAN_1, date_to=JAN_31)


def test_an_empty_period() -> None:
    figures = panel_figures(date_from=JAN_1, date_to=JAN_31)
    assert (figures.referrals_received, figures.decided, figures.approval_rate) == (0, 0, None)
    assert (figures.cost_requested_pence, figures.cost_agreed_pence, figures.mean_days_to_decision) == (0, 0, None)
    assert set(figures.by_outcome.values()) == {0}
