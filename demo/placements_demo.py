"""Synthetic independent placements for the demo: providers, a few hundred contracts, their
costs, negotiation, penalty clauses, a year of attendance returns and the deductions.

Called by ``seed_demo`` with its seeded ``random.Random`` and today's date, after the core demo
(the ~33 independent, non-maintained and specialist post-16 establishments, URN 990001+) and the
panel demo. Everything is written with ``bulk_create``: a contract needs an approved panel
decision for the same child and school, so the demo makes its own children, their issued plans
(requests with references ``IPADEMO-…``), the panel referrals, monthly panel meetings (minutes
approved), agenda items and decisions directly, honouring every constraint in
``panels.models`` (a decision only at a held meeting, an approval carries its ceiling, conditions
stated for a conditional approval, one decision per item). The money is worked out with
``placements.workflow`` exactly as the services would: lines annualised with their stored number
of periods, totals within the panel's ceiling, deductions from the clause and the period's fee.

The distribution is skewed as councils find it: a handful of providers take dozens of the
council's pupils each; most take a few. Independent special places average £49k-£62k a year
(docs/domain.md §4.6), residential places more; therapies, 1:1 support and transport are extra lines.

Idempotent: when any ``IPADEMO-`` request exists nothing is added. Deterministic for a given
seed and day.
"""

from __future__ import annotations

import random
import time as timer
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count
from django.utils import timezone

from core.models import District, Establishment, EstablishmentType, NeedType, OfstedGrade
from demo.fee_reviews_demo import seed_fee_histories
from demo.requests_demo import BOYS_NAMES, GIRLS_NAMES, SURNAMES
from panels import workflow as panel_workflow
from panels.models import (
    AgendaItem,
    AgendaItemStatus,
    PanelDecision,
    PanelMeeting,
    PanelMinutes,
    Referral,
    ReferralCostLine,
    ReferralOption,
)
from placements import workflow
from placements.models import (
    AttendanceReturn,
    CostLine,
    Deduction,
    NegotiationRound,
    PenaltyClause,
    PlacementContract,
    PlacementEvent,
    PlacementEventAction,
    PlacementReview,
    Provider,
    ReturnChase,
)
from requests_app import clocks
from requests_app import workflow as request_workflow
from requests_app.models import AssessmentRequest, Child, PlacementType, RequestSource, Sen2Outcome

W = workflow
S = workflow.ContractStatus
PW = panel_workflow
DEMO_PREFIX = "IPADEMO-"
RECORDS_USERNAME = "demo_records"
CONTRACTS = 320
LOCATION = "Council Chamber, Sessions House, Maidstone"

STATUS_WEIGHTS = {S.ACTIVE: 78, S.ENDED: 10, S.NEGOTIATING: 8, S.DRAFT: 4}
NEED_WEIGHTS = {
    NeedType.ASD: 40,
    NeedType.SEMH: 28,
    NeedType.SLCN: 8,
    NeedType.SLD: 6,
    NeedType.PMLD: 3,
    NeedType.HI: 3,
    NeedType.PD: 3,
    NeedType.MLD: 4,
    NeedType.VI: 2,
    NeedType.MSI: 1,
    NeedType.SPLD: 2,
}
ROUTES = {
    W.ProcurementRoute.FRAMEWORK: 60,
    W.ProcurementRoute.DYNAMIC_PURCHASING_SYSTEM: 25,
    W.ProcurementRoute.SPOT_PURCHASE: 15,
}
LOTS = (
    "Lot 1: ASD and SLCN, 5 to 19",
    "Lot 2: SEMH, 5 to 19",
    "Lot 3: complex needs and SLD/PMLD",
    "Lot 4: sensory and physical",
    "Lot 5: post-16 specialist",
)
END_REASONS = (
    "Moved to a maintained special school after the annual review",
    "Family moved out of the county",
    "Placement broke down; an interim package is in place",
    "Young person left education at the end of year 13",
)
# How each demo ending is classified (placements.workflow.LeavingReason).
END_REASON_CODES = {
    END_REASONS[0]: W.LeavingReason.REVIEW_DECISION,
    END_REASONS[1]: W.LeavingReason.MOVED_AWAY,
    END_REASONS[2]: W.LeavingReason.PROVIDER_NOTICE,
    END_REASONS[3]: W.LeavingReason.PHASE_COMPLETED,
}
# Notice periods on the demo contracts, in days (four, six, eight weeks, a term).
NOTICE_DAYS = (28, 42, 56, 84)
WAIVE_REASONS = (
    "Hospital admission agreed with the family and the school",
    "Absence during a bereavement, agreed in advance",
    "Transport failure on the council's side",
)
TERMS = ((9, 1, 12, 19, 140), (1, 6, 3, 27, 114), (4, 14, 7, 22, 136))  # start m/d, end m/d, sessions


@dataclass
class DemoSummary:
    providers: int = 0
    contracts: int = 0
    returns: int = 0
    deductions: int = 0
    reviews: int = 0
    chases: int = 0
    seconds: float = 0.0
    skipped: bool = False
    referrals_costed: int = 0
    inspections: int = 0

    def message(self) -> str:
        extra = (
            f"; {self.referrals_costed} referrals given their options and costs" if self.referrals_costed else ""
        ) + (f"; {self.inspections} providers given an Ofsted grade" if self.inspections else "")
        if self.skipped:
            return f"Demo placements already present (requests {DEMO_PREFIX}…): none added{extra}."
        return (
            f"{self.providers} providers, {self.contracts} contracts, {self.returns} attendance returns, "
            f"{self.deductions} deductions, {self.reviews} placement reviews, {self.chases} chases "
            f"in {self.seconds:.1f} s{extra}"
        )


def _weighted(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=timezone.get_current_timezone())


def _user(username: str, fallback: User) -> User:
    return User.objects.filter(username=username).first() or fallback


def _records_account() -> User:
    user, created = User.objects.get_or_create(
        username=RECORDS_USERNAME, defaults={"first_name": "Demo", "last_name": "records", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _round_up(pence: int, step: int) -> int:
    return -(-pence // step) * step


# --- Providers -----------------------------------------------------------------------------------


def _providers(rng: random.Random) -> list[Provider]:
    schools = list(
        Establishment.objects.filter(
            type_group__in=EstablishmentType.independent_or_non_maintained(), urn__gte=990001, urn__lt=991000
        ).order_by("urn")
    )
    existing = set(Provider.objects.filter(establishment__in=schools).values_list("establishment_id", flat=True))
    new = []
    for school in schools:
        if school.pk in existing:
            continue
        low = rng.randrange(38_000, 52_000, 500) * 100
        if school.type_group == EstablishmentType.SPECIALIST_POST16:
            low = rng.randrange(28_000, 38_000, 500) * 100
        high = low + rng.randrange(15_000, 45_000, 500) * 100
        route = _weighted(rng, ROUTES)
        new.append(
            Provider(
                establishment=school,
                procurement_route=route.value,
                framework_lot=rng.choice(LOTS) if route is W.ProcurementRoute.FRAMEWORK else "",
                fee_bands=f"Band A {W.format_pounds(low)}; Band B {W.format_pounds((low + high) // 2)}; "
                f"Band C {W.format_pounds(high)}",
                fee_min_annual_pence=low,
                fee_max_annual_pence=high,
                contact_name="Admissions and placements officer",
                contact_email=f"placements{school.urn}@example.invalid",
                contact_phone=f"01632 {rng.randrange(100000, 999999)}",
            )
        )
    Provider.objects.bulk_create(new)
    return list(Provider.objects.filter(establishment__in=schools).select_related("establishment").order_by("pk"))


# --- Costs -----------------------------------------------------------------------------------------


@dataclass
class _Line:
    category: str
    description: str
    period: str
    periods: int
    agreed: int  # per period, pence
    quoted: int


@dataclass
class _Plan:
    lines: list[_Line]
    residential: bool

    @property
    def agreed_annual(self) -> int:
        return sum(W.annualise(line.agreed, line.period, line.periods) for line in self.lines)

    @property
    def quoted_annual(self) -> int:
        return sum(W.annualise(line.quoted, line.period, line.periods) for line in self.lines)


def _cost_plan(rng: random.Random, school: Establishment, need: str) -> _Plan:
    post16 = school.type_group == EstablishmentType.SPECIALIST_POST16
    residential = not post16 and rng.random() < 0.16
    lines: list[_Line] = []
    tuition = rng.randrange(30_000, 44_000, 250) if post16 else rng.randrange(38_000, 52_000, 250)
    if need in (NeedType.PMLD, NeedType.SLD, NeedType.MSI):
        tuition += 6_000
    lines.append(_Line("tuition", "Day place", "year", 1, tuition * 100, 0))
    if residential:
        fifty_two = rng.random() < 0.3
        weekly = rng.randrange(700, 1_300, 10)
        weeks = 52 if fifty_two else 38
        label = "52-week residential" if fifty_two else "Termly boarding (38 weeks)"
        lines.append(_Line("residential", label, "week", weeks, weekly * 100, 0))
    if need in (NeedType.ASD, NeedType.SLCN, NeedType.HI) or rng.random() < 0.35:
        lines.append(
            _Line(
                "therapy_speech_language",
                "Speech and language therapy",
                "term",
                3,
                rng.randrange(900, 3_000, 10) * 100,
                0,
            )
        )
    if need in (NeedType.PD, NeedType.PMLD) or rng.random() < 0.2:
        lines.append(
            _Line("therapy_occupational", "Occupational therapy", "term", 3, rng.randrange(600, 2_000, 10) * 100, 0)
        )
    if need == NeedType.PD or rng.random() < 0.05:
        lines.append(_Line("therapy_physio", "Physiotherapy", "term", 3, rng.randrange(600, 1_800, 10) * 100, 0))
    if rng.random() < 0.3:
        lines.append(
            _Line("one_to_one_support", "1:1 teaching assistant", "week", 39, rng.randrange(300, 560, 5) * 100, 0)
        )
    if not residential or rng.random() < 0.3:
        lines.append(_Line("transport", "Home to school taxi", "day", 190, rng.randrange(2_500, 6_500, 5), 0))
    # Negotiation saved 0-12% on the provider's first quote, line by line.
    saving = rng.choice([0, 0, 0.02, 0.03, 0.05, 0.06, 0.08, 0.1, 0.12]) * rng.uniform(0.6, 1.0)
    for line in lines:
        line.quoted = int(Decimal(line.agreed) * Decimal(str(round(1 + saving * rng.uniform(0.7, 1.3), 4))))
        line.quoted = max(line.quoted, line.agreed)
    return _Plan(lines, residential)


# --- The seed --------------------------------------------------------------------------------------


@dataclass
class _Case:
    child: Child
    request: AssessmentRequest
    provider: Provider
    plan: _Plan
    status: workflow.ContractStatus
    start: date
    meeting_index: int
    ceiling: int
    conditional: bool
    referral: Referral | None = None
    item: AgendaItem | None = None
    decision: PanelDecision | None = None
    contract: PlacementContract | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def _meeting_days(today: date) -> list[date]:
    """Monthly panel days over the last 3 years: the second Tuesday of each month."""
    days = []
    first = date(today.year - 3, today.month, 1)
    month = first
    while month <= today:
        day = month + timedelta(days=(1 - month.weekday()) % 7 + 7)
        if day < today - timedelta(days=14):
            days.append(day)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return days


def seed(rng: random.Random, today: date | None = None) -> DemoSummary:
    started = timer.monotonic()
    today = today or timezone.localdate()
    summary = DemoSummary()
    if AssessmentRequest.objects.filter(reference__startswith=DEMO_PREFIX).exists():
        summary.skipped = True
        # A demo seeded before referrals carried their costs gets them now (adds nothing twice).
        summary.referrals_costed = cost_demo_referrals(rng)
        _fee_review_options()
        summary.inspections = rate_demo_providers()
        return summary
    providers = _providers(rng)
    if not providers:
        return summary
    summary.providers = len(providers)
    records = _records_account()
    finance = _user("finance", records)
    chair = _user("chair", records)
    officer = _user("officer", records)
    # The demo's SEN officers own the placed children's cases, so "Placement reviews of your
    # cases" shows each of them theirs (none when the demo users are not made, DEBUG off).
    case_officers = list(User.objects.filter(username__in=("officer", "officer2")).order_by("username"))
    districts = list(District.objects.order_by("pk"))
    if not districts:
        districts = [District.objects.get_or_create(name="Maidstone")[0]]

    # A skewed share: provider i gets weight 1/(i+1)^1.1, in a seeded order.
    order = providers[:]
    rng.shuffle(order)
    weights = [1 / (i + 1) ** 1.1 for i in range(len(order))]
    days = _meeting_days(today)

    # Children and their issued plans.
    children: list[Child] = []
    picks: list[tuple[Provider, str, workflow.ContractStatus, date, int]] = []
    for n in range(CONTRACTS):
        provider = rng.choices(order, weights=weights)[0]
        need = _weighted(rng, NEED_WEIGHTS)
        status = _weighted(rng, STATUS_WEIGHTS)
        if status in (S.DRAFT, S.NEGOTIATING):
            meeting_index = rng.randrange(max(0, len(days) - 3), len(days))
        elif status is S.ENDED:
            meeting_index = rng.randrange(0, max(1, len(days) - 12))
        else:
            meeting_index = rng.randrange(0, max(1, len(days) - 1))
        decided = days[meeting_index]
        start = decided + timedelta(days=rng.randrange(21, 60))
        post16 = provider.establishment.type_group == EstablishmentType.SPECIALIST_POST16
        age = rng.randrange(16, 19) if post16 else rng.randrange(5, 16)
        boy = rng.random() < 0.72  # most independent placements are boys
        children.append(
            Child(
                forename=rng.choice(BOYS_NAMES if boy else GIRLS_NAMES),
                surname=rng.choice(SURNAMES),
                date_of_birth=date(today.year - age, rng.randrange(1, 13), rng.randrange(1, 29)),
                sex="M" if boy else "F",
                postcode=f"ME{rng.randrange(1, 20)} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                district=districts[n % len(districts)],
                primary_need=need.value,
                legacy_ref=f"{DEMO_PREFIX}{n + 1:05d}",
            )
        )
        picks.append((provider, need.value, status, start, meeting_index))
    Child.objects.bulk_create(children)
    children = list(Child.objects.filter(legacy_ref__startswith=DEMO_PREFIX).order_by("legacy_ref"))

    requests_rows = []
    cases: list[_Case] = []
    for n, (child, (provider, need, status, start, meeting_index)) in enumerate(zip(children, picks, strict=True)):
        final_on = days[meeting_index] - timedelta(days=rng.randrange(7, 60))
        received = final_on - timedelta(days=rng.randrange(110, 150))
        computed = clocks.request_clocks(received)
        school = provider.establishment
        placement_type = {
            EstablishmentType.NON_MAINTAINED_SPECIAL: PlacementType.NON_MAINTAINED_SPECIAL,
            EstablishmentType.SPECIALIST_POST16: PlacementType.SPECIALIST_POST16,
        }.get(school.type_group, PlacementType.INDEPENDENT_SPECIAL)
        request = AssessmentRequest(
            reference=f"{DEMO_PREFIX}{n + 1:05d}",
            child=child,
            district_id=child.district_id,
            received_on=received,
            source=rng.choice([RequestSource.PARENT, RequestSource.PARENT, RequestSource.SCHOOL]),
            assigned_officer=case_officers[n % len(case_officers)] if case_officers else None,
            status=request_workflow.Status.PLAN_ISSUED.value,
            decision_due_on=computed.decision_due_on,
            not_issue_due_on=computed.not_issue_due_on,
            final_plan_due_on=computed.final_plan_due_on,
            decision_target_on=computed.decision_target_on,
            not_issue_target_on=computed.not_issue_target_on,
            final_plan_target_on=computed.final_plan_target_on,
            week20=computed.week20,
            next_deadline_on=None,
            request_outcome=Sen2Outcome.YES,
            request_outcome_on=received + timedelta(days=rng.randrange(30, 42)),
            assessment_outcome=Sen2Outcome.YES,
            # SEN2: the assessment outcome (plan issued) is dated the day the final plan was issued.
            assessment_outcome_on=final_on,
            draft_issued_on=final_on - timedelta(days=rng.randrange(16, 24)),
            final_plan_issued_on=final_on,
            named_establishment=school,
            placement_type=placement_type,
        )
        requests_rows.append(request)
        plan = _cost_plan(rng, school, need)
        ceiling = _round_up(int(plan.agreed_annual * rng.uniform(1.0, 1.06)), 50_000)
        cases.append(_Case(child, request, provider, plan, status, start, meeting_index, ceiling, rng.random() < 0.3))
    AssessmentRequest.objects.bulk_create(requests_rows)

    # The panel: a meeting a month (minutes approved), a referral, an item and an approval each.
    meetings = {
        i: PanelMeeting(
            held_on=day, starts_at=time(10, 0), location=LOCATION, status=PW.MeetingStatus.MINUTES_APPROVED, chair=chair
        )
        for i, day in enumerate(days)
        if any(c.meeting_index == i for c in cases)
    }
    PanelMeeting.objects.bulk_create(list(meetings.values()))
    referrals = []
    for case in cases:
        school = case.provider.establishment
        kind = (
            PW.ReferralKind.NON_MAINTAINED_SPECIAL
            if school.type_group == EstablishmentType.NON_MAINTAINED_SPECIAL
            else PW.ReferralKind.INDEPENDENT_SPECIAL
        )
        case.referral = Referral(
            request=case.request,
            kind=kind.value,
            status=PW.ReferralStatus.DECIDED.value,
            proposed_establishment=school,
            parental_preference="The family prefer this school: small classes and on-site therapy",
            needs_summary="Complex needs set out in the EP report; needs a specialist setting with therapy.",
            evidence=["EP report", "Annual review", "Consultation responses from maintained schools"],
            referred_by=officer,
            referred_on=days[case.meeting_index] - timedelta(days=rng.randrange(10, 30)),
        )
        referrals.append(case.referral)
    Referral.objects.bulk_create(referrals)
    positions: dict[int, int] = {}
    items = []
    for case in cases:
        positions[case.meeting_index] = positions.get(case.meeting_index, 0) + 1
        case.item = AgendaItem(
            meeting=meetings[case.meeting_index],
            referral=case.referral,
            position=positions[case.meeting_index],
            status=AgendaItemStatus.DECIDED,
            added_by=chair,
        )
        items.append(case.item)
    AgendaItem.objects.bulk_create(items)
    decisions = []
    for case in cases:
        held = days[case.meeting_index]
        outcome = PW.DecisionOutcome.APPROVE_WITH_CONDITIONS if case.conditional else PW.DecisionOutcome.APPROVE
        case.decision = PanelDecision(
            item=case.item,
            outcome=outcome.value,
            meeting_status_at_decision=PW.MeetingStatus.HELD.value,
            suitable_answer=PW.TestAnswer.YES.value,
            suitable_text="Meets the needs described in the EP report.",
            compatible_answer=PW.TestAnswer.YES.value,
            compatible_text="No concerns raised by the school.",
            resources_answer=PW.TestAnswer.YES.value,
            resources_text="No suitable maintained place; the cost is justified by need.",
            requested_annual_cost_pence=case.plan.quoted_annual,
            maintained_alternative_cost_pence=rng.randrange(22_000, 28_000, 100) * 100,
            reasons_text="Need first, then cost: no maintained setting consulted can meet need.",
            agreed_annual_ceiling_pence=case.ceiling,
            conditions=(
                "Review attendance termly; attendance of 90% expected; report to the panel at the annual review"
                if case.conditional
                else ""
            ),
            quorum={"present": 5, "recused": 0, "quorate": True},
            recorded_by=chair,
            recorded_at=_at(held, 12),
        )
        decisions.append(case.decision)
    PanelDecision.objects.bulk_create(decisions)
    PanelMinutes.objects.bulk_create(
        PanelMinutes(
            meeting=meeting,
            body=f"Central placement panel, {meeting.held_on.day} {meeting.held_on:%B %Y}, {LOCATION}\n"
            f"{positions[i]} independent placement referrals; each approved (see the decisions).",
            content={"items": positions[i]},
            status="approved",
            generated_at=_at(meeting.held_on, 15),
            approved_by=chair,
            approved_at=_at(meeting.held_on + timedelta(days=14), 10),
        )
        for i, meeting in meetings.items()
    )

    summary.contracts, summary.returns, summary.deductions = _contracts(rng, cases, today, finance)
    summary.reviews, summary.chases = _life(random.Random(rng.random()), cases, today, finance)

    summary.referrals_costed = cost_demo_referrals(rng)
    _fee_review_options()
    summary.inspections = rate_demo_providers()
    summary.seconds = timer.monotonic() - started
    return summary


def _contracts(rng: random.Random, cases: list[_Case], today: date, finance: User) -> tuple[int, int, int]:
    contracts = []
    for index, case in enumerate(cases):
        start = case.start
        ended_on = None
        reason = ""
        if case.status is S.ENDED:
            ended_on = min(
                today - timedelta(days=rng.randrange(20, 200)), start + timedelta(days=rng.randrange(300, 900))
            )
            ended_on = max(ended_on, start + timedelta(days=60))
            reason = rng.choice(END_REASONS)
        end_on = None if rng.random() < 0.6 else start + timedelta(days=365 * rng.randrange(2, 5))
        if case.status is not S.ENDED and end_on is not None and end_on <= today:
            end_on = None  # a running placement has not reached its planned end
        review = date(start.year + 1, start.month, min(start.day, 28))
        agreed_statuses = (S.ACTIVE, S.ENDED)
        notice = NOTICE_DAYS[index % len(NOTICE_DAYS)]
        # An ended placement was ended with its notice: given the period before the child left.
        notice_given_on = max(start, ended_on - timedelta(days=notice)) if ended_on else None
        case.contract = PlacementContract(
            child=case.child,
            provider=case.provider,
            panel_decision=case.decision,
            status=case.status.value,
            status_reason=reason,
            start_on=start,
            end_on=max(end_on, ended_on) if end_on and ended_on else end_on,
            ended_on=ended_on,
            annual_review_on=review,
            notice_period_days=notice,
            notice_given_on=notice_given_on,
            leaving_reason=END_REASON_CODES[reason].value if reason else "",
            early_end_reason=(
                "Ended sooner than the notice period allows, by agreement with the provider"
                if ended_on and ended_on < W.earliest_end(notice_given_on or start, notice)
                else ""
            ),
            quoted_annual_cost_pence=case.plan.quoted_annual if case.status is not S.DRAFT else 0,
            agreed_annual_cost_pence=case.plan.agreed_annual if case.status in agreed_statuses else 0,
            created_by=finance,
        )
        contracts.append(case.contract)
    PlacementContract.objects.bulk_create(contracts)
    for contract in contracts:
        contract.reference = f"IPA-{contract.pk:06d}"
    PlacementContract.objects.bulk_update(contracts, ["reference"])

    lines, rounds, clauses, events = [], [], [], []
    for case in cases:
        contract = case.contract
        assert contract is not None
        drafted = _at(case.start - timedelta(days=30), 9)
        events.append(
            PlacementEvent(
                contract=contract,
                provider=case.provider,
                actor=finance,
                action=PlacementEventAction.CONTRACT_CREATED.value,
                to_status=S.DRAFT.value,
                occurred_at=drafted,
                payload={"contract_id": contract.pk, "panel_decision_id": case.decision.pk if case.decision else None},
            )
        )
        if case.status is S.DRAFT:
            continue
        agreed = case.status in (S.ACTIVE, S.ENDED)
        for line in case.plan.lines:
            lines.append(
                CostLine(
                    contract=contract,
                    category=line.category,
                    description=line.description,
                    quoted_amount_pence=line.quoted,
                    agreed_amount_pence=line.agreed if agreed else None,
                    period=line.period,
                    periods_per_year=line.periods,
                )
            )
        quoted, final = case.plan.quoted_annual, case.plan.agreed_annual
        n_rounds = rng.choice([1, 2, 2, 3]) if quoted > final else 1
        for number in range(1, n_rounds + 1):
            share = Decimal(number - 1) / Decimal(max(1, n_rounds - 1)) if n_rounds > 1 else Decimal(1)
            offer = int(quoted - (quoted - final) * share) if agreed else quoted
            counter = (
                int(final - (final * Decimal("0.03") * (n_rounds - number) / n_rounds)) if number < n_rounds else None
            )
            rounds.append(
                NegotiationRound(
                    contract=contract,
                    round_no=number,
                    # After the panel's decision (at least 21 days before the start) and not in the future.
                    on=min(today, case.start - timedelta(days=21 - number * 5)),
                    provider_offer_pence=offer,
                    council_counter_offer_pence=counter,
                    notes="Agreed on the phone; confirmed by email" if number == n_rounds and agreed else "",
                    recorded_by=finance,
                    recorded_at=_at(case.start - timedelta(days=21 - number * 5), 14),
                )
            )
        events.append(
            PlacementEvent(
                contract=contract,
                actor=finance,
                action=PlacementEventAction.START_NEGOTIATION.value,
                from_status=S.DRAFT.value,
                to_status=S.NEGOTIATING.value,
                occurred_at=drafted + timedelta(days=1),
                payload={"contract_id": contract.pk},
            )
        )
        if agreed:
            events.append(
                PlacementEvent(
                    contract=contract,
                    actor=finance,
                    action=PlacementEventAction.AGREE.value,
                    from_status=S.NEGOTIATING.value,
                    to_status=S.ACTIVE.value,
                    occurred_at=_at(case.start - timedelta(days=5), 11),
                    payload={"contract_id": contract.pk, "agreed_annual_cost_pence": final},
                )
            )
        if case.status is S.ENDED:
            events.append(
                PlacementEvent(
                    contract=contract,
                    actor=finance,
                    action=PlacementEventAction.END.value,
                    from_status=S.ACTIVE.value,
                    to_status=S.ENDED.value,
                    occurred_at=_at(contract.ended_on or today, 16),
                    payload={"contract_id": contract.pk},
                    note=contract.status_reason,
                )
            )
        if agreed or rng.random() < 0.5:
            per_session = rng.random() < 0.15
            clause = PenaltyClause(
                contract=contract,
                threshold_percent=Decimal(rng.choice(["90", "90", "90", "90", "85", "92.5", "95"])),
                rule=(W.PenaltyRule.PER_SESSION_MISSED if per_session else W.PenaltyRule.PERCENT_OF_PERIOD_FEE).value,
                deduction_percent=None if per_session else Decimal(rng.choice(["10", "10", "15", "20", "25"])),
                per_session_pence=rng.randrange(80, 160, 5) * 100 if per_session else None,
                authorised_counts_as_attended=rng.random() < 0.9,
            )
            clauses.append(clause)
            case.extras["clause"] = clause
    CostLine.objects.bulk_create(lines)
    NegotiationRound.objects.bulk_create(rounds)
    PenaltyClause.objects.bulk_create(clauses)
    # Fees over time: version 1 for every agreed contract, three with fee review histories.
    by_contract: dict[int, list[CostLine]] = {}
    for line in lines:
        by_contract.setdefault(line.contract_id, []).append(line)
    agreed_contracts = [
        (case.contract, by_contract.get(case.contract.pk, []))
        for case in cases
        if case.contract is not None and case.status in (S.ACTIVE, S.ENDED)
    ]
    histories = seed_fee_histories(agreed_contracts, today=today, finance=finance, events=events)
    for case in cases:
        if case.contract is not None and case.contract.pk in histories:
            case.extras["versions"] = histories[case.contract.pk]
    returns_count, deductions_count = _attendance(rng, cases, today, finance, events)
    PlacementEvent.objects.bulk_create(events)
    return len(contracts), returns_count, deductions_count


def _periods(start: date, finish: date, monthly: bool) -> list[tuple[str, date, date, int]]:
    """The return periods inside [start, finish]: months (not August) or the three terms."""
    periods: list[tuple[str, date, date, int]] = []
    if monthly:
        month = date(start.year, start.month, 1)
        while month <= finish:
            following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            last = following - timedelta(days=1)
            if month.month != 8:
                periods.append((W.PeriodKind.MONTH.value, month, last, 40 if month.month not in (12, 4) else 30))
            month = following
        return [p for p in periods if p[2] >= start and p[1] <= finish]
    for year in range(start.year - 1, finish.year + 1):
        for sm, sd, em, ed, sessions in TERMS:
            first = date(year, sm, sd)
            last = date(year + (em < sm), em, ed)
            periods.append((W.PeriodKind.TERM.value, first, last, sessions))
    return sorted(p for p in periods if p[2] >= start and p[1] <= finish)


def _attendance(
    rng: random.Random, cases: list[_Case], today: date, finance: User, events: list[PlacementEvent]
) -> tuple[int, int]:
    """A year of returns for every placement running in it; below the threshold, a deduction."""
    window = today - timedelta(days=365)
    returns: list[AttendanceReturn] = []
    plans: list[tuple[_Case, AttendanceReturn]] = []
    for case in cases:
        contract = case.contract
        if contract is None or case.status not in (S.ACTIVE, S.ENDED):
            continue
        finish = min(contract.ended_on or today, today)
        monthly = rng.random() < 0.4
        for kind, first, last, possible in _periods(max(contract.start_on, window), finish, monthly):
            # A return covers days that have passed, within the placement (return_period_problems).
            if last >= today or first < contract.start_on or last > (contract.ended_on or contract.end_on or last):
                continue
            # Most pupils attend well; about one return in ten is a struggling term or month.
            struggling = rng.random() < 0.1
            rate = rng.uniform(0.62, 0.88) if struggling else rng.uniform(0.955, 1.0)
            counted = min(possible, int(possible * rate))
            authorised = min(counted, rng.randrange(0, 7))
            clause = case.extras.get("clause")
            if clause is not None and not clause.authorised_counts_as_attended:
                authorised = min(authorised, 2)
            attendance = AttendanceReturn(
                contract=contract,
                period_kind=kind,
                period_start=first,
                period_end=last,
                sessions_possible=possible,
                sessions_attended=counted - authorised,
                authorised_absence=authorised,
                unauthorised_absence=possible - counted,
                submitted_by=finance,
                submitted_at=_at(last + timedelta(days=rng.randrange(3, 20)), 11),
            )
            returns.append(attendance)
            plans.append((case, attendance))
    AttendanceReturn.objects.bulk_create(returns)

    deductions = []
    for case, attendance in plans:
        clause = case.extras.get("clause")
        if clause is None:
            continue
        contract = case.contract
        assert contract is not None
        # The fee in force on the period's first day (a fee review's uplift only from its date).
        versions = case.extras.get("versions")
        annual = (
            W.annual_cost_in_force(versions, attendance.period_start) if versions else None
        ) or contract.agreed_annual_cost_pence
        fee = W.period_fee(annual, attendance.period_kind)
        result = W.compute_deduction(clause.facts(), attendance.facts(), fee)
        if not result.applies:
            continue
        age = (today - attendance.period_end).days
        roll = rng.random()
        if age < 45 or roll < 0.2:
            status, reason, decided = W.DeductionStatus.PENDING, "", None
        elif roll < 0.32:
            status, reason, decided = W.DeductionStatus.WAIVED, rng.choice(WAIVE_REASONS), attendance.period_end
        else:
            status, reason, decided = W.DeductionStatus.CONFIRMED, "", attendance.period_end
        decided_at = _at(decided + timedelta(days=rng.randrange(20, 40)), 15) if decided else None
        deductions.append(
            Deduction(
                attendance_return=attendance,
                amount_pence=result.amount_pence,
                period_fee_pence=fee,
                working=list(result.working),
                status=status.value,
                waived_reason=reason,
                computed_at=attendance.submitted_at,
                decided_by=finance if decided else None,
                decided_at=decided_at,
            )
        )
        events.append(
            PlacementEvent(
                contract=contract,
                actor=finance,
                action=PlacementEventAction.RETURN_SUBMITTED.value,
                occurred_at=attendance.submitted_at,
                payload={"contract_id": contract.pk, "return_id": attendance.pk, "deduction": "created"},
            )
        )
        if decided_at is not None:
            action = (
                PlacementEventAction.DEDUCTION_WAIVED
                if status is W.DeductionStatus.WAIVED
                else PlacementEventAction.DEDUCTION_CONFIRMED
            )
            events.append(
                PlacementEvent(
                    contract=contract,
                    actor=finance,
                    action=action.value,
                    occurred_at=decided_at,
                    payload={
                        "contract_id": contract.pk,
                        "return_id": attendance.pk,
                        "amount_pence": result.amount_pence,
                    },
                    note=reason,
                )
            )
    Deduction.objects.bulk_create(deductions)
    return len(returns), len(deductions)


REVIEW_EVIDENCE = (
    "Attendance {rate}% this term; settled in class; reading age up six months; the family is positive",
    "Attendance {rate}%; progress against the plan's outcomes on track; therapy delivered as agreed",
    "Attendance {rate}%; fewer incidents than last term; the school's report and the parent's views considered",
)
CHANGE_EVIDENCE = "Attendance {rate}%; speech and language therapy increased to weekly at the annual review"
END_EVIDENCE = "Attendance {rate}%; needs can now be met at a maintained special school; the family agrees"


def _life(rng: random.Random, cases: list[_Case], today: date, finance: User) -> tuple[int, int]:
    """A placement over its life: the reviews the panel's conditions call for (held ones with their
    outcome and evidence, the next one open: some overdue, some due soon), a few placements under
    notice, reviews that ended placements, and providers chased for last month's missing returns.
    The same rules as the services: one open review a contract, outcomes with evidence, an ending
    review gives notice, a chase after the period closed."""
    reviews: list[PlacementReview] = []
    events: list[PlacementEvent] = []
    under_notice = 0
    for case in cases:
        contract = case.contract
        if contract is None:
            continue
        expected = W.expected_attendance_from(case.decision.conditions if case.decision else "")
        outcomes = case.decision.conditions if case.decision else ""
        due = W.first_review_due(contract.start_on)
        last_day = contract.ended_on if contract.ended_on else today
        ended_by_review = (
            case.status is S.ENDED
            and contract.leaving_reason == W.LeavingReason.REVIEW_DECISION
            and contract.notice_given_on is not None
        )
        if ended_by_review and contract.notice_given_on is not None:
            last_day = contract.notice_given_on  # the reviews stop at the one that ended it
        if case.status in (S.ACTIVE, S.ENDED):
            # Held reviews while the placement ran; about one in ten running ones is overdue.
            overdue = case.status is S.ACTIVE and rng.random() < 0.1
            while due <= last_day - timedelta(days=14 if not overdue else 40):
                held = min(due + timedelta(days=rng.randrange(0, 10)), last_day)
                rate = rng.choice(["91", "94", "96.5", "98", "99"])
                changed = rng.random() < 0.1
                reviews.append(
                    PlacementReview(
                        contract=contract,
                        due_on=due,
                        expected_attendance_percent=expected,
                        expected_outcomes=outcomes,
                        from_panel_conditions=bool(outcomes),
                        outcome=(W.ReviewOutcome.CHANGE if changed else W.ReviewOutcome.CONTINUE).value,
                        held_on=held,
                        evidence=(CHANGE_EVIDENCE if changed else rng.choice(REVIEW_EVIDENCE)).format(rate=rate),
                        recorded_by=finance,
                        recorded_at=_at(held, 15),
                    )
                )
                due = W.next_review_due(held)
        if case.status is S.ENDED:
            if ended_by_review and contract.notice_given_on is not None:
                # The review that ended it: held the day notice was given.
                held = contract.notice_given_on
                reviews.append(
                    PlacementReview(
                        contract=contract,
                        due_on=min(due, held),
                        expected_attendance_percent=expected,
                        expected_outcomes=outcomes,
                        from_panel_conditions=bool(outcomes),
                        outcome=W.ReviewOutcome.END.value,
                        held_on=held,
                        evidence=END_EVIDENCE.format(rate="93"),
                        recorded_by=finance,
                        recorded_at=_at(held, 15),
                    )
                )
            continue
        # Running or about to run: the next review is open.
        reviews.append(
            PlacementReview(
                contract=contract,
                due_on=due,
                expected_attendance_percent=expected,
                expected_outcomes=outcomes,
                from_panel_conditions=bool(outcomes),
            )
        )
        if case.status is S.ACTIVE and under_notice < 3 and contract.end_on is None and rng.random() < 0.05:
            # Notice given ten days ago: the placement ends once the notice period has run.
            under_notice += 1
            given = max(contract.start_on, today - timedelta(days=10))
            contract.notice_given_on = given
            contract.end_on = W.earliest_end(given, contract.notice_period_days)
            contract.save(update_fields=["notice_given_on", "end_on"])
            events.append(
                PlacementEvent(
                    contract=contract,
                    actor=finance,
                    action=PlacementEventAction.NOTICE_GIVEN.value,
                    occurred_at=_at(given, 12),
                    payload={
                        "contract_id": contract.pk,
                        "notice_given_on": given.isoformat(),
                        "planned_end_on": contract.end_on.isoformat(),
                        "notice_period_days": contract.notice_period_days,
                    },
                    note="The family is moving out of the county",
                )
            )
    PlacementReview.objects.bulk_create(reviews)
    for review in reviews:
        events.append(
            PlacementEvent(
                contract=review.contract,
                actor=finance,
                action=(
                    PlacementEventAction.REVIEW_RECORDED if review.outcome else PlacementEventAction.REVIEW_SCHEDULED
                ).value,
                occurred_at=review.recorded_at or _at(review.contract.start_on, 9),
                payload={"contract_id": review.contract_id, "review_id": review.pk, "outcome": review.outcome},
                note=W.ReviewOutcome(review.outcome).label if review.outcome else "",
            )
        )

    # Chase about half the providers owing last month's returns (queues.returns_missing's rule).
    start, end = W.last_closed_month(today)
    chased_on = end + timedelta(days=min(5, max(1, (today - end).days - 1)))
    chases = []
    if chased_on <= today:
        covered = set(
            AttendanceReturn.objects.filter(period_start__lte=end, period_end__gte=start).values_list(
                "contract_id", flat=True
            )
        )
        owing = {
            c.provider_id
            for c in (case.contract for case in cases)
            if c is not None
            and c.status in (S.ACTIVE.value, S.ENDED.value)
            and W.return_missing(
                (start, end),
                placement_start=c.start_on,
                placement_finish=c.ended_on if c.status == S.ENDED.value else c.end_on,
                returns=[(start, end)] if c.pk in covered else [],
            )
        }
        for provider_id in sorted(owing)[::2]:
            chases.append(
                ReturnChase(
                    provider_id=provider_id,
                    period_start=start,
                    period_end=end,
                    chased_on=chased_on,
                    note="Emailed the school's business manager",
                    chased_by=finance,
                )
            )
        ReturnChase.objects.bulk_create(chases)
        events.extend(
            PlacementEvent(
                provider_id=chase.provider_id,
                actor=finance,
                action=PlacementEventAction.RETURNS_CHASED.value,
                occurred_at=_at(chased_on, 10),
                payload={"provider_id": chase.provider_id, "chase_id": chase.pk, "chased_on": chased_on.isoformat()},
                note=chase.note,
            )
            for chase in chases
        )
    PlacementEvent.objects.bulk_create(events)
    return len(reviews), len(chases)


# --- The referrals' options and costs, and the providers' inspections --------------------------------

# A contract line's category as the panel's broader kind (placements.reports.PANEL_CATEGORY).
_PANEL_KIND = {
    "tuition": "tuition",
    "residential": "residential",
    "therapy_speech_language": "therapies",
    "therapy_occupational": "therapies",
    "therapy_physio": "therapies",
    "therapy_other": "therapies",
    "one_to_one_support": "one_to_one",
    "transport": "transport",
    "other": "other",
}
_OPTION_REASONS = (
    "No place in the specialist provision this year; the school's consultation response says it cannot meet need",
    "Consulted: cannot meet the child's sensory and therapy needs on site",
    "Consulted: full, and the provision does not cover the child's primary need",
)


def cost_demo_referrals(rng: random.Random) -> int:
    """Give every demo placement referral without costs its costed lines and the maintained
    options weighed against it, as the referral form would have: the lines are the provider's
    first quote (the contract's quoted lines annualised, by the panel's kinds), so they add up
    to the requested cost the decision recorded; the options are maintained special schools that
    cannot meet need, the first at the decision's maintained alternative cost. Adds nothing for a
    referral that has costs already, so running it twice adds nothing."""
    referrals = list(
        Referral.objects.filter(request__reference__startswith=DEMO_PREFIX, cost_lines__isnull=True)
        .select_related("request")
        .prefetch_related("agenda_items__decisions")
        .order_by("pk")
    )
    if not referrals:
        return 0
    maintained = list(
        Establishment.objects.filter(
            type_group__in=[EstablishmentType.SPECIAL_MAINTAINED, EstablishmentType.SPECIAL_ACADEMY], is_open=True
        ).order_by("pk")
    )
    contracts = {
        c.panel_decision.item.referral_id: c
        for c in PlacementContract.objects.filter(child__legacy_ref__startswith=DEMO_PREFIX)
        .select_related("panel_decision__item")
        .prefetch_related("cost_lines")
    }
    lines: list[ReferralCostLine] = []
    options: list[ReferralOption] = []
    for referral in referrals:
        decision = next((d for item in referral.agenda_items.all() for d in item.decisions.all()), None)
        contract = contracts.get(referral.pk)
        kinds: dict[str, int] = {}
        for line in contract.cost_lines.all() if contract else ():
            kind = _PANEL_KIND[line.category]
            kinds[kind] = kinds.get(kind, 0) + W.annualise(line.quoted_amount_pence, line.period, line.periods_per_year)
        requested = decision.requested_annual_cost_pence if decision else 0
        if sum(kinds.values()) != requested:
            # A draft contract has no lines yet: the request as one tuition line.
            kinds = {"tuition": requested or 5_000_000}
        for kind, amount in kinds.items():
            lines.append(
                ReferralCostLine(
                    referral=referral,
                    category=kind,
                    annual_amount_pence=amount,
                    description=PW.COST_CATEGORY_LABELS[PW.CostCategory(kind)],
                )
            )
        alternative = decision.maintained_alternative_cost_pence if decision else None
        for index, school in enumerate(rng.sample(maintained, k=min(len(maintained), rng.randint(1, 3)))):
            options.append(
                ReferralOption(
                    referral=referral,
                    establishment=school,
                    meets_need=False,
                    reason=_OPTION_REASONS[index % len(_OPTION_REASONS)],
                    annual_cost_pence=alternative
                    if index == 0 and alternative
                    else rng.randrange(21_000, 29_000, 100) * 100,
                )
            )
    ReferralCostLine.objects.bulk_create(lines)
    ReferralOption.objects.bulk_create(options, ignore_conflicts=True)
    return len(referrals)


def _fee_review_options() -> None:
    """A fee review's referral weighs the options its placement's first referral weighed, as
    ``panels.services.referral_create_fee_review`` copies them. The demo's fee reviews are made
    before the first referrals get their options (``cost_demo_referrals``), so they are copied
    here. Adds nothing for a fee review's referral that has options already."""
    missing = Referral.objects.filter(request__reference__startswith=DEMO_PREFIX, options__isnull=True).exclude(
        fee_review_contract=""
    )
    copies: list[ReferralOption] = []
    for referral in missing.order_by("pk"):
        first = (
            Referral.objects.filter(request_id=referral.request_id, fee_review_contract="", options__isnull=False)
            .order_by("pk")
            .first()
        )
        if first is None:
            continue
        copies.extend(
            ReferralOption(
                referral=referral,
                establishment_id=option.establishment_id,
                meets_need=option.meets_need,
                reason=option.reason,
                annual_cost_pence=option.annual_cost_pence,
            )
            for option in first.options.all()
        )
    ReferralOption.objects.bulk_create(copies, ignore_conflicts=True)


def rate_demo_providers() -> int:
    """Ofsted grades for the demo's providers that have none: the provider with the most demo
    placements "Requires improvement" (so the flag shows at referral and in the pack), one
    "Inadequate", every third "Outstanding", the rest "Good", each with an inspection date.
    Specialist post-16 providers are left not known. Adds nothing twice (only blank grades)."""
    schools = list(
        Establishment.objects.filter(
            provider__isnull=False,
            ofsted_grade="",
            type_group__in=[EstablishmentType.INDEPENDENT_SPECIAL, EstablishmentType.NON_MAINTAINED_SPECIAL],
        )
        .annotate(placed=Count("provider__contracts"))
        .order_by("-placed", "pk")
    )
    if not schools or Establishment.objects.exclude(ofsted_grade="").filter(provider__isnull=False).exists():
        return 0
    for index, school in enumerate(schools):
        if index == 0:
            grade = OfstedGrade.REQUIRES_IMPROVEMENT
        elif index == len(schools) - 1:
            grade = OfstedGrade.INADEQUATE
        elif index % 3 == 0:
            grade = OfstedGrade.OUTSTANDING
        else:
            grade = OfstedGrade.GOOD
        school.ofsted_grade = grade.value
        school.ofsted_inspected_on = date(2022, 9, 12) + timedelta(days=37 * index)
    Establishment.objects.bulk_update(schools, ["ofsted_grade", "ofsted_inspected_on"])
    return len(schools)
