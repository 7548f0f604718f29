"""Synthetic panel business for the demo: a year of fortnightly meetings and the next two.

Called by ``seed_demo`` with its seeded ``random.Random`` after the demo requests exist. Every
change goes through ``panels.services``, so the rows, the panel events and the entries on the
children's request timelines are exactly what the service would write. Past meetings are
replayed on the days they happened: every panel service takes the moment it acts as ``at``, so
a meeting held last March was scheduled, circulated, decided and minuted on dates in March, and
the same rules (no meeting scheduled in the past, none marked held before its day) hold on that
day. (The entries the panel writes on a child's request timeline are dated when the demo runs:
the request services take no date.)

What it makes, when the demo users exist (DEBUG on):

- panel members: ``chair`` (SEN), ``panel`` (finance), ``ep`` (educational psychology; given the
  panel member role), ``headteacher`` (head of a maintained special school), and three synthetic
  members who cannot sign in (an SEN manager, a second EP and a second head teacher);
- about 25 past meetings, fortnightly, each with referrals on demo requests, declarations,
  attendance, a decision on every item (approvals, conditions, declines, deferrals, requests for
  more information) and approved minutes; among them a referral the chair made, which the chair
  defers (the vice-chair, Nadia Hussain, sent apologies) and which the vice-chair takes at the
  next meeting in the chair's place;
- the next meeting with its papers circulated, including an item from which the demo head
  teacher is recused (their school is one of the options considered), and the one after,
  scheduled with an agenda; and referrals waiting, some complete, some not.

Idempotent: once a referral exists on a demo request (reference ``DEMO-…``) nothing is added.
Deterministic for a given seed and day.
"""

from __future__ import annotations

import random
import time as timer
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils import timezone

from core.models import Establishment, EstablishmentType, NeedType
from core.roles import Role
from panels import services, workflow
from panels.models import AgendaItem, AgendaItemStatus, PanelMeeting, PanelMember, Referral
from requests_app import workflow as request_workflow
from requests_app.models import AssessmentRequest

DEMO_PREFIX = "DEMO-"
LOCATION = "Council Chamber, Sessions House, Maidstone"
PAST_MEETINGS = 25
# The past meeting (by index) at which the chair's own referral is deferred.
CHAIR_REFERRAL_AT = PAST_MEETINGS - 4
FORTNIGHT = timedelta(days=14)
# Requests in these statuses can be referred (the requests workflow's REFER_TO_PANEL rows).
REFERABLE = [
    request_workflow.Status.ASSESSING,
    request_workflow.Status.AWAITING_ISSUE_DECISION,
    request_workflow.Status.DRAFTING,
    request_workflow.Status.DRAFT_ISSUED,
    request_workflow.Status.PLAN_ISSUED,
]


@dataclass(frozen=True)
class _Synthetic:
    username: str
    first_name: str
    last_name: str
    member_type: workflow.MemberType
    vice_chair: bool = False


# Members who cannot sign in: they make the panel quorate and realistic.
SYNTHETIC_MEMBERS = (
    _Synthetic("panel_sen_manager", "Nadia", "Hussain", workflow.MemberType.SEN, vice_chair=True),
    _Synthetic("panel_ep2", "Owen", "Pritchard", workflow.MemberType.EP),
    _Synthetic("panel_head2", "Gareth", "Lowe", workflow.MemberType.HEAD_TEACHER),
)

OUTCOME_WEIGHTS = {
    workflow.DecisionOutcome.APPROVE: 40,
    workflow.DecisionOutcome.APPROVE_WITH_CONDITIONS: 20,
    workflow.DecisionOutcome.DECLINE: 22,
    workflow.DecisionOutcome.DEFER: 8,
    workflow.DecisionOutcome.MORE_INFORMATION: 10,
}
KIND_WEIGHTS = {
    workflow.ReferralKind.INDEPENDENT_SPECIAL: 60,
    workflow.ReferralKind.NON_MAINTAINED_SPECIAL: 10,
    workflow.ReferralKind.ONE_TO_ONE: 10,
    workflow.ReferralKind.THERAPY: 8,
    workflow.ReferralKind.TRANSPORT: 6,
    workflow.ReferralKind.EXCEPTIONAL_TOP_UP: 6,
}
# Free text never names a child or family: it goes into every member's pack.
NEEDS: dict[str, str] = {
    NeedType.ASD: "Autism with high anxiety; has attended for less than half of the last two terms. "
    "Needs a small, low-arousal setting with on-site speech and language therapy.",
    NeedType.SEMH: "Social, emotional and mental health needs; two permanent exclusions. Needs a "
    "therapeutic setting with small classes and a consistent key adult.",
    NeedType.SLCN: "Severe language disorder; needs a language-rich setting with daily speech and "
    "language therapy integrated into teaching.",
    NeedType.SLD: "Severe learning difficulties with behaviour that challenges; needs a waking-day "
    "curriculum and a high staff ratio.",
    NeedType.PMLD: "Profound and multiple learning difficulties with complex health needs; needs "
    "on-site nursing, physiotherapy and hydrotherapy.",
    NeedType.HI: "Profound deafness; British Sign Language user. Needs a bilingual BSL setting.",
    NeedType.PD: "Physical disability with complex medical needs; needs on-site physiotherapy and "
    "occupational therapy.",
}
DEFAULT_NEED = "Complex needs set out in the EP report; needs a specialist setting with small classes and therapy."
OPTION_REASONS_NO = (
    "No place in the specialist resource provision this year.",
    "Cannot provide the on-site therapy the EP report specifies.",
    "The class sizes are too large for the level of anxiety described.",
    "Consulted: the school says it cannot meet need without a building adaptation.",
)
OPTION_REASONS_YES = (
    "Can meet need with additional outreach support; a place is available from September.",
    "Suitable: the autism resource base has a place and the therapy input can be commissioned.",
)
EVIDENCE = (
    "EP report",
    "Speech and language therapy report",
    "Annual review",
    "Consultation responses from maintained schools",
    "Paediatric report",
    "School's costed provision map",
)


# --- The days things happened ----------------------------------------------------------------


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


# --- People --------------------------------------------------------------------------------------


@dataclass
class _Cast:
    chair: User
    officers: list[User]
    members: list[PanelMember]
    head: PanelMember  # the demo head teacher who signs in
    vice: PanelMember  # the vice-chair (a synthetic SEN manager with the chair's role)
    users: dict[str, User] = field(default_factory=dict)

    def member(self, member_type: workflow.MemberType) -> list[PanelMember]:
        return [m for m in self.members if m.member_type == member_type]


def _special_schools() -> list[Establishment]:
    return list(
        Establishment.objects.open()
        .filter(type_group__in=[EstablishmentType.SPECIAL_MAINTAINED, EstablishmentType.SPECIAL_ACADEMY])
        .order_by("urn")
    )


def _synthetic_user(spec: _Synthetic) -> User:
    user, created = User.objects.get_or_create(
        username=spec.username, defaults={"first_name": spec.first_name, "last_name": spec.last_name}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get_or_create(name=Role.PANEL_MEMBER.value)[0])
    if spec.vice_chair:
        user.groups.add(Group.objects.get_or_create(name=Role.PANEL_CHAIR.value)[0])
    return user


def _cast() -> _Cast | None:
    """The panel's members, added once. None without the demo users (DEBUG off)."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["chair", "panel", "ep", "headteacher", "officer", "officer2"])
    }
    if not {"chair", "panel", "ep", "headteacher", "officer"} <= set(users):
        return None
    schools = _special_schools()
    if len(schools) < 2:
        return None
    chair = users["chair"]
    # The EP service's demo sign-in also sits on the panel (seed_users resets roles each run).
    users["ep"].groups.add(Group.objects.get_or_create(name=Role.PANEL_MEMBER.value)[0])
    wanted: list[tuple[User, workflow.MemberType, Establishment | None]] = [
        (chair, workflow.MemberType.SEN, None),
        (users["panel"], workflow.MemberType.FINANCE, None),
        (users["ep"], workflow.MemberType.EP, None),
        (users["headteacher"], workflow.MemberType.HEAD_TEACHER, schools[0]),
    ]
    for spec in SYNTHETIC_MEMBERS:
        wanted.append(
            (
                _synthetic_user(spec),
                spec.member_type,
                schools[-1] if spec.member_type == workflow.MemberType.HEAD_TEACHER else None,
            )
        )
    existing = {m.user_id: m for m in PanelMember.objects.all()}
    members = []
    for user, member_type, school in wanted:
        member = existing.get(user.pk)
        if member is None or not member.active:
            member = services.panel_member_add(actor=chair, user=user, member_type=member_type, establishment=school)
        members.append(member)
    officers = [users[name] for name in ("officer", "officer2") if name in users]
    vice = members[4]
    return _Cast(chair=chair, officers=officers, members=members, head=members[3], vice=vice, users=users)


# --- Referrals -----------------------------------------------------------------------------------


@dataclass
class _Places:
    independent: list[Establishment]
    non_maintained: list[Establishment]
    maintained: list[Establishment]  # special maintained and academies, and mainstream


def _places() -> _Places:
    schools = list(Establishment.objects.open().order_by("urn"))
    return _Places(
        independent=[s for s in schools if s.type_group == EstablishmentType.INDEPENDENT_SPECIAL],
        non_maintained=[s for s in schools if s.type_group == EstablishmentType.NON_MAINTAINED_SPECIAL],
        maintained=[
            s
            for s in schools
            if s.type_group
            in (
                EstablishmentType.SPECIAL_MAINTAINED,
                EstablishmentType.SPECIAL_ACADEMY,
                EstablishmentType.MAINSTREAM_ACADEMY,
            )
        ],
    )


class _Requests:
    """Demo requests that can be referred, each used once: received at least six weeks before
    the referral and, if a plan has been issued, not before the referral."""

    def __init__(self) -> None:
        self.rows = list(
            AssessmentRequest.objects.filter(reference__startswith=DEMO_PREFIX, status__in=[s.value for s in REFERABLE])
            .select_related("child")
            .order_by("received_on", "pk")
        )
        self.used: set[int] = set()

    def take(self, rng: random.Random, on: date) -> AssessmentRequest | None:
        fits = [
            r
            for r in self.rows
            if r.pk not in self.used
            and r.received_on <= on - timedelta(days=42)
            and (r.final_plan_issued_on is None or r.final_plan_issued_on >= on)
        ]
        if not fits:
            return None
        chosen = rng.choice(fits[-40:])  # among the most recent that fit, as a real caseload would be
        self.used.add(chosen.pk)
        return chosen


def _pounds(rng: random.Random, low: int, high: int) -> int:
    """A whole number of pounds, in pence, rounded to £50."""
    return rng.randrange(low, high, 50) * 100


def _referral_data(
    rng: random.Random, places: _Places, request: AssessmentRequest, *, option: Establishment | None = None
) -> dict[str, Any]:
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    proposed = None
    if kind == workflow.ReferralKind.INDEPENDENT_SPECIAL and places.independent:
        proposed = rng.choice(places.independent)
    elif kind == workflow.ReferralKind.NON_MAINTAINED_SPECIAL and places.non_maintained:
        proposed = rng.choice(places.non_maintained)
    elif kind.is_placement:
        kind = workflow.ReferralKind.ONE_TO_ONE
    options = rng.sample(places.maintained, k=min(len(places.maintained), rng.randint(1, 3)))
    if option is not None:
        options = [option, *[o for o in options if o != option]][:3]
    meets = rng.random() < 0.25
    option_rows = [
        {
            "establishment": school,
            "meets_need": meets and index == 0,
            "reason": rng.choice(OPTION_REASONS_YES if meets and index == 0 else OPTION_REASONS_NO),
            "annual_cost_pence": _pounds(rng, 19000, 34000),
        }
        for index, school in enumerate(options)
    ]
    if kind.is_placement:
        costs = [{"category": "tuition", "annual_amount_pence": _pounds(rng, 42000, 78000)}]
        if rng.random() < 0.3:
            costs.append({"category": "residential", "annual_amount_pence": _pounds(rng, 25000, 65000)})
        if rng.random() < 0.6:
            costs.append({"category": "therapies", "annual_amount_pence": _pounds(rng, 3000, 14000)})
        if rng.random() < 0.5:
            costs.append({"category": "transport", "annual_amount_pence": _pounds(rng, 6000, 18000)})
    else:
        category = {
            workflow.ReferralKind.ONE_TO_ONE: "one_to_one",
            workflow.ReferralKind.THERAPY: "therapies",
            workflow.ReferralKind.TRANSPORT: "transport",
        }.get(kind, "other")
        costs = [
            {
                "category": category,
                "annual_amount_pence": _pounds(rng, 6000, 24000),
                "description": "Exceptional top-up above band E" if category == "other" else "",
            }
        ]
    need = request.child.primary_need
    preference = (
        f"The family prefer {proposed.name} for its small classes and on-site therapy."
        if proposed
        else "The family want the child to stay at the current school with the extra support."
    )
    return {
        "kind": kind.value,
        "proposed_establishment": proposed,
        "parental_preference": preference,
        "parental_preference_establishment": proposed if proposed and rng.random() < 0.7 else None,
        "needs_summary": NEEDS.get(need, DEFAULT_NEED),
        "options": option_rows,
        "cost_lines": costs,
        "evidence": rng.sample(EVIDENCE, k=rng.randint(2, 4)),
    }


def _refer(
    rng: random.Random,
    cast: _Cast,
    places: _Places,
    requests: _Requests,
    on: date,
    actor: User | None = None,
    **kwargs: Any,
) -> Referral | None:
    request = requests.take(rng, on)
    if request is None:
        return None
    at = _at(on, 14, rng.randrange(0, 60))
    return services.referral_create(
        actor=actor or rng.choice(cast.officers),
        request=request,
        referred_on=on,
        at=at,
        **_referral_data(rng, places, request, **kwargs),
    )


# --- Meetings ------------------------------------------------------------------------------------


def _tuesday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() - 1) % 7)


def _schedule(cast: _Cast, held_on: date, *, on: date) -> PanelMeeting:
    return services.meeting_schedule(
        actor=cast.chair, held_on=held_on, starts_at=time(10), location=LOCATION, at=_at(on, 9)
    )


def _list(cast: _Cast, meeting: PanelMeeting, referrals: list[Referral], *, on: date) -> None:
    for referral in referrals:
        services.agenda_add_item(actor=cast.chair, meeting=meeting, referral=referral, at=_at(on, 11))


def _circulate_and_declare(rng: random.Random, cast: _Cast, meeting: PanelMeeting, *, on: date) -> None:
    services.meeting_circulate_papers(actor=cast.chair, meeting=meeting, at=_at(on, 16))
    items = list(AgendaItem.objects.filter(meeting=meeting, status=AgendaItemStatus.LISTED).order_by("position"))
    declared_on = min(on + timedelta(days=3), meeting.held_on)
    # A few declarations a meeting (each is a service call with its own event): most members
    # declare nothing; now and then somebody has a personal interest to note.
    at = _at(declared_on, 9, 30)
    for item in rng.sample(items, k=min(len(items), 2)):
        member = rng.choice(cast.members)
        if rng.random() < 0.25:
            services.declaration_record(
                actor=member.user,
                item=item,
                nature="personal",
                interest="Has previously worked with the proposed school on outreach",
                at=at,
            )
        else:
            services.declaration_record(actor=member.user, item=item, nature="none", at=at)


def _decide(
    rng: random.Random,
    cast: _Cast,
    meeting: PanelMeeting,
    item: AgendaItem,
    later: PanelMeeting | None,
    *,
    chair: User,
    at: datetime,
) -> str:
    outcome = rng.choices(list(OUTCOME_WEIGHTS), weights=list(OUTCOME_WEIGHTS.values()))[0]
    if outcome is workflow.DecisionOutcome.DEFER and later is None:
        outcome = workflow.DecisionOutcome.MORE_INFORMATION
    referral = item.referral
    requested = sum(c.annual_amount_pence for c in referral.cost_lines.all())
    alternative = min((o.annual_cost_pence or 0 for o in referral.options.all()), default=0) or None
    values: dict[str, Any] = {
        "outcome": outcome.value,
        "suitable_answer": "yes",
        "compatible_answer": "yes",
        "resources_answer": "yes",
        "maintained_alternative_cost_pence": alternative,
    }
    if outcome in workflow.APPROVALS:
        ceiling = requested - requested % 100_000 if requested > 100_000 else requested
        values["agreed_annual_ceiling_pence"] = ceiling
        if workflow.ceiling_needs_reason(ceiling, requested_pence=requested, lowest_option_pence=alternative):
            values["ceiling_reason"] = (
                "Support in the current setting: the options' costs are for a change of school, not this request."
            )
        values["resources_text"] = "No suitable maintained place; the cost is proportionate to the provision"
        values["reasons_text"] = "The panel agreed that no maintained or academy school can meet need."
        if outcome is workflow.DecisionOutcome.APPROVE_WITH_CONDITIONS:
            values["conditions"] = (
                f"Review by {(meeting.held_on + timedelta(days=182)):%-d %B %Y}. "
                "Attendance of at least 90% each term, reported to the council."
            )
    elif outcome is workflow.DecisionOutcome.DECLINE:
        values["resources_answer"] = "no"
        values["resources_text"] = "A suitable maintained place is available at much lower cost"
        values["reasons_text"] = "Need can be met at the maintained option considered; the request is declined."
    else:
        values.update(suitable_answer="not_assessed", compatible_answer="not_assessed", resources_answer="not_assessed")
        values["reasons_text"] = (
            "Deferred for the updated EP report."
            if outcome is workflow.DecisionOutcome.DEFER
            else "More information needed: the consultation responses from maintained schools."
        )
        if outcome is workflow.DecisionOutcome.DEFER:
            values["deferred_to"] = later
    services.decision_record(actor=chair, item=item, at=at, **values)
    return outcome.value


def _hold(
    rng: random.Random,
    cast: _Cast,
    meeting: PanelMeeting,
    later: PanelMeeting | None,
    *,
    approve_on: date,
    vice_absent: bool = False,
) -> list[Referral]:
    """Attendance, held, a decision on every item, minutes drafted and approved. Returns the
    referrals sent back for more information.

    An item the chair referred is taken by the vice-chair in the chair's place when present,
    and otherwise deferred by the chair to the next meeting (the panel's terms of reference)."""
    absent = {m.pk for m in cast.members if m.member_type == workflow.MemberType.HEAD_TEACHER and rng.random() < 0.2}
    if vice_absent:
        absent.add(cast.vice.pk)
    services.attendance_record(
        actor=cast.chair,
        meeting=meeting,
        present_member_ids=[m.pk for m in cast.members if m.pk not in absent],
        at=_at(meeting.held_on, 10, 5),
    )
    at = _at(meeting.held_on, 12, 30)
    services.meeting_mark_held(actor=cast.chair, meeting=meeting, at=at)
    items = AgendaItem.objects.filter(meeting=meeting, status=AgendaItemStatus.LISTED).select_related("referral")
    returned = []
    for item in items.prefetch_related("referral__options", "referral__cost_lines").order_by("position"):
        chair = cast.chair
        if item.referral.referred_by_id == cast.chair.pk:
            if cast.vice.pk in absent and later is not None:
                services.agenda_defer_item(
                    actor=cast.chair,
                    item=item,
                    deferred_to=later,
                    reason="The chair made this referral and the vice-chair sent apologies.",
                    at=at,
                )
                continue
            chair = cast.vice.user
        if _decide(rng, cast, meeting, item, later, chair=chair, at=at) == workflow.DecisionOutcome.MORE_INFORMATION:
            returned.append(item.referral)
    services.minutes_generate(actor=cast.chair, meeting=meeting, at=_at(meeting.held_on + timedelta(days=1), 15))
    services.minutes_approve(actor=cast.chair, meeting=meeting, at=_at(approve_on, 17))
    return returned


# --- Entry point ---------------------------------------------------------------------------------


@dataclass
class PanelDemoSummary:
    members: int = 0
    meetings: int = 0
    referrals: int = 0
    decisions: int = 0
    seconds: float = 0.0
    skipped: str = ""

    def message(self) -> str:
        if self.skipped:
            return self.skipped
        return (
            f"{self.members} panel members, {self.meetings} meetings, {self.referrals} referrals, "
            f"{self.decisions} decisions in {self.seconds:.1f} s"
        )


def seed(rng: random.Random, today: date | None = None) -> PanelDemoSummary:
    """Add the demo panel business (inside the caller's transaction). Idempotent."""
    started = timer.perf_counter()
    today = today or timezone.localdate()
    cast = _cast()
    if cast is None:
        return PanelDemoSummary(skipped="No demo users (DEBUG off) or special schools: no panel business added.")
    if Referral.objects.filter(request__reference__startswith=DEMO_PREFIX).exists():
        return PanelDemoSummary(skipped="Demo panel business already present: none added.")
    requests = _Requests()
    if not requests.rows:
        return PanelDemoSummary(skipped="No demo requests to refer: no panel business added.")
    places = _places()

    # Past meetings, fortnightly on Tuesdays, the last at least two days ago; all scheduled
    # first so a deferral has a later meeting to go to.
    last_past = _tuesday_on_or_before(today - timedelta(days=2))
    past_days = [last_past - FORTNIGHT * k for k in reversed(range(PAST_MEETINGS))]
    next_day = last_past + FORTNIGHT
    upcoming_days = [next_day, next_day + FORTNIGHT]
    meetings = [_schedule(cast, day, on=day - timedelta(days=21)) for day in past_days]
    meetings += [_schedule(cast, day, on=min(day - timedelta(days=21), today)) for day in upcoming_days]

    waiting: list[Referral] = []  # back for more information: listed again at a later meeting
    for index, meeting in enumerate(meetings[:PAST_MEETINGS]):
        later = meetings[index + 1]
        list_on = meeting.held_on - timedelta(days=10)
        fresh = [
            r
            for r in (
                _refer(rng, cast, places, requests, list_on - timedelta(days=rng.randint(3, 30)))
                for _ in range(rng.randint(2, 3))
            )
            if r is not None
        ]
        if index == CHAIR_REFERRAL_AT:
            # The chair refers a case: deferred at this meeting (the vice-chair is away) and
            # taken by the vice-chair at the next. Its own random stream keeps the rest as it was.
            own = _refer(random.Random(index), cast, places, requests, list_on - timedelta(days=5), actor=cast.chair)
            fresh += [own] if own is not None else []
        again = [r for r in waiting if r.status == workflow.ReferralStatus.AWAITING_PANEL]
        waiting = []
        _list(cast, meeting, [*again, *fresh], on=list_on)
        if not AgendaItem.objects.filter(meeting=meeting).exists():
            continue
        _circulate_and_declare(rng, cast, meeting, on=meeting.held_on - timedelta(days=7))
        approve_on = min(meeting.held_on + timedelta(days=7), today)
        for referral in _hold(rng, cast, meeting, later, approve_on=approve_on, vice_absent=index == CHAIR_REFERRAL_AT):
            referral.refresh_from_db()
            waiting.append(referral)

    # The next meeting: papers out, one item the demo head teacher is recused from (their school
    # is an option considered).
    upcoming, after = meetings[PAST_MEETINGS], meetings[PAST_MEETINGS + 1]
    recent = today - timedelta(days=14)
    fresh = [_refer(rng, cast, places, requests, recent, option=cast.head.establishment)]
    fresh += [_refer(rng, cast, places, requests, recent - timedelta(days=rng.randint(1, 20))) for _ in range(3)]
    again = [r for r in waiting if r.status == workflow.ReferralStatus.AWAITING_PANEL]
    _list(cast, upcoming, [*again, *[r for r in fresh if r is not None]], on=today - timedelta(days=6))
    upcoming.refresh_from_db()
    if AgendaItem.objects.filter(meeting=upcoming).exists() and upcoming.status == workflow.MeetingStatus.SCHEDULED:
        _circulate_and_declare(rng, cast, upcoming, on=today - timedelta(days=4))
    # The one after: an agenda being built. And referrals waiting, complete and not.
    later_fresh = [_refer(rng, cast, places, requests, today - timedelta(days=rng.randint(2, 10))) for _ in range(2)]
    _list(cast, after, [r for r in later_fresh if r is not None], on=today - timedelta(days=1))
    for _ in range(3):
        _refer(rng, cast, places, requests, today - timedelta(days=rng.randint(0, 5)))
    for _ in range(2):
        request = requests.take(rng, today)
        if request is not None:
            services.referral_create(
                actor=cast.officers[0],
                request=request,
                kind=workflow.ReferralKind.INDEPENDENT_SPECIAL.value,
                needs_summary=NEEDS.get(request.child.primary_need, DEFAULT_NEED),
                at=_at(today, 9),
            )

    return PanelDemoSummary(
        members=len(cast.members),
        meetings=PanelMeeting.objects.count(),
        referrals=Referral.objects.filter(request__reference__startswith=DEMO_PREFIX).count(),
        decisions=AgendaItem.objects.filter(status=AgendaItemStatus.DECIDED).count(),
        seconds=timer.perf_counter() - started,
    )
