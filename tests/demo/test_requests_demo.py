"""seed_demo's requests: a busy, plausible queue (the demo is built once, tests/demo/conftest.py)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from core.sen2codes import upn_valid
from demo.requests_demo import DEMO_PREFIX, OPEN_BY_STAGE, synthetic_upn
from requests_app import clocks, workflow
from requests_app.models import (
    AdviceRequest,
    AssessmentDecision,
    AssessmentRequest,
    CaseNote,
    Child,
    ClockException,
    ProvisionEvaluation,
    RequestEvent,
)
from tests.demo.conftest import SeededDemo

pytestmark = pytest.mark.django_db

MODELS = (
    Child,
    AssessmentRequest,
    RequestEvent,
    AssessmentDecision,
    AdviceRequest,
    ClockException,
    ProvisionEvaluation,
    CaseNote,  # issue 13, notes
)


@pytest.fixture
def seeded(demo_state: SeededDemo) -> SeededDemo:
    """The demo built once for this folder (tests/demo/conftest.py)."""
    return demo_state


def test_a_second_run_adds_nothing(seeded: SeededDemo) -> None:
    assert seeded.after_second_run == seeded.after_first_run
    assert seeded.after_first_run["AssessmentRequest"] > 500


def test_the_queue_is_busy_at_every_stage_with_live_deadlines(seeded: SeededDemo) -> None:
    today = timezone.localdate()
    requests = AssessmentRequest.objects.filter(reference__startswith=DEMO_PREFIX)  # this demo's own cases

    # The requests demo's own children (the placements demo adds children of its own).
    assert 200 <= Child.objects.filter(requests__reference__startswith="DEMO-").distinct().count() <= 400
    assert requests.open().count() == sum(OPEN_BY_STAGE.values()) == 300
    assert requests.closed().count() >= 200
    assert set(requests.values_list("status", flat=True)) == set(workflow.Status)
    assert requests.overdue(on=today).exists()
    assert requests.due_within(7, on=today).exists()
    assert requests.open().filter(next_deadline_on__gt=today + timedelta(days=7)).count() > 150
    assert requests.unassigned().exists()
    assert requests.open().filter(assigned_officer__username__in=["officer", "officer2"]).exists()
    assert all(ref.startswith(DEMO_PREFIX) for ref in requests.values_list("reference", flat=True))
    assert "requests (300 open)" in seeded.output and " s" in seeded.output


def test_advice_decisions_exceptions_and_drafts_are_present(seeded: SeededDemo) -> None:
    today = timezone.localdate()
    advice = AdviceRequest.objects.all()

    assert advice.for_ep().outstanding().exists()
    assert advice.for_ep().overdue(on=today).exists()
    assert advice.filter(adviser_type="health").exists() and advice.filter(adviser_type="social_care").exists()
    refusals = AssessmentDecision.objects.filter(outcome="refuse")
    assert refusals.exists() and all(d.reasons and d.rights_text_sent for d in refusals)
    kinds = set(ClockException.objects.values_list("kind", flat=True))
    assert {"school_closure", "personal_circumstances"} <= kinds
    # The exceptions push the targets out, and set the SEN2 week20 flag.
    extended = AssessmentRequest.objects.filter(week20=True)
    assert extended.exists() and all(r.final_plan_target_on > r.final_plan_due_on for r in extended)
    window = today - clocks.REPRESENTATION_PERIOD
    assert AssessmentRequest.objects.in_status("draft_issued").filter(draft_issued_on__gt=window).exists()
    assert ProvisionEvaluation.objects.filter(completed_on__isnull=False).exists()


def test_stored_clocks_are_those_the_clock_module_computes(seeded: SeededDemo) -> None:
    requests = AssessmentRequest.objects.prefetch_related("clock_exceptions")
    for request in requests:
        periods = [e.as_period() for e in request.clock_exceptions.all() if e.is_active and e.advice_request_id is None]
        computed = clocks.request_clocks(request.received_on, periods)
        stored = (
            request.decision_due_on,
            request.not_issue_due_on,
            request.final_plan_due_on,
            request.decision_target_on,
            request.not_issue_target_on,
            request.final_plan_target_on,
            request.week20,
        )
        assert stored == (
            computed.decision_due_on,
            computed.not_issue_due_on,
            computed.final_plan_due_on,
            computed.decision_target_on,
            computed.not_issue_target_on,
            computed.final_plan_target_on,
            computed.week20,
        ), request.reference
        assert request.next_deadline_on == workflow.next_deadline(
            request.status,
            decision_target_on=computed.decision_target_on,
            not_issue_target_on=computed.not_issue_target_on,
            final_plan_target_on=computed.final_plan_target_on,
        )
    for advice in AdviceRequest.objects.prefetch_related("clock_exceptions"):
        periods = [e.as_period() for e in advice.clock_exceptions.all()]
        computed = clocks.advice_clocks(advice.requested_on, periods)
        assert (advice.due_on, advice.target_on) == (computed.due_on, computed.target_on)


# Written by the panels demo, seeded after the requests; its own tests judge them.
PANEL_ACTIONS = {workflow.EventAction.REFER_TO_PANEL, "panel_decision"}
# Timeline entries that record a fact beside the request's status, not a transition of it.
BESIDE_STATUS = (
    {action.value for action in workflow.EventAction}
    - {action.value for action in workflow.Action}
    - {
        "created",
        "imported",
    }
)


def test_every_timeline_follows_the_transition_table(seeded: SeededDemo) -> None:
    now = timezone.now()
    actors: Counter[str | None] = Counter()
    # The requests demo's own cases; the panels and placements demos' cases are judged by theirs.
    for request in AssessmentRequest.objects.filter(reference__startswith="DEMO-").prefetch_related("events__actor"):
        events = [e for e in request.events.all() if e.action not in PANEL_ACTIONS | BESIDE_STATUS]
        assert events[0].action == "created" and events[0].to_status == "received"
        assert events[-1].to_status == request.status
        for before, event in zip(events, events[1:], strict=False):
            assert before.occurred_at <= event.occurred_at <= now
            assert event.from_status == before.to_status, (request.reference, event.action)
            expected = workflow.next_status(event.from_status, event.action)  # raises if not allowed
            assert event.to_status == expected, (request.reference, event.action)
        actors.update(e.actor.username if e.actor else None for e in events)
    assert actors["officer"] and actors["officer2"] and actors["evaluator"]


def test_the_live_demo_cases_carry_documents_of_several_kinds(seeded: SeededDemo) -> None:
    """Small generated PDFs on requests, EP advice requests, referrals and contracts (issue 13)."""
    from core.models import Document

    documents = Document.objects.all()
    assert {"request", "advice_request"} <= set(documents.values_list("owner_kind", flat=True))
    assert documents.filter(owner_kind="advice_request", doc_type="ep_advice").exists()
    assert len(set(documents.values_list("doc_type", flat=True))) >= 5
    assert set(documents.values_list("content_type", flat=True)) == {"application/pdf"}
    assert "Documents:" in seeded.output


# --- Case notes and corrections (issue 13, notes) ---


def test_live_cases_have_contact_logs_and_one_corrected_record(seeded: SeededDemo) -> None:
    notes = CaseNote.objects.filter(request__reference__startswith=DEMO_PREFIX)
    assert notes.count() >= 12 and notes.values("request").distinct().count() >= 6
    assert {"phone_call", "email", "meeting"} <= set(notes.values_list("kind", flat=True))
    corrected = RequestEvent.objects.filter(action="corrected", request__reference__startswith=DEMO_PREFIX)
    assert corrected.exists() and {e.payload["fact"] for e in corrected} == {"date_of_birth"}
    assert all(e.note and e.payload["before"] != e.payload["after"] for e in corrected)
    assert "Contact log:" in seeded.output


# --- Automatic letters (issue 13, the case file) ---


def test_live_cases_show_the_letters_the_services_send_by_themselves(seeded: SeededDemo) -> None:
    from requests_app.people_models import Letter, NotificationGap

    letters = Letter.objects.filter(request__reference__startswith=DEMO_PREFIX)
    automatic = letters.filter(event__isnull=False)
    kinds = set(automatic.values_list("kind", flat=True))
    assert {"request_received", "reg_4_2_notification", "advice_request"} <= kinds
    assert kinds & {"decision_to_assess", "decision_not_to_assess"}
    assert all(letter.event.request_id == letter.request_id for letter in automatic.select_related("event"))
    assert not letters.filter(event__isnull=True).exists()  # the demo sends nothing by hand
    # One file has nobody from social care: its reg 4(2) notice is shown as not sent.
    gaps = NotificationGap.objects.filter(request__reference__startswith=DEMO_PREFIX).select_related("event")
    assert ("reg_4_2_notification", "social_care", "created") in {(g.kind, g.addressee, g.event.action) for g in gaps}
    assert len({g.request_id for g in gaps}) == 1


def test_synthetic_upns_pass_the_check_letter() -> None:
    """Demo UPNs validate (SEN2 rule U01): the letter in front is the mod-23 check letter."""
    rng = random.Random(7)
    upns = [synthetic_upn(rng) for _ in range(500)]
    assert all(upn_valid(upn) and len(upn) == 13 and upn[1:4] == "886" for upn in upns)
    assert len({upn[0] for upn in upns}) > 10  # the letter follows the digits, not a constant
