"""The requests API: every step through its endpoint, its effect, its errors and its cost.

Runs on SQLite and PostgreSQL alike. Permissions by role are in test_api_permissions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AccessLog, EstablishmentType
from requests_app.models import AdviceRequest, AdviserType, AssessmentRequest, Child, ClockException, RequestEvent
from requests_app.workflow import Status
from tests.conftest import Personas
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    AwaitingDecisionRequestFactory,
    AwaitingIssueDecisionRequestFactory,
    ChildFactory,
    ClockExceptionFactory,
    DistrictFactory,
    DraftingRequestFactory,
    DraftIssuedRequestFactory,
    EstablishmentFactory,
    EvaluatingRequestFactory,
    PlanIssuedRequestFactory,
    ReceivedRequestFactory,
    RefusedRequestFactory,
    WithdrawnRequestFactory,
    days_ago,
)

pytestmark = pytest.mark.django_db

LIST_URL = "/api/requests/"
ADVICE_URL = "/api/advice-requests/"


@pytest.fixture
def officer_api(api_client_for: Callable[[User | None], Any], personas: Personas) -> Any:
    return api_client_for(personas.officer)


def url(request: AssessmentRequest, action: str = "") -> str:
    return f"/api/requests/{request.pk}/{action + '/' if action else ''}"


def iso(day: date) -> str:
    return day.isoformat()


def last_event(request: AssessmentRequest) -> RequestEvent:
    event = RequestEvent.objects.filter(request_id=request.pk).order_by("-pk").first()
    assert event is not None
    return event


def reload(request: AssessmentRequest) -> AssessmentRequest:
    return AssessmentRequest.objects.get(pk=request.pk)


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def ids(response: Any) -> list[int]:
    return [row["id"] for row in results(response)]


# --- Routes ----------------------------------------------------------------------------------------


def test_route_names_resolve() -> None:
    assert reverse("assessment-request-list") == "/api/requests/"
    assert reverse("assessment-request-detail", args=[7]) == "/api/requests/7/"
    assert reverse("assessment-request-bulk-assign") == "/api/requests/assign/"
    assert reverse("assessment-request-check-duplicates") == "/api/requests/check-duplicates/"
    assert reverse("assessment-request-decide-assessment", args=[7]) == "/api/requests/7/decide-assessment/"
    assert reverse("advice-request-list") == "/api/advice-requests/"
    assert reverse("advice-request-record-received", args=[3]) == "/api/advice-requests/3/record-received/"
    assert reverse("clock-exception-remove", args=[3]) == "/api/exceptions/3/remove/"


# --- Reading -----------------------------------------------------------------------------------------


def test_list_row_carries_the_child_the_clocks_and_the_users_next_steps(officer_api: Any) -> None:
    school = EstablishmentFactory(name="Oak Primary")
    child = ChildFactory(forename="Sam", surname="Holden", upn="A12345678901B", current_establishment=school)
    request = AwaitingDecisionRequestFactory(child=child, received_on=days_ago(40))

    [row] = results(officer_api.get(LIST_URL))

    assert row["id"] == request.pk
    assert row["reference"] == request.reference
    assert row["status"] == "awaiting_decision"
    assert row["status_label"] == "Awaiting decision to assess"
    assert row["stage"] == "Deciding whether to assess"
    assert row["child"]["forename"] == "Sam"
    assert row["child"]["upn"] == "A12345678901B"
    assert row["child"]["district"] == child.district.name
    assert row["child"]["current_establishment"] == {"id": school.pk, "name": "Oak Primary"}
    assert row["child"]["age"] == child.age(timezone.localdate())
    # reg 5(1): six weeks from day 1; 40 days in, two days are left.
    assert row["decision_due_on"] == iso(days_ago(40) + timedelta(weeks=6))
    assert row["next_deadline_on"] == row["decision_target_on"]
    assert row["days_left"] == 2
    assert row["urgency"] == "due_soon"
    assert row["assigned_officer"] is None
    # No exception recorded: removing one is not offered (issue 12 item 20).
    assert set(row["allowed_actions"]) == {
        "decide_to_assess",
        "decide_not_to_assess",
        "add_exception",
        "assign",
        "withdraw",
    }
    assert "evaluation" not in row and "events" not in row


def test_allowed_actions_are_those_of_the_users_roles(api_client_for: Any, personas: Personas) -> None:
    EvaluatingRequestFactory()
    [row] = results(api_client_for(personas.evaluator).get(LIST_URL))
    assert row["allowed_actions"] == ["record_evaluation", "complete_evaluation"]
    [row] = results(api_client_for(personas.manager).get(LIST_URL))
    assert row["allowed_actions"] == []


def test_list_is_ordered_by_next_deadline_with_closed_requests_last(officer_api: Any) -> None:
    later = ReceivedRequestFactory(received_on=days_ago(5))
    closed = RefusedRequestFactory(received_on=days_ago(90))
    sooner = ReceivedRequestFactory(received_on=days_ago(30))
    overdue = ReceivedRequestFactory(received_on=days_ago(60))

    assert ids(officer_api.get(LIST_URL)) == [overdue.pk, sooner.pk, later.pk, closed.pk]


def test_list_can_be_ordered_by_received_date(officer_api: Any) -> None:
    older = ReceivedRequestFactory(received_on=days_ago(30))
    newer = ReceivedRequestFactory(received_on=days_ago(5))
    assert ids(officer_api.get(LIST_URL, {"ordering": "-received_on"})) == [newer.pk, older.pk]


def test_filter_overdue(officer_api: Any) -> None:
    overdue = ReceivedRequestFactory(received_on=days_ago(60))
    ReceivedRequestFactory(received_on=days_ago(5))
    RefusedRequestFactory(received_on=days_ago(90))  # closed: never overdue
    assert ids(officer_api.get(LIST_URL, {"overdue": "true"})) == [overdue.pk]


def test_filter_due_within(officer_api: Any) -> None:
    due_in_two_days = ReceivedRequestFactory(received_on=days_ago(40))
    ReceivedRequestFactory(received_on=days_ago(5))  # 37 days left
    ReceivedRequestFactory(received_on=days_ago(60))  # already overdue
    assert ids(officer_api.get(LIST_URL, {"due_within": 7})) == [due_in_two_days.pk]


def test_filter_unassigned(officer_api: Any, personas: Personas) -> None:
    unassigned = ReceivedRequestFactory()
    ReceivedRequestFactory(assigned_officer=personas.officer)
    assert ids(officer_api.get(LIST_URL, {"unassigned": "true"})) == [unassigned.pk]


def test_filter_assigned_officer(officer_api: Any, personas: Personas) -> None:
    mine = ReceivedRequestFactory(assigned_officer=personas.officer)
    ReceivedRequestFactory(assigned_officer=personas.other_officer)
    assert ids(officer_api.get(LIST_URL, {"assigned_officer": personas.officer.pk})) == [mine.pk]


def test_filter_district_and_need(officer_api: Any) -> None:
    thanet = DistrictFactory(name="Thanet")
    in_thanet = ReceivedRequestFactory(child=ChildFactory(district=thanet, primary_need="SEMH"))
    ReceivedRequestFactory(child=ChildFactory(district=DistrictFactory(name="Swale"), primary_need="SEMH"))
    also_in_thanet = ReceivedRequestFactory(child=ChildFactory(district=thanet, primary_need="ASD"))

    assert set(ids(officer_api.get(LIST_URL, {"district": thanet.pk}))) == {in_thanet.pk, also_in_thanet.pk}
    assert ids(officer_api.get(LIST_URL, {"district": thanet.pk, "need": "SEMH"})) == [in_thanet.pk]


@pytest.mark.parametrize("query", ["holden", "Sam Hol", "b98765432101c", "ref-0042"])
def test_search_by_name_upn_or_reference(officer_api: Any, query: str) -> None:
    wanted = ReceivedRequestFactory(
        reference="REF-0042", child=ChildFactory(forename="Sam", surname="Holden", upn="B98765432101C")
    )
    ReceivedRequestFactory(child=ChildFactory(forename="Alex", surname="Morgan"))
    assert ids(officer_api.get(LIST_URL, {"q": query})) == [wanted.pk]


def test_an_invalid_filter_value_is_a_400_naming_it(officer_api: Any) -> None:
    response = officer_api.get(LIST_URL, {"due_within": "soon"})
    assert response.status_code == 400
    assert "due_within" in response.json()["errors"]


def test_detail_has_the_case_file(officer_api: Any) -> None:
    request = AssessingRequestFactory()
    advice = AdviceRequestFactory(request=request, requested_on=days_ago(55))
    exception = ClockExceptionFactory(request=request)
    RequestEvent.objects.create(request=request, action="assign", payload={"clocks": {"week20": False}})

    response = officer_api.get(url(request))

    assert response.status_code == 200
    body = response.json()
    assert body["evaluation"] is None
    [decision] = body["decisions"]
    assert decision["outcome"] == "assess" and decision["stage"] == "assess"
    [advice_row] = body["advice_requests"]
    assert advice_row["id"] == advice.pk
    assert advice_row["due_on"] == iso(days_ago(55) + timedelta(weeks=6))
    assert advice_row["overdue"] is True  # 55 days since asked, nothing back
    [exception_row] = body["exceptions"]
    assert exception_row["id"] == exception.pk
    assert exception_row["kind_label"] == "Exceptional personal circumstances"
    assert exception_row["active"] is True
    [event] = body["events"]
    assert event["label"] == "Assigned to an officer"
    assert event["clocks"]["week20"] is False
    assert event["clocks"]["next_deadline_on"] is None


def test_unknown_or_malformed_ids_are_404(officer_api: Any) -> None:
    assert officer_api.get("/api/requests/999999/").status_code == 404
    assert officer_api.get("/api/requests/abc/").status_code == 404
    assert officer_api.post("/api/requests/999999/withdraw/", {}, format="json").status_code == 404


# --- Access log ---------------------------------------------------------------------------------------


def test_opening_a_request_writes_one_access_log_row(officer_api: Any, personas: Personas) -> None:
    request = ReceivedRequestFactory()

    assert officer_api.get(url(request)).status_code == 200

    [row] = AccessLog.objects.all()
    assert (row.user, row.action, row.child_id) == (personas.officer, "view", request.child_id)
    assert (row.object_type, row.object_id) == ("assessment_request", request.pk)


def test_a_list_writes_one_access_log_row_per_child_shown(officer_api: Any) -> None:
    child = ChildFactory()
    RefusedRequestFactory(child=child)
    ReceivedRequestFactory(child=child)
    others = [ReceivedRequestFactory().child_id for _ in range(2)]

    results(officer_api.get(LIST_URL))

    rows = AccessLog.objects.filter(action="list", object_type="assessment_request")
    assert sorted(rows.values_list("child_id", flat=True)) == sorted([child.pk, *others])
    # Only the page shown is logged, and the search terms stay out of the log.
    last = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0  # append-only
    results(officer_api.get(LIST_URL, {"page_size": 1, "q": child.surname}))
    assert list(AccessLog.objects.filter(pk__gt=last).values_list("child_id", "path")) == [(child.pk, "/api/requests/")]


# --- Query counts -------------------------------------------------------------------------------------


def _count_queries(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as context:
        call()
    return len(context.captured_queries)


def test_the_list_costs_the_same_queries_for_1_and_for_50_requests(
    officer_api: Any, personas: Personas, django_assert_num_queries: Any
) -> None:
    school = EstablishmentFactory()
    ReceivedRequestFactory(assigned_officer=personas.officer, child=ChildFactory(current_establishment=school))
    officer_api.get(LIST_URL)  # warm up
    one = _count_queries(lambda: results(officer_api.get(LIST_URL, {"page_size": 50})))

    for _ in range(49):
        PlanIssuedRequestFactory(
            assigned_officer=personas.other_officer, child=ChildFactory(current_establishment=school)
        )
    with django_assert_num_queries(one):
        assert len(results(officer_api.get(LIST_URL, {"page_size": 50}))) == 50


def test_the_advice_list_costs_the_same_queries_for_1_and_for_50(
    officer_api: Any, django_assert_num_queries: Any
) -> None:
    AdviceRequestFactory()
    officer_api.get(ADVICE_URL)
    one = _count_queries(lambda: results(officer_api.get(ADVICE_URL, {"page_size": 50})))

    for _ in range(49):
        AdviceRequestFactory(request__child=ChildFactory(current_establishment=EstablishmentFactory()))
    with django_assert_num_queries(one):
        assert len(results(officer_api.get(ADVICE_URL, {"page_size": 50}))) == 50


def test_the_detail_costs_a_fixed_number_of_queries(officer_api: Any, django_assert_max_num_queries: Any) -> None:
    request = AssessingRequestFactory()
    for _ in range(5):
        AdviceRequestFactory(request=request)
        ClockExceptionFactory(request=request)
    # Token (2: knox reads the token with its user, then sweeps the owner's expired tokens) and
    # roles (1), the request with its joins (1), five prefetches (decisions, advice, exceptions,
    # events, and the SEN2 placements), the access-log row and its savepoint pair: none of them
    # grows with the advice or exceptions on file.
    with django_assert_max_num_queries(12):
        assert officer_api.get(url(request)).status_code == 200


# --- Creating --------------------------------------------------------------------------------------------


def new_child(**overrides: Any) -> dict[str, Any]:
    return {
        "forename": "Amelia",
        "surname": "Apitest",
        "date_of_birth": "2016-05-04",
        "sex": "F",
        "upn": "",
        "district_id": DistrictFactory(name="Maidstone").pk,
        "primary_need": "SLCN",
        **overrides,
    }


def test_create_a_request_for_a_new_child(officer_api: Any, personas: Personas) -> None:
    received = days_ago(3)
    response = officer_api.post(
        LIST_URL,
        {"child": new_child(upn="a123456789012"), "received_on": iso(received), "source": "parent"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "received"
    assert body["reference"] == f"REQ-{body['id']:06d}"
    assert body["decision_due_on"] == iso(received + timedelta(weeks=6))
    assert body["final_plan_due_on"] == iso(received + timedelta(weeks=20))
    assert body["child"]["upn"] == "A123456789012"
    request = AssessmentRequest.objects.get(pk=body["id"])
    event = last_event(request)
    assert (event.action, event.actor) == ("created", personas.officer)


def test_create_for_a_child_already_recorded(officer_api: Any) -> None:
    child = ChildFactory()
    RefusedRequestFactory(child=child)  # closed: a new request may follow
    response = officer_api.post(
        LIST_URL, {"child_id": child.pk, "received_on": iso(days_ago(1)), "source": "school"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["child"]["id"] == child.pk


def test_a_possible_duplicate_is_409_then_created_once_confirmed(officer_api: Any) -> None:
    existing = ChildFactory(forename="Amelia", surname="Apitest", date_of_birth=date(2016, 5, 4), upn="C12345678901D")
    open_request = ReceivedRequestFactory(child=existing)
    payload = {"child": new_child(), "received_on": iso(days_ago(1)), "source": "parent"}

    response = officer_api.post(LIST_URL, payload, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "possible_duplicate"
    assert body["candidates"] == [
        {
            "id": existing.pk,
            "initials": "AA",
            "date_of_birth": "2016-05-04",
            "upn": "C12345678901D",
            "open_requests": [open_request.reference],
        }
    ]
    assert "forename" not in body["candidates"][0]  # initials only until the user opens a record
    assert Child.objects.count() == 1

    body = {**payload, "confirm_not_duplicate": True, "not_duplicate_reason": "Different parents"}
    response = officer_api.post(LIST_URL, body, format="json")

    assert response.status_code == 201, response.json()
    assert Child.objects.count() == 2


def test_a_child_with_a_request_in_progress_is_409(officer_api: Any) -> None:
    open_request = ReceivedRequestFactory()
    response = officer_api.post(
        LIST_URL,
        {"child_id": open_request.child_id, "received_on": iso(days_ago(1)), "source": "parent"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "in progress" in response.json()["detail"]


def test_create_validation_errors_name_the_fields(officer_api: Any) -> None:
    response = officer_api.post(
        LIST_URL,
        {"child": new_child(forename="", date_of_birth="2999-01-01"), "received_on": "yesterday"},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"child.forename", "child.date_of_birth", "received_on", "source"}
    assert errors["child.forename"] == ["Enter the child's first name"]


def test_create_refuses_a_received_date_in_the_future(officer_api: Any) -> None:
    response = officer_api.post(
        LIST_URL, {"child": new_child(), "received_on": iso(days_ago(-3)), "source": "parent"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"received_on": ["The date must be today or in the past"]}


def test_create_needs_a_child_or_a_child_id_not_both(officer_api: Any) -> None:
    response = officer_api.post(LIST_URL, {"received_on": iso(days_ago(1)), "source": "parent"}, format="json")
    assert response.status_code == 400
    assert "child" in response.json()["errors"]


def test_a_known_upn_confirmed_as_new_is_a_400_on_the_childs_upn(officer_api: Any) -> None:
    ChildFactory(upn="C12345678901D", surname="Someoneelse")
    response = officer_api.post(
        LIST_URL,
        {
            "child": new_child(upn="C12345678901D"),
            "received_on": iso(days_ago(1)),
            "source": "parent",
            "confirm_not_duplicate": True,
            "not_duplicate_reason": "Different school",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "child.upn" in response.json()["errors"]


def test_check_duplicates_lists_candidates(officer_api: Any) -> None:
    match = ChildFactory(surname="Apitest", date_of_birth=date(2016, 5, 4))
    ChildFactory(surname="Apitest", date_of_birth=date(2015, 1, 1))
    response = officer_api.post(
        "/api/requests/check-duplicates/",
        {"forename": "", "surname": "apitest", "date_of_birth": "2016-05-04"},
        format="json",
    )
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["candidates"]] == [match.pk]


# --- Assigning -----------------------------------------------------------------------------------------------


def test_assign_one_request(officer_api: Any, personas: Personas) -> None:
    request = ReceivedRequestFactory()
    response = officer_api.post(url(request, "assign"), {"officer_id": personas.other_officer.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["assigned_officer"]["id"] == personas.other_officer.pk
    assert reload(request).assigned_officer == personas.other_officer
    assert last_event(request).action == "assign"


def test_assign_refuses_somebody_who_is_not_an_officer(officer_api: Any, personas: Personas) -> None:
    request = ReceivedRequestFactory()
    response = officer_api.post(url(request, "assign"), {"officer_id": personas.evaluator.pk}, format="json")
    assert response.status_code == 404  # well formed; the id names no SEN officer (docs/security.md)
    assert response.json()["errors"] == {"officer_id": ["Select an SEN officer"]}


def test_bulk_assign(officer_api: Any, personas: Personas) -> None:
    requests = [ReceivedRequestFactory(), AssessingRequestFactory(), DraftingRequestFactory()]
    response = officer_api.post(
        "/api/requests/assign/",
        {"request_ids": [r.pk for r in requests], "officer_id": personas.other_officer.pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [row["assigned_officer"]["id"] for row in response.json()] == [personas.other_officer.pk] * 3
    assert AssessmentRequest.objects.filter(assigned_officer=personas.other_officer).count() == 3
    assert RequestEvent.objects.filter(action="assign").count() == 3


def test_bulk_assign_with_an_unknown_id_changes_nothing(officer_api: Any, personas: Personas) -> None:
    request = ReceivedRequestFactory()
    response = officer_api.post(
        "/api/requests/assign/", {"request_ids": [request.pk, 999999], "officer_id": personas.officer.pk}, format="json"
    )
    assert response.status_code == 404  # well formed; one id names no request (docs/security.md)
    assert "request_ids" in response.json()["errors"]
    assert reload(request).assigned_officer is None


def test_bulk_assign_including_a_closed_request_is_409_and_changes_nothing(
    officer_api: Any, personas: Personas
) -> None:
    open_request, closed = ReceivedRequestFactory(), RefusedRequestFactory()
    response = officer_api.post(
        "/api/requests/assign/",
        {"request_ids": [open_request.pk, closed.pk], "officer_id": personas.officer.pk},
        format="json",
    )
    assert response.status_code == 409
    assert reload(open_request).assigned_officer is None


def test_bulk_assign_validation_names_the_list_item(officer_api: Any, personas: Personas) -> None:
    response = officer_api.post(
        "/api/requests/assign/", {"request_ids": ["x"], "officer_id": personas.officer.pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["request_ids.0"]


# --- The process, one action at a time -----------------------------------------------------------------------


def post(client: Any, request: AssessmentRequest, action: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post(url(request, action), data or {}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_start_evaluation(api_client_for: Any, personas: Personas) -> None:
    request = ReceivedRequestFactory()
    body = post(api_client_for(personas.evaluator), request, "start-evaluation")
    assert body["status"] == "evaluating"
    assert body["evaluation"]["recommendation"] == ""
    assert last_event(request).action == "start_evaluation"


def test_record_then_complete_the_evaluation(api_client_for: Any, personas: Personas) -> None:
    client = api_client_for(personas.evaluator)
    request = EvaluatingRequestFactory()

    body = post(client, request, "evaluation", {"schools_views_received": True, "apdr_cycles": 2})
    assert body["status"] == "evaluating"
    assert body["evaluation"]["apdr_cycles"] == 2
    assert last_event(request).action == "record_evaluation"

    body = post(client, request, "evaluation", {"recommendation": "assess", "complete": True})
    assert body["status"] == "awaiting_decision"
    assert body["evaluation"]["schools_views_received"] is True  # the earlier save kept
    assert body["evaluation"]["completed_by"]["id"] == personas.evaluator.pk
    assert body["evaluation"]["completed_on"] == iso(timezone.localdate())
    assert last_event(request).action == "complete_evaluation"


def test_completing_the_evaluation_needs_a_recommendation(api_client_for: Any, personas: Personas) -> None:
    request = EvaluatingRequestFactory()
    response = api_client_for(personas.evaluator).post(url(request, "evaluation"), {"complete": True}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"recommendation": ["Select a recommendation"]}
    assert reload(request).status == Status.EVALUATING


def test_decide_to_assess(officer_api: Any) -> None:
    request = AwaitingDecisionRequestFactory()
    body = post(
        officer_api,
        request,
        "decide-assessment",
        {"outcome": "assess", "notified_on": iso(days_ago(1)), "reasons": ["has_or_may_have_sen"]},
    )
    assert body["status"] == "assessing"
    assert body["request_outcome"] == "Y"
    assert body["request_outcome_on"] == iso(days_ago(1))
    # The next limit is now reg 10's 16 weeks.
    assert body["next_deadline_on"] == body["not_issue_target_on"]
    assert body["decisions"][0]["outcome"] == "assess"
    assert last_event(request).action == "decide_to_assess"


def test_decide_not_to_assess_closes_the_request(officer_api: Any) -> None:
    request = AwaitingDecisionRequestFactory()
    body = post(
        officer_api,
        request,
        "decide-assessment",
        {
            "outcome": "refuse",
            "notified_on": iso(days_ago(1)),
            "reasons": ["needs_met_by_sen_support"],
            "rights_text_sent": True,
        },
    )
    assert body["status"] == "refused"
    assert body["request_outcome"] == "N"
    assert body["next_deadline_on"] is None and body["urgency"] == "none" and body["days_left"] is None
    assert last_event(request).action == "decide_not_to_assess"


def test_a_refusal_without_reasons_or_rights_text_names_both_fields(officer_api: Any) -> None:
    request = AwaitingDecisionRequestFactory()
    response = officer_api.post(
        url(request, "decide-assessment"), {"outcome": "refuse", "notified_on": iso(days_ago(1))}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"reasons", "rights_text_sent"}
    assert reload(request).status == Status.AWAITING_DECISION


def test_a_missing_date_uses_the_workflows_wording(officer_api: Any) -> None:
    request = AwaitingDecisionRequestFactory()
    response = officer_api.post(url(request, "decide-assessment"), {"outcome": "assess"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"notified_on": ["Enter the date the family was told of the decision"]}


def test_request_advice(officer_api: Any) -> None:
    request = AssessingRequestFactory()
    body = post(
        officer_api,
        request,
        "advice-requests",
        {"adviser_type": "health", "addressee": "Community paediatrics", "requested_on": iso(days_ago(2))},
    )
    [advice] = body["advice_requests"]
    assert advice["adviser_type"] == "health"
    # reg 8(1): six weeks to answer.
    assert advice["due_on"] == iso(days_ago(2) + timedelta(weeks=6))
    assert advice["overdue"] is False
    assert last_event(request).action == "request_advice"


def test_record_advice_received(officer_api: Any) -> None:
    advice = AdviceRequestFactory()
    response = officer_api.post(
        f"/api/advice-requests/{advice.pk}/record-received/",
        {"received_on": iso(days_ago(1)), "notes": "Report on file"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["received_on"] == iso(days_ago(1))
    assert AdviceRequest.objects.get(pk=advice.pk).received_on == days_ago(1)
    assert last_event(advice.request).action == "record_advice"


def test_recording_advice_twice_is_409(officer_api: Any) -> None:
    advice = AdviceRequestFactory(received_on=days_ago(3))
    response = officer_api.post(
        f"/api/advice-requests/{advice.pk}/record-received/", {"received_on": iso(days_ago(1))}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_complete_assessment(officer_api: Any) -> None:
    request = AssessingRequestFactory()
    assert post(officer_api, request, "complete-assessment")["status"] == "awaiting_issue_decision"
    assert last_event(request).action == "complete_assessment"


def test_decide_to_issue(officer_api: Any) -> None:
    request = AwaitingIssueDecisionRequestFactory()
    body = post(officer_api, request, "decide-issue", {"outcome": "issue", "notified_on": iso(days_ago(2))})
    assert body["status"] == "drafting"
    assert body["next_deadline_on"] == body["final_plan_target_on"]
    assert last_event(request).action == "decide_to_issue"


def test_decide_not_to_issue(officer_api: Any) -> None:
    request = AwaitingIssueDecisionRequestFactory()
    body = post(
        officer_api,
        request,
        "decide-issue",
        {
            "outcome": "not_issue",
            "notified_on": iso(days_ago(2)),
            "reasons_text": "Needs can be met at SEN support",
            "rights_text_sent": True,
            # No advice was requested on this request: the reg 6(4) reason (issue 12 item 18).
            "advice_not_sought_reason": "existing_advice_agreed_sufficient",
        },
    )
    assert body["status"] == "not_issued"
    assert body["assessment_outcome"] == "N"
    assert body["decisions"][-1]["advice_not_sought_reason"] == "existing_advice_agreed_sufficient"
    assert last_event(request).action == "decide_not_to_issue"


def test_issue_the_draft(officer_api: Any) -> None:
    request = DraftingRequestFactory()
    body = post(officer_api, request, "issue-draft", {"issued_on": iso(days_ago(1))})
    assert body["status"] == "draft_issued"
    assert body["draft_issued_on"] == iso(days_ago(1))
    assert last_event(request).action == "issue_draft"


def test_record_the_familys_comments(officer_api: Any) -> None:
    request = DraftIssuedRequestFactory()
    body = post(officer_api, request, "family-comments", {"received_on": iso(days_ago(1))})
    assert body["status"] == "draft_issued"
    assert body["family_comments_received_on"] == iso(days_ago(1))
    assert last_event(request).action == "record_family_comments"


def test_issue_the_final_plan(officer_api: Any) -> None:
    request = DraftIssuedRequestFactory(draft_issued_on=days_ago(20))
    school = EstablishmentFactory(name="Beech Special School", type_group=EstablishmentType.SPECIAL_MAINTAINED)
    body = post(
        officer_api,
        request,
        "issue-final",
        {"issued_on": iso(days_ago(1)), "named_establishment_id": school.pk, "placement_type": "special_maintained"},
    )
    assert body["status"] == "plan_issued"
    assert body["final_plan_issued_on"] == iso(days_ago(1))
    assert body["named_establishment"] == {"id": school.pk, "name": "Beech Special School"}
    assert body["assessment_outcome"] == "Y"
    assert last_event(request).action == "issue_final"


def test_the_final_plan_waits_for_the_familys_15_days(officer_api: Any) -> None:
    request = DraftIssuedRequestFactory(draft_issued_on=days_ago(5))
    response = officer_api.post(
        url(request, "issue-final"),
        {
            "issued_on": iso(days_ago(1)),
            "named_establishment_id": EstablishmentFactory().pk,
            "placement_type": "mainstream",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "reg 13(1)" in response.json()["errors"]["issued_on"][0]


def test_add_then_remove_a_clock_exception(officer_api: Any) -> None:
    request = ReceivedRequestFactory(received_on=days_ago(20))
    before = request.decision_target_on

    body = post(
        officer_api,
        request,
        "exceptions",
        {
            "kind": "personal_circumstances",
            "start": iso(days_ago(15)),
            "end": iso(days_ago(6)),
            "evidence": "Letter from the family's GP",
        },
    )
    [exception] = body["exceptions"]
    assert exception["active"] is True
    # Ten days of exception push the target out by ten days; the statutory date stays.
    assert body["decision_target_on"] == iso(before + timedelta(days=10))
    assert body["decision_due_on"] == iso(request.decision_due_on)
    assert body["week20"] is True
    assert last_event(request).action == "add_exception"

    response = officer_api.post(
        f"/api/exceptions/{exception['id']}/remove/", {"reason": "Recorded against the wrong child"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["exceptions"][0]["active"] is False
    assert body["exceptions"][0]["removed_reason"] == "Recorded against the wrong child"
    assert body["decision_target_on"] == iso(before)
    assert last_event(request).action == "remove_exception"
    assert ClockException.objects.get(pk=exception["id"]).removed_at is not None


def test_an_exception_that_does_not_apply_is_a_400_on_its_field(officer_api: Any) -> None:
    request = ReceivedRequestFactory(received_on=days_ago(20))
    response = officer_api.post(
        url(request, "exceptions"),
        {"kind": "school_closure", "start": iso(days_ago(15)), "end": iso(days_ago(6)), "evidence": "Closure"},
        format="json",
    )
    assert response.status_code == 400
    assert "end" in response.json()["errors"]


def test_withdraw(officer_api: Any) -> None:
    request = EvaluatingRequestFactory()
    body = post(officer_api, request, "withdraw", {"reason": "Family moved away", "withdrawn_on": iso(days_ago(1))})
    assert body["status"] == "withdrawn"
    assert body["request_outcome"] == "W"
    assert last_event(request).note == "Family moved away"


def test_reopen_goes_back_to_where_the_request_was(api_client_for: Any, personas: Personas) -> None:
    request = WithdrawnRequestFactory()
    body = post(api_client_for(personas.manager), request, "reopen", {"reason": "Withdrawn in error"})
    assert body["status"] == "evaluating"
    assert body["request_outcome"] == "A"
    assert last_event(request).action == "reopen"


def test_refer_to_panel(officer_api: Any) -> None:
    request = AssessingRequestFactory()
    body = post(officer_api, request, "refer-to-panel", {"note": "Specialist placement to consider"})
    assert body["status"] == "assessing"
    event = last_event(request)
    assert (event.action, event.note) == ("refer_to_panel", "Specialist placement to consider")
    assert body["events"][-1]["label"] == "Referred to the placement panel"


# --- Disallowed transitions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "action", "data", "message"),
    [
        (
            ReceivedRequestFactory,
            "issue-draft",
            {"issued_on": "2024-01-01"},
            "A request that is Received cannot have a draft plan issued.",
        ),
        (
            RefusedRequestFactory,
            "withdraw",
            {"reason": "x", "withdrawn_on": "2024-01-01"},
            "A request that is Refused to assess cannot be withdrawn. Reopen it first.",
        ),
        (
            PlanIssuedRequestFactory,
            "complete-assessment",
            {},
            "A request that is Plan issued cannot have its assessment completed. The request is closed.",
        ),
        (ReceivedRequestFactory, "complete-assessment", {}, None),
        (AssessingRequestFactory, "decide-assessment", {"outcome": "assess", "notified_on": "2024-01-01"}, None),
    ],
)
def test_a_disallowed_transition_is_409_and_changes_nothing(
    officer_api: Any, factory: Any, action: str, data: dict[str, Any], message: str | None
) -> None:
    request = factory()
    events_before = RequestEvent.objects.filter(request_id=request.pk).count()

    response = officer_api.post(url(request, action), data, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["detail"] == message if message else body["detail"].startswith("A request that is")
    assert reload(request).status == request.status
    assert RequestEvent.objects.filter(request_id=request.pk).count() == events_before


# --- The advice queue ----------------------------------------------------------------------------------------------


def test_the_advice_queue_lists_advice_awaited_oldest_first(officer_api: Any) -> None:
    newer = AdviceRequestFactory(requested_on=days_ago(50))
    older = AdviceRequestFactory(requested_on=days_ago(58))
    AdviceRequestFactory(received_on=days_ago(1))  # received: not in the queue
    AdviceRequestFactory(request=RefusedRequestFactory())  # request closed: not in the queue

    rows = results(officer_api.get(ADVICE_URL))

    assert [row["id"] for row in rows] == [older.pk, newer.pk]
    assert rows[0]["request"] == {"id": older.request_id, "reference": older.request.reference}
    assert rows[0]["child"]["surname"] == older.request.child.surname


def test_advice_queue_filters(officer_api: Any) -> None:
    overdue_ep = AdviceRequestFactory(requested_on=days_ago(50))
    recent_health = AdviceRequestFactory(requested_on=days_ago(3), adviser_type=AdviserType.HEALTH)
    received = AdviceRequestFactory(received_on=days_ago(1))

    assert ids(officer_api.get(ADVICE_URL, {"adviser_type": "health"})) == [recent_health.pk]
    assert ids(officer_api.get(ADVICE_URL, {"overdue": "true"})) == [overdue_ep.pk]
    assert ids(officer_api.get(ADVICE_URL, {"overdue": "false"})) == [recent_health.pk]
    assert ids(officer_api.get(ADVICE_URL, {"outstanding": "false"})) == [received.pk]


def test_the_advice_queue_writes_one_access_log_row_per_child(officer_api: Any) -> None:
    advice = AdviceRequestFactory()
    AdviceRequestFactory(request=advice.request, adviser_type=AdviserType.HEALTH)

    assert len(results(officer_api.get(ADVICE_URL))) == 2

    assert list(AccessLog.objects.values_list("child_id", "object_type", "action")) == [
        (advice.request.child_id, "advice_request", "list")
    ]
