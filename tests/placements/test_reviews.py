"""A placement over its life (issue 17): placement reviews from the panel's conditions, their
outcomes and evidence, notice and ending, no attendance returns after the end through any door,
the queues (placement reviews due, contracts ending, returns missing with chases) and who may
do what."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import InvalidTransition, NotPermitted, ValidationFailed
from core.roles import Role
from panels.workflow import DecisionOutcome
from placements import queues, workflow
from placements.models import PlacementEvent, PlacementReview, ReturnChase
from placements.services import attendance as attendance_services
from placements.services import contracts as contract_services
from placements.services import reviews as review_services
from placements.workflow import ContractStatus, Queue, ReviewOutcome, ReviewState
from tests.placements.factories import (
    ActiveContractFactory,
    AttendanceReturnFactory,
    EndedContractFactory,
    PenaltyClauseFactory,
    ProviderFactory,
    approved_decision,
    finance_user,
    make_active_contract,
)

BASE = "/api/placements"

# --- The rules, without a database -------------------------------------------------------------


def test_review_due_dates() -> None:
    start = date(2025, 9, 1)
    assert workflow.first_review_due(start) == date(2025, 11, 24)  # 12 weeks
    assert workflow.next_review_due(date(2025, 11, 24)) == date(2026, 5, 25)  # 26 weeks
    today = date(2026, 3, 16)
    assert workflow.review_state(date(2026, 3, 15), today) is ReviewState.OVERDUE
    assert workflow.review_state(today, today) is ReviewState.DUE_SOON
    assert workflow.review_state(today + timedelta(days=30), today) is ReviewState.DUE_SOON
    assert workflow.review_state(today + timedelta(days=31), today) is ReviewState.UPCOMING
    assert workflow.review_state(date(2026, 3, 1), today, outcome="continue") is ReviewState.DONE
    assert workflow.placement_review_due(date(2026, 1, 1), today)
    assert not workflow.placement_review_due(today + timedelta(days=31), today)


def test_outcomes_allowed_by_status() -> None:
    assert workflow.review_outcomes_allowed("active") == list(ReviewOutcome)
    assert workflow.review_outcomes_allowed("negotiating") == [ReviewOutcome.CONTINUE, ReviewOutcome.CHANGE]
    assert workflow.review_outcomes_allowed("draft") == []
    assert workflow.review_outcomes_allowed("ended") == []


def test_outcome_problems_name_the_field() -> None:
    today = date(2026, 3, 16)
    base = {"status": "active", "today": today, "placement_start": date(2025, 9, 1), "next_review_on": None}
    assert workflow.review_outcome_problems(outcome="continue", held_on=today, evidence="Report", **base) == []
    fields = {
        name
        for name, _ in workflow.review_outcome_problems(
            outcome="maybe", held_on=today + timedelta(days=1), evidence=" ", **base
        )
    }
    assert fields == {"outcome", "held_on", "evidence"}
    ending = workflow.review_outcome_problems(
        outcome="end", held_on=today, evidence="Report", **{**base, "status": "negotiating"}
    )
    assert ending and ending[0][0] == "outcome"
    assert (
        workflow.review_outcome_problems(
            outcome="continue",
            held_on=None,
            evidence="x",
            status="ended",
            today=today,
            placement_start=today,
            next_review_on=None,
        )[0][0]
        == "outcome"
    )


def test_notice_rule() -> None:
    given = date(2026, 3, 2)
    assert workflow.notice_days(6, "weeks") == 42 and workflow.notice_days(30, "days") == 30
    assert workflow.earliest_end(given, 42) == date(2026, 4, 13)
    assert workflow.earliest_end(given, None) == given
    assert workflow.ends_before_notice(date(2026, 4, 12), notice_given_on=given, notice_period_days=42)
    assert not workflow.ends_before_notice(date(2026, 4, 13), notice_given_on=given, notice_period_days=42)
    kwargs = {"status": "active", "given_on": given, "today": date(2026, 3, 16), "placement_start": date(2025, 9, 1)}
    early = workflow.notice_problems(planned_end_on=date(2026, 4, 1), notice_period_days=42, early_reason="", **kwargs)
    assert [name for name, _ in early] == ["early_end_reason"]
    assert "13 April 2026" in early[0][1]
    assert (
        workflow.notice_problems(
            planned_end_on=date(2026, 4, 1), notice_period_days=42, early_reason="Unsafe placement", **kwargs
        )
        == []
    )
    assert workflow.notice_period_problem(60, "weeks") == "A notice period can be at most a year"
    assert workflow.ending_date(None, given, 42) == date(2026, 4, 13)


def test_expected_attendance_is_read_from_the_conditions_and_set_beside_the_clause() -> None:
    assert workflow.expected_attendance_from("Review termly. Attendance of at least 92.5% expected.") == Decimal("92.5")
    assert workflow.expected_attendance_from("Report progress; 50% of sessions in class") is None
    assert workflow.attendance_expectation_note(Decimal(90), Decimal(90)) is None
    above = workflow.attendance_expectation_note(Decimal(85), Decimal(90))
    assert above and "above the 85%" in above
    below = workflow.attendance_expectation_note(Decimal(95), Decimal("92.5"))
    assert below and "92.5%" in below and "below" in below


# --- Services ----------------------------------------------------------------------------------


@pytest.fixture
def finance():  # type: ignore[no-untyped-def]
    return finance_user()


@pytest.mark.django_db
def test_contract_from_a_conditional_approval_gets_its_first_review(finance) -> None:  # type: ignore[no-untyped-def]
    provider = ProviderFactory()
    decision = approved_decision(establishment=provider.establishment, outcome=DecisionOutcome.APPROVE_WITH_CONDITIONS)
    decision.conditions = "Attendance of at least 90% expected. Progress in reading and self-regulation"
    decision.save(update_fields=["conditions"])
    contract = contract_services.contract_create(
        actor=finance,
        panel_decision=decision,
        provider=provider,
        start_on=date(2025, 9, 1),
        end_on=None,
        annual_review_on=date(2026, 9, 1),
        notice_period=6,
        notice_period_unit="weeks",
    )
    review = PlacementReview.objects.get(contract=contract)
    assert review.due_on == date(2025, 11, 24)
    assert review.expected_attendance_percent == Decimal("90.00")
    assert "reading" in review.expected_outcomes and review.from_panel_conditions
    assert contract.notice_period_days == 42
    assert PlacementEvent.objects.filter(contract=contract, action="review_scheduled").count() == 1


@pytest.mark.django_db
def test_review_continue_schedules_the_next_and_end_gives_notice(finance) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    contract = make_active_contract(actor=finance, start_on=today - timedelta(days=200))
    review = PlacementReview.objects.get(contract=contract)
    with pytest.raises(ValidationFailed) as bad:
        review_services.review_record_outcome(
            actor=finance, review=review, outcome="continue", held_on=today, evidence=""
        )
    assert bad.value.field == "evidence"
    review_services.review_record_outcome(
        actor=finance, review=review, outcome="continue", held_on=today - timedelta(days=1), evidence="Attending 96%"
    )
    review.refresh_from_db()
    assert review.outcome == "continue" and review.recorded_by == finance and review.recorded_at is not None
    following = PlacementReview.objects.get(contract=contract, outcome="")
    assert following.due_on == workflow.next_review_due(today - timedelta(days=1))
    with pytest.raises(InvalidTransition):  # a held review is closed
        review_services.review_record_outcome(
            actor=finance, review=review, outcome="end", held_on=today, evidence="Again"
        )

    contract.notice_period_days = 28
    contract.save(update_fields=["notice_period_days"])
    with pytest.raises(ValidationFailed) as early:
        review_services.review_record_outcome(
            actor=finance,
            review=following,
            outcome="end",
            held_on=today,
            evidence="Needs not met",
            planned_end_on=today + timedelta(days=7),
        )
    assert early.value.field == "early_end_reason"
    review_services.review_record_outcome(
        actor=finance, review=following, outcome="end", held_on=today, evidence="Needs not met"
    )
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE  # ending starts; the child has not left yet
    assert contract.notice_given_on == today and contract.end_on == today + timedelta(days=28)
    assert not PlacementReview.objects.filter(contract=contract, outcome="").exists()
    # Contracts ending: the planned end set by the notice is within 90 days.
    assert [i.contract.pk for i in queues.contracts_ending(finance, today)] == [contract.pk]


@pytest.mark.django_db
def test_end_sooner_than_the_notice_needs_a_reason(finance) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    contract = ActiveContractFactory(start_on=today - timedelta(days=300), notice_period_days=30)
    review_services.contract_give_notice(
        actor=finance, contract=contract, given_on=today - timedelta(days=10), planned_end_on=today + timedelta(days=20)
    )
    with pytest.raises(ValidationFailed) as raised:
        contract_services.contract_end(
            actor=finance, contract=contract, ended_on=today, reason="Left", leaving_reason="moved_away"
        )
    assert raised.value.field == "early_end_reason"
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE  # nothing half-saved
    ended = contract_services.contract_end(
        actor=finance,
        contract=contract,
        ended_on=today,
        reason="Left",
        leaving_reason="moved_away",
        early_end_reason="The family moved to Scotland at short notice",
    )
    assert ended.status == ContractStatus.ENDED and ended.leaving_reason == "moved_away"
    assert ended.early_end_reason.startswith("The family moved")
    with pytest.raises(InvalidTransition):
        review_services.contract_give_notice(actor=finance, contract=ended, given_on=today, planned_end_on=today)


@pytest.mark.django_db
def test_an_ended_contract_takes_no_return_after_its_end_through_service_and_importer(finance) -> None:  # type: ignore[no-untyped-def]
    contract = EndedContractFactory(start_on=date(2025, 9, 1), ended_on=date(2026, 1, 30))
    with pytest.raises(ValidationFailed) as raised:
        attendance_services.attendance_return_submit(
            actor=finance,
            contract=contract,
            period_kind="month",
            period_start=date(2026, 2, 1),
            period_end=date(2026, 2, 27),
            possible=38,
            attended=38,
            authorised=0,
            unauthorised=0,
        )
    assert raised.value.field == "period_end" and "ended on 30 January 2026" in raised.value.message
    # The last month before the end is still accepted.
    attendance_services.attendance_return_submit(
        actor=finance,
        contract=contract,
        period_kind="month",
        period_start=date(2026, 1, 5),
        period_end=date(2026, 1, 30),
        possible=40,
        attended=40,
        authorised=0,
        unauthorised=0,
    )
    csv_text = (
        "contract_ref,period_kind,period_start,period_end,sessions_possible,sessions_attended,"
        "authorised_absence,unauthorised_absence\n"
        f"{contract.reference},month,2026-02-02,2026-02-27,38,38,0,0\n"
    )
    result = attendance_services.attendance_returns_import_csv(actor=finance, file_text=csv_text)
    assert not result.ok and result.errors[0].column == "period_end"
    assert contract.attendance_returns.count() == 1


@pytest.mark.django_db
def test_no_return_after_the_end_through_the_api(api_client_for, personas) -> None:  # type: ignore[no-untyped-def]
    contract = EndedContractFactory(start_on=date(2025, 9, 1), ended_on=date(2026, 1, 30))
    response = api_client_for(personas.finance).post(
        f"{BASE}/contracts/{contract.pk}/attendance-returns/",
        {
            "period_kind": "month",
            "period_start": "2026-02-02",
            "period_end": "2026-02-27",
            "sessions_possible": 38,
            "sessions_attended": 38,
            "authorised_absence": 0,
            "unauthorised_absence": 0,
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "period_end" in response.json()["errors"]
    assert contract.attendance_returns.count() == 0


# --- Queues ------------------------------------------------------------------------------------

TODAY = date(2026, 3, 16)  # the closed month is February 2026


@pytest.mark.django_db
def test_placement_reviews_due_queue(finance) -> None:  # type: ignore[no-untyped-def]
    overdue = ActiveContractFactory()
    PlacementReview.objects.create(contract=overdue, due_on=TODAY - timedelta(days=3))
    soon = ActiveContractFactory()
    PlacementReview.objects.create(contract=soon, due_on=TODAY + timedelta(days=20))
    later = ActiveContractFactory()
    PlacementReview.objects.create(contract=later, due_on=TODAY + timedelta(days=60))
    ended = EndedContractFactory()
    PlacementReview.objects.create(contract=ended, due_on=TODAY - timedelta(days=30))
    held = ActiveContractFactory()
    PlacementReview.objects.create(
        contract=held,
        due_on=TODAY - timedelta(days=10),
        outcome="continue",
        held_on=TODAY - timedelta(days=9),
        evidence="Report",
        recorded_by=finance,
        recorded_at=timezone.now(),
    )
    items = queues.placement_reviews_due(finance, TODAY)
    assert [(i.contract.pk, i.detail) for i in items] == [
        (overdue.pk, "Overdue by 3 days"),
        (soon.pk, "Due 5 April 2026"),
    ]
    # The fee review queue is a different thing and is left as it was.
    assert Queue.REVIEWS_DUE.heading == "Annual fee reviews due"


@pytest.mark.django_db
def test_returns_missing_by_provider_with_chases_and_not_after_the_end(finance) -> None:  # type: ignore[no-untyped-def]
    provider = ProviderFactory()
    owed = ActiveContractFactory(provider=provider, start_on=date(2025, 9, 1))
    also_owed = ActiveContractFactory(provider=provider, start_on=date(2025, 9, 1))
    covered = ActiveContractFactory(provider=provider, start_on=date(2025, 9, 1))
    AttendanceReturnFactory(contract=covered, period_start=date(2026, 2, 2), period_end=date(2026, 2, 27))
    EndedContractFactory(provider=provider, start_on=date(2025, 9, 1), ended_on=date(2026, 1, 30))
    items = queues.returns_missing(finance, TODAY)
    assert {i.contract.pk for i in items} == {owed.pk, also_owed.pk}
    assert all(i.chased_on is None for i in items)
    groups = queues.by_provider(items)
    assert len(groups) == 1 and len(groups[0]["items"]) == 2

    with pytest.raises(ValidationFailed) as raised:
        review_services.returns_chase_record(
            actor=finance,
            provider=provider,
            period_start=date(2026, 2, 1),
            period_end=date(2026, 2, 28),
            chased_on=date(2026, 2, 20),
        )
    assert raised.value.field == "chased_on"
    review_services.returns_chase_record(
        actor=finance,
        provider=provider,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        chased_on=date(2026, 3, 5),
        note="Emailed the bursar",
    )
    assert ReturnChase.objects.filter(provider=provider).count() == 1
    assert PlacementEvent.objects.filter(provider=provider, action="returns_chased").count() == 1
    assert {i.chased_on for i in queues.returns_missing(finance, TODAY)} == {date(2026, 3, 5)}


@pytest.mark.django_db
def test_queue_counts_are_sql_counts_whatever_the_size(finance) -> None:  # type: ignore[no-untyped-def]
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            counts = queues.queue_counts(finance, TODAY)
        assert set(counts) == set(Queue)
        return len(captured)

    count_queries()  # the first call also loads the user's roles once
    few = count_queries()
    for _ in range(3):
        contract = ActiveContractFactory(start_on=date(2025, 9, 1), end_on=TODAY + timedelta(days=30))
        PlacementReview.objects.create(contract=contract, due_on=TODAY)
    assert count_queries() == few == len(Queue)  # one COUNT per queue
    counts = queues.queue_counts(finance, TODAY)
    assert counts[Queue.PLACEMENT_REVIEWS_DUE] == 3 and counts[Queue.ENDING] == 3
    assert counts[Queue.RETURNS_MISSING] == 3


# --- Permissions per role, pages and API -------------------------------------------------------

# An SEN officer records the reviews of their own cases (tests/placements/test_case_officer_reviews.py).
REFUSED = [Role.PANEL_MEMBER, Role.PANEL_CHAIR, Role.EDUCATIONAL_PSYCHOLOGIST]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*REFUSED, Role.MANAGER])
def test_only_finance_may_record_reviews_notice_and_chases(role, personas, api_client_for) -> None:  # type: ignore[no-untyped-def]
    user = personas.for_role(role)
    contract = ActiveContractFactory()
    review = PlacementReview.objects.create(contract=contract, due_on=date(2026, 1, 5))
    today = timezone.localdate()
    with pytest.raises(NotPermitted):
        review_services.review_record_outcome(
            actor=user, review=review, outcome="continue", held_on=today, evidence="x"
        )
    with pytest.raises(NotPermitted):
        review_services.contract_give_notice(actor=user, contract=contract, given_on=today, planned_end_on=today)
    api = api_client_for(user)
    body = {"outcome": "continue", "held_on": today.isoformat(), "evidence": "x"}
    assert api.post(f"{BASE}/reviews/{review.pk}/outcome/", body, format="json").status_code == 403
    assert (
        api.post(
            f"{BASE}/contracts/{contract.pk}/notice/",
            {"given_on": today.isoformat(), "planned_end_on": today.isoformat()},
            format="json",
        ).status_code
        == 403
    )
    assert (
        api.post(
            f"{BASE}/providers/{contract.provider_id}/chase-returns/",
            {"period_start": "2026-02-01", "period_end": "2026-02-28", "chased_on": today.isoformat()},
            format="json",
        ).status_code
        == 403
    )
    listing = api.get(f"{BASE}/reviews/")
    assert listing.status_code == (200 if role is Role.MANAGER else 403)
    from django.test import Client

    client = Client()
    client.force_login(user)
    assert client.get(f"/placements/reviews/{review.pk}/outcome/").status_code == 403
    assert client.get(f"/placements/contracts/{contract.pk}/notice/").status_code == 403
    page = client.get(f"/placements/contracts/{contract.pk}/")
    assert page.status_code == (200 if role is Role.MANAGER else 403)
    if role is Role.MANAGER:
        assert b"review-list" in page.content and b"Record the outcome" not in page.content
    review.refresh_from_db()
    assert review.outcome == ""


@pytest.mark.django_db
def test_finance_records_a_review_and_ends_through_the_api(api_client_for, personas) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    contract = ActiveContractFactory(start_on=today - timedelta(days=400))
    PenaltyClauseFactory(contract=contract)
    api = api_client_for(personas.finance)
    scheduled = api.post(
        f"{BASE}/contracts/{contract.pk}/reviews/",
        {"due_on": (today - timedelta(days=2)).isoformat(), "expected_attendance_percent": "95"},
        format="json",
    )
    assert scheduled.status_code == 200, scheduled.content
    body = scheduled.json()
    assert body["expected_attendance_percent"] == "95.00"
    assert body["attendance_expectation_note"] and body["reviews"][0]["state"] == "overdue"
    review_id = body["reviews"][0]["id"]
    bad = api.post(
        f"{BASE}/reviews/{review_id}/outcome/", {"outcome": "end", "held_on": today.isoformat()}, format="json"
    )
    assert bad.status_code == 400 and "evidence" in bad.json()["errors"]
    done = api.post(
        f"{BASE}/reviews/{review_id}/outcome/",
        {
            "outcome": "end",
            "held_on": today.isoformat(),
            "evidence": "Attendance 70%; needs not met",
            "planned_end_on": (today + timedelta(days=14)).isoformat(),
        },
        format="json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["notice_given_on"] == today.isoformat()
    ended = api.post(
        f"{BASE}/contracts/{contract.pk}/end/",
        {"ended_on": today.isoformat(), "leaving_reason": "review_decision", "reason": "Ended after the review"},
        format="json",
    )
    assert ended.status_code == 200, ended.content
    assert ended.json()["status"] == "ended" and ended.json()["leaving_reason"] == "review_decision"
    listing = api.get(f"{BASE}/reviews/")
    assert listing.status_code == 200 and listing.json()["results"][0]["outcome"] == "end"
