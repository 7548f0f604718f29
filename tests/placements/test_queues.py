"""Finance work queues (issue 17): the pure rules that decide an item, each queue's contents on
hand-built contracts, and the pages and API per role."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.models import AccessLog
from core.roles import Role
from placements import queues, workflow
from placements.workflow import Queue
from tests.conftest import Personas, make_user
from tests.placements.factories import (
    ActiveContractFactory,
    AttendanceReturnFactory,
    DeductionFactory,
    EndedContractFactory,
)

# --- The rules, without a database -------------------------------------------------------------


def test_last_closed_month_is_the_calendar_month_before_today() -> None:
    assert workflow.last_closed_month(date(2026, 3, 1)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert workflow.last_closed_month(date(2026, 1, 31)) == (date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("start", "finish", "returns", "missing"),
    [
        (date(2025, 9, 1), None, [], True),  # running all month, nothing received
        (date(2025, 9, 1), None, [(date(2026, 1, 5), date(2026, 3, 27))], False),  # a term covers it
        (date(2025, 9, 1), None, [(date(2026, 2, 27), date(2026, 2, 27))], False),  # one day is enough
        (date(2025, 9, 1), None, [(date(2025, 9, 1), date(2026, 1, 31))], True),  # ends before the month
        (date(2026, 3, 2), None, [], False),  # started after the month
        (date(2025, 9, 1), date(2026, 1, 30), [], False),  # finished before the month
        (date(2025, 9, 1), date(2026, 2, 1), [], True),  # finished on its first day: a return is owed
    ],
)
def test_a_return_is_missing_only_for_a_placement_running_in_the_month_with_none_covering_it(
    start: date, finish: date | None, returns: list[tuple[date, date]], missing: bool
) -> None:
    period = (date(2026, 2, 1), date(2026, 2, 28))
    assert workflow.return_missing(period, placement_start=start, placement_finish=finish, returns=returns) is missing


def test_review_due_and_ending_soon_windows() -> None:
    today = date(2026, 6, 1)
    assert workflow.review_due(today + timedelta(days=workflow.REVIEW_DUE_DAYS), today)
    assert not workflow.review_due(today + timedelta(days=workflow.REVIEW_DUE_DAYS + 1), today)
    assert workflow.review_due(today - timedelta(days=200), today)  # overdue
    assert workflow.ending_soon(today + timedelta(days=workflow.ENDING_SOON_DAYS), today)
    assert not workflow.ending_soon(today + timedelta(days=workflow.ENDING_SOON_DAYS + 1), today)
    assert not workflow.ending_soon(None, today)  # open-ended
    assert workflow.ending_soon(today - timedelta(days=3), today)  # ran past its planned end


# --- Each queue's contents ---------------------------------------------------------------------

TODAY = date(2026, 3, 16)  # the closed month is February 2026


@pytest.fixture
def finance(personas: Personas):  # type: ignore[no-untyped-def]
    return personas.finance


@pytest.mark.django_db
def test_returns_missing_lists_running_placements_without_a_return_for_last_month(finance) -> None:  # type: ignore[no-untyped-def]
    owed = ActiveContractFactory(start_on=date(2025, 9, 1), annual_review_on=date(2026, 9, 1))
    covered = ActiveContractFactory(start_on=date(2025, 9, 1), annual_review_on=date(2026, 9, 1))
    AttendanceReturnFactory(contract=covered, period_start=date(2026, 1, 5), period_end=date(2026, 3, 27))
    ActiveContractFactory(start_on=date(2026, 3, 2), annual_review_on=date(2027, 3, 2))  # started after
    EndedContractFactory(start_on=date(2025, 9, 1), ended_on=date(2026, 1, 30))  # ended before
    ended_in_month = EndedContractFactory(start_on=date(2025, 9, 1), ended_on=date(2026, 2, 10))

    items = queues.returns_missing(finance, TODAY)
    assert {i.contract.pk for i in items} == {owed.pk, ended_in_month.pk}
    assert all(i.detail == "No return for February 2026" and i.due_on == date(2026, 2, 28) for i in items)


@pytest.mark.django_db
def test_deductions_awaiting_lists_pending_ones_only(finance) -> None:  # type: ignore[no-untyped-def]
    pending = DeductionFactory()
    DeductionFactory(status=workflow.DeductionStatus.CONFIRMED.value, decided_by=finance, decided_at=timezone.now())
    items = queues.deductions_awaiting(finance)
    assert [i.deduction.pk for i in items if i.deduction] == [pending.pk]
    assert items[0].detail == "£1,666.67 for 1 September 2025 to 19 December 2025"


@pytest.mark.django_db
def test_reviews_due_and_contracts_ending_windows_on_the_database(finance) -> None:  # type: ignore[no-untyped-def]
    due = ActiveContractFactory(annual_review_on=TODAY + timedelta(days=10))
    overdue = ActiveContractFactory(annual_review_on=TODAY - timedelta(days=5))
    ActiveContractFactory(annual_review_on=TODAY + timedelta(days=90))
    ending = ActiveContractFactory(annual_review_on=TODAY + timedelta(days=200), end_on=TODAY + timedelta(days=60))
    ActiveContractFactory(annual_review_on=TODAY + timedelta(days=200), end_on=TODAY + timedelta(days=120))
    EndedContractFactory(annual_review_on=TODAY, end_on=TODAY + timedelta(days=10), ended_on=date(2026, 1, 1))

    reviews = queues.reviews_due(finance, TODAY)
    assert [i.contract.pk for i in reviews] == [overdue.pk, due.pk]
    assert reviews[0].detail == "Overdue"
    ends = queues.contracts_ending(finance, TODAY)
    assert [(i.contract.pk, i.detail) for i in ends] == [(ending.pk, "Ends in 60 days")]
    counts = queues.queue_counts(finance, TODAY)
    assert counts[Queue.REVIEWS_DUE] == 2 and counts[Queue.ENDING] == 1


# --- Pages and API per role --------------------------------------------------------------------

ALLOWED = [Role.FINANCE_OFFICER, Role.MANAGER]
REFUSED = [Role.SEN_OFFICER, Role.PANEL_MEMBER, Role.PANEL_CHAIR, Role.EDUCATIONAL_PSYCHOLOGIST]


@pytest.fixture
def ending_contract():  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    return ActiveContractFactory(annual_review_on=today + timedelta(days=300), end_on=today + timedelta(days=30))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALLOWED)
def test_queue_pages_for_finance_and_managers_log_each_child_read(role, ending_contract, page_client_for) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role)
    client = page_client_for(user)
    home = client.get("/placements/")
    assert home.status_code == 200
    assert "Contracts ending soon: 1" in home.content.decode()
    listing = client.get("/placements/queues/")
    assert listing.status_code == 200 and "Work to do" in listing.content.decode()
    page = client.get("/placements/queues/ending/")
    body = page.content.decode()
    assert page.status_code == 200
    assert ending_contract.reference in body and "Ends in 30 days" in body
    assert AccessLog.objects.filter(
        user=user, child_id=ending_contract.child_id, object_type="placement_queue:ending"
    ).exists()
    assert client.get("/placements/queues/no-such-queue/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", REFUSED)
def test_queue_pages_and_api_refuse_other_roles(role, ending_contract, page_client_for, api_client_for) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role)
    assert page_client_for(user).get("/placements/queues/ending/").status_code == 403
    assert page_client_for(user).get("/placements/queues/").status_code == 403
    api = api_client_for(user)
    assert api.get("/api/placements/queues/").status_code == 403
    assert api.get("/api/placements/queues/ending/").status_code == 403
    assert not AccessLog.objects.filter(
        child_id=ending_contract.child_id, object_type__startswith="placement_queue"
    ).exists()


@pytest.mark.django_db
def test_queue_api_counts_and_items(ending_contract, api_client_for) -> None:  # type: ignore[no-untyped-def]
    api = api_client_for(make_user(Role.FINANCE_OFFICER))
    counts = api.get("/api/placements/queues/")
    assert counts.status_code == 200
    by_queue = {row["queue"]: row["count"] for row in counts.json()["queues"]}
    assert set(by_queue) == {q.value for q in Queue} and by_queue["ending"] == 1
    detail = api.get("/api/placements/queues/ending/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["count"] == 1 and body["items"][0]["contract"]["reference"] == ending_contract.reference
    assert body["items"][0]["deduction_id"] is None
    assert api.get("/api/placements/queues/nothing/").status_code == 404
