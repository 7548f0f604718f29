"""The panel API: each action, its 400/403/409 answers, the minimised pack, the figures, and
list query counts that do not grow with the number of rows."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from panels import services
from panels.models import AgendaItem, PanelDecision, PanelMeeting, PanelMinutes, Referral
from tests.panels.factories import (
    HeldMeetingFactory,
    IndependentSchoolFactory,
    Panel,
    ReferralFactory,
    ScheduledMeetingFactory,
    SpecialSchoolFactory,
    make_panel,
)
from tests.requests_app.factories import AssessingRequestFactory, ChildFactory, ReceivedRequestFactory

pytestmark = pytest.mark.django_db

BASE = "/api/panel"


@pytest.fixture
def panel() -> Panel:
    return make_panel()


def post(client: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, format="json")


def meeting_today(panel: Panel) -> PanelMeeting:
    return services.meeting_schedule(
        actor=panel.chair, held_on=timezone.localdate(), starts_at=time(10), location="Room 2"
    )


def circulated(panel: Panel, *referrals: Referral) -> tuple[PanelMeeting, list[AgendaItem]]:
    meeting = meeting_today(panel)
    items = [
        services.agenda_add_item(actor=panel.chair, meeting=meeting, referral=r)
        for r in referrals or [ReferralFactory()]
    ]
    services.meeting_circulate_papers(actor=panel.chair, meeting=meeting)
    return meeting, items


def held(panel: Panel, *referrals: Referral) -> tuple[PanelMeeting, list[AgendaItem]]:
    meeting, items = circulated(panel, *referrals)
    services.attendance_record(actor=panel.chair, meeting=meeting, present_member_ids=[m.pk for m in panel.members])
    services.meeting_mark_held(actor=panel.chair, meeting=meeting)
    return meeting, items


DECISION = {
    "outcome": "approve",
    "suitable_answer": "yes",
    "compatible_answer": "yes",
    "resources_answer": "yes",
    "reasons_text": "No maintained school can meet need",
    "agreed_annual_ceiling_pence": 5_500_000,
}


# --- Referrals -----------------------------------------------------------------------------------


def test_officer_creates_a_referral_and_it_lists_what_is_missing(api_client_for, panel):
    request = AssessingRequestFactory()
    response = post(api_client_for(panel.officer), f"{BASE}/referrals/", {"request_id": request.pk, "kind": "therapy"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "awaiting_panel"
    assert {m["field"] for m in body["missing"]} == {"parental_preference", "needs_summary", "options", "cost_lines"}
    assert set(body["child"]) == {"initials", "age", "district", "primary_need"}


def test_complete_referral_through_the_api(api_client_for, panel):
    request = AssessingRequestFactory()
    option = SpecialSchoolFactory()
    response = post(
        api_client_for(panel.officer),
        f"{BASE}/referrals/",
        {
            "request_id": request.pk,
            "kind": "independent_special",
            "proposed_establishment_id": IndependentSchoolFactory().pk,
            "parental_preference": "The proposed school",
            "needs_summary": "Needs a small setting",
            "options": [
                {"establishment_id": option.pk, "meets_need": False, "reason": "Full", "annual_cost_pence": 2_400_000}
            ],
            "cost_lines": [{"category": "tuition", "annual_amount_pence": 6_000_000}],
            "evidence": ["EP report"],
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["missing"] == []
    assert response.json()["requested_annual_cost_pence"] == 6_000_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "therapy"}, "request_id"),
        ({"request_id": 1, "kind": "spaceship"}, "kind"),
        (
            {"request_id": 1, "kind": "therapy", "cost_lines": [{"category": "tuition", "annual_amount_pence": -1}]},
            "cost_lines.0.annual_amount_pence",
        ),
        (
            {"request_id": 1, "kind": "therapy", "options": [{"establishment_id": 999999, "meets_need": True}]},
            "options.0.establishment_id",
        ),
    ],
)
def test_referral_create_400s_name_the_field(api_client_for, panel, body, field):
    AssessingRequestFactory(pk=1)
    response = post(api_client_for(panel.officer), f"{BASE}/referrals/", body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Referral.objects.count() == 0


def test_referral_of_a_request_that_is_not_there_is_404_naming_it(api_client_for, panel):
    response = post(api_client_for(panel.officer), f"{BASE}/referrals/", {"request_id": 999999, "kind": "therapy"})
    assert response.status_code == 404
    assert "request_id" in response.json()["errors"]
    assert Referral.objects.count() == 0


def test_referral_of_a_request_not_being_assessed_is_409(api_client_for, panel):
    request = ReceivedRequestFactory()
    response = post(api_client_for(panel.officer), f"{BASE}/referrals/", {"request_id": request.pk, "kind": "therapy"})
    assert response.status_code == 409


def test_panel_member_cannot_create_a_referral(api_client_for, panel):
    request = AssessingRequestFactory()
    response = post(api_client_for(panel.sen.user), f"{BASE}/referrals/", {"request_id": request.pk, "kind": "therapy"})
    assert response.status_code == 403


def test_update_changes_only_what_is_sent_and_409s_once_listed(api_client_for, panel):
    referral = ReferralFactory()
    client = api_client_for(panel.officer)
    response = post(client, f"{BASE}/referrals/{referral.pk}/update/", {"needs_summary": "Updated needs"})
    assert response.status_code == 200, response.json()
    assert response.json()["needs_summary"] == "Updated needs"
    assert len(response.json()["options"]) == 1 and len(response.json()["cost_lines"]) == 1

    services.agenda_add_item(actor=panel.chair, meeting=ScheduledMeetingFactory(), referral=referral)
    assert post(client, f"{BASE}/referrals/{referral.pk}/update/", {"notes": "x"}).status_code == 409


def test_referral_detail_and_unknown_ids(api_client_for, panel):
    referral = ReferralFactory()
    client = api_client_for(panel.chair)
    assert client.get(f"{BASE}/referrals/{referral.pk}/").json()["id"] == referral.pk
    assert client.get(f"{BASE}/referrals/999999/").status_code == 404
    assert client.get(f"{BASE}/referrals/abc/").status_code == 404


def test_finance_officer_cannot_read_referrals(api_client_for, personas):
    assert api_client_for(personas.finance).get(f"{BASE}/referrals/").status_code == 403
    assert api_client_for(None).get(f"{BASE}/referrals/").status_code == 401


# --- Meetings and the agenda -----------------------------------------------------------------------


def test_chair_runs_a_meeting_through_the_api(api_client_for, panel):
    chair = api_client_for(panel.chair)
    referral = ReferralFactory(referred_by=panel.officer)
    today = timezone.localdate().isoformat()
    response = post(chair, f"{BASE}/meetings/", {"held_on": today, "starts_at": "10:00", "location": "Room 2"})
    assert response.status_code == 201, response.json()
    meeting_id = response.json()["id"]

    response = post(chair, f"{BASE}/meetings/{meeting_id}/agenda-items/", {"referral_id": referral.pk})
    assert response.status_code == 201, response.json()
    item_id = response.json()["id"]

    assert post(chair, f"{BASE}/meetings/{meeting_id}/circulate/").json()["status"] == "papers_circulated"
    member = api_client_for(panel.ep.user)
    response = post(
        member, f"{BASE}/agenda-items/{item_id}/declarations/", {"nature": "personal", "interest": "Knows the school"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["recused"] is False

    response = post(
        chair, f"{BASE}/meetings/{meeting_id}/attendance/", {"present_member_ids": [m.pk for m in panel.members]}
    )
    assert response.status_code == 200
    assert sum(a["present"] for a in response.json()["attendance"]) == 5
    assert post(chair, f"{BASE}/meetings/{meeting_id}/mark-held/").json()["status"] == "held"

    response = post(chair, f"{BASE}/agenda-items/{item_id}/decision/", DECISION)
    assert response.status_code == 201, response.json()
    assert response.json()["outcome"] == "approve"
    assert len(response.json()["participant_ids"]) == 5
    assert post(chair, f"{BASE}/agenda-items/{item_id}/decision/", DECISION).status_code == 409

    response = post(chair, f"{BASE}/meetings/{meeting_id}/minutes/generate/")
    assert response.status_code == 200 and response.json()["status"] == "draft"
    response = post(chair, f"{BASE}/meetings/{meeting_id}/minutes/approve/")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert post(chair, f"{BASE}/meetings/{meeting_id}/minutes/approve/").status_code == 409

    detail = chair.get(f"{BASE}/meetings/{meeting_id}/").json()
    assert detail["status"] == "minutes_approved"
    assert detail["minutes"]["status"] == "approved"
    assert detail["items"][0]["decision"]["outcome"] == "approve"


def test_schedule_in_the_past_is_400_and_by_a_member_403(api_client_for, panel):
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    body = {"held_on": past, "starts_at": "10:00", "location": "Room 2"}
    response = post(api_client_for(panel.chair), f"{BASE}/meetings/", body)
    assert response.status_code == 400 and "held_on" in response.json()["errors"]
    assert post(api_client_for(panel.sen.user), f"{BASE}/meetings/", body).status_code == 403
    assert PanelMeeting.objects.count() == 0


def test_agenda_add_400_for_incomplete_and_409_after_circulation(api_client_for, panel):
    chair = api_client_for(panel.chair)
    meeting = meeting_today(panel)
    incomplete = ReferralFactory(cost_lines=[])
    response = post(chair, f"{BASE}/meetings/{meeting.pk}/agenda-items/", {"referral_id": incomplete.pk})
    assert response.status_code == 400 and "cost_lines" in response.json()["errors"]
    assert post(chair, f"{BASE}/meetings/{meeting.pk}/agenda-items/", {"referral_id": 999999}).status_code == 400
    post(chair, f"{BASE}/meetings/{meeting.pk}/agenda-items/", {"referral_id": ReferralFactory().pk})
    post(chair, f"{BASE}/meetings/{meeting.pk}/circulate/")
    response = post(chair, f"{BASE}/meetings/{meeting.pk}/agenda-items/", {"referral_id": ReferralFactory().pk})
    assert response.status_code == 409


def test_withdraw_needs_a_reason_and_happens_once(api_client_for, panel):
    chair = api_client_for(panel.chair)
    _, (item,) = circulated(panel)
    assert post(chair, f"{BASE}/agenda-items/{item.pk}/withdraw/", {"reason": ""}).status_code == 400
    response = post(chair, f"{BASE}/agenda-items/{item.pk}/withdraw/", {"reason": "Family moved away"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert post(chair, f"{BASE}/agenda-items/{item.pk}/withdraw/", {"reason": "Again"}).status_code == 409


def test_circulate_an_empty_agenda_is_400_and_mark_held_early_409(api_client_for, panel):
    chair = api_client_for(panel.chair)
    meeting = meeting_today(panel)
    assert post(chair, f"{BASE}/meetings/{meeting.pk}/circulate/").status_code == 400
    assert post(chair, f"{BASE}/meetings/{meeting.pk}/mark-held/").status_code == 409


def test_declaration_by_someone_not_on_the_panel_is_403(api_client_for, panel, personas):
    _, (item,) = circulated(panel)
    assert (
        post(
            api_client_for(panel.chair), f"{BASE}/agenda-items/{item.pk}/declarations/", {"nature": "none"}
        ).status_code
        == 403
    )
    assert (
        post(
            api_client_for(personas.finance), f"{BASE}/agenda-items/{item.pk}/declarations/", {"nature": "none"}
        ).status_code
        == 403
    )


def test_attendance_of_an_unknown_member_is_400(api_client_for, panel):
    meeting, _ = circulated(panel)
    response = post(
        api_client_for(panel.chair), f"{BASE}/meetings/{meeting.pk}/attendance/", {"present_member_ids": [999999]}
    )
    assert response.status_code == 400


def test_decision_400_403_and_recused_participant(api_client_for, panel):
    _, (item,) = held(panel, ReferralFactory(options=[{"establishment": panel.head.establishment}]))
    chair = api_client_for(panel.chair)
    response = post(chair, f"{BASE}/agenda-items/{item.pk}/decision/", {**DECISION, "outcome": "decline"})
    assert response.status_code == 400 and "outcome" in response.json()["errors"]
    response = post(
        chair,
        f"{BASE}/agenda-items/{item.pk}/decision/",
        {**DECISION, "participant_ids": [m.pk for m in panel.members]},
    )
    assert response.status_code == 400
    assert "is recused from this item" in response.json()["errors"]["participants"][0]
    assert post(api_client_for(panel.sen.user), f"{BASE}/agenda-items/{item.pk}/decision/", DECISION).status_code == 403
    assert PanelDecision.objects.count() == 0


def test_decision_on_a_meeting_not_held_is_409(api_client_for, panel):
    _, (item,) = circulated(panel)
    assert post(api_client_for(panel.chair), f"{BASE}/agenda-items/{item.pk}/decision/", DECISION).status_code == 409


def test_minutes_before_every_item_is_decided_is_400(api_client_for, panel):
    meeting, _ = held(panel)
    response = post(api_client_for(panel.chair), f"{BASE}/meetings/{meeting.pk}/minutes/generate/")
    assert response.status_code == 400
    assert PanelMinutes.objects.count() == 0


# --- The pack ------------------------------------------------------------------------------------


def test_head_teacher_pack_json_has_no_name_date_of_birth_or_upn(api_client_for, panel):
    children = [
        ChildFactory(forename="Zebedee", surname="Quintrell", upn="A123456789012", date_of_birth=date(2012, 5, 17)),
        ChildFactory(forename="Persephone", surname="Oxenbury", upn="B987654321098", date_of_birth=date(2010, 2, 3)),
    ]
    referrals = [ReferralFactory(request=AssessingRequestFactory(child=c)) for c in children]
    meeting, _ = circulated(panel, *referrals)

    response = api_client_for(panel.head.user).get(f"{BASE}/meetings/{meeting.pk}/pack/")

    assert response.status_code == 200
    text = json.dumps(response.json())
    for child in children:
        for secret in (child.forename, child.surname, child.upn, child.date_of_birth.isoformat()):
            assert secret not in text
    assert response.json()["viewer"]["minimised"] is True
    assert [i["child"]["initials"] for i in response.json()["items"]] == ["ZQ", "PO"]
    # Everything else the head teacher can read about the children is minimised too.
    assert "Zebedee" not in json.dumps(api_client_for(panel.head.user).get(f"{BASE}/referrals/").json())


def test_other_members_get_the_name_in_the_pack(api_client_for, panel):
    child = ChildFactory(forename="Zebedee", surname="Quintrell")
    meeting, _ = circulated(panel, ReferralFactory(request=AssessingRequestFactory(child=child)))
    body = api_client_for(panel.ep.user).get(f"{BASE}/meetings/{meeting.pk}/pack/").json()
    assert body["items"][0]["child"]["name"] == "Zebedee Quintrell"


def test_recused_head_teacher_gets_no_papers(api_client_for, panel):
    meeting, _ = circulated(panel, ReferralFactory(proposed_establishment=panel.head.establishment))
    item = api_client_for(panel.head.user).get(f"{BASE}/meetings/{meeting.pk}/pack/").json()["items"][0]
    assert item["you_are_recused"] is True and item["papers_withheld"] is True
    assert "child" not in item and "needs_summary" not in item


def test_pack_of_a_meeting_not_circulated_is_404_for_a_member_and_403_for_finance(api_client_for, panel, personas):
    meeting = meeting_today(panel)
    assert api_client_for(panel.sen.user).get(f"{BASE}/meetings/{meeting.pk}/pack/").status_code == 404
    assert api_client_for(personas.finance).get(f"{BASE}/meetings/{meeting.pk}/pack/").status_code == 403


# --- Figures -------------------------------------------------------------------------------------


def test_figures_for_the_chair_and_the_manager(api_client_for, panel, personas):
    from tests.panels.factories import PanelDecisionFactory

    PanelDecisionFactory()
    today = timezone.localdate()
    url = f"{BASE}/figures/?from={(today - timedelta(days=30)).isoformat()}&to={today.isoformat()}"
    body = api_client_for(panel.chair).get(url).json()
    assert (body["decided"], body["approved"], body["approval_rate"]) == (1, 1, 1.0)
    assert body["cost_agreed_pence"] == 5_500_000
    assert api_client_for(personas.manager).get(f"{BASE}/figures/").status_code == 200
    assert api_client_for(panel.officer).get(f"{BASE}/figures/").status_code == 403
    assert api_client_for(panel.sen.user).get(f"{BASE}/figures/").status_code == 403


@pytest.mark.parametrize("query", ["from=yesterday", "to=2025-13-01"])
def test_figures_bad_dates_are_400(api_client_for, panel, query):
    response = api_client_for(panel.chair).get(f"{BASE}/figures/?{query}")
    assert response.status_code == 400


def test_figures_from_after_to_are_an_empty_range(api_client_for, panel):
    """A rule across two parameters the schema cannot state is not a refusal (docs/security.md)."""
    response = api_client_for(panel.chair).get(f"{BASE}/figures/?from=2025-02-01&to=2025-01-01")
    assert response.status_code == 200
    assert response.json()["referrals_received"] == 0


# --- Query counts --------------------------------------------------------------------------------


def count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_referral_list_queries_do_not_grow_with_rows(api_client_for, panel):
    client = api_client_for(panel.chair)
    ReferralFactory()
    one = count_queries(client, f"{BASE}/referrals/?page_size=100")
    for _ in range(49):
        ReferralFactory()
    assert count_queries(client, f"{BASE}/referrals/?page_size=100") == one


def test_meeting_list_queries_do_not_grow_with_rows(api_client_for, panel):
    client = api_client_for(panel.sen.user)
    HeldMeetingFactory()
    one = count_queries(client, f"{BASE}/meetings/?page_size=100")
    for _ in range(49):
        HeldMeetingFactory()
    assert len(client.get(f"{BASE}/meetings/?page_size=100").json()["results"]) == 50
    assert count_queries(client, f"{BASE}/meetings/?page_size=100") == one


def test_meeting_detail_queries_do_not_grow_with_items(api_client_for, panel):
    client = api_client_for(panel.chair)
    meeting, _ = held(panel, ReferralFactory())
    one = count_queries(client, f"{BASE}/meetings/{meeting.pk}/")
    other, _ = held(panel, *[ReferralFactory() for _ in range(8)])
    assert count_queries(client, f"{BASE}/meetings/{other.pk}/") == one
