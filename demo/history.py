"""A calibrated county history for the demo: Kent-scale requests from January 2015 to today.

Called by ``seed_demo`` (and by the calibration test) with a seeded ``random.Random``. The
requests are synthetic (names from ``demo.requests_demo``'s lists); their *numbers* are Kent's.
Computed through the dashboard's own definitions (``requests_app.reports``), the history
reproduces:

- per calendar year (DfE basis, docs/domain.md §3.4/§4.2): requests received, the refusal rate
  (refused ÷ all received), new plans issued, the share of them issued within 20 weeks,
  including and excluding exceptions, and the share of assessments ending in a decision not to
  issue, for every year Kent has published (activity years 2016-2024; 2015's plans too);
- the council's 2018 deck (docs/domain.md §4.3), on the DECISION basis
  (refusals ÷ all decisions whether to assess dated in the month): about 19% through 2017,
  35% in August 2018 with 170 assessments agreed that month, requests up about 81% in 18 months,
  and 75% of requests from parents;
- needs, ages at request and sex as docs/domain.md §4.5.

**The story the numbers tell** (and the model that produces it): requests doubled in 2017
(1,634 → 3,251). Refusals were few (11% of 2017's requests), but the service could not keep up:
decisions to assess on 2017's requests slipped by months, so the decisions *dated* in 2017 were
about 19% refusals, and the backlog of agreed assessments ran into 2018, when only 28.5% of plans
were issued within 20 weeks. In 2018 the council tightened the gate (37% of 2018's requests
refused, rising through the year: 35% of August's decisions). Later years follow the published
figures: 2023's low point (18% within 20 weeks), 2024's 55% refusal rate, and with it 2,890 new
plans, the 2023 backlog issued late. Plans are counted in the year they are issued, so they do
not follow from the year's requests: 2016's 1,004 came partly from requests made in 2015 (the
history starts in January 2015, a year before the published request series), and each year's
surplus or shortfall is carried across years (:func:`_settle_counts`).

**"Up 81% in 18 months"** (docs/domain.md §4.3 says the deck's figure fits the calendar-year data
without defining the comparison). Read here as the monthly request rate over the six months
ending August 2018 (March-August 2018) against the six months ending February 2017
(September 2016-February 2017), the window 18 months earlier: ``GROWTH_WINDOWS``.

How it is built (fast: ~38,000 requests in a few seconds on SQLite):

1. :func:`plan_history` (pure Python, no database) draws every request: the month's count
   from ``TARGETS`` and a seasonal profile, the outcome from exact per-year quotas, and the
   dates of each step. Plan timeliness is assigned by error diffusion on the MONTH the plan is
   issued, at its year's rate (so the monthly series has no saw-tooth), then settled per year by
   settling each year's count of plans and of decisions not to issue (:func:`_settle_counts`:
   a year with too many carries plans a year on, late; a year with too few brings later plans
   that could have been issued in it forward, a year earlier where allowed, so each month keeps
   its share of plans), then flipping plans whose two candidate dates share the year, month by
   month (the month furthest from the year's rate first), so each year's within-20-weeks rates
   (with and without exceptions) land on the published ones; the August 2018
   decision counts are then set exactly (170 agreed, 92 refused) by moving the decisions
   nearest the month's edges across it.
2. :func:`seed_history` writes children, requests, standing decisions, clock exceptions and a
   short, legal timeline per request (``created``, then the decisions:
   2 events for a refusal or withdrawal, 5 for a plan) with ``bulk_create`` in large batches.
   Stored clocks, district and event rows come from ``requests_app.stored`` over the stored
   exceptions, so they are exactly what the services would store; ``week20`` follows from the
   exception rows.

A request whose next step falls after yesterday is left open at the stage it has reached
(received, assessing, drafting or draft issued), as a real backlog would be: about 1,000 of the
history's requests are open, all for their own children (one open request per child holds).

Idempotent: history requests have references starting ``HIST-``; when any exists nothing is
added. What the other demos stored first (``seed_demo`` runs them before the history: the live
queue ``DEMO-``, the placements ``IPADEMO-``) counts towards the figures: their requests towards
each month's total, their refusals, plans, plans within 20 weeks and decisions not to issue
towards each year's (:class:`Others`, read on the dashboard's definitions), and the history
generates the rest, so the dashboard a user sees after ``make run`` shows the published
figures. Computed, not fixed: the other demos are dated relative to today, so which years they
touch changes with the day ``make run`` is run.
"""

from __future__ import annotations

import bisect
import random
import time as timer
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from demo.requests_demo import (
    AGE_WEIGHTS,
    BOYS_NAMES,
    GIRLS_NAMES,
    NEED_WEIGHTS,
    NOT_ISSUE_REASONS,
    PARENT_RELATIONSHIPS,
    PERSONAL_CIRCUMSTANCES_EVIDENCE,
    POSTCODE_AREAS,
    REFUSAL_REASONS,
    SEN_SUPPORT_ADVICE,
    SEX_WEIGHTS,
    SUMMER_EVIDENCE,
    SURNAMES,
    WITHDRAWAL_REASONS,
    _cast,
    _placement,
    _places,
    synthetic_upn,
    weighted_choice,
)
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
    RequestEvent,
    RequestSource,
    Sen2Outcome,
)

Status = workflow.Status
EventAction = workflow.EventAction

HIST_PREFIX = "HIST-"
# A year before Kent's published request series: 2016's plans came from requests made in 2015.
START = date(2015, 1, 1)
BATCH = 2000

# --- Targets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearTarget:
    """One calendar year. Rates in percent, on the app's definitions (requests_app.reports)."""

    requests: int  # requests received in the year (a full year; a partial year is pro rata)
    refusal_pc: float  # DfE basis: refused ÷ all requests received in the year
    within_20_pc: float  # plans issued in the year within 20 weeks, including exceptions
    within_20_ex_pc: float  # the same where no exception applied (DfE's headline)
    not_issued_pc: float  # not issued ÷ (issued + not issued), assessments ending in the year
    decided_6_weeks_pc: float  # decisions (Y or N) within 6 weeks, requests received in the year
    exception_pc: float  # share of plans issued with an exception (week20); not published
    published: bool
    # New plans issued in the calendar year (DfE "EHC plans" release); 0: not calibrated (the
    # flow gives what it gives).
    plans: int = 0


# Kent, LA 886 (docs/domain.md §4.2; activity year = the calendar year before the January caseload).
# Published columns: requests, refusal %, within 20 weeks incl./excl. exceptions, not issued %.
# Not published, chosen:
# - decided within 6 weeks: Kent's was poor in 2017-2019 (the EP service's 6-week rate fell
#   to 2% by 2018/19, docs/domain.md §4.2) and published only for 2023 (69%) and 2024 (90.8%); the
#   earlier years are a smooth guess (55% in 2016, 25-35% in 2017-2018, recovering after).
# - exception share: enough to separate 2016's 74.3% (incl.) from 85.8% (excl.); 6% otherwise.
# Extrapolated (no published figures; marked published=False):
#   year | requests | refusal % | within 20 wks incl./excl. | basis
#   2025 |    3,500 |      45.0 |               45.0 / 46.0 | requests easing from 4,001 towards
#        |          |           |                           | the council's "about 260 a month";
#        |          |           |                           | refusals back from 2024's 55% peak;
#        |          |           |                           | timeliness improving (oldest case ~20
#        |          |           |                           | weeks by early 2025, "top 20%" claim)
#   2026 |    3,200 |      40.0 |               55.0 / 56.0 | ~267 a month (the council's ~260);
#        |          |           |                           | the same trends continued. Partial:
#        |          |           |                           | received up to yesterday, pro rata.
TARGETS: dict[int, YearTarget] = {
    2015: YearTarget(2400, 26.5, 74.3, 85.8, 4.1, 55.0, 20.0, False, 517),
    2016: YearTarget(1634, 26.5, 74.3, 85.8, 4.1, 55.0, 20.0, True, 1004),
    2017: YearTarget(3251, 11.0, 57.5, 58.8, 4.4, 35.0, 6.0, True, 1472),
    2018: YearTarget(2868, 37.2, 28.5, 28.9, 13.3, 30.0, 6.0, True, 1787),
    2019: YearTarget(2992, 27.6, 28.9, 28.7, 10.6, 45.0, 6.0, True, 2141),
    2020: YearTarget(3255, 25.3, 31.1, 31.6, 12.6, 55.0, 6.0, True, 2048),
    2021: YearTarget(4047, 30.4, 41.3, 41.4, 8.9, 58.0, 6.0, True, 2910),
    2022: YearTarget(3669, 26.8, 40.9, 41.1, 14.6, 62.0, 6.0, True, 2314),
    2023: YearTarget(3988, 31.2, 18.0, 18.0, 7.5, 69.0, 6.0, True, 1976),
    2024: YearTarget(4001, 55.0, 32.3, 33.3, 15.3, 90.8, 6.0, True, 2890),
    2025: YearTarget(3500, 45.0, 45.0, 46.0, 12.0, 90.0, 6.0, False),
    2026: YearTarget(3200, 40.0, 55.0, 56.0, 10.0, 92.0, 6.0, False),
}
# After 2026 (a demo run in a later year): the 2026 figures carry on.
LAST_TARGET_YEAR = max(TARGETS)


def target_for(year: int) -> YearTarget:
    return TARGETS[min(max(year, min(TARGETS)), LAST_TARGET_YEAR)]


# The 2018 deck (docs/domain.md §4.3), decision basis.
DECK_MONTH = date(2018, 8, 1)
DECK_AGREED = 170  # "the lowest number of Statutory Assessments were agreed ... (170)"
DECK_REFUSAL_PC = 35.0  # "... to 35% in August 2018"
DECK_REFUSED = round(DECK_AGREED * DECK_REFUSAL_PC / (100 - DECK_REFUSAL_PC))  # 92
# "increased by 81% in the last 18 months": (first month, months) of the later and earlier window.
GROWTH_WINDOWS = ((date(2018, 3, 1), 6), (date(2016, 9, 1), 6))

# Requests by calendar month: few in August (schools closed), fewer at Christmas and Easter.
SEASON = {1: 1.05, 2: 1.0, 3: 1.1, 4: 0.9, 5: 1.05, 6: 1.1, 7: 1.05, 8: 0.55, 9: 0.95, 10: 1.1, 11: 1.15, 12: 0.8}
# The underlying monthly level (before the season and the per-year scaling), linear between
# anchors. 2017's surge starts in the spring; 2018 falls back as refusals rise.
LEVEL: list[tuple[date, float]] = [
    (date(2016, 1, 1), 135),
    (date(2016, 12, 1), 128),
    (date(2017, 2, 1), 140),
    (date(2017, 5, 1), 300),
    (date(2017, 10, 1), 360),
    (date(2018, 2, 1), 300),
    (date(2018, 7, 1), 290),
    (date(2018, 12, 1), 190),
    (date(2019, 12, 1), 260),
    (date(2020, 4, 1), 210),  # the first lockdown
    (date(2020, 9, 1), 300),
    (date(2021, 12, 1), 340),
    (date(2022, 12, 1), 310),
    (date(2024, 12, 1), 330),
    (date(2026, 12, 1), 265),
]
# Refusals within a year: 2018's rose month by month (the deck's 19% → 35%).
REFUSAL_RAMP: dict[int, tuple[float, float]] = {2017: (0.8, 1.3), 2018: (0.8, 1.25)}
# Withdrawals: before the decision (share of requests) and during the assessment.
# More in the surge years, when families waited months for a decision. Few: Kent's published new
# plans (2016-2024) need almost every assessment agreed to end in a plan or a decision not to
# issue, with requests made in 2015 besides.
WITHDRAWN_BEFORE_DECISION = {2016: 0.01, 2017: 0.03, 2018: 0.015}
WITHDRAWN_BEFORE_DECISION_OTHERWISE = 0.005
WITHDRAWN_IN_ASSESSMENT = 0.005

# Decision delay, days after day 1, by the month received: (share within 6 weeks from TARGETS;
# mean extra days beyond 6 weeks for the late ones, linear between anchors). Late decisions to
# ASSESS drift furthest: in 2017 the queue of agreed assessments grew for months.
LATE_MEAN: list[tuple[date, float]] = [
    (date(2016, 1, 1), 25),
    (date(2016, 9, 1), 40),
    (date(2017, 4, 1), 120),
    (date(2017, 11, 1), 150),
    (date(2018, 3, 1), 70),
    (date(2018, 12, 1), 35),
    (date(2020, 1, 1), 30),
    (date(2026, 12, 1), 25),
]
# Decisions to assess agreed per month in 2017-2018 (the deck: 170 in August 2018, the lowest
# since February 2018), and the share that went through at the natural pace, outside the queue.
CAPACITY: dict[date, int] = {
    date(2017, m, 1): n
    for m, n in zip(range(1, 13), (110, 100, 105, 100, 110, 120, 130, 95, 120, 135, 145, 125), strict=True)
} | {
    date(2018, m, 1): n
    for m, n in zip(range(1, 13), (190, 165, 250, 245, 260, 255, 245, 170, 230, 230, 215, 185), strict=True)
}
FAST_SHARE = 0.55
# EP advice (reg 6(1)(d)) returned within 6 weeks of the request for it, by the year it was asked
# for: Kent's fell from almost all (2014/15) to 2% (2018/19, docs/domain.md §4.2); the recovery
# after the external EP contract (2021) is a guess, towards the 90% of decisions made in time.
EP_WITHIN_6_WEEKS: dict[int, float] = {
    2016: 0.70,
    2017: 0.35,
    2018: 0.05,
    2019: 0.02,
    2020: 0.10,
    2021: 0.25,
    2022: 0.45,
    2023: 0.60,
    2024: 0.75,
    2025: 0.85,
    2026: 0.90,
}
EP_ADDRESSEE = "Educational Psychology Service"
# The quickest an assessment ran from the decision to assess to a final plan, in days.
ASSESSMENT_DAYS_AT_LEAST = 42
# Refusals are quicker to make: their late tail is this share of an assessment's.
REFUSAL_LATE_FACTOR = 0.35
# Plans issued more than a year after the request, among the late ones (Kent 2024: 14% of all
# plans, docs/domain.md §4.5); more in the backlog years.
OVER_A_YEAR: dict[int, float] = {2016: 0.05, 2017: 0.08, 2018: 0.2, 2019: 0.25, 2020: 0.2, 2023: 0.25, 2024: 0.2}
# Districts: rough shares of Kent's 0-19 population.
DISTRICT_WEIGHTS: dict[str, float] = {
    "Ashford": 9.0,
    "Canterbury": 8.5,
    "Dartford": 8.0,
    "Dover": 6.5,
    "Folkestone and Hythe": 6.5,
    "Gravesham": 7.0,
    "Maidstone": 11.5,
    "Sevenoaks": 7.5,
    "Swale": 9.5,
    "Thanet": 9.0,
    "Tonbridge and Malling": 9.0,
    "Tunbridge Wells": 7.5,
}
# Who asked: three in four parents (the deck). Exact per-year quotas; young people only at 16+.
SOURCE_SHARES = {RequestSource.PARENT: 0.75, RequestSource.SCHOOL: 0.17, RequestSource.OTHER: 0.05}


# --- Step 1: the plan (pure) -------------------------------------------------------------------


@dataclass(slots=True)
class Case:
    """One historical request, as dates and codes (no database)."""

    received_on: date
    request_outcome: str = ""  # Y / N / W once decided (the destiny; may be after the horizon)
    request_outcome_on: date | None = None
    assessment_outcome: str = ""  # Y / N / W
    assessment_outcome_on: date | None = None
    decide_issue_on: date | None = None
    draft_on: date | None = None
    timely: bool = False
    exception: tuple[str, date, date] | None = None  # (kind, start, end)
    source: str = RequestSource.PARENT
    age: int = 5
    sex: str = "M"
    need: str = "ASD"
    district: int = 0  # index into the district list
    # A plan's two candidate issue dates: within 20 weeks (None when the decision left no time) and late.
    candidates: tuple[date | None, date] | None = None
    # The educational psychologist's advice asked for during the assessment: (requested, received).
    advice: tuple[date, date] | None = None


def _lerp(anchors: list[tuple[date, float]], on: date) -> float:
    ords = [a.toordinal() for a, _ in anchors]
    x = on.toordinal()
    if x <= ords[0]:
        return anchors[0][1]
    if x >= ords[-1]:
        return anchors[-1][1]
    i = bisect.bisect_right(ords, x)
    (x0, y0), (x1, y1) = (ords[i - 1], anchors[i - 1][1]), (ords[i], anchors[i][1])
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _months(first: date, last: date) -> list[date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def _weekdays(month: date, last_day: date) -> list[date]:
    days, current = [], month
    while current.month == month.month and current <= last_day:
        if current.weekday() < 5:
            days.append(current)
        current += timedelta(days=1)
    return days


def monthly_counts(horizon: date) -> dict[date, int]:
    """Requests to receive each month up to ``horizon``: each year's total spread by the level
    curve and the season, rounded so the year sums to its target (pro rata in a partial year)."""
    counts: dict[date, int] = {}
    shares: dict[date, float] = {}  # before rounding
    for year in range(START.year, horizon.year + 1):
        weights = {
            month: _lerp(LEVEL, month) * SEASON[month.month] for month in _months(date(year, 1, 1), date(year, 12, 1))
        }
        total_weight = sum(weights.values())
        target = target_for(year).requests
        for month, weight in weights.items():
            if month > horizon:
                continue
            share = weight / total_weight * target
            if month.year == horizon.year and month.month == horizon.month:
                # The current month so far: by working days elapsed.
                share *= len(_weekdays(month, horizon)) / max(1, len(_weekdays(month, date.max)))
            shares[month] = share
        # Largest-remainder rounding within the year keeps the annual total exact.
        months = [m for m in shares if m.year == year]
        floors = {m: int(shares[m]) for m in months}
        left = round(sum(shares[m] for m in months)) - sum(floors.values())
        for month in sorted(months, key=lambda m: shares[m] - floors[m], reverse=True)[:left]:
            floors[month] += 1
        counts.update(floors)
    return counts


def _outcome_on(case: Case) -> date:
    """The decision date of a case that has one (the callers only hold decided cases)."""
    assert case.request_outcome_on is not None
    return case.request_outcome_on


def _quota_pick(rng: random.Random, items: list[int], weights: Mapping[int, float], k: int) -> set[int]:
    """``k`` of ``items`` drawn without replacement in proportion to ``weights`` (exact count)."""
    keyed = sorted(items, key=lambda i: rng.random() ** (1.0 / weights[i]), reverse=True)
    return set(keyed[:k])


def _delay(rng: random.Random, within_share: float, late_mean: float) -> int:
    """Days from day 1 to a decision: within 6 weeks (mostly in weeks 3-6) or late."""
    if rng.random() < within_share:
        return 42 - int(30 * rng.random() ** 1.5)
    return 43 + min(int(rng.expovariate(1.0 / late_mean)), 330)


def _year_rate(year: int, attribute: str) -> float:
    return float(getattr(target_for(year), attribute)) / 100.0


@dataclass
class _Diffusion:
    """Timely and total counts per month of issue, nudged towards the year's target rate.

    Keyed by the MONTH a plan is issued, not the year: a yearly error diffusion fed in order of
    receipt paid each year's deficit off in its first months (the plans issued in January were
    mostly timely, December's almost never: a saw-tooth the published data does not have). Per
    month, each month lands near its year's rate; what the year's earlier months fell short by
    (too few candidates in a backlog month) is carried into the next ones, so the year lands on
    its published rate too."""

    timely: Counter[date] = field(default_factory=Counter)
    total: Counter[date] = field(default_factory=Counter)

    def want(self, month: date, rate: float, rng: random.Random) -> bool:
        # What the year's earlier months fell short by (or went over) is carried into this one.
        carry = sum(
            rate * self.total[earlier] - self.timely[earlier]
            for earlier in (date(month.year, m, 1) for m in range(1, month.month))
        )
        return rate * (self.total[month] + 1) - self.timely[month] + carry > rng.random()

    def add(self, month: date, timely: bool) -> None:
        self.total[month] += 1
        self.timely[month] += int(timely)


@dataclass
class Others:
    """What the other demos (``DEMO-``, ``IPADEMO-`` ...) stored before the history, counted on
    the dashboard's definitions (``requests_app.reports``): the history generates each year's
    target MINUS these, so the figures a user sees after ``seed_demo`` are the published ones."""

    requests: Counter[date] = field(default_factory=Counter)  # by month received
    refused: Counter[int] = field(default_factory=Counter)  # by year received
    plans: Counter[int] = field(default_factory=Counter)  # by year issued
    timely: Counter[int] = field(default_factory=Counter)  # plans within 20 weeks, by year issued
    plain: Counter[int] = field(default_factory=Counter)  # plans where no exception applied (week20)
    plain_timely: Counter[int] = field(default_factory=Counter)
    not_issued: Counter[int] = field(default_factory=Counter)  # decisions not to issue, by year

    def requests_in(self, year: int) -> int:
        return sum(n for month, n in self.requests.items() if month.year == year)


def plan_history(rng: random.Random, *, today: date, others: Others | None = None, districts: int = 12) -> list[Case]:
    """Every historical request as a :class:`Case`, received Jan 2015 to yesterday.

    ``others``: what the other demos already stored; their requests are taken off each month's
    count, their refusals, plans and timely plans off each year's quotas, so that the totals
    stay on the calibrated figures.
    """
    horizon = today - timedelta(days=1)
    others = others or Others()
    cases: list[Case] = []
    for month, count in monthly_counts(horizon).items():
        days = _weekdays(month, horizon)
        if not days:
            continue
        for _ in range(max(0, count - others.requests.get(month, 0))):
            cases.append(Case(received_on=rng.choice(days)))
    cases.sort(key=lambda c: c.received_on)
    _people(rng, cases, districts)
    _request_outcomes(rng, cases, others)
    _assess_queue(rng, cases)
    _fix_deck_month(rng, cases)
    _assessment_outcomes(rng, cases, others, horizon)
    _ep_advice(rng, cases)
    return cases


def _people(rng: random.Random, cases: list[Case], districts: int) -> None:
    district_weights = list(DISTRICT_WEIGHTS.values())[:districts] or [1.0]
    district_weights += [sum(district_weights) / len(district_weights)] * (districts - len(district_weights))
    by_year: dict[int, list[int]] = {}
    for index, case in enumerate(cases):
        case.age = weighted_choice(rng, AGE_WEIGHTS)
        case.sex = weighted_choice(rng, SEX_WEIGHTS)
        case.need = weighted_choice(rng, NEED_WEIGHTS)
        case.district = rng.choices(range(districts), weights=district_weights)[0]
        by_year.setdefault(case.received_on.year, []).append(index)
    for indexes in by_year.values():
        # Exact shares per year: 75% parents, 17% schools, 5% other professionals; the rest
        # young people (16+) where the year has enough of them, else other professionals.
        shuffled = list(indexes)
        rng.shuffle(shuffled)
        position = 0
        for source, share in SOURCE_SHARES.items():
            take = round(share * len(indexes))
            for index in shuffled[position : position + take]:
                cases[index].source = source
            position += take
        for index in shuffled[position:]:
            cases[index].source = RequestSource.YOUNG_PERSON if cases[index].age >= 16 else RequestSource.OTHER


def _request_outcomes(rng: random.Random, cases: list[Case], others: Others) -> None:
    """Refused / withdrawn / assessed by exact per-year quotas, then the decision dates."""
    by_year: dict[int, list[int]] = {}
    for index, case in enumerate(cases):
        by_year.setdefault(case.received_on.year, []).append(index)
    for year, indexes in by_year.items():
        target = target_for(year)
        start, end = REFUSAL_RAMP.get(year, (1.0, 1.0))
        weights = {i: start + (end - start) * (cases[i].received_on.timetuple().tm_yday / 366) for i in indexes}
        quota = round(target.refusal_pc / 100 * (len(indexes) + others.requests_in(year))) - others.refused[year]
        refused = _quota_pick(rng, indexes, weights, min(len(indexes), max(0, quota)))
        rest = [i for i in indexes if i not in refused]
        share = WITHDRAWN_BEFORE_DECISION.get(year, WITHDRAWN_BEFORE_DECISION_OTHERWISE)
        withdrawn = set(rng.sample(rest, round(share * len(indexes))))
        within = target.decided_6_weeks_pc / 100
        for index in indexes:
            case = cases[index]
            late_mean = _lerp(LATE_MEAN, case.received_on)
            if index in refused:
                case.request_outcome = Sen2Outcome.NO
                delay = _delay(rng, within, late_mean * REFUSAL_LATE_FACTOR)
            elif index in withdrawn:
                case.request_outcome = Sen2Outcome.WITHDRAWN
                delay = rng.randint(7, 60)
            else:
                case.request_outcome = Sen2Outcome.YES
                delay = _delay(rng, within, late_mean)
            case.request_outcome_on = case.received_on + timedelta(days=delay)


def _assess_queue(rng: random.Random, cases: list[Case]) -> None:
    """2017-2018: the council agreed only so many assessments a month (``CAPACITY``). A share
    of requests went through at their natural pace (``FAST_SHARE``); the rest queued, oldest
    first, so decisions to assess on 2017's surge of requests slipped into 2018. What was still
    queued at the end of 2018 was cleared in early 2019."""
    first, last = min(CAPACITY), max(CAPACITY)
    end_of_era = date(last.year, last.month, 28) + timedelta(days=4)
    end_of_era = end_of_era - timedelta(days=end_of_era.day)  # the era's last day
    waiting: list[Case] = []
    fast: dict[date, list[Case]] = {}
    for case in cases:
        natural = case.request_outcome_on
        if case.request_outcome != Sen2Outcome.YES or natural is None or natural < first:
            continue
        if case.received_on > end_of_era:
            continue
        if rng.random() < FAST_SHARE and natural <= end_of_era:
            fast.setdefault(natural.replace(day=1), []).append(case)
        else:
            waiting.append(case)
    waiting.sort(key=lambda c: c.received_on)
    for month in _months(first, last):
        month_end = _months(month, month)[0] + timedelta(days=31)
        month_end = month_end.replace(day=1) - timedelta(days=1)
        room = CAPACITY[month]
        quick = fast.get(month, [])
        rng.shuffle(quick)
        for case in quick[room:]:  # more quick ones than room: they wait like the rest
            waiting.append(case)
        waiting.sort(key=lambda c: c.received_on)
        room -= min(room, len(quick))
        days = _weekdays(month, month_end)
        ready = [c for c in waiting if _outcome_on(c) <= month_end][:room]
        taken = set(map(id, ready))
        waiting = [c for c in waiting if id(c) not in taken]
        for case in ready:
            natural = case.request_outcome_on
            assert natural is not None
            case.request_outcome_on = max(natural, rng.choice(days))
    # The queue left at the end of the era: cleared over the next three months.
    for case in waiting:
        natural = case.request_outcome_on
        assert natural is not None
        case.request_outcome_on = max(natural, end_of_era + timedelta(days=1 + int(90 * rng.random() ** 1.5)))


def _fix_deck_month(rng: random.Random, cases: list[Case]) -> None:
    """Set August 2018's decisions to the deck's: 170 agreed and 92 refused (35%). Decisions
    nearest the month's edges move across them (never before the request was received)."""
    first, last = DECK_MONTH, date(2018, 8, 31)
    for outcome, wanted in ((Sen2Outcome.YES, DECK_AGREED), (Sen2Outcome.NO, DECK_REFUSED)):
        mine = [c for c in cases if c.request_outcome == outcome and c.request_outcome_on is not None]
        inside = [c for c in mine if first <= _outcome_on(c) <= last]
        if len(inside) > wanted:
            # The latest in August slip into early September.
            for case in sorted(inside, key=_outcome_on, reverse=True)[: len(inside) - wanted]:
                case.request_outcome_on = last + timedelta(days=rng.randint(1, 7))
        elif len(inside) < wanted:
            # The earliest in September, received by the end of August, are brought forward.
            september = sorted(
                (c for c in mine if last < _outcome_on(c) <= last + timedelta(days=30) and c.received_on <= last),
                key=_outcome_on,
            )
            for case in september[: wanted - len(inside)]:
                case.request_outcome_on = max(case.received_on, last - timedelta(days=rng.randint(0, 6)))


def _assessment_outcomes(rng: random.Random, cases: list[Case], others: Others, horizon: date) -> None:
    """For each assessment: not issued, withdrawn or a plan; a plan's timeliness by error
    diffusion on the month it is issued; then each year's count of plans and of decisions not to
    issue is settled (:func:`_settle_counts`), and last its timeliness (incl. and excl. exceptions
    both land on target)."""
    no_exception, flagged, exceptions = _Diffusion(), _Diffusion(), _Diffusion()
    for case in cases:
        if case.request_outcome != Sen2Outcome.YES:
            continue
        decided = case.request_outcome_on
        assert decided is not None
        received = case.received_on
        expected_year = (received + timedelta(days=150)).year
        roll = rng.random()
        if roll < WITHDRAWN_IN_ASSESSMENT:
            case.assessment_outcome = Sen2Outcome.WITHDRAWN
            case.assessment_outcome_on = decided + timedelta(days=rng.randint(14, 120))
            continue
        not_issued = _year_rate(expected_year, "not_issued_pc")
        if roll < WITHDRAWN_IN_ASSESSMENT + not_issued * (1 - WITHDRAWN_IN_ASSESSMENT):
            case.assessment_outcome = Sen2Outcome.NO
            in_time = received + clocks.NOT_ISSUE_PERIOD
            earliest = decided + timedelta(days=21)
            if earliest <= in_time and rng.random() < 0.35:
                on = earliest + timedelta(days=rng.randint(0, (in_time - earliest).days))
            else:
                on = max(in_time + timedelta(days=rng.randint(1, 180)), earliest)
            case.assessment_outcome_on = on
            continue
        case.assessment_outcome = Sen2Outcome.YES
        # Two candidate issue dates: within 20 weeks (if the decision left time) and late.
        due = received + clocks.FINAL_PLAN_PERIOD
        lo = max(decided + timedelta(days=ASSESSMENT_DAYS_AT_LEAST), received + timedelta(days=77))
        timely_on = lo + timedelta(days=rng.randint(0, (due - lo).days)) if lo <= due else None
        if rng.random() < OVER_A_YEAR.get(expected_year, 0.15):
            late_days = 366 + int(250 * rng.random() ** 1.5)
        else:
            late_days = 141 + int(224 * rng.random() ** 1.4)
        late_on = max(received + timedelta(days=late_days), decided + timedelta(days=42 + rng.randint(0, 30)))
        # An exception (week20) on some plans, by diffusion on the month the plan lands in: the
        # flag for each candidate month, then timeliness by its class's rate in that year.
        late_month = late_on.replace(day=1)
        late_flag = exceptions.want(late_month, _year_rate(late_on.year, "exception_pc"), rng)
        with_exception, timely = late_flag, False
        if timely_on is not None:
            month, year = timely_on.replace(day=1), timely_on.year
            timely_flag = exceptions.want(month, _year_rate(year, "exception_pc"), rng)
            if timely_flag:
                timely = flagged.want(month, _flagged_rate(year), rng)
            else:
                timely = no_exception.want(month, _year_rate(year, "within_20_ex_pc"), rng)
            if timely:
                with_exception = timely_flag
        issued_on = timely_on if timely and timely_on is not None else late_on
        month = issued_on.replace(day=1)
        exceptions.add(month, with_exception)
        (flagged if with_exception else no_exception).add(month, timely)
        case.candidates = (timely_on, late_on)
        case.exception = ("", received, received) if with_exception else None  # the period is drawn below
        _issue(rng, case, timely=timely)
    _settle_counts(rng, cases, others, horizon)
    _settle_years(rng, cases, others)
    for case in cases:
        if case.exception is not None:
            assert case.assessment_outcome_on is not None
            case.exception = _exception_for(rng, case.received_on, case.assessment_outcome_on)


def _flagged_rate(year: int) -> float:
    """The share within 20 weeks among plans WITH an exception that the year's two published
    rates imply: (incl. x all - excl. x plans without) / plans with."""
    target = target_for(year)
    share = target.exception_pc / 100
    rate = (target.within_20_pc - target.within_20_ex_pc * (1 - share)) / share / 100
    return min(1.0, max(0.0, rate))


def _issue(rng: random.Random, case: Case, *, timely: bool) -> None:
    """Issue the plan on its timely or its late candidate date, with the draft before it."""
    assert case.candidates is not None and case.request_outcome_on is not None
    timely_on, late_on = case.candidates
    issued_on = timely_on if timely and timely_on is not None else late_on
    case.timely = timely and timely_on is not None
    case.assessment_outcome_on = issued_on
    case.draft_on = issued_on - timedelta(days=rng.randint(15, 28))
    case.decide_issue_on = max(case.request_outcome_on, case.draft_on - timedelta(days=rng.randint(3, 14)))


def _settle_years(rng: random.Random, cases: list[Case], others: Others) -> None:
    """The monthly diffusion leaves a year a little off its published rates where its months had
    too few plans that could be on time (the 2017-2018 backlog). Flip plans whose two candidate
    dates fall in the same year (the year's count of plans unchanged) until the year's share
    within 20 weeks lands on its target: first among plans with no exception (DfE's headline,
    excluding exceptions), then among those with one (the rate including exceptions)."""
    by_year: dict[int, list[Case]] = {}
    for case in cases:
        if case.assessment_outcome == Sen2Outcome.YES and case.candidates is not None:
            assert case.assessment_outcome_on is not None
            by_year.setdefault(case.assessment_outcome_on.year, []).append(case)
    for year, plans in by_year.items():
        target = target_for(year)
        plain = [c for c in plans if c.exception is None]
        flagged = [c for c in plans if c.exception is not None]
        wanted_plain = (
            round(target.within_20_ex_pc / 100 * (len(plain) + others.plain[year])) - others.plain_timely[year]
        )
        _flip_to(rng, plain, max(0, min(len(plain), wanted_plain)), year, plans)
        wanted_all = (
            round(target.within_20_pc / 100 * (len(plans) + others.plans[year]))
            - others.timely[year]
            - sum(c.timely for c in plain)
        )
        _flip_to(rng, flagged, max(0, min(len(flagged), wanted_all)), year, plans)
        short = wanted_all - sum(c.timely for c in flagged)
        if short > 0:
            # Too few plans with an exception could be on time (a backlog year): some on-time
            # plans without one get an exception (its share is not published), and the plans
            # without one are settled again.
            on_time = [c for c in plain if c.timely]
            for case in rng.sample(on_time, min(short, len(on_time))):
                case.exception = ("", case.received_on, case.received_on)
            plain = [c for c in plain if c.exception is None]
            wanted_plain = (
                round(target.within_20_ex_pc / 100 * (len(plain) + others.plain[year])) - others.plain_timely[year]
            )
            _flip_to(rng, plain, max(0, min(len(plain), wanted_plain)), year, plans)


def _plan_earliest(case: Case) -> date:
    """The earliest a late plan could be issued: the assessment's least time after the
    decision, and after the 20 weeks (a plan moved across a year stays late)."""
    assert case.request_outcome_on is not None
    return max(
        case.request_outcome_on + timedelta(days=ASSESSMENT_DAYS_AT_LEAST),
        case.received_on + clocks.FINAL_PLAN_PERIOD + timedelta(days=1),
    )


def _not_issued_earliest(case: Case) -> date:
    assert case.request_outcome_on is not None
    return case.request_outcome_on + timedelta(days=21)


def _settle_counts(rng: random.Random, cases: list[Case], others: Others, horizon: date) -> None:
    """Each year's count of plans issued lands on ``TARGETS[year].plans`` (less the other
    demos'), then its decisions not to issue on the published share. The flow from one year into
    the next carries the difference: a year with too many moves its latest plans into the first
    half of the next (a backlog carried over, the plans late); a year with too few takes the
    plans of later years that could have been issued in it, earliest first (issued late, in that
    year). Plans of the years after the last calibrated one take up what is left."""
    plans = [c for c in cases if c.assessment_outcome == Sen2Outcome.YES and c.candidates is not None]
    wanted = {y: t.plans - others.plans[y] for y, t in TARGETS.items() if t.plans}
    _pour(
        rng,
        plans,
        wanted,
        _plan_earliest,
        horizon,
        move=_move_plan,
        then=lambda y: _swap_for_timeliness(rng, plans, y, others),
    )
    issued: Counter[int] = Counter(c.assessment_outcome_on.year for c in plans if c.assessment_outcome_on)
    refusals = [c for c in cases if c.assessment_outcome == Sen2Outcome.NO]
    wanted_no = {}
    for year in wanted:
        share = target_for(year).not_issued_pc / 100
        total = issued[year] + others.plans[year]
        wanted_no[year] = round(total * share / (1 - share)) - others.not_issued[year]
    _pour(rng, refusals, wanted_no, _not_issued_earliest, horizon, move=_move_not_issued)
    # Still too few decisions not to issue in the last calibrated year: assessments that ended in
    # a plan after it (the years not calibrated) end in a decision not to issue in it instead.
    last_year = max(wanted)
    short = wanted_no[last_year] - sum(
        1 for c in refusals if c.assessment_outcome_on is not None and c.assessment_outcome_on.year == last_year
    )
    end = date(last_year, 12, 31)
    later = sorted(
        (c for c in plans if c.assessment_outcome_on is not None and c.assessment_outcome_on > end),
        key=lambda c: c.assessment_outcome_on or end,
    )
    for case in [c for c in later if _not_issued_earliest(c) <= end][: max(0, short)]:
        start = max(date(last_year, 1, 1), _not_issued_earliest(case))
        case.assessment_outcome = Sen2Outcome.NO
        case.candidates = case.draft_on = case.decide_issue_on = case.exception = None
        case.timely = False
        case.assessment_outcome_on = start + timedelta(days=rng.randint(0, (end - start).days))


def _swap_for_timeliness(rng: random.Random, plans: list[Case], year: int, others: Others) -> None:
    """Where a year has too few plans that could have been issued within 20 weeks in it (a
    backlog carried in), swap: a plan issued late in a later year that could have been on time in
    this one comes in (on time), one carried in moves on to the next year (late)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    mine = [c for c in plans if c.assessment_outcome_on is not None and first <= c.assessment_outcome_on <= last]
    target = target_for(year)
    wanted = round(target.within_20_pc / 100 * (len(mine) + others.plans[year])) - others.timely[year]
    # A margin for the settling: plans without an exception and with one are settled apart.
    short = wanted + len(mine) // 20 - sum(_could_be_timely_in(c, year) for c in mine)
    if short <= 0:
        return
    incoming = [
        c
        for c in plans
        if c.assessment_outcome_on is not None and c.assessment_outcome_on > last and _could_be_timely_in(c, year)
    ]
    outgoing = sorted(
        (c for c in mine if not _could_be_timely_in(c, year)), key=lambda c: c.assessment_outcome_on or last
    )
    count = min(short, len(incoming), len(outgoing))
    for case in rng.sample(incoming, count):
        _issue(rng, case, timely=True)
    for case in outgoing[len(outgoing) - count :]:
        _move_plan(rng, case, date(year + 1, 1, 1) + timedelta(days=rng.randint(0, 180)))


def _a_year_on(on: date, years: int) -> date:
    return on.replace(year=on.year + years, day=min(on.day, 28) if on.month == 2 else on.day)


def _could_be_timely_in(case: Case, year: int) -> bool:
    candidates = case.candidates
    return candidates is not None and candidates[0] is not None and candidates[0].year == year


def _move_plan(rng: random.Random, case: Case, on: date) -> None:
    """Issue the plan late on ``on``; when its date within 20 weeks falls in the same year, that
    one is kept as the other candidate (and taken here), so the year's timeliness can still be
    settled by flipping."""
    assert case.candidates is not None
    timely_on = case.candidates[0]
    case.candidates = (timely_on, on)
    _issue(rng, case, timely=timely_on is not None and timely_on.year == on.year)


def _move_not_issued(rng: random.Random, case: Case, on: date) -> None:
    case.assessment_outcome_on = on


def _pour(
    rng: random.Random,
    items: list[Case],
    wanted: Mapping[int, int],
    earliest: Any,
    horizon: date,
    *,
    move: Any,
    then: Any = None,
) -> None:
    def on(case: Case) -> date:
        assert case.assessment_outcome_on is not None
        return case.assessment_outcome_on

    for year in sorted(wanted):
        first, last = date(year, 1, 1), date(year, 12, 31)
        mine = [c for c in items if on(c).year == year]
        need = max(0, wanted[year]) - len(mine)
        if need < 0:
            # A year too many: plans from across the year wait a year longer (the month's shape
            # kept), first those that could not have been issued within 20 weeks in it (a backlog
            # carried over), so the year keeps the plans it settles its timeliness with.
            rng.shuffle(mine)
            mine.sort(key=lambda c: _could_be_timely_in(c, year))
            for case in mine[:-need]:
                move(rng, case, _a_year_on(on(case), 1))
        elif need > 0:
            # Too few: later plans that could have been issued in this year come forward, a year
            # earlier where that is allowed (the month's shape kept), else some time in it.
            pool = [c for c in items if on(c) > last and earliest(c) <= last]
            rng.shuffle(pool)
            pool.sort(key=lambda c: (on(c).year != year + 1, _a_year_on(on(c), -1) < earliest(c), earliest(c)))
            for case in pool[:need]:
                back = _a_year_on(on(case), -1)
                if back.year == year and back >= earliest(case):
                    move(rng, case, back)
                else:
                    start = max(first, earliest(case))
                    move(rng, case, start + timedelta(days=rng.randint(0, (last - start).days)))
        if then is not None:
            then(year)
    del horizon


def _flip_to(rng: random.Random, plans: list[Case], wanted: int, year: int, every: list[Case] | None = None) -> None:
    """Make ``wanted`` of ``plans`` timely, flipping only plans whose other date is in ``year``.

    Month by month: each flip to on time takes a late plan from the month (of ``every`` plan of
    the year) with the lowest share on time so far, each flip to late one on time from the month
    with the highest, so the plans carried across years (all late) leave no dip in the monthly
    series."""

    def both_in_year(case: Case) -> bool:
        assert case.candidates is not None
        timely_on, late_on = case.candidates
        return timely_on is not None and timely_on.year == year and late_on.year == year

    total: Counter[int] = Counter()
    timely: Counter[int] = Counter()
    for case in every if every is not None else plans:
        assert case.assessment_outcome_on is not None
        total[case.assessment_outcome_on.month] += 1
        timely[case.assessment_outcome_on.month] += case.timely
    # The pools (late, on time) by the month each plan is issued in now.
    pools: dict[bool, dict[int, list[Case]]] = {False: {}, True: {}}
    for case in plans:
        if both_in_year(case):
            assert case.assessment_outcome_on is not None
            pools[case.timely].setdefault(case.assessment_outcome_on.month, []).append(case)
    for by_month in pools.values():
        for cases in by_month.values():
            rng.shuffle(cases)

    def share(month: int) -> float:
        return (timely[month] + 0.5) / (total[month] + 1)

    def flip(to_timely: bool) -> bool:
        by_month = pools[not to_timely]
        months = [m for m, cases in by_month.items() if cases]
        if not months:
            return False
        month = min(months, key=share) if to_timely else max(months, key=share)
        # The plan whose other date falls in the month that gains most from it (or loses least).
        candidates = by_month[month]
        sign = -1 if to_timely else 1

        def gain(index: int) -> float:
            other = candidates[index].candidates
            assert other is not None and other[0] is not None
            return sign * share((other[0] if to_timely else other[1]).month)

        case = candidates.pop(max(range(len(candidates)), key=gain))
        _issue(rng, case, timely=to_timely)
        assert case.assessment_outcome_on is not None
        after = case.assessment_outcome_on.month
        pools[to_timely].setdefault(after, []).append(case)
        total[month] -= 1
        timely[month] -= not to_timely
        total[after] += 1
        timely[after] += to_timely
        return True

    need = wanted - sum(c.timely for c in plans)
    for _ in range(abs(need)):
        if not flip(need > 0):
            break
    # Then even the months out: one up in the month lowest on time, one down in the highest.
    for _ in range(len(plans) // 10):
        low = [m for m, cases in pools[False].items() if cases]
        high = [m for m, cases in pools[True].items() if cases]
        if not low or not high or max(map(share, high)) - min(map(share, low)) < 0.1:
            break
        flip(True)
        flip(False)


def _exception_for(rng: random.Random, received: date, issued: date) -> tuple[str, date, date]:
    """A school closure when the 20 weeks span the summer holiday, else exceptional personal
    circumstances; always starting while the request was open, inside the 20-week window."""
    window_end = min(received + clocks.FINAL_PLAN_PERIOD, issued - timedelta(days=1))
    summer = (date(received.year, 7, 23), date(received.year, 9, 2))
    if summer[0] <= window_end and summer[1] >= received and summer[0] > received and rng.random() < 0.6:
        return clocks.ExceptionType.SCHOOL_CLOSURE.value, summer[0], summer[1]
    latest = max(received + timedelta(days=1), window_end - timedelta(days=7))
    start = received + timedelta(days=rng.randint(1, max(1, (latest - received).days)))
    start = min(start, issued - timedelta(days=1))
    return clocks.ExceptionType.PERSONAL_CIRCUMSTANCES.value, start, start + timedelta(days=rng.randint(14, 56))


def _ep_advice(rng: random.Random, cases: list[Case]) -> None:
    """Every assessment asks the educational psychologist for advice a few days after the
    decision to assess; it comes back within 6 weeks at the year's rate (``EP_WITHIN_6_WEEKS``),
    else late, and always before the assessment's next step (the decision whether to issue, or the
    withdrawal): the plan waits for the advice. So the share within 6 weeks is never below the
    share of plans that went quickly (about 30% in 2019, not Kent's 2%): the plans' dates are the
    calibrated ones, and the advice fits inside them."""
    for case in cases:
        decided = case.request_outcome_on
        if case.request_outcome != Sen2Outcome.YES or decided is None:
            continue
        following = case.decide_issue_on if case.assessment_outcome == Sen2Outcome.YES else case.assessment_outcome_on
        if following is None or (following - decided).days < 3:
            continue
        requested = decided + timedelta(days=rng.randint(1, min(5, (following - decided).days - 2)))
        if rng.random() < EP_WITHIN_6_WEEKS.get(requested.year, 0.9 if requested.year > 2026 else 0.7):
            received = requested + timedelta(days=rng.randint(21, 42))
        else:
            received = requested + timedelta(days=43 + min(int(rng.expovariate(1 / 45)), 300))
        case.advice = (requested, max(requested, min(received, following - timedelta(days=1))))


# --- Step 2: rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistorySummary:
    children: int = 0
    requests: int = 0
    open_requests: int = 0
    events: int = 0
    seconds: float = 0.0
    skipped: bool = False

    def message(self) -> str:
        if self.skipped:
            return "History already present (references HIST-…): none added."
        return (
            f"{self.children} children, {self.requests} requests since {START:%B %Y} "
            f"({self.open_requests} still open), {self.events} timeline events in {self.seconds:.1f} s"
        )


@dataclass(slots=True)
class _Step:
    on: date
    action: str
    to_status: str | None  # None: status unchanged


def _steps(case: Case) -> list[_Step]:
    """The request's legal path through the workflow, in order (before any horizon cut)."""
    steps = [_Step(case.received_on, EventAction.CREATED, Status.RECEIVED)]
    decided = case.request_outcome_on
    assert decided is not None
    if case.request_outcome == Sen2Outcome.NO:
        steps.append(_Step(decided, EventAction.DECIDE_NOT_TO_ASSESS, Status.REFUSED))
    elif case.request_outcome == Sen2Outcome.WITHDRAWN:
        steps.append(_Step(decided, EventAction.WITHDRAW, Status.WITHDRAWN))
    else:
        steps.append(_Step(decided, EventAction.DECIDE_TO_ASSESS, Status.ASSESSING))
        outcome_on = case.assessment_outcome_on
        assert outcome_on is not None
        if case.assessment_outcome == Sen2Outcome.NO:
            steps.append(_Step(outcome_on, EventAction.DECIDE_NOT_TO_ISSUE, Status.NOT_ISSUED))
        elif case.assessment_outcome == Sen2Outcome.WITHDRAWN:
            steps.append(_Step(outcome_on, EventAction.WITHDRAW, Status.WITHDRAWN))
        else:
            assert case.decide_issue_on is not None and case.draft_on is not None
            steps.append(_Step(case.decide_issue_on, EventAction.DECIDE_TO_ISSUE, Status.DRAFTING))
            steps.append(_Step(case.draft_on, EventAction.ISSUE_DRAFT, Status.DRAFT_ISSUED))
            steps.append(_Step(outcome_on, EventAction.ISSUE_FINAL, Status.PLAN_ISSUED))
    if case.advice is not None:
        steps.append(_Step(case.advice[0], EventAction.REQUEST_ADVICE, None))
        steps.append(_Step(case.advice[1], EventAction.RECORD_ADVICE, None))
    if case.exception is not None:
        steps.append(_Step(case.exception[1], EventAction.ADD_EXCEPTION, None))
    # Stable: same-day steps keep the workflow's order; the exception goes after them.
    steps.sort(key=lambda step: step.on)
    return steps


def _others() -> Others:
    """What is already stored (the other demos'), on the dashboard's definitions."""
    others = Others()
    stored_requests = AssessmentRequest.objects.exclude(reference__startswith=HIST_PREFIX).filter(
        received_on__gte=START
    )
    for received_on, request_outcome in stored_requests.values_list("received_on", "request_outcome"):
        others.requests[received_on.replace(day=1)] += 1
        others.refused[received_on.year] += request_outcome == Sen2Outcome.NO
    ended = AssessmentRequest.objects.exclude(reference__startswith=HIST_PREFIX).filter(
        assessment_outcome_on__gte=START
    )
    for outcome, outcome_on, due_on, week20 in ended.values_list(
        "assessment_outcome", "assessment_outcome_on", "final_plan_due_on", "week20"
    ):
        if outcome_on is None:  # not possible after the filter; for the type checker
            continue
        year = outcome_on.year
        if outcome == Sen2Outcome.NO:
            others.not_issued[year] += 1
        elif outcome == Sen2Outcome.YES:
            timely = due_on is not None and outcome_on <= due_on
            others.plans[year] += 1
            others.timely[year] += timely
            if not week20:
                others.plain[year] += 1
                others.plain_timely[year] += timely
    return others


def seed_history(rng: random.Random, *, today: date | None = None) -> HistorySummary:
    """Add the calibrated history (inside the caller's transaction). Idempotent."""
    if AssessmentRequest.objects.filter(reference__startswith=HIST_PREFIX).exists():
        return HistorySummary(skipped=True)
    started = timer.perf_counter()
    today = today or timezone.localdate()
    horizon = today - timedelta(days=1)
    places = _places()
    if not places.districts:
        raise ValueError("Seed the districts first (demo.core_demo.seed_districts)")
    cast = _cast()
    # The districts in DISTRICT_WEIGHTS' order where the names match; any others after.
    order = {name: i for i, name in enumerate(DISTRICT_WEIGHTS)}
    districts = sorted(places.districts, key=lambda d: (order.get(d.name, len(order)), d.name))
    cases = plan_history(rng, today=today, others=_others(), districts=len(districts))

    now = timezone.now()
    children = _children(rng, cases, districts, places)
    next_child = _next_id(Child)
    for offset, child in enumerate(children):
        child.pk, child.created_at = next_child + offset, now
    _insert_objects(Child, children)

    requests, decisions, exceptions, step_lists = [], [], [], []
    officers = cast.officers
    next_request = _next_id(AssessmentRequest)
    for number, (case, child) in enumerate(zip(cases, children, strict=True), start=1):
        steps = [step for step in _steps(case) if step.on <= horizon]
        status = Status.RECEIVED.value
        for step in steps:
            if step.to_status is not None:
                status = str(step.to_status)
        request = _request(rng, case, child, status, number, places, officers)
        request.pk, request.created_at, request.updated_at = next_request + number - 1, now, now
        exception = None
        if case.exception is not None and case.exception[1] <= horizon:
            kind, start_on, end_on = case.exception
            evidence = (
                SUMMER_EVIDENCE
                if kind == clocks.ExceptionType.SCHOOL_CLOSURE
                else rng.choice(PERSONAL_CIRCUMSTANCES_EVIDENCE)
            )
            exception = ClockException(
                request=request, kind=kind, start=start_on, end=end_on, evidence=evidence, recorded_by=cast.records
            )
            exceptions.append(exception)
        _store_clocks(request, exception)
        requests.append(request)
        decisions.extend(_decisions(rng, request, case, cast.records.pk))
        step_lists.append(steps)
    _insert_objects(AssessmentRequest, requests)
    next_decision = _next_id(AssessmentDecision)
    decisions = [(next_decision + offset, *row) for offset, row in enumerate(decisions)]
    _reset_sequences([Child, AssessmentRequest])
    _insert(AssessmentDecision, DECISION_FIELDS, decisions)
    _reset_sequences([AssessmentDecision])
    ClockException.objects.bulk_create(exceptions, batch_size=BATCH)
    advice = _advice_rows(cases, requests, horizon, cast.records)
    AdviceRequest.objects.bulk_create(advice, batch_size=BATCH)
    events = _events(rng, requests, step_lists, decisions=decisions, exceptions=exceptions, advice=advice)
    _insert(RequestEvent, EVENT_FIELDS, events)
    return HistorySummary(
        children=len(children),
        requests=len(requests),
        open_requests=sum(1 for r in requests if r.is_open),
        events=len(events),
        seconds=timer.perf_counter() - started,
    )


def _advice_rows(
    cases: list[Case], requests: list[AssessmentRequest], horizon: date, recorder: User
) -> list[AdviceRequest]:
    """The EP advice requests asked for by the horizon; received if it came by then."""
    rows = []
    for case, request in zip(cases, requests, strict=True):
        if case.advice is None or case.advice[0] > horizon:
            continue
        requested, received = case.advice
        computed = clocks.advice_clocks(requested)
        came = received <= horizon
        rows.append(
            AdviceRequest(
                request=request,
                adviser_type=AdviserType.EDUCATIONAL_PSYCHOLOGY,
                addressee=EP_ADDRESSEE,
                requested_on=requested,
                due_on=computed.due_on,
                target_on=computed.target_on,
                received_on=received if came else None,
                requested_by=request.assigned_officer or recorder,
                received_recorded_by=(request.assigned_officer or recorder) if came else None,
            )
        )
    return rows


def _children(rng: random.Random, cases: list[Case], districts: list[Any], places: Any) -> list[Child]:
    """One child per historical request (separate from the live demo's children)."""
    taken = set(Child.objects.exclude(upn="").values_list("upn", flat=True))
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    children = []
    for case in cases:
        district = districts[case.district]
        names = BOYS_NAMES if case.sex == "M" else GIRLS_NAMES if case.sex == "F" else BOYS_NAMES + GIRLS_NAMES
        date_of_birth = case.received_on - timedelta(days=int(case.age * 365.25) + rng.randint(1, 364))
        upn = ""
        if case.age >= 5 and rng.random() < 0.85:
            upn = synthetic_upn(rng)
            if upn in taken:
                upn = ""
            else:
                taken.add(upn)
        secondary = weighted_choice(rng, NEED_WEIGHTS) if rng.random() < 0.4 else ""
        children.append(
            Child(
                forename=rng.choice(names),
                surname=rng.choice(SURNAMES),
                date_of_birth=date_of_birth,
                sex=case.sex,
                upn=upn,
                postcode=f"{rng.choice(POSTCODE_AREAS.get(district.name, ('ME14',)))} "
                f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}",
                district=district,
                current_establishment=places.school_for(rng, case.age, district),
                primary_need=case.need,
                secondary_need=secondary if secondary != case.need else "",
            )
        )
    return children


def _request(
    rng: random.Random,
    case: Case,
    child: Child,
    status: str,
    number: int,
    places: Any,
    officers: list[User],
) -> AssessmentRequest:
    source = case.source
    if source == RequestSource.PARENT:
        relationship = weighted_choice(rng, dict(PARENT_RELATIONSHIPS))
        first = rng.choice({"Mother": GIRLS_NAMES, "Father": BOYS_NAMES}.get(relationship, BOYS_NAMES + GIRLS_NAMES))
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
    request = AssessmentRequest(
        reference=f"{HIST_PREFIX}{number:06d}",
        child=child,
        district_id=stored.request_district(child.district_id),
        received_on=case.received_on,
        source=source,
        requester_name=requester,
        requester_relationship=relationship,
        assigned_officer=rng.choice(officers) if officers else None,
        status=status,
        request_outcome=Sen2Outcome.UNDECIDED,
    )
    closed = status in (Status.REFUSED, Status.WITHDRAWN, Status.NOT_ISSUED, Status.PLAN_ISSUED)
    # What has happened by the horizon: a request still "received" has no decision yet.
    if status != Status.RECEIVED:
        request.request_outcome = case.request_outcome
        request.request_outcome_on = case.request_outcome_on
    if case.request_outcome == Sen2Outcome.YES and status != Status.RECEIVED:
        request.assessment_outcome = Sen2Outcome.UNDECIDED
        if closed:
            request.assessment_outcome = case.assessment_outcome
            request.assessment_outcome_on = case.assessment_outcome_on
    if status in (Status.DRAFT_ISSUED, Status.PLAN_ISSUED):
        request.draft_issued_on = case.draft_on
    if status == Status.PLAN_ISSUED:
        request.final_plan_issued_on = case.assessment_outcome_on
        assert case.assessment_outcome_on is not None
        age = clocks.age_on(child.date_of_birth, case.assessment_outcome_on)
        request.placement_type, request.named_establishment = _placement(rng, places, age)
    if status == Status.WITHDRAWN:
        request.closed_reason = rng.choice(WITHDRAWAL_REASONS)
    return request


def _store_clocks(request: AssessmentRequest, exception: ClockException | None) -> None:
    """The deadlines and the queue key, as the services store them (``stored.request_clocks``)."""
    periods = [exception.as_period()] if exception is not None else []
    for name, value in stored.request_clocks(request.received_on, request.status, periods).fields().items():
        setattr(request, name, value)


def _decisions(rng: random.Random, request: AssessmentRequest, case: Case, recorder_id: int) -> list[tuple[Any, ...]]:
    """Rows (``DECISION_FIELDS`` without the id) for the standing decisions the stored outcomes
    imply."""
    rows: list[tuple[Any, ...]] = []
    decided = request.request_outcome_on
    if request.request_outcome in (Sen2Outcome.YES, Sen2Outcome.NO) and decided is not None:
        if request.request_outcome == Sen2Outcome.NO:
            reasons, outcome = rng.sample(REFUSAL_REASONS, rng.randint(1, 2)), DecisionOutcome.REFUSE
            advice, rights = rng.choice(SEN_SUPPORT_ADVICE), True
        else:
            reasons, outcome = ["has_or_may_have_sen", "may_need_ehc_plan_provision"], DecisionOutcome.ASSESS
            advice, rights = "", False
        rows.append(
            (request.pk, DecisionStage.ASSESS, outcome, decided, reasons, "", rights, advice, recorder_id)
            + (_at(decided, 1), False)
        )
    outcome_on = request.assessment_outcome_on
    if request.assessment_outcome == Sen2Outcome.NO and outcome_on is not None:
        text = rng.choice(NOT_ISSUE_REASONS)
        rows.append(
            (request.pk, DecisionStage.ISSUE, DecisionOutcome.NOT_ISSUE, outcome_on, [], text, True, "", recorder_id)
            + (_at(outcome_on, 1), False)
        )
    elif (
        request.status in (Status.DRAFTING, Status.DRAFT_ISSUED, Status.PLAN_ISSUED)
        and case.decide_issue_on is not None
    ):
        text = "The assessment shows provision is needed through an EHC plan."
        on = case.decide_issue_on
        rows.append(
            (request.pk, DecisionStage.ISSUE, DecisionOutcome.ISSUE, on, [], text, False, "", recorder_id)
            + (_at(on, 1), False)
        )
    return rows


_TZ = None


def _at(on: date, minutes: int) -> datetime:
    global _TZ  # noqa: PLW0603 - the zone is looked up once per process
    if _TZ is None:
        _TZ = timezone.get_current_timezone()
    return timezone.make_aware(datetime.combine(on, time(9, 0)), _TZ) + timedelta(minutes=minutes)


# The two biggest tables are written with one executemany per batch: the ORM's per-value
# preparation cost more than everything else together. Values are adapted as the ORM would.
EVENT_FIELDS = ("request", "actor", "action", "from_status", "to_status", "occurred_at", "payload", "note")
DECISION_FIELDS = (
    "id",
    "request",
    "stage",
    "outcome",
    "notified_on",
    "reasons",
    "reasons_text",
    "rights_text_sent",
    "sen_support_advice",
    "decided_by",
    "decided_at",
    "superseded",
)


def _insert(model: type[Any], fields: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    ops = connection.ops
    quote = ops.quote_name
    model_fields = [model._meta.get_field(name) for name in fields]
    columns = ", ".join(quote(field.column) for field in model_fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    adapters: list[Any] = []
    for model_field in model_fields:
        kind = model_field.get_internal_type()
        if kind == "DateTimeField":
            adapters.append(ops.adapt_datetimefield_value)
        elif kind == "DateField":
            adapters.append(ops.adapt_datefield_value)
        elif kind == "JSONField":
            adapters.append(lambda value: ops.adapt_json_value(value, None))
        else:
            adapters.append(None)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            chunk = [
                tuple(
                    value if adapt is None or value is None else adapt(value)
                    for adapt, value in zip(adapters, row, strict=True)
                )
                for row in rows[start : start + 5000]
            ]
            cursor.executemany(sql, chunk)


def _insert_objects(model: type[Any], objects: list[Any]) -> None:
    """Unsaved instances with their ids set, every concrete field as it stands."""
    fields = model._meta.concrete_fields
    rows = [tuple(getattr(obj, field.attname) for field in fields) for obj in objects]
    _insert(model, tuple(field.name for field in fields), rows)


def _next_id(model: type[Any]) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def _reset_sequences(models: list[type[Any]]) -> None:
    """After inserting explicit ids: move PostgreSQL's id sequences past them (none on SQLite)."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _facts(
    request: AssessmentRequest,
    step: _Step,
    decisions: Mapping[str, tuple[Any, ...]],
    exception: ClockException | None,
    advice: AdviceRequest | None = None,
) -> dict[str, Any]:
    """The step's payload facts (``stored.PAYLOAD_FACTS``), as the services record them."""
    on = step.on
    if step.action in (EventAction.REQUEST_ADVICE, EventAction.RECORD_ADVICE):
        assert advice is not None
        facts: dict[str, Any] = {"advice_request_id": advice.pk, "adviser_type": advice.adviser_type}
        if step.action == EventAction.REQUEST_ADVICE:
            return facts | {"requested_on": advice.requested_on, "due_on": advice.due_on}
        return facts | {
            "received_on": advice.received_on,
            "on_time": bool(advice.received_on and advice.received_on <= advice.target_on),
        }
    if step.action == EventAction.CREATED:
        return {"child_id": request.child_id, "source": request.source}
    if step.action in (
        EventAction.DECIDE_TO_ASSESS,
        EventAction.DECIDE_NOT_TO_ASSESS,
        EventAction.DECIDE_TO_ISSUE,
        EventAction.DECIDE_NOT_TO_ISSUE,
    ):
        stage = "assess" if step.action in (EventAction.DECIDE_TO_ASSESS, EventAction.DECIDE_NOT_TO_ASSESS) else "issue"
        row = dict(zip(DECISION_FIELDS, decisions[stage], strict=True))
        facts = {"decision_id": row["id"], "outcome": row["outcome"], "notified_on": on}
        if stage == "assess":
            facts["reasons"] = row["reasons"]
        return facts
    if step.action == EventAction.WITHDRAW:
        withdrawn_before_decision = request.request_outcome == Sen2Outcome.WITHDRAWN
        return {
            "withdrawn_on": on,
            "outcome_field": "request_outcome" if withdrawn_before_decision else "assessment_outcome",
        }
    if step.action == EventAction.ISSUE_DRAFT:
        return {"issued_on": on, "earliest_final_on": clocks.earliest_final_plan_on(on)}
    if step.action == EventAction.ISSUE_FINAL:
        return {
            "issued_on": on,
            "named_establishment_id": request.named_establishment_id,
            "placement_type": request.placement_type,
            "within_20_weeks": clocks.within(clocks.FINAL_PLAN_PERIOD, request.received_on, on),
        }
    if step.action == EventAction.ADD_EXCEPTION:
        assert exception is not None
        return {
            "exception_id": exception.pk,
            "kind": exception.kind,
            "start": exception.start,
            "end": exception.end,
            "advice_request_id": None,
            "advice_target_on": None,
        }
    raise ValueError(f"The history has no {step.action} step")


def _events(
    rng: random.Random,
    requests: list[AssessmentRequest],
    step_lists: list[list[_Step]],
    *,
    decisions: list[tuple[Any, ...]],
    exceptions: list[ClockException],
    advice: list[AdviceRequest],
) -> list[tuple[Any, ...]]:
    """Event rows (``EVENT_FIELDS``) for each request's steps, at office hours, in order, each
    built by ``stored.event_row`` with the clocks after the step."""
    request_column = DECISION_FIELDS.index("request")
    stage_column = DECISION_FIELDS.index("stage")
    decisions_of: dict[int, dict[str, tuple[Any, ...]]] = {}
    for decision in decisions:
        decisions_of.setdefault(decision[request_column], {})[decision[stage_column]] = decision
    exception_of = {exception.request_id: exception for exception in exceptions}
    advice_of = {row.request_id: row for row in advice}
    events = []
    for request, steps in zip(requests, step_lists, strict=True):
        status = ""
        actor = request.assigned_officer
        exception = exception_of.get(request.pk)
        periods: list[clocks.ExceptionPeriod] = []
        for position, step in enumerate(steps):
            from_status = status
            if step.to_status is not None:
                status = str(step.to_status)
            if step.action == EventAction.ADD_EXCEPTION and exception is not None:
                periods = [exception.as_period()]
            row = stored.event_row(
                action=step.action,
                from_status=from_status,
                to_status=status,
                clocks_after=stored.request_clocks(request.received_on, status, periods),
                facts=_facts(request, step, decisions_of.get(request.pk, {}), exception, advice_of.get(request.pk)),
            )
            events.append(
                (
                    request.pk,
                    None if step.action == EventAction.CREATED or actor is None else actor.pk,
                    row.action,
                    row.from_status,
                    row.to_status,
                    _at(step.on, 20 * position + rng.randint(0, 19)),
                    row.payload,
                    row.note,
                )
            )
    return events
