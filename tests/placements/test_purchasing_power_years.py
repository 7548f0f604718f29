"""Purchasing power over time (docs/domain.md): spend, pupils, average cost, share of spend and
savings by financial year (1 April to 31 March), worked out by hand below."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import AccessAction, AccessLog
from placements import reports, workflow
from placements.models import ContractVersion, PlacementContract
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
        "uplift_pence": 0,  # no fee review: no uplift
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
            "uplift_pence": 0,
            "deductions_pence": 25_000,
        },
        {
            "year": 2025,
            "label": "2025-26",
            "pupils": 3,
            "spend_pence": 6_370_000,
            "negotiation_savings_pence": 365_000,
            "uplift_pence": 0,
            "deductions_pence": 50_000,
        },
    ]


def test_sorting_by_a_figure(two_years):
    a, b = two_years
    assert [r["provider_id"] for r in reports.purchasing_power_year(year=2025, order_by="-spend_pence")] == [a.pk, b.pk]
    assert [r["provider_id"] for r in reports.purchasing_power_year(year=2025, order_by="spend_pence")] == [b.pk, a.pk]
    with pytest.raises(ValueError, match="Sort by one of"):
        reports.purchasing_power_year(year=2025, order_by="nonsense")


# --- Page, export and API --------------------------------------------------------------------------

PAGE = "/placements/purchasing-power/years/"
API = "/api/placements/purchasing-power/years/"


def _fresh(client, user):
    client.force_login(user)
    return client


def test_page_shows_the_chosen_year_and_every_year(client, personas, two_years):
    a, _ = two_years
    response = _fresh(client, personas.finance).get(PAGE, {"year": "2025"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Providers in 2025-26" in html
    assert "£54,700.00" in html and "85.9%" in html and "£3,650.00" in html
    assert '<option value="2025" selected>2025-26</option>' in html
    assert response.context["rows"][0]["provider_id"] == a.pk  # the largest spend first


def test_page_refuses_a_year_not_offered(client, personas, two_years):
    response = _fresh(client, personas.finance).get(PAGE, {"year": "1999"})
    assert response.status_code == 400
    assert "Choose a financial year from the list" in response.content.decode()
    assert _fresh(client, personas.finance).get(PAGE, {"year": "20x5"}).status_code == 400


@pytest.mark.parametrize("persona", ["officer", "panel_member", "head_teacher", "ep", "evaluator", "chair", "admin"])
def test_only_finance_and_managers_see_the_report(client, api_client_for, personas, persona):
    user = getattr(personas, persona)
    assert _fresh(client, user).get(PAGE).status_code == 403
    assert api_client_for(user).get(API).status_code == 403


def test_finance_and_managers_see_the_report(client, api_client_for, personas, two_years):
    for user in (personas.finance, personas.manager):
        assert _fresh(client, user).get(PAGE).status_code == 200
        assert api_client_for(user).get(API, {"year": 2025}).status_code == 200
    assert api_client_for(None).get(API).status_code == 401


def test_exports_go_through_the_gate_and_leave_a_log_row(client, personas, two_years):
    finance = _fresh(client, personas.finance)
    asked = finance.get(PAGE, {"year": "2025", "export": "providers", "format": "csv"})
    assert "Why are you downloading this?" in asked.content.decode()
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()
    response = finance.get(
        PAGE, {"year": "2025", "export": "providers", "format": "csv", "purpose": "service_planning"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Provider",
        "Pupils",
        "Spend (£)",
        "Share of spend (%)",
        "Average annual cost (£)",
        "Saved by negotiation (£)",
        "Cost of uplifts (£)",
        "Saved by deductions (£)",
    ]
    assert rows[1][1:] == ["2", "54700", "85.9", "54750", "3650", "0", "500"]
    log = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert log.object_type == "placement_report:years_providers" and "purpose=service_planning" in log.path
    xlsx = finance.get(PAGE, {"year": "2025", "export": "years", "format": "xlsx", "purpose": "service_planning"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert finance.get(PAGE, {"export": "everything", "format": "csv"}).status_code == 400


def test_api_gives_the_year_and_the_totals(api_client_for, personas, two_years):
    a, _ = two_years
    body = api_client_for(personas.manager).get(API, {"year": 2025, "order_by": "-spend_pence"}).json()
    assert body["label"] == "2025-26" and body["starts_on"] == "2025-04-01" and body["ends_on"] == "2026-03-31"
    assert body["rows"][0]["provider_id"] == a.pk
    assert body["rows"][0]["spend_pence"] == 5_470_000
    assert body["rows"][0]["share_percent"] == "85.9"
    assert [y["label"] for y in body["years"]][-1] == "2025-26"
    bad = api_client_for(personas.manager).get(API, {"order_by": "password"})
    assert bad.status_code == 400 and "order_by" in bad.json()["errors"]


def test_a_fee_that_changes_mid_year_prices_each_day_at_the_version_in_force(two_years):
    """A's whole-year place has a fee review from 1 October 2025 (£36,500 → £73,000): April to
    September at the old fee, October to March at the new one (issue 17: every figure uses the
    version in force on the day). The contracts without versions keep their agreed cost."""
    a, b = two_years
    whole = PlacementContract.objects.get(provider=a, status="active")
    # Version 1: asked £40,150, agreed £36,500; version 2 (the review): asked £76,650, agreed £73,000.
    for number, day, cost, asked in (
        (1, date(2025, 4, 1), 3_650_000, 4_015_000),
        (2, date(2025, 10, 1), 7_300_000, 7_665_000),
    ):
        ContractVersion.objects.create(
            contract=whole,
            version_no=number,
            effective_from=day,
            annual_cost_pence=cost,
            requested_annual_cost_pence=asked,
            panel_decision=whole.panel_decision,
            created_by=whole.created_by,
        )
    rows = {row["provider_id"]: row for row in reports.purchasing_power_year(year=2025)}
    # 36,500 × 183/365 + 73,000 × 182/365 = 18,300 + 36,400 = £54,700; the ended place £18,200.
    assert rows[a.pk]["spend_pence"] == 7_290_000
    assert rows[b.pk]["spend_pence"] == 900_000
    years = {row["year"]: row for row in reports.purchasing_power_years(until=date(2026, 6, 1))}
    assert years[2025]["spend_pence"] == 8_190_000  # 72,900 + 9,000
    assert years[2026]["spend_pence"] == 10_950_000  # 73,000 (the new fee all year) + 36,500
    # Saved by negotiation: each version's ask against what was agreed for it, day by day:
    # 3,650 × 183/365 + 3,650 × 182/365 = £3,650. The rise is not a negative saving (the first
    # quote against the new fee would be £40,150 − £54,700).
    assert years[2025]["negotiation_savings_pence"] == 365_000
    assert rows[a.pk]["negotiation_savings_pence"] == 365_000
    # The uplift, shown as such: (73,000 − 36,500) × 182/365 = £18,200 in 2025-26, £36,500 in 2026-27.
    assert years[2025]["uplift_pence"] == 1_820_000
    assert rows[a.pk]["uplift_pence"] == 1_820_000
    assert years[2026]["uplift_pence"] == 3_650_000
    assert years[2026]["negotiation_savings_pence"] == 365_000
