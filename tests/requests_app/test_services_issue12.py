"""Issue 12 items 14-19 at the services (every door passes them), with the page and API doors
where the item names them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.urls import reverse

from core.errors import InvalidTransition, ValidationFailed
from core.models import EstablishmentType
from requests_app import matching
from requests_app.models import AdviceRequest, AdviserType, AssessmentDecision, RequestEvent
from requests_app.services import advice as advice_services
from requests_app.services import children as children_services
from requests_app.services import lifecycle
from requests_app.workflow import Action, Status
from tests.conftest import Personas, signed_in
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    AwaitingDecisionRequestFactory,
    AwaitingIssueDecisionRequestFactory,
    ChildFactory,
    ClockExceptionFactory,
    DraftIssuedRequestFactory,
    EstablishmentFactory,
    PlanIssuedRequestFactory,
    RefusedRequestFactory,
    days_ago,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_api(api_client_for: Callable[[User | None], Any], personas: Personas) -> Any:
    return api_client_for(personas.officer)


# --- Item 14: placement type and the named establishment -------------------------------------------


def test_a_special_academy_cannot_be_issued_as_a_mainstream_school(personas: Personas) -> None:
    request = DraftIssuedRequestFactory(draft_issued_on=days_ago(20))
    academy = EstablishmentFactory(name="Oakwood Academy", type_group=EstablishmentType.SPECIAL_ACADEMY)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.plan_issue_final(
            actor=personas.officer,
            request=request,
            issued_on=days_ago(1),
            named_establishment=academy,
            placement_type="mainstream",
        )
    message = refused.value.errors["placement_type"][0]
    assert "Oakwood Academy" in message and "special school – academy" in message and "mainstream school" in message


def test_the_placement_type_follows_from_the_named_establishment(personas: Personas) -> None:
    request = DraftIssuedRequestFactory(draft_issued_on=days_ago(20))
    academy = EstablishmentFactory(type_group=EstablishmentType.SPECIAL_ACADEMY)
    issued = lifecycle.plan_issue_final(
        actor=personas.officer, request=request, issued_on=days_ago(1), named_establishment=academy, placement_type=""
    )
    assert issued.placement_type == "special_academy"


def test_api_refuses_the_mismatched_pair_naming_the_field(officer_api: Any) -> None:
    request = DraftIssuedRequestFactory(draft_issued_on=days_ago(20))
    academy = EstablishmentFactory(type_group=EstablishmentType.SPECIAL_ACADEMY)
    response = officer_api.post(
        f"/api/requests/{request.pk}/issue-final/",
        {"issued_on": days_ago(1).isoformat(), "named_establishment_id": academy.pk, "placement_type": "mainstream"},
        format="json",
    )
    assert response.status_code == 400
    assert "placement_type" in response.json()["errors"]


# --- Item 15: one open advice request per service; cancelling ---------------------------------------


def test_a_second_open_advice_request_to_the_same_service_is_refused(personas: Personas) -> None:
    request = AssessingRequestFactory(received_on=days_ago(60))
    kwargs = {"actor": personas.officer, "request": request, "addressee": "EPS", "requested_on": days_ago(10)}
    advice_services.advice_request_create(adviser_type=AdviserType.EDUCATIONAL_PSYCHOLOGY, **kwargs)
    with pytest.raises(ValidationFailed) as refused:
        advice_services.advice_request_create(adviser_type=AdviserType.EDUCATIONAL_PSYCHOLOGY, **kwargs)
    assert "already been requested" in refused.value.errors["adviser_type"][0]
    advice_services.advice_request_create(adviser_type=AdviserType.HEALTH, **kwargs)  # another service is fine


def test_a_cancelled_advice_request_leaves_the_queue_and_allows_a_new_one(personas: Personas) -> None:
    advice = AdviceRequestFactory()
    cancelled = advice_services.advice_cancel(actor=personas.officer, advice=advice, reason="Sent to the wrong EPS")
    assert cancelled.cancelled_at is not None and cancelled.cancelled_by == personas.officer
    assert not AdviceRequest.objects.outstanding().filter(pk=advice.pk).exists()
    event = RequestEvent.objects.filter(request_id=advice.request_id).order_by("-pk").first()
    assert event is not None and event.action == Action.CANCEL_ADVICE and event.note == "Sent to the wrong EPS"
    advice_services.advice_request_create(
        actor=personas.officer,
        request=advice.request,
        adviser_type=advice.adviser_type,
        addressee="EPS (East)",
        requested_on=days_ago(1),
    )
    with pytest.raises(InvalidTransition):
        advice_services.advice_cancel(actor=personas.officer, advice=advice, reason="again")


def test_cancelling_advice_needs_a_reason(personas: Personas) -> None:
    with pytest.raises(ValidationFailed) as refused:
        advice_services.advice_cancel(actor=personas.officer, advice=AdviceRequestFactory(), reason=" ")
    assert "reason" in refused.value.errors


def test_cancel_advice_page_and_api(personas: Personas, officer_api: Any) -> None:
    advice = AdviceRequestFactory()
    client = signed_in(personas.officer)
    detail = client.get(reverse("requests:detail", args=[advice.request_id])).content.decode()
    url = reverse("requests:advice-cancel", args=[advice.request_id, advice.pk])
    assert f'href="{url}"' in detail
    assert client.post(url, {"reason": "Duplicate"}).status_code == 302
    assert AdviceRequest.objects.get(pk=advice.pk).cancelled_reason == "Duplicate"

    other = AdviceRequestFactory()
    response = officer_api.post(f"/api/advice-requests/{other.pk}/cancel/", {"reason": "Wrong service"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["cancelled_at"] is not None
    awaited = officer_api.get(f"/api/requests/{other.request_id}/").json()["allowed_actions"]
    assert "cancel_advice" not in awaited and "record_advice" not in awaited


# --- Item 16: exceptions outside the clock's window ------------------------------------------------


def test_an_exception_wholly_before_day_one_is_refused_with_the_window(personas: Personas) -> None:
    request = AssessingRequestFactory(received_on=days_ago(60))
    with pytest.raises(ValidationFailed) as refused:
        advice_services.exception_add(
            actor=personas.officer,
            request=request,
            kind="personal_circumstances",
            start=days_ago(120),
            end=days_ago(100),
            evidence="GP letter",
        )
    message = refused.value.errors["start"][0]
    day_one = days_ago(60)
    assert f"{day_one.day} {day_one:%B %Y}" in message


def test_the_request_page_shows_the_days_each_exception_adds(personas: Personas) -> None:
    request = AssessingRequestFactory(received_on=days_ago(60))
    ClockExceptionFactory(request=request, start=days_ago(50), end=days_ago(41))  # 10 days
    ClockExceptionFactory(request=request, start=days_ago(45), end=days_ago(36))  # 5 of them new
    html = signed_in(personas.officer).get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "Counts: adds 10 days" in html
    assert "Counts: adds 5 days" in html


# --- Item 17: the child's history; reassessment requests ---------------------------------------------


def test_a_request_for_a_child_with_a_plan_is_a_reassessment_request(personas: Personas, officer_api: Any) -> None:
    planned = PlanIssuedRequestFactory()
    new = lifecycle.request_create(
        actor=personas.officer, child=planned.child, received_on=days_ago(1), source="parent"
    )
    assert new.is_reassessment
    first = lifecycle.request_create(
        actor=personas.officer, child=RefusedRequestFactory().child, received_on=days_ago(1), source="parent"
    )
    assert not first.is_reassessment
    assert officer_api.get(f"/api/requests/{new.pk}/").json()["is_reassessment"] is True

    html = signed_in(personas.officer).get(reverse("requests:detail", args=[new.pk])).content.decode()
    assert "Reassessment request" in html
    assert planned.reference in html  # the child's history


def test_intake_banner_shows_the_childs_requests_and_plan(personas: Personas) -> None:
    planned = PlanIssuedRequestFactory(
        child=ChildFactory(forename="Ellie", surname="Marsh", date_of_birth=date(2015, 6, 3))
    )
    data = {
        "forename": "Ellie",
        "surname": "Marsh",
        "date_of_birth_day": "3",
        "date_of_birth_month": "6",
        "date_of_birth_year": "2015",
        "sex": "F",
        "district": planned.child.district_id,
        "primary_need": "ASD",
        "received_on_day": str(days_ago(1).day),
        "received_on_month": str(days_ago(1).month),
        "received_on_year": str(days_ago(1).year),
        "source": "parent",
    }
    html = signed_in(personas.officer).post(reverse("requests:create"), data).content.decode()
    banner = re.search(r'id="duplicates".*?</table>', html, re.S)
    assert banner is not None
    assert "Open request" not in banner.group(0)
    assert planned.reference in banner.group(0) and "EHC plan issued" in banner.group(0)


# --- Item 18: contradictory reasons; advice before a decision not to issue ---------------------------


def test_refusal_reasons_with_a_decision_to_assess_are_refused(personas: Personas) -> None:
    request = AwaitingDecisionRequestFactory()
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.request_decide_assessment(
            actor=personas.officer,
            request=request,
            outcome="assess",
            notified_on=days_ago(1),
            reasons=["has_or_may_have_sen", "no_evidence_of_sen"],
        )
    assert "reasons" in refused.value.errors


def test_the_page_names_the_refusal_reasons_field(personas: Personas) -> None:
    request = AwaitingDecisionRequestFactory()
    response = signed_in(personas.officer).post(
        reverse("requests:decide-assessment", args=[request.pk]),
        {
            "outcome": "assess",
            "notified_on_day": str(days_ago(1).day),
            "notified_on_month": str(days_ago(1).month),
            "notified_on_year": str(days_ago(1).year),
            "refusal_reasons": ["no_evidence_of_sen"],
        },
    )
    assert response.status_code == 200
    assert 'href="#id_refusal_reasons' in response.content.decode()
    assert not AssessmentDecision.objects.filter(request=request).exists()


def test_the_api_names_the_reasons_field(officer_api: Any) -> None:
    request = AwaitingDecisionRequestFactory()
    response = officer_api.post(
        f"/api/requests/{request.pk}/decide-assessment/",
        {"outcome": "assess", "notified_on": days_ago(1).isoformat(), "reasons": ["no_evidence_of_sen"]},
        format="json",
    )
    assert response.status_code == 400
    assert "refusing" in response.json()["errors"]["reasons"][0]


def _not_issue(personas: Personas, request: Any, **extra: Any) -> Any:
    return lifecycle.request_decide_issue(
        actor=personas.officer,
        request=request,
        outcome="not_issue",
        notified_on=days_ago(1),
        reasons_text="Needs can be met at SEN support",
        rights_text_sent=True,
        **extra,
    )


def test_a_decision_not_to_issue_without_advice_is_refused(personas: Personas) -> None:
    request = AwaitingIssueDecisionRequestFactory()
    with pytest.raises(ValidationFailed) as refused:
        _not_issue(personas, request)
    assert "reg 6(4)" in refused.value.errors["advice_not_sought_reason"][0]


def test_a_decision_not_to_issue_with_the_reg_6_4_reason_is_recorded(personas: Personas) -> None:
    request = AwaitingIssueDecisionRequestFactory()
    _not_issue(personas, request, advice_not_sought_reason="existing_advice_agreed_sufficient")
    decision = AssessmentDecision.objects.get(request=request, stage="issue")
    assert decision.advice_not_sought_reason == "existing_advice_agreed_sufficient"


def test_a_decision_not_to_issue_after_advice_is_recorded(personas: Personas) -> None:
    advice = AdviceRequestFactory(request=AwaitingIssueDecisionRequestFactory())
    assert _not_issue(personas, advice.request).status == Status.NOT_ISSUED


# --- Item 19: duplicates --------------------------------------------------------------------------------


def test_duplicates_found_with_a_transposed_birthday_and_a_shortened_hyphenated_name() -> None:
    isabella = ChildFactory(forename="Isabella", surname="Taylor", date_of_birth=date(2015, 3, 4))
    ChildFactory(forename="Oliver", surname="Brown", date_of_birth=date(2015, 4, 3))
    found = children_services.find_duplicates(forename="Bella", surname="Taylor-Smith", date_of_birth=date(2015, 4, 3))
    assert [child.pk for child in found] == [isabella.pk]


def test_different_child_reason_is_asked_and_recorded_on_the_timeline(personas: Personas) -> None:
    ChildFactory(forename="Ellie", surname="Marsh", date_of_birth=date(2015, 6, 3))
    district = ChildFactory().district_id
    data = {
        "forename": "Ellie",
        "surname": "Marsh",
        "date_of_birth_day": "3",
        "date_of_birth_month": "6",
        "date_of_birth_year": "2015",
        "sex": "F",
        "district": district,
        "primary_need": "ASD",
        "received_on_day": str(days_ago(1).day),
        "received_on_month": str(days_ago(1).month),
        "received_on_year": str(days_ago(1).year),
        "source": "parent",
        "confirm_not_duplicate": "on",
    }
    client = signed_in(personas.officer)
    asked = client.post(reverse("requests:create"), data)
    assert asked.status_code == 200
    assert "Enter how you know this is a different child" in asked.content.decode()
    created = client.post(reverse("requests:create"), {**data, "not_duplicate_reason": "Twin at another school"})
    assert created.status_code == 302
    event = RequestEvent.objects.get(action="created", request__child__forename="Ellie", request__child__pk__gt=0)
    assert "Twin at another school" in event.note


@pytest.mark.postgres_only  # fuzzystrmatch is PostgreSQL's
def test_python_soundex_agrees_with_postgresql_fuzzystrmatch() -> None:
    names = ["Taylor", "Tailor", "Robert", "Rupert", "Ashcraft", "Tymczak", "Pfister", "Okafor", "Nowak", "Hughes"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'fuzzystrmatch'")
        if cursor.fetchone() is None:
            pytest.skip("fuzzystrmatch could not be installed on this database")
        cursor.execute("SELECT " + ", ".join(["soundex(%s)"] * len(names)), names)
        assert list(cursor.fetchone()) == [matching.soundex(name) for name in names]
