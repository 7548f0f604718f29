"""Services: every change to panel business, its rules, its events, the pack."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import time, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings
from django.utils import timezone

from core.errors import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from core.models import AccessLog
from core.roles import Role
from panels import services
from panels.models import (
    AgendaItem,
    Attendance,
    Declaration,
    PanelDecision,
    PanelEvent,
    PanelMeeting,
    PanelMinutes,
    Referral,
)
from requests_app.models import RequestEvent
from tests.conftest import make_user
from tests.panels.factories import (
    AgendaItemFactory,
    CirculatedMeetingFactory,
    HeadTeacherMemberFactory,
    HeldMeetingFactory,
    IndependentSchoolFactory,
    Panel,
    PanelMemberFactory,
    ReferralFactory,
    ScheduledMeetingFactory,
    SpecialSchoolFactory,
    make_panel,
)
from tests.requests_app.factories import (
    AssessingRequestFactory,
    ChildFactory,
    EstablishmentFactory,
    ReceivedRequestFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel() -> Panel:
    return make_panel()


def errors_of(call: Callable[[], Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.errors


def events(action: str) -> list[PanelEvent]:
    return list(PanelEvent.objects.filter(action=action))


def approve(panel: Panel, item: AgendaItem, **overrides: Any) -> PanelDecision:
    return services.decision_record(
        actor=panel.chair,
        item=item,
        **{
            "outcome": "approve",
            "suitable_answer": "yes",
            "compatible_answer": "yes",
            "resources_answer": "yes",
            "resources_text": "No maintained place; the independent school is the only suitable setting",
            "maintained_alternative_cost_pence": 2_500_000,
            "reasons_text": "Needs can only be met in a small therapeutic setting",
            "agreed_annual_ceiling_pence": 5_800_000,
            **overrides,
        },
    )


def held_item(panel: Panel, *, referral: Referral | None = None, present: bool = True) -> AgendaItem:
    """An item on a held meeting's agenda, every panel member present."""
    meeting = HeldMeetingFactory(chair=panel.chair)
    item = AgendaItemFactory(meeting=meeting, **({"referral": referral} if referral else {}))
    if present:
        panel.present(meeting)
    return item


# --- Referrals -----------------------------------------------------------------------------------


def referral_kwargs(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "independent_special",
        "proposed_establishment": IndependentSchoolFactory(),
        "parental_preference": "The family want the proposed school",
        "needs_summary": "ASD with severe anxiety; needs a low-arousal setting",
        "options": [
            {
                "establishment": SpecialSchoolFactory(),
                "meets_need": False,
                "reason": "Full in the key stage",
                "annual_cost_pence": 2_400_000,
            }
        ],
        "cost_lines": [
            {"category": "tuition", "annual_amount_pence": 5_000_000, "description": "Day fees"},
            {"category": "therapies", "annual_amount_pence": 900_000},
        ],
        "evidence": ["EP report (March)", " ", "OT report"],
        **overrides,
    }


def test_referral_create_records_the_papers_and_the_timeline(panel: Panel) -> None:
    request = AssessingRequestFactory()
    referral = services.referral_create(actor=panel.officer, request=request, **referral_kwargs())
    assert referral.status == "awaiting_panel"
    assert referral.referred_by == panel.officer
    assert referral.referred_on == timezone.localdate()
    assert referral.options.get().reason == "Full in the key stage"
    assert sorted(referral.cost_lines.values_list("annual_amount_pence", flat=True)) == [900_000, 5_000_000]
    assert referral.evidence == ["EP report (March)", "OT report"]
    assert services.referral_missing_for(referral) == []
    event = RequestEvent.objects.filter(request=request).get()
    assert (event.action, event.from_status, event.to_status) == ("refer_to_panel", "assessing", "assessing")
    assert [e.payload for e in events("referral_created")] == [
        {"request_id": request.pk, "kind": "independent_special"}
    ]


def test_referral_create_needs_the_refer_capability(panel: Panel) -> None:
    with pytest.raises(NotPermitted):
        services.referral_create(actor=panel.sen.user, request=AssessingRequestFactory(), **referral_kwargs())


def test_a_request_not_yet_assessed_cannot_be_referred(panel: Panel) -> None:
    with pytest.raises(InvalidTransition, match="cannot be referred to the placement panel"):
        services.referral_create(actor=panel.officer, request=ReceivedRequestFactory(), **referral_kwargs())
    assert not Referral.objects.exists()


def test_referral_create_names_the_fields_at_fault(panel: Panel) -> None:
    errors = errors_of(
        lambda: services.referral_create(
            actor=panel.officer,
            request=AssessingRequestFactory(),
            **referral_kwargs(
                proposed_establishment=EstablishmentFactory(),  # a mainstream academy
                options=[{"establishment": IndependentSchoolFactory(), "meets_need": True, "reason": "x"}],
                cost_lines=[{"category": "holiday", "annual_amount_pence": -5}],
            ),
        )
    )
    assert errors["proposed_establishment"] == ["Select an independent or non-maintained special school"]
    assert errors["options"][0].endswith("is not a maintained school or academy")
    assert errors["cost_lines"] == ["Select the category of each cost", "The amount cannot be negative"]
    assert not Referral.objects.exists()
    assert not RequestEvent.objects.exists()


def test_an_incomplete_referral_can_be_saved_but_not_listed(panel: Panel) -> None:
    referral = services.referral_create(
        actor=panel.officer, request=AssessingRequestFactory(), kind="non_maintained_special"
    )
    meeting = ScheduledMeetingFactory(chair=panel.chair)
    errors = errors_of(lambda: services.agenda_add_item(actor=panel.chair, meeting=meeting, referral=referral))
    assert errors == {
        "proposed_establishment": ["Select the proposed school"],
        "parental_preference": ["Record the parents' or young person's preference"],
        "needs_summary": ["Enter a summary of the child's needs"],
        "options": ["Add at least one maintained or academy option considered"],
        "cost_lines": ["Add the requested annual cost"],
    }
    assert not AgendaItem.objects.exists()


def test_referral_update_completes_the_papers(panel: Panel) -> None:
    referral = ReferralFactory(options=[], cost_lines=[], needs_summary="")
    kwargs = referral_kwargs()
    updated = services.referral_update(
        actor=panel.officer,
        referral=referral,
        changes={"needs_summary": "  SEMH  "},
        options=kwargs["options"],
        cost_lines=kwargs["cost_lines"],
    )
    assert updated.needs_summary == "SEMH"
    assert services.referral_missing_for(updated) == []
    assert events("referral_updated")[0].payload["options_replaced"] is True


def test_referral_update_refuses_unknown_fields_and_listed_referrals(panel: Panel) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.referral_update(actor=panel.officer, referral=ReferralFactory(), changes={"status": "decided"})
    assert caught.value.field == "status"
    item = AgendaItemFactory()
    with pytest.raises(InvalidTransition, match="on an agenda cannot be changed"):
        services.referral_update(actor=panel.officer, referral=item.referral, changes={"notes": "x"})


# --- Members and meetings ------------------------------------------------------------------------


def test_panel_member_add_needs_a_head_teachers_school_and_the_panel_role(panel: Panel) -> None:
    outsider = make_user(Role.FINANCE_OFFICER, username="outsider")
    errors = errors_of(lambda: services.panel_member_add(actor=panel.chair, user=outsider, member_type="head_teacher"))
    assert errors == {
        "establishment": ["Select the school the head teacher leads"],
        "user": ["Give this person the panel member role first"],
    }
    newcomer = make_user(Role.PANEL_MEMBER, username="newcomer")
    member = services.panel_member_add(actor=panel.chair, user=newcomer, member_type="finance")
    assert (member.member_type, member.active) == ("finance", True)
    with pytest.raises(NotPermitted):
        services.panel_member_add(actor=panel.officer, user=newcomer, member_type="ep")


def test_meeting_schedule(panel: Panel) -> None:
    day = timezone.localdate() + timedelta(days=7)
    meeting = services.meeting_schedule(actor=panel.chair, held_on=day, starts_at=time(9, 30), location=" Room 1 ")
    assert (meeting.status, meeting.chair, meeting.location) == ("scheduled", panel.chair, "Room 1")
    errors = errors_of(
        lambda: services.meeting_schedule(
            actor=panel.chair, held_on=timezone.localdate() - timedelta(days=1), starts_at=None, location=""
        )
    )
    assert set(errors) == {"held_on", "starts_at", "location"}
    with pytest.raises(NotPermitted):
        services.meeting_schedule(actor=panel.sen.user, held_on=day, starts_at=time(9), location="x")


# --- Agenda ------------------------------------------------------------------------------------


def test_agenda_add_item_numbers_items_and_recuses_the_head_teacher_automatically(panel: Panel) -> None:
    meeting = ScheduledMeetingFactory(chair=panel.chair)
    own_school = ReferralFactory(options=[{"establishment": panel.head.establishment}])
    other = ReferralFactory()
    first = services.agenda_add_item(actor=panel.chair, meeting=meeting, referral=own_school)
    second = services.agenda_add_item(actor=panel.chair, meeting=meeting.pk, referral=other.pk)
    assert (first.position, second.position) == (1, 2)
    assert Referral.objects.get(pk=own_school.pk).status == "on_agenda"
    declaration = Declaration.objects.get()
    assert (declaration.member, declaration.item, declaration.automatic, declaration.recused) == (
        panel.head,
        first,
        True,
        True,
    )
    assert declaration.nature == "prejudicial"
    assert declaration.interest == "Head teacher of a school considered as an option"
    assert events("item_added")[0].payload["recused_member_ids"] == [panel.head.pk]


def test_a_referral_is_on_one_undecided_item_at_a_time(panel: Panel) -> None:
    item = AgendaItemFactory(meeting=ScheduledMeetingFactory(chair=panel.chair))
    with pytest.raises(InvalidTransition, match="on an agenda cannot be added to an agenda"):
        services.agenda_add_item(actor=panel.chair, meeting=ScheduledMeetingFactory(), referral=item.referral)


def test_after_the_papers_go_out_items_can_only_be_withdrawn_with_a_reason(panel: Panel) -> None:
    meeting = CirculatedMeetingFactory(chair=panel.chair)
    item = AgendaItemFactory(meeting=meeting)
    with pytest.raises(InvalidTransition, match="papers circulated cannot have items added"):
        services.agenda_add_item(actor=panel.chair, meeting=meeting, referral=ReferralFactory())
    assert errors_of(lambda: services.agenda_withdraw_item(actor=panel.chair, item=item, reason=" ")) == {
        "reason": ["Enter why the item is being withdrawn"]
    }
    withdrawn = services.agenda_withdraw_item(actor=panel.chair, item=item, reason="Family moved out of Kent")
    assert (withdrawn.status, withdrawn.withdrawn_reason) == ("withdrawn", "Family moved out of Kent")
    assert Referral.objects.get(pk=item.referral_id).status == "awaiting_panel"
    with pytest.raises(InvalidTransition, match="withdrawn and cannot be withdrawn"):
        services.agenda_withdraw_item(actor=panel.chair, item=item, reason="again")


def test_circulating_papers_fixes_the_agenda_and_recuses_newly_joined_head_teachers(panel: Panel) -> None:
    meeting = ScheduledMeetingFactory(chair=panel.chair)
    with pytest.raises(ValidationFailed) as caught:
        services.meeting_circulate_papers(actor=panel.chair, meeting=meeting)
    assert caught.value.field == "agenda"
    item = services.agenda_add_item(actor=panel.chair, meeting=meeting, referral=ReferralFactory())
    proposed = item.referral.proposed_establishment
    newcomer = HeadTeacherMemberFactory(establishment=proposed)
    circulated = services.meeting_circulate_papers(actor=panel.chair, meeting=meeting)
    assert circulated.status == "papers_circulated"
    assert Declaration.objects.get(member=newcomer).interest == "Head teacher of the proposed school"
    with pytest.raises(InvalidTransition):
        services.meeting_circulate_papers(actor=panel.chair, meeting=meeting)


# --- Declarations and attendance -------------------------------------------------------------


def test_declarations(panel: Panel) -> None:
    item = AgendaItemFactory(meeting=CirculatedMeetingFactory(chair=panel.chair))
    with pytest.raises(NotPermitted, match="Only members of the panel"):
        services.declaration_record(
            actor=make_user(Role.PANEL_MEMBER, username="not_a_member"), item=item, nature="none"
        )
    with pytest.raises(NotPermitted):
        services.declaration_record(actor=panel.officer, item=item, nature="none")
    assert errors_of(lambda: services.declaration_record(actor=panel.ep.user, item=item, nature="personal")) == {
        "interest": ["Describe the interest"]
    }
    assert errors_of(lambda: services.declaration_record(actor=panel.ep.user, item=item, nature="big"))["nature"]
    personal = services.declaration_record(
        actor=panel.ep.user, item=item, nature="personal", interest="Assessed a sibling in 2021"
    )
    assert personal.recused is False
    prejudicial = services.declaration_record(
        actor=panel.ep.user, item=item, nature="prejudicial", interest="Related to the family"
    )
    assert (prejudicial.pk, prejudicial.recused) == (personal.pk, True)
    assert Declaration.objects.count() == 1
    assert len(events("interest_declared")) == 2


def test_a_member_cannot_undo_an_automatic_recusal(panel: Panel) -> None:
    meeting = ScheduledMeetingFactory(chair=panel.chair)
    referral = ReferralFactory(proposed_establishment=IndependentSchoolFactory())
    referral.parental_preference_establishment = panel.head.establishment
    referral.save()
    item = services.agenda_add_item(actor=panel.chair, meeting=meeting, referral=referral)
    declaration = services.declaration_record(
        actor=panel.head.user, item=item, nature="none", interest="I know the family"
    )
    assert (declaration.recused, declaration.automatic, declaration.nature) == (True, True, "prejudicial")
    assert declaration.interest == "Head teacher of the school the parents prefer; I know the family"


def test_declarations_close_when_the_item_is_decided(panel: Panel) -> None:
    item = held_item(panel)
    approve(panel, item)
    with pytest.raises(InvalidTransition, match="decided: declarations are closed"):
        services.declaration_record(actor=panel.ep.user, item=item, nature="none")


def test_attendance_record_marks_every_member_and_can_be_corrected(panel: Panel) -> None:
    meeting = CirculatedMeetingFactory(chair=panel.chair)
    with pytest.raises(InvalidTransition):
        services.attendance_record(actor=panel.chair, meeting=ScheduledMeetingFactory(), present_member_ids=[])
    with pytest.raises(ValidationFailed) as caught:
        services.attendance_record(actor=panel.chair, meeting=meeting, present_member_ids=[999_999])
    assert caught.value.field == "present_member_ids"
    services.attendance_record(actor=panel.chair, meeting=meeting, present_member_ids=[panel.sen.pk, panel.ep.pk])
    rows = services.attendance_record(actor=panel.chair, meeting=meeting, present_member_ids=[panel.sen.pk])
    assert len(rows) == 5
    assert set(Attendance.objects.filter(meeting=meeting, present=True).values_list("member", flat=True)) == {
        panel.sen.pk
    }


def test_a_meeting_cannot_be_marked_held_before_its_day(panel: Panel) -> None:
    future = CirculatedMeetingFactory(chair=panel.chair)
    with pytest.raises(ValidationFailed) as caught:
        services.meeting_mark_held(actor=panel.chair, meeting=future)
    assert caught.value.field == "held_on"
    today = CirculatedMeetingFactory(chair=panel.chair, held_on=timezone.localdate())
    assert services.meeting_mark_held(actor=panel.chair, meeting=today).status == "held"


# --- Decisions ---------------------------------------------------------------------------------


def test_decision_record_approves_with_a_quorum_snapshot_and_reaches_the_timeline(panel: Panel) -> None:
    item = held_item(panel)
    decision = approve(panel, item, note="Ceiling agreed with the provider")
    assert decision.outcome == "approve"
    assert decision.meeting_status_at_decision == "held"
    assert decision.requested_annual_cost_pence == 6_000_000
    assert decision.recorded_by == panel.chair
    assert set(decision.participants.all()) == set(panel.members)
    assert decision.quorum["quorate"] is True
    assert decision.quorum["counts"] == {"sen": 2, "ep": 1, "finance": 1, "head_teacher": 1, "total": 5}
    assert decision.quorum["present_member_ids"] == sorted(m.pk for m in panel.members)
    assert decision.quorum["recused_member_ids"] == []
    assert AgendaItem.objects.get(pk=item.pk).status == "decided"
    assert Referral.objects.get(pk=item.referral_id).status == "decided"
    event = RequestEvent.objects.get(request=item.referral.request, action="panel_decision")
    assert event.payload["outcome"] == "approve"
    assert event.payload["meeting_id"] == item.meeting_id
    assert event.payload["decision_id"] == decision.pk
    assert event.from_status == event.to_status == "assessing"
    assert event.note == "Ceiling agreed with the provider"
    assert event.action_label == "Placement panel decision"
    assert events("decision_recorded")[0].payload["decision_id"] == decision.pk


def test_the_officer_who_referred_cannot_record_the_decision(panel: Panel) -> None:
    chair_who_referred = make_user(Role.PANEL_CHAIR, username="chair_and_referrer")
    item = held_item(panel, referral=ReferralFactory(referred_by=chair_who_referred, status="on_agenda"))
    with pytest.raises(NotPermitted, match="You made this referral"):
        services.decision_record(
            actor=chair_who_referred,
            item=item,
            outcome="decline",
            suitable_answer="yes",
            compatible_answer="yes",
            resources_answer="no",
            resources_text="x",
            reasons_text="x",
        )
    assert not PanelDecision.objects.exists()


def test_only_a_chair_records_decisions(panel: Panel) -> None:
    item = held_item(panel)
    with pytest.raises(NotPermitted):
        services.decision_record(
            actor=panel.sen.user,
            item=item,
            outcome="more_information",
            suitable_answer="not_assessed",
            compatible_answer="not_assessed",
            resources_answer="not_assessed",
            reasons_text="x",
        )


@pytest.mark.parametrize("factory", [ScheduledMeetingFactory, CirculatedMeetingFactory])
def test_no_decision_on_a_meeting_not_held(panel: Panel, factory: Any) -> None:
    item = AgendaItemFactory(meeting=factory(chair=panel.chair))
    panel.present(item.meeting)
    with pytest.raises(InvalidTransition, match="cannot have decisions recorded"):
        approve(panel, item)
    assert not PanelDecision.objects.exists()


def test_no_decision_after_the_minutes_are_approved(panel: Panel) -> None:
    item = held_item(panel)
    PanelMeeting.objects.filter(pk=item.meeting_id).update(status="minutes_approved")
    with pytest.raises(InvalidTransition):
        approve(panel, item)


def test_a_recused_member_cannot_be_recorded_as_taking_part(panel: Panel) -> None:
    item = held_item(panel)
    Declaration.objects.create(
        member=panel.head,
        item=item,
        nature="prejudicial",
        interest="Own school",
        recused=True,
        automatic=True,
        declared_at=timezone.now(),
    )
    errors = errors_of(lambda: approve(panel, item, participant_ids=[m.pk for m in panel.members]))
    assert errors == {"participants": [f"{panel.head.user.username} is recused from this item and cannot take part"]}
    decision = approve(panel, item)
    assert panel.head not in decision.participants.all()
    assert decision.quorum["recused_member_ids"] == [panel.head.pk]


def test_an_absent_member_cannot_be_recorded_as_taking_part(panel: Panel) -> None:
    item = held_item(panel, present=False)
    panel.present(item.meeting, panel.sen, panel.sen2, panel.ep, panel.finance)
    errors = errors_of(lambda: approve(panel, item, participant_ids=[panel.head.pk]))
    assert errors["participants"] == [f"{panel.head.user.username} was not recorded as present"]


def test_no_decision_without_a_finance_member(panel: Panel) -> None:
    item = held_item(panel, present=False)
    panel.present(item.meeting, panel.sen, panel.sen2, panel.ep, panel.head)
    with pytest.raises(InvalidTransition) as caught:
        approve(panel, item)
    assert caught.value.field == "quorum"
    assert caught.value.errors == {"quorum": ["No finance member present and not recused"]}


@override_settings(PANEL_MINIMUM_HEADCOUNT=5)
def test_a_recusal_can_take_the_item_below_the_headcount(panel: Panel) -> None:
    item = held_item(panel)
    services.declaration_record(actor=panel.sen2.user, item=item, nature="prejudicial", interest="Neighbour")
    with pytest.raises(InvalidTransition, match="Only 4 members present and not recused; at least 5 are needed"):
        approve(panel, item)


def test_decision_rules_name_the_fields(panel: Panel) -> None:
    item = held_item(panel)
    assert errors_of(lambda: approve(panel, item, agreed_annual_ceiling_pence=None)) == {
        "agreed_annual_ceiling_pence": ["Enter the agreed annual cost ceiling"]
    }
    assert errors_of(lambda: approve(panel, item, agreed_annual_ceiling_pence=-1)) == {
        "agreed_annual_ceiling_pence": ["The amount cannot be negative"]
    }
    assert "conditions" in errors_of(lambda: approve(panel, item, outcome="approve_with_conditions"))
    assert errors_of(lambda: approve(panel, item, outcome="decline", agreed_annual_ceiling_pence=None)) == {
        "outcome": ["Answer no to the s.39(4) test the request fails"]
    }
    assert errors_of(lambda: approve(panel, item, outcome="defer", agreed_annual_ceiling_pence=None)) == {
        "deferred_to": ["Select the meeting the item is deferred to"]
    }
    earlier = ScheduledMeetingFactory(held_on=timezone.localdate() - timedelta(days=30))
    assert errors_of(
        lambda: approve(panel, item, outcome="defer", agreed_annual_ceiling_pence=None, deferred_to=earlier)
    ) == {"deferred_to": ["Select a later meeting whose papers have not yet gone out"]}
    assert errors_of(lambda: approve(panel, item, outcome="yes please"))["outcome"]
    assert not PanelDecision.objects.exists()


def test_a_deferred_item_goes_onto_the_named_later_meeting(panel: Panel) -> None:
    item = held_item(panel)
    later = ScheduledMeetingFactory(chair=panel.chair)
    decision = approve(
        panel,
        item,
        outcome="defer",
        agreed_annual_ceiling_pence=None,
        deferred_to=later,
        reasons_text="Await OT report",
    )
    assert decision.deferred_to == later
    assert AgendaItem.objects.get(pk=item.pk).status == "decided"
    next_item = AgendaItem.objects.get(meeting=later)
    assert (next_item.referral_id, next_item.status, next_item.position) == (item.referral_id, "listed", 1)
    assert Referral.objects.get(pk=item.referral_id).status == "on_agenda"
    assert events("decision_recorded")[0].payload["next_item_id"] == next_item.pk


def test_more_information_returns_the_referral_to_the_queue(panel: Panel) -> None:
    item = held_item(panel)
    approve(panel, item, outcome="more_information", agreed_annual_ceiling_pence=None, reasons_text="Need costs")
    assert Referral.objects.get(pk=item.referral_id).status == "awaiting_panel"


def test_one_decision_per_item(panel: Panel) -> None:
    item = held_item(panel)
    approve(panel, item)
    with pytest.raises(Conflict, match="already been recorded"):
        approve(panel, item)


def test_a_failure_half_way_leaves_nothing_behind(panel: Panel, monkeypatch: pytest.MonkeyPatch) -> None:
    item = held_item(panel)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("timeline unavailable")

    monkeypatch.setattr(services.request_services, "request_record_panel_outcome", broken)
    with pytest.raises(RuntimeError):
        approve(panel, item)
    assert not PanelDecision.objects.exists()
    assert AgendaItem.objects.get(pk=item.pk).status == "listed"
    assert Referral.objects.get(pk=item.referral_id).status == "on_agenda"
    assert not events("decision_recorded")


# --- Minutes -----------------------------------------------------------------------------------


def test_minutes_are_drafted_edited_approved_then_read_only(panel: Panel) -> None:
    item = held_item(panel)
    meeting = item.meeting
    with pytest.raises(ValidationFailed) as caught:
        services.minutes_generate(actor=panel.chair, meeting=meeting)
    assert caught.value.field == "agenda"
    approve(panel, item)
    with pytest.raises(ValidationFailed) as caught:
        services.minutes_approve(actor=panel.chair, meeting=meeting)
    assert caught.value.field == "minutes"
    minutes = services.minutes_generate(actor=panel.chair, meeting=meeting)
    child = item.referral.request.child
    assert f"child {child.initials}" in minutes.body
    assert child.surname not in minutes.body and child.surname not in json.dumps(minutes.content)
    assert "Outcome: Approved" in minutes.body
    assert minutes.content["items"][0]["decision"]["agreed_annual_ceiling_pence"] == 5_800_000
    edited = services.minutes_update(actor=panel.chair, minutes=minutes, body=minutes.body + "Any other business: none")
    assert edited.body.endswith("Any other business: none\n")
    with pytest.raises(NotPermitted):
        services.minutes_approve(actor=panel.sen.user, meeting=meeting)
    approved = services.minutes_approve(actor=panel.chair, meeting=meeting)
    assert (approved.status, approved.approved_by) == ("approved", panel.chair)
    assert approved.approved_at is not None
    assert PanelMeeting.objects.get(pk=meeting.pk).status == "minutes_approved"
    with pytest.raises(InvalidTransition, match="approved and cannot be changed"):
        services.minutes_update(actor=panel.chair, minutes=minutes, body="rewritten")
    with pytest.raises(InvalidTransition):
        services.minutes_generate(actor=panel.chair, meeting=meeting)
    with pytest.raises(InvalidTransition):
        services.minutes_approve(actor=panel.chair, meeting=meeting)
    assert PanelMinutes.objects.get().body == edited.body


# --- The pack ----------------------------------------------------------------------------------


def circulated_pack_meeting(panel: Panel) -> tuple[PanelMeeting, list[AgendaItem]]:
    meeting = CirculatedMeetingFactory(chair=panel.chair)
    children = [
        ChildFactory(forename="Zebedee", surname="Quixotic", upn="Q123456789012"),
        ChildFactory(forename="Yolanda", surname="Xylophone", upn="X123456789012"),
    ]
    items = [
        AgendaItemFactory(
            meeting=meeting,
            referral=ReferralFactory(request=AssessingRequestFactory(child=child), status="on_agenda"),
        )
        for child in children
    ]
    return meeting, items


def test_a_head_teachers_pack_holds_no_name_date_of_birth_or_upn(panel: Panel) -> None:
    meeting, items = circulated_pack_meeting(panel)
    pack = services.pack_for(meeting=meeting, user=panel.head.user)
    text = json.dumps(pack)
    for item in items:
        child = item.referral.request.child
        for secret in (
            child.forename,
            child.surname,
            child.upn,
            child.date_of_birth.isoformat(),
            child.date_of_birth.strftime("%d/%m/%Y"),
        ):
            assert secret not in text
        assert str(child.date_of_birth.year) not in text
    assert pack["viewer"]["minimised"] is True
    first = pack["items"][0]["child"]
    assert set(first) == {"initials", "age", "district", "primary_need"}
    assert first["initials"] == "ZQ"


def test_other_members_see_the_name_and_every_read_is_logged(panel: Panel) -> None:
    meeting, items = circulated_pack_meeting(panel)
    pack = services.pack_for(meeting=meeting, user=panel.ep.user, path="/panels/1/pack/")
    assert [i["child"]["name"] for i in pack["items"]] == ["Zebedee Quixotic", "Yolanda Xylophone"]
    assert pack["items"][0]["requested_annual_cost_pence"] == 6_000_000
    assert pack["items"][0]["options"][0]["meets_need"] is False
    rows = AccessLog.objects.filter(user=panel.ep.user)
    assert sorted(rows.values_list("child_id", flat=True)) == sorted(i.referral.request.child_id for i in items)
    assert set(rows.values_list("object_type", "action", "path")) == {("panel_pack", "view", "/panels/1/pack/")}


def test_the_pack_shows_recusals_and_withholds_papers_from_the_recused(panel: Panel) -> None:
    meeting, items = circulated_pack_meeting(panel)
    Declaration.objects.create(
        member=panel.head,
        item=items[0],
        nature="prejudicial",
        interest="Head teacher of the proposed school",
        recused=True,
        automatic=True,
        declared_at=timezone.now(),
    )
    pack = services.pack_for(meeting=meeting, user=panel.head.user)
    first, second = pack["items"]
    assert first["you_are_recused"] is True and first["papers_withheld"] is True
    assert "child" not in first and "needs_summary" not in first
    assert first["declarations"][0]["automatic"] is True
    assert first["recused_member_ids"] == [panel.head.pk]
    assert second["you_are_recused"] is False
    # Only the child whose papers were shown is logged.
    assert list(AccessLog.objects.filter(user=panel.head.user).values_list("child_id", flat=True)) == [
        items[1].referral.request.child_id
    ]
    chair_pack = services.pack_for(meeting=meeting, user=panel.chair)
    assert chair_pack["items"][0]["child"]["name"] == "Zebedee Quixotic"
    assert chair_pack["items"][0]["declarations"][0]["recused"] is True


def test_members_see_no_pack_before_the_papers_go_out(panel: Panel) -> None:
    meeting = ScheduledMeetingFactory(chair=panel.chair)
    AgendaItemFactory(meeting=meeting)
    with pytest.raises(NotPermitted):
        services.pack_for(meeting=meeting, user=panel.ep.user)
    with pytest.raises(NotPermitted):
        services.pack_for(meeting=meeting, user=panel.officer)
    assert services.pack_for(meeting=meeting, user=panel.chair)["items"]
    assert not AccessLog.objects.filter(user=panel.ep.user).exists()


def test_a_panel_role_without_a_membership_sees_nothing(panel: Panel) -> None:
    meeting, _ = circulated_pack_meeting(panel)
    lapsed = PanelMemberFactory(active=False)
    with pytest.raises(NotPermitted):
        services.pack_for(meeting=meeting, user=lapsed.user)


# --- Visibility --------------------------------------------------------------------------------


def test_meeting_and_referral_visibility(panel: Panel) -> None:
    scheduled = ScheduledMeetingFactory(chair=panel.chair)
    circulated, items = circulated_pack_meeting(panel)
    waiting = ReferralFactory()
    manager = make_user(Role.MANAGER, username="manager")
    assert set(PanelMeeting.objects.visible_to(panel.chair)) == {scheduled, circulated}
    assert set(PanelMeeting.objects.visible_to(manager)) == {scheduled, circulated}
    assert set(PanelMeeting.objects.visible_to(panel.head.user)) == {circulated}
    assert not PanelMeeting.objects.visible_to(panel.officer).exists()
    everything = {waiting, *(i.referral for i in items)}
    assert set(Referral.objects.visible_to(panel.officer)) == everything
    assert set(Referral.objects.visible_to(panel.chair)) == everything
    assert set(Referral.objects.visible_to(panel.ep.user)) == {i.referral for i in items}
    assert not Referral.objects.visible_to(make_user(Role.FINANCE_OFFICER, username="fo")).exists()
    assert not Referral.objects.visible_to(AnonymousUser()).exists()
