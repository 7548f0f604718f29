"""The panel minutes' download goes through the export gate like every other download (a
sign-in within 15 minutes, then a purpose), and a member recused from an item reads the minutes,
on the page and in the download, without that item's content (issue 14)."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from core import sudo
from core.models import AccessLog
from core.roles import Role
from panels import workflow
from panels.models import Declaration, PanelMinutes
from tests.conftest import make_user, signed_in
from tests.panels.factories import AgendaItemFactory, HeadTeacherMemberFactory, HeldMeetingFactory

SECRET_REASONS = "housing is at risk"


def test_a_recused_readers_items_keep_only_their_number_and_kind():
    body = (
        "Central placement panel\nChair: A Chair\n\n"
        "Item 1: referral 7 (Independent special school, child AB)\n"
        "  Declaration: Head, prejudicial – leads the school (recused)\n  Reasons: private\n\n"
        "Item 2: referral 8 (Independent special school, child CD)\n  Reasons: shown"
    )
    read = workflow.minutes_for_reader(body, {7})
    assert "private" not in read and "child AB" not in read and "leads the school" not in read
    assert f"Item 1: referral 7 (Independent special school)\n{workflow.WITHHELD_ITEM_NOTE}" in read
    assert "Item 2: referral 8 (Independent special school, child CD)\n  Reasons: shown" in read
    assert workflow.minutes_for_reader(body, set()) == body


@pytest.fixture
def minuted(db):
    head = HeadTeacherMemberFactory(user=make_user(Role.PANEL_MEMBER))
    meeting = HeldMeetingFactory(circulated_to=[head])
    recused_item = AgendaItemFactory(meeting=meeting)
    other_item = AgendaItemFactory(meeting=meeting)
    Declaration.objects.create(
        member=head,
        item=recused_item,
        nature="prejudicial",
        interest="Leads the school proposed",
        recused=True,
        declared_at=timezone.now(),
    )
    PanelMinutes.objects.create(
        meeting=meeting,
        body=(
            f"Central placement panel\nChair: A Chair\n\n"
            f"Item {recused_item.position}: referral {recused_item.referral_id} "
            "(Independent special school, child AB)\n"
            f"  Declaration: Head, prejudicial – Leads the school proposed (recused)\n"
            f"  Reasons: {SECRET_REASONS}\n\n"
            f"Item {other_item.position}: referral {other_item.referral_id} (Independent special school, child CD)\n"
            f"  Reasons: no maintained school can meet need\n"
        ),
        generated_at=timezone.now(),
    )
    return {"head": head, "meeting": meeting, "url": reverse("panels:minutes", args=[meeting.pk])}


def test_the_download_needs_a_fresh_sign_in_and_a_purpose(minuted):
    client = signed_in(minuted["meeting"].chair)
    session = client.session
    session[sudo.SUDO_SESSION_KEY] = int(time.time()) - 16 * 60
    session.save()
    stale = client.get(minuted["url"], {"format": "txt", "purpose": "panel"})
    assert stale.status_code == 302 and stale["Location"].startswith("/account/confirm/")

    client = signed_in(minuted["meeting"].chair)
    asked = client.get(minuted["url"], {"format": "txt"})
    assert asked.status_code == 200 and not asked.has_header("Content-Disposition")
    assert b'name="purpose"' in asked.content
    assert not AccessLog.objects.filter(object_type="panel_minutes").exists()

    download = client.get(minuted["url"], {"format": "txt", "purpose": "panel"})
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert SECRET_REASONS.encode() in download.content  # the chair is not recused
    logged = AccessLog.objects.filter(object_type="panel_minutes", action="export")
    assert logged.count() == 2 and all("purpose=panel" in row.path for row in logged)  # one row a child


def test_a_recused_member_reads_neither_the_page_nor_the_download_of_that_item(minuted):
    client = signed_in(minuted["head"].user)
    page = client.get(minuted["url"]).content.decode()
    download = client.get(minuted["url"], {"format": "txt", "purpose": "panel"}).content.decode()
    for text in (page, download):
        assert SECRET_REASONS not in text and "Leads the school proposed" not in text and "child AB" not in text
        assert "Papers withheld: you were recused from this item." in text
        assert "no maintained school can meet need" in text  # the item they sat on is all there
    assert "<textarea" not in page
