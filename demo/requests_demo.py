"""Synthetic requests for the demo: a queue that looks like a real Monday morning.

Called by ``seed_demo`` (the roof's demo command) with its seeded ``random.Random``. All names
are built from lists of common English given names and surnames; no real child's data is used.

How a request is made, so that a later, calibrated county history can reuse the pieces:

1. :func:`_schedule` decides, in days after day 1, when each step of the process happened
   (evaluation, decision, advice asked and received, draft, final plan, withdrawal) up to the
   stage the request should be in. Pure arithmetic, one helper per stage.
2. The request is placed in time: an open request so that it has sat in its stage for a while
   (its deadline lands before, near or after today), a closed one within the last two years.
3. :class:`_Builder` turns the schedule into rows (the request, its evaluation, decisions,
   advice, clock exceptions) and the timeline events, stage by stage.
4. Everything is written with ``bulk_create``; the stored clocks come from
   ``requests_app.stored``, as the services' do, and so do the district and the event rows.

Idempotent: demo requests have references starting ``DEMO-``; when any exists nothing is added.
"""

from __future__ import annotations

import random
import time as timer
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from core.models import District, Establishment, EstablishmentType, NeedType, Phase
from core.sen2codes import upn_check_letter
from requests_app import clocks, stored, workflow
from requests_app.models import (
    AdviceRequest,
    AdviserType,
    AssessmentDecision,
    AssessmentRequest,
    Child,
    ClockException,
    DecisionOutcome,
    DecisionStage,
    PlacementType,
    ProvisionEvaluation,
    Recommendation,
    RequestEvent,
    RequestSource,
    Sen2Outcome,
)

Status = workflow.Status
EventAction = workflow.EventAction

DEMO_PREFIX = "DEMO-"
# The demo officers made by demo.core_demo when DEBUG is on.
OFFICER_USERNAMES = ("officer", "officer2")
EVALUATOR_USERNAME = "evaluator"
EP_USERNAME = "ep"
# Decisions, advice requests and exceptions need somebody on record. Without the demo officers
# (DEBUG off) they are attributed to this account, which cannot sign in.
RECORDS_USERNAME = "demo_records"

# Open requests by stage: a busy queue with work at every point of the 20 weeks.
OPEN_BY_STAGE: dict[workflow.Status, int] = {
    Status.RECEIVED: 40,
    Status.EVALUATING: 45,
    Status.AWAITING_DECISION: 35,
    Status.ASSESSING: 85,
    Status.AWAITING_ISSUE_DECISION: 25,
    Status.DRAFTING: 30,
    Status.DRAFT_ISSUED: 40,
}
# Closed requests from the last two years (Kent's mix: many refusals, most assessments end in a
# plan; docs/domain.md §4.2).
CLOSED_BY_OUTCOME: dict[workflow.Status, int] = {
    Status.REFUSED: 90,
    Status.PLAN_ISSUED: 110,
    Status.NOT_ISSUED: 20,
    Status.WITHDRAWN: 45,
}
# Children with only closed requests, on top of one child per open request.
CLOSED_ONLY_CHILDREN = 70
HISTORY_DAYS = 730
# How long an open request has sat in its stage since its last step (days, inclusive range).
WAIT_IN_STAGE: dict[workflow.Status, tuple[int, int]] = {
    Status.RECEIVED: (0, 16),
    Status.EVALUATING: (0, 22),
    Status.AWAITING_DECISION: (0, 30),
    Status.ASSESSING: (0, 75),
    Status.AWAITING_ISSUE_DECISION: (0, 30),
    Status.DRAFTING: (0, 40),
    Status.DRAFT_ISSUED: (0, 35),
}
# The order the process runs in: an open request has passed every stage before its own.
PROGRESS: tuple[workflow.Status, ...] = (
    Status.RECEIVED,
    Status.EVALUATING,
    Status.AWAITING_DECISION,
    Status.ASSESSING,
    Status.AWAITING_ISSUE_DECISION,
    Status.DRAFTING,
    Status.DRAFT_ISSUED,
)

# --- Synthetic people (common English names; never real records) --------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


BOYS_NAMES = _words(
    "Oliver George Harry Jack Jacob Noah Charlie Thomas Oscar William James Henry Leo Alfie Joshua "
    "Freddie Archie Ethan Isaac Alexander Joseph Edward Samuel Max Logan Lucas Daniel Theo Arthur "
    "Mohammed Harrison Benjamin Mason Finley Sebastian Adam Dylan Zachary Riley Teddy Toby Jake "
    "Louis Elijah Reuben Albie Ryan Luca Tommy Frankie Hugo Elliot Jenson Rory Stanley Ollie"
)
GIRLS_NAMES = _words(
    "Olivia Amelia Isla Ava Emily Isabella Mia Poppy Ella Lily Sophia Grace Evie Scarlett Ruby "
    "Chloe Sophie Freya Daisy Phoebe Florence Alice Millie Ivy Rosie Matilda Evelyn Sienna Harper "
    "Eliza Esme Willow Maya Elsie Emma Holly Erin Lucy Layla Molly Imogen Jessica Hannah Ellie "
    "Martha Zara Bethany Niamh Megan Amber Lola Robyn Charlotte Harriet Maisie Eva Abigail"
)
SURNAMES = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker "
    "White Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips Mason Mitchell Rose "
    "Davis Rodriguez Cox Alexander Morgan Moore Martin Price Hughes Turner Harris Baker Edwards Hill "
    "Cooper Ward Morris King Watson Harrison Morton Young Allen Scott Bennett Carter Shaw Lloyd "
    "Parker Cook Bailey Bell Collins Chapman Murphy Kelly Marshall Ellis Russell Holmes Graham "
    "Simpson Webb Richardson Fox Butler Barnes Palmer Lee Gray Hunt Stevens Knight Mills Foster "
    "Reynolds Owen Dixon Kennedy Pearce Matthews Fisher Harvey Hudson Ford Saunders Payne West "
    "Atkinson Dawson Gibson Lane Spencer Hart Day Burton"
)
PARENT_RELATIONSHIPS = (("Mother", 55), ("Father", 30), ("Carer", 8), ("Special guardian", 4), ("Foster carer", 3))

# Primary need: Kent, all plans, January 2025 (docs/domain.md §4.5), with a little DS and OTH.
NEED_WEIGHTS: dict[str, float] = {
    NeedType.ASD: 46.2,
    NeedType.SEMH: 18.6,
    NeedType.SLCN: 17.4,
    NeedType.MLD: 5.0,
    NeedType.SLD: 3.9,
    NeedType.PD: 3.1,
    NeedType.SPLD: 1.9,
    NeedType.PMLD: 1.8,
    NeedType.HI: 0.9,
    NeedType.VI: 0.4,
    NeedType.MSI: 0.1,
    NeedType.DS: 0.4,
    NeedType.OTH: 0.3,
}
# Age at request: England's new plans by age, 2024 (docs/domain.md §4.5); peaks at school entry and
# the move to secondary school.
AGE_WEIGHTS: dict[int, float] = {
    2: 203,
    3: 2134,
    4: 13245,
    5: 13207,
    6: 7700,
    7: 7300,
    8: 6900,
    9: 6400,
    10: 7594,
    11: 8126,
    12: 5300,
    13: 5000,
    14: 4800,
    15: 4500,
    16: 3468,
    17: 1656,
    18: 900,
    19: 300,
}
# 64% of 2024 requests were for boys (docs/domain.md §4.5).
SEX_WEIGHTS = {"M": 64.0, "F": 35.5, "U": 0.5}
# About three in four requests come from parents.
SOURCE_WEIGHTS = {
    RequestSource.PARENT: 75,
    RequestSource.SCHOOL: 17,
    RequestSource.OTHER: 5,
    RequestSource.YOUNG_PERSON: 3,
}
# Postcode districts (outward codes) per Kent district; the inward part is made up.
POSTCODE_AREAS: dict[str, tuple[str, ...]] = {
    "Ashford": ("TN23", "TN24", "TN25", "TN26"),
    "Canterbury": ("CT1", "CT2", "CT3", "CT6"),
    "Dartford": ("DA1", "DA2", "DA9", "DA10"),
    "Dover": ("CT14", "CT15", "CT16", "CT17"),
    "Folkestone and Hythe": ("CT18", "CT19", "CT20", "CT21"),
    "Gravesham": ("DA11", "DA12", "DA13"),
    "Maidstone": ("ME14", "ME15", "ME16", "ME17"),
    "Sevenoaks": ("TN13", "TN14", "TN15", "BR8"),
    "Swale": ("ME9", "ME10", "ME12", "ME13"),
    "Thanet": ("CT7", "CT9", "CT10", "CT11", "CT12"),
    "Tonbridge and Malling": ("TN9", "TN10", "TN11", "ME19", "ME20"),
    "Tunbridge Wells": ("TN1", "TN2", "TN3", "TN4"),
}

# --- Advice: who is asked, and how long each service takes (days) --------------------------------

ADDRESSEES: dict[str, str] = {
    AdviserType.EDUCATIONAL_PSYCHOLOGY: "Educational Psychology Service",
    AdviserType.HEALTH: "Designated Clinical Officer, NHS community paediatrics",
    AdviserType.SOCIAL_CARE: "Children's social work team",
    AdviserType.EDUCATION_SETTING: "Head teacher and SENCo of the current setting",
    AdviserType.PARENT_OR_YOUNG_PERSON: "Parent or young person's views (section A)",
}
# (share of requests asking, shortest, longest): the EP service is the long pole (docs/domain.md §4.2).
ADVICE_TIMING: dict[str, tuple[float, int, int]] = {
    AdviserType.EDUCATIONAL_PSYCHOLOGY: (1.0, 25, 110),
    AdviserType.HEALTH: (0.95, 18, 60),
    AdviserType.SOCIAL_CARE: (0.45, 14, 55),
    AdviserType.EDUCATION_SETTING: (1.0, 6, 35),
    AdviserType.PARENT_OR_YOUNG_PERSON: (0.9, 4, 30),
}

ASSESS_REASONS = ["has_or_may_have_sen", "may_need_ehc_plan_provision"]
REFUSAL_REASONS = [
    "needs_met_by_sen_support",
    "insufficient_graduated_response",
    "progress_with_current_support",
    "no_evidence_of_sen",
]
NOT_ISSUE_REASONS = (
    "The assessment shows the child's needs can be met from the school's own resources with the "
    "SEN support plan and the strategies the educational psychologist recommended.",
    "Advice from the setting, health and educational psychology shows good progress with the "
    "support already in place; a plan is not necessary.",
)
ISSUE_REASONS = (
    "The assessment shows special educational provision beyond what the setting can make from its own resources.",
    "The advice received shows needs that require provision through an EHC plan.",
)
SEN_SUPPORT_ADVICE = (
    "Continue the assess-plan-do-review cycle with the SENCo and request advice from the "
    "specialist teaching service; review in one term.",
    "Use the school's notional SEN budget for small-group speech and language work; the "
    "inclusion team can advise on strategies.",
)
WITHDRAWAL_REASONS = (
    "Family moved out of the area",
    "Parent withdrew the request: needs now met at school",
    "Young person left education",
    "Family chose to continue with SEN support",
)
PERSONAL_CIRCUMSTANCES_EVIDENCE = (
    "Hospital admission of the child; discharge letter on file",
    "Bereavement in the family; note from the family support worker",
    "Parent's serious illness; letter from the GP",
)
SUMMER_EVIDENCE = "School closed for the summer holiday (term dates on the school's website)"
MISSED_APPOINTMENT_EVIDENCE = "Child did not attend the EP appointment; rebooked"


@dataclass(frozen=True)
class DemoSummary:
    children: int = 0
    requests: int = 0
    open_requests: int = 0
    events: int = 0
    seconds: float = 0.0
    skipped: bool = False

    def message(self) -> str:
        if self.skipped:
            return "Demo requests already present (references DEMO-…): none added."
        return (
            f"{self.children} children, {self.requests} requests ({self.open_requests} open), "
            f"{self.events} timeline events in {self.seconds:.1f} s"
        )


# --- People and places ----------------------------------------------------------------------------


@dataclass
class _Cast:
    officers: list[User]
    evaluator: User | None
    ep: User | None
    # Who decisions, advice requests and exceptions are recorded against when nobody is assigned.
    records: User

    def officer_for(self, assigned: User | None) -> User | None:
        return assigned or (self.officers[0] if self.officers else None)


def _cast() -> _Cast:
    usernames = [*OFFICER_USERNAMES, EVALUATOR_USERNAME, EP_USERNAME]
    users = {user.username: user for user in User.objects.filter(username__in=usernames)}
    officers = [users[name] for name in OFFICER_USERNAMES if name in users]
    records = officers[0] if officers else _records_account()
    return _Cast(officers=officers, evaluator=users.get(EVALUATOR_USERNAME), ep=users.get(EP_USERNAME), records=records)


def _records_account() -> User:
    user, created = User.objects.get_or_create(
        username=RECORDS_USERNAME, defaults={"first_name": "Demo", "last_name": "records", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def synthetic_upn(rng: random.Random, la: str = "886") -> str:
    """A made-up UPN that passes DfE's check (the check letter computed, mod 23): the LA number,
    nine random digits, and the letter in front. Synthetic: no real pupil is meant."""
    body = f"{la}{rng.randint(0, 999_999_999):09d}"
    letter = upn_check_letter("A" + body)
    assert letter is not None
    return letter + body


def weighted_choice(rng: random.Random, weights: dict[Any, float]) -> Any:
    """One key of ``weights``, drawn in proportion to its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class _Places:
    districts: list[District]
    # (phase group, district id) -> establishments; phase group: primary/secondary/special/post16.
    schools: dict[tuple[str, int], list[Establishment]]
    by_type: dict[str, list[Establishment]]

    def school_for(self, rng: random.Random, age: int, district: District) -> Establishment | None:
        if age < 4:
            return None  # early years: no GIAS setting in the demo list
        if rng.random() < 0.15:
            group = "special"
        elif age <= 10:
            group = "primary"
        elif age <= 15:
            group = "secondary"
        else:
            group = "post16"
        options = self.schools.get((group, district.pk)) or [
            e for (g, _), items in self.schools.items() if g == group for e in items
        ]
        return rng.choice(options) if options else None


def _places() -> _Places:
    districts = list(District.objects.order_by("name"))
    schools: dict[tuple[str, int], list[Establishment]] = {}
    by_type: dict[str, list[Establishment]] = {}
    for establishment in Establishment.objects.open().order_by("urn"):
        by_type.setdefault(establishment.type_group, []).append(establishment)
        if establishment.type_group in EstablishmentType.special():
            group = "special"
        elif establishment.phase == Phase.PRIMARY:
            group = "primary"
        elif establishment.phase == Phase.SECONDARY:
            group = "secondary"
        elif establishment.phase == Phase.POST_16:
            group = "post16"
        else:
            continue
        schools.setdefault((group, establishment.district_id or 0), []).append(establishment)
    return _Places(districts=districts, schools=schools, by_type=by_type)


# Placement named in section I, by Kent's mix (docs/domain.md §4.2: 36% mainstream, 39% special).
PLACEMENT_WEIGHTS: dict[str, float] = {
    PlacementType.MAINSTREAM: 36,
    PlacementType.RESOURCED_PROVISION: 6,
    PlacementType.SPECIAL_MAINTAINED: 24,
    PlacementType.SPECIAL_ACADEMY: 15,
    PlacementType.INDEPENDENT_SPECIAL: 10,
    PlacementType.NON_MAINTAINED_SPECIAL: 3,
    PlacementType.FURTHER_EDUCATION: 4,
    PlacementType.SPECIALIST_POST16: 2,
}
_PLACEMENT_TYPES: dict[str, list[str]] = {
    PlacementType.MAINSTREAM: [EstablishmentType.MAINSTREAM_MAINTAINED, EstablishmentType.MAINSTREAM_ACADEMY],
    PlacementType.RESOURCED_PROVISION: [EstablishmentType.MAINSTREAM_ACADEMY, EstablishmentType.MAINSTREAM_MAINTAINED],
    PlacementType.SPECIAL_MAINTAINED: [EstablishmentType.SPECIAL_MAINTAINED],
    PlacementType.SPECIAL_ACADEMY: [EstablishmentType.SPECIAL_ACADEMY],
    PlacementType.INDEPENDENT_SPECIAL: [EstablishmentType.INDEPENDENT_SPECIAL],
    PlacementType.NON_MAINTAINED_SPECIAL: [EstablishmentType.NON_MAINTAINED_SPECIAL],
    PlacementType.FURTHER_EDUCATION: [EstablishmentType.FURTHER_EDUCATION],
    PlacementType.SPECIALIST_POST16: [EstablishmentType.SPECIALIST_POST16],
}


def _placement(rng: random.Random, places: _Places, age: int) -> tuple[str, Establishment | None]:
    weights = dict(PLACEMENT_WEIGHTS)
    if age < 16:
        weights.pop(PlacementType.FURTHER_EDUCATION)
        weights.pop(PlacementType.SPECIALIST_POST16)
    placement = weighted_choice(rng, weights)
    options = [e for t in _PLACEMENT_TYPES[placement] for e in places.by_type.get(t, [])]
    if not options:
        return PlacementType.OTHER, None
    return placement, rng.choice(options)


# --- Children ------------------------------------------------------------------------------------


def _children(rng: random.Random, count: int, places: _Places, *, today: date) -> list[Child]:
    taken = set(Child.objects.exclude(upn="").values_list("upn", flat=True))
    children = []
    for _ in range(count):
        sex = weighted_choice(rng, SEX_WEIGHTS)
        names = BOYS_NAMES if sex == "M" else GIRLS_NAMES if sex == "F" else rng.choice([BOYS_NAMES, GIRLS_NAMES])
        age = weighted_choice(rng, AGE_WEIGHTS)
        date_of_birth = today - timedelta(days=int(age * 365.25) + rng.randint(0, 364))
        district = rng.choice(places.districts)
        upn = synthetic_upn(rng)
        has_upn = age >= 5 and rng.random() < 0.85 and upn not in taken
        if has_upn:
            taken.add(upn)
        primary = weighted_choice(rng, NEED_WEIGHTS)
        secondary = weighted_choice(rng, NEED_WEIGHTS) if rng.random() < 0.4 else ""
        children.append(
            Child(
                forename=rng.choice(names),
                surname=rng.choice(SURNAMES),
                date_of_birth=date_of_birth,
                sex=sex,
                upn=upn if has_upn else "",
                postcode=f"{rng.choice(POSTCODE_AREAS.get(district.name, ('ME14',)))} "
                f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                district=district,
                current_establishment=places.school_for(rng, age, district),
                primary_need=primary,
                secondary_need=secondary if secondary != primary else "",
            )
        )
    return children


# --- Step 1: the schedule (days after day 1) -------------------------------------------------------


@dataclass
class _Advice:
    adviser_type: str
    requested: int
    received: int


@dataclass
class _Schedule:
    """When each step happened, in days after day 1; None for steps not reached."""

    progress: workflow.Status  # the last open stage reached
    closing: workflow.Status | None = None  # refused / not_issued / plan_issued / withdrawn
    assign: int | None = None
    start_evaluation: int | None = None
    complete_evaluation: int | None = None
    decide_assessment: int | None = None
    advice: list[_Advice] = field(default_factory=list)
    complete_assessment: int | None = None
    decide_issue: int | None = None
    draft: int | None = None
    comments: int | None = None
    close: int | None = None  # the closing step's day

    def reached(self, stage: workflow.Status) -> bool:
        return PROGRESS.index(self.progress) >= PROGRESS.index(stage)

    @property
    def last_step(self) -> int:
        """The day of the last step that must already have happened."""
        days = [
            d
            for d in (
                self.assign,
                self.start_evaluation,
                self.complete_evaluation,
                self.decide_assessment,
                self.complete_assessment,
                self.decide_issue,
                self.draft,
                self.close,
            )
            if d is not None
        ]
        days += [a.requested for a in self.advice]
        return max(days, default=0)


def _schedule_evaluation(rng: random.Random, s: _Schedule) -> None:
    if s.reached(Status.EVALUATING):
        s.start_evaluation = rng.randint(1, 8)
    if s.reached(Status.AWAITING_DECISION):
        assert s.start_evaluation is not None
        s.complete_evaluation = s.start_evaluation + rng.randint(8, 24)


def _schedule_assessment(rng: random.Random, s: _Schedule) -> None:
    if not s.reached(Status.ASSESSING):
        return
    assert s.complete_evaluation is not None
    s.decide_assessment = s.complete_evaluation + rng.randint(2, 16)
    for adviser_type, (share, shortest, longest) in ADVICE_TIMING.items():
        if rng.random() < share:
            requested = s.decide_assessment + rng.randint(1, 6)
            # Skewed towards the short end; the long tail is the EP backlog.
            duration = shortest + int((longest - shortest) * rng.random() ** 1.6)
            s.advice.append(_Advice(adviser_type, requested, requested + duration))
    if s.reached(Status.AWAITING_ISSUE_DECISION):
        s.complete_assessment = max(a.received for a in s.advice) + rng.randint(2, 10)


def _schedule_plan(rng: random.Random, s: _Schedule) -> None:
    if s.reached(Status.DRAFTING):
        assert s.complete_assessment is not None
        s.decide_issue = s.complete_assessment + rng.randint(1, 10)
    if s.reached(Status.DRAFT_ISSUED):
        assert s.decide_issue is not None
        s.draft = s.decide_issue + rng.randint(5, 21)
        if rng.random() < 0.8:
            s.comments = s.draft + rng.randint(3, 16)


def _schedule_closing(rng: random.Random, s: _Schedule) -> None:
    if s.closing == Status.REFUSED:
        assert s.complete_evaluation is not None
        s.close = s.complete_evaluation + rng.randint(2, 16)
    elif s.closing == Status.NOT_ISSUED:
        assert s.complete_assessment is not None
        s.close = s.complete_assessment + rng.randint(1, 10)
    elif s.closing == Status.PLAN_ISSUED:
        assert s.draft is not None
        earliest = s.draft + clocks.REPRESENTATION_PERIOD.days
        if s.comments is not None:
            earliest = min(earliest, max(s.draft, s.comments))
        s.close = earliest + rng.randint(0, 20)
    elif s.closing == Status.WITHDRAWN:
        s.close = s.last_step + rng.randint(1, 30)


def _schedule(rng: random.Random, target: workflow.Status) -> _Schedule:
    """Days of each step for a request that ends up in ``target``."""
    if target in PROGRESS:
        s = _Schedule(progress=target)
    elif target == Status.REFUSED:
        s = _Schedule(progress=Status.AWAITING_DECISION, closing=target)
    elif target == Status.NOT_ISSUED:
        s = _Schedule(progress=Status.AWAITING_ISSUE_DECISION, closing=target)
    elif target == Status.PLAN_ISSUED:
        s = _Schedule(progress=Status.DRAFT_ISSUED, closing=target)
    else:
        s = _Schedule(progress=rng.choice(PROGRESS), closing=Status.WITHDRAWN)
    s.assign = rng.randint(0, 3)
    _schedule_evaluation(rng, s)
    _schedule_assessment(rng, s)
    _schedule_plan(rng, s)
    _schedule_closing(rng, s)
    return s


# --- Step 3: rows and timeline -------------------------------------------------------------------


@dataclass
class _Step:
    on: date
    action: workflow.EventAction
    to_status: workflow.Status | None  # None: the status does not change
    actor: User | None
    payload: Callable[[], dict[str, Any]]
    note: str = ""
    # A decision or exception whose timestamp is the event's.
    stamp: AssessmentDecision | ClockException | None = None


@dataclass
class _Built:
    request: AssessmentRequest
    evaluation: ProvisionEvaluation | None = None
    decisions: list[AssessmentDecision] = field(default_factory=list)
    advice: list[AdviceRequest] = field(default_factory=list)
    exceptions: list[ClockException] = field(default_factory=list)
    steps: list[_Step] = field(default_factory=list)


def _summer_holidays(today: date) -> list[tuple[date, date]]:
    """The last three summer closures (about six weeks from late July: 4+ weeks, reg 5(4)(a))."""
    return [(date(year, 7, 23), date(year, 9, 2)) for year in range(today.year - 2, today.year + 1)]


class _Builder:
    """Turns one schedule, placed at ``received_on``, into rows and timeline steps."""

    def __init__(
        self,
        rng: random.Random,
        cast: _Cast,
        places: _Places,
        child: Child,
        schedule: _Schedule,
        *,
        received_on: date,
        today: date,
        assigned: User | None,
    ):
        self.rng = rng
        self.cast = cast
        self.places = places
        self.child = child
        self.s = schedule
        self.received_on = received_on
        self.today = today
        self.assigned = assigned
        self.officer = cast.officer_for(assigned)
        self.recorder = self.officer or cast.records
        # The last day the request was live: steps after it (advice arriving after a
        # withdrawal, say) never happened.
        self.horizon = min(today, self.day(schedule.close) if schedule.close is not None else today)
        # Exceptions can be recorded only while the request is open: before its closing day.
        self.last_open_day = self.horizon - timedelta(days=1) if schedule.close is not None else today
        self.built = _Built(request=self._request())

    def day(self, offset: int) -> date:
        return self.received_on + timedelta(days=offset)

    def step(self, on: date, action: workflow.EventAction, to_status: workflow.Status | None = None, **kw: Any) -> None:
        kw.setdefault("actor", self.officer)
        kw.setdefault("payload", dict)
        self.built.steps.append(_Step(on=on, action=action, to_status=to_status, **kw))

    def build(self) -> _Built:
        self.receive()
        self.evaluate()
        self.decide_assessment()
        self.seek_advice()
        self.complete_assessment()
        self.decide_issue()
        self.issue_draft()
        self.close()
        self.add_exceptions()
        return self.built

    # The request and its first steps.

    def _request(self) -> AssessmentRequest:
        rng, child = self.rng, self.child
        age = clocks.age_on(child.date_of_birth, self.received_on)
        source = weighted_choice(rng, SOURCE_WEIGHTS)
        if source == RequestSource.YOUNG_PERSON and age < 16:
            source = RequestSource.PARENT
        if source == RequestSource.PARENT:
            relationship = weighted_choice(rng, dict(PARENT_RELATIONSHIPS))
            names = {"Mother": GIRLS_NAMES, "Father": BOYS_NAMES}.get(relationship, BOYS_NAMES + GIRLS_NAMES)
            first = rng.choice(names)
            requester = f"{first} {child.surname}"
        elif source == RequestSource.YOUNG_PERSON:
            relationship, requester = "Young person", child.full_name
        elif source == RequestSource.SCHOOL:
            relationship = "SENCo"
            school = child.current_establishment
            requester = f"SENCo, {school.name}" if school else "SENCo"
        else:
            relationship = rng.choice(["Community paediatrician", "Early years SEN advisor", "Social worker"])
            requester = f"{rng.choice(BOYS_NAMES + GIRLS_NAMES)} {rng.choice(SURNAMES)}"
        return AssessmentRequest(
            child=child,
            district_id=stored.request_district(child.district_id),
            received_on=self.received_on,
            source=source,
            requester_name=requester,
            requester_email=f"{requester.split()[0].lower().rstrip(',')}.{rng.randint(10, 999)}@example.invalid",
            # Ofcom's range reserved for drama: never a real number.
            requester_phone=f"07700 900{rng.randint(0, 999):03d}",
            requester_relationship=relationship,
            assigned_officer=self.assigned,
            status=Status.RECEIVED.value,
            request_outcome=Sen2Outcome.UNDECIDED,
        )

    def receive(self) -> None:
        request = self.built.request
        self.step(
            self.received_on,
            EventAction.CREATED,
            Status.RECEIVED,
            payload=lambda: {"child_id": request.child_id, "source": request.source},
        )
        if self.assigned is not None and self.s.assign is not None:
            officer = self.assigned
            self.step(
                self.day(self.s.assign),
                EventAction.ASSIGN,
                payload=lambda: {"officer_id": officer.pk, "previous_officer_id": None},
            )

    def evaluate(self) -> None:
        s, rng = self.s, self.rng
        if s.start_evaluation is None:
            return
        evaluation = ProvisionEvaluation(
            request=self.built.request,
            schools_views_received=rng.random() < 0.8,
            sen_support_plan=rng.random() < 0.7,
            apdr_cycles=rng.choice([0, 1, 1, 2, 2, 3, 4]),
            provision_map=rng.random() < 0.6,
            costed_provision=rng.random() < 0.5,
            progress_data=rng.random() < 0.7,
        )
        self.built.evaluation = evaluation
        self.step(
            self.day(s.start_evaluation), EventAction.START_EVALUATION, Status.EVALUATING, actor=self.cast.evaluator
        )
        if s.complete_evaluation is None:
            return
        if s.closing == Status.REFUSED:
            recommendation = Recommendation.DO_NOT_ASSESS if rng.random() < 0.85 else Recommendation.MORE_INFORMATION
        else:
            # Now and then the decision goes against the evaluation's recommendation.
            recommendation = Recommendation.ASSESS if rng.random() < 0.9 else Recommendation.DO_NOT_ASSESS
        evaluation.recommendation = recommendation
        evaluation.completed_on = self.day(s.complete_evaluation)
        evaluation.completed_by = self.cast.evaluator
        evaluation.attainment_summary = "Working below age-related expectations in reading, writing and maths."
        self.step(
            evaluation.completed_on,
            EventAction.COMPLETE_EVALUATION,
            Status.AWAITING_DECISION,
            actor=self.cast.evaluator,
            payload=lambda: {
                "evaluation_id": evaluation.pk,
                "recommendation": evaluation.recommendation,
                "fields": ["apdr_cycles", "recommendation", "schools_views_received"],
            },
        )

    def _decision(self, stage: str, outcome: str, on: date, **fields: Any) -> AssessmentDecision:
        decision = AssessmentDecision(
            request=self.built.request,
            stage=stage,
            outcome=outcome,
            notified_on=on,
            rights_text_sent=outcome in (DecisionOutcome.REFUSE, DecisionOutcome.NOT_ISSUE),
            decided_by=self.recorder,
            **fields,
        )
        self.built.decisions.append(decision)
        return decision

    def decide_assessment(self) -> None:
        s, request = self.s, self.built.request
        refusing = s.closing == Status.REFUSED
        day = s.close if refusing else s.decide_assessment
        if day is None:
            return
        on = self.day(day)
        if refusing:
            reasons = self.rng.sample(REFUSAL_REASONS, self.rng.randint(1, 2))
            decision = self._decision(
                DecisionStage.ASSESS,
                DecisionOutcome.REFUSE,
                on,
                reasons=reasons,
                sen_support_advice=self.rng.choice(SEN_SUPPORT_ADVICE),
            )
            request.request_outcome, request.request_outcome_on = Sen2Outcome.NO, on
            action, to_status = EventAction.DECIDE_NOT_TO_ASSESS, Status.REFUSED
        else:
            reasons = list(ASSESS_REASONS)
            decision = self._decision(DecisionStage.ASSESS, DecisionOutcome.ASSESS, on, reasons=reasons)
            request.request_outcome, request.request_outcome_on = Sen2Outcome.YES, on
            request.assessment_outcome = Sen2Outcome.UNDECIDED
            action, to_status = EventAction.DECIDE_TO_ASSESS, Status.ASSESSING
        self.step(
            on,
            action,
            to_status,
            stamp=decision,
            payload=lambda: {
                "decision_id": decision.pk,
                "outcome": decision.outcome,
                "reasons": decision.reasons,
                "notified_on": decision.notified_on.isoformat(),
            },
        )

    def seek_advice(self) -> None:
        for planned in self.s.advice:
            requested_on = self.day(planned.requested)
            if requested_on > self.horizon:
                continue
            computed = clocks.advice_clocks(requested_on)
            received_on = self.day(planned.received)
            advice = AdviceRequest(
                request=self.built.request,
                adviser_type=planned.adviser_type,
                addressee=ADDRESSEES[planned.adviser_type],
                requested_on=requested_on,
                due_on=computed.due_on,
                target_on=computed.target_on,
                requested_by=self.recorder,
            )
            self.built.advice.append(advice)
            self.step(
                requested_on,
                EventAction.REQUEST_ADVICE,
                payload=lambda a=advice: {
                    "advice_request_id": a.pk,
                    "adviser_type": a.adviser_type,
                    "requested_on": a.requested_on.isoformat(),
                    "due_on": a.due_on.isoformat(),
                },
            )
            if planned.adviser_type == AdviserType.EDUCATIONAL_PSYCHOLOGY:
                self._maybe_missed_appointment(advice, received_on)
            if received_on <= self.horizon:
                advice.received_on = received_on
                is_ep = planned.adviser_type == AdviserType.EDUCATIONAL_PSYCHOLOGY
                actor = self.cast.ep if is_ep and self.cast.ep else self.officer
                advice.received_recorded_by = actor or self.recorder
                self.step(
                    received_on,
                    EventAction.RECORD_ADVICE,
                    actor=actor,
                    payload=lambda a=advice: {
                        "advice_request_id": a.pk,
                        "adviser_type": a.adviser_type,
                        "received_on": a.received_on.isoformat() if a.received_on else None,
                        "on_time": bool(a.received_on and a.received_on <= a.target_on),
                    },
                )

    def _maybe_missed_appointment(self, advice: AdviceRequest, received_on: date) -> None:
        """reg 8(2)(c): a missed EP appointment extends that advice's deadline only."""
        appointment = advice.requested_on + timedelta(days=self.rng.randint(14, 30))
        if self.rng.random() > 0.12 or appointment >= min(received_on, self.horizon):
            return
        period = clocks.ExceptionPeriod(
            kind=clocks.ExceptionType.MISSED_APPOINTMENT,
            start=appointment,
            end=appointment + timedelta(days=self.rng.randint(7, 21)),
        )
        computed = clocks.advice_clocks(advice.requested_on, [period])
        advice.due_on, advice.target_on = computed.due_on, computed.target_on
        exception = ClockException(
            request=self.built.request,
            advice_request=advice,
            kind=period.kind.value,
            start=period.start,
            end=period.end,
            evidence=MISSED_APPOINTMENT_EVIDENCE,
            recorded_by=self.recorder,
        )
        self.built.exceptions.append(exception)
        self.step(
            min(appointment + timedelta(days=1), self.horizon),
            EventAction.ADD_EXCEPTION,
            stamp=exception,
            payload=lambda: {**_exception_payload(exception), "advice_target_on": advice.target_on.isoformat()},
        )

    def complete_assessment(self) -> None:
        if self.s.complete_assessment is not None:
            self.step(
                self.day(self.s.complete_assessment), EventAction.COMPLETE_ASSESSMENT, Status.AWAITING_ISSUE_DECISION
            )

    def decide_issue(self) -> None:
        s, request = self.s, self.built.request
        not_issuing = s.closing == Status.NOT_ISSUED
        day = s.close if not_issuing else s.decide_issue
        if day is None:
            return
        on = self.day(day)
        if not_issuing:
            decision = self._decision(
                DecisionStage.ISSUE, DecisionOutcome.NOT_ISSUE, on, reasons_text=self.rng.choice(NOT_ISSUE_REASONS)
            )
            request.assessment_outcome, request.assessment_outcome_on = Sen2Outcome.NO, on
            action, to_status = EventAction.DECIDE_NOT_TO_ISSUE, Status.NOT_ISSUED
        else:
            decision = self._decision(
                DecisionStage.ISSUE, DecisionOutcome.ISSUE, on, reasons_text=self.rng.choice(ISSUE_REASONS)
            )
            action, to_status = EventAction.DECIDE_TO_ISSUE, Status.DRAFTING
        self.step(
            on,
            action,
            to_status,
            stamp=decision,
            payload=lambda: {
                "decision_id": decision.pk,
                "outcome": decision.outcome,
                "notified_on": decision.notified_on.isoformat(),
            },
        )

    def issue_draft(self) -> None:
        s, request = self.s, self.built.request
        if s.draft is None:
            return
        issued_on = self.day(s.draft)
        request.draft_issued_on = issued_on
        self.step(
            issued_on,
            EventAction.ISSUE_DRAFT,
            Status.DRAFT_ISSUED,
            payload=lambda: {
                "issued_on": issued_on.isoformat(),
                "earliest_final_on": clocks.earliest_final_plan_on(issued_on).isoformat(),
            },
        )
        if s.comments is not None and self.day(s.comments) <= self.horizon:
            comments_on = self.day(s.comments)
            request.family_comments_received_on = comments_on
            self.step(
                comments_on,
                EventAction.RECORD_FAMILY_COMMENTS,
                payload=lambda: {"received_on": comments_on.isoformat()},
            )

    def close(self) -> None:
        s, request = self.s, self.built.request
        if s.close is None or s.closing in (Status.REFUSED, Status.NOT_ISSUED):
            return  # the decisions above closed it
        on = self.day(s.close)
        if s.closing == Status.PLAN_ISSUED:
            placement, school = _placement(self.rng, self.places, clocks.age_on(self.child.date_of_birth, on))
            request.final_plan_issued_on = on
            request.named_establishment = school
            request.placement_type = placement
            request.assessment_outcome, request.assessment_outcome_on = Sen2Outcome.YES, on
            received_on = request.received_on
            self.step(
                on,
                EventAction.ISSUE_FINAL,
                Status.PLAN_ISSUED,
                payload=lambda: {
                    "issued_on": on.isoformat(),
                    "named_establishment_id": school.pk if school else None,
                    "placement_type": placement,
                    "within_20_weeks": clocks.within(clocks.FINAL_PLAN_PERIOD, received_on, on),
                },
            )
            return
        # Withdrawn: SEN2 records W against whichever decision was still to come.
        reason = self.rng.choice(WITHDRAWAL_REASONS)
        request.closed_reason = reason
        if request.request_outcome == Sen2Outcome.UNDECIDED:
            request.request_outcome, request.request_outcome_on = Sen2Outcome.WITHDRAWN, on
            outcome_field = "request_outcome"
        else:
            request.assessment_outcome, request.assessment_outcome_on = Sen2Outcome.WITHDRAWN, on
            outcome_field = "assessment_outcome"
        self.step(
            on,
            EventAction.WITHDRAW,
            Status.WITHDRAWN,
            note=reason,
            payload=lambda: {"withdrawn_on": on.isoformat(), "outcome_field": outcome_field},
        )

    def add_exceptions(self) -> None:
        """Request-level exceptions (regs 5(4), 10(4), 13(3)): the summer closure when the
        20 weeks span it, and now and then exceptional personal circumstances."""
        rng, received_on = self.rng, self.received_on
        window_end = received_on + clocks.FINAL_PLAN_PERIOD
        at_school = self.child.current_establishment is not None
        for start, end in _summer_holidays(self.today):
            recorded_on = max(received_on, start - timedelta(days=rng.randint(0, 14)))
            overlaps = start <= window_end and end >= received_on
            if at_school and overlaps and recorded_on <= self.last_open_day and rng.random() < 0.7:
                self._exception(clocks.ExceptionType.SCHOOL_CLOSURE, start, end, SUMMER_EVIDENCE, recorded_on)
        if rng.random() < 0.08:
            start = received_on + timedelta(days=rng.randint(5, 90))
            end = start + timedelta(days=rng.randint(14, 42))
            recorded_on = start + timedelta(days=rng.randint(0, 7))
            if recorded_on <= self.last_open_day:
                evidence = rng.choice(PERSONAL_CIRCUMSTANCES_EVIDENCE)
                self._exception(clocks.ExceptionType.PERSONAL_CIRCUMSTANCES, start, end, evidence, recorded_on)

    def _exception(self, kind: clocks.ExceptionType, start: date, end: date, evidence: str, recorded_on: date) -> None:
        exception = ClockException(
            request=self.built.request,
            kind=kind.value,
            start=start,
            end=end,
            evidence=evidence,
            recorded_by=self.recorder,
        )
        self.built.exceptions.append(exception)
        self.step(
            recorded_on, EventAction.ADD_EXCEPTION, stamp=exception, payload=lambda: _exception_payload(exception)
        )


def _exception_payload(exception: ClockException) -> dict[str, Any]:
    return {
        "exception_id": exception.pk,
        "kind": exception.kind,
        "start": exception.start.isoformat(),
        "end": exception.end.isoformat(),
        "advice_request_id": exception.advice_request.pk if exception.advice_request else None,
        "advice_target_on": None,
    }


# --- Clocks and the timeline ---------------------------------------------------------------------


def _periods(exceptions: Sequence[ClockException]) -> list[clocks.ExceptionPeriod]:
    return [
        clocks.ExceptionPeriod(kind=clocks.ExceptionType(e.kind), start=e.start, end=e.end)
        for e in exceptions
        if e.advice_request is None
    ]


def _apply_clocks(request: AssessmentRequest, exceptions: Sequence[ClockException]) -> None:
    """Store the deadlines and the queue key as the services do (``stored.request_clocks``)."""
    computed = stored.request_clocks(request.received_on, request.status, _periods(exceptions))
    for name, value in computed.fields().items():
        setattr(request, name, value)


def _timestamps(rng: random.Random, steps: list[_Step], *, now: datetime) -> list[datetime]:
    """Office-hours times on each step's day, in order, none in the future."""
    tz = timezone.get_current_timezone()
    stamps = []
    previous: datetime | None = None
    for step in steps:
        at = timezone.make_aware(datetime.combine(step.on, time(8, 30)), tz) + timedelta(minutes=rng.randint(0, 480))
        if previous is not None and at <= previous:
            at = previous + timedelta(minutes=rng.randint(2, 20))
        stamps.append(at)
        previous = at
    # Steps dated today may not have happened yet at this hour: pull them back, keeping order.
    limit = now
    for index in range(len(stamps) - 1, -1, -1):
        if stamps[index] > limit:
            stamps[index] = limit
        limit = stamps[index] - timedelta(minutes=1)
    return stamps


@dataclass
class _Entry:
    """One timeline entry before its payload can be made (the rows it names need their ids)."""

    step: _Step
    at: datetime
    from_status: str
    to_status: str


def _entries(rng: random.Random, built: _Built, *, now: datetime) -> list[_Entry]:
    """The timeline, in order. Stamps the decisions and exceptions with their event's time."""
    steps = sorted(built.steps, key=lambda st: st.on)  # stable: same-day steps keep their order
    stamps = _timestamps(rng, steps, now=now)
    status = ""
    entries = []
    for step, at in zip(steps, stamps, strict=True):
        if isinstance(step.stamp, ClockException):
            step.stamp.recorded_at = at
        elif isinstance(step.stamp, AssessmentDecision):
            step.stamp.decided_at = at
        from_status = status
        if step.to_status is not None:
            status = step.to_status.value
        if step.action == EventAction.CREATED:
            from_status = ""
        entries.append(_Entry(step=step, at=at, from_status=from_status, to_status=status))
    return entries


def _event(built: _Built, entry: _Entry) -> RequestEvent:
    """The stored event, as the services write it (``stored.event_row``): the step's facts and
    the clocks after the change, counting the request-level exceptions recorded by then."""
    request = built.request
    recorded = [e for e in built.exceptions if e.advice_request is None and e.recorded_at <= entry.at]
    row = stored.event_row(
        action=entry.step.action,
        from_status=entry.from_status,
        to_status=entry.to_status,
        clocks_after=stored.request_clocks(request.received_on, entry.to_status, _periods(recorded)),
        facts=entry.step.payload(),
        note=entry.step.note,
    )
    return RequestEvent(
        request=request,
        actor=entry.step.actor,
        action=row.action,
        from_status=row.from_status,
        to_status=row.to_status,
        occurred_at=entry.at,
        payload=row.payload,
        note=row.note,
    )


# --- Putting it together ---------------------------------------------------------------------------


def _assignee(rng: random.Random, cast: _Cast, status: workflow.Status) -> User | None:
    if not cast.officers:
        return None
    # New requests wait for triage; a few later ones have lost their officer (leave, turnover).
    unassigned_share = 0.65 if status == Status.RECEIVED else 0.1 if status.is_open else 0.0
    return None if rng.random() < unassigned_share else rng.choice(cast.officers)


def seed_requests(rng: random.Random, *, today: date | None = None) -> DemoSummary:
    """Add the demo children and requests (inside the caller's transaction). Idempotent."""
    if AssessmentRequest.objects.filter(reference__startswith=DEMO_PREFIX).exists():
        return DemoSummary(skipped=True)
    started = timer.perf_counter()
    today = today or timezone.localdate()
    now = timezone.now()
    cast = _cast()
    places = _places()
    if not places.districts:
        raise ValueError("Seed the districts first (demo.core_demo.seed_districts)")

    open_targets = [status for status, count in OPEN_BY_STAGE.items() for _ in range(count)]
    children = _children(rng, len(open_targets) + CLOSED_ONLY_CHILDREN, places, today=today)
    Child.objects.bulk_create(children)

    built: list[_Built] = []
    # Before this day each child is free for an earlier, closed request.
    free_until: dict[int, date] = {}
    for index, target in enumerate(open_targets):
        child = children[index]
        schedule = _schedule(rng, target)
        age_days = schedule.last_step + rng.randint(*WAIT_IN_STAGE[target])
        received_on = today - timedelta(days=age_days)
        builder = _Builder(
            rng,
            cast,
            places,
            child,
            schedule,
            received_on=received_on,
            today=today,
            assigned=_assignee(rng, cast, target),
        )
        built.append(builder.build())
        free_until[index] = received_on

    closed_targets = [status for status, count in CLOSED_BY_OUTCOME.items() for _ in range(count)]
    for target in closed_targets:
        schedule = _schedule(rng, target)
        length = schedule.close or 0
        for _ in range(20):  # find a child with room for it in the last two years
            index = rng.randrange(len(children))
            latest = free_until.get(index, today) - timedelta(days=length + 1)
            earliest = max(today - timedelta(days=HISTORY_DAYS), children[index].date_of_birth + timedelta(days=730))
            if latest >= earliest:
                received_on = earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
                builder = _Builder(
                    rng,
                    cast,
                    places,
                    children[index],
                    schedule,
                    received_on=received_on,
                    today=today,
                    assigned=_assignee(rng, cast, target),
                )
                built.append(builder.build())
                free_until[index] = received_on
                break

    # References in order of receipt, as a council's numbering would run.
    built.sort(key=lambda b: (b.request.received_on, b.request.child.pk))
    for number, item in enumerate(built, start=1):
        request = item.request
        request.reference = f"{DEMO_PREFIX}{number:05d}"
        request.status = _final_status(item)
        _apply_clocks(request, item.exceptions)
    AssessmentRequest.objects.bulk_create([b.request for b in built], batch_size=500)

    # The rows below point at the saved requests (and advice) objects, which now have their ids.
    entries_by_request = [_entries(rng, item, now=now) for item in built]
    ProvisionEvaluation.objects.bulk_create([b.evaluation for b in built if b.evaluation is not None], batch_size=500)
    AssessmentDecision.objects.bulk_create([d for b in built for d in b.decisions], batch_size=500)
    AdviceRequest.objects.bulk_create([a for b in built for a in b.advice], batch_size=500)
    ClockException.objects.bulk_create([e for b in built for e in b.exceptions], batch_size=500)

    events = [_event(item, entry) for item, entries in zip(built, entries_by_request, strict=True) for entry in entries]
    RequestEvent.objects.bulk_create(events, batch_size=500)

    return DemoSummary(
        children=len(children),
        requests=len(built),
        open_requests=sum(1 for b in built if b.request.is_open),
        events=len(events),
        seconds=timer.perf_counter() - started,
    )


def _final_status(item: _Built) -> str:
    status = Status.RECEIVED.value
    for step in sorted(item.steps, key=lambda st: st.on):
        if step.to_status is not None:
            status = step.to_status.value
    return status
