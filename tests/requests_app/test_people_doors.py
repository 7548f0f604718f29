"""The case file's people and letters through every door: pages and API, one persona per role.

Reads need REQUEST_VIEW (officer, evaluator, chair, manager); changes REQUEST_DECIDE (officer).
A head teacher on the panel never sees a contact or a letter, whichever door they try."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from core.models import AccessLog
from requests_app.models import Contact, Letter, LetterTemplate, OutboundMessage, RequestEvent
from requests_app.services import letters as letter_services
from requests_app.services import lifecycle
from tests.conftest import Personas, signed_in
from tests.requests_app.factories import AwaitingDecisionRequestFactory, EstablishmentFactory, days_ago
from tests.requests_app.test_people_services import family

pytestmark = pytest.mark.django_db

ROLES = ["officer", "evaluator", "ep", "panel_member", "head_teacher", "chair", "finance", "manager", "admin"]
CAN_VIEW = {"officer", "evaluator", "chair", "manager"}
CAN_CHANGE = {"officer"}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MESSAGE_BACKEND = "outbox"


@pytest.fixture
def case(personas: Personas) -> dict[str, Any]:
    request = AwaitingDecisionRequestFactory(source="school", requester_name="Mrs Ng (SENCO)")
    people = family(personas, request)
    lifecycle.request_decide_assessment(
        actor=personas.officer, request=request, outcome="assess", notified_on=days_ago(1)
    )
    for letter_id in Letter.objects.filter(request=request).values_list("pk", flat=True):
        letter_services.letter_render(letter_id=letter_id)  # the worker's step, after commit
    letter = Letter.objects.filter(request=request, contact=people["mum"]).get()
    return {"request": request, "people": people, "letter": letter}


def _page_urls(case: dict[str, Any]) -> dict[str, str]:
    request, mum, letter = case["request"], case["people"]["mum"], case["letter"]
    return {
        "people": reverse("requests:people", args=[request.pk]),
        "download": reverse("requests:letter-download", args=[request.pk, letter.pk]),
        "outbox": reverse("requests:outbox"),
        "contact-add": reverse("requests:contact-add", args=[request.pk]),
        "contact-edit": reverse("requests:contact-edit", args=[request.pk, mum.pk]),
        "contact-remove": reverse("requests:contact-remove", args=[request.pk, mum.pk]),
        "letter-new": reverse("requests:letter-new", args=[request.pk]),
    }


@pytest.mark.parametrize("role", ROLES)
def test_pages_follow_the_role(personas: Personas, case: dict[str, Any], role: str) -> None:
    client = signed_in(getattr(personas, role))
    urls = _page_urls(case)
    for name in ("people", "download", "outbox"):
        response = client.get(urls[name])
        assert response.status_code == (200 if role in CAN_VIEW else 403), (name, response.status_code)
        if role not in CAN_VIEW:
            assert b"ada@example.org" not in b"".join(getattr(response, "streaming_content", [response.content]))
    for name in ("contact-add", "contact-edit", "contact-remove", "letter-new"):
        assert client.get(urls[name]).status_code == (200 if role in CAN_CHANGE else 403), name
    digest = client.get(reverse("requests:digest"))
    assert digest.status_code == (200 if role in CAN_CHANGE else 403)
    templates = client.get(reverse("requests:letter-templates"))
    assert templates.status_code == (200 if role in CAN_CHANGE | {"admin"} else 403)


@pytest.mark.parametrize("role", ROLES)
def test_api_follows_the_role(
    personas: Personas, case: dict[str, Any], api_client_for: Callable[[User | None], Any], role: str
) -> None:
    client = api_client_for(getattr(personas, role))
    mum, letter = case["people"]["mum"], case["letter"]
    expected = 200 if role in CAN_VIEW else 403
    for url in (
        "/api/contacts/",
        f"/api/contacts/{mum.pk}/",
        "/api/letters/",
        f"/api/letters/{letter.pk}/",
        f"/api/letters/{letter.pk}/download/",
        "/api/messages/",
    ):
        response = client.get(url)
        assert response.status_code == expected, (url, response.status_code)
        if expected == 403:
            assert b"ada@example.org" not in response.content
    created = client.post(
        "/api/contacts/",
        {"request_id": case["request"].pk, "kind": "parent", "name": "Gran", "email": "gran@example.org"},
        format="json",
    )
    assert created.status_code == (201 if role in CAN_CHANGE else 403)
    removed = client.post(f"/api/contacts/{mum.pk}/remove/", {"request_id": case["request"].pk}, format="json")
    assert removed.status_code == (204 if role in CAN_CHANGE else 403 if role in CAN_VIEW else 403)


def test_the_people_page_shows_the_parents_as_recipients_and_the_delivery_state(
    personas: Personas, case: dict[str, Any]
) -> None:
    page = signed_in(personas.officer).get(reverse("requests:people", args=[case["request"].pk]))
    text = page.content.decode()
    assert "Ada Testparent" in text and "Ben Testparent" in text
    assert "To print and post" in text  # Ben asked for post
    assert "Queued" in text  # Ada's email waits for the worker
    assert "reg 4(2)" in text and "reg 5(2)" in text
    assert AccessLog.objects.filter(user=personas.officer, object_type="contacts").count() == 1


def test_downloading_a_letter_is_an_attachment_and_access_logged(personas: Personas, case: dict[str, Any]) -> None:
    letter = case["letter"]
    response = signed_in(personas.officer).get(
        reverse("requests:letter-download", args=[case["request"].pk, letter.pk])
    )
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    log = AccessLog.objects.get(object_type="letter", object_id=letter.pk)
    assert log.child_id == case["request"].child_id and log.action == "export"


def test_a_letter_of_another_request_is_not_found_through_this_one(personas: Personas, case: dict[str, Any]) -> None:
    other = AwaitingDecisionRequestFactory()
    url = reverse("requests:letter-download", args=[other.pk, case["letter"].pk])
    assert signed_in(personas.officer).get(url).status_code == 404


def test_adding_a_contact_through_the_page_shows_errors_by_field(personas: Personas, case: dict[str, Any]) -> None:
    client = signed_in(personas.officer)
    url = reverse("requests:contact-add", args=[case["request"].pk])
    refused = client.post(url, {"kind": "parent", "name": "Gran", "preferred_contact": "post"})
    assert refused.status_code == 200
    assert "Enter a postal address" in refused.content.decode()
    done = client.post(
        url, {"kind": "parent", "name": "Gran", "preferred_contact": "email", "email": "gran@example.org"}
    )
    assert done.status_code == 302
    assert Contact.objects.filter(name="Gran").exists()
    assert RequestEvent.objects.filter(request=case["request"], action="contact_changed").count() == 6


def test_sending_a_letter_from_the_page_queues_it(personas: Personas, case: dict[str, Any]) -> None:
    client = signed_in(personas.officer)
    dco = case["people"]["dco"]
    before = OutboundMessage.objects.count()
    response = client.post(
        reverse("requests:letter-new", args=[case["request"].pk]), {"kind": "advice_request", "contact_ids": [dco.pk]}
    )
    assert response.status_code == 302
    assert OutboundMessage.objects.count() == before + 1
    assert RequestEvent.objects.filter(request=case["request"], action="letter_issued").exists()


def test_the_outbox_lists_messages_and_the_template_page_refuses_template_code(
    personas: Personas, case: dict[str, Any]
) -> None:
    client = signed_in(personas.officer)
    assert "ada@example.org" in client.get(reverse("requests:outbox")).content.decode()
    url = reverse("requests:letter-template-edit", args=["decision_to_assess"])
    assert "{child_name}" in client.get(url).content.decode()
    bad = client.post(url, {"subject": "x", "body": "{% load os %}"})
    assert bad.status_code == 200 and not LetterTemplate.objects.exists()
    good = client.post(url, {"subject": "Assessment", "body": "Dear {addressee_name}"})
    assert good.status_code == 302 and LetterTemplate.objects.get().body == "Dear {addressee_name}"


def test_the_digest_page_lists_the_officers_overdue_requests(personas: Personas) -> None:
    late = AwaitingDecisionRequestFactory(assigned_officer=personas.officer, received_on=days_ago(60))
    other = AwaitingDecisionRequestFactory(assigned_officer=personas.other_officer, received_on=days_ago(60))
    text = signed_in(personas.officer).get(reverse("requests:digest")).content.decode()
    assert late.reference in text and other.reference not in text and "Overdue" in text
    assert letter_services.digests_build() == 2


def test_the_api_records_the_setting_a_head_teacher_works_at_by_urn(
    personas: Personas, case: dict[str, Any], api_client_for: Callable[[User | None], Any]
) -> None:
    client = api_client_for(personas.officer)
    named = EstablishmentFactory()
    head = {
        "request_id": case["request"].pk,
        "kind": "professional",
        "name": "Ms Okafor",
        "professional_role": "head_teacher",
        "organisation": "Oak Hill Academy",
        "email": "head@oakhill.example.org",
    }
    refused = client.post("/api/contacts/", {**head, "setting_urn": "999999"}, format="json")
    assert refused.status_code == 400 and "setting_urn" in refused.json()["errors"]
    created = client.post("/api/contacts/", {**head, "setting_urn": str(named.urn)}, format="json")
    assert created.status_code == 201 and created.json()["setting_urn"] == named.urn
    assert Contact.objects.get(pk=created.json()["id"]).establishment == named
    listed = {row["id"]: row["setting_urn"] for row in client.get("/api/contacts/").json()["results"]}
    assert listed[created.json()["id"]] == named.urn and listed[case["people"]["mum"].pk] is None


def test_a_letter_being_prepared_is_not_downloadable_yet_through_the_api(
    personas: Personas, case: dict[str, Any], api_client_for: Callable[[User | None], Any]
) -> None:
    (letter,) = letter_services.letter_issue(
        actor=personas.officer,
        request=case["request"],
        kind="decision_to_assess",
        contact_ids=[case["people"]["mum"].pk],
    )
    client = api_client_for(personas.officer)
    assert client.get(f"/api/letters/{letter.pk}/").json()["state"] == "preparing"
    response = client.get(f"/api/letters/{letter.pk}/download/")
    assert response.status_code == 409 and "being prepared" in response.json()["detail"]
    letter_services.letter_render(letter_id=letter.pk)
    assert client.get(f"/api/letters/{letter.pk}/download/").status_code == 200
