"""Comparisons worked out by hand (issue 16): a month beside last month, the same month last
year, and the year to date beside the previous year to date; shares from summed counts."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from reporting import comparisons
from reporting.models import MonthlyMetric


def m(year: int, month: int) -> date:
    return date(year, month, 1)


# Hand-built stored counts (MonthlyMetric.data). March 2025 is compared.
DATA: dict[date, dict[str, int]] = {
    m(2024, 1): {"requests_received": 3, "decisions_to_assess": 1, "decisions_not_to_assess": 1, "plans_issued": 1,
                 "plans_issued_within_20_weeks": 1},
    m(2024, 2): {"requests_received": 5, "decisions_to_assess": 1, "decisions_not_to_assess": 0, "plans_issued": 0,
                 "plans_issued_within_20_weeks": 0},
    m(2024, 3): {"requests_received": 7, "decisions_to_assess": 2, "decisions_not_to_assess": 2, "plans_issued": 4,
                 "plans_issued_within_20_weeks": 1},
    m(2025, 1): {"requests_received": 2, "decisions_to_assess": 1, "decisions_not_to_assess": 0, "plans_issued": 2,
                 "plans_issued_within_20_weeks": 0},
    m(2025, 2): {"requests_received": 8, "decisions_to_assess": 3, "decisions_not_to_assess": 1, "plans_issued": 3,
                 "plans_issued_within_20_weeks": 3},
    m(2025, 3): {"requests_received": 10, "decisions_to_assess": 6, "decisions_not_to_assess": 4, "plans_issued": 5,
                 "plans_issued_within_20_weeks": 2},
}  # fmt: skip


def _by_key(data):
    return {c.key: c.values for c in comparisons.compare(data, date(2025, 3, 1))}


def test_counts_are_summed_over_the_year_to_date():
    # month, last month, March 2024, Jan-Mar 2025 (2+8+10), Jan-Mar 2024 (3+5+7)
    assert _by_key(DATA)["requests_received"] == (10, 8, 7, 20, 15)


def test_shares_over_a_period_come_from_summed_counts_not_an_average_of_months():
    # refusal: 4/10; 1/4; 2/4; (0+1+4)/(1+4+10) = 5/15; (1+0+2)/(2+1+4) = 3/7
    assert _by_key(DATA)["refusal_rate"] == (40.0, 25.0, 50.0, 33.3, 42.9)
    # 20 weeks: 2/5; 3/3; 1/4; (0+3+2)/(2+3+5) = 5/10; (1+0+1)/(1+0+4) = 2/5
    assert _by_key(DATA)["pc_plans_issued_within_20_weeks"] == (40.0, 100.0, 25.0, 50.0, 40.0)


def test_a_rate_stored_with_the_counts_is_never_summed():
    data = {month: {**counts, "refusal_rate": 99} for month, counts in DATA.items()}
    assert _by_key(data)["refusal_rate"] == (40.0, 25.0, 50.0, 33.3, 42.9)


def test_a_period_with_a_month_missing_has_no_value():
    data = {month: counts for month, counts in DATA.items() if month != m(2024, 2)}
    assert _by_key(data)["requests_received"] == (10, 8, 7, 20, None)


def test_a_share_with_no_denominator_is_none():
    assert _by_key(DATA)["pc_not_issue_decisions_within_16_weeks"] == (None, None, None, None, None)


def test_january_is_compared_with_december_and_its_year_to_date_is_itself():
    p = comparisons.periods_for(date(2025, 1, 17))
    assert (p.month, p.last_month, p.same_month_last_year) == (m(2025, 1), m(2024, 12), m(2024, 1))
    assert p.year_to_date == (m(2025, 1),) and p.previous_year_to_date == (m(2024, 1),)
    assert p.labels()["year_to_date"] == "January 2025"
    assert comparisons.periods_for(m(2025, 3)).labels()["previous_year_to_date"] == "January to March 2024"


@pytest.mark.django_db
def test_the_dashboard_shows_the_comparisons_from_the_stored_snapshots(page_client_for, personas):
    now = timezone.now()
    MonthlyMetric.objects.bulk_create(
        [MonthlyMetric(month=month, district=None, data=counts, computed_at=now) for month, counts in DATA.items()]
    )
    page = (
        page_client_for(personas.manager)
        .get(reverse("dashboard:home"), {"from_month": "2025-01", "to_month": "2025-03"})
        .content.decode()
    )
    table = page[page.index('id="table-comparison"') :]
    table = table[: table.index("</table>")]
    row = table[table.index("Refusal rate (decision basis)") :]
    row = row[: row.index("</tr>")]
    assert re.findall(r"\d+\.\d%", row) == ["40.0%", "25.0%", "50.0%", "33.3%", "42.9%"]
    assert "Previous year to date (January to March 2024)" in table


@pytest.mark.django_db
def test_a_long_range_shows_its_latest_13_months_and_summarises_the_years_before(page_client_for, personas):
    now = timezone.now()
    months = [date(2022 + i // 12, i % 12 + 1, 1) for i in range(36)]  # Jan 2022 to Dec 2024
    MonthlyMetric.objects.bulk_create(
        [
            MonthlyMetric(
                month=month,
                district=None,
                data={"requests_received": 2, "decisions_to_assess": 3, "decisions_not_to_assess": 1},
                computed_at=now,
            )
            for month in months
        ]
    )
    page = (
        page_client_for(personas.manager)
        .get(reverse("dashboard:home"), {"from_month": "2022-01", "to_month": "2024-12"})
        .content.decode()
    )
    table = page[page.index('id="table-decisions"') :]
    table = table[: table.index("</table>")]
    assert "2022 (whole year)" in table and "January 2022" not in table  # 2022 is one row
    assert "2023 (Jan to Nov)" in table and "November 2023" not in table  # so are 2023's first 11 months
    assert "December 2023" in table and "December 2024" in table  # the latest 13 months, month by month
    year_row = table[table.index("2022 (whole year)") :]
    year_row = year_row[: year_row.index("</tr>")]
    # 12 × 3 agreed, 12 × 1 refused, refusal rate 12 / 48 = 25.0%
    cells = re.findall(r"<td[^>]*>(.*?)</td>", year_row, re.S)
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells[:3]] == ["36", "12", "25.0%"]
    assert "summarised by calendar year" in page
