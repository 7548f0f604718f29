"""Reads for the panel's pages and API: the lists people work from, and the quorum an item
would have now. No writes here (``panels.services`` owns every change); every read is scoped by
the models' ``visible_to(user)`` and loads what its callers show up front, so the number of
queries does not grow with the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet

from core.models import Establishment, OfstedGrade
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
    ReferralQuerySet,
)

OPEN_MEETING_STATUSES = [workflow.MeetingStatus.SCHEDULED.value, workflow.MeetingStatus.PAPERS_CIRCULATED.value]


# --- Referrals -----------------------------------------------------------------------------------


def referral_queryset(user: Any) -> ReferralQuerySet:
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


# --- What a viewer may see of a referral's papers ------------------------------------------------


def papers_access_for(user: Any, referral_ids: Iterable[int]) -> dict[int, workflow.PapersAccess]:
    """How much of each referral's papers ``user`` gets (``workflow.papers_access``): withheld
    where they are recused from any agenda item of it, minimised for a head teacher, else all.
    One query whatever the number of referrals."""
    ids = list(referral_ids)
    member = member_for(user)
    recused: set[int] = set()
    if member is not None and ids:
        recused = set(
            Declaration.objects.filter(member=member, recused=True, item__referral_id__in=ids).values_list(
                "item__referral_id", flat=True
            )
        )
    minimised = member is not None and member.is_head_teacher
    return {pk: workflow.papers_access(recused=pk in recused, minimised=minimised) for pk in ids}


def withheld_papers(user: Any) -> dict[int, workflow.PapersAccess]:
    """The referrals whose papers are withheld from ``user`` (those they are recused from), for
    doors that show an item but not its papers (an agenda item's decision)."""
    member = member_for(user)
    if member is None:
        return {}
    ids = Declaration.objects.filter(member=member, recused=True).values_list("item__referral_id", flat=True)
    return dict.fromkeys(ids, workflow.PapersAccess.WITHHELD)


def child_identifiers(referral: Referral) -> workflow.ChildIdentifiers:
    child = referral.request.child
    return workflow.ChildIdentifiers(
        forename=child.forename, surname=child.surname, date_of_birth=child.date_of_birth, upn=child.upn
    )


def _establishment(establishment: Establishment | None) -> dict[str, Any] | None:
    if establishment is None:
        return None
    return {"id": establishment.pk, "urn": establishment.urn, "name": establishment.name}


# --- Cost intelligence ---------------------------------------------------------------------------

# The agreed costs a referral's lines are benchmarked against live on placement contracts, a
# layer above this one (docs/architecture.md §2). The placements app registers the function
# that reads them when it starts (placements/apps.py), as apps register their document owners
# with core; without it (an installation with no placements app) lines have no benchmark.
BenchmarkSource = Callable[[Sequence[int]], Mapping[int, workflow.Benchmark]]
_benchmark_source: list[BenchmarkSource] = []


def register_benchmark_source(source: BenchmarkSource) -> None:
    _benchmark_source[:] = [source]


def line_benchmarks_for(referral_ids: Iterable[int]) -> dict[int, workflow.Benchmark]:
    """The benchmark of every cost line of the referrals, keyed by the line's id (one query for
    them all on PostgreSQL)."""
    ids = list(referral_ids)
    if not ids or not _benchmark_source:
        return {}
    return dict(_benchmark_source[0](ids))


def maintained_average_pence() -> int:
    """The council's average annual cost of a maintained special-school place (a setting)."""
    return int(settings.MAINTAINED_SPECIAL_COST_PER_PLACE_PENCE)


def line_intelligence(amount_pence: int, benchmark: workflow.Benchmark | None) -> dict[str, Any]:
    """A costed line's benchmark and the flags its amount raises against it."""
    benchmark = benchmark or workflow.Benchmark()
    flags = workflow.cost_flags(amount_pence, benchmark)
    return {
        "benchmark": benchmark.as_dict(),
        "flags": [flag.value for flag in flags],
        "flag_labels": [flag.label for flag in flags],
    }


def provider_inspection(establishment: Establishment | None) -> dict[str, Any] | None:
    """The proposed establishment's latest Ofsted grade and date, its place on the s.41 list,
    and whether the grade is below "Good" (flagged at referral)."""
    if establishment is None:
        return None
    grade = establishment.ofsted_grade
    return {
        "ofsted_grade": grade,
        "ofsted_grade_label": OfstedGrade(grade).label if grade else "Not known",
        "ofsted_inspected_on": establishment.ofsted_inspected_on,
        "s41_approved": establishment.s41_approved,
        "below_good": workflow.inspection_below_good(grade),
    }


def referral_papers(
    referral: Referral,
    *,
    access: workflow.PapersAccess,
    today: date,
    benchmarks: Mapping[int, workflow.Benchmark] | None = None,
) -> dict[str, Any]:
    """A referral's papers as ``access`` allows, built once for every door that shows them (the
    pack, its page and API, the referral API list and detail).

    Withheld: the referral's id and kind only. Minimised (head teachers, docs/architecture.md §1): the
    child by initials, age, district and need, and every free-text field with the child's
    identifiers redacted (``workflow.redact_identifiers``), whatever was typed. Full: the child's
    name as well, and the text as written. Reads the prefetched options and cost lines.
    """
    papers: dict[str, Any] = {
        "referral_id": referral.pk,
        "kind": referral.kind,
        "kind_label": workflow.ReferralKind(referral.kind).label,
        "papers_access": access.value,
        "papers_withheld": access is workflow.PapersAccess.WITHHELD,
        # An annual fee review back at the panel: figures only, never the child (every access level).
        "fee_review_contract": referral.fee_review_contract,
        "fee_review_current_pence": referral.fee_review_current_pence,
        "fee_review_proposed_pence": referral.fee_review_proposed_pence,
    }
    if access is workflow.PapersAccess.WITHHELD:
        return papers
    child = referral.request.child
    identity = workflow.minimised_child(
        workflow.ChildFacts(
            forename=child.forename,
            surname=child.surname,
            date_of_birth=child.date_of_birth,
            district=child.district.name,
            primary_need=child.primary_need,
        ),
        today,
    )
    minimised = access is workflow.PapersAccess.MINIMISED
    identifiers = child_identifiers(referral)

    def clean(text: str) -> str:
        return workflow.redact_identifiers(text, identifiers) if minimised else text

    papers["child"] = identity if minimised else {"name": child.full_name, **identity}
    cost_lines = list(referral.cost_lines.all())
    if benchmarks is None:
        benchmarks = line_benchmarks_for([referral.pk]) if cost_lines else {}
    papers.update(
        needs_summary=clean(referral.needs_summary),
        proposed_establishment=_establishment(referral.proposed_establishment),
        parental_preference=clean(referral.parental_preference),
        parental_preference_establishment=_establishment(referral.parental_preference_establishment),
        options=[
            {
                "establishment": _establishment(o.establishment),
                "meets_need": o.meets_need,
                "reason": clean(o.reason),
                "annual_cost_pence": o.annual_cost_pence,
                "above_maintained_average": workflow.maintained_average_flag(
                    o.annual_cost_pence, maintained_average_pence()
                ),
            }
            for o in referral.options.all()
        ],
        cost_lines=[
            {
                "category": c.category,
                "annual_amount_pence": c.annual_amount_pence,
                "description": clean(c.description),
                **line_intelligence(c.annual_amount_pence, benchmarks.get(c.pk)),
            }
            for c in cost_lines
        ],
        maintained_average_pence=maintained_average_pence(),
        provider_inspection=provider_inspection(referral.proposed_establishment),
        requested_annual_cost_pence=sum(c.annual_amount_pence for c in cost_lines),
        evidence=[clean(line) for line in referral.evidence],
    )
    return papers


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
        .select_related("referral__request__child", "referral__proposed_establishment", "deferred_to")
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
    sitting: list[PanelMember]  # present, not recused, not the proposer
    recused: list[tuple[PanelMember, str]]  # with the interest recorded
    proposer: PanelMember | None = None  # the member who made the referral, when present


def proposer_member_id(item: AgendaItem) -> int | None:
    """The panel member who made the item's referral, if they are a member."""
    return PanelMember.objects.filter(user_id=item.referral.referred_by_id).values_list("pk", flat=True).first()


def item_quorum(item: AgendaItem) -> ItemQuorum:
    """The quorum for ``item`` from the attendance recorded, the recusals and the proposer (the
    same rule ``services.decision_record`` applies: ``workflow.sitting_ids`` and
    ``workflow.quorum``)."""
    present = [
        a.member
        for a in Attendance.objects.filter(meeting_id=item.meeting_id, present=True)
        .select_related("member__user")
        .order_by("member__member_type", "member_id")
    ]
    recusals = {
        d.member_id: d for d in Declaration.objects.filter(item=item, recused=True).select_related("member__user")
    }
    proposer_id = proposer_member_id(item)
    sitting = set(workflow.sitting_ids([m.pk for m in present], set(recusals), proposer_id))
    result = workflow.quorum(
        [(m.pk, m.member_type) for m in present if m.pk in sitting],
        set(recusals),
        minimum_headcount=settings.PANEL_MINIMUM_HEADCOUNT,
    )
    return ItemQuorum(
        result=result,
        present=present,
        sitting=[m for m in present if m.pk in sitting],
        recused=[(d.member, d.interest) for d in recusals.values()],
        proposer=next((m for m in present if m.pk == proposer_id), None),
    )
