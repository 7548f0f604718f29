"""Issue 12, items 1-9: the placement panel's governance, one named regression test (or more)
per item, each failing on the code before the fix. Rules are tested without a database where
they are pure (``panels.workflow``); each door that shows a referral is tested separately."""

from __future__ import annotations

import json
import re
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import InvalidTransition, NotPermitted, ValidationFailed
from core.models import AccessLog
from core.roles import Role
from panels import services, workflow
from panels.models import AgendaItem, Declaration, PanelDecision, PanelMeeting, PanelMinutes, Referral
from tests.conftest import make_user
from tests.panels.factories import (
    AgendaItemFactory,
    CirculatedMeetingFactory,
    HeldMeetingFactory,
    Panel,
    PanelDecisionFactory,
    PanelMemberFactory,
    ReferralFactory,
    ScheduledMeetingFactory,
    make_panel,
)
from tests.placements.factories import ContractFactory
from tests.requests_app.factories import AssessingRequestFactory, ChildFactory

API = "/api/panel"
CHILD = workflow.ChildIdentifiers(
    forename="Isabella", surname="Taylor-Smith", date_of_birth=date(2015, 4, 3), upn="A123456789012"
)
DECLINE = {
    "outcome": "decline",
    "suitable_answer": "yes",
    "compatible_answer": "yes",
    "resources_answer": "no",
    "resources_text": "A maintained place meets need at far lower cost",
    "reasons_text": "Need can be met at the maintained option",
}


@pytest.fixture
def panel(db: None) -> Panel:
    return make_panel()


def _approve(actor: Any, item: AgendaItem, **overrides: Any) -> PanelDecision:
    values: dict[str, Any] = {
        "outcome": "approve",
        "suitable_answer": "yes",
        "compatible_answer": "yes",
        "resources_answer": "yes",
        "reasons_text": "Only a small therapeutic setting can meet need",
        "agreed_annual_ceiling_pence": 6_000_000,
        **overrides,
    }
    return services.decision_record(actor=actor, item=item, **values)


def _held_item(panel: Panel, **referral: Any) -> AgendaItem:
    meeting = HeldMeetingFactory(chair=panel.chair)
    item = AgendaItemFactory(meeting=meeting, referral=ReferralFactory(status="on_agenda", **referral))
    panel.present(meeting)
    return item


def _recuse(member: Any, item: AgendaItem) -> None:
    Declaration.objects.create(
        member=member,
        item=item,
        nature="prejudicial",
        interest="Head teacher of the proposed school",
        recused=True,
        automatic=True,
        declared_at=timezone.now(),
    )


def _api(api_client_for: Any, user: Any) -> Any:
    return api_client_for(user)


# --- Item 1: every door gives a recused or minimised member only what the pack gives them ------


def _recused_head_item(panel: Panel) -> AgendaItem:
    meeting = CirculatedMeetingFactory(chair=panel.chair)
    item = AgendaItemFactory(
        meeting=meeting,
        referral=ReferralFactory(status="on_agenda", needs_summary="Severe anxiety; a small setting"),
    )
    _recuse(panel.head, item)
    return item


def test_item1_recused_head_teacher_gets_minimised_referral_from_api_detail(panel: Panel, api_client_for: Any) -> None:
    item = _recused_head_item(panel)
    body = _api(api_client_for, panel.head.user).get(f"{API}/referrals/{item.referral_id}/").json()
    assert body["papers_access"] == "withheld" and body["papers_withheld"] is True
    for secret in ("needs_summary", "options", "cost_lines", "evidence", "notes", "child", "request_reference"):
        assert secret not in body
    assert not AccessLog.objects.filter(user=panel.head.user).exists()


def test_item1_recused_head_teacher_gets_withheld_referral_from_api_list_and_json(
    panel: Panel, api_client_for: Any
) -> None:
    item = _recused_head_item(panel)
    client = _api(api_client_for, panel.head.user)
    listed = client.get(f"{API}/referrals/").json()["results"]
    assert [(r["id"], r["papers_access"]) for r in listed] == [(item.referral_id, "withheld")]
    assert "child" not in listed[0]
    as_json = client.get(f"{API}/referrals/{item.referral_id}.json")
    assert as_json.status_code == 200
    assert "needs_summary" not in as_json.json()


def test_item1_head_teacher_gets_the_pack_representation_from_the_api(panel: Panel, api_client_for: Any) -> None:
    meeting = CirculatedMeetingFactory(chair=panel.chair)
    item = AgendaItemFactory(meeting=meeting, referral=ReferralFactory(status="on_agenda", notes="Internal note"))
    body = _api(api_client_for, panel.head.user).get(f"{API}/referrals/{item.referral_id}/").json()
    pack = services.pack_for(meeting=meeting, user=panel.head.user)["items"][0]
    assert body["papers_access"] == "minimised"
    assert body["child"] == pack["child"] and body["needs_summary"] == pack["needs_summary"]
    assert "notes" not in body and "request_reference" not in body


def test_item1_pack_json_answers_for_a_member(panel: Panel, api_client_for: Any) -> None:
    item = _recused_head_item(panel)
    response = _api(api_client_for, panel.head.user).get(f"{API}/meetings/{item.meeting_id}/pack.json")
    assert response.status_code == 200
    assert response.json()["items"][0]["papers_withheld"] is True


def test_item1_recused_member_gets_no_decision_papers_from_the_agenda_item_api(
    panel: Panel, api_client_for: Any
) -> None:
    decision = PanelDecisionFactory(item__meeting=HeldMeetingFactory(chair=panel.chair))
    _recuse(panel.head, decision.item)
    body = _api(api_client_for, panel.head.user).get(f"{API}/agenda-items/{decision.item_id}/").json()
    assert body["decision"] is None
    other = _api(api_client_for, panel.ep.user).get(f"{API}/agenda-items/{decision.item_id}/").json()
    assert other["decision"]["id"] == decision.pk


def test_item1_recused_member_sees_no_child_or_cost_on_the_meeting_page(panel: Panel, client: Any) -> None:
    item = _recused_head_item(panel)
    client.force_login(panel.head.user)
    page = client.get(reverse("panels:meeting-detail", args=[item.meeting_id])).content.decode()
    row = page.split(f'id="item-{item.position}"')[1].split("</tr>")[0]
    assert item.referral.request.child.initials not in row and "Withheld" in row
    assert "£60,000.00" not in page


def test_item1_recused_chair_gets_withheld_referral_page(panel: Panel, client: Any) -> None:
    chair_member = PanelMemberFactory(user=make_user(Role.PANEL_CHAIR, username="chair_member"))
    item = AgendaItemFactory(meeting=CirculatedMeetingFactory(chair=panel.chair))
    Declaration.objects.create(
        member=chair_member,
        item=item,
        nature="prejudicial",
        interest="Knows the family",
        recused=True,
        declared_at=timezone.now(),
    )
    client.force_login(chair_member.user)
    page = client.get(reverse("panels:referral-detail", args=[item.referral_id])).content.decode()
    assert 'id="papers-withheld"' in page
    assert item.referral.request.child.full_name not in page


# --- Item 2: the proposer takes no part and does not count for quorum --------------------------


def test_item2_proposer_member_is_not_counted_for_quorum(panel: Panel) -> None:
    item = _held_item(panel, referred_by=panel.sen.user)
    # sen2 absent: without the proposer no SEN member sits on the item.
    item.meeting.attendance.filter(member=panel.sen2).update(present=False)
    with pytest.raises(InvalidTransition, match="No SEN member"):
        _approve(panel.chair, item)
    assert not PanelDecision.objects.exists()


def test_item2_proposer_member_is_not_among_the_members_taking_part(panel: Panel) -> None:
    item = _held_item(panel, referred_by=panel.sen.user)
    decision = _approve(panel.chair, item)
    participant_ids = set(decision.participants.values_list("pk", flat=True))
    assert panel.sen.pk not in participant_ids
    assert decision.quorum["proposer_member_id"] == panel.sen.pk
    with pytest.raises(ValidationFailed) as caught:
        _approve(panel.chair, _held_item(panel, referred_by=panel.sen.user), participant_ids=[panel.sen.pk])
    assert "takes no part" in caught.value.errors["participants"][0]


def test_item2_decision_page_does_not_offer_the_proposer(panel: Panel, client: Any) -> None:
    item = _held_item(panel, referred_by=panel.sen.user)
    client.force_login(panel.chair)
    page = client.get(reverse("panels:decide", args=[item.pk])).content.decode()
    assert 'id="proposer"' in page
    offered = {int(pk) for pk in re.findall(r'name="participants" type="checkbox" value="(\d+)"', page)}
    assert offered and panel.sen.pk not in offered


# --- Item 3: a vice-chair takes the chair's item, or the chair defers it -----------------------


def _vice_chair(panel: Panel, meeting: PanelMeeting, *, present: bool = True) -> Any:
    vice = PanelMemberFactory(
        user=make_user(Role.PANEL_CHAIR, username="vice_chair", first_name="Val", last_name="Vice")
    )
    meeting.attendance.create(member=vice, present=present)
    return vice


def test_item3_vice_chair_present_takes_the_item_the_chair_referred(panel: Panel) -> None:
    item = _held_item(panel, referred_by=panel.chair)
    vice = _vice_chair(panel, item.meeting)
    with pytest.raises(NotPermitted, match="vice-chair"):
        _approve(panel.chair, item)
    decision = _approve(vice.user, item)
    assert decision.chaired_by == vice.user
    services.minutes_generate(actor=panel.chair, meeting=item.meeting)
    assert "Item taken by Val Vice in the chair's place" in PanelMinutes.objects.get().body


@pytest.mark.parametrize("case", ["absent", "recused"])
def test_item3_vice_chair_must_be_present_and_not_conflicted(panel: Panel, case: str) -> None:
    item = _held_item(panel, referred_by=panel.chair)
    vice = _vice_chair(panel, item.meeting, present=case != "absent")
    if case == "recused":
        Declaration.objects.create(
            member=vice,
            item=item,
            nature="prejudicial",
            interest="Knows the family",
            recused=True,
            declared_at=timezone.now(),
        )
    with pytest.raises(NotPermitted):
        _approve(vice.user, item)


def test_item3_chair_defers_an_item_they_referred_and_the_minutes_can_be_drafted(panel: Panel) -> None:
    item = _held_item(panel, referred_by=panel.chair)
    later = ScheduledMeetingFactory(chair=panel.chair)
    services.agenda_defer_item(
        actor=panel.chair, item=item, deferred_to=later, reason="The chair referred it; no vice-chair"
    )
    item.refresh_from_db()
    assert item.status == "deferred" and item.deferred_to == later
    assert AgendaItem.objects.get(meeting=later).referral_id == item.referral_id
    minutes = services.minutes_generate(actor=panel.chair, meeting=item.meeting)
    assert "Deferred by the chair to the meeting of" in minutes.body
    assert "The chair referred it; no vice-chair" in minutes.body


@pytest.mark.parametrize(
    ("deferred_to", "reason", "field"),
    [(None, "x", "deferred_to"), ("earlier", "x", "deferred_to"), ("later", " ", "reason")],
)
def test_item3_a_deferral_needs_a_later_meeting_and_a_reason(
    panel: Panel, deferred_to: str | None, reason: str, field: str
) -> None:
    item = _held_item(panel)
    meetings = {"later": ScheduledMeetingFactory(chair=panel.chair), "earlier": item.meeting, None: None}
    with pytest.raises(ValidationFailed) as caught:
        services.agenda_defer_item(actor=panel.chair, item=item, deferred_to=meetings[deferred_to], reason=reason)
    assert field in caught.value.errors


def test_item3_api_defers_an_item(panel: Panel, api_client_for: Any) -> None:
    item = _held_item(panel, referred_by=panel.chair)
    later = ScheduledMeetingFactory(chair=panel.chair)
    response = _api(api_client_for, panel.chair).post(
        f"{API}/agenda-items/{item.pk}/defer/", {"deferred_to_id": later.pk, "reason": "Chair referred"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "deferred" and response.json()["deferred_to_id"] == later.pk


def test_item3_rule_names_the_way_through() -> None:
    refusal = workflow.item_chair_refusal(
        actor_id=1, meeting_chair_id=1, proposer_id=1, recused_user_ids=(), present_user_ids=()
    )
    assert refusal is not None and "vice-chair" in refusal and "defer" in refusal
    assert (
        workflow.item_chair_refusal(
            actor_id=2, meeting_chair_id=1, proposer_id=1, recused_user_ids=(), present_user_ids={2}
        )
        is None
    )


# --- Item 4: declarations after circulation change only through the chair ---------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (("prejudicial", True), ("none", False)),
        (("prejudicial", True), ("personal", False)),
        (("personal", False), ("none", False)),
        (("personal", True), ("personal", False)),
    ],
)
def test_item4_a_member_cannot_weaken_a_declaration_once_papers_are_out(
    before: tuple[str, bool], after: tuple[str, bool]
) -> None:
    refusal = workflow.member_declaration_refusal(
        meeting_status="papers_circulated",
        before=workflow.DeclarationState(*before),
        after=workflow.DeclarationState(*after),
    )
    assert refusal is not None and "chair" in refusal
    assert (
        workflow.member_declaration_refusal(
            meeting_status="scheduled",
            before=workflow.DeclarationState(*before),
            after=workflow.DeclarationState(*after),
        )
        is None
    )


def test_item4_redeclaring_no_interest_does_not_unrecuse_a_member(panel: Panel) -> None:
    item = AgendaItemFactory(meeting=CirculatedMeetingFactory(chair=panel.chair))
    services.declaration_record(actor=panel.ep.user, item=item, nature="prejudicial", interest="Knows the family")
    with pytest.raises(InvalidTransition, match="Ask the chair"):
        services.declaration_record(actor=panel.ep.user, item=item, nature="none")
    assert Declaration.objects.get(member=panel.ep).recused is True
    # Adding to a declaration is still the member's own act.
    services.declaration_record(actor=panel.sen.user, item=item, nature="none")
    services.declaration_record(actor=panel.sen.user, item=item, nature="personal", interest="Former colleague")


def test_item4_chair_corrects_a_declaration_with_a_reason_and_the_minutes_record_it(panel: Panel) -> None:
    item = _held_item(panel)
    declaration = services.declaration_record(
        actor=panel.ep.user, item=item, nature="prejudicial", interest="Wrong item"
    )
    with pytest.raises(ValidationFailed) as caught:
        services.declaration_correct(actor=panel.chair, declaration=declaration, nature="none", reason=" ")
    assert "reason" in caught.value.errors
    with pytest.raises(NotPermitted):
        services.declaration_correct(actor=panel.ep.user, declaration=declaration, nature="none", reason="x")
    services.declaration_correct(
        actor=panel.chair, declaration=declaration, nature="none", reason="Declared on the wrong item"
    )
    assert Declaration.objects.get(pk=declaration.pk).recused is False
    _approve(panel.chair, item)
    body = services.minutes_generate(actor=panel.chair, meeting=item.meeting).body
    assert "Declaration corrected by" in body and "Declared on the wrong item" in body
    assert "prejudicial interest -> no interest" in body


# --- Item 5: attendance is fixed by the first decision ----------------------------------------


def test_item5_attendance_cannot_be_rewritten_after_a_decision(panel: Panel) -> None:
    item = _held_item(panel)
    _approve(panel.chair, item)
    with pytest.raises(InvalidTransition, match="Attendance was fixed"):
        services.attendance_record(actor=panel.chair, meeting=item.meeting, present_member_ids=[panel.sen.pk])
    assert item.meeting.attendance.filter(present=True).count() == len(panel.members)


def test_item5_chair_corrects_attendance_with_a_reason_shown_in_the_minutes(panel: Panel) -> None:
    item = _held_item(panel)
    _approve(panel.chair, item)
    with pytest.raises(ValidationFailed):
        services.attendance_correct(
            actor=panel.chair, meeting=item.meeting, member_id=panel.head.pk, present=False, reason=""
        )
    services.attendance_correct(
        actor=panel.chair, meeting=item.meeting, member_id=panel.head.pk, present=False, reason="Left before the items"
    )
    body = services.minutes_generate(actor=panel.chair, meeting=item.meeting).body
    assert "Attendance corrected by" in body and "recorded as absent – Left before the items" in body


def test_item5_meeting_page_offers_correction_not_rerecording_after_a_decision(panel: Panel, client: Any) -> None:
    item = _held_item(panel)
    _approve(panel.chair, item)
    client.force_login(panel.chair)
    page = client.get(reverse("panels:meeting-detail", args=[item.meeting_id])).content.decode()
    assert reverse("panels:attendance-correct", args=[item.meeting_id]) in page
    assert f'href="{reverse("panels:attendance", args=[item.meeting_id])}"' not in page


# --- Item 6: an approval assesses every test; an odd ceiling needs a reason --------------------


@pytest.mark.parametrize("test", sorted(workflow.S39_TESTS))
def test_item6_an_approval_must_assess_every_s39_test(test: str) -> None:
    values = {
        "suitable_answer": "yes",
        "compatible_answer": "yes",
        "resources_answer": "yes",
        f"{test}_answer": "not_assessed",
        "reasons_text": "x",
        "agreed_annual_ceiling_pence": 100,
        "requested_annual_cost_pence": 100,
    }
    assert [field for field, _ in workflow.decision_missing("approve", values)] == [f"{test}_answer"]


@pytest.mark.parametrize(
    ("ceiling", "lowest_option", "needs_reason"),
    [
        (1, None, True),  # 1p against £78,450 requested
        (20_000_000, None, True),  # £200,000 against £78,450
        (7_845_000 * 110 // 100, None, False),  # exactly 10% above: allowed
        (7_845_000 * 110 // 100 + 1, None, True),
        (2_000_000, 2_500_000, True),  # below the cheapest costed option
        (2_500_000, 2_500_000, False),
    ],
)
def test_item6_a_ceiling_far_from_the_request_needs_a_reason(
    ceiling: int, lowest_option: int | None, needs_reason: bool
) -> None:
    values = {
        "suitable_answer": "yes",
        "compatible_answer": "yes",
        "resources_answer": "yes",
        "reasons_text": "x",
        "agreed_annual_ceiling_pence": ceiling,
        "requested_annual_cost_pence": 7_845_000,
        "lowest_option_cost_pence": lowest_option,
    }
    fields = [field for field, _ in workflow.decision_missing("approve", values)]
    assert fields == (["ceiling_reason"] if needs_reason else [])
    assert workflow.decision_missing("approve", {**values, "ceiling_reason": "Agreed with the provider"}) == []


def test_item6_service_refuses_an_unassessed_approval_and_an_unexplained_ceiling(panel: Panel) -> None:
    item = _held_item(panel)  # requested £60,000; the option costs £25,000
    with pytest.raises(ValidationFailed) as caught:
        _approve(panel.chair, item, resources_answer="not_assessed", agreed_annual_ceiling_pence=20_000_000)
    assert {"resources_answer", "ceiling_reason"} <= set(caught.value.errors)
    with pytest.raises(ValidationFailed) as caught:
        _approve(panel.chair, item, agreed_annual_ceiling_pence=1)
    assert "lowest costed option" in caught.value.errors["ceiling_reason"][0]
    decision = _approve(panel.chair, item, agreed_annual_ceiling_pence=1_000_000, ceiling_reason="Top-up only")
    assert decision.ceiling_reason == "Top-up only"


def test_item6_minutes_list_who_took_part_the_quorum_the_cost_and_the_ceiling(panel: Panel) -> None:
    item = _held_item(panel)
    _approve(panel.chair, item, agreed_annual_ceiling_pence=5_900_000)
    body = services.minutes_generate(actor=panel.chair, meeting=item.meeting).body
    assert "Members taking part: " in body
    for member in panel.members:
        assert (member.user.get_full_name() or member.user.username) in body.split("Members taking part: ")[1].split(
            "\n"
        )[0]
    assert "Quorum: quorate" in body and "5 taking part in all" in body
    assert "Requested annual cost: £60,000.00" in body
    assert "Agreed annual cost ceiling: £59,000.00" in body


# --- Item 7: the child's identifiers in free text -------------------------------------------


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Isabella has severe anxiety", ["forename"]),
        ("ISABELLA TAYLOR-SMITH", ["full name"]),
        ("Taylor-Smith family", ["surname"]),
        ("Mrs Taylor says", ["surname"]),
        ("Born 03/04/2015", ["date of birth"]),
        ("born 3/4/15", ["date of birth"]),
        ("dob 2015-04-03", ["date of birth"]),
        ("born on 3rd April 2015", ["date of birth"]),
        ("born April 3, 2015", ["date of birth"]),
        ("UPN A123 4567 89012", ["UPN"]),
        ("the school will help; needs small classes", []),
        ("Seen on 13/04/2015", []),
    ],
)
def test_item7_identifiers_are_found_in_free_text(text: str, kinds: list[str]) -> None:
    assert workflow.identifiers_in(text, CHILD) == kinds
    redacted = workflow.redact_identifiers(text, CHILD)
    assert (workflow.REDACTED in redacted) is bool(kinds)
    assert workflow.identifiers_in(redacted, CHILD) == []


def test_item7_saving_free_text_that_names_the_child_is_refused_naming_the_field(panel: Panel) -> None:
    child = ChildFactory(forename="Isabella", surname="Taylor-Smith", date_of_birth=date(2015, 4, 3))
    referral = ReferralFactory(request=AssessingRequestFactory(child=child))
    with pytest.raises(ValidationFailed) as caught:
        services.referral_update(
            actor=panel.officer, referral=referral, changes={"needs_summary": "Isabella needs a small class"}
        )
    assert caught.value.errors["needs_summary"] == [
        workflow.identifier_message("The summary of needs", ["forename"], "IT")
    ]
    with pytest.raises(ValidationFailed) as caught:
        services.referral_create(
            actor=panel.officer,
            request=AssessingRequestFactory(
                child=ChildFactory(forename="Isabella", surname="Taylor-Smith", date_of_birth=date(2015, 4, 3))
            ),
            kind="therapy",
            evidence=["EP report on Isabella Taylor-Smith, born 3 April 2015"],
        )
    assert "full name and date of birth" in caught.value.errors["evidence"][0]


def test_item7_a_minimised_pack_redacts_identifiers_in_data_html_and_api(
    panel: Panel, client: Any, api_client_for: Any
) -> None:
    child = ChildFactory(
        forename="Isabella", surname="Taylor-Smith", date_of_birth=date(2015, 4, 3), upn="A123456789012"
    )
    meeting = CirculatedMeetingFactory(chair=panel.chair)
    # Written straight to the table, as an import or an old row might be: the pack still redacts.
    referral = ReferralFactory(
        request=AssessingRequestFactory(child=child),
        status="on_agenda",
        needs_summary="Isabella (DOB 03/04/2015, UPN A123456789012) needs a small class",
        evidence=["Letter from Mrs Taylor-Smith"],
    )
    AgendaItemFactory(meeting=meeting, referral=referral)
    secrets = ("Isabella", "Taylor-Smith", "03/04/2015", "A123456789012")
    pack = json.dumps(services.pack_for(meeting=meeting, user=panel.head.user))
    client.force_login(panel.head.user)
    html = client.get(reverse("panels:pack", args=[meeting.pk])).content.decode()
    api = _api(api_client_for, panel.head.user).get(f"{API}/referrals/{referral.pk}/").content.decode()
    for text in (pack, html, api):
        assert workflow.REDACTED in text
        for secret in secrets:
            assert secret not in text
    # Officers read the papers as written.
    assert "Isabella" in services.pack_for(meeting=meeting, user=panel.ep.user)["items"][0]["needs_summary"]


# --- Item 8: a head teacher reads only their meetings' papers, until the minutes are approved --


def test_item8_head_teacher_reads_only_meetings_circulated_to_them(panel: Panel, api_client_for: Any) -> None:
    theirs = CirculatedMeetingFactory(chair=panel.chair)
    other = CirculatedMeetingFactory(chair=panel.chair, circulated_to=[panel.sen, panel.ep])
    item = AgendaItemFactory(meeting=other)
    assert set(PanelMeeting.objects.visible_to(panel.head.user)) == {theirs}
    with pytest.raises(NotPermitted):
        services.pack_for(meeting=other, user=panel.head.user)
    assert _api(api_client_for, panel.head.user).get(f"{API}/referrals/{item.referral_id}/").status_code == 404
    assert other in PanelMeeting.objects.visible_to(panel.ep.user)


def test_item8_head_teacher_loses_the_papers_once_the_minutes_are_approved(panel: Panel, client: Any) -> None:
    item = _held_item(panel)
    _approve(panel.chair, item)
    services.pack_for(meeting=item.meeting, user=panel.head.user)
    services.minutes_generate(actor=panel.chair, meeting=item.meeting)
    services.minutes_approve(actor=panel.chair, meeting=item.meeting)
    with pytest.raises(NotPermitted):
        services.pack_for(meeting=item.meeting, user=panel.head.user)
    assert not Referral.objects.visible_to(panel.head.user).exists()
    client.force_login(panel.head.user)
    assert client.get(reverse("panels:pack", args=[item.meeting_id])).status_code == 403
    assert services.pack_for(meeting=item.meeting, user=panel.ep.user)["items"]


def test_item8_circulating_records_the_meetings_members(panel: Panel) -> None:
    meeting = services.meeting_schedule(
        actor=panel.chair, held_on=timezone.localdate() + timedelta(days=7), starts_at=time(10), location="Room 2"
    )
    services.agenda_add_item(actor=panel.chair, meeting=meeting, referral=ReferralFactory())
    services.meeting_circulate_papers(actor=panel.chair, meeting=meeting)
    assert set(meeting.circulated_to.all()) == set(panel.members)
    late = PanelMemberFactory(member_type="head_teacher", establishment=panel.head.establishment)
    assert meeting not in PanelMeeting.objects.visible_to(late.user)


# --- Item 9: links for the SEN officer and finance ------------------------------------------


def test_item9_sen_officer_finds_the_referrals_from_the_navigation_and_home_page(panel: Panel, client: Any) -> None:
    client.force_login(panel.officer)
    home = client.get(reverse("home")).content.decode()
    assert home.count(f'href="{reverse("panels:referral-list")}"') >= 2  # navigation and "Where to start"


def test_item9_finance_reads_the_panel_decision_a_contract_links_to(db: None, client: Any) -> None:
    contract = ContractFactory()
    finance = make_user(Role.FINANCE_OFFICER, username="finance_reader")
    client.force_login(finance)
    page = client.get(reverse("placements:contract-detail", args=[contract.pk])).content.decode()
    link = reverse("panels:decision-detail", args=[contract.panel_decision_id])
    assert f'href="{link}"' in page
    decision_page = client.get(link)
    assert decision_page.status_code == 200
    assert "Agreed annual cost ceiling" in decision_page.content.decode()


def test_item9_finance_reads_approvals_only_through_the_decision_visibility_rule(db: None) -> None:
    approval = PanelDecisionFactory()
    decline = PanelDecisionFactory(outcome="decline", agreed_annual_ceiling_pence=None, resources_answer="no")
    finance = make_user(Role.FINANCE_OFFICER, username="finance_only")
    assert set(PanelDecision.objects.visible_to(finance)) == {approval}
    assert decline not in PanelDecision.objects.visible_to(finance)
    assert not PanelDecision.objects.visible_to(make_user(Role.PROVISION_EVALUATOR, username="evaluator")).exists()
