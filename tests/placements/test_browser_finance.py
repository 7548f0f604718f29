"""Headless Chromium: the finance officer's journey from a panel approval to the
purchasing-power report.

They open the approved panel decision, create the contract, enter the provider's costs, record
two negotiation rounds (seeing the position, not a saving, and correcting a round), agree the
fees, set the attendance clause, upload a term's attendance CSV in which one pupil is below the
threshold, confirm the deduction, and see it in the purchasing-power report. Every page visited
passes an axe-core scan. Screenshots go to /tmp."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from placements.models import Deduction, PlacementContract
from tests.panels.factories import IndependentSchoolFactory
from tests.placements.factories import PenaltyClauseFactory, ProviderFactory, approved_decision
from tests.requests_app.factories import ChildFactory

SCREENSHOTS = Path("/tmp")


def fill_date(page: Any, name: str, value: date) -> None:
    page.locator(f'[name="{name}_day"]').fill(str(value.day))
    page.locator(f'[name="{name}_month"]').fill(str(value.month))
    page.locator(f'[name="{name}_year"]').fill(str(value.year))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_finance_officer_takes_an_approval_to_the_purchasing_power_report(
    page, live_server, personas, sign_in, assert_accessible, tmp_path
):
    base = live_server.url
    finance = personas.finance
    provider = ProviderFactory(establishment=IndependentSchoolFactory(name="Longbarn House School"))
    child = ChildFactory(forename="Zebedee", surname="Quintrell")
    approved_decision(child=child, establishment=provider.establishment, ceiling_pence=6_000_000)
    # Another pupil at the same school, already placed: their return is on the same file.
    other = PenaltyClauseFactory(contract__provider=provider).contract

    def visit_ok(name: str | None = None) -> None:
        page.wait_for_load_state("domcontentloaded")
        assert_accessible(page)
        if name:
            page.screenshot(path=str(SCREENSHOTS / f"placements_{name}.png"), full_page=True)

    sign_in(page, finance)
    visit_ok()
    page.get_by_role("link", name="Placements").first.click()
    visit_ok("contract_list")

    # Open the approved decision and create the contract.
    page.get_by_role("button", name="Create a contract").click()
    visit_ok()
    page.get_by_role("link", name="Create the contract for Zebedee Quintrell").click()
    visit_ok()
    assert "£60,000.00" in page.content()
    fill_date(page, "start_on", date(2025, 9, 1))
    fill_date(page, "annual_review_on", date(2026, 7, 1))
    page.get_by_role("button", name="Create the contract").click()
    visit_ok()
    contract = PlacementContract.objects.get(child=child)
    assert page.locator("#contract-status").inner_text() == "Draft"

    # Negotiate.
    page.get_by_role("link", name="Start negotiation").click()
    visit_ok()
    page.get_by_role("button", name="Start negotiation").click()
    visit_ok()
    for category, amount, period in (
        ("Tuition", "16666.67", "Per term"),
        ("Speech and language therapy", "1500", "Per term"),
        ("Transport", "45", "Per day"),
    ):
        page.get_by_role("link", name="Add a cost line").click()
        visit_ok()
        page.get_by_label("Kind of cost").select_option(label=category)
        page.get_by_label("Quoted amount").fill(amount)
        page.get_by_label(period).check()
        page.get_by_role("button", name="Add the cost line").click()
        visit_ok()
    # £50,000.01 + £4,500 + £8,550 quoted a year.
    assert "£63,050.01" in page.locator("#totals").inner_text()

    today = timezone.localdate()
    for offer, counter in (("63050.01", "56000"), ("59500", "")):
        page.get_by_role("link", name="Record a round").click()
        visit_ok()
        fill_date(page, "on", today)
        page.get_by_label("Provider's offer (a year)").fill(offer)
        page.get_by_label("Council's counter-offer (a year)").fill(counter)
        page.get_by_role("button", name="Record the round").click()
        visit_ok()
    assert page.locator("#rounds tbody tr").count() == 2
    # Before the fees are agreed the page shows where the negotiation stands, not a saving.
    assert "latest offer from the provider £59,500.00" in page.locator("#position").inner_text()
    assert page.locator("#saving").inner_text() == "Shown once the fees are agreed"
    # A round entered wrongly is corrected with a reason; the history shows before and after.
    page.get_by_role("link", name=re.compile(r"^Correct round 2 ")).click()
    visit_ok("round_correct")
    page.get_by_label("Provider's offer (a year)").fill("59400")
    page.get_by_label("Reason for the correction").fill("Offer mistyped")
    page.get_by_role("button", name="Save the correction").click()
    visit_ok()
    assert "Provider's offer a year: £59,500.00 → £59,400.00" in page.locator(".app-timeline").inner_text()

    for index, agreed in enumerate(("15833.33", "1400", "42.50")):
        page.locator("#cost-lines tbody tr").nth(index).get_by_role("link", name="Change").click()
        visit_ok()
        page.get_by_label("Agreed amount").fill(agreed)
        page.get_by_role("button", name="Save the cost line").click()
        visit_ok()

    page.get_by_role("link", name="Agree the fees").click()
    visit_ok()
    page.get_by_role("button", name="Agree the fees").click()
    visit_ok()
    assert page.locator("#contract-status").inner_text() == "Active"
    # 47,499.99 + 4,200 + 8,075 agreed; saved 63,050.01 − 59,774.99.
    assert "£59,774.99" in page.locator("#totals").inner_text()
    assert "£3,275.02" in page.locator("#saving").inner_text()

    page.get_by_role("link", name="Set the penalty clause").click()
    visit_ok()
    page.get_by_label("Attendance threshold (%)").fill("90")
    page.get_by_label("A percentage of the period's fee").check()
    page.get_by_label("Deduction (% of the period's fee)").fill("10")
    page.get_by_role("button", name="Save the clause").click()
    visit_ok("contract_detail_agreed")

    # A term's returns for both pupils; Zebedee is below the threshold.
    csv_file = tmp_path / "autumn-term.csv"
    csv_file.write_text(
        "contract_ref,period_kind,period_start,period_end,sessions_possible,sessions_attended,"
        "authorised_absence,unauthorised_absence\n"
        f"{contract.reference},term,2025-09-01,2025-12-19,140,112,6,22\n"
        f"{other.reference},term,2025-09-01,2025-12-19,140,133,5,2\n",
        encoding="utf-8",
    )
    page.get_by_role("link", name="upload a CSV of returns").click()
    visit_ok()
    page.get_by_label("Upload a CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and check").click()
    visit_ok()
    assert "2 rows imported: 2 new returns, 0 corrections, 1 with a deduction to confirm or waive." in page.content()

    page.goto(f"{base}/placements/contracts/{contract.pk}/")
    visit_ok()
    deduction = Deduction.objects.get(attendance_return__contract=contract)
    # A third of £59,774.99 is £19,925.00 (rounded half up); 10% of it is £1,992.50.
    assert deduction.amount_pence == 199_250
    assert "Attendance 84.28% (118 of 140 possible sessions" in page.locator("#returns").text_content()
    page.get_by_role("button", name="Confirm the deduction for 1 Sep 2025 to 19 Dec 2025").click()
    visit_ok("contract_detail")
    deduction.refresh_from_db()
    assert deduction.status == "confirmed"

    page.get_by_role("link", name="Placements").first.click()
    visit_ok()
    page.get_by_role("link", name="Purchasing power").click()
    visit_ok("purchasing_power")
    row = page.locator("#providers-table tbody tr", has_text="Longbarn House School")
    assert "£1,992.50" in row.inner_text()
    row.get_by_role("link", name="£1,992.50 – deductions applied, Longbarn House School").click()
    visit_ok()
    assert contract.reference in page.locator("#contracts").inner_text()
    assert other.reference not in page.locator("#contracts").inner_text()
