"""The panel meetings list: every upcoming meeting, and the past meetings 20 a page, newest
first, with a fixed number of queries however long the panel has been meeting."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from panels.models import PanelMeeting
from panels.workflow import MeetingStatus
from tests.panels.factories import CirculatedMeetingFactory, MeetingFactory, Panel, ScheduledMeetingFactory, make_panel

pytestmark = pytest.mark.django_db

URL = reverse("panels:meeting-list")


@pytest.fixture
def panel() -> Panel:
    return make_panel()


def past_meetings(panel: Panel, count: int) -> list[PanelMeeting]:
    """``count`` held meetings a fortnight apart, newest first (the order the list shows)."""
    today = timezone.localdate()
    return [
        MeetingFactory(
            chair=panel.chair, held_on=today - timedelta(days=14 * (n + 1)), status=MeetingStatus.MINUTES_APPROVED
        )
        for n in range(count)
    ]


def listed(html: str) -> list[int]:
    """The meetings the page links to, in the order shown."""
    prefix = re.escape(reverse("panels:meeting-detail", args=[1])[: -len("1/")])
    return [int(pk) for pk in re.findall(rf'href="{prefix}(\d+)/"', html)]


def get(client: Any, panel: Panel, page: str | None = None) -> str:
    client.force_login(panel.chair)
    response = client.get(URL, {"page": page} if page is not None else {})
    assert response.status_code == 200
    return response.content.decode()


def test_first_page_shows_the_20_newest_past_meetings_and_every_upcoming_one(client, panel):
    past = past_meetings(panel, 45)
    upcoming = [ScheduledMeetingFactory(chair=panel.chair), CirculatedMeetingFactory(chair=panel.chair)]
    html = get(client, panel)
    shown = listed(html)
    soonest_first = [upcoming[1].pk, upcoming[0].pk]
    assert shown == soonest_first + [m.pk for m in past[:20]]
    assert "Past meetings, page 1 of 3" in html
    assert "<title>Panel meetings – SEN Portal</title>" in html
    assert 'href="?page=2" rel="next"' in html
    assert 'rel="prev"' not in html


def test_second_page_shows_the_next_20_and_leaves_upcoming_meetings_to_the_first(client, panel):
    # Upcoming meetings are on page 1 only: a member opens the list to find the next meeting,
    # and goes further back only to look something up in the record; there the paged table
    # should come straight after the heading, not below the same upcoming table every time.
    past = past_meetings(panel, 45)
    upcoming = ScheduledMeetingFactory(chair=panel.chair)
    html = get(client, panel, "2")
    assert listed(html) == [m.pk for m in past[20:40]]
    assert upcoming.pk not in listed(html)
    assert "Upcoming meetings" not in html
    assert "Past meetings, page 2 of 3" in html
    assert "<title>Panel meetings (page 2 of 3) – SEN Portal</title>" in html
    assert 'href="?page=1" rel="prev"' in html and 'href="?page=3" rel="next"' in html
    assert 'aria-label="Page 2" aria-current="page"' in html


def test_last_page_shows_the_oldest(client, panel):
    past = past_meetings(panel, 45)
    html = get(client, panel, "3")
    assert listed(html) == [m.pk for m in past[40:]]
    assert 'rel="next"' not in html


def test_a_meeting_not_held_by_its_date_is_listed_once_among_the_past(client, panel):
    today = timezone.localdate()
    overdue = ScheduledMeetingFactory(chair=panel.chair, held_on=today - timedelta(days=1))
    later = ScheduledMeetingFactory(chair=panel.chair)
    assert listed(get(client, panel)) == [later.pk, overdue.pk]


def test_one_page_of_past_meetings_has_a_plain_caption_and_no_pagination(client, panel):
    past_meetings(panel, 20)
    html = get(client, panel)
    assert len(listed(html)) == 20
    assert "Past meetings</caption>" in html
    assert "govuk-pagination" not in html


@pytest.mark.parametrize(
    ("asked", "shown_page"),
    [("0", 1), ("-1", 1), ("x", 1), ("", 1), ("1.5", 1), ("99", 3), ("9" * 30, 3)],
)
def test_a_bad_page_number_shows_a_sensible_page(client, panel, asked, shown_page):
    past_meetings(panel, 45)
    html = get(client, panel, asked)
    assert f"Past meetings, page {shown_page} of 3" in html


def test_with_no_past_meetings_the_page_says_so(client, panel):
    ScheduledMeetingFactory(chair=panel.chair)
    html = get(client, panel, "4")
    assert "None yet." in html
    assert "Upcoming meetings" in html


# The queries: the session, the user and their groups; the upcoming meetings, the count of past
# meetings and their page; the member lookup; the session's save (a savepoint, the update and its
# release). The same whether the panel has met once or fifty times.
MAX_QUERIES = 10


@pytest.mark.parametrize("held", [1, 50])
def test_queries_do_not_grow_with_the_number_of_meetings(client, panel, django_assert_max_num_queries, held):
    past_meetings(panel, held)
    ScheduledMeetingFactory(chair=panel.chair)
    client.force_login(panel.chair)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(URL)
    assert response.status_code == 200


def test_fifty_past_meetings_take_the_same_queries_as_one(client, panel):
    past_meetings(panel, 1)
    client.force_login(panel.chair)
    client.get(URL)  # the first request after sign-in may touch the session more
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    past_meetings(panel, 49)
    with CaptureQueriesContext(connection) as fifty:
        client.get(URL)
    assert len(fifty.captured_queries) == len(one.captured_queries)
