"""The database itself refuses bad rows, whatever door they come through (not the services)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core.roles import Role
from requests_app.models import (
    AdviceRequest,
    AssessmentDecision,
    AssessmentRequest,
    Child,
    ClockException,
    ProvisionEvaluation,
    RequestEvent,
)
from tests.conftest import make_user
from tests.requests_app.factories import (
    AdviceRequestFactory,
    AssessingRequestFactory,
    ChildFactory,
    ClockExceptionFactory,
    DraftIssuedRequestFactory,
    ReceivedRequestFactory,
    RefusedRequestFactory,
    days_ago,
)

# In the representative set CI runs on the embedded default (SQLite, filesystem broker) too.
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

DAY = timedelta(days=1)


def _update(factory: Callable[[], models.Model], **changes: Any) -> Callable[[], None]:
    """Build a valid row, then write ``changes`` straight to the table (no model validation)."""

    def write() -> None:
        row = factory()
        values = {k: (v(row) if callable(v) else v) for k, v in changes.items()}
        with transaction.atomic():
            type(row).objects.filter(pk=row.pk).update(**values)

    return write


def _child_twice(**fields: Any) -> Callable[[], None]:
    def write() -> None:
        ChildFactory(**fields)
        with transaction.atomic():
            ChildFactory(**fields)

    return write


def _second_open_request() -> None:
    existing = RefusedRequestFactory()
    ReceivedRequestFactory(child=existing.child)  # a closed one does not count
    with transaction.atomic():
        ReceivedRequestFactory(child=existing.child)


def _duplicate_reference() -> None:
    ReceivedRequestFactory(reference="KCC/1")
    with transaction.atomic():
        ReceivedRequestFactory(reference="KCC/1")


def _second_standing_decision() -> None:
    request = AssessingRequestFactory()  # holds a standing "assess" decision
    with transaction.atomic():
        AssessmentDecision.objects.create(
            request=request,
            stage="assess",
            outcome="assess",
            notified_on=request.received_on,
            decided_by=make_user(Role.SEN_OFFICER),
        )


def _decision(**fields: Any) -> Callable[[], None]:
    def write() -> None:
        request = ReceivedRequestFactory()
        with transaction.atomic():
            AssessmentDecision.objects.create(
                request=request,
                notified_on=request.received_on,
                decided_by=make_user(Role.SEN_OFFICER),
                **{"stage": "assess", "outcome": "assess", **fields},
            )

    return write


def _evaluation(**fields: Any) -> Callable[[], None]:
    def write() -> None:
        with transaction.atomic():
            ProvisionEvaluation.objects.create(request=ReceivedRequestFactory(), **fields)

    return write


def _event(**fields: Any) -> Callable[[], None]:
    def write() -> None:
        request = ReceivedRequestFactory()
        with transaction.atomic():
            RequestEvent.objects.create(request=request, **{"action": "created", **fields})

    return write


CASES: dict[str, Callable[[], None]] = {
    # Child
    "child_sex_valid": _update(ChildFactory, sex="X"),
    "child_primary_need_valid": _update(ChildFactory, primary_need="NONE"),
    "child_secondary_need_valid": _update(ChildFactory, secondary_need="NONE"),
    "child_upn_unique": _child_twice(upn="C123456789012"),
    "child_legacy_ref_unique": _child_twice(legacy_ref="CHILD-77"),
    # Request
    "request_status_valid": _update(ReceivedRequestFactory, status="lost"),
    "request_source_valid": _update(ReceivedRequestFactory, source="rumour"),
    "request_outcome_valid": _update(ReceivedRequestFactory, request_outcome="H"),
    "request_assessment_outcome_valid": _update(AssessingRequestFactory, assessment_outcome="Z"),
    "request_assessment_outcome_needs_assessment": _update(ReceivedRequestFactory, assessment_outcome="A"),
    "request_placement_type_valid": _update(ReceivedRequestFactory, placement_type="boarding"),
    "one_open_request_per_child": _second_open_request,
    "request_reference_unique": _duplicate_reference,
    "request_outcome_after_received": _update(
        AssessingRequestFactory, request_outcome_on=lambda r: r.received_on - DAY
    ),
    "request_assessment_outcome_after_received": _update(
        AssessingRequestFactory, assessment_outcome_on=lambda r: r.received_on - DAY
    ),
    "request_draft_after_received": _update(DraftIssuedRequestFactory, draft_issued_on=lambda r: r.received_on - DAY),
    "request_final_after_draft": _update(
        DraftIssuedRequestFactory, final_plan_issued_on=lambda r: r.draft_issued_on - DAY
    ),
    "request_due_dates_ordered": _update(ReceivedRequestFactory, final_plan_due_on=lambda r: r.decision_due_on - DAY),
    # Evaluation
    "evaluation_recommendation_valid": _evaluation(recommendation="maybe"),
    "evaluation_completed_has_recommendation": _evaluation(completed_on=days_ago(1)),
    # Decisions
    "decision_stage_valid": _decision(stage="appeal"),
    "decision_outcome_matches_stage": _decision(stage="assess", outcome="issue"),
    "decision_refusal_sends_rights": _decision(outcome="refuse", rights_text_sent=False),
    "one_standing_decision_per_stage": _second_standing_decision,
    # Advice
    "advice_type_valid": _update(AdviceRequestFactory, adviser_type="astrology"),
    "advice_received_after_requested": _update(AdviceRequestFactory, received_on=lambda a: a.requested_on - DAY),
    "advice_target_after_due": _update(AdviceRequestFactory, target_on=lambda a: a.due_on - DAY),
    "advice_cancel_has_reason": _update(
        AdviceRequestFactory, cancelled_at=lambda a: timezone.now(), cancelled_reason=""
    ),
    "advice_cancelled_not_received": _update(
        AdviceRequestFactory,
        cancelled_at=lambda a: timezone.now(),
        cancelled_reason="Wrong service",
        received_on=lambda a: a.requested_on,
    ),
    # Exceptions
    "exception_kind_valid": _update(ClockExceptionFactory, kind="holiday"),
    "exception_end_after_start": _update(ClockExceptionFactory, end=lambda e: e.start - DAY),
    "exception_evidence_required": _update(ClockExceptionFactory, evidence=""),
    "exception_removal_has_reason": _update(
        ClockExceptionFactory, removed_at=lambda e: e.recorded_at, removed_reason=""
    ),
    # Events
    "event_action_valid": _event(action="deleted"),
    "event_from_status_valid": _event(from_status="lost"),
    "event_to_status_valid": _event(to_status="lost"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_constraint_rejects_a_bad_row(name: str) -> None:
    with pytest.raises(IntegrityError) as raised:
        CASES[name]()
    # The named constraint is the one that fired, not some other rule the bad row breaks. For a
    # unique index SQLite names the columns instead.
    message = str(raised.value).lower()
    # An unknown stage matches no outcome either: the database may report that rule first.
    also_broken = {"decision_stage_valid": "decision_outcome_matches_stage"}.get(name)
    assert (
        name in message or "unique constraint failed" in message or (also_broken and f'"{also_broken}"' in message)
    ), message


def test_every_constraint_has_a_case() -> None:
    names = {
        constraint.name
        for model in (
            Child,
            AssessmentRequest,
            ProvisionEvaluation,
            AssessmentDecision,
            AdviceRequest,
            ClockException,
            RequestEvent,
        )
        for constraint in model._meta.constraints
    }
    assert names == set(CASES)


def test_superseded_decisions_do_not_block_a_new_one() -> None:
    request = RefusedRequestFactory()
    AssessmentDecision.objects.filter(request=request).update(superseded=True)
    AssessmentDecision.objects.create(
        request=request,
        stage="assess",
        outcome="assess",
        notified_on=request.received_on,
        decided_by=make_user(Role.SEN_OFFICER),
    )
    assert AssessmentDecision.objects.filter(request=request).count() == 2


def test_blank_upns_and_references_may_repeat() -> None:
    ChildFactory(upn="", legacy_ref="")
    ChildFactory(upn="", legacy_ref="")
    ReceivedRequestFactory(reference="")
    ReceivedRequestFactory(reference="")
    assert Child.objects.filter(upn="").count() == 4


def test_events_are_append_only() -> None:
    event = RequestEvent.objects.create(request=ReceivedRequestFactory(), action="created", to_status="received")
    event.note = "edited"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
