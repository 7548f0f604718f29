"""Reads for the panel's pages and API: the lists people work from, and the quorum an item
would have now. No writes here (``panels.services`` owns every change); every read is scoped by
the models' ``visible_to(user)`` and loads what its callers show up front, so the number of
queries does not grow with the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet

from panels import workflow
from panels.models import (
    AgendaItem,
    AgendaItemStatus,
    Attendance,
    Declaration,
    PanelDecision,
    PanelMeeting,
    PanelMember,
    Referral,
    ReferralOption,
)

OPEN_MEETING_STATUSES = [workflow.MeetingStatus.SCHEDULED.value, workflow.MeetingStatus.PAPERS_CIRCULATED.value]


# --- Referrals -----------------------------------------------------------------------------------


def referral_queryset(user: Any) -> QuerySet[Referral]:
    """The referrals ``user`` may see, with the rows a list or a page shows (children, options,
    cost lines): a fixed number of queries whatever the number of referrals."""
    return (
        Referral.objects.visible_to(user)
        .select_related(
            "request__child__district",
            "proposed_establishment",
            "parental_preference_establishment",
            "referred_by",
        )
        .prefetch_related(
            Prefetch("options", queryset=ReferralOption.objects.select_related("establishment")),
            "cost_lines",
        )
    )


def requested_total(referral: Referral) -> int:
    """The requested annual cost in pence, from the (prefetched) cost lines."""
    return sum(line.annual_amount_pence for line in referral.cost_lines.all())


def missing_for(referral: Referral) -> list[tuple[str, str]]:
    """What stops the referral going on an agenda (reads the prefetched options and costs)."""
    return workflow.referral_missing(referral.facts())


@dataclass(frozen=True)
class ReadyReferrals:
    ready: list[Referral]
    incomplete: list[tuple[Referral, list[str]]]


def referrals_for_agenda(user: Any) -> ReadyReferrals:
    """Referrals awaiting the panel, split into those complete enough for an agenda and the
    rest with what each lacks."""
    ready: list[Referral] = []
    incomplete: list[tuple[Referral, list[str]]] = []
    for referral in referral_queryset(user).awaiting_panel().order_by("referred_on", "pk"):
        missing = missing_for(referral)
        if missing:
            incomplete.append((referral, [message for _, message in missing]))
        else:
            ready.append(referral)
    return ReadyReferrals(ready=ready, incomplete=incomplete)


# --- Meetings ------------------------------------------------------------------------------------


def meeting_queryset(user: Any) -> QuerySet[PanelMeeting]:
    """Meetings ``user`` may see, with the chair and the number of items still on the agenda."""
    return (
        PanelMeeting.objects.visible_to(user)
        .select_related("chair")
        .annotate(item_count=Count("items", filter=~Q(items__status=AgendaItemStatus.WITHDRAWN)))
    )


def split_meetings(
    meetings: QuerySet[PanelMeeting], *, today: date
) -> tuple[QuerySet[PanelMeeting], QuerySet[PanelMeeting]]:
    """Upcoming (not yet held, soonest first) and past (the rest, latest first) meetings.

    Both are querysets: the upcoming ones are few (a meeting a month or so), the past ones
    grow by a dozen or more a year for as long as the service runs, so the caller pages them.
    A meeting is in exactly one of the two.
    """
    open_ahead = Q(status__in=OPEN_MEETING_STATUSES, held_on__gte=today)
    upcoming = meetings.filter(open_ahead).order_by("held_on", "starts_at", "pk")
    past = meetings.exclude(open_ahead).order_by("-held_on", "-starts_at", "-pk")
    return upcoming, past


def agenda_items(meeting: PanelMeeting) -> list[AgendaItem]:
    """The meeting's agenda in order, with the referral, the child (for initials), the
    declarations and the decision loaded."""
    return list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("referral__request__child", "referral__proposed_establishment")
        .prefetch_related(
            "referral__cost_lines",
            Prefetch("declarations", queryset=Declaration.objects.select_related("member__user")),
            Prefetch("decisions", queryset=PanelDecision.objects.select_related("deferred_to")),
        )
        .order_by("position")
    )


def attendance_for(meeting: PanelMeeting) -> list[Attendance]:
    return list(Attendance.objects.filter(meeting=meeting).select_related("member__user", "member__establishment"))


def active_members() -> list[PanelMember]:
    return list(PanelMember.objects.active().select_related("user", "establishment").order_by("member_type", "pk"))


def later_meetings(meeting: PanelMeeting) -> QuerySet[PanelMeeting]:
    """Meetings an item can be deferred to: later, and papers not yet out."""
    return PanelMeeting.objects.filter(held_on__gt=meeting.held_on, status=workflow.MeetingStatus.SCHEDULED).order_by(
        "held_on", "pk"
    )


def member_for(user: Any) -> PanelMember | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return PanelMember.objects.active().filter(user=user).select_related("establishment").first()


# --- Quorum --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemQuorum:
    """Who may take part in deciding an item now, and whether they are quorate."""

    result: workflow.QuorumResult
    present: list[PanelMember]
    sitting: list[PanelMember]  # present and not recused
    recused: list[tuple[PanelMember, str]]  # with the interest recorded


def item_quorum(item: AgendaItem) -> ItemQuorum:
    """The quorum for ``item`` from the attendance recorded and the recusals (the same rule
    ``services.decision_record`` applies: ``workflow.quorum``)."""
    present = [
        a.member
        for a in Attendance.objects.filter(meeting_id=item.meeting_id, present=True)
        .select_related("member__user")
        .order_by("member__member_type", "member_id")
    ]
    recusals = {
        d.member_id: d for d in Declaration.objects.filter(item=item, recused=True).select_related("member__user")
    }
    result = workflow.quorum(
        [(m.pk, m.member_type) for m in present],
        set(recusals),
        minimum_headcount=settings.PANEL_MINIMUM_HEADCOUNT,
    )
    return ItemQuorum(
        result=result,
        present=present,
        sitting=[m for m in present if m.pk not in recusals],
        recused=[(d.member, d.interest) for d in recusals.values()],
    )
