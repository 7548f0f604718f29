"""Annual fee reviews and contract versions (issue 17): the rules without a database, then the
services on PostgreSQL — a review within the ceiling takes effect from its date; one above it goes
back to the panel and the old fee stays in force until the panel approves; a deduction for a period
in year 1 uses year 1's fee; the finance queue lists the open reviews."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.errors import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from core.roles import Capability, Role
from panels.models import PanelEvent, Referral
from placements import queues, versions, workflow
from placements.models import ContractVersion, Deduction, FeeReview, PlacementEvent
from placements.services import attendance as attendance_services
from placements.services import contracts as contract_services
from placements.services import fee_reviews as services
from placements.workflow import FeeReviewAction as A
from placements.workflow import FeeReviewStatus as S
from placements.workflow import Queue, VersionFacts
from tests.conftest import make_user
from tests.panels.factories import AgendaItemFactory, HeldMeetingFactory, make_panel
from tests.panels.test_services import approve
from tests.placements.factories import finance_user, make_active_contract

# --- Rules (no database) ---------------------------------------------------------------------------

V1 = VersionFacts(1, date(2024, 9, 1), 5_000_000)
V2 = VersionFacts(2, date(2025, 9, 1), 5_300_000)
V3 = VersionFacts(3, date(2026, 9, 1), 5_600_000)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 8, 31), None),
        (date(2024, 9, 1), 5_000_000),
        (date(2025, 8, 31), 5_000_000),
        (date(2025, 9, 1), 5_300_000),
        (date(2026, 8, 31), 5_300_000),
        (date(2026, 9, 1), 5_600_000),
        (date(2030, 1, 1), 5_600_000),
    ],
)
def test_the_version_in_force_is_the_latest_started_by_the_day(day: date, expected: int | None) -> None:
    # Order of the list does not matter.
    assert workflow.annual_cost_in_force([V3, V1, V2], day) == expected


def test_a_new_version_must_follow_the_latest_and_fall_within_the_placement() -> None:
    kw = {"placement_start": date(2024, 9, 1), "placement_finish": date(2027, 7, 20)}
    assert workflow.version_date_problems(date(2025, 9, 1), latest_effective_from=date(2024, 9, 1), **kw) == []
    assert [
        f for f, _ in workflow.version_date_problems(date(2024, 9, 1), latest_effective_from=date(2024, 9, 1), **kw)
    ] == ["effective_from"]
    assert workflow.version_date_problems(date(2024, 8, 1), latest_effective_from=None, **kw)[0][1].startswith(
        "The new fee cannot take effect before the placement started"
    )
    assert (
        "after the placement ends"
        in workflow.version_date_problems(date(2027, 9, 1), latest_effective_from=None, **kw)[0][1]
    )


EXPECTED = {
    (S.RECEIVED, A.RECORD_LINE): (S.NEGOTIATING, Capability.PLACEMENT_MANAGE),
    (S.NEGOTIATING, A.RECORD_LINE): (S.NEGOTIATING, Capability.PLACEMENT_MANAGE),
    (S.NEGOTIATING, A.AGREE): (S.AGREED, Capability.PLACEMENT_MANAGE),
    (S.NEGOTIATING, A.REFER_TO_PANEL): (S.AWAITING_PANEL, Capability.PLACEMENT_MANAGE),
    (S.RECEIVED, A.REFUSE): (S.REFUSED, Capability.PLACEMENT_MANAGE),
    (S.NEGOTIATING, A.REFUSE): (S.REFUSED, Capability.PLACEMENT_MANAGE),
    (S.RECEIVED, A.WITHDRAW): (S.WITHDRAWN, Capability.PLACEMENT_MANAGE),
    (S.NEGOTIATING, A.WITHDRAW): (S.WITHDRAWN, Capability.PLACEMENT_MANAGE),
    (S.AWAITING_PANEL, A.PANEL_APPROVE): (S.AGREED, Capability.PANEL_CHAIR),
    (S.AWAITING_PANEL, A.PANEL_DECLINE): (S.REFUSED, Capability.PANEL_CHAIR),
    (S.AWAITING_PANEL, A.PANEL_RETURN): (S.NEGOTIATING, Capability.PANEL_CHAIR),
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", list(A))
def test_fee_review_transitions_pair_by_pair(status: S, action: A) -> None:
    expected = EXPECTED.get((status, action))
    if expected is None:
        with pytest.raises(workflow.TransitionError) as caught:
            workflow.check_fee_review_transition(status, action)
        assert caught.value.message.startswith(f"A fee review that is {status.label.lower()} cannot")
        assert action not in workflow.fee_review_allowed_actions(status)
    else:
        transition = workflow.check_fee_review_transition(status, action)
        assert (transition.status_after(status), transition.capability) == expected
        assert action in workflow.fee_review_allowed_actions(status)


def test_agreeing_above_the_ceiling_goes_to_the_panel() -> None:
    assert workflow.fee_review_agree_action(5_500_000, 5_500_000) is A.AGREE
    assert workflow.fee_review_agree_action(5_500_001, 5_500_000) is A.REFER_TO_PANEL


@pytest.mark.parametrize(
    ("outcome", "ceiling", "expected"),
    [
        ("approve", 6_000_000, A.PANEL_APPROVE),
        ("approve_with_conditions", 5_800_000, A.PANEL_APPROVE),
        ("approve", 5_700_000, A.PANEL_RETURN),
        ("decline", None, A.PANEL_DECLINE),
        ("defer", None, None),
        ("more_information", None, None),
    ],
)
def test_what_the_panel_decision_does(outcome: str, ceiling: int | None, expected: A | None) -> None:
    assert workflow.fee_review_panel_action(outcome, ceiling_pence=ceiling, agreed_annual_pence=5_800_000) is expected


def test_review_totals_and_agree_problems() -> None:
    lines = [
        workflow.ReviewLineFacts("term", 3, 1_000_000, 1_100_000, 1_050_000),
        workflow.ReviewLineFacts("week", 39, 10_000, 11_000, None),
    ]
    assert workflow.review_totals(lines) == (3_390_000, 3_729_000, 3_150_000)
    assert workflow.fee_review_agree_problems(lines) == [
        ("lines", "1 cost line has no agreed amount; agree every line first")
    ]
    assert workflow.fee_review_agree_problems(lines[:1]) == []


# --- Services (PostgreSQL) ---------------------------------------------------------------------------


def _start(contract, actor, *, requested: int, effective_from: date = date(2026, 9, 1)) -> FeeReview:
    return services.fee_review_start(
        actor=actor,
        contract=contract,
        received_on=date(2026, 6, 1),
        effective_from=effective_from,
        requested_annual_cost_pence=requested,
        reasons="Staff pay award and energy costs",
    )


def _listed(panel, referral: Referral):
    """The referral on a held meeting's agenda, every member present (as agenda_add_item leaves it)."""
    Referral.objects.filter(pk=referral.pk).update(status="on_agenda")
    item = AgendaItemFactory(meeting=HeldMeetingFactory(chair=panel.chair), referral=referral)
    panel.present(item.meeting)
    return item


def _agree_line(review: FeeReview, actor, *, requested: int, agreed: int) -> None:
    line = review.lines.get()
    services.fee_review_record_line(
        actor=actor, line=line, requested_amount_pence=requested, agreed_amount_pence=agreed
    )


@pytest.mark.django_db
def test_the_original_agreement_is_version_one_from_the_start() -> None:
    actor = finance_user()
    contract = make_active_contract(actor=actor)
    version = ContractVersion.objects.get(contract=contract)
    assert (version.version_no, version.effective_from, version.annual_cost_pence) == (1, contract.start_on, 5_000_000)
    assert version.requested_annual_cost_pence == 5_200_000
    assert version.lines[0]["agreed_amount_pence"] == 5_000_000
    assert versions.annual_cost_on(contract, contract.start_on - timedelta(days=1)) is None
    assert versions.annual_cost_on(contract, contract.start_on) == 5_000_000


@pytest.mark.django_db
def test_a_review_within_the_ceiling_takes_effect_from_its_date() -> None:
    actor = finance_user()
    contract = make_active_contract(actor=actor, ceiling_pence=5_500_000)
    review = _start(contract, actor, requested=5_600_000)
    assert review.status == S.RECEIVED and review.current_annual_cost_pence == 5_000_000
    _agree_line(review, actor, requested=5_600_000, agreed=5_400_000)
    review = services.fee_review_agree(actor=actor, review=review, outcome_on=date(2026, 7, 1))
    assert review.status == S.AGREED and review.agreed_annual_cost_pence == 5_400_000
    contract.refresh_from_db()
    assert contract.agreed_annual_cost_pence == 5_400_000
    assert contract.annual_review_on == date(2027, 9, 1)
    assert versions.annual_cost_on(contract, date(2026, 8, 31)) == 5_000_000
    assert versions.annual_cost_on(contract, date(2026, 9, 1)) == 5_400_000
    v2 = ContractVersion.objects.get(contract=contract, version_no=2)
    assert v2.fee_review == review and v2.requested_annual_cost_pence == 5_600_000
    annotated = versions.with_annual_cost_on(type(contract).objects.filter(pk=contract.pk), date(2026, 8, 31)).get()
    assert annotated.annual_cost_on_day == 5_000_000
    assert PlacementEvent.objects.filter(contract=contract, action="fee_review_agreed").count() == 1
    assert not Referral.objects.filter(fee_review_contract=contract.reference).exists()


@pytest.mark.django_db
def test_above_the_ceiling_goes_back_to_the_panel_and_the_old_fee_stays_until_approval() -> None:
    actor = finance_user()
    panel = make_panel()
    contract = make_active_contract(actor=actor, ceiling_pence=5_500_000)
    review = _start(contract, actor, requested=6_000_000)
    _agree_line(review, actor, requested=6_000_000, agreed=5_800_000)
    review = services.fee_review_agree(actor=actor, review=review, outcome_on=date(2026, 7, 1))
    assert review.status == S.AWAITING_PANEL
    referral = review.referral
    assert referral.fee_review_contract == contract.reference
    assert (referral.fee_review_current_pence, referral.fee_review_proposed_pence) == (5_000_000, 5_800_000)
    assert referral.request_id == contract.panel_decision.item.referral.request_id
    assert PanelEvent.objects.filter(referral=referral, action="fee_review_referred").exists()
    # Waiting for the panel: the old fee stays in force, even after the date asked for.
    assert versions.annual_cost_on(contract, date(2026, 10, 1)) == 5_000_000
    assert ContractVersion.objects.filter(contract=contract).count() == 1
    # The panel approves with a ceiling that covers it.
    item = _listed(panel, referral)
    decision = approve(panel, item, agreed_annual_ceiling_pence=5_900_000)
    review.refresh_from_db()
    contract.refresh_from_db()
    assert review.status == S.AGREED
    assert contract.panel_decision == decision
    assert versions.annual_cost_on(contract, date(2026, 8, 31)) == 5_000_000
    assert versions.annual_cost_on(contract, date(2026, 10, 1)) == 5_800_000


@pytest.mark.django_db
def test_the_panel_api_says_a_referral_is_a_fee_review_with_both_figures(api_client_for, personas) -> None:
    actor = finance_user()
    contract = make_active_contract(actor=actor, ceiling_pence=5_500_000)
    review = _start(contract, actor, requested=6_000_000)
    _agree_line(review, actor, requested=6_000_000, agreed=5_800_000)
    referral = services.fee_review_agree(actor=actor, review=review).referral
    body = api_client_for(personas.officer).get(f"/api/panel/referrals/{referral.pk}/").json()
    assert (body["fee_review_contract"], body["fee_review_current_pence"], body["fee_review_proposed_pence"]) == (
        contract.reference,
        5_000_000,
        5_800_000,
    )
    original = contract.panel_decision.item.referral
    plain = api_client_for(personas.officer).get(f"/api/panel/referrals/{original.pk}/").json()
    assert (plain["fee_review_contract"], plain["fee_review_proposed_pence"]) == ("", None)


@pytest.mark.django_db
def test_a_panel_refusal_refuses_the_review_and_keeps_the_old_fee() -> None:
    actor = finance_user()
    panel = make_panel()
    contract = make_active_contract(actor=actor, ceiling_pence=5_500_000)
    review = _start(contract, actor, requested=6_000_000)
    _agree_line(review, actor, requested=6_000_000, agreed=5_800_000)
    review = services.fee_review_agree(actor=actor, review=review)
    item = _listed(panel, review.referral)
    approve(
        panel,
        item,
        outcome="decline",
        resources_answer="no",
        agreed_annual_ceiling_pence=None,
        reasons_text="The uplift is not justified by the provider's costs",
    )
    review.refresh_from_db()
    assert review.status == S.REFUSED and review.outcome_reason
    assert versions.annual_cost_on(contract, date(2026, 10, 1)) == 5_000_000


@pytest.mark.django_db
def test_a_deduction_in_year_one_uses_year_ones_fee() -> None:
    actor = finance_user()
    contract = make_active_contract(actor=actor, ceiling_pence=6_000_000)
    contract_services.penalty_clause_set(
        actor=actor, contract=contract, threshold_percent="90", rule="percent_of_period_fee", deduction_percent="10"
    )
    review = _start(contract, actor, requested=6_000_000, effective_from=date(2026, 9, 1))
    _agree_line(review, actor, requested=6_000_000, agreed=6_000_000)
    services.fee_review_agree(actor=actor, review=review)
    counts = {"possible": 100, "attended": 80, "authorised": 0, "unauthorised": 20}
    year1 = attendance_services.attendance_return_submit(
        actor=actor,
        contract=contract,
        period_kind="term",
        period_start=date(2026, 1, 5),
        period_end=date(2026, 3, 27),
        **counts,
    )
    year2 = attendance_services.attendance_return_submit(
        actor=actor,
        contract=contract,
        period_kind="term",
        period_start=date(2026, 9, 1),
        period_end=date(2026, 10, 23),
        **counts,
    )
    d1 = Deduction.objects.get(attendance_return=year1)
    d2 = Deduction.objects.get(attendance_return=year2)
    assert (d1.period_fee_pence, d1.amount_pence) == (1_666_667, 166_667)  # £50,000 ÷ 3
    assert (d2.period_fee_pence, d2.amount_pence) == (2_000_000, 200_000)  # £60,000 ÷ 3


@pytest.mark.django_db
def test_fee_review_rules_name_the_fields_and_save_nothing() -> None:
    actor = finance_user()
    contract = make_active_contract(actor=actor)
    with pytest.raises(ValidationFailed) as caught:
        services.fee_review_start(
            actor=actor,
            contract=contract,
            received_on=timezone.localdate() + timedelta(days=1),
            effective_from=contract.start_on,
            requested_annual_cost_pence=0,
            reasons=" ",
        )
    assert set(caught.value.errors) == {"requested_annual_cost_pence", "received_on", "reasons", "effective_from"}
    assert not FeeReview.objects.exists()
    review = _start(contract, actor, requested=5_600_000)
    with pytest.raises(Conflict):
        _start(contract, actor, requested=5_700_000)
    with pytest.raises(InvalidTransition):
        services.fee_review_agree(actor=actor, review=review)  # nothing negotiated yet
    services.fee_review_record_line(
        actor=actor, line=review.lines.get(), requested_amount_pence=5_600_000, agreed_amount_pence=None
    )
    with pytest.raises(ValidationFailed) as caught:
        services.fee_review_agree(actor=actor, review=review)
    assert "lines" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        services.fee_review_record_line(
            actor=actor, line=review.lines.get(), requested_amount_pence=5_600_000, agreed_amount_pence=5_700_000
        )
    assert "agreed_amount_pence" in caught.value.errors
    services.fee_review_withdraw(actor=actor, review=review, reason="The provider accepted the current fee")
    with pytest.raises(InvalidTransition):
        services.fee_review_refuse(actor=actor, review=review, reason="Too late")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SEN_OFFICER, Role.PANEL_MEMBER, Role.PANEL_CHAIR, Role.MANAGER])
def test_only_finance_officers_run_fee_reviews(role: Role) -> None:
    actor = finance_user()
    contract = make_active_contract(actor=actor)
    other = make_user(role, username=f"other_{role.value}")
    with pytest.raises(NotPermitted):
        _start(contract, other, requested=5_600_000)
    review = _start(contract, actor, requested=5_600_000)
    with pytest.raises(NotPermitted):
        services.fee_review_refuse(actor=other, review=review, reason="No")


@pytest.mark.django_db
def test_the_fee_reviews_open_queue() -> None:
    actor = finance_user()
    open_one = make_active_contract(actor=actor)
    closed_one = make_active_contract(actor=actor)
    review = _start(open_one, actor, requested=5_600_000)
    services.fee_review_refuse(actor=actor, review=_start(closed_one, actor, requested=5_600_000), reason="No case")
    items = queues.queue_items(Queue.FEE_REVIEWS, actor, timezone.localdate())
    assert [item.contract.pk for item in items] == [open_one.pk]
    assert items[0].fee_review == review
    assert queues.queue_counts(actor, timezone.localdate())[Queue.FEE_REVIEWS] == 1
    assert queues.queue_items(Queue.FEE_REVIEWS, make_user(Role.SEN_OFFICER, username="x"), timezone.localdate()) == []


@pytest.mark.django_db
def test_spend_on_a_day_uses_the_fee_in_force_that_day() -> None:
    from placements import reports

    actor = finance_user()
    contract = make_active_contract(actor=actor, ceiling_pence=5_500_000)
    review = _start(contract, actor, requested=5_600_000, effective_from=date(2026, 9, 1))
    _agree_line(review, actor, requested=5_600_000, agreed=5_400_000)
    services.fee_review_agree(actor=actor, review=review, outcome_on=date(2026, 7, 1))
    assert reports.placement_figures(on=date(2026, 8, 31)).committed_annual_pence == 5_000_000
    assert reports.placement_figures(on=date(2026, 9, 1)).committed_annual_pence == 5_400_000
    (row,) = reports.purchasing_power(on=date(2026, 8, 31))
    assert row["committed_pence"] == 5_000_000
    (row,) = reports.purchasing_power_by_need(on=date(2026, 9, 1))
    assert row["committed_pence"] == 5_400_000


@pytest.mark.django_db
def test_the_fee_review_api(api_client_for, personas) -> None:
    finance = api_client_for(personas.finance)
    contract = make_active_contract(actor=personas.finance, ceiling_pence=5_500_000)
    body = {
        "contract_id": contract.pk,
        "received_on": "2026-06-01",
        "effective_from": "2026-09-01",
        "requested_annual_cost_pence": 5_600_000,
        "reasons": "Staff pay award",
    }
    # A manager reads but may not start one; nothing is saved.
    manager = api_client_for(personas.manager)
    assert manager.post("/api/placements/fee-reviews/start/", body, format="json").status_code == 403
    assert not FeeReview.objects.exists()
    bad = finance.post("/api/placements/fee-reviews/start/", {**body, "reasons": " "}, format="json")
    assert bad.status_code == 400 and "reasons" in bad.json()["errors"]
    created = finance.post("/api/placements/fee-reviews/start/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["status"] == "received" and data["versions"][0]["annual_cost_pence"] == 5_000_000
    line_id = data["lines"][0]["id"]
    url = f"/api/placements/fee-reviews/{data['id']}/"
    negotiated = finance.post(
        f"{url}lines/{line_id}/", {"requested_amount_pence": 5_900_000, "agreed_amount_pence": 5_800_000}, format="json"
    )
    assert negotiated.status_code == 200 and negotiated.json()["status"] == "negotiating"
    agreed = finance.post(f"{url}agree/", {}, format="json")
    assert agreed.status_code == 200
    assert agreed.json()["status"] == "awaiting_panel" and agreed.json()["referral_id"]
    assert finance.post(f"{url}refuse/", {"reason": "No"}, format="json").status_code == 409
    listed = manager.get("/api/placements/fee-reviews/")
    assert listed.status_code == 200 and listed.json()["results"][0]["contract_reference"] == contract.reference
    assert api_client_for(personas.officer).get("/api/placements/fee-reviews/").status_code == 403
