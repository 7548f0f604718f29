"""Panel pages through the test client: the chair's steps, each form's error summary, the head
teacher's minimised pack, and who may open what."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AccessLog
from panels import services
from panels.models import (
    AgendaItem,
    Attendance,
    Declaration,
    PanelDecision,
    PanelMeeting,
    PanelMinutes,
    Referral,
)
from requests_app.models import RequestEvent
from tests.panels.factories import (
    AgendaItemFactory,
    IndependentSchoolFactory,
    Panel,
    ReferralFactory,
    ScheduledMeetingFactory,
    SpecialSchoolFactory,
    make_panel,
)
from tests.requests_app.factories import AssessingRequestFactory, ChildFactory, ReceivedRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel() -> Panel:
    return make_panel()


def html_of(response: Any) -> str:
    return response.content.decode()


def error_summary(response: Any) -> str:
    """The error summary's text (empty when there is none)."""
    html = html_of(response)
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(0)) if match else ""


def as_user(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def meeting_today(panel: Panel) -> PanelMeeting:
    return services.meeting_schedule(
        actor=panel.chair, held_on=timezone.localdate(), starts_at=time(10), location="Room 2, Sessions House"
    )


def held_with_item(panel: Panel, **referral: Any) -> AgendaItem:
    """A meeting held today with one item on its agenda and everyone present."""
    meeting = meeting_today(panel)
    item = services.agenda_add_item(actor=panel.chair, meeting=meeting, referral=ReferralFactory(**referral))
    services.meeting_circulate_papers(actor=panel.chair, meeting=meeting)
    services.attendance_record(actor=panel.chair, meeting=meeting, present_member_ids=[m.pk for m in panel.members])
    services.meeting_mark_held(actor=panel.chair, meeting=meeting)
    item.refresh_from_db()
    return item


APPROVAL = {
    "outcome": "approve",
    "suitable_answer": "yes",
    "compatible_answer": "yes",
    "resources_answer": "yes",
    "resources_text": "No maintained place can meet need",
    "agreed_annual_ceiling": "55,000",
    "reasons_text": "Needs can only be met in a small therapeutic setting",
}


# --- Referrals -----------------------------------------------------------------------------------


def referral_post(**overrides: Any) -> dict[str, Any]:
    return {"kind": "independent_special", **overrides}


def test_request_page_links_to_the_referral_form(client, panel):
    request = AssessingRequestFactory()
    html = html_of(as_user(client, panel.officer).get(reverse("requests:detail", args=[request.pk])))
    assert f'href="{reverse("panels:referral-create")}?request={request.pk}"' in html


def test_officer_saves_an_incomplete_referral_and_sees_what_is_missing(client, panel):
    request = AssessingRequestFactory()
    as_user(client, panel.officer)
    url = f"{reverse('panels:referral-create')}?request={request.pk}"
    form_page = html_of(client.get(url))
    assert "Do not include the child&#x27;s or family&#x27;s names" in form_page

    response = client.post(url, referral_post())

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("panels:referral-detail", args=[referral.pk])
    detail = html_of(client.get(response["Location"]))
    assert "The papers are incomplete" in detail
    for message in (
        "Select the proposed school",
        "Enter a summary of the child&#x27;s needs",
        "Add the requested annual cost",
    ):
        assert message in detail
    assert RequestEvent.objects.filter(request=request, action="refer_to_panel").exists()


def test_referral_form_saves_options_and_costs_in_pence(client, panel):
    request = AssessingRequestFactory()
    school = IndependentSchoolFactory()
    option = SpecialSchoolFactory()
    response = as_user(client, panel.officer).post(
        f"{reverse('panels:referral-create')}?request={request.pk}",
        referral_post(
            proposed_establishment=school.pk,
            parental_preference="The family prefer the proposed school",
            needs_summary="Severe anxiety; needs a small setting",
            **{
                "option-1-establishment": option.pk,
                "option-1-meets_need": "no",
                "option-1-reason": "No place this year",
                "option-1-annual_cost": "24,500.50",
                "cost_tuition": "£58,000",
                "cost_therapies": "4500.25",
                "cost_other": "0",
                "cost_other_description": "Uniform",
            },
        ),
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert services.referral_missing_for(referral) == []
    assert sorted((c.category, c.annual_amount_pence, c.description) for c in referral.cost_lines.all()) == [
        ("other", 0, "Uniform"),
        ("therapies", 450025, ""),
        ("tuition", 5800000, ""),
    ]
    saved = referral.options.get()
    assert (saved.establishment, saved.meets_need, saved.annual_cost_pence) == (option, False, 2450050)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "Tuition per year must be £0 or more"),
        ("12.345", "Tuition per year must not have more than 2 decimal places"),
        ("lots", "Tuition per year must be an amount in pounds"),
    ],
)
def test_referral_form_refuses_a_bad_amount_and_saves_nothing(client, panel, value, message):
    request = AssessingRequestFactory()
    response = as_user(client, panel.officer).post(
        f"{reverse('panels:referral-create')}?request={request.pk}", referral_post(cost_tuition=value)
    )
    assert response.status_code == 200
    assert message in error_summary(response)
    assert 'href="#id_cost_tuition"' in html_of(response)
    assert Referral.objects.count() == 0


def test_referral_option_needs_a_school_and_an_answer(client, panel):
    request = AssessingRequestFactory()
    response = as_user(client, panel.officer).post(
        f"{reverse('panels:referral-create')}?request={request.pk}",
        referral_post(**{"option-2-reason": "Full", "option-3-establishment": SpecialSchoolFactory().pk}),
    )
    summary = error_summary(response)
    assert "Select the school for option 2" in summary
    assert "Say whether option 3 can meet the child" in summary
    assert Referral.objects.count() == 0


def test_referral_for_a_request_not_yet_assessed_is_refused_on_the_form(client, panel):
    request = ReceivedRequestFactory()
    response = as_user(client, panel.officer).post(
        f"{reverse('panels:referral-create')}?request={request.pk}", referral_post()
    )
    assert response.status_code == 200
    assert "cannot be referred to the placement panel" in error_summary(response)
    assert Referral.objects.count() == 0


def test_officer_changes_a_referral(client, panel):
    referral = ReferralFactory(referred_by=panel.officer, cost_lines=[{"annual_amount_pence": 100}])
    as_user(client, panel.officer)
    edit = html_of(client.get(reverse("panels:referral-edit", args=[referral.pk])))
    assert 'value="1.00"' in edit  # pence shown in pounds
    data = {
        "kind": referral.kind,
        "proposed_establishment": referral.proposed_establishment_id,
        "parental_preference": "Changed",
        "needs_summary": referral.needs_summary,
        "cost_tuition": "61000",
    }
    response = client.post(reverse("panels:referral-edit", args=[referral.pk]), data)
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.parental_preference == "Changed"
    assert [c.annual_amount_pence for c in referral.cost_lines.all()] == [6_100_000]
    assert referral.options.count() == 0  # the rows left blank replace the options


def test_referral_list_splits_waiting_and_decided(client, panel):
    waiting = ReferralFactory()
    decided = ReferralFactory(status="decided")
    html = html_of(as_user(client, panel.chair).get(reverse("panels:referral-list")))
    assert html.index(f"Referral {waiting.pk}<") < html.index("Decided</h2>") < html.index(f"Referral {decided.pk}<")


# --- The chair's steps ---------------------------------------------------------------------------


def test_chair_runs_a_meeting_from_scheduling_to_approved_minutes(client, panel):
    ready = ReferralFactory(referred_by=panel.officer)
    incomplete = ReferralFactory(needs_summary="", cost_lines=[])
    as_user(client, panel.chair)

    today = timezone.localdate()
    response = client.post(
        reverse("panels:meeting-create"),
        {
            "held_on_day": today.day,
            "held_on_month": today.month,
            "held_on_year": today.year,
            "starts_at": "10:00",
            "location": "Room 2",
        },
    )
    meeting = PanelMeeting.objects.get()
    assert response["Location"] == reverse("panels:meeting-detail", args=[meeting.pk])

    page = html_of(client.get(response["Location"]))
    assert f'name="referral" value="{ready.pk}"' in page
    assert f'name="referral" value="{incomplete.pk}"' not in page
    assert "Enter a summary of the child&#x27;s needs" in page  # why the other is not offered

    client.post(reverse("panels:agenda-add", args=[meeting.pk]), {"referral": ready.pk})
    item = AgendaItem.objects.get()
    client.post(reverse("panels:circulate", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.status == "papers_circulated"

    response = client.post(reverse("panels:attendance", args=[meeting.pk]), {"present": [m.pk for m in panel.members]})
    assert response.status_code == 302
    assert Attendance.objects.filter(meeting=meeting, present=True).count() == 5
    client.post(reverse("panels:mark-held", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.status == "held"

    form = html_of(client.get(reverse("panels:decide", args=[item.pk])))
    assert "Quorate: 5 members" in form
    assert "£60,000.00" in form  # the requested cost shown for comparison
    assert form.count('type="checkbox"') == 5 and form.count("checked") == 5

    response = client.post(
        reverse("panels:decide", args=[item.pk]), {**APPROVAL, "participants": [m.pk for m in panel.members]}
    )
    assert response.status_code == 302, error_summary(response)
    decision = PanelDecision.objects.get()
    assert (decision.outcome, decision.agreed_annual_ceiling_pence) == ("approve", 5_500_000)
    assert decision.participants.count() == 5

    response = client.post(reverse("panels:minutes-generate", args=[meeting.pk]))
    assert response["Location"] == reverse("panels:minutes", args=[meeting.pk])
    minutes_url = reverse("panels:minutes", args=[meeting.pk])
    assert "<textarea" in html_of(client.get(minutes_url))
    client.post(minutes_url, {"body": "Edited minutes text"})
    assert PanelMinutes.objects.get().body == "Edited minutes text\n"
    client.post(reverse("panels:minutes-approve", args=[meeting.pk]))

    approved = html_of(client.get(minutes_url))
    assert "<textarea" not in approved and "Edited minutes text" in approved
    assert PanelMinutes.objects.get().status == "approved"
    asked = client.get(minutes_url, {"format": "txt"})  # the export gate asks why first
    assert asked.status_code == 200 and b"purpose" in asked.content and not asked.has_header("Content-Disposition")
    download = client.get(minutes_url, {"format": "txt", "purpose": "panel"})
    assert download["Content-Type"].startswith("text/plain")
    assert "attachment" in download["Content-Disposition"]
    assert b"Edited minutes text" in download.content
    assert AccessLog.objects.filter(object_type="panel_minutes", action="export").exists()


def test_schedule_form_refuses_a_past_date_and_saves_nothing(client, panel):
    past = timezone.localdate() - timedelta(days=1)
    response = as_user(client, panel.chair).post(
        reverse("panels:meeting-create"),
        {"held_on_day": past.day, "held_on_month": past.month, "held_on_year": past.year, "starts_at": "25:00"},
    )
    summary = error_summary(response)
    assert "Enter the start time on the 24-hour clock" in summary
    assert "Enter where the meeting is held" in summary
    assert PanelMeeting.objects.count() == 0

    response = client.post(
        reverse("panels:meeting-create"),
        {
            "held_on_day": past.day,
            "held_on_month": past.month,
            "held_on_year": past.year,
            "starts_at": "10:00",
            "location": "Room 1",
        },
    )
    assert "The date must be today or in the future" in error_summary(response)
    assert 'href="#id_held_on_0"' in html_of(response)
    assert PanelMeeting.objects.count() == 0


def test_withdraw_needs_a_reason(client, panel):
    item = AgendaItemFactory(meeting=ScheduledMeetingFactory(chair=panel.chair))
    url = reverse("panels:item-withdraw", args=[item.pk])
    response = as_user(client, panel.chair).post(url, {"reason": ""})
    assert "Enter why the item is being withdrawn" in error_summary(response)
    item.refresh_from_db()
    assert item.status == "listed"
    client.post(url, {"reason": "Family moved out of the area"})
    item.refresh_from_db()
    assert (item.status, item.withdrawn_reason) == ("withdrawn", "Family moved out of the area")


def test_attendance_form_refuses_an_unknown_member(client, panel):
    meeting = meeting_today(panel)
    services.agenda_add_item(actor=panel.chair, meeting=meeting, referral=ReferralFactory())
    services.meeting_circulate_papers(actor=panel.chair, meeting=meeting)
    response = as_user(client, panel.chair).post(
        reverse("panels:attendance", args=[meeting.pk]), {"present": ["999999"]}
    )
    assert "Select an answer to “Who attended?” from the list" in error_summary(response)
    assert Attendance.objects.count() == 0


def test_decision_form_names_the_missing_answers_and_saves_nothing(client, panel):
    item = held_with_item(panel)
    response = as_user(client, panel.chair).post(reverse("panels:decide", args=[item.pk]), {"outcome": "decline"})
    summary = error_summary(response)
    assert f"Answer the test: {'Suitable for the child'}" in summary.replace("&#x27;", "'")
    assert "Enter the panel" in summary  # reasons
    assert 'href="#id_suitable_answer_0"' in html_of(response)
    assert PanelDecision.objects.count() == 0

    response = client.post(reverse("panels:decide", args=[item.pk]), {})
    assert "Select the panel&#x27;s decision" in error_summary(response)


def test_decision_refuses_a_recused_participant(client, panel):
    school = panel.head.establishment
    item = held_with_item(panel, options=[{"establishment": school}])
    assert Declaration.objects.get(member=panel.head, item=item).recused
    form = html_of(as_user(client, panel.chair).get(reverse("panels:decide", args=[item.pk])))
    assert f'value="{panel.head.pk}"' not in form  # not offered
    assert "Head teacher of a school considered as an option" in form

    response = client.post(
        reverse("panels:decide", args=[item.pk]),
        {**APPROVAL, "participants": [m.pk for m in panel.members]},
    )
    assert "is recused from this item and cannot take part" in error_summary(response)
    assert PanelDecision.objects.count() == 0


def test_decision_is_refused_when_not_quorate(client, panel):
    item = held_with_item(panel)
    Attendance.objects.filter(member=panel.finance).update(present=False)
    as_user(client, panel.chair)
    form = html_of(client.get(reverse("panels:decide", args=[item.pk])))
    assert "Not quorate for this item" in form and "No finance member present and not recused" in form
    response = client.post(
        reverse("panels:decide", args=[item.pk]), {**APPROVAL, "participants": [panel.sen.pk, panel.ep.pk]}
    )
    assert "No finance member present and not recused" in error_summary(response)
    assert PanelDecision.objects.count() == 0


def test_chair_who_made_the_referral_cannot_record_its_decision(client, panel):
    item = held_with_item(panel, referred_by=panel.chair)
    response = as_user(client, panel.chair).post(
        reverse("panels:decide", args=[item.pk]), {**APPROVAL, "participants": [m.pk for m in panel.members]}
    )
    assert response.status_code == 200
    assert "You made this referral" in error_summary(response)
    assert PanelDecision.objects.count() == 0


def test_member_declares_an_interest(client, panel):
    meeting = meeting_today(panel)
    item = services.agenda_add_item(actor=panel.chair, meeting=meeting, referral=ReferralFactory())
    services.meeting_circulate_papers(actor=panel.chair, meeting=meeting)
    url = reverse("panels:declare", args=[item.pk])
    as_user(client, panel.ep.user)
    response = client.post(url, {"nature": "personal", "interest": ""})
    assert "Describe the interest" in error_summary(response)
    assert Declaration.objects.count() == 0

    response = client.post(url, {"nature": "personal", "interest": "Knows the family socially"})
    assert response["Location"] == reverse("panels:pack", args=[meeting.pk])
    declaration = Declaration.objects.get()
    assert (declaration.member, declaration.nature, declaration.recused) == (panel.ep, "personal", False)


# --- The pack ------------------------------------------------------------------------------------


def test_head_teacher_pack_shows_initials_only_and_their_recusal(client, panel):
    child = ChildFactory(forename="Zebedee", surname="Quintrell", upn="A123456789012", date_of_birth=date(2012, 5, 17))
    meeting = meeting_today(panel)
    shown = services.agenda_add_item(
        actor=panel.chair, meeting=meeting, referral=ReferralFactory(request=AssessingRequestFactory(child=child))
    )
    recused = services.agenda_add_item(
        actor=panel.chair, meeting=meeting, referral=ReferralFactory(proposed_establishment=panel.head.establishment)
    )
    services.meeting_circulate_papers(actor=panel.chair, meeting=meeting)

    html = html_of(as_user(client, panel.head.user).get(reverse("panels:pack", args=[meeting.pk])))

    for secret in ("Zebedee", "Quintrell", "A123456789012", "2012-05-17", "17 May 2012", "17/05/2012"):
        assert secret not in html
    assert ">ZQ<" in html
    assert f"Item {shown.position}:" in html and f"Item {recused.position}:" in html
    assert (
        f"You are recused from this item because your school, {panel.head.establishment.name}, "
        "is the proposed establishment" in html
    )
    # The meeting page keeps to initials too.
    meeting_page = html_of(client.get(reverse("panels:meeting-detail", args=[meeting.pk])))
    assert "Zebedee" not in meeting_page and "Quintrell" not in meeting_page


def test_other_members_see_the_name_and_each_others_declarations(client, panel):
    child = ChildFactory(forename="Zebedee", surname="Quintrell")
    meeting = meeting_today(panel)
    item = services.agenda_add_item(
        actor=panel.chair, meeting=meeting, referral=ReferralFactory(request=AssessingRequestFactory(child=child))
    )
    services.meeting_circulate_papers(actor=panel.chair, meeting=meeting)
    services.declaration_record(actor=panel.sen.user, item=item, nature="personal", interest="Former teacher")
    html = html_of(as_user(client, panel.ep.user).get(reverse("panels:pack", args=[meeting.pk])))
    assert "Zebedee Quintrell" in html
    assert "personal interest – Former teacher" in html


# --- Who may open what ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["finance", "ep"])
def test_finance_officer_and_ep_cannot_open_a_pack(client, personas, persona, panel):
    meeting = meeting_today(panel)
    response = as_user(client, getattr(personas, persona)).get(reverse("panels:pack", args=[meeting.pk]))
    assert response.status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client, panel):
    meeting = meeting_today(panel)
    response = client.get(reverse("panels:pack", args=[meeting.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_panel_member_cannot_record_a_decision(client, panel):
    item = held_with_item(panel)
    as_user(client, panel.sen.user)
    assert client.get(reverse("panels:decide", args=[item.pk])).status_code == 403
    assert client.post(reverse("panels:decide", args=[item.pk]), APPROVAL).status_code == 403
    assert PanelDecision.objects.count() == 0


def test_member_sees_only_meetings_whose_papers_are_out(client, panel):
    scheduled = ScheduledMeetingFactory(chair=panel.chair)
    circulated = meeting_today(panel)
    services.agenda_add_item(actor=panel.chair, meeting=circulated, referral=ReferralFactory())
    services.meeting_circulate_papers(actor=panel.chair, meeting=circulated)
    as_user(client, panel.sen.user)
    html = html_of(client.get(reverse("panels:meeting-list")))
    assert reverse("panels:meeting-detail", args=[circulated.pk]) in html
    assert reverse("panels:meeting-detail", args=[scheduled.pk]) not in html
    assert client.get(reverse("panels:meeting-detail", args=[scheduled.pk])).status_code == 404
    assert client.get(reverse("panels:pack", args=[scheduled.pk])).status_code == 403


def test_officer_can_refer_but_not_open_the_meetings(client, panel):
    request = AssessingRequestFactory()
    as_user(client, panel.officer)
    assert client.get(f"{reverse('panels:referral-create')}?request={request.pk}").status_code == 200
    assert client.get(reverse("panels:meeting-list")).status_code == 403


def test_panel_member_cannot_refer(client, panel):
    request = AssessingRequestFactory()
    as_user(client, panel.sen.user)
    assert client.get(f"{reverse('panels:referral-create')}?request={request.pk}").status_code == 403
