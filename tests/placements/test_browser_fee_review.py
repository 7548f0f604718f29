"""Headless Chromium: an annual fee review through the panel and back (issue 17).

The finance officer records the provider's request for an uplift from the contract page,
negotiates the line, and records it agreed above the panel's ceiling: the review goes back to the
panel and the contract page still shows the old fee in force. The chair puts the referral on a
meeting (services, as the panel tests do), opens it (it says it is a fee review of the contract,
with the figures before and after) and approves a higher ceiling. The finance officer then sees
the new fee in force and the versions history. Every page visited passes the axe scan."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.utils import timezone

from core.roles import Role
from panels import services as panel_services
from panels.models import PanelMember
from placements.models import FeeReview
from tests.conftest import make_user
from tests.placements.factories import make_active_contract
from tests.placements.test_browser_finance import fill_date


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_fee_review_above_the_ceiling_goes_through_the_panel_and_back(
    page, browser, live_server, personas, sign_in, assert_accessible
):
    base = live_server.url
    finance, chair = personas.finance, personas.chair
    today = timezone.localdate()
    contract = make_active_contract(actor=finance, ceiling_pence=5_500_000)  # £50,000 agreed

    def check(p: Any) -> None:
        p.wait_for_load_state("domcontentloaded")
        assert_accessible(p)

    # 1. Finance: the request, the line, the outcome.
    sign_in(page, finance)
    page.goto(f"{base}/placements/contracts/{contract.pk}/")
    check(page)
    assert "£50,000.00" in page.locator("#fee-versions").evaluate("e => e.parentElement.innerText")
    page.get_by_role("link", name="Record an annual fee review request").click()
    check(page)
    fill_date(page, "received_on", today)
    fill_date(page, "effective_from", today)
    page.get_by_label("Annual cost the provider asks for").fill("60000")
    page.get_by_label("The provider's reasons").fill("Staff pay award and energy costs")
    page.get_by_role("button", name="Record the request").click()
    check(page)
    page.get_by_role("link", name="Negotiate Tuition").click()
    check(page)
    page.get_by_label("Amount the provider asks for").fill("60000")
    page.get_by_label("Amount agreed").fill("58000")
    page.get_by_role("button", name="Save the line").click()
    check(page)
    page.get_by_role("link", name="Record as agreed").click()
    check(page)
    page.get_by_role("button", name="Record as agreed").click()
    check(page)
    assert "above the panel's ceiling of £55,000.00" in page.locator("#awaiting-panel").inner_text()
    review = FeeReview.objects.get(contract=contract)
    assert review.status == "awaiting_panel"
    page.goto(f"{base}/placements/contracts/{contract.pk}/")
    check(page)
    assert "Waiting for the panel" in page.content()

    # 2. The panel: the referral on today's agenda, the meeting held (services).
    members = [
        PanelMember.objects.create(user=make_user(Role.PANEL_MEMBER, username=f"member_{n}"), member_type=kind)
        for n, kind in enumerate(("sen", "sen", "ep", "finance"))
    ]
    meeting = panel_services.meeting_schedule(
        actor=chair, held_on=today, starts_at=time(10), location="Council Chamber"
    )
    panel_services.agenda_add_item(actor=chair, meeting=meeting, referral=review.referral)
    panel_services.meeting_circulate_papers(actor=chair, meeting=meeting)
    panel_services.attendance_record(actor=chair, meeting=meeting, present_member_ids=[m.pk for m in members])
    panel_services.meeting_mark_held(actor=chair, meeting=meeting)

    chair_page = browser.new_page()
    sign_in(chair_page, chair)
    chair_page.goto(f"{base}/panel/referrals/{review.referral_id}/")
    check(chair_page)
    notice = chair_page.locator("#fee-review").inner_text()
    assert contract.reference in notice and "£50,000.00" in notice and "£58,000.00" in notice
    chair_page.goto(f"{base}/panel/meetings/{meeting.pk}/")
    check(chair_page)
    chair_page.get_by_role("link", name="Record decision on item 1").click()
    check(chair_page)
    chair_page.get_by_label("Approved", exact=True).check()
    for test in ("suitable", "compatible", "resources"):
        chair_page.locator(f"#id_{test}_answer_0").check()  # Yes
    chair_page.locator('[name="agreed_annual_ceiling"]').fill("58,000")
    chair_page.get_by_label("The panel's reasons").fill("The uplift is justified by the provider's costs.")
    chair_page.get_by_role("button", name="Record the decision", exact=True).click()
    check(chair_page)
    chair_page.close()

    # 3. Finance: the new fee in force, and the history.
    review.refresh_from_db()
    assert review.status == "agreed"
    page.goto(f"{base}/placements/contracts/{contract.pk}/")
    check(page)
    versions = page.locator("#versions").inner_text()
    assert "£50,000.00" in versions and "£58,000.00" in versions
    assert "Annual cost in force today: £58,000.00" in page.content().replace("<strong>", "").replace("</strong>", "")
    page.goto(f"{base}/placements/queues/fee-reviews/")
    check(page)
    assert contract.reference not in page.locator("main").inner_text()
