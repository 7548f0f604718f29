"""The contact log and corrections through every door: the pages and the API, with a
permission test per role and object for every new route (the head teacher on the panel never
sees a note), and the timeline showing what each event says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from core.models import AccessLog
from requests_app.models import CaseNote, Child, RequestEvent
from requests_app.services.notes import case_note_add
from tests.conftest import Personas, signed_in
from tests.requests_app.factories import (
    AssessingRequestFactory,
    AssessmentRequestFactory,
    ChildFactory,
    RefusedRequestFactory,
    days_ago,
)

pytestmark = pytest.mark.django_db

ROLES = ["officer", "evaluator", "ep", "panel_member", "head_teacher", "chair", "finance", "manager", "admin"]
CAN_READ = {"officer", "evaluator", "chair", "manager"}
CAN_ADD_NOTE = {"officer", "evaluator", "manager"}
CAN_CORRECT = {"officer", "manager"}


def _user(personas: Personas, persona: str) -> User:
    user: User = getattr(personas, persona)
    return user


def _note(request: Any, actor: User, summary: str = "Called the SENCO about the SEN support plan") -> CaseNote:
    return case_note_add(
        actor=actor,
        request=request,
        kind="phone_call",
        happened_on=days_ago(3),
        with_whom="Ms Adeyemi, SENCO",
        party="school",
        direction="out",
        summary=summary,
    )


# --- Pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ROLES)
def test_the_note_page_per_role(personas: Personas, persona: str) -> None:
    request = AssessmentRequestFactory()
    response = signed_in(_user(personas, persona)).get(reverse("requests:note-add", args=[request.pk]))
    assert response.status_code == (200 if persona in CAN_ADD_NOTE else 403)


@pytest.mark.parametrize("persona", ROLES)
def test_the_correction_page_per_role(personas: Personas, persona: str) -> None:
    request = AssessmentRequestFactory()
    response = signed_in(_user(personas, persona)).get(reverse("requests:correct", args=[request.pk, "date_of_birth"]))
    assert response.status_code == (200 if persona in CAN_CORRECT else 403)


def test_a_request_nobody_may_see_is_not_found_and_an_unknown_fact_too(personas: Personas) -> None:
    client = signed_in(personas.officer)
    assert client.get(reverse("requests:note-add", args=[999999])).status_code == 404
    request = AssessmentRequestFactory()
    assert client.get(reverse("requests:correct", args=[request.pk, "shoe_size"])).status_code == 404


@pytest.mark.embedded
def test_logging_a_call_on_the_page_shows_it_in_the_log_and_on_the_timeline(personas: Personas) -> None:
    request = AssessmentRequestFactory()
    client = signed_in(personas.officer)
    happened = days_ago(2)
    response = client.post(
        reverse("requests:note-add", args=[request.pk]),
        {
            "kind": "phone_call",
            "happened_on_day": happened.day,
            "happened_on_month": happened.month,
            "happened_on_year": happened.year,
            "with_whom": "Mrs Okafor, mother",
            "party": "parent",
            "direction": "in",
            "summary": "Asked when the <decision> is due",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert 'id="contact-log"' in page and "Mrs Okafor, mother" in page
    assert "Asked when the &lt;decision&gt; is due" in page  # escaped, never raw
    assert "Contact or note logged" in page
    assert f"On {happened.day} {happened:%B %Y}; recorded" in page


def test_an_empty_note_names_each_field(personas: Personas) -> None:
    request = AssessmentRequestFactory()
    response = signed_in(personas.officer).post(reverse("requests:note-add", args=[request.pk]), {})
    text = response.content.decode()
    assert "Select the kind of contact, or “Case note”" in text
    assert "Enter the date it happened" in text and "Enter a summary" in text


def test_a_meeting_without_who_is_refused_by_the_service_on_the_form(personas: Personas) -> None:
    request = AssessmentRequestFactory()
    happened = days_ago(1)
    response = signed_in(personas.officer).post(
        reverse("requests:note-add", args=[request.pk]),
        {
            "kind": "meeting",
            "happened_on_day": happened.day,
            "happened_on_month": happened.month,
            "happened_on_year": happened.year,
            "summary": "Planning meeting",
        },
    )
    text = response.content.decode()
    assert "Enter who the contact was with" in text and "Select whether the contact was incoming or outgoing" in text
    assert not CaseNote.objects.exists()


@pytest.mark.embedded
def test_correcting_a_date_of_birth_on_the_page_shows_before_and_after(personas: Personas) -> None:
    child = ChildFactory(date_of_birth=date(2015, 3, 1))
    request = AssessmentRequestFactory(child=child)
    client = signed_in(personas.officer)
    url = reverse("requests:correct", args=[request.pk, "date_of_birth"])
    form = client.get(url).content.decode()
    assert "Correct the date of birth" in form and "Date of birth recorded now: 1 March 2015" in form
    response = client.post(
        url,
        {"value_day": "3", "value_month": "5", "value_year": "2015", "reason": "Birth certificate seen"},
    )
    assert response.status_code == 302
    assert Child.objects.get(pk=child.pk).date_of_birth == date(2015, 5, 3)
    page = client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "Record corrected" in page
    assert "Date of birth: 1 March 2015" in page and "3 May 2015" in page
    assert "Reason: Birth certificate seen" in page


def test_an_empty_correction_names_the_field_and_the_reason(personas: Personas) -> None:
    request = AssessmentRequestFactory()
    response = signed_in(personas.officer).post(reverse("requests:correct", args=[request.pk, "date_of_birth"]), {})
    text = response.content.decode()
    assert "Enter the correct date of birth" in text and "Enter the reason for the correction" in text


def test_a_decision_date_before_day_one_is_refused_on_the_page(personas: Personas) -> None:
    request = RefusedRequestFactory(received_on=days_ago(100))
    before = days_ago(101)
    response = signed_in(personas.officer).post(
        reverse("requests:correct", args=[request.pk, "assess_decision_on"]),
        {"value_day": before.day, "value_month": before.month, "value_year": before.year, "reason": "Typo"},
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "The date must be on or after the date the request was received" in text
    assert not RequestEvent.objects.filter(action="corrected").exists()


def test_a_date_not_reached_sends_the_officer_back_with_a_message(personas: Personas) -> None:
    request = AssessmentRequestFactory()
    client = signed_in(personas.officer)
    response = client.get(reverse("requests:correct", args=[request.pk, "final_plan_issued_on"]))
    assert response.status_code == 302
    assert "no date the final plan was issued to correct" in client.get(response.url).content.decode()


def test_the_record_offers_correct_links_only_to_those_who_may_correct(personas: Personas) -> None:
    request = AssessingRequestFactory()
    officer_page = signed_in(personas.officer).get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert reverse("requests:correct", args=[request.pk, "date_of_birth"]) in officer_page
    assert reverse("requests:correct", args=[request.pk, "assess_decision_on"]) in officer_page
    assert reverse("requests:correct", args=[request.pk, "final_plan_issued_on"]) not in officer_page
    evaluator_page = signed_in(personas.evaluator).get(reverse("requests:detail", args=[request.pk])).content.decode()
    assert "/correct/" not in evaluator_page
    assert reverse("requests:note-add", args=[request.pk]) in evaluator_page


def test_the_timeline_shows_the_adviser_and_the_effective_date(personas: Personas) -> None:
    from requests_app.services.advice import advice_request_create

    request = AssessingRequestFactory()
    advice_request_create(
        actor=personas.officer,
        request=request,
        adviser_type="educational_psychology",
        addressee="EP service",
        requested_on=days_ago(10),
    )
    page = signed_in(personas.officer).get(reverse("requests:detail", args=[request.pk])).content.decode()
    requested = days_ago(10)
    assert "Adviser: Educational psychology" in page
    assert f"Requested: {requested.day} {requested:%B %Y}" in page


def test_the_head_teacher_never_sees_a_note_through_any_door(
    personas: Personas, api_client_for: Callable[[User | None], Any]
) -> None:
    request = AssessmentRequestFactory()
    note = _note(request, personas.officer)
    head = personas.head_teacher
    assert signed_in(head).get(reverse("requests:detail", args=[request.pk])).status_code == 403
    api = api_client_for(head)
    assert api.get("/api/case-notes/").status_code == 403
    assert api.get(f"/api/case-notes/{note.pk}/").status_code == 403
    assert api.get(f"/api/requests/{request.pk}/").status_code == 403


# --- API -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", [None, *ROLES])
def test_the_contact_log_api_list_per_role(
    personas: Personas, api_client_for: Callable[[User | None], Any], persona: str | None
) -> None:
    request = AssessmentRequestFactory()
    _note(request, personas.officer)
    response = api_client_for(_user(personas, persona) if persona else None).get(
        "/api/case-notes/", {"request": request.pk}
    )
    expected = 401 if persona is None else (200 if persona in CAN_READ else 403)
    assert response.status_code == expected
    if expected == 200:
        assert [row["summary"] for row in response.json()["results"]] == ["Called the SENCO about the SEN support plan"]
        assert AccessLog.objects.filter(child_id=request.child_id, object_type="case_note").exists()


@pytest.mark.parametrize("persona", ROLES)
def test_the_contact_log_api_create_per_role(
    personas: Personas, api_client_for: Callable[[User | None], Any], persona: str
) -> None:
    request = AssessmentRequestFactory()
    response = api_client_for(_user(personas, persona)).post(
        "/api/case-notes/",
        {
            "request": request.pk,
            "kind": "email",
            "happened_on": days_ago(1).isoformat(),
            "with_whom": "Health visitor",
            "party": "health",
            "direction": "in",
            "summary": "Sent the health advice",
        },
        format="json",
    )
    assert response.status_code == (201 if persona in CAN_ADD_NOTE else 403)
    assert CaseNote.objects.count() == (1 if persona in CAN_ADD_NOTE else 0)


def test_the_contact_log_api_filters_by_request_and_names_bad_fields(
    personas: Personas, api_client_for: Callable[[User | None], Any]
) -> None:
    first, second = AssessmentRequestFactory(), AssessmentRequestFactory()
    _note(first, personas.officer, "First")
    _note(second, personas.officer, "Second")
    api = api_client_for(personas.officer)
    assert [row["summary"] for row in api.get("/api/case-notes/", {"request": second.pk}).json()["results"]] == [
        "Second"
    ]
    bad = api.post(
        "/api/case-notes/",
        {"request": first.pk, "kind": "meeting", "happened_on": days_ago(1).isoformat(), "summary": "x"},
        format="json",
    )
    assert bad.status_code == 400 and {"with_whom", "party", "direction"} <= set(bad.json()["errors"])


@pytest.mark.parametrize("persona", ROLES)
def test_the_corrections_api_per_role(
    personas: Personas, api_client_for: Callable[[User | None], Any], persona: str
) -> None:
    child = ChildFactory(date_of_birth=date(2015, 3, 1))
    request = AssessmentRequestFactory(child=child)
    response = api_client_for(_user(personas, persona)).post(
        f"/api/requests/{request.pk}/corrections/",
        {"fact": "date_of_birth", "value": "2015-05-03", "reason": "Birth certificate"},
        format="json",
    )
    assert response.status_code == (200 if persona in CAN_CORRECT else 403)
    changed = Child.objects.get(pk=child.pk).date_of_birth == date(2015, 5, 3)
    assert changed is (persona in CAN_CORRECT)


def test_the_corrections_api_names_a_bad_value_and_a_broken_order(
    personas: Personas, api_client_for: Callable[[User | None], Any]
) -> None:
    request = RefusedRequestFactory(received_on=days_ago(100))
    api = api_client_for(personas.officer)
    url = f"/api/requests/{request.pk}/corrections/"
    bad = api.post(url, {"fact": "received_on", "value": "3/5/2025", "reason": "x"}, format="json")
    assert bad.status_code == 400 and "value" in bad.json()["errors"]
    broken = api.post(
        url, {"fact": "assess_decision_on", "value": days_ago(120).isoformat(), "reason": "x"}, format="json"
    )
    assert broken.status_code == 400
    assert "on or after the date the request was received" in broken.json()["errors"]["value"][0]
    fine = api.post(url, {"fact": "received_on", "value": days_ago(102).isoformat(), "reason": "Stamp"}, format="json")
    assert fine.status_code == 200
    events = api.get(f"/api/requests/{request.pk}/").json()["events"]
    assert events[-1]["action"] == "corrected" and events[-1]["payload"]["after"] == days_ago(102).isoformat()


def test_the_schema_lists_the_new_endpoints(api_client_for: Callable[[User | None], Any], personas: Personas) -> None:
    schema = api_client_for(personas.admin).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/case-notes/" in schema and "/api/requests/{id}/corrections/" in schema
