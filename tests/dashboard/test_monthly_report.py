"""The printable monthly report's panel and placement sections: the month's figures as the
dashboard shows them (same definitions, every count and sum linking to its cases), tables with a
caption and scoped headers, "council-wide only" for a district, exports, and an A4 printout.

The worlds and their hand-computed figures are those of test_panel_placement_figures.py: March
2025, 5 referrals, 3 decided, 2 approved (66.7%), mean 25.7 days, outcomes 1/1/1/1/0, requested
£170,000 (all) and £100,000 (approvals), agreed £93,000; on 31 October 2025, 3 placements,
£145,000 committed, £7,000 saved, £500 deductions applied and 2 returns below threshold.
"""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AccessAction, AccessLog
from reporting import services
from reporting import sources as roof_sources
from reporting.views import cases_url
from tests.dashboard.conftest import table_part
from tests.dashboard.test_panel_placement_figures import (  # noqa: F401 (fixtures)
    AS_AT,
    MARCH,
    NOVEMBER,
    OCTOBER,
    panel_world,
    placement_world,
)
from tests.requests_app.factories import DistrictFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_suppression(settings: Any) -> None:
    """These worlds hold a handful of cases; the sections, links and formats are what is tested
    here, with nothing shown as "c" (small-number suppression: tests/dashboard/test_suppression.py)."""
    settings.SUPPRESSION_THRESHOLD = 1


@pytest.fixture
def manager_client(client: Any, personas: Any) -> Any:
    client.force_login(personas.manager)
    return client


@pytest.fixture
def stored(panel_world: Any, placement_world: Any) -> tuple[Any, Any]:  # noqa: F811
    services.metrics_compute_range(from_month=MARCH, to_month=NOVEMBER)
    services.backlog_snapshot_take(on=AS_AT)
    return panel_world, placement_world


def _report(client: Any, **params: Any) -> Any:
    return client.get(reverse("dashboard:report"), params)


def _table(page: str, key: str) -> str:
    found = re.search(rf'<table[^>]*id="table-{key}".*?</table>', page, re.S)
    assert found, key
    return found.group(0)


def _linked(page: str, url: str, shown: str) -> bool:
    return f'href="{html.escape(url)}">{shown}<' in page


def test_the_report_has_the_panel_section_with_linked_numbers(stored: Any, manager_client: Any) -> None:
    response = _report(manager_client, month="2025-03")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h2 class="govuk-heading-l" id="report-panel">Placement panel</h2>' in page
    panel = _table(page, "report_panel")
    assert "<caption" in panel and "Referrals to the placement panel and its decisions, March 2025" in panel
    assert 'scope="col"' in panel and 'scope="row"' in panel
    assert _linked(panel, cases_url("panel_referrals_received", month=MARCH), "5")
    assert _linked(panel, cases_url("panel_decided", month=MARCH), "3")
    assert _linked(panel, cases_url("panel_approved", month=MARCH), "2")
    # A rate and a mean are not counts of cases: shown, not linked.
    assert ">66.7%<" in panel and ">25.7<" in panel
    outcomes = _table(page, "report_panel_outcomes")
    for code, shown in (("approve", "1"), ("approve_with_conditions", "1"), ("decline", "1"), ("defer", "1")):
        assert _linked(outcomes, cases_url(f"panel_decisions.outcome.{code}", month=MARCH), shown), code
    cost = _table(page, "report_panel_cost")
    assert _linked(cost, cases_url("panel_cost_requested_pence", month=MARCH), "£170,000.00")
    assert _linked(cost, cases_url("panel_cost_requested_approved_pence", month=MARCH), "£100,000.00")
    assert _linked(cost, cases_url("panel_cost_agreed_pence", month=MARCH), "£93,000.00")
    # The definitions are those the dashboard states.
    for key in ("panel_referrals_received", "panel_decided", "panel_approval_rate", "panel_days_to_decision"):
        assert html.escape(roof_sources.DEFINITIONS[key]) in page, key
    assert roof_sources.DEFINITIONS["council_wide"] in page
    # Each linked number leads to the cases it counts.
    listed = manager_client.get(cases_url("panel_referrals_received", month=MARCH))
    assert listed.status_code == 200 and listed.context["total"] == 5


def test_the_report_has_the_placements_section_as_at_the_month_end(stored: Any, manager_client: Any) -> None:
    page = _report(manager_client, month="2025-10").content.decode()
    assert '<h2 class="govuk-heading-l" id="report-placements">Independent placements</h2>' in page
    placements = _table(page, "report_placements")
    assert "Independent placements on 31 October 2025" in placements
    assert _linked(placements, cases_url("placements_active", month=OCTOBER), "3")
    assert _linked(placements, cases_url("placements_committed_annual_pence", month=OCTOBER), "£145,000.00")
    assert _linked(placements, cases_url("placements_savings_pence", month=OCTOBER), "£8,000.00")
    deductions = _table(page, "report_placements_deductions")
    assert _linked(deductions, cases_url("placements_deductions_applied_pence", month=OCTOBER), "£500.00")
    assert _linked(deductions, cases_url("placements_returns_below_threshold", month=OCTOBER), "2")
    assert html.escape(roof_sources.DEFINITIONS["placements_in_place"]) in page
    listed = manager_client.get(cases_url("placements_active", month=OCTOBER))
    assert listed.status_code == 200 and listed.context["total"] == 3


def test_a_district_report_says_the_panel_and_placement_figures_are_council_wide_only(
    stored: Any, manager_client: Any
) -> None:
    district = DistrictFactory(name="Thanet")
    services.metrics_compute_month(month_start=MARCH)
    response = _report(manager_client, month="2025-03", district=district.pk)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Monthly report: Thanet" in page and "Figures for March 2025, Thanet" in page
    assert "Panel and placement figures are kept for the whole council only, not by district." in page
    assert 'id="table-report_panel"' not in page and 'id="table-report_placements"' not in page
    all_districts = f"{reverse('dashboard:report')}?month=2025-03"
    assert f'href="{all_districts}"' in page
    # The district's numbers link to the district's cases.
    assert cases_url("requests_received", month=MARCH, district_id=district.pk).replace("&", "&amp;") in page


def test_the_dashboard_links_to_the_report_for_its_district(stored: Any, manager_client: Any) -> None:
    district = DistrictFactory(name="Swale")
    page = manager_client.get(
        reverse("dashboard:home"), {"from_month": "2025-03", "to_month": "2025-10", "district": district.pk}
    ).content.decode()
    assert f"{reverse('dashboard:report')}?month=2025-10&amp;district={district.pk}" in page


@pytest.mark.parametrize("district", ["999999", "Thanet"])
def test_an_unknown_district_is_a_bad_request(db: None, manager_client: Any, district: str) -> None:
    response = _report(manager_client, month="2025-03", district=district)
    assert response.status_code == 400
    assert "That district is not known." in response.content.decode()


def test_a_month_without_panel_or_placement_activity_keeps_the_placeholder(db: None, manager_client: Any) -> None:
    DistrictFactory(name="Thanet")
    services.metrics_compute_month(month_start=MARCH)
    page = _report(manager_client, month="2025-03").content.decode()
    assert "Panel and placement figures appear here once those services are in use." in page
    assert 'id="table-report_panel"' not in page


def test_a_reader_without_placement_access_sees_the_numbers_without_links(
    stored: Any, client: Any, personas: Any
) -> None:
    client.force_login(personas.chair)
    page = _report(client, month="2025-10").content.decode()
    placements = _table(page, "report_placements")
    assert ">£145,000.00<" in placements
    assert "href" not in placements
    # The chair may follow the panel's numbers.
    panel = _table(_report(client, month="2025-03").content.decode(), "report_panel")
    assert _linked(panel, cases_url("panel_referrals_received", month=MARCH), "5")


def test_the_new_report_tables_export_with_money_in_pounds(stored: Any, manager_client: Any) -> None:
    response = _report(
        manager_client, month="2025-03", table="report_panel_cost", format="csv", purpose="service_planning"
    )
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="report-2025-03-all-districts-report_panel_cost.csv"'
    )
    rows = table_part(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))))
    assert rows == [
        ["Figure", "Value"],
        ["Requested, all final decisions (£)", "170000"],
        ["Requested, approvals (£)", "100000"],
        ["Agreed ceilings, approvals (£)", "93000"],
    ]
    response = _report(
        manager_client, month="2025-10", table="report_placements", format="xlsx", purpose="service_planning"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert table_part(list(sheet.iter_rows(values_only=True))) == [
        ["Figure", "Value"],
        ["Placements in place", 3],
        ["Committed annual spend (£)", 145000],
        ["Savings from negotiation (£)", 8000],
    ]
    for key in ("report_panel", "report_panel_outcomes", "report_placements_deductions"):
        assert (
            _report(manager_client, month="2025-10", table=key, format="csv", purpose="service_planning").status_code
            == 200
        )
    assert AccessLog.objects.filter(action=AccessAction.EXPORT).count() == 5


# --- On paper ---------------------------------------------------------------------------------------

# The printable area of A4 portrait with the report's margins (210mm - 2 x 12mm) at 96 dpi.
A4_CONTENT_WIDTH_PX = 703


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_report_prints_on_a4_without_link_addresses_or_clipped_tables(
    page: Any,
    live_server: Any,
    personas: Any,
    sign_in: Any,
    assert_accessible: Any,
    panel_world: Any,  # noqa: F811
    placement_world: Any,  # noqa: F811
) -> None:
    services.metrics_compute_range(from_month=MARCH, to_month=NOVEMBER)
    services.backlog_snapshot_take(on=AS_AT)
    sign_in(page, personas.manager)
    page.goto(f"{live_server.url}{reverse('dashboard:report')}?month=2025-10")
    assert page.get_by_role("heading", level=1).inner_text() == "October 2025"
    assert page.get_by_role("heading", level=2, name="Independent placements").is_visible()
    assert (
        page.locator("#table-report_placements")
        .get_by_role("link", name="£145,000.00 committed annual spend, October 2025")
        .is_visible()
    )
    assert_accessible(page)

    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_CONTENT_WIDTH_PX, "height": 1000})
    # Nothing wider than the paper (a table clipped by its scroll box or pushed out by a long
    # address would be).
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_CONTENT_WIDTH_PX
    # GOV.UK Frontend prints a link's address after it; the report's figures print bare.
    after = page.evaluate("getComputedStyle(document.querySelector('#table-report_placements a'), '::after').content")
    assert after in ("none", "normal")
    assert page.locator(".govuk-header").is_hidden()
    assert page.get_by_text("Download this table as").first.is_hidden()
