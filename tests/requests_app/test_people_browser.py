"""Headless Chromium: a school asks for an assessment of a child with two parents; the officer
records the family and the professionals, decides to assess, and finds the letters addressed
to the parents (not the school), stored as PDFs, sent through the outbox, the reg 4(2)/5(2)
notices recorded; files the EP's advice report, corrects the child's date of birth with a reason
and reads both on the timeline; and finds their own deadlines on the digest page. Every page passes axe-core."""

from __future__ import annotations

from typing import Any

import pytest

from core.models import Document
from requests_app.models import Letter, OutboundMessage
from requests_app.people_models import MessageState
from requests_app.services import letters as letter_services
from tests.core.document_files import pdf
from tests.requests_app.factories import (
    AwaitingDecisionRequestFactory,
    ChildFactory,
    EstablishmentFactory,
    days_ago,
)
from tests.requests_app.test_browser_journey import fill_date


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_decision_letters_go_to_both_parents_not_the_school(
    page: Any,
    live_server: Any,
    personas: Any,
    sign_in: Any,
    assert_accessible: Any,
    settings: Any,
    tmp_path: Any,
    documents_storage: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MESSAGE_BACKEND = "outbox"
    school = EstablishmentFactory(name="Oakwood Primary School")
    child = ChildFactory(forename="Robin", surname="Testfamily", current_establishment=school)
    officer = personas.officer
    request = AwaitingDecisionRequestFactory(
        child=child,
        source="school",
        requester_name="Mrs Ng",
        requester_relationship="SENCO",
        received_on=days_ago(30),
        assigned_officer=officer,
    )
    # Another of the officer's requests, past its 6-week decision date: it leads the digest.
    late = AwaitingDecisionRequestFactory(received_on=days_ago(50), assigned_officer=officer)
    base = live_server.url

    def check() -> None:
        page.wait_for_load_state("domcontentloaded")
        assert_accessible(page)

    def submit(label: str) -> None:
        page.get_by_role("button", name=label, exact=True).click()
        check()
        assert page.locator(".govuk-error-summary").count() == 0, page.locator(".govuk-error-summary").inner_text()

    sign_in(page, officer)
    page.goto(f"{base}/requests/{request.pk}/")
    check()
    page.get_by_role("link", name="People and letters: the family, professionals and the letters sent").click()
    check()
    assert "Add a parent or carer with parental responsibility" in page.content()

    def add_person(kind: str, name: str, email: str, *, role: str = "", organisation: str = "") -> None:
        page.get_by_role("link", name="Add a family member or professional").click()
        check()
        page.get_by_label(kind, exact=True).check()
        page.get_by_label("Full name").fill(name)
        if kind == "Parent or carer":
            page.get_by_label("Has parental responsibility").check()
        if role:
            page.get_by_label("Role (professionals)").select_option(label=role)
            page.get_by_label("Organisation (professionals)").fill(organisation)
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Email", exact=True).check()
        submit("Add")

    add_person("Parent or carer", "Alex Testfamily", "alex@example.org")
    add_person("Parent or carer", "Sam Testfamily", "sam@example.org")
    add_person(
        "Professional",
        "Pat Head",
        "head@oakwood.example",
        role="Head teacher or principal",
        organisation="Oakwood Primary School",
    )
    add_person(
        "Professional",
        "Dr Lee",
        "dco@icb.example",
        role="Health (designated clinical officer)",
        organisation="Kent and Medway ICB",
    )

    # The officer decides to assess.
    page.goto(f"{base}/requests/{request.pk}/decide-assessment/")
    check()
    page.get_by_label("Assess", exact=True).check()
    fill_date(page, "notified_on", days_ago(1))
    page.get_by_label("The child or young person has or may have SEN").check()
    submit("Record the decision")

    # The worker renders the letters, then sends the queued messages through the outbox backend.
    for letter_id in Letter.objects.preparing().values_list("pk", flat=True):
        letter_services.letter_render(letter_id=letter_id)
    for message_id in OutboundMessage.objects.filter(state=MessageState.QUEUED).values_list("pk", flat=True):
        letter_services.message_send(message_id=message_id)

    page.goto(f"{base}/requests/{request.pk}/people/")
    check()
    letters = page.locator("#letters + .app-table-scroll table")
    text = letters.inner_text()
    assert text.count("Decision to assess") == 2
    assert "Alex Testfamily" in text and "Sam Testfamily" in text and "Mrs Ng" not in text
    assert "reg 4(2)" in text and "reg 5(2)" in text and "Sent" in text
    family_letters = Letter.objects.filter(request=request, kind="decision_to_assess")
    assert set(family_letters.values_list("addressee_name", flat=True)) == {"Alex Testfamily", "Sam Testfamily"}
    notified = set(
        Letter.objects.filter(request=request, kind="reg_4_2_notification").values_list("addressee_name", flat=True)
    )
    assert notified == {"Pat Head", "Dr Lee"}

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download decision to assess to Alex Testfamily").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    page.goto(f"{base}/requests/outbox/")
    check()
    outbox = page.locator("table").inner_text()
    assert "alex@example.org" in outbox and "sam@example.org" in outbox and "Sent" in outbox

    # The EP's advice report, filed on the request: the timeline names its type.
    page.goto(f"{base}/requests/{request.pk}/")
    check()
    page.get_by_role("link", name="Upload a document to this request").click()
    check()
    page.get_by_label("Upload a file").set_input_files(
        {"name": "EP advice report.pdf", "mimeType": "application/pdf", "buffer": pdf()}
    )
    page.get_by_label("Type of document").select_option("ep_advice")
    fill_date(page, "document_date", days_ago(1))
    page.get_by_label("Supplied by").fill("Educational Psychology Service")
    page.get_by_role("button", name="Upload", exact=True).click()
    check()
    assert page.get_by_text("EP advice report.pdf uploaded").is_visible()
    assert Document.objects.get(owner_kind="request", owner_id=request.pk).doc_type == "ep_advice"

    # The child's date of birth corrected with a reason; the timeline shows both changes.
    page.goto(f"{base}/requests/{request.pk}/")
    check()
    page.get_by_role("link", name="Correct the date of birth").click()
    check()
    born = child.date_of_birth
    corrected = born.replace(day=1) if born.day != 1 else born.replace(day=2)
    fill_date(page, "value", corrected)
    page.get_by_label("Reason for the correction").fill("Birth certificate seen at the school")
    page.get_by_role("button", name="Save the correction").click()
    check()
    assert "Correction saved" in page.locator(".govuk-notification-banner").inner_text()
    timeline = page.locator(".app-timeline").inner_text()
    assert "Reason: Birth certificate seen at the school" in timeline
    assert "Educational psychology advice uploaded" in timeline

    page.goto(f"{base}/requests/digest/")
    check()
    digest = page.locator("table").inner_text()
    assert late.reference in digest and "Overdue" in digest
    page.screenshot(path="/tmp/people-digest.png", full_page=True)
