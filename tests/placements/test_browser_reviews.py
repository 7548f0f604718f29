"""Headless Chromium: a finance officer holds an overdue placement review, records the outcome
"end" (the notice is given with it), then records the child's leaving. Every page visited passes
an axe-core scan, the error state included."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from placements.models import PlacementContract, PlacementReview
from tests.panels.factories import IndependentSchoolFactory
from tests.placements.factories import ActiveContractFactory, PenaltyClauseFactory, ProviderFactory
from tests.requests_app.factories import ChildFactory


def fill_date(page: Any, name: str, value: date) -> None:
    page.locator(f'[name="{name}_day"]').fill(str(value.day))
    page.locator(f'[name="{name}_month"]').fill(str(value.month))
    page.locator(f'[name="{name}_year"]').fill(str(value.year))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_finance_officer_ends_a_placement_after_its_review(page, live_server, personas, sign_in, assert_accessible):
    base = live_server.url
    today = timezone.localdate()
    provider = ProviderFactory(establishment=IndependentSchoolFactory(name="Hollowmere School"))
    contract = ActiveContractFactory(
        provider=provider,
        child=ChildFactory(forename="Ottoline", surname="Brackwater"),
        start_on=today - timedelta(days=300),
        annual_review_on=today + timedelta(days=65),
        notice_period_days=28,
    )
    PenaltyClauseFactory(contract=contract)
    PlacementReview.objects.create(
        contract=contract,
        due_on=today - timedelta(days=5),
        expected_attendance_percent=Decimal("95"),
        expected_outcomes="Reading age within two years of chronological age",
    )

    def visit_ok() -> None:
        page.wait_for_load_state("domcontentloaded")
        assert_accessible(page)

    sign_in(page, personas.finance)
    page.goto(f"{base}/placements/queues/")
    visit_ok()
    page.get_by_role("link", name="Placement reviews due: 1").click()
    visit_ok()
    assert "Overdue by 5 days" in page.locator("#queue").inner_text()
    page.get_by_role("link", name=f"Record the outcome of the review for {contract.reference}").click()
    visit_ok()

    # Nothing chosen: the errors name the fields, and nothing is saved.
    page.get_by_role("button", name="Record the outcome").click()
    visit_ok()
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Select the outcome of the review" in summary and "Enter the evidence the review considered" in summary

    fill_date(page, "held_on", today)
    page.get_by_label("End the placement", exact=True).check()
    page.get_by_label("Evidence the review considered").fill("Attendance 71% this term; needs better met elsewhere")
    page.get_by_role("button", name="Record the outcome").click()
    visit_ok()
    contract.refresh_from_db()
    earliest = today + timedelta(days=28)
    assert (contract.status, contract.notice_given_on, contract.end_on) == ("active", today, earliest)
    notice = page.locator("#notice").inner_text()
    assert f"Notice given {today.day} {today:%B %Y}" in notice
    assert "End the placement" in page.locator("#review-list").inner_text()
    # The expected attendance sits beside the clause's threshold, and the difference is said.
    assert "95%" in page.locator("#attendance-expectation").inner_text()
    assert "below the 95%" in page.locator("#attendance-note").inner_text()

    page.get_by_role("link", name="End the placement", exact=True).click()
    visit_ok()
    fill_date(page, "ended_on", earliest)
    page.get_by_label("Ended after a placement review").check()
    page.get_by_label("Say more about why the placement ended").fill("Moving to a maintained special school")
    page.get_by_role("button", name="End the placement").click()
    visit_ok()
    contract = PlacementContract.objects.get(pk=contract.pk)
    assert (contract.status, contract.ended_on, contract.leaving_reason) == ("ended", earliest, "review_decision")
    assert page.locator("#contract-status").inner_text() == "Ended"
    assert "Ended after a placement review" in page.locator("#leaving").inner_text()
