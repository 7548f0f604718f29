"""Services: every change to a request, its validation, its event, its clocks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connections, transaction

from core.errors import Conflict, DomainError, InvalidTransition, NotPermitted, ValidationFailed
from core.models import AccessLog
from core.roles import Role
from requests_app import clocks
from requests_app.models import (
    AdviceRequest,
    AssessmentDecision,
    AssessmentRequest,
    Child,
    ClockException,
    ProvisionEvaluation,
    RequestEvent,
)
from requests_app.services import lifecycle
from requests_app.services.advice import advice_record_received, advice_request_create, exception_add, exception_remove
from requests_app.services.children import PossibleDuplicate, find_duplicates
from requests_app.services.lifecycle import (
    assessment_complete,
    evaluation_record,
    evaluation_start,
    plan_issue_draft,
    plan_issue_final,
    plan_record_family_comments,
    request_assign,
    request_create,
    request_decide_assessment,
    request_decide_issue,
    request_record_view,
    request_refer_to_panel,
    request_reopen,
    request_withdraw,
)
from requests_app.workflow import Status
from tests.conftest import make_user
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    AwaitingDecisionRequestFactory,
    AwaitingIssueDecisionRequestFactory,
    ChildFactory,
    DistrictFactory,
    DraftingRequestFactory,
    DraftIssuedRequestFactory,
    EstablishmentFactory,
    EvaluatingRequestFactory,
    NotIssuedRequestFactory,
    ReceivedRequestFactory,
    RefusedRequestFactory,
    WithdrawnRequestFactory,
    days_ago,
)

# In the representative set CI runs on the embedded default (SQLite, filesystem broker) too.
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


@pytest.fixture
def officer() -> User:
    return make_user(Role.SEN_OFFICER, username="officer")


@pytest.fixture
def evaluator() -> User:
    return make_user(Role.PROVISION_EVALUATOR, username="evaluator")


@pytest.fixture
def ep() -> User:
    return make_user(Role.EDUCATIONAL_PSYCHOLOGIST, username="ep")


@pytest.fixture
def manager() -> User:
    return make_user(Role.MANAGER, username="manager")


@pytest.fixture
def finance() -> User:
    return make_user(Role.FINANCE_OFFICER, username="finance")


def events(request: AssessmentRequest) -> list[RequestEvent]:
    return list(RequestEvent.objects.filter(request_id=request.pk).order_by("pk"))


def one_new_event(request: AssessmentRequest, before: int) -> RequestEvent:
    rows = events(request)
    assert len(rows) == before + 1, [e.action for e in rows]
    return rows[-1]


def errors_of(call: Callable[[], Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.errors


# --- Creating a request ------------------------------------------------------------------------


def child_data(**overrides: Any) -> dict[str, Any]:
    return {
        "forename": "Amelia",
        "surname": "Testperson",
        "date_of_birth": date(2016, 5, 4),
        "sex": "F",
        "upn": "a123456789012",
        "postcode": "me14 1xx",
        "district": DistrictFactory(name="Maidstone"),
        "primary_need": "SLCN",
        **overrides,
    }


def test_request_create_for_a_new_child(officer: User) -> None:
    received = days_ago(3)
    request = request_create(
        actor=officer,
        child=None,
        child_data=child_data(),
        received_on=received,
        source="parent",
        requester_name="A parent",
        requester_email="parent@example.org",
    )
    assert request.status == Status.RECEIVED
    assert request.reference == f"REQ-{request.pk:06d}"
    assert request.child.upn == "A123456789012" and request.child.postcode == "ME14 1XX"
    assert request.request_outcome == "A" and request.assessment_outcome == ""
    assert request.decision_due_on == received + timedelta(weeks=6)
    assert request.final_plan_due_on == received + timedelta(weeks=20)
    assert request.next_deadline_on == request.decision_target_on == request.decision_due_on
    assert not request.week20
    (event,) = events(request)
    assert (event.action, event.from_status, event.to_status, event.actor) == ("created", "", "received", officer)
    assert event.payload["child_id"] == request.child_id
    assert event.payload["clocks"]["next_deadline_on"] == request.next_deadline_on.isoformat()
    assert "Amelia" not in str(event.payload)


def test_request_create_for_an_existing_child(officer: User) -> None:
    child = WithdrawnRequestFactory().child
    request = request_create(actor=officer, child=child, child_data=None, received_on=days_ago(0), source="school")
    assert request.child == child and Child.objects.count() == 1


def test_imported_request_keeps_its_reference(manager: User) -> None:
    request = request_create(
        actor=manager,
        child=ChildFactory(),
        received_on=days_ago(300),
        source="parent",
        reference="KCC/2024/0042",
        imported=True,
    )
    assert request.reference == "KCC/2024/0042" and request.imported
    assert [e.action for e in events(request)] == ["imported"]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"received_on": "future"}, "received_on", "today or in the past"),
        ({"source": "neighbour"}, "source", "Select who made the request"),
        ({"child_data": {"forename": ""}}, "forename", "Enter the child's first name"),
        ({"child_data": {"date_of_birth": "future"}}, "date_of_birth", "must be in the past"),
        ({"child_data": {"upn": "12"}}, "upn", "13 letters and numbers"),
        ({"child_data": {"primary_need": "XYZ"}}, "primary_need", "primary need"),
    ],
)
def test_request_create_validation(officer: User, kwargs: dict[str, Any], field: str, message: str) -> None:
    tomorrow = days_ago(-1)
    data = child_data(**{k: (tomorrow if v == "future" else v) for k, v in kwargs.get("child_data", {}).items()})
    call = {
        "actor": officer,
        "child": None,
        "child_data": data,
        "source": kwargs.get("source", "parent"),
        "received_on": tomorrow if kwargs.get("received_on") == "future" else days_ago(1),
    }
    errors = errors_of(lambda: request_create(**call))
    assert message in " ".join(errors[field])
    assert not AssessmentRequest.objects.exists() and not Child.objects.exists()


def test_one_open_request_per_child_is_refused_with_a_message(officer: User) -> None:
    existing = AssessingRequestFactory()
    with pytest.raises(Conflict) as caught:
        request_create(actor=officer, child=existing.child, received_on=days_ago(1), source="parent")
    assert caught.value.field == "child"
    assert "already has a request in progress" in caught.value.message
    assert AssessmentRequest.objects.count() == 1


def test_one_open_request_per_child_is_enforced_by_the_database() -> None:
    existing = ReceivedRequestFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReceivedRequestFactory(child=existing.child)


def test_a_finance_officer_cannot_create_or_decide(finance: User) -> None:
    with pytest.raises(NotPermitted):
        request_create(actor=finance, child=ChildFactory(), received_on=days_ago(1), source="parent")
    request = AwaitingDecisionRequestFactory()
    with pytest.raises(NotPermitted):
        request_decide_assessment(actor=finance, request=request, outcome="assess", notified_on=days_ago(1))
    assert events(request) == []


# --- Duplicates ------------------------------------------------------------------------------


def test_find_duplicates_by_upn_or_date_of_birth_and_name() -> None:
    by_upn = ChildFactory(upn="B123456789012", surname="Different")
    dob = date(2015, 2, 3)
    same_surname = ChildFactory(forename="Zed", surname="Okafor", date_of_birth=dob)
    similar_forename = ChildFactory(forename="Olivia", surname="Okafor-Smith", date_of_birth=dob)
    ChildFactory(forename="Harry", surname="Jones", date_of_birth=dob)  # same DOB, different name
    ChildFactory(forename="Oliver", surname="Okafor", date_of_birth=date(2015, 2, 4))  # different DOB
    AssessingRequestFactory(child=same_surname)

    found = find_duplicates(forename="Oliver", surname="okafor", date_of_birth=dob, upn="b123456789012")
    assert {c.pk for c in found} == {by_upn.pk, same_surname.pk, similar_forename.pk}
    open_requests = {c.pk: len(c.open_requests) for c in found}
    assert open_requests == {by_upn.pk: 0, same_surname.pk: 1, similar_forename.pk: 0}


def test_find_duplicates_with_nothing_to_match() -> None:
    ChildFactory()
    assert find_duplicates(forename="", surname="", date_of_birth=None, upn="") == []


def test_a_new_child_who_may_be_recorded_is_refused_with_the_candidates_until_confirmed(officer: User) -> None:
    recorded = ChildFactory(forename="Amelia", surname="Testperson", date_of_birth=date(2016, 5, 4))
    AssessingRequestFactory(child=recorded)
    with pytest.raises(PossibleDuplicate) as caught:
        request_create(actor=officer, child_data=child_data(), received_on=days_ago(1), source="parent")
    assert isinstance(caught.value, DomainError) and caught.value.status_code == 409
    assert caught.value.code == "possible_duplicate"
    assert [c.pk for c in caught.value.candidates] == [recorded.pk]
    assert len(caught.value.candidates[0].open_requests) == 1
    assert Child.objects.count() == 1 and AssessmentRequest.objects.count() == 1

    request = request_create(
        actor=officer,
        child_data=child_data(),
        received_on=days_ago(1),
        source="parent",
        confirmed_different_child=True,
    )
    assert request.child_id != recorded.pk and Child.objects.count() == 2


def test_the_duplicate_check_comes_before_the_other_rules_and_after_the_permission(
    officer: User, finance: User
) -> None:
    ChildFactory(upn="A123456789012")
    with pytest.raises(PossibleDuplicate):
        request_create(actor=officer, child_data=child_data(), received_on=days_ago(-1), source="neighbour")
    with pytest.raises(NotPermitted):
        request_create(actor=finance, child_data=child_data(), received_on=days_ago(1), source="parent")


def test_an_existing_child_is_not_checked_for_duplicates(officer: User) -> None:
    child = ChildFactory(forename="Amelia", surname="Testperson", date_of_birth=date(2016, 5, 4))
    ChildFactory(forename="Amelia", surname="Testperson", date_of_birth=date(2016, 5, 4))
    assert request_create(actor=officer, child=child, received_on=days_ago(1), source="parent").child == child


# --- Assigning -------------------------------------------------------------------------------


def test_request_assign_in_bulk_writes_one_event_each(officer: User) -> None:
    other = make_user(Role.SEN_OFFICER, username="other")
    requests = [ReceivedRequestFactory(), AssessingRequestFactory()]
    updated = request_assign(actor=officer, requests=[r.pk for r in requests], officer=other)
    assert [r.assigned_officer for r in updated] == [other, other]
    for request in requests:
        (event,) = [e for e in events(request) if e.action == "assign"]
        assert event.payload["officer_id"] == other.pk and event.from_status == event.to_status


def test_request_assign_needs_an_sen_officer(officer: User, evaluator: User) -> None:
    request = ReceivedRequestFactory()
    assert "officer" in errors_of(lambda: request_assign(actor=officer, requests=[request], officer=evaluator))


def test_request_assign_is_all_or_nothing(officer: User) -> None:
    open_request, closed = ReceivedRequestFactory(), RefusedRequestFactory()
    with pytest.raises(InvalidTransition):
        request_assign(actor=officer, requests=[open_request.pk, closed.pk], officer=officer)
    open_request.refresh_from_db()
    assert open_request.assigned_officer is None


# --- Evaluation ------------------------------------------------------------------------------


def test_evaluation_start_record_and_complete(evaluator: User) -> None:
    request = ReceivedRequestFactory()
    request = evaluation_start(actor=evaluator, request=request)
    assert request.status == Status.EVALUATING and ProvisionEvaluation.objects.filter(request=request).exists()

    evaluation = evaluation_record(actor=evaluator, request=request, apdr_cycles=2, provision_map=True)
    assert evaluation.apdr_cycles == 2 and evaluation.request.status == Status.EVALUATING

    evaluation = evaluation_record(
        actor=evaluator, request=request, complete=True, recommendation="assess", progress_data=True
    )
    assert evaluation.completed_by == evaluator and evaluation.completed_on is not None
    assert evaluation.request.status == Status.AWAITING_DECISION
    assert [e.action for e in events(request)] == ["start_evaluation", "record_evaluation", "complete_evaluation"]


def test_evaluation_cannot_complete_without_a_recommendation(evaluator: User) -> None:
    request = EvaluatingRequestFactory()
    errors = errors_of(lambda: evaluation_record(actor=evaluator, request=request, complete=True))
    assert errors == {"recommendation": ["Select a recommendation"]}
    request.refresh_from_db()
    assert request.status == Status.EVALUATING and events(request) == []


def test_an_sen_officer_cannot_evaluate(officer: User) -> None:
    with pytest.raises(NotPermitted):
        evaluation_start(actor=officer, request=ReceivedRequestFactory())


# --- Decision whether to assess ----------------------------------------------------------------


def test_decide_to_assess(officer: User) -> None:
    request = AwaitingDecisionRequestFactory()
    notified = request.received_on + timedelta(days=30)
    updated = request_decide_assessment(
        actor=officer, request=request, outcome="assess", notified_on=notified, reasons=["has_or_may_have_sen"]
    )
    assert updated.status == Status.ASSESSING
    assert (updated.request_outcome, updated.request_outcome_on, updated.assessment_outcome) == ("Y", notified, "A")
    assert updated.next_deadline_on == updated.not_issue_target_on
    event = one_new_event(request, 0)
    assert event.action == "decide_to_assess" and event.from_status == "awaiting_decision"
    assert event.payload["decision_id"] == AssessmentDecision.objects.get(request=request).pk


def test_refuse_to_assess(officer: User) -> None:
    request = ReceivedRequestFactory()
    notified = days_ago(1)
    updated = request_decide_assessment(
        actor=officer,
        request=request,
        outcome="refuse",
        notified_on=notified,
        reasons=["needs_met_by_sen_support", "insufficient_graduated_response"],
        rights_text_sent=True,
        sen_support_advice="Speech and language targets in the SEN support plan",
    )
    assert updated.status == Status.REFUSED and updated.next_deadline_on is None
    assert (updated.request_outcome, updated.request_outcome_on) == ("N", notified)
    decision = AssessmentDecision.objects.get(request=request)
    assert decision.outcome == "refuse" and decision.rights_text_sent and decision.decided_by == officer
    reasons = one_new_event(request, 0).payload["reasons"]
    assert reasons == ["needs_met_by_sen_support", "insufficient_graduated_response"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reasons": []}, "reasons"),
        ({"rights_text_sent": False}, "rights_text_sent"),
        ({"notified_on": None}, "notified_on"),
        ({"notified_on": "future"}, "notified_on"),
        ({"notified_on": "before_received"}, "notified_on"),
        ({"reasons": ["not_a_code"]}, "reasons"),
        ({"reasons": ["other"]}, "reasons_text"),
    ],
)
def test_refusal_validation(officer: User, kwargs: dict[str, Any], field: str) -> None:
    request = ReceivedRequestFactory()
    dates = {"future": days_ago(-1), "before_received": request.received_on - timedelta(days=1)}
    call: dict[str, Any] = {
        "actor": officer,
        "request": request,
        "outcome": "refuse",
        "notified_on": days_ago(1),
        "reasons": ["no_evidence_of_sen"],
        "rights_text_sent": True,
        **kwargs,
    }
    call["notified_on"] = dates.get(call["notified_on"], call["notified_on"])
    errors = errors_of(lambda: request_decide_assessment(**call))
    assert field in errors and all(m[0].isupper() for m in errors[field])
    request.refresh_from_db()
    assert request.status == Status.RECEIVED and not AssessmentDecision.objects.exists() and events(request) == []


def test_refused_request_cannot_be_assessed(officer: User) -> None:
    request = RefusedRequestFactory()
    with pytest.raises(InvalidTransition, match="Refused to assess cannot be assessed. Reopen it first."):
        request_decide_assessment(actor=officer, request=request, outcome="assess", notified_on=days_ago(1))


# --- Advice ----------------------------------------------------------------------------------


def test_advice_request_and_receipt(officer: User, ep: User) -> None:
    request = AssessingRequestFactory()
    requested = request.received_on + timedelta(days=40)
    advice = advice_request_create(
        actor=officer,
        request=request,
        adviser_type="educational_psychology",
        addressee="EP service",
        requested_on=requested,
    )
    assert advice.due_on == advice.target_on == requested + timedelta(weeks=6)
    advice = advice_record_received(actor=ep, advice=advice, received_on=requested + timedelta(days=30))
    assert advice.received_recorded_by == ep
    assert [e.action for e in events(request)] == ["request_advice", "record_advice"]
    assert events(request)[-1].payload["on_time"] is True
    with pytest.raises(InvalidTransition, match="already been recorded"):
        advice_record_received(actor=ep, advice=advice, received_on=days_ago(1))


def test_advice_validation(officer: User, ep: User) -> None:
    request = AssessingRequestFactory()
    errors = errors_of(
        lambda: advice_request_create(
            actor=officer, request=request, adviser_type="astrology", addressee="", requested_on=None
        )
    )
    assert set(errors) == {"adviser_type", "addressee", "requested_on"}
    advice = AdviceRequestFactory(request=request)
    errors = errors_of(
        lambda: advice_record_received(actor=ep, advice=advice, received_on=advice.requested_on - timedelta(days=1))
    )
    assert "on or after the date it was requested" in errors["received_on"][0]


def test_advice_cannot_be_requested_before_the_decision_to_assess(officer: User) -> None:
    with pytest.raises(InvalidTransition):
        advice_request_create(
            actor=officer,
            request=ReceivedRequestFactory(),
            adviser_type="health",
            addressee="ICB",
            requested_on=days_ago(1),
        )


# --- Decision whether to issue, the plan -------------------------------------------------------


def test_assessment_complete_then_decide_not_to_issue(officer: User) -> None:
    # regs 6-8: the assessment sought advice before the decision not to issue.
    request = assessment_complete(actor=officer, request=AdviceRequestFactory(received_on=days_ago(5)).request)
    assert request.status == Status.AWAITING_ISSUE_DECISION
    notified = days_ago(2)
    request = request_decide_issue(
        actor=officer,
        request=request,
        outcome="not_issue",
        notified_on=notified,
        reasons_text="Needs can be met through SEN support",
        rights_text_sent=True,
    )
    assert request.status == Status.NOT_ISSUED
    assert (request.assessment_outcome, request.assessment_outcome_on) == ("N", notified)
    assert [e.action for e in events(request)] == ["complete_assessment", "decide_not_to_issue"]


def test_decide_not_to_issue_needs_the_rights_text_and_reasons(officer: User) -> None:
    request = AwaitingIssueDecisionRequestFactory()
    errors = errors_of(
        lambda: request_decide_issue(actor=officer, request=request, outcome="not_issue", notified_on=days_ago(1))
    )
    # No advice was sought either (regs 6-8; issue 12 item 18).
    assert set(errors) == {"reasons_text", "rights_text_sent", "advice_not_sought_reason"}
    assert "reg 10(3)" in errors["rights_text_sent"][0]


def test_decide_to_issue_leaves_the_outcome_undecided(officer: User) -> None:
    request = request_decide_issue(
        actor=officer, request=AssessingRequestFactory(), outcome="issue", notified_on=days_ago(10)
    )
    assert request.status == Status.DRAFTING
    assert (request.assessment_outcome, request.assessment_outcome_on) == ("A", None)
    assert request.next_deadline_on == request.final_plan_target_on


def test_draft_comments_and_final_plan(officer: User) -> None:
    request = DraftingRequestFactory(received_on=days_ago(130))
    draft_on = request.received_on + timedelta(days=95)
    request = plan_issue_draft(actor=officer, request=request, issued_on=draft_on)
    assert request.status == Status.DRAFT_ISSUED and request.draft_issued_on == draft_on
    request = plan_record_family_comments(actor=officer, request=request, received_on=draft_on + timedelta(days=10))
    school = EstablishmentFactory()
    final_on = draft_on + timedelta(days=20)
    request = plan_issue_final(
        actor=officer,
        request=request,
        issued_on=final_on,
        named_establishment=school,
        placement_type="mainstream",
    )
    assert request.status == Status.PLAN_ISSUED and request.next_deadline_on is None
    assert (request.assessment_outcome, request.assessment_outcome_on) == ("Y", final_on)
    assert request.named_establishment == school
    assert [e.action for e in events(request)] == ["issue_draft", "record_family_comments", "issue_final"]
    assert events(request)[-1].payload["within_20_weeks"] is True


@pytest.mark.parametrize(("days_after_draft", "allowed"), [(14, False), (15, True), (16, True)])
def test_final_plan_waits_for_the_family_s_15_days(officer: User, days_after_draft: int, allowed: bool) -> None:
    request = DraftIssuedRequestFactory(received_on=days_ago(150), draft_issued_on=days_ago(50))
    issue = lambda: plan_issue_final(  # noqa: E731
        actor=officer,
        request=request,
        issued_on=request.draft_issued_on + timedelta(days=days_after_draft),
        named_establishment=EstablishmentFactory(),
        placement_type="mainstream",  # the factory's school is a mainstream academy (issue 12 item 14)
    )
    if allowed:
        assert issue().status == Status.PLAN_ISSUED
    else:
        errors = errors_of(issue)
        assert "reg 13(1)" in errors["issued_on"][0] and "15 days" in errors["issued_on"][0]


def test_final_plan_may_follow_early_comments(officer: User) -> None:
    request = DraftIssuedRequestFactory(received_on=days_ago(150), draft_issued_on=days_ago(50))
    plan_record_family_comments(actor=officer, request=request, received_on=request.draft_issued_on + timedelta(days=5))
    assert clocks.earliest_final_plan_on(request.draft_issued_on, request.draft_issued_on + timedelta(days=5)) == (
        request.draft_issued_on + timedelta(days=5)
    )
    early = errors_of(
        lambda: plan_issue_final(
            actor=officer,
            request=request,
            issued_on=request.draft_issued_on + timedelta(days=4),
            named_establishment=EstablishmentFactory(),
            placement_type="mainstream",
        )
    )
    assert "issued_on" in early
    updated = plan_issue_final(
        actor=officer,
        request=request,
        issued_on=request.draft_issued_on + timedelta(days=5),
        named_establishment=EstablishmentFactory(),
        placement_type="mainstream",
    )
    assert updated.status == Status.PLAN_ISSUED


def test_final_plan_needs_a_placement(officer: User) -> None:
    request = DraftIssuedRequestFactory(received_on=days_ago(150), draft_issued_on=days_ago(50))
    errors = errors_of(
        lambda: plan_issue_final(
            actor=officer, request=request, issued_on=days_ago(1), named_establishment=None, placement_type="mainstream"
        )
    )
    assert errors == {"named_establishment": ["Select the school or setting named in the plan"]}


# --- Clock exceptions ------------------------------------------------------------------------


def test_adding_and_removing_an_exception_recomputes_the_clocks(officer: User) -> None:
    request = AssessingRequestFactory()
    assert not request.week20
    due = request.not_issue_due_on
    exception = exception_add(
        actor=officer,
        request=request,
        kind="absence_from_area",
        start=request.received_on + timedelta(days=50),
        end=request.received_on + timedelta(days=77),
        evidence="Family abroad for a funeral; confirmed by email",
    )
    request.refresh_from_db()
    assert request.week20 is True
    assert request.not_issue_target_on == due + timedelta(days=28)
    assert request.next_deadline_on == request.not_issue_target_on
    event = one_new_event(request, 0)
    assert event.payload["exception_id"] == exception.pk and event.payload["clocks"]["week20"] is True

    exception_remove(actor=officer, exception=exception, reason="Recorded against the wrong child")
    request.refresh_from_db()
    exception.refresh_from_db()
    assert request.week20 is False and request.not_issue_target_on == due
    assert exception.removed_at is not None and exception.removed_by == officer
    assert one_new_event(request, 1).action == "remove_exception"
    with pytest.raises(InvalidTransition, match="already been removed"):
        exception_remove(actor=officer, exception=exception, reason="Again")


def test_exception_rules_come_from_the_clocks(officer: User) -> None:
    request = AssessingRequestFactory()
    errors = errors_of(
        lambda: exception_add(
            actor=officer,
            request=request,
            kind="school_closure",
            start=days_ago(30),
            end=days_ago(20),
            evidence="",
        )
    )
    assert "4 continuous weeks" in errors["end"][0] and "evidence" in errors
    errors = errors_of(
        lambda: exception_add(
            actor=officer,
            request=request,
            kind="missed_appointment",
            start=days_ago(30),
            end=days_ago(29),
            evidence="Did not attend",
        )
    )
    assert "reg 8(2)" in errors["kind"][0]
    assert not ClockException.objects.exists()


def test_an_advice_exception_moves_only_the_advice_target(officer: User) -> None:
    request = AssessingRequestFactory()
    advice = AdviceRequestFactory(request=request)
    before = (request.final_plan_target_on, request.week20)
    exception_add(
        actor=officer,
        request=request,
        kind="missed_appointment",
        start=advice.requested_on + timedelta(days=5),
        end=advice.requested_on + timedelta(days=11),
        evidence="Missed EP appointment",
        advice_request=advice,
    )
    advice.refresh_from_db()
    request.refresh_from_db()
    assert advice.target_on == advice.due_on + timedelta(days=7)
    assert (request.final_plan_target_on, request.week20) == before


# --- Withdraw, reopen, refer -------------------------------------------------------------------


def test_withdraw_before_the_decision_sets_the_request_outcome(officer: User) -> None:
    request = request_withdraw(
        actor=officer, request=EvaluatingRequestFactory(), reason="Family moved away", withdrawn_on=days_ago(1)
    )
    assert request.status == Status.WITHDRAWN
    assert (request.request_outcome, request.assessment_outcome) == ("W", "")
    assert request.closed_reason == "Family moved away"
    assert events(request)[-1].note == "Family moved away"


def test_withdraw_after_the_decision_sets_the_assessment_outcome(officer: User) -> None:
    request = request_withdraw(
        actor=officer, request=DraftingRequestFactory(), reason="Moved out of England", withdrawn_on=days_ago(1)
    )
    assert (request.request_outcome, request.assessment_outcome) == ("Y", "W")


def test_withdraw_needs_a_reason_and_date(officer: User) -> None:
    errors = errors_of(
        lambda: request_withdraw(actor=officer, request=ReceivedRequestFactory(), reason=" ", withdrawn_on=None)
    )
    assert set(errors) == {"reason", "withdrawn_on"}


@pytest.mark.parametrize(
    ("factory", "restored", "outcomes"),
    [
        (RefusedRequestFactory, Status.AWAITING_DECISION, ("A", "")),
        (NotIssuedRequestFactory, Status.AWAITING_ISSUE_DECISION, ("Y", "A")),
        (WithdrawnRequestFactory, Status.EVALUATING, ("A", "")),
    ],
)
def test_reopen_restores_the_previous_status(
    manager: User, factory: Any, restored: Status, outcomes: tuple[str, str]
) -> None:
    request = factory()
    updated = request_reopen(actor=manager, request=request, reason="Decision reviewed after mediation")
    assert updated.status == restored
    assert (updated.request_outcome, updated.assessment_outcome) == outcomes
    assert updated.closed_reason == "" and updated.next_deadline_on is not None
    event = events(request)[-1]
    assert (event.action, event.from_status, event.to_status) == ("reopen", factory.status, restored.value)


def test_reopened_refusal_can_be_decided_again(manager: User, officer: User) -> None:
    request = request_reopen(actor=manager, request=RefusedRequestFactory(), reason="Overturned")
    assert AssessmentDecision.objects.get(request=request).superseded
    request = request_decide_assessment(actor=officer, request=request, outcome="assess", notified_on=days_ago(1))
    assert request.status == Status.ASSESSING
    assert AssessmentDecision.objects.filter(request=request, superseded=False).count() == 1


def test_a_request_withdrawn_then_reopened_through_the_services(officer: User, manager: User) -> None:
    request = request_withdraw(
        actor=officer, request=DraftIssuedRequestFactory(), reason="Recorded in error", withdrawn_on=days_ago(1)
    )
    request = request_reopen(actor=manager, request=request, reason="Withdrawal recorded in error")
    assert request.status == Status.DRAFT_ISSUED and request.assessment_outcome == "A"


def test_reopen_is_for_senior_officers(officer: User) -> None:
    with pytest.raises(NotPermitted):
        request_reopen(actor=officer, request=RefusedRequestFactory(), reason="Because")


def test_reopen_refused_while_the_child_has_another_open_request(manager: User) -> None:
    refused = RefusedRequestFactory()
    ReceivedRequestFactory(child=refused.child)
    with pytest.raises(Conflict) as caught:
        request_reopen(actor=manager, request=refused, reason="Overturned")
    assert caught.value.field == "child"


def test_refer_to_panel_writes_an_event_only(officer: User) -> None:
    request = AssessingRequestFactory()
    updated = request_refer_to_panel(actor=officer, request=request, note="Independent placement")
    assert updated.status == Status.ASSESSING
    event = one_new_event(request, 0)
    assert event.action == "refer_to_panel" and event.note == "Independent placement"
    with pytest.raises(InvalidTransition):
        request_refer_to_panel(actor=officer, request=ReceivedRequestFactory())


def test_request_record_view_writes_the_access_log(officer: User, finance: User) -> None:
    request = ReceivedRequestFactory()
    row = request_record_view(user=officer, request=request, path="/requests/1/")
    assert (row.child_id, row.object_type, row.object_id) == (request.child_id, "assessment_request", request.pk)
    with pytest.raises(NotPermitted):
        request_record_view(user=finance, request=request)
    assert AccessLog.objects.count() == 1


# --- Atomicity -------------------------------------------------------------------------------


def test_a_failure_half_way_leaves_nothing_behind(officer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    request = AwaitingDecisionRequestFactory()

    def broken_event(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("event table unavailable")

    monkeypatch.setattr(lifecycle, "write_event", broken_event)
    with pytest.raises(RuntimeError):
        request_decide_assessment(
            actor=officer,
            request=request,
            outcome="refuse",
            notified_on=days_ago(1),
            reasons=["no_evidence_of_sen"],
            rights_text_sent=True,
        )
    request.refresh_from_db()
    assert request.status == Status.AWAITING_DECISION and request.request_outcome == "A"
    assert not AssessmentDecision.objects.exists() and events(request) == []


def test_queryset_filters() -> None:
    overdue = ReceivedRequestFactory(received_on=days_ago(60))  # decision due 18 days ago
    due_soon = ReceivedRequestFactory(received_on=days_ago(40))  # decision due in 2 days
    RefusedRequestFactory(received_on=days_ago(200))
    today = days_ago(0)
    assert list(AssessmentRequest.objects.overdue(on=today)) == [overdue]
    assert list(AssessmentRequest.objects.due_within(7, on=today)) == [due_soon]
    assert set(AssessmentRequest.objects.unassigned()) == {overdue, due_soon}
    assert AssessmentRequest.objects.closed().count() == 1
    assert AdviceRequest.objects.outstanding().count() == 0


def test_visible_to_follows_the_view_capability(officer: User, finance: User) -> None:
    ReceivedRequestFactory()
    assert AssessmentRequest.objects.visible_to(officer).count() == 1
    assert AssessmentRequest.objects.visible_to(finance).count() == 0


# --- Concurrency (PostgreSQL row locks) ----------------------------------------------------------


@pytest.mark.postgres_only  # row locks (select_for_update); SQLite serialises whole-database writes
@pytest.mark.serial  # threads racing each other, not other test processes
@pytest.mark.django_db(transaction=True)
def test_two_officers_deciding_at_once_one_wins() -> None:
    first, second = make_user(Role.SEN_OFFICER, username="first"), make_user(Role.SEN_OFFICER, username="second")
    request = AwaitingDecisionRequestFactory()
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def decide(actor: User, outcome: str) -> None:
        try:
            barrier.wait(timeout=10)
            kwargs: dict[str, Any] = {"reasons": ["no_evidence_of_sen"], "rights_text_sent": True}
            request_decide_assessment(
                actor=actor,
                request=request.pk,
                outcome=outcome,
                notified_on=days_ago(1),
                **(kwargs if outcome == "refuse" else {}),
            )
            results[actor.username] = "ok"
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            results[actor.username] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(first, "assess")),
        threading.Thread(target=decide, args=(second, "refuse")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    outcomes = sorted(results.values(), key=lambda r: r == "ok")
    assert len(outcomes) == 2 and outcomes[1] == "ok", results
    assert isinstance(outcomes[0], InvalidTransition), results
    decisions = RequestEvent.objects.filter(
        request_id=request.pk, action__in=["decide_to_assess", "decide_not_to_assess"]
    )
    assert decisions.count() == 1
    assert AssessmentDecision.objects.filter(request_id=request.pk).count() == 1


def test_advice_queue_filters() -> None:
    request = AssessingRequestFactory()
    late = AdviceRequestFactory(request=request, requested_on=days_ago(50))  # due 8 days ago
    AdviceRequestFactory(request=request, adviser_type="health", requested_on=days_ago(10))
    AdviceRequestFactory(request=request, requested_on=days_ago(60), received_on=days_ago(20))
    assert AdviceRequest.objects.outstanding().count() == 2
    assert list(AdviceRequest.objects.overdue(on=days_ago(0))) == [late]
    assert list(AdviceRequest.objects.outstanding().for_ep()) == [late]


def test_queue_related_loads_the_list_in_one_query(django_assert_num_queries: Any) -> None:
    for _ in range(3):
        ReceivedRequestFactory(assigned_officer=make_user(Role.SEN_OFFICER))
    with django_assert_num_queries(1):
        rows = [
            (r.child.district.name, r.assigned_officer.username) for r in AssessmentRequest.objects.with_queue_related()
        ]
    assert len(rows) == 3
