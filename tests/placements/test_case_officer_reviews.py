"""An SEN officer records the placement reviews of their own cases (docs/architecture.md §1;
docs/domain.md §11.1): the officer assigned to the child's latest request may record a review and
its outcome, through the service, the page and the API; never another officer's case, never the
contract or its money. Finance records every review; the other roles none."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from core.errors import NotPermitted
from core.roles import Capability, Role, user_can
from placements.models import PlacementEvent, PlacementReview
from placements.services import reviews as review_services
from requests_app.models import AssessmentRequest
from tests.placements.factories import ActiveContractFactory
from tests.requests_app.factories import RefusedRequestFactory

BASE = "/api/placements"


@pytest.fixture
def case(personas):
    """A running placement whose child's latest request is the officer's (an older, refused one
    was the other officer's), with its open review."""
    contract = ActiveContractFactory(start_on=date(2025, 9, 1))
    # The request the placement came from (the panel's referral) is the child's latest: the officer's.
    assert AssessmentRequest.objects.filter(child=contract.child).update(assigned_officer=personas.officer) == 1
    RefusedRequestFactory(child=contract.child, assigned_officer=personas.other_officer, received_on=date(2023, 1, 9))
    review = PlacementReview.objects.create(
        contract=contract, due_on=date(2026, 1, 5), expected_attendance_percent=90, expected_outcomes="Settles in"
    )
    return contract, review


def _body(today: date) -> dict[str, str]:
    return {"outcome": "continue", "held_on": today.isoformat(), "evidence": "Attendance 94%; settled; parents content"}


@pytest.mark.parametrize(
    ("role", "may"),
    [(Role.SEN_OFFICER, True), (Role.FINANCE_OFFICER, True)]
    + [(r, False) for r in Role if r not in {Role.SEN_OFFICER, Role.FINANCE_OFFICER}],
)
def test_the_capability_per_role(role: Role, may: bool) -> None:
    from core.roles import ROLE_CAPABILITIES

    assert (Capability.PLACEMENT_REVIEW_RECORD in ROLE_CAPABILITIES[role]) is may


@pytest.mark.django_db
def test_the_officer_of_the_case_records_the_review_through_the_service(personas, case) -> None:
    contract, review = case
    today = timezone.localdate()
    assert list(PlacementReview.objects.visible_to(personas.officer)) == [review]
    assert not PlacementReview.objects.visible_to(personas.other_officer).exists()  # an older request's officer
    review_services.review_record_outcome(
        actor=personas.officer, review=review, outcome="continue", held_on=today, evidence="Attendance 94%; settled"
    )
    review.refresh_from_db()
    assert (review.outcome, review.recorded_by) == ("continue", personas.officer)
    assert PlacementReview.objects.filter(contract=contract, outcome="").count() == 1  # the next one
    assert PlacementEvent.objects.filter(contract=contract, action="review_recorded", actor=personas.officer).exists()


@pytest.mark.django_db
def test_another_officers_case_is_refused_and_nothing_is_saved(personas, case) -> None:
    _contract, review = case
    with pytest.raises(NotPermitted):
        review_services.review_record_outcome(
            actor=personas.other_officer, review=review, outcome="continue", held_on=timezone.localdate(), evidence="x"
        )
    review.refresh_from_db()
    assert review.outcome == ""


@pytest.mark.django_db
def test_the_officer_records_it_on_the_page_without_seeing_the_contract(personas, page_client_for, case) -> None:
    contract, review = case
    officer = page_client_for(personas.officer)
    listed = officer.get("/placements/case-reviews/")
    assert listed.status_code == 200
    assert contract.child.full_name in listed.content.decode()
    assert f"/placements/reviews/{review.pk}/outcome/" in listed.content.decode()
    form = officer.get(f"/placements/reviews/{review.pk}/outcome/")
    assert form.status_code == 200
    assert "£" not in form.content.decode()  # no money on the officer's page
    today = timezone.localdate()
    bad = officer.post(f"/placements/reviews/{review.pk}/outcome/", {"outcome": "continue", "held_on_day": ""})
    assert bad.status_code == 400 and PlacementReview.objects.get(pk=review.pk).outcome == ""
    done = officer.post(
        f"/placements/reviews/{review.pk}/outcome/",
        {
            "outcome": "continue",
            "held_on_day": today.day,
            "held_on_month": today.month,
            "held_on_year": today.year,
            "evidence": "Attendance 94%; settled",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/placements/case-reviews/"
    assert PlacementReview.objects.get(pk=review.pk).outcome == "continue"
    assert officer.get(f"/placements/contracts/{contract.pk}/").status_code == 403
    other = page_client_for(personas.other_officer)
    assert other.get(f"/placements/reviews/{review.pk}/outcome/").status_code == 404
    assert contract.child.full_name not in other.get("/placements/case-reviews/").content.decode()


@pytest.mark.django_db
def test_the_officer_records_it_through_the_api_and_gets_the_review_not_the_contract(
    personas, api_client_for, case
) -> None:
    contract, review = case
    today = timezone.localdate()
    api = api_client_for(personas.officer)
    listed = api.get(f"{BASE}/reviews/")
    assert listed.status_code == 200 and [r["id"] for r in listed.json()["results"]] == [review.pk]
    bad = api.post(f"{BASE}/reviews/{review.pk}/outcome/", {"outcome": "continue"}, format="json")
    assert bad.status_code == 400 and "held_on" in bad.json()["errors"]
    done = api.post(f"{BASE}/reviews/{review.pk}/outcome/", _body(today), format="json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["id"] == review.pk and body["outcome"] == "continue"
    assert "agreed_annual_cost_pence" not in body and "cost_lines" not in body
    # The date and expectations of a review, and the contract, stay finance's.
    assert api.post(f"{BASE}/reviews/{review.pk}/update/", {"due_on": "2027-01-01"}, format="json").status_code == 403
    assert api.get(f"{BASE}/contracts/{contract.pk}/").status_code == 403
    other = api_client_for(personas.other_officer)
    assert other.get(f"{BASE}/reviews/{review.pk}/").status_code == 404
    assert other.post(f"{BASE}/reviews/{review.pk}/outcome/", _body(today), format="json").status_code == 404


@pytest.mark.django_db
def test_finance_still_records_any_review_and_gets_the_contract(personas, api_client_for, case) -> None:
    _contract, review = case
    done = api_client_for(personas.finance).post(
        f"{BASE}/reviews/{review.pk}/outcome/", _body(timezone.localdate()), format="json"
    )
    assert done.status_code == 200 and "cost_lines" in done.json()
    assert user_can(personas.finance, Capability.PLACEMENT_REVIEW_RECORD)
    assert not user_can(personas.manager, Capability.PLACEMENT_REVIEW_RECORD)


# --- Evidence documents on a review (core/documents.py, owner kind "placement_review") ---------------


@pytest.mark.django_db
@pytest.mark.usefixtures("documents_storage")
def test_the_officer_files_review_evidence_scanned_logged_and_in_subject_access_and_retention(
    personas, page_client_for, case
) -> None:
    import io

    from core.documents import documents_erase_for_child, subject_sections
    from core.models import AccessLog, Document, DocumentType, ScanState
    from tests.core.document_files import pdf

    contract, review = case
    officer = page_client_for(personas.officer)
    outcome_page = officer.get(f"/placements/reviews/{review.pk}/outcome/").content.decode()
    assert f"/documents/placement_review/{review.pk}/" in outcome_page
    upload = io.BytesIO(pdf())
    upload.name = "School report.pdf"
    form = {
        "file": upload,
        "doc_type": DocumentType.SCHOOL_EVIDENCE.value,
        "document_date_day": "3",
        "document_date_month": "11",
        "document_date_year": "2026",
        "supplied_by": "The school",
        "description": "Attendance and progress this term",
    }
    response = officer.post(f"/documents/placement_review/{review.pk}/upload/", form)
    assert response.status_code == 302, response.content
    document = Document.objects.get()
    assert (document.owner_kind, document.owner_id, document.child_id) == (
        "placement_review",
        review.pk,
        contract.child_id,
    )
    assert document.scan_state == ScanState.NOT_SCANNED  # no scanner configured in tests
    event = PlacementEvent.objects.get(contract=contract, action="document_uploaded")
    assert event.payload["review_id"] == review.pk
    # The same download door, access-logged; finance sees it too; another officer does not.
    assert officer.get(f"/documents/{document.pk}/download/").status_code == 200
    assert AccessLog.objects.filter(user=personas.officer, child_id=contract.child_id).exists()
    assert page_client_for(personas.finance).get(f"/documents/placement_review/{review.pk}/").status_code == 200
    other = page_client_for(personas.other_officer)
    assert other.get(f"/documents/placement_review/{review.pk}/").status_code == 404
    assert other.get(f"/documents/{document.pk}/download/").status_code == 404
    # A type the review does not take is refused naming the field; nothing is saved.
    upload2 = io.BytesIO(pdf())
    upload2.name = "Quote.pdf"
    refused = officer.post(
        f"/documents/placement_review/{review.pk}/upload/",
        {**form, "file": upload2, "doc_type": DocumentType.PROVIDER_QUOTE.value},
    )
    assert refused.status_code in {200, 400} and Document.objects.count() == 1
    # Subject access and retention work by child: the review's evidence goes with the case file.
    section = subject_sections(contract.child_id)[0]
    assert [name for name, _ in section.files] == [f"document-{document.pk}-School report.pdf"]
    assert documents_erase_for_child(contract.child_id) == 1
    assert not Document.objects.exists()
