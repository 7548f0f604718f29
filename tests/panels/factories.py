"""Factories for panels: members of each type, a referral (complete by default), meetings in
each status, agenda items, decisions. All data synthetic; the requests come from the
requests_app factories (a request being assessed, so it can be referred)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone
from factory.django import DjangoModelFactory

from core.models import EstablishmentType, Phase
from core.roles import Role
from panels import workflow
from panels.models import (
    AgendaItem,
    AgendaItemStatus,
    Attendance,
    PanelDecision,
    PanelMeeting,
    PanelMember,
    Referral,
    ReferralCostLine,
    ReferralOption,
)
from tests.conftest import make_user
from tests.requests_app.factories import AssessingRequestFactory, EstablishmentFactory, days_ago

MS = workflow.MeetingStatus
MT = workflow.MemberType


class IndependentSchoolFactory(EstablishmentFactory):
    name = factory.Sequence(lambda n: f"Test Independent Special School {n}")
    type_group = EstablishmentType.INDEPENDENT_SPECIAL
    phase = Phase.ALL_THROUGH


class SpecialSchoolFactory(EstablishmentFactory):
    name = factory.Sequence(lambda n: f"Test Maintained Special School {n}")
    type_group = EstablishmentType.SPECIAL_MAINTAINED
    phase = Phase.ALL_THROUGH


class PanelMemberFactory(DjangoModelFactory):
    class Meta:
        model = PanelMember

    user = factory.Sequence(lambda n: make_user(Role.PANEL_MEMBER, username=f"member{n}"))
    member_type = MT.SEN.value
    active = True


class HeadTeacherMemberFactory(PanelMemberFactory):
    member_type = MT.HEAD_TEACHER.value
    establishment = factory.SubFactory(SpecialSchoolFactory)


class ReferralFactory(DjangoModelFactory):
    """A complete referral for an independent special school place, awaiting the panel.
    Pass ``options=[]`` and ``cost_lines=[]`` for an incomplete one."""

    class Meta:
        model = Referral
        skip_postgeneration_save = True

    request = factory.SubFactory(AssessingRequestFactory)
    kind = workflow.ReferralKind.INDEPENDENT_SPECIAL.value
    status = workflow.ReferralStatus.AWAITING_PANEL.value
    proposed_establishment = factory.SubFactory(IndependentSchoolFactory)
    parental_preference = "The family prefer the proposed school for its small classes"
    needs_summary = "Severe anxiety; needs a small, low-arousal setting with on-site therapy"
    evidence = factory.LazyFunction(lambda: ["EP report", "Annual review"])
    referred_by = factory.LazyFunction(lambda: make_user(Role.SEN_OFFICER))
    referred_on = factory.LazyFunction(lambda: days_ago(30))

    @factory.post_generation
    def options(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        for option in extracted if extracted is not None else [{}]:
            ReferralOption.objects.create(
                referral=self,
                **{
                    "establishment": option.get("establishment") or SpecialSchoolFactory(),
                    "meets_need": False,
                    "reason": "No place in the SEMH provision this year",
                    "annual_cost_pence": 2_500_000,
                    **option,
                },
            )

    @factory.post_generation
    def cost_lines(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        for line in extracted if extracted is not None else [{"annual_amount_pence": 6_000_000}]:
            ReferralCostLine.objects.create(referral=self, **{"category": "tuition", **line})


class MeetingFactory(DjangoModelFactory):
    """A meeting scheduled for two weeks' time."""

    class Meta:
        model = PanelMeeting

    held_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    starts_at = time(10, 0)
    location = "Room 2, Sessions House, Maidstone"
    status = MS.SCHEDULED.value
    chair = factory.LazyFunction(lambda: make_user(Role.PANEL_CHAIR))


ScheduledMeetingFactory = MeetingFactory


class CirculatedMeetingFactory(MeetingFactory):
    """Papers out: circulated to the members active when it is made (as the service does),
    unless ``circulated_to=[...]`` names them."""

    class Meta:
        skip_postgeneration_save = True

    held_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=3))
    status = MS.PAPERS_CIRCULATED.value

    @factory.post_generation
    def circulated_to(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.circulated_to.set(extracted if extracted is not None else PanelMember.objects.active())


class HeldMeetingFactory(CirculatedMeetingFactory):
    held_on = factory.LazyFunction(timezone.localdate)
    status = MS.HELD.value


class AgendaItemFactory(DjangoModelFactory):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(HeldMeetingFactory)
    referral = factory.SubFactory(ReferralFactory, status=workflow.ReferralStatus.ON_AGENDA.value)
    position = factory.Sequence(lambda n: n + 1)
    status = AgendaItemStatus.LISTED
    added_by = factory.LazyAttribute(lambda o: o.meeting.chair)


class PanelDecisionFactory(DjangoModelFactory):
    """An approval, recorded at a held meeting."""

    class Meta:
        model = PanelDecision

    item = factory.SubFactory(AgendaItemFactory, status=AgendaItemStatus.DECIDED)
    outcome = workflow.DecisionOutcome.APPROVE.value
    meeting_status_at_decision = MS.HELD.value
    suitable_answer = "yes"
    compatible_answer = "yes"
    resources_answer = "yes"
    requested_annual_cost_pence = 6_000_000
    reasons_text = "No maintained school can meet need"
    agreed_annual_ceiling_pence = 5_500_000
    quorum = factory.LazyFunction(dict)
    recorded_by = factory.LazyAttribute(lambda o: o.item.meeting.chair)
    recorded_at = factory.LazyFunction(timezone.now)


@dataclass
class Panel:
    """A quorate panel: one member of each type plus a second SEN member (4 without the head
    teacher), all active."""

    sen: PanelMember
    sen2: PanelMember
    ep: PanelMember
    finance: PanelMember
    head: PanelMember
    chair: User
    officer: User
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def members(self) -> list[PanelMember]:
        return [self.sen, self.sen2, self.ep, self.finance, self.head]

    def present(self, meeting: PanelMeeting, *members: PanelMember) -> None:
        for member in members or self.members:
            Attendance.objects.update_or_create(meeting=meeting, member=member, defaults={"present": True})


def make_panel() -> Panel:
    return Panel(
        sen=PanelMemberFactory(member_type=MT.SEN.value),
        sen2=PanelMemberFactory(member_type=MT.SEN.value),
        ep=PanelMemberFactory(member_type=MT.EP.value),
        finance=PanelMemberFactory(member_type=MT.FINANCE.value),
        head=HeadTeacherMemberFactory(),
        chair=make_user(Role.PANEL_CHAIR, username="chair"),
        officer=make_user(Role.SEN_OFFICER, username="referring_officer"),
    )
