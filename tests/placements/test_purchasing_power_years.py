"""Purchasing power over time (docs/domain.md): spend, pupils, average cost, share of spend and
savings by financial year (1 April to 31 March), worked out by hand below."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from placements import reports, workflow
from tests.placements.factories import (
    ActiveContractFactory,
    AttendanceReturnFactory,
    DeductionFactory,
    EndedContractFactory,
    ProviderFactory,
)

# --- Rules (no database) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2025, 4, 1), 2025), (date(2026, 3, 31), 2025), (date(2025, 3, 31), 2024), (date(2025, 12, 31), 2025)],
)
def test_financial_year_runs_april_to_march(day, year):
    assert workflow.financial_year_of(day) == year


def test_financial_year_names_days_and_shares():
    assert workflow.financial_year_label(2025) == "2025-26"
    assert workflow.financial_year_label(2099) == "2099-00"
    assert workflow.financial_year_bounds(2025) == (date(2025, 4, 1), date(2026, 3, 31))
    assert workflow.financial_year_days(2025) == 365
    assert workflow.financial_year_days(2027) == 366  # to 31 March 2028, after 29 February
    assert workflow.share_percent(5_470_000, 6_370_000) == Decimal("85.9")
    assert workflow.share_percent(1, 0) is None
    assert workflow.pro_rata_pence(7_300_000 * 91, 365) == 1_820_000


# --- Figures (database) -----------------------------------------------------------------------------


@pytest.fixture
def two_years(db):
    """Provider A: a whole-year place at £36,500 (quoted £40,150) from 1 April 2025, and a place at
    £73,000 from 1 September to 30 November 2025 (91 days). Provider B: a place at £36,500 from
    1 January 2026 (90 days in 2025-26). A confirmed £500 deduction in 2025-26 and a £250 one in
    2026-27; a pending one (not counted)."""
    a = ProviderFactory()
    b = ProviderFactory()
    whole = ActiveContractFactory(
        provider=a,
        start_on=date(2025, 4, 1),
        quoted_annual_cost_pence=4_015_000,
        agreed_annual_cost_pence=3_650_000,
        lines=[],
    )
    EndedContractFactory(
        provider=a,
        start_on=date(2025, 9, 1),
        ended_on=date(2025, 11, 30),
        quoted_annual_cost_pence=7_300_000,
        agreed_annual_cost_pence=7_300_000,
        lines=[],
    )
    ActiveContractFactory(
        provider=b,
        start_on=date(2026, 1, 1),
        quoted_annual_cost_pence=3_650_000,
        agreed_annual_cost_pence=3_650_000,
        lines=[],
    )
    confirmed = {"status": "confirmed", "decided_by": whole.created_by, "decided_at": timezone.now()}
    DeductionFactory(attendance_return=AttendanceReturnFactory(contract=whole), amount_pence=50_000, **confirmed)
    DeductionFactory(
        attendance_return=AttendanceReturnFactory(
            contract=whole, period_start=date(2026, 4, 13), period_end=date(2026, 4, 30)
        ),
        amount_pence=25_000,
        **confirmed,
    )
    DeductionFactory(
        attendance_return=AttendanceReturnFactory(
            contract=whole, period_start=date(2026, 1, 5), period_end=date(2026, 3, 27)
        ),
        amount_pence=99_999,
    )
    return a, b


def test_a_year_by_provider_hand_checked(two_years, django_assert_num_queries):
    a, b = two_years
    with django_assert_num_queries(1):
        rows = reports.purchasing_power_year(year=2025)
    by_provider = {row["provider_id"]: row for row in rows}
    # A: 36,500 × 365/365 + 73,000 × 91/365 = 36,500 + 18,200 = £54,700; saved 3,650 × 365/365.
    assert by_provider[a.pk] == {
        "provider_id": a.pk,
        "provider_name": a.establishment.name,
        "pupils": 2,
        "spend_pence": 5_470_000,
        "share_percent": Decimal("85.9"),
        "average_pence": 5_475_000,  # (36,500 + 73,000) ÷ 2
        "negotiation_savings_pence": 365_000,
        "deductions_pence": 50_000,
    }
    # B: 36,500 × 90/365 = £9,000; 9,000 ÷ 63,700 = 14.1%.
    assert by_provider[b.pk]["spend_pence"] == 900_000
    assert by_provider[b.pk]["share_percent"] == Decimal("14.1")
    assert by_provider[b.pk]["pupils"] == 1


def test_a_year_before_any_placement_is_empty(two_years):
    assert reports.purchasing_power_year(year=2024) == []


def test_years_summary_hand_checked(two_years, django_assert_num_queries):
    with django_assert_num_queries(3):
        years = reports.purchasing_power_years(until=date(2026, 6, 1))
    assert years == [
        {
            "year": 2026,
            "label": "2026-27",
            "pupils": 2,  # the whole-year place and B's (the ended one finished in 2025-26)
            "spend_pence": 7_300_000,
            "negotiation_savings_pence": 365_000,
            "deductions_pence": 25_000,
        },
        {
            "year": 2025,
            "label": "2025-26",
            "pupils": 3,
            "spend_pence": 6_370_000,
            "negotiation_savings_pence": 365_000,
            "deductions_pence": 50_000,
        },
    ]


def test_sorting_by_a_figure(two_years):
    a, b = two_years
    assert [r["provider_id"] for r in reports.purchasing_power_year(year=2025, order_by="-spend_pence")] == [a.pk, b.pk]
    assert [r["provider_id"] for r in reports.purchasing_power_year(year=2025, order_by="spend_pence")] == [b.pk, a.pk]
    with pytest.raises(ValueError, match="Sort by one of"):
        reports.purchasing_power_year(year=2025, order_by="nonsense")
