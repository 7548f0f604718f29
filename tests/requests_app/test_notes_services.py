"""The contact log and corrections at the services (every door passes them), and the stale-month
marks every service that changes a dated fact writes in its own transaction."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections

from core.errors import NotPermitted, ValidationFailed
from core.models import StaleMonth
from core.roles import Role
from core.staleness import month_start, stale_months
from demo.core_demo import seed_districts
from requests_app.models import AssessmentDecision, AssessmentRequest, CaseNote, Child, RequestEvent
from requests_app.services import advice as advice_services
from requests_app.services import disputes as dispute_services
from requests_app.services import lifecycle
from requests_app.services.corrections import child_correct, request_correct_date
from requests_app.services.notes import case_note_add
from requests_app.workflow import EventAction
from tests.conftest import Personas, make_user
from tests.requests_app.factories import (
    AssessingRequestFactory,
    AssessmentRequestFactory,
    AwaitingDecisionRequestFactory,
    ChildFactory,
    ClockExceptionFactory,
    DistrictFactory,
    DraftingRequestFactory,
    DraftIssuedRequestFactory,
    EstablishmentFactory,
    RefusedRequestFactory,
    days_ago,
)

pytestmark = pytest.mark.django_db

GOOD_CSV = Path(__file__).resolve().parent / "data" / "good.csv"


def months(*days: date) -> set[date]:
    return {month_start(day) for day in days}


def marked() -> set[date]:
    return set(stale_months())


# --- The contact log -----------------------------------------------------------------------------


@pytest.mark.embedded
def test_a_phone_call_is_logged_with_one_event_on_the_timeline(personas: Personas) -> None:
    request = AssessmentRequestFactory()
    note = case_note_add(
        actor=personas.officer,
        request=request,
        kind="phone_call",
        happened_on=days_ago(2),
        with_whom="Mrs Okafor, mother",
        party="parent",
        direction="in",
        summary="  Asked when the decision is due.  ",
    )
    assert note.summary == "Asked when the decision is due." and note.recorded_by == personas.officer
    event = RequestEvent.objects.get(request=request, action=EventAction.NOTE_ADDED)
    assert event.payload["note_id"] == note.pk
    assert event.payload["happened_on"] == days_ago(2).isoformat()
    # Ids, codes and dates only: the summary stays on the note.
    assert "Asked" not in str(event.payload)
    assert event.from_status == event.to_status == request.status


def test_a_note_with_faults_is_refused_naming_each_field_and_writes_nothing(personas: Personas) -> None:
    request = AssessmentRequestFactory()
    with pytest.raises(ValidationFailed) as refused:
        case_note_add(
            actor=personas.officer, request=request, kind="meeting", happened_on=None, summary="", party="school"
        )
    assert set(refused.value.errors) == {"happened_on", "summary", "with_whom", "direction"}
    assert not CaseNote.objects.exists() and not RequestEvent.objects.filter(action="note_added").exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.SEN_OFFICER, True),
        (Role.PROVISION_EVALUATOR, True),
        (Role.MANAGER, True),
        (Role.PANEL_CHAIR, False),
        (Role.PANEL_MEMBER, False),
        (Role.EDUCATIONAL_PSYCHOLOGIST, False),
        (Role.FINANCE_OFFICER, False),
        (Role.DATA_PROTECTION_OFFICER, False),
        (Role.ADMIN, False),
    ],
)
def test_who_may_log_a_contact(role: Role, allowed: bool) -> None:
    request = AssessmentRequestFactory()
    actor = make_user(role)

    def log() -> CaseNote:
        return case_note_add(actor=actor, request=request, kind="note", happened_on=days_ago(1), summary="Checked file")

    if allowed:
        assert log().pk
    else:
        with pytest.raises(NotPermitted):
            log()


# --- Correcting the child's details --------------------------------------------------------------


@pytest.mark.embedded
def test_a_date_of_birth_correction_writes_before_and_after_on_every_request_and_marks_months(
    personas: Personas,
) -> None:
    child = ChildFactory(date_of_birth=date(2015, 3, 1))
    first = RefusedRequestFactory(child=child, received_on=days_ago(400))
    second = AssessingRequestFactory(child=child, received_on=days_ago(100))
    saved = child_correct(
        actor=personas.officer,
        child=child,
        fact="date_of_birth",
        value=date(2015, 5, 3),
        reason="Birth certificate seen at the meeting",
    )
    assert saved.date_of_birth == date(2015, 5, 3)
    assert Child.objects.get(pk=child.pk).date_of_birth == date(2015, 5, 3)
    for request in (first, second):
        event = RequestEvent.objects.get(request=request, action=EventAction.CORRECTED)
        assert event.payload["fact"] == "date_of_birth"
        assert (event.payload["before"], event.payload["after"]) == ("2015-03-01", "2015-05-03")
        assert (event.payload["before_label"], event.payload["after_label"]) == ("1 March 2015", "3 May 2015")
        assert event.note == "Birth certificate seen at the meeting"
        assert event.actor == personas.officer
    # Age bands are counted at day 1: every month with a dated fact of the child's requests.
    first.refresh_from_db()
    second.refresh_from_db()
    assert (
        months(first.received_on, first.request_outcome_on, second.received_on, second.request_outcome_on) <= marked()
    )


def test_a_district_correction_moves_the_requests_copy_of_the_district(personas: Personas) -> None:
    child = ChildFactory(district=DistrictFactory(name="Ashford"))
    request = AssessmentRequestFactory(child=child)
    dover = DistrictFactory(name="Dover")
    child_correct(actor=personas.manager, child=child, fact="district", value=dover.pk, reason="Lives in Dover")
    request.refresh_from_db()
    assert request.district_id == dover.pk
    event = RequestEvent.objects.get(request=request, action=EventAction.CORRECTED)
    assert (event.payload["before_label"], event.payload["after_label"]) == ("Ashford", "Dover")
    assert month_start(request.received_on) in marked()


def test_a_name_correction_marks_no_month(personas: Personas) -> None:
    child = ChildFactory(forename="Jon", surname="Smyth")
    AssessmentRequestFactory(child=child)
    child_correct(
        actor=personas.officer,
        child=child,
        fact="name",
        value={"forename": "John", "surname": "Smith"},
        reason="Spelling on the birth certificate",
    )
    assert Child.objects.get(pk=child.pk).full_name == "John Smith"
    event = RequestEvent.objects.get(action=EventAction.CORRECTED)
    assert (event.payload["before_label"], event.payload["after_label"]) == ("Jon Smyth", "John Smith")
    assert marked() == set()


def test_a_upn_held_by_another_child_is_refused(personas: Personas) -> None:
    ChildFactory(upn="A123456789012")
    child = ChildFactory()
    AssessmentRequestFactory(child=child)
    with pytest.raises(ValidationFailed) as refused:
        child_correct(actor=personas.officer, child=child, fact="upn", value="a123456789012", reason="From school")
    assert refused.value.errors == {"value": ["Another child is recorded with this UPN: check the number"]}
    assert not RequestEvent.objects.filter(action=EventAction.CORRECTED).exists()


@pytest.mark.parametrize(
    ("fact", "value", "field", "words"),
    [
        ("date_of_birth", date.today() + timedelta(days=3), "value", "must be in the past"),
        ("upn", "SHORT", "value", "13 letters and numbers"),
        ("primary_need", "XYZ", "value", "primary need"),
        ("name", {"forename": "", "surname": "Lee"}, "forename", "first name"),
    ],
)
def test_wrong_child_values_are_refused_naming_the_field(
    personas: Personas, fact: str, value: object, field: str, words: str
) -> None:
    child = ChildFactory()
    AssessmentRequestFactory(child=child)
    with pytest.raises(ValidationFailed) as refused:
        child_correct(actor=personas.officer, child=child, fact=fact, value=value, reason="Checked")
    assert words in " ".join(refused.value.errors[field])


def test_a_correction_needs_a_reason_and_a_new_value(personas: Personas) -> None:
    child = ChildFactory(postcode="ME14 2AB")
    AssessmentRequestFactory(child=child)
    with pytest.raises(ValidationFailed) as no_reason:
        child_correct(actor=personas.officer, child=child, fact="postcode", value="ME15 1AA", reason=" ")
    assert no_reason.value.errors == {"reason": ["Enter the reason for the correction"]}
    with pytest.raises(ValidationFailed) as same:
        child_correct(actor=personas.officer, child=child, fact="postcode", value="me14 2ab", reason="Checked")
    assert "same as the one recorded" in same.value.message


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.SEN_OFFICER, True),
        (Role.MANAGER, True),
        (Role.PROVISION_EVALUATOR, False),
        (Role.PANEL_CHAIR, False),
        (Role.PANEL_MEMBER, False),
        (Role.EDUCATIONAL_PSYCHOLOGIST, False),
        (Role.FINANCE_OFFICER, False),
        (Role.DATA_PROTECTION_OFFICER, False),
        (Role.ADMIN, False),
    ],
)
def test_only_officers_and_managers_correct(role: Role, allowed: bool) -> None:
    request = AssessmentRequestFactory()
    actor = make_user(role)
    if allowed:
        request_correct_date(
            actor=actor, request=request, fact="received_on", value=request.received_on - timedelta(days=1), reason="x"
        )
        child_correct(actor=actor, child=request.child_id, fact="postcode", value="CT1 1AA", reason="x")
    else:
        with pytest.raises(NotPermitted):
            request_correct_date(actor=actor, request=request, fact="received_on", value=days_ago(101), reason="x")
        with pytest.raises(NotPermitted):
            child_correct(actor=actor, child=request.child_id, fact="postcode", value="CT1 1AA", reason="x")


# --- Correcting a request's dates ----------------------------------------------------------------


@pytest.mark.embedded
def test_a_received_date_correction_recomputes_the_clocks_and_marks_old_and_new_months(personas: Personas) -> None:
    request = AssessingRequestFactory(received_on=date(2026, 1, 20), request_outcome_on=date(2026, 2, 24))
    old_due = request.decision_due_on
    saved = request_correct_date(
        actor=personas.officer,
        request=request,
        fact="received_on",
        value=date(2025, 12, 22),
        reason="Date stamp on the parent's letter",
        today=date(2026, 6, 1),
    )
    assert saved.received_on == date(2025, 12, 22)
    assert saved.decision_due_on == date(2026, 2, 2) != old_due  # reg 5(1): 6 weeks from day 1
    assert saved.final_plan_due_on == date(2026, 5, 11)  # reg 13(2): 20 weeks
    stored = AssessmentRequest.objects.get(pk=request.pk)
    assert stored.decision_due_on == date(2026, 2, 2) and stored.next_deadline_on == stored.not_issue_target_on
    event = RequestEvent.objects.get(request=request, action=EventAction.CORRECTED)
    assert (event.payload["before"], event.payload["after"]) == ("2026-01-20", "2025-12-22")
    assert event.payload["clocks"]["decision_target_on"] == "2026-02-02"
    assert months(date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)) <= marked()


def test_a_decision_date_correction_moves_the_sen2_outcome_date(personas: Personas) -> None:
    request = RefusedRequestFactory(received_on=date(2026, 1, 5), request_outcome_on=date(2026, 2, 10))
    request_correct_date(
        actor=personas.officer,
        request=request,
        fact="assess_decision_on",
        value=date(2026, 3, 2),
        reason="The letter went on 2 March",
        today=date(2026, 6, 1),
    )
    request.refresh_from_db()
    assert request.request_outcome_on == date(2026, 3, 2)
    assert AssessmentDecision.objects.get(request=request).notified_on == date(2026, 3, 2)
    assert months(date(2026, 2, 1), date(2026, 3, 1)) <= marked()


def test_a_decision_date_before_the_request_arrived_is_refused(personas: Personas) -> None:
    request = RefusedRequestFactory(received_on=date(2026, 1, 5), request_outcome_on=date(2026, 2, 10))
    with pytest.raises(ValidationFailed) as refused:
        request_correct_date(
            actor=personas.officer,
            request=request,
            fact="assess_decision_on",
            value=date(2026, 1, 2),
            reason="Typo",
            today=date(2026, 6, 1),
        )
    assert refused.value.errors == {
        "value": ["The date must be on or after the date the request was received (5 January 2026)"]
    }
    assert marked() == set() and not RequestEvent.objects.filter(action="corrected").exists()


def test_a_draft_date_before_the_decision_to_issue_is_refused(personas: Personas) -> None:
    request = DraftIssuedRequestFactory()
    issue = AssessmentDecision.objects.get(request=request, stage="issue")
    with pytest.raises(ValidationFailed) as refused:
        request_correct_date(
            actor=personas.officer,
            request=request,
            fact="draft_issued_on",
            value=issue.notified_on - timedelta(days=1),
            reason="Typo",
        )
    assert "on or after the decision whether to issue a plan" in refused.value.errors["value"][0]


def test_a_decision_not_yet_made_cannot_be_corrected(personas: Personas) -> None:
    request = AwaitingDecisionRequestFactory()
    with pytest.raises(ValidationFailed) as refused:
        request_correct_date(
            actor=personas.officer, request=request, fact="assess_decision_on", value=days_ago(5), reason="x"
        )
    assert "no date of the decision whether to assess" in refused.value.errors["value"][0]


def test_a_failure_half_way_leaves_nothing_behind(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    request = AssessingRequestFactory()
    before = request.received_on

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the stale mark failed")

    monkeypatch.setattr("requests_app.services.corrections.mark_stale", broken)
    with pytest.raises(RuntimeError):
        request_correct_date(
            actor=personas.officer, request=request, fact="received_on", value=before - timedelta(days=3), reason="x"
        )
    request.refresh_from_db()
    assert request.received_on == before
    assert not RequestEvent.objects.filter(action="corrected").exists()


# --- Services that change dated facts mark their months ---------------------------------------------


def test_recording_a_decision_marks_its_month(personas: Personas) -> None:
    request = AwaitingDecisionRequestFactory()
    lifecycle.request_decide_assessment(
        actor=personas.officer,
        request=request,
        outcome="assess",
        notified_on=days_ago(3),
        reasons=["has_or_may_have_sen"],
    )
    assert marked() == months(days_ago(3))


def test_issuing_the_draft_and_the_final_plan_mark_their_months(personas: Personas) -> None:
    request = DraftingRequestFactory(received_on=days_ago(120))
    lifecycle.plan_issue_draft(actor=personas.officer, request=request, issued_on=days_ago(25))
    assert marked() == months(days_ago(25))
    StaleMonth.objects.all().delete()
    school = EstablishmentFactory()
    lifecycle.plan_issue_final(
        actor=personas.officer,
        request=request,
        issued_on=days_ago(5),
        named_establishment=school,
        placement_type="",
    )
    assert marked() == months(days_ago(5))


def test_adding_and_removing_an_exception_mark_its_period_and_the_outcome_months(personas: Personas) -> None:
    request = AssessingRequestFactory(received_on=days_ago(100))
    exception = advice_services.exception_add(
        actor=personas.officer,
        request=request,
        kind="personal_circumstances",
        start=days_ago(90),
        end=days_ago(60),
        evidence="GP letter",
    )
    request.refresh_from_db()
    expected = months(days_ago(90), days_ago(60), request.request_outcome_on)
    assert marked() == expected
    StaleMonth.objects.all().delete()
    advice_services.exception_remove(actor=personas.officer, exception=exception, reason="Recorded in error")
    assert marked() == expected


def test_a_removed_exception_factory_row_marks_too(personas: Personas) -> None:
    exception = ClockExceptionFactory()
    advice_services.exception_remove(actor=personas.officer, exception=exception, reason="Wrong request")
    assert months(exception.start, exception.end) <= marked()


def test_withdrawing_and_reopening_mark_the_outcome_month(personas: Personas) -> None:
    request = AssessingRequestFactory()
    lifecycle.request_withdraw(actor=personas.officer, request=request, reason="Moved away", withdrawn_on=days_ago(4))
    assert months(days_ago(4)) <= marked()
    StaleMonth.objects.all().delete()
    lifecycle.request_reopen(actor=personas.chair, request=request, reason="Family came back")
    assert months(days_ago(4)) <= marked()


def test_the_importer_marks_every_month_its_rows_touch() -> None:
    seed_districts()
    call_command("import_requests", str(GOOD_CSV), stdout=open("/dev/null", "w"))  # noqa: SIM115
    found = marked()
    # good.csv: received 10 January 2022, refused 15 February 2022; a plan issued 10 July 2023.
    assert {date(2022, 1, 1), date(2022, 2, 1), date(2023, 3, 1), date(2023, 7, 1)} <= found


def test_appeal_services_mark_their_dates(personas: Personas) -> None:
    request = RefusedRequestFactory(received_on=days_ago(200))
    appeal = dispute_services.appeal_register(
        actor=personas.officer,
        request=request,
        against="refusal_to_assess",
        decision_letter_on=request.request_outcome_on,
        registered_on=days_ago(100),
    )
    assert months(days_ago(100)) <= marked()
    StaleMonth.objects.all().delete()
    dispute_services.appeal_record_outcome(
        actor=personas.officer, appeal=appeal, outcome="withdrawn", decided_on=days_ago(20)
    )
    assert marked() == months(days_ago(20))


def test_a_new_request_marks_the_month_it_was_received(personas: Personas) -> None:
    child = ChildFactory()
    lifecycle.request_create(actor=personas.officer, child=child, received_on=days_ago(45), source="parent")
    assert marked() == months(days_ago(45))


# --- Races ------------------------------------------------------------------------------------------


@pytest.mark.postgres_only  # row locks (select_for_update); SQLite serialises whole-database writes
@pytest.mark.serial  # threads racing each other, not other test processes
@pytest.mark.django_db(transaction=True)
def test_two_officers_correcting_day_one_at_once_are_serialised() -> None:
    first = make_user(Role.SEN_OFFICER, username="first_corrector")
    second = make_user(Role.SEN_OFFICER, username="second_corrector")
    request = AssessingRequestFactory(received_on=days_ago(100))
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def correct(actor: User, value: date) -> None:
        try:
            barrier.wait(timeout=10)
            request_correct_date(actor=actor, request=request.pk, fact="received_on", value=value, reason="Stamp")
            results[actor.username] = "ok"
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            results[actor.username] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=correct, args=(first, days_ago(101))),
        threading.Thread(target=correct, args=(second, days_ago(103))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results == {"first_corrector": "ok", "second_corrector": "ok"}
    events = list(RequestEvent.objects.filter(request_id=request.pk, action="corrected").order_by("occurred_at", "pk"))
    # Each correction saw the other's result: the history is one chain, nothing lost.
    assert events[0].payload["before"] == days_ago(100).isoformat()
    assert events[1].payload["before"] == events[0].payload["after"]
    stored_request = AssessmentRequest.objects.get(pk=request.pk)
    assert stored_request.received_on.isoformat() == events[1].payload["after"]
    assert stored_request.decision_due_on == stored_request.received_on + timedelta(weeks=6)
