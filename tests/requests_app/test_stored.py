"""The one builder of the values stored on a request (``requests_app.stored``): its rules without
a database, then every writer's rows against it: the services, the importer and the demo here;
the calibrated history in tests/dashboard/test_calibration.py (which seeds it once); the
national generator in tests/scale/test_national.py (on PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from core.models import District
from core.roles import Role
from demo import core_demo
from requests_app import clocks, stored, workflow
from requests_app.importer.run import import_file
from requests_app.models import AssessmentRequest
from requests_app.services.advice import exception_add
from requests_app.services.children import child_change_district
from requests_app.services.lifecycle import evaluation_start, request_create, request_withdraw
from tests.requests_app.factories import ChildFactory, days_ago, make_user
from tests.requests_app.stored_checks import assert_stored_as_built

Status = workflow.Status
EventAction = workflow.EventAction
DAY_ONE = date(2025, 1, 6)
SUMMER = clocks.ExceptionPeriod(kind=clocks.ExceptionType.SCHOOL_CLOSURE, start=date(2025, 1, 20), end=date(2025, 3, 2))


# --- The rules (no database) -------------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status))
def test_the_stored_clocks_are_the_statutory_clocks_and_the_status_picks_the_queue_key(status: Status) -> None:
    built = stored.request_clocks(DAY_ONE, status)
    statutory = clocks.request_clocks(DAY_ONE)
    assert (built.decision_due_on, built.not_issue_due_on, built.final_plan_due_on) == (
        DAY_ONE + timedelta(weeks=6),
        DAY_ONE + timedelta(weeks=16),
        DAY_ONE + timedelta(weeks=20),
    )
    assert built.decision_target_on == statutory.decision_target_on and built.week20 is False
    assert built.next_deadline_on == workflow.next_deadline(
        status,
        decision_target_on=statutory.decision_target_on,
        not_issue_target_on=statutory.not_issue_target_on,
        final_plan_target_on=statutory.final_plan_target_on,
    )


def test_an_exception_moves_the_targets_not_the_due_dates_and_sets_week20() -> None:
    plain = stored.request_clocks(DAY_ONE, Status.ASSESSING)
    moved = stored.request_clocks(DAY_ONE, Status.ASSESSING, [SUMMER])
    assert moved.final_plan_due_on == plain.final_plan_due_on
    assert moved.final_plan_target_on > plain.final_plan_target_on and moved.week20 is True
    assert moved.next_deadline_on == moved.not_issue_target_on


def test_the_request_fields_copy_the_childs_district_and_name_every_derived_column() -> None:
    fields = stored.request_fields(child_district_id=7, received_on=DAY_ONE, status=Status.RECEIVED)
    assert fields["district_id"] == 7 == stored.request_district(7)
    assert fields["status"] == "received"
    assert set(fields) == {"district_id", "status", *stored.StoredClocks.__dataclass_fields__}


def test_every_event_action_has_its_payload_facts() -> None:
    assert set(stored.PAYLOAD_FACTS) == set(EventAction)


def test_an_event_row_carries_its_facts_with_iso_dates_and_the_clocks_after_the_change() -> None:
    after = stored.request_clocks(DAY_ONE, Status.RECEIVED)
    row = stored.event_row(
        action=EventAction.CREATED,
        from_status="",
        to_status=Status.RECEIVED,
        clocks_after=after,
        facts={"child_id": 3, "source": "parent"},
    )
    assert (row.action, row.from_status, row.to_status) == ("created", "", "received")
    assert row.payload == {
        "child_id": 3,
        "source": "parent",
        "clocks": {
            "next_deadline_on": "2025-02-17",
            "decision_target_on": "2025-02-17",
            "not_issue_target_on": "2025-04-28",
            "final_plan_target_on": "2025-05-26",
            "week20": False,
        },
    }
    withdrawn = stored.event_row(
        action=workflow.Action.WITHDRAW,
        from_status=Status.RECEIVED,
        to_status=Status.WITHDRAWN,
        clocks_after=stored.request_clocks(DAY_ONE, Status.WITHDRAWN),
        facts={"withdrawn_on": date(2025, 1, 9), "outcome_field": "request_outcome"},
        note="Moved away",
    )
    assert withdrawn.payload["withdrawn_on"] == "2025-01-09" and withdrawn.payload["clocks"]["next_deadline_on"] is None
    assert withdrawn.note == "Moved away"


@pytest.mark.parametrize(
    "facts",
    [
        {"child_id": 3},  # one missing
        {"child_id": 3, "source": "parent", "forename": "Amelia"},  # one more (and personal)
        {},
    ],
)
def test_an_event_row_refuses_facts_that_are_not_its_actions(facts: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="created event facts"):
        stored.event_row(
            action=EventAction.CREATED,
            from_status="",
            to_status=Status.RECEIVED,
            clocks_after=stored.request_clocks(DAY_ONE, Status.RECEIVED),
            facts=facts,
        )


# --- Every writer's rows are the builder's (database) -------------------------------------------


@pytest.fixture
def officer(db: None) -> User:
    return make_user(Role.SEN_OFFICER, username="officer")


@pytest.mark.django_db
def test_the_services_rows_are_the_builders(officer: User) -> None:
    first = request_create(actor=officer, child=ChildFactory(), received_on=days_ago(30), source="parent")
    evaluation_start(actor=make_user(Role.PROVISION_EVALUATOR, username="evaluator"), request=first)
    exception_add(
        actor=officer,
        request=first,
        kind="personal_circumstances",
        start=days_ago(20),
        end=days_ago(5),
        evidence="Letter from the family",
    )
    second = request_create(actor=officer, child=ChildFactory(), received_on=days_ago(10), source="school")
    request_withdraw(actor=officer, request=second, reason="Moved away", withdrawn_on=days_ago(2))
    third = request_create(actor=officer, child=ChildFactory(), received_on=days_ago(3), source="parent")
    child_change_district(actor=officer, child=third.child_id, district=District.objects.create(name="Elsewhere"))
    assert assert_stored_as_built(AssessmentRequest.objects.order_by("pk")) == 3


@pytest.mark.django_db
def test_the_importers_rows_are_the_builders() -> None:
    core_demo.seed_districts()
    import_file(Path(__file__).parent / "data" / "good.csv")
    assert assert_stored_as_built(AssessmentRequest.objects.order_by("pk"), week20_from_file=True) == 10


# The calibrated history's rows: tests/dashboard/test_calibration.py, which seeds it once.
