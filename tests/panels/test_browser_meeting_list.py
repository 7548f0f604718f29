"""Headless Chromium: the chair pages through the past meetings; each page passes axe-core."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from panels.workflow import MeetingStatus
from tests.panels.factories import MeetingFactory, ScheduledMeetingFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_chair_pages_through_past_meetings(page, live_server, personas, sign_in, assert_accessible):
    chair = personas.chair
    today = timezone.localdate()
    for n in range(45):
        MeetingFactory(chair=chair, held_on=today - timedelta(days=14 * (n + 1)), status=MeetingStatus.MINUTES_APPROVED)
    ScheduledMeetingFactory(chair=chair)
    sign_in(page, chair)
    page.goto(live_server.url + reverse("panels:meeting-list"))
    assert page.get_by_text("Past meetings, page 1 of 3").is_visible()
    assert page.get_by_text("Upcoming meetings").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Next page").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.get_by_text("Past meetings, page 2 of 3").is_visible()
    assert page.title().startswith("Panel meetings (page 2 of 3)")
    assert page.locator('.govuk-pagination [aria-current="page"]').inner_text() == "2"
    assert_accessible(page)
