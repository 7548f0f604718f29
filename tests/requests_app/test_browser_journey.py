"""Headless Chromium: a request from the day it arrives to the final plan, as an SEN officer,
with the provision evaluation officer and the educational psychologist doing their parts.
Every page visited passes an axe-core scan; each step appears on the timeline and the clocks
show the statutory dates computed by ``requests_app.clocks``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from core.models import NeedType
from requests_app import clocks
from requests_app.models import AssessmentRequest
from tests.requests_app.factories import (
    AssessingRequestFactory,
    ChildFactory,
    DistrictFactory,
    EstablishmentFactory,
    ReceivedRequestFactory,
    days_ago,
)

SCREENSHOTS = "/tmp"


def fill_date(page: Any, name: str, value: date) -> None:
    page.locator(f'[name="{name}_day"]').fill(str(value.day))
    page.locator(f'[name="{name}_month"]').fill(str(value.month))
    page.locator(f'[name="{name}_year"]').fill(str(value.year))


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_officer_takes_a_request_from_logging_to_the_final_plan(
    page, browser, live_server, personas, sign_in, assert_accessible
):
    district = DistrictFactory(name="Maidstone")
    EstablishmentFactory(name="Oakwood Primary School", district=district)
    # Some other work in the queue, so the screenshot shows overdue and due-soon rows.
    ReceivedRequestFactory(received_on=days_ago(50), child=ChildFactory(forename="Alex", surname="Brown"))
    ReceivedRequestFactory(received_on=days_ago(38), child=ChildFactory(forename="Priya", surname="Khan"))
    AssessingRequestFactory(received_on=days_ago(70), child=ChildFactory(forename="Tom", surname="Reed"))
    officer, evaluator, ep = personas.officer, personas.evaluator, personas.ep
    officer.first_name, officer.last_name = "Olivia", "Officer"
    officer.save()

    received_on = date.today() - timedelta(weeks=20)
    expected = clocks.request_clocks(received_on)
    base = live_server.url
    checked: list[str] = []

    def check(p: Any) -> None:
        p.wait_for_load_state("domcontentloaded")
        assert_accessible(p)
        checked.append(p.url)

    def submit(p: Any, label: str) -> None:
        p.get_by_role("button", name=label, exact=True).click()
        check(p)
        assert p.locator(".govuk-error-summary").count() == 0, p.locator(".govuk-error-summary").inner_text()

    def other_person(user: Any) -> Any:
        context = browser.new_context()
        other = context.new_page()
        sign_in(other, user)
        return other

    def open_action(p: Any, request: AssessmentRequest, label: str) -> None:
        p.goto(f"{base}/requests/{request.pk}/")
        check(p)
        p.locator("#actions").get_by_role("link", name=label).click()
        check(p)

    # 1. The officer logs the request (received 20 weeks ago, so every later date is in the past).
    sign_in(page, officer)
    page.goto(f"{base}/requests/")
    check(page)
    page.get_by_role("button", name="Log a new request").click()
    check(page)
    page.get_by_label("First name").fill("Ellie")
    page.get_by_label("Last name").fill("Marsh")
    fill_date(page, "date_of_birth", date(2015, 6, 3))
    page.get_by_label("Female").check()
    page.get_by_label("District").select_option(label="Maidstone")
    page.get_by_label("Current school or setting (optional)").select_option(label="Oakwood Primary School")
    page.get_by_label("Primary need", exact=True).select_option(NeedType.SLCN)
    fill_date(page, "received_on", received_on)
    page.get_by_label("Parent", exact=True).check()
    page.get_by_label("Requester's name (optional)").fill("Jo Marsh")
    submit(page, "Log the request")
    request = AssessmentRequest.objects.get(child__surname="Marsh")
    assert page.url == f"{base}/requests/{request.pk}/"
    assert f"Request {request.reference} logged" in page.locator(".govuk-notification-banner").inner_text()

    # 2. Finds it in the queue by search and assigns it to herself.
    page.goto(f"{base}/requests/")
    check(page)
    page.screenshot(path=f"{SCREENSHOTS}/requests_queue.png", full_page=True)
    page.get_by_label("Name, UPN or reference").fill("Ellie Marsh")
    page.get_by_role("button", name="Apply filters").click()
    check(page)
    assert page.locator("#queue-totals").inner_text().startswith("1 request")
    page.get_by_label(f"Select {request.reference}").check()
    page.get_by_label("Assign selected requests to").select_option(label="Olivia Officer")
    submit(page, "Assign selected")
    assert "1 request assigned to Olivia Officer" in page.locator(".govuk-notification-banner").inner_text()

    # 3. The evaluator starts and completes the provision evaluation.
    evaluation_page = other_person(evaluator)
    open_action(evaluation_page, request, "Start the provision evaluation")
    submit(evaluation_page, "Start the evaluation")
    evaluation_page.get_by_label("The school's or setting's views").check()
    evaluation_page.get_by_label("Progress data").check()
    evaluation_page.get_by_label("Assess-plan-do-review cycles evidenced").fill("2")
    evaluation_page.get_by_label("Assess", exact=True).check()
    evaluation_page.get_by_label("Yes, complete the evaluation").check()
    submit(evaluation_page, "Save the evaluation")
    evaluation_page.context.close()

    # 4. The officer decides to assess, within the 6 weeks.
    open_action(page, request, "Decide whether to assess")
    page.get_by_label("Assess", exact=True).check()
    fill_date(page, "notified_on", received_on + timedelta(weeks=5))
    page.get_by_label("The child or young person has or may have SEN").check()
    submit(page, "Record the decision")

    # 5. Requests educational psychology advice.
    open_action(page, request, "Request advice")
    page.get_by_label("Educational psychology").check()
    page.get_by_label("Service or person asked").fill("Educational Psychology Service")
    fill_date(page, "requested_on", received_on + timedelta(weeks=6))
    submit(page, "Record the request for advice")

    # 6. The EP records the advice from the advice queue.
    ep_page = other_person(ep)
    ep_page.goto(f"{base}/requests/advice/")
    check(ep_page)
    ep_page.get_by_role("link", name="Record advice received for Ellie Marsh").click()
    check(ep_page)
    fill_date(ep_page, "received_on", received_on + timedelta(weeks=11))
    submit(ep_page, "Record advice received")
    assert ep_page.url == f"{base}/requests/advice/"
    assert "Ellie Marsh" not in ep_page.locator("main").inner_text().split("Advice recorded as received")[-1]
    ep_page.context.close()

    # 7-11. Completes the assessment, decides to issue, drafts, hears from the family, finalises.
    open_action(page, request, "Complete the assessment")
    submit(page, "Complete the assessment")
    open_action(page, request, "Decide whether to issue a plan")
    page.get_by_label("Issue a plan", exact=True).check()
    fill_date(page, "notified_on", received_on + timedelta(weeks=12))
    submit(page, "Record the decision")
    draft_on = received_on + timedelta(weeks=13)
    open_action(page, request, "Issue the draft plan")
    fill_date(page, "issued_on", draft_on)
    submit(page, "Record the draft as issued")
    open_action(page, request, "Record the family's comments")
    fill_date(page, "received_on", draft_on + timedelta(days=7))
    submit(page, "Record the comments")
    final_on = received_on + timedelta(weeks=16)
    open_action(page, request, "Issue the final plan")
    fill_date(page, "issued_on", final_on)
    page.get_by_label("School or setting named in the plan (optional)").select_option(label="Oakwood Primary School")
    page.get_by_label("Type of placement").select_option(label="Mainstream school")
    submit(page, "Record the final plan as issued")

    # The record: the status, the statutory dates, and every step on the timeline in order.
    assert page.url == f"{base}/requests/{request.pk}/"
    assert page.locator("#request-status").inner_text() == "Plan issued"
    page.screenshot(path=f"{SCREENSHOTS}/request_detail.png", full_page=True)
    page.screenshot(path=f"{SCREENSHOTS}/request_detail_top.png")
    clock_values = [page.locator(f'[data-clock="{n}"]').inner_text() for n in (1, 2, 3)]
    assert f"Statutory due date: {long_date(expected.decision_due_on)}" in clock_values[0]
    assert f"Met on {long_date(received_on + timedelta(weeks=5))}" in clock_values[0]
    assert f"Statutory due date: {long_date(expected.not_issue_due_on)}" in clock_values[1]
    assert "Not applicable" in clock_values[1]
    assert f"Statutory due date: {long_date(expected.final_plan_due_on)}" in clock_values[2]
    assert f"Met on {long_date(final_on)}" in clock_values[2]
    assert page.locator("#week20").inner_text() == "No"
    steps = page.locator(".app-timeline h3").all_inner_texts()
    assert steps == [
        "Request received",
        "Assigned to an officer",
        "Provision evaluation started",
        "Provision evaluation completed",
        "Decided to assess",
        "Advice requested",
        "Advice received",
        "Assessment completed",
        "Decided to issue a plan",
        "Draft plan issued",
        "Family's comments on the draft received",
        "Final plan issued",
    ]
    timeline = page.locator(".app-timeline").inner_text()
    assert "Status: Draft plan issued to Plan issued" in timeline
    assert f"Next deadline after this: {long_date(expected.final_plan_target_on)}" in timeline
    assert len(checked) >= 30


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_decision_letter_prints_without_the_service_chrome(page, live_server, personas, sign_in, assert_accessible):
    from tests.requests_app.factories import RefusedRequestFactory

    request = RefusedRequestFactory(requester_name="Jo Marsh")
    decision = request.decisions.get()
    sign_in(page, personas.officer)
    page.goto(f"{live_server.url}/requests/{request.pk}/decisions/{decision.pk}/letter/")
    assert_accessible(page)
    page.emulate_media(media="print")
    assert not page.locator(".govuk-header").is_visible()
    assert not page.locator(".govuk-service-navigation").is_visible()
    assert page.get_by_role("heading", name="Your right of appeal").is_visible()
    page.screenshot(path=f"{SCREENSHOTS}/decision_letter_print.png", full_page=True)
