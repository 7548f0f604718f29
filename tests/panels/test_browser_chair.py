"""Headless Chromium: a case from the officer's referral to the panel's approved minutes.

The officer refers a case from the request page; the chair schedules a meeting, builds the
agenda and circulates the papers; a member declares an interest; the head teacher reads a pack
that shows initials only and says why they are recused; the chair records attendance, marks the
meeting held, records the decisions, generates and approves the minutes. Every page visited
passes an axe-core scan. Screenshots go to /tmp."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from core.roles import Role
from panels import services
from panels.models import AgendaItem, PanelDecision, PanelMeeting, PanelMember, PanelMinutes, Referral
from tests.conftest import make_user
from tests.panels.factories import IndependentSchoolFactory, ReferralFactory, SpecialSchoolFactory
from tests.requests_app.factories import AssessingRequestFactory, ChildFactory

SCREENSHOTS = "/tmp"


def fill_date(page: Any, name: str, value: date) -> None:
    page.locator(f'[name="{name}_day"]').fill(str(value.day))
    page.locator(f'[name="{name}_month"]').fill(str(value.month))
    page.locator(f'[name="{name}_year"]').fill(str(value.year))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_chair_takes_a_referral_from_the_request_page_to_approved_minutes(
    page, browser, live_server, personas, sign_in, assert_accessible
):
    base = live_server.url
    officer, chair = personas.officer, personas.chair
    chair.first_name, chair.last_name = "Amara", "Blake"
    chair.save()
    # The panel: every persona below can sign in.
    sen = PanelMember.objects.create(
        user=make_user(Role.PANEL_MEMBER, username="sen_member", first_name="Nadia"), member_type="sen"
    )
    ep = PanelMember.objects.create(
        user=make_user(Role.PANEL_MEMBER, username="ep_member", first_name="Owen"), member_type="ep"
    )
    finance = PanelMember.objects.create(
        user=make_user(Role.PANEL_MEMBER, username="finance_member", first_name="Helen"), member_type="finance"
    )
    head_school = SpecialSchoolFactory(name="Hazelwood Special School")
    head = PanelMember.objects.create(
        user=make_user(Role.PANEL_MEMBER, username="head_member", first_name="Samuel"),
        member_type="head_teacher",
        establishment=head_school,
    )
    sen2 = PanelMember.objects.create(
        user=make_user(Role.PANEL_MEMBER, username="sen2_member", first_name="Priya"), member_type="sen"
    )
    members = [sen, sen2, ep, finance, head]
    child = ChildFactory(forename="Zebedee", surname="Quintrell", upn="A123456789012", date_of_birth=date(2012, 5, 17))
    request = AssessingRequestFactory(child=child)
    proposed = IndependentSchoolFactory(name="The Kestrel School")
    option = SpecialSchoolFactory(name="Beechwood Special School")
    # A second case, already referred, that weighs the head teacher's own school as an option.
    other = ReferralFactory(options=[{"establishment": head_school}])
    checked: list[str] = []

    def check(p: Any) -> None:
        p.wait_for_load_state("domcontentloaded")
        assert_accessible(p)
        checked.append(p.url)

    def submit(p: Any, label: str) -> None:
        p.get_by_role("button", name=label, exact=True).click()
        check(p)
        assert p.locator(".govuk-error-summary").count() == 0, p.locator(".govuk-error-summary").inner_text()

    def person(user: Any) -> Any:
        other_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(other_page, user)
        return other_page

    # 1. The officer refers the case from the request page.
    sign_in(page, officer)
    page.goto(f"{base}/requests/{request.pk}/")
    check(page)
    page.locator("#actions").get_by_role("link", name="Refer to the placement panel").click()
    check(page)
    page.get_by_label("Independent special school placement").check()
    page.locator('[name="proposed_establishment"]').select_option(str(proposed.pk))
    page.get_by_label("What the parents or young person prefer").fill("The family prefer the proposed school.")
    page.get_by_label("Summary of the child's needs").fill("Autism with high anxiety; needs a small setting.")
    page.locator('[name="option-1-establishment"]').select_option(str(option.pk))
    page.locator("#id_option-1-meets_need_1").check()  # No
    page.locator('[name="option-1-reason"]').fill("No place in the autism resource this year.")
    page.locator('[name="option-1-annual_cost"]').fill("24,000")
    page.get_by_label("Tuition per year").fill("58,500.50")
    page.get_by_label("Therapies per year").fill("6000")
    page.get_by_label("Supporting evidence").fill("EP report\nSpeech and language therapy report")
    submit(page, "Save the referral")
    referral = Referral.objects.get(request=request)
    assert page.url == f"{base}/panel/referrals/{referral.pk}/"
    assert "The papers are complete" in page.locator("#missing").inner_text()

    # 2. The chair schedules a meeting for today and builds the agenda.
    chair_page = person(chair)
    chair_page.get_by_role("navigation", name="Menu").get_by_role("link", name="Panel", exact=True).click()
    check(chair_page)
    chair_page.get_by_role("button", name="Schedule a meeting").click()
    check(chair_page)
    fill_date(chair_page, "held_on", timezone.localdate())
    chair_page.get_by_label("Start time").fill("10:00")
    chair_page.get_by_label("Where the meeting is held").fill("Council Chamber, Sessions House")
    submit(chair_page, "Schedule the meeting")
    meeting = PanelMeeting.objects.get()
    submit(chair_page, f"Add referral {referral.pk} to the agenda")
    submit(chair_page, f"Add referral {other.pk} to the agenda")
    submit(chair_page, "Circulate the papers")
    assert chair_page.locator("#meeting-status").inner_text() == "Papers circulated"

    # 3. A member reads the pack and declares an interest.
    ep_page = person(ep.user)
    ep_page.goto(f"{base}/panel/")
    check(ep_page)
    ep_page.get_by_role("link", name=meeting.held_on.strftime("%-d %B %Y")).click()
    check(ep_page)
    ep_page.get_by_role("link", name="Read the agenda pack").click()
    check(ep_page)
    assert "Zebedee Quintrell" in ep_page.locator("main").inner_text()
    ep_page.get_by_role("link", name="Declare an interest in item 1").click()
    check(ep_page)
    ep_page.get_by_label("Personal interest").check()
    ep_page.get_by_label("Describe the interest").fill("Assessed a sibling in 2023")
    submit(ep_page, "Record the declaration")
    ep_page.context.close()

    # 4. The head teacher's pack: initials only, and the recusal from the second item.
    head_page = person(head.user)
    head_page.goto(f"{base}/panel/meetings/{meeting.pk}/pack/")
    check(head_page)
    html = head_page.content()
    for secret in ("Zebedee", "Quintrell", "A123456789012", "17 May 2012", "2012-05-17"):
        assert secret not in html
    assert "ZQ" in head_page.locator("main").inner_text()
    assert (
        "You are recused from this item because your school, Hazelwood Special School, is one of the options considered"
        in html
    )
    head_page.screenshot(path=f"{SCREENSHOTS}/panel_pack_head_teacher.png", full_page=True)
    # The meeting page gives the recused head teacher what the pack gives them: no child, no cost.
    head_page.goto(f"{base}/panel/meetings/{meeting.pk}/")
    check(head_page)
    recused_row = head_page.locator("#item-2").inner_text()
    assert "Withheld" in recused_row and other.request.child.initials not in recused_row
    head_page.context.close()

    # 5. The meeting: attendance, held, a decision on each item.
    chair_page.get_by_role("link", name="Record attendance").click()
    check(chair_page)
    for member in members:
        chair_page.get_by_label(member.user.first_name, exact=False).check()
    submit(chair_page, "Save attendance")
    submit(chair_page, "Mark the meeting as held")
    assert chair_page.locator("#meeting-status").inner_text() == "Held"

    chair_page.get_by_role("link", name="Record decision on item 1").click()
    check(chair_page)
    assert "Quorate" in chair_page.locator("#quorum-status").inner_text()
    chair_page.get_by_label("Approved with conditions").check()
    for test in ("suitable", "compatible", "resources"):
        chair_page.locator(f"#id_{test}_answer_0").check()  # Yes
    chair_page.get_by_label("Reasoning on the use of resources").fill("No maintained place can meet need.")
    chair_page.locator('[name="agreed_annual_ceiling"]').fill("62,000")
    fill_date(chair_page, "review_on", date(timezone.localdate().year + 1, 3, 31))
    chair_page.get_by_label("Attendance expectation").fill("At least 90% each term")
    chair_page.get_by_label("The panel's reasons").fill("Needs can only be met in a small therapeutic setting.")
    chair_page.screenshot(path=f"{SCREENSHOTS}/panel_decision_form.png", full_page=True)
    submit(chair_page, "Record the decision")

    chair_page.get_by_role("link", name="Record decision on item 2").click()
    check(chair_page)
    assert "recused" in chair_page.locator("main").inner_text().lower()
    chair_page.get_by_label("Declined").check()
    chair_page.locator("#id_suitable_answer_0").check()
    chair_page.locator("#id_compatible_answer_0").check()
    chair_page.locator("#id_resources_answer_1").check()  # No
    chair_page.get_by_label("Reasoning on the use of resources").fill("A suitable maintained place costs far less.")
    chair_page.get_by_label("The panel's reasons").fill("Need can be met at the maintained option.")
    submit(chair_page, "Record the decision")
    assert sorted(PanelDecision.objects.values_list("outcome", flat=True)) == ["approve_with_conditions", "decline"]
    decision = PanelDecision.objects.get(outcome="approve_with_conditions")
    assert decision.agreed_annual_ceiling_pence == 6_200_000
    assert head.pk not in set(PanelDecision.objects.get(outcome="decline").participants.values_list("pk", flat=True))
    chair_page.screenshot(path=f"{SCREENSHOTS}/panel_meeting.png", full_page=True)

    # 6. The minutes: generated, approved, read-only.
    submit(chair_page, "Generate the minutes")
    assert "Item 1: referral" in chair_page.locator("textarea").input_value()
    submit(chair_page, "Approve the minutes")
    assert chair_page.locator("#minutes-status").inner_text() == "Approved"
    assert chair_page.locator("textarea").count() == 0
    assert PanelMinutes.objects.get().status == "approved"
    chair_page.screenshot(path=f"{SCREENSHOTS}/panel_minutes.png", full_page=True)
    chair_page.emulate_media(media="print")
    assert not chair_page.locator(".govuk-header").is_visible()
    assert len(checked) >= 20


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_vice_chair_takes_the_chairs_referral_and_the_chair_defers_another(
    page, browser, live_server, personas, sign_in, assert_accessible
):
    """The chair referred two cases on today's agenda. They cannot decide either (their own
    referral); the vice-chair, present, takes item 1; the chair defers item 2 to the next
    meeting with a reason. The minutes say both; every page passes the axe scan."""
    base = live_server.url
    chair = personas.chair
    chair.first_name, chair.last_name = "Amara", "Blake"
    chair.save()
    vice = PanelMember.objects.create(
        user=make_user(Role.PANEL_MEMBER, Role.PANEL_CHAIR, username="vice_member", first_name="Val", last_name="Vice"),
        member_type="sen",
    )
    members = [
        vice,
        PanelMember.objects.create(
            user=make_user(Role.PANEL_MEMBER, username="sen_m", first_name="Nadia"), member_type="sen"
        ),
        PanelMember.objects.create(
            user=make_user(Role.PANEL_MEMBER, username="ep_m", first_name="Owen"), member_type="ep"
        ),
        PanelMember.objects.create(
            user=make_user(Role.PANEL_MEMBER, username="fin_m", first_name="Helen"), member_type="finance"
        ),
        PanelMember.objects.create(
            user=make_user(Role.PANEL_MEMBER, username="head_m", first_name="Samuel"),
            member_type="head_teacher",
            establishment=SpecialSchoolFactory(name="Hazelwood Special School"),
        ),
    ]
    today = timezone.localdate()
    meeting = services.meeting_schedule(actor=chair, held_on=today, starts_at=time(10), location="Council Chamber")
    later = services.meeting_schedule(
        actor=chair, held_on=today + timedelta(days=14), starts_at=time(10), location="Council Chamber"
    )
    for _ in range(2):
        services.agenda_add_item(actor=chair, meeting=meeting, referral=ReferralFactory(referred_by=chair))
    services.meeting_circulate_papers(actor=chair, meeting=meeting)
    services.attendance_record(actor=chair, meeting=meeting, present_member_ids=[m.pk for m in members])
    services.meeting_mark_held(actor=chair, meeting=meeting)

    def check(p: Any) -> None:
        p.wait_for_load_state("domcontentloaded")
        assert_accessible(p)

    def approve_item_1(p: Any) -> None:
        p.get_by_role("link", name="Record decision on item 1").click()
        check(p)
        p.get_by_label("Approved", exact=True).check()
        for test in ("suitable", "compatible", "resources"):
            p.locator(f"#id_{test}_answer_0").check()  # Yes
        p.locator('[name="agreed_annual_ceiling"]').fill("60,000")
        p.get_by_label("The panel's reasons").fill("Only a small therapeutic setting can meet need.")
        p.get_by_role("button", name="Record the decision", exact=True).click()
        check(p)

    # 1. The chair cannot take their own referral: the error says what a real panel does.
    sign_in(page, chair)
    page.goto(f"{base}/panel/meetings/{meeting.pk}/")
    check(page)
    approve_item_1(page)
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "You made this referral" in summary and "vice-chair" in summary
    assert not PanelDecision.objects.exists()

    # 2. The chair defers item 2 to the next meeting, with a reason.
    page.goto(f"{base}/panel/meetings/{meeting.pk}/")
    page.get_by_role("link", name="Defer to a later meeting (item 2)").click()
    check(page)
    page.get_by_label("Meeting the item is deferred to").select_option(str(later.pk))
    page.get_by_label("Why is the item being deferred?").fill("The chair made this referral; no vice-chair for it.")
    page.get_by_role("button", name="Defer the item", exact=True).click()
    check(page)
    assert "Deferred by the chair" in page.locator("#item-2").inner_text()
    assert AgendaItem.objects.filter(meeting=later).count() == 1

    # 3. The vice-chair, present, takes item 1 in the chair's place.
    vice_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(vice_page, vice.user)
    vice_page.goto(f"{base}/panel/meetings/{meeting.pk}/")
    check(vice_page)
    approve_item_1(vice_page)
    assert vice_page.locator(".govuk-error-summary").count() == 0
    decision = PanelDecision.objects.get()
    assert decision.chaired_by == vice.user
    vice_page.context.close()

    # 4. Attendance is fixed now; the chair corrects it with a reason; the minutes say it all.
    page.goto(f"{base}/panel/meetings/{meeting.pk}/")
    check(page)
    page.get_by_role("link", name="Correct attendance").click()
    check(page)
    page.get_by_label("Member").select_option(str(members[4].pk))
    page.get_by_label("Absent (apologies)").check()
    page.get_by_label("Why is the attendance being corrected?").fill("Left before the items were taken.")
    page.get_by_role("button", name="Save the correction", exact=True).click()
    check(page)
    page.get_by_role("button", name="Generate the minutes", exact=True).click()
    check(page)
    body = page.locator("textarea").input_value()
    assert "Item taken by Val Vice in the chair's place" in body
    assert "Deferred by the chair to the meeting of" in body
    assert "Attendance corrected by Amara Blake" in body
    page.screenshot(path=f"{SCREENSHOTS}/panel_vice_chair_minutes.png", full_page=True)
