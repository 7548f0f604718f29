"""Who may do what through the requests API, one persona per role (tests/conftest.py).

Reads: the request endpoints need REQUEST_VIEW (officer, evaluator, chair, manager); the advice
queue needs ADVICE_VIEW (officer, EP, manager). Changes: each service checks the capability of
its action, so a refused user gets 403 and the request is left exactly as it was.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework import serializers

from core.models import AccessLog
from requests_app.api import serializers as api_serializers
from requests_app.models import AdviserType, AssessmentRequest, RequestEvent
from tests.conftest import Personas
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    AwaitingDecisionRequestFactory,
    ClockExceptionFactory,
    DistrictFactory,
    DraftingRequestFactory,
    EvaluatingRequestFactory,
    ReceivedRequestFactory,
    RefusedRequestFactory,
    WithdrawnRequestFactory,
    days_ago,
)

pytestmark = pytest.mark.django_db

ROLES = ["officer", "evaluator", "ep", "panel_member", "head_teacher", "chair", "finance", "manager", "admin"]
CAN_VIEW_REQUESTS = {"officer", "evaluator", "chair", "manager"}
CAN_VIEW_ADVICE = {"officer", "ep", "manager"}


@pytest.fixture
def client_as(api_client_for: Callable[[Any], Any], personas: Personas) -> Callable[[str | None], Any]:
    """An API client for a persona by name, or anonymous for None."""

    def _client(persona: str | None) -> Any:
        return api_client_for(getattr(personas, persona) if persona else None)

    return _client


def expected_read(persona: str | None, allowed: set[str]) -> int:
    if persona is None:
        return 401
    return 200 if persona in allowed else 403


# --- Reads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", [*ROLES, None])
def test_who_can_list_requests(client_as: Any, persona: str | None) -> None:
    ReceivedRequestFactory()
    response = client_as(persona).get("/api/requests/")
    assert response.status_code == expected_read(persona, CAN_VIEW_REQUESTS)
    if response.status_code != 200:
        assert "results" not in response.json()
        assert not AccessLog.objects.reads().exists()


@pytest.mark.parametrize("persona", [*ROLES, None])
def test_who_can_open_a_request(client_as: Any, persona: str | None) -> None:
    request = ReceivedRequestFactory()
    response = client_as(persona).get(f"/api/requests/{request.pk}/")
    assert response.status_code == expected_read(persona, CAN_VIEW_REQUESTS)
    if response.status_code != 200:
        assert set(response.json()) <= {"detail", "code"}
        assert not AccessLog.objects.reads().exists()


@pytest.mark.parametrize("persona", [*ROLES, None])
def test_who_can_see_the_advice_queue(client_as: Any, persona: str | None) -> None:
    AdviceRequestFactory()
    response = client_as(persona).get("/api/advice-requests/")
    assert response.status_code == expected_read(persona, CAN_VIEW_ADVICE)


def test_an_educational_psychologist_sees_only_ep_advice_and_no_contact_details(client_as: Any) -> None:
    request = AssessingRequestFactory(requester_name="A parent", requester_email="parent@example.org")
    ep_advice = AdviceRequestFactory(request=request, adviser_type=AdviserType.EDUCATIONAL_PSYCHOLOGY)
    AdviceRequestFactory(request=request, adviser_type=AdviserType.HEALTH)

    response = client_as("ep").get("/api/advice-requests/")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == ep_advice.pk
    assert row["request"] == {"id": request.pk, "reference": request.reference}
    assert set(row["child"]) == {"id", "forename", "surname", "date_of_birth", "current_establishment"}
    assert "parent@example.org" not in response.content.decode()
    assert "A parent" not in response.content.decode()
    # ...while an officer sees the whole queue.
    assert len(client_as("officer").get("/api/advice-requests/").json()["results"]) == 2


def test_an_educational_psychologist_cannot_record_other_services_advice(client_as: Any) -> None:
    health = AdviceRequestFactory(adviser_type=AdviserType.HEALTH)
    response = client_as("ep").post(
        f"/api/advice-requests/{health.pk}/record-received/", {"received_on": days_ago(1).isoformat()}, format="json"
    )
    assert response.status_code == 404


# --- Changes ---------------------------------------------------------------------------------------

TODAY_MINUS_1 = days_ago(1).isoformat()

# (name, factory, action path, body): one valid call per action.
ACTIONS: dict[str, tuple[Any, str, dict[str, Any]]] = {
    "start-evaluation": (ReceivedRequestFactory, "start-evaluation", {}),
    "evaluation": (EvaluatingRequestFactory, "evaluation", {"notes": "School views chased"}),
    "decide-assessment": (
        AwaitingDecisionRequestFactory,
        "decide-assessment",
        {"outcome": "assess", "notified_on": TODAY_MINUS_1},
    ),
    "advice-requests": (
        AssessingRequestFactory,
        "advice-requests",
        {"adviser_type": "health", "addressee": "Paediatrics", "requested_on": TODAY_MINUS_1},
    ),
    "complete-assessment": (AssessingRequestFactory, "complete-assessment", {}),
    "issue-draft": (DraftingRequestFactory, "issue-draft", {"issued_on": TODAY_MINUS_1}),
    "withdraw": (ReceivedRequestFactory, "withdraw", {"reason": "Moved away", "withdrawn_on": TODAY_MINUS_1}),
    "reopen": (WithdrawnRequestFactory, "reopen", {"reason": "Withdrawn in error"}),
    "refer-to-panel": (AssessingRequestFactory, "refer-to-panel", {}),
    "exceptions": (
        ReceivedRequestFactory,
        "exceptions",
        {
            "kind": "personal_circumstances",
            "start": days_ago(60).isoformat(),
            "end": days_ago(50).isoformat(),
            "evidence": "GP letter",
        },
    ),
}

# Who may take each action (workflow.TRANSITIONS and the roles table).
MAY: dict[str, set[str]] = {
    "start-evaluation": {"evaluator"},
    "evaluation": {"evaluator"},
    "decide-assessment": {"officer"},
    "advice-requests": {"officer"},
    "complete-assessment": {"officer"},
    "issue-draft": {"officer"},
    "withdraw": {"officer"},
    "reopen": {"manager", "chair"},
    "refer-to-panel": {"officer", "chair"},
    "exceptions": {"officer"},
}


@pytest.mark.parametrize("persona", [*ROLES, None])
@pytest.mark.parametrize("name", list(ACTIONS))
def test_who_can_take_each_action(client_as: Any, name: str, persona: str | None) -> None:
    factory, path, body = ACTIONS[name]
    request = factory()
    events_before = RequestEvent.objects.filter(request_id=request.pk).count()

    response = client_as(persona).post(f"/api/requests/{request.pk}/{path}/", body, format="json")

    if persona is None:
        expected = 401
    else:
        expected = 200 if persona in MAY[name] else 403
    assert response.status_code == expected, response.json()
    if expected != 200:
        assert AssessmentRequest.objects.get(pk=request.pk).status == request.status
        assert RequestEvent.objects.filter(request_id=request.pk).count() == events_before


def test_evaluator_records_the_evaluation_but_cannot_decide(client_as: Any) -> None:
    request = EvaluatingRequestFactory()
    evaluator = client_as("evaluator")
    completed = evaluator.post(
        f"/api/requests/{request.pk}/evaluation/", {"recommendation": "assess", "complete": True}, format="json"
    )
    assert completed.status_code == 200
    decided = evaluator.post(
        f"/api/requests/{request.pk}/decide-assessment/",
        {"outcome": "assess", "notified_on": TODAY_MINUS_1},
        format="json",
    )
    assert decided.status_code == 403
    assert decided.json()["code"] == "permission_denied"


def test_manager_reopens_but_cannot_decide_and_officer_cannot_reopen(client_as: Any) -> None:
    refused = RefusedRequestFactory()
    assert (
        client_as("officer").post(f"/api/requests/{refused.pk}/reopen/", {"reason": "Mediation"}, format="json")
    ).status_code == 403
    reopened = client_as("manager").post(f"/api/requests/{refused.pk}/reopen/", {"reason": "Mediation"}, format="json")
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "awaiting_decision"
    decided = client_as("manager").post(
        f"/api/requests/{refused.pk}/decide-assessment/",
        {"outcome": "assess", "notified_on": TODAY_MINUS_1},
        format="json",
    )
    assert decided.status_code == 403


@pytest.mark.parametrize("persona", ["officer", "ep", "evaluator", "manager", "finance", None])
def test_who_can_record_advice_received(client_as: Any, persona: str | None) -> None:
    advice = AdviceRequestFactory()
    response = client_as(persona).post(
        f"/api/advice-requests/{advice.pk}/record-received/", {"received_on": TODAY_MINUS_1}, format="json"
    )
    expected = {None: 401, "officer": 200, "ep": 200}.get(persona, 403)
    assert response.status_code == expected


@pytest.mark.parametrize("persona", ["officer", "evaluator", "manager", "chair", "ep", "finance", "admin", None])
def test_who_can_record_a_new_request(client_as: Any, persona: str | None) -> None:
    district = DistrictFactory()
    body = {
        "child": {
            "forename": "Robin",
            "surname": "Permtest",
            "date_of_birth": "2015-02-03",
            "district_id": district.pk,
            "primary_need": "ASD",
        },
        "received_on": TODAY_MINUS_1,
        "source": "parent",
    }
    response = client_as(persona).post("/api/requests/", body, format="json")
    expected = {None: 401, "officer": 201}.get(persona, 403)
    assert response.status_code == expected
    assert AssessmentRequest.objects.count() == (1 if expected == 201 else 0)


@pytest.mark.parametrize("persona", ["officer", "evaluator", "manager", None])
def test_who_can_check_for_duplicates(client_as: Any, persona: str | None) -> None:
    response = client_as(persona).post(
        "/api/requests/check-duplicates/", {"surname": "Smith", "date_of_birth": "2015-02-03"}, format="json"
    )
    assert response.status_code == {None: 401, "officer": 200}.get(persona, 403)


@pytest.mark.parametrize("persona", ["officer", "evaluator", "manager", "chair", None])
def test_who_can_assign(client_as: Any, personas: Personas, persona: str | None) -> None:
    request = ReceivedRequestFactory()
    body = {"officer_id": personas.other_officer.pk}
    one = client_as(persona).post(f"/api/requests/{request.pk}/assign/", body, format="json")
    bulk = client_as(persona).post("/api/requests/assign/", {**body, "request_ids": [request.pk]}, format="json")
    expected = {None: 401, "officer": 200}.get(persona, 403)
    assert (one.status_code, bulk.status_code) == (expected, expected)


@pytest.mark.parametrize("persona", ["officer", "evaluator", "manager", "ep", None])
def test_who_can_remove_a_clock_exception(client_as: Any, persona: str | None) -> None:
    exception = ClockExceptionFactory()
    response = client_as(persona).post(f"/api/exceptions/{exception.pk}/remove/", {"reason": "Error"}, format="json")
    assert response.status_code == {None: 401, "officer": 200}.get(persona, 403)


def test_an_educational_psychologist_cannot_use_the_request_endpoints(client_as: Any) -> None:
    request = AssessingRequestFactory()
    ep = client_as("ep")
    assert ep.get("/api/requests/").status_code == 403
    assert ep.get(f"/api/requests/{request.pk}/").status_code == 403
    assert ep.post(f"/api/requests/{request.pk}/refer-to-panel/", {}, format="json").status_code == 403


# --- Serializers --------------------------------------------------------------------------------------


def test_no_serializer_uses_all_fields_or_exclude() -> None:
    model_serializers = [
        cls
        for _, cls in inspect.getmembers(api_serializers, inspect.isclass)
        if issubclass(cls, serializers.ModelSerializer) and cls.__module__ == api_serializers.__name__
    ]
    assert len(model_serializers) >= 10
    for cls in model_serializers:
        meta = cls.Meta
        assert isinstance(meta.fields, list | tuple), f"{cls.__name__} must list its fields"
        assert not hasattr(meta, "exclude"), f"{cls.__name__} must not use exclude"
