"""The panel demo data (built once, tests/demo/conftest.py): a year of meetings with approved
minutes, the next meeting with an item the demo head teacher is recused from, quorate decisions,
and a second run that adds nothing."""

from __future__ import annotations

import random

import pytest
from django.contrib.auth.models import User

from core.roles import Capability, user_can
from demo import panels_demo
from panels.models import (
    AgendaItem,
    Declaration,
    PanelDecision,
    PanelEvent,
    PanelMeeting,
    PanelMember,
    PanelMinutes,
    Referral,
)
from requests_app.models import RequestEvent
from tests.demo.conftest import SeededDemo

pytestmark = pytest.mark.django_db

MODELS = (
    PanelMember,
    PanelMeeting,
    Referral,
    AgendaItem,
    Declaration,
    PanelDecision,
    PanelMinutes,
    PanelEvent,
    RequestEvent,
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_demo_panel_business_is_complete_and_idempotent(demo_state: SeededDemo) -> None:
    assert "Panel: " in demo_state.output and "already present" not in demo_state.output

    past = PanelMeeting.objects.filter(status="minutes_approved")
    assert past.count() >= 20
    assert PanelMinutes.objects.filter(meeting__in=past, status="approved").count() == past.count()
    outcomes = set(PanelDecision.objects.values_list("outcome", flat=True))
    assert {"approve", "approve_with_conditions", "decline", "more_information"} <= outcomes
    assert all(d.quorum["quorate"] for d in PanelDecision.objects.all())

    # The chair's own referral: deferred by the chair (vice-chair away), then taken by the
    # vice-chair in the chair's place at the next meeting.
    deferred = AgendaItem.objects.get(status="deferred")
    assert deferred.referral.referred_by.username == "chair" and deferred.withdrawn_reason
    taken = PanelDecision.objects.get(item__referral=deferred.referral)
    assert taken.chaired_by.username == "panel_sen_manager" and taken.item.meeting == deferred.deferred_to
    assert "Item taken by Nadia Hussain in the chair's place" in taken.item.meeting.minutes.body
    assert "Deferred by the chair to the meeting of" in deferred.meeting.minutes.body

    # The next meeting has its papers out, with an item the demo head teacher sits out.
    upcoming = PanelMeeting.objects.get(status="papers_circulated")
    head = PanelMember.objects.get(user__username="headteacher")
    assert Declaration.objects.filter(item__meeting=upcoming, member=head, recused=True, automatic=True).exists()
    assert PanelMeeting.objects.filter(status="scheduled", items__isnull=False).exists()
    assert Referral.objects.filter(status="awaiting_panel").exists()
    # The demo sign-ins can use the panel.
    assert user_can(User.objects.get(username="ep"), Capability.PANEL_VIEW)
    assert {m.member_type for m in PanelMember.objects.active()} == {"sen", "ep", "finance", "head_teacher"}

    before = counts()
    again = panels_demo.seed(random.Random(2018))
    assert again.skipped
    assert counts() == before
    assert demo_state.after_second_run == demo_state.after_first_run
