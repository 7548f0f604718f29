"""National-size synthetic data for benchmarks and load tests (``manage.py seed_national``).

England receives about 150,000 requests for an EHC needs assessment a year; a national
deployment holding ten years has about 1.5 million. This module writes that many requests with
their children, decisions, advice requests, clock exceptions and timeline events, plus
independent placements with the panel referral, meeting, agenda item and decision each needs,
straight into PostgreSQL with ``COPY`` (CSV streamed from memory). No service is called per
row: at this size the services' locks and per-row events would take hours. The stored values
come from the same pure rules the services use: ``requests_app.stored`` for each request's due
dates, targets, queue key and district and for every event row, ``clocks.advice_clocks`` for
advice, ``workflow.next_status`` for every status change, so the rows are the ones the services
would have written.

How it stays fast and safe: the whole load is one transaction. Inside it the secondary indexes,
unique constraints and foreign keys of the tables being loaded are dropped, the rows are copied
in, and every index and constraint is recreated from its own definition as read from the
catalogue beforehand (``pg_get_indexdef``/``pg_get_constraintdef``). Recreating a foreign key
or a unique index checks every row, so nothing goes in unchecked; if anything fails the
transaction rolls back and the schema is as it was. The schema is compared before and after.

Deterministic: the same ``seed``, size and ``until`` give the same rows (ids included when the
tables start empty). Synthetic names only; no real person.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.utils import timezone

from core import copy
from core.models import Establishment, EstablishmentType, Phase
from core.roles import Role
from demo import core_demo
from requests_app import clocks, stored, workflow
from requests_app.models import AdviserType, AssessmentRequest, Child

Status = workflow.Status
Action = workflow.Action

SCALES: dict[str, int] = {"national": 1_500_000, "county": 40_000}
# Independent placements at national size (the issue: 30,000), scaled with the request count.
NATIONAL_REQUESTS = SCALES["national"]
NATIONAL_PLACEMENTS = 30_000
YEARS = 10
# Every generated request's reference starts with this: it is how a database holding only
# national data is told apart from one holding real or demo data.
REFERENCE_PREFIX = "NAT-"
OFFICER_PREFIX = "natofficer"
PROVIDER_URN_BASE = 880_000
# Rows per COPY statement.
FLUSH_ROWS = 50_000

# --- Shares (docs/domain.md §4.2: about a quarter refused, most assessments end in a plan) ---------------

SOURCE_WEIGHTS = {"parent": 75, "school": 17, "young_person": 3, "other": 5}
SEX_WEIGHTS = {"M": 70, "F": 29, "U": 1}
AGE_WEIGHTS = {2: 6, 3: 8, 4: 10, 5: 10, 6: 9, 7: 8, 8: 7, 9: 6, 10: 6, 11: 6, 12: 5, 13: 5, 14: 4, 15: 4, 16: 3, 17: 2}
NEED_WEIGHTS = {
    "ASD": 30,
    "SEMH": 20,
    "SLCN": 18,
    "MLD": 8,
    "SPLD": 6,
    "SLD": 4,
    "PD": 3,
    "HI": 2,
    "VI": 1,
    "PMLD": 2,
    "MSI": 1,
    "DS": 1,
    "OTH": 4,
}
REQUESTS_PER_CHILD = {1: 70, 2: 22, 3: 8}
# Placement named in a final plan (independent special only with a placement contract).
PLAN_PLACEMENTS = {
    "mainstream": 45,
    "resourced_provision": 10,
    "special_maintained": 25,
    "special_academy": 12,
    "further_education": 5,
    "other": 3,
}
# Share of requests that stall at some stage and stay open (the long tail of the backlog), and
# the annual growth of the number of requests (the 2018 story: requests up year on year).
STUCK_SHARE = 0.07
GROWTH = 1.0


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FORENAMES = _words(
    "Oliver George Harry Noah Jack Leo Arthur Muhammad Oscar Charlie Jacob Thomas Henry Freddie "
    "Alfie Theo William Theodore Archie Joshua Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie "
    "Sophia Grace Freya Willow Florence Emily Ella Poppy Evie Elsie Charlotte Aisha Zara Maya Ruby"
)
SURNAMES = _words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood "
    "Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James "
    "Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter "
    "Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson "
    "Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt "
    "Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker"
)
POSTCODE_AREAS = ("TN", "CT", "DA", "CT", "CT", "DA", "ME", "TN", "ME", "CT", "ME", "TN")
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


class NationalDataError(Exception):
    """The database is not one this command may load (wrong engine, or other data in it)."""


def _weights(table: dict[Any, int]) -> tuple[list[Any], list[int]]:
    keys = list(table)
    running, cumulative = 0, []
    for key in keys:
        running += table[key]
        cumulative.append(running)
    return keys, cumulative


# --- Options and results -------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    requests: int
    seed: int = 1
    until: date = field(default_factory=timezone.localdate)
    placements: int | None = None  # default: 2% of requests (30,000 at national size)

    @property
    def placement_target(self) -> int:
        if self.placements is not None:
            return self.placements
        return round(self.requests * NATIONAL_PLACEMENTS / NATIONAL_REQUESTS)

    @property
    def first_day(self) -> date:
        return self.until - _days(round(365.25 * YEARS))


@dataclass
class LoadResult:
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    open_requests: int = 0

    def summary(self) -> str:
        parts = ", ".join(f"{count:,} {name}" for name, count in self.counts.items())
        steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.timings.items())
        return f"Loaded {parts} ({self.open_requests:,} requests open). Time: {steps}."


# --- Checks ---------------------------------------------------------------------------------------


def check_engine(using: str = "default") -> None:
    vendor = connections[using].vendor
    if vendor != "postgresql":
        raise NationalDataError(
            f"seed_national loads millions of rows with PostgreSQL's COPY; this database is {vendor}. "
            "Point DATABASE_URL at a PostgreSQL database (for example "
            "postgres://postgres@127.0.0.1:5432/senportal_bench) and run it again."
        )


def data_present(using: str = "default") -> dict[str, int]:
    """What the database holds already: national requests and anything else."""
    national = AssessmentRequest.objects.using(using).filter(reference__startswith=REFERENCE_PREFIX).count()
    other_requests = AssessmentRequest.objects.using(using).exclude(reference__startswith=REFERENCE_PREFIX).count()
    children = Child.objects.using(using).count()
    return {"national_requests": national, "other_requests": other_requests, "children": children}


# --- COPY plumbing -----------------------------------------------------------------------------


class _Copier:
    """COPYs CSV chunks on a second thread, so PostgreSQL parses and inserts one chunk while
    Python builds the next (two cores: one for each). Same connection, same transaction."""

    def __init__(self, raw_connection: Any):
        self.raw = raw_connection
        self.queue: queue.Queue[tuple[str, io.StringIO] | None] = queue.Queue(maxsize=3)
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._run, name="copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        cursor = self.raw.cursor()
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.error is not None:
                continue  # drain
            sql, buffer = item
            started = time.perf_counter()
            try:
                # One read of the whole chunk (copy.send): psycopg2's default 8 kB reads take
                # the GIL back for every read, which starves this thread.
                copy.send(cursor, sql, buffer)
            except BaseException as exc:  # reported to the main thread
                self.error = exc
            self.seconds += time.perf_counter() - started

    def put(self, sql: str, buffer: io.StringIO) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((sql, buffer))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


class _Table:
    """Rows for one model, written as CSV and sent with COPY every ``FLUSH_ROWS`` rows.

    ``columns`` names the fields the generator supplies (attnames, in tuple order); every other
    concrete field gets its default, so a nullable column added to a model later does not break
    the load, while one the generator must fill stops it with a clear message."""

    def __init__(
        self, model: type[models.Model], columns: Iterable[str], copier: _Copier, now: datetime, *, freeze: bool
    ):
        self.model = model
        self.copier = copier
        try:
            # freeze: rows written frozen and all-visible, so the VACUUM after the load has little to do.
            statement = copy.copy_statement(model, list(columns), now, freeze=freeze)
        except copy.CopyColumnError as exc:
            raise NationalDataError(str(exc)) from exc
        self.sql = statement.sql
        self.suffix = statement.defaults
        # The defaults as CSV text, appended to every pre-formatted line.
        encoded = io.StringIO()
        csv.writer(encoded, lineterminator="").writerow(self.suffix)
        self.line_suffix = ("," + encoded.getvalue()) if self.suffix else ""
        self.rows: list[tuple[Any, ...]] = []
        self.lines: list[str] = []
        self.count = 0

    def add(self, row: tuple[Any, ...]) -> None:
        """A row of Python values (CSV-encoded by the csv module: simple, for small tables)."""
        self.rows.append(row)
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def add_line(self, line: str) -> None:
        """A row already written as a CSV line (no newline) by the caller: for the big tables,
        where the csv module's per-field conversion would cost more than building the row."""
        self.lines.append(line)
        if len(self.lines) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows and not self.lines:
            return
        buffer = io.StringIO()
        if self.rows:
            copy.write_rows(buffer, self.rows, self.suffix)
        if self.lines:
            # The same line end as the csv module's rows: one COPY takes only one kind.
            end = self.line_suffix + copy.LINE_END
            buffer.write(end.join(self.lines))
            buffer.write(end)
        buffer.seek(0)
        self.count += len(self.rows) + len(self.lines)
        self.rows, self.lines = [], []
        self.copier.put(self.sql, buffer)


def _quoted(text: str) -> str:
    """``text`` as one CSV field."""
    return '"' + text.replace('"', '""') + '"'


# --- Schema: drop secondary indexes and constraints, put them back ---------------------------


@dataclass
class _Schema:
    indexes: list[tuple[str, str, str]]  # table, name, CREATE INDEX ...
    constraints: list[tuple[str, str, str, str]]  # table, name, type, definition


def _read_schema(cursor: Any, tables: list[str]) -> _Schema:
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.conrelid = ANY(%s::regclass[])
        ORDER BY 1, 2
        """,
        [tables],
    )
    constraints = [(t.strip('"'), n, k, d) for t, n, k, d in cursor.fetchall()]
    cursor.execute(
        """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename = ANY(%s)
        ORDER BY 1, 2
        """,
        [tables],
    )
    return _Schema(indexes=list(cursor.fetchall()), constraints=constraints)


def _drop_secondary(cursor: Any, schema: _Schema) -> _Schema:
    """Drop foreign keys, unique constraints and every index that backs no primary key;
    return what was dropped (to recreate)."""
    backing = {name for _, name, kind, _ in schema.constraints if kind in ("p", "u", "x")}
    fks = [c for c in schema.constraints if c[2] == "f"]
    uniques = [c for c in schema.constraints if c[2] == "u"]
    indexes = [i for i in schema.indexes if i[1] not in backing]
    for table, name, _, _ in fks + uniques:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for _, name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return _Schema(indexes=indexes, constraints=uniques + fks)


def _django_index_sql(connection: Any, loaded: list[type[models.Model]]) -> dict[str, str]:
    """The migrations' own DDL for the models' named indexes and index-backed constraints.

    PostgreSQL stores a partial index's WHERE clause in a normalised form, and the text
    ``pg_get_indexdef`` gives back does not always parse to the same stored form; the DDL
    Django generates does (it is what the migrations ran)."""
    editor = connection.SchemaEditorClass(connection, collect_sql=True)
    sql: dict[str, str] = {}
    for model in loaded:
        for index in model._meta.indexes:
            sql[index.name] = str(index.create_sql(model, editor))
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint) and constraint.condition is not None:
                sql[constraint.name] = str(constraint.create_sql(model, editor))
    return sql


def _recreate(cursor: Any, dropped: _Schema, django_sql: dict[str, str], log: Callable[[str], None]) -> None:
    for _, name, definition in dropped.indexes:
        started = time.perf_counter()
        cursor.execute(django_sql.get(name, definition))
        log(f"  index {name}: {time.perf_counter() - started:.1f} s")
    for table, name, _, definition in dropped.constraints:  # unique first, then foreign keys
        started = time.perf_counter()
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        log(f"  constraint {name}: {time.perf_counter() - started:.1f} s")


# --- Reference data (small; through the ORM) ------------------------------------------------------


@dataclass
class _Reference:
    districts: list[int]
    mainstream: list[int]
    special_maintained: list[int]
    special_academy: list[int]
    further_education: list[int]
    officers: list[int]
    ep_user: int
    chair_user: int
    finance_user: int
    providers: list[tuple[int, int]]  # (provider id, establishment id)


def _officer_count(requests: int) -> int:
    # A county team of about 8 caseworkers per 4,000 requests a year, capped for the national set.
    return max(4, min(60, requests // 2_000))


def _ensure_reference(options: Options, using: str, *, with_placements: bool) -> _Reference:
    rng = random.Random(options.seed)
    districts = core_demo.seed_districts()
    core_demo.seed_establishments(rng, districts)
    core_demo.seed_users()
    officer_group = Group.objects.get_or_create(name=Role.SEN_OFFICER.value)[0]
    wanted = _officer_count(options.requests)
    existing = set(User.objects.filter(username__startswith=OFFICER_PREFIX).values_list("username", flat=True))
    new_users = [
        User(
            username=f"{OFFICER_PREFIX}{n:03d}",
            first_name=rng.choice(FORENAMES),
            last_name=rng.choice(SURNAMES),
            email=f"{OFFICER_PREFIX}{n:03d}@example.invalid",
            password="!",  # unusable: these officers only own cases
        )
        for n in range(1, wanted + 1)
        if f"{OFFICER_PREFIX}{n:03d}" not in existing
    ]
    User.objects.bulk_create(new_users)
    for user in User.objects.filter(username__startswith=OFFICER_PREFIX).exclude(groups=officer_group):
        user.groups.add(officer_group)
    officers = list(
        User.objects.filter(groups=officer_group, is_active=True).order_by("pk").values_list("pk", flat=True)
    )

    def ids(*types: str) -> list[int]:
        return list(Establishment.objects.filter(type_group__in=types).order_by("pk").values_list("pk", flat=True))

    users = dict(User.objects.filter(username__in=["ep", "chair", "finance"]).values_list("username", "pk"))
    providers: list[tuple[int, int]] = []
    if with_placements:
        providers = _ensure_providers(options, rng, districts=[d.pk for d in districts])
        _ensure_panel_members()
    return _Reference(
        districts=[d.pk for d in districts],
        mainstream=ids(EstablishmentType.MAINSTREAM_MAINTAINED, EstablishmentType.MAINSTREAM_ACADEMY),
        special_maintained=ids(EstablishmentType.SPECIAL_MAINTAINED),
        special_academy=ids(EstablishmentType.SPECIAL_ACADEMY),
        further_education=ids(EstablishmentType.FURTHER_EDUCATION),
        officers=officers,
        ep_user=users["ep"],
        chair_user=users["chair"],
        finance_user=users["finance"],
        providers=providers,
    )


def _ensure_providers(options: Options, rng: random.Random, *, districts: list[int]) -> list[tuple[int, int]]:
    """One provider per independent or non-maintained establishment; more establishments at
    national size (England has several hundred independent special schools)."""
    from placements.models import Provider

    wanted = max(0, options.placement_target // 50 - len(Establishment.objects.independent_or_non_maintained()))
    existing_urns = set(
        Establishment.objects.filter(urn__gte=PROVIDER_URN_BASE, urn__lt=PROVIDER_URN_BASE + 100_000).values_list(
            "urn", flat=True
        )
    )
    Establishment.objects.bulk_create(
        [
            Establishment(
                urn=PROVIDER_URN_BASE + n,
                name=f"{rng.choice(SURNAMES)} House School {n}",
                type_group=EstablishmentType.INDEPENDENT_SPECIAL,
                phase=Phase.ALL_THROUGH,
                district_id=districts[n % len(districts)],
            )
            for n in range(1, wanted + 1)
            if PROVIDER_URN_BASE + n not in existing_urns
        ]
    )
    have = set(Provider.objects.values_list("establishment_id", flat=True))
    Provider.objects.bulk_create(
        [
            Provider(establishment_id=pk, procurement_route="framework", framework_lot="Lot 1")
            for pk in Establishment.objects.independent_or_non_maintained().order_by("pk").values_list("pk", flat=True)
            if pk not in have
        ]
    )
    return list(Provider.objects.order_by("pk").values_list("pk", "establishment_id"))


def _ensure_panel_members() -> None:
    from panels.models import PanelMember

    head_school = Establishment.objects.filter(type_group=EstablishmentType.SPECIAL_MAINTAINED).order_by("pk").first()
    members = [("chair", "sen", None), ("ep", "ep", None), ("panel", "finance", None)]
    if head_school is not None:
        members.append(("headteacher", "head_teacher", head_school.pk))
    for username, member_type, establishment_id in members:
        user = User.objects.filter(username=username).first()
        if user is not None:
            PanelMember.objects.get_or_create(
                user=user, defaults={"member_type": member_type, "establishment_id": establishment_id}
            )


# --- The generator --------------------------------------------------------------------------------


_DAY_TEXT: dict[date, str] = {}
_CLOCK_TEXT = [f"{8 + (m + 30) // 60:02d}:{(m + 30) % 60:02d}:00+00" for m in range(600)]
_TIMEDELTAS = [timedelta(days=n) for n in range(8000)]
_days = _TIMEDELTAS.__getitem__


def _at(day: date, minute: int) -> str:
    """A timestamp on ``day`` in office hours (UTC), ``minute`` minutes after 08:30, as COPY
    reads it. Cached text: formatting a datetime is the slowest thing a row would do."""
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = day.isoformat()
    return f"{text} {_CLOCK_TEXT[minute]}"


def _d(day: date | None) -> str:
    """A date as COPY's CSV reads it (empty: NULL)."""
    if day is None:
        return ""
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = day.isoformat()
    return text


def _n(value: int | None) -> str:
    return "" if value is None else str(value)


# Plain strings for the enum members the generator compares and writes millions of times
# (an Enum attribute lookup costs more than the comparison).
_A_ADD_EXCEPTION = Action.ADD_EXCEPTION.value
_A_COMPLETE_ASSESSMENT = Action.COMPLETE_ASSESSMENT.value
_A_COMPLETE_EVALUATION = Action.COMPLETE_EVALUATION.value
_A_DECIDE_NOT_TO_ASSESS = Action.DECIDE_NOT_TO_ASSESS.value
_A_DECIDE_NOT_TO_ISSUE = Action.DECIDE_NOT_TO_ISSUE.value
_A_DECIDE_TO_ASSESS = Action.DECIDE_TO_ASSESS.value
_A_DECIDE_TO_ISSUE = Action.DECIDE_TO_ISSUE.value
_A_ISSUE_DRAFT = Action.ISSUE_DRAFT.value
_A_ISSUE_FINAL = Action.ISSUE_FINAL.value
_A_RECORD_ADVICE = Action.RECORD_ADVICE.value
_A_RECORD_FAMILY_COMMENTS = Action.RECORD_FAMILY_COMMENTS.value
_A_REFER_TO_PANEL = Action.REFER_TO_PANEL.value
_A_REQUEST_ADVICE = Action.REQUEST_ADVICE.value
_A_START_EVALUATION = Action.START_EVALUATION.value
_A_WITHDRAW = Action.WITHDRAW.value
_S_RECEIVED = Status.RECEIVED.value
_CLOSING = frozenset({_A_WITHDRAW, _A_DECIDE_NOT_TO_ASSESS, _A_DECIDE_NOT_TO_ISSUE, _A_ISSUE_FINAL})
_OPEN = frozenset(status.value for status in workflow.OPEN_STATUSES)
_E_CREATED = workflow.EventAction.CREATED.value
_E_PANEL_DECISION = workflow.EventAction.PANEL_DECISION.value


@dataclass
class _Planned:
    """One request's timeline as planned: (day, action, extra) steps, before ``until`` cuts it."""

    rid: int
    child_id: int
    district_id: int
    received: date
    source: str
    officer: int
    # The stage it stalls at (1-6; 99: it does not), for the long tail of the backlog.
    stuck_at: int
    steps: list[tuple[date, str, Any]] = field(default_factory=list)
    exception: tuple[str, date, date] | None = None
    placement: bool = False


def _fields_at_receipt() -> dict[str, Any]:
    return {
        "request_outcome": "A",
        "request_outcome_on": None,
        "assessment_outcome": "",
        "assessment_outcome_on": None,
        "draft_issued_on": None,
        "family_comments_received_on": None,
        "final_plan_issued_on": None,
        "named_establishment": None,
        "placement_type": "",
        "closed_reason": "",
    }


@dataclass
class _Walk:
    """Where walking a request's timeline has got to: its status, the exception periods in
    force, the request's own fields, and the ids later steps refer to."""

    last_day: date
    status: str = _S_RECEIVED
    periods: list[clocks.ExceptionPeriod] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=_fields_at_receipt)
    closed_on: date | None = None
    referral: tuple[date, int] | None = None  # (referred on, referral id)
    panel: tuple[int, int] | None = None  # (meeting id, panel decision id)
    minute: int = 0  # of the office day, for the events' times


class _Generator:
    def __init__(self, options: Options, ref: _Reference, tables: dict[str, _Table], start_ids: dict[str, int]):
        self.options = options
        self.ref = ref
        self.tables = tables
        self.ids = dict(start_ids)
        self.rng = random.Random(options.seed)
        rand = self.rng.random

        def ri(low: int, high: int) -> int:  # random.randint's range, without its overhead
            return low + int(rand() * (high - low + 1))

        self.ri = ri
        self._status_after: dict[tuple[str, str], str] = {}
        self._advice_clocks: dict[date, clocks.AdviceClocks] = {}
        self.until = options.until
        self.first_day = options.first_day
        self.span = (self.until - self.first_day).days
        self.sources = _weights(SOURCE_WEIGHTS)
        self.sexes = _weights(SEX_WEIGHTS)
        self.ages = _weights(AGE_WEIGHTS)
        self.needs = _weights(NEED_WEIGHTS)
        self.per_child = _weights(REQUESTS_PER_CHILD)
        self.plan_types = _weights(PLAN_PLACEMENTS)
        self.requests_made = 0
        self.open_requests = 0
        self.placements_made = 0
        self.placed_children: set[int] = set()
        self.placement_target = options.placement_target if ref.providers else 0
        # A share of plans becomes an independent placement: about 55% of requests end in a
        # plan; aim a little high and stop at the target.
        self.placement_share = min(1.0, 1.15 * self.placement_target / max(1, 0.55 * options.requests))
        self.meetings = self._meeting_days()
        self.meeting_ids: dict[date, int] = {}
        self.meeting_positions: dict[date, int] = {}
        self.now = timezone.now()

    # --- helpers ---

    def _pick(self, table: tuple[list[Any], list[int]]) -> Any:
        keys, cumulative = table
        return keys[min(bisect.bisect_right(cumulative, self.rng.random() * cumulative[-1]), len(keys) - 1)]

    def next_status(self, status: str, action: str) -> str:
        key = (status, action)
        after = self._status_after.get(key)
        if after is None:
            after = self._status_after[key] = workflow.next_status(status, action).value
        return after

    def advice_clocks(self, requested: date) -> clocks.AdviceClocks:
        computed = self._advice_clocks.get(requested)
        if computed is None:
            computed = self._advice_clocks[requested] = clocks.advice_clocks(requested)
        return computed

    def _next(self, name: str) -> int:
        value = self.ids[name]
        self.ids[name] = value + 1
        return value

    def _received_day(self) -> date:
        # Requests grow over the decade: density 1 + GROWTH * t on [0, 1] (inverse CDF).
        u = self.rng.random()
        g = GROWTH
        t = (-1 + math.sqrt(1 + 2 * g * u * (1 + g / 2))) / g
        return self.first_day + _days(min(self.span, int(t * self.span)))

    def _meeting_days(self) -> list[date]:
        # The panel sits weekly, on Thursdays.
        day = self.first_day + _days((3 - self.first_day.weekday()) % 7)
        days = []
        while day <= self.until:
            days.append(day)
            day += _days(7)
        return days

    # --- children and requests ---

    def run(self, progress: Callable[[int], None]) -> None:
        total = self.options.requests
        child_number = 0
        next_report = 100_000
        while self.requests_made < total:
            child_number += 1
            self._child(total)
            if self.requests_made >= next_report:
                progress(self.requests_made)
                next_report += 100_000
        self._write_meetings()
        for table in self.tables.values():
            table.flush()

    def _child(self, total: int) -> None:
        rng = self.rng
        ri = self.ri
        child_id = self._next("child")
        sex = self._pick(self.sexes)
        age = self._pick(self.ages)
        received = self._received_day()
        dob = received - _days(int(age * 365.25) + ri(0, 364))
        district_index = rng.randrange(len(self.ref.districts))
        district_id = self.ref.districts[district_index]
        need = self._pick(self.needs)
        secondary = self._pick(self.needs) if rng.random() < 0.3 else ""
        if secondary == need:
            secondary = ""
        establishment = rng.choice(self.ref.mainstream) if rng.random() < 0.9 else None
        area = POSTCODE_AREAS[district_index % len(POSTCODE_AREAS)]
        postcode = f"{area}{ri(1, 20)} {ri(1, 9)}{rng.choice(LETTERS)}{rng.choice(LETTERS)}"
        upn = f"N{child_id:012d}" if rng.random() < 0.8 else ""
        self.tables["child"].add_line(
            f"{child_id},{rng.choice(FORENAMES)},{rng.choice(SURNAMES)},{_d(dob)},{sex},{upn},{postcode},"
            f"{district_id},{_n(establishment)},{need},{secondary},,{_at(received, 0)}"
        )
        for _ in range(self._pick(self.per_child)):
            if self.requests_made >= total or received > self.until:
                break
            age_now = clocks.age_on(dob, received)
            closed_on = self._request(child_id, district_id, received, age_now)
            self.requests_made += 1
            if closed_on is None:
                self.open_requests += 1
                break  # one open request per child
            received = closed_on + _days(ri(60, 900))

    def _request(self, child_id: int, district_id: int, received: date, age: int) -> date | None:
        """Write one request and everything hanging off it; return the day it closed (None: open).

        Three steps: plan the timeline (days after ``received``), walk it up to ``until``
        writing the rows each step makes, then write the request as the walk left it."""
        planned = self._plan(child_id, district_id, received, age)
        walk = self._walk(planned)
        self._write_request(planned, walk)
        closed_on = walk.closed_on
        if closed_on is not None and closed_on > self.until:
            closed_on = None
        if walk.status in _OPEN:
            closed_on = None
        return closed_on

    # --- step 1: the timeline as planned ---

    def _plan(self, child_id: int, district_id: int, received: date, age: int) -> _Planned:
        """Who asked, who handles it, how far it gets and when each step happens."""
        rng = self.rng
        rid = self._next("request")
        source = self._pick(self.sources)
        if source == "young_person" and age < 16:
            source = "parent"
        officer = rng.choice(self.ref.officers)
        planned = _Planned(
            rid=rid,
            child_id=child_id,
            district_id=district_id,
            received=received,
            source=source,
            officer=officer,
            stuck_at=rng.randrange(1, 7) if rng.random() < STUCK_SHARE else 99,
        )
        decided = self._plan_evaluation(planned)
        self._plan_decision(planned, decided)
        self._plan_exception(planned)
        planned.steps.sort(key=lambda s: s[0])
        return planned

    def _plan_evaluation(self, planned: _Planned) -> date:
        """The evaluation starts within a week and ends by the decision (late in one in five);
        returns the day of the decision whether to assess."""
        ri, received = self.ri, planned.received
        late = self.rng.random() < 0.2
        decided = received + _days(ri(43, 110) if late else ri(18, 42))
        start_eval = received + _days(ri(1, 6))
        complete_eval = start_eval + _days(ri(3, max(4, (decided - start_eval).days - 1)))
        complete_eval = min(complete_eval, decided)
        planned.steps.append((start_eval, _A_START_EVALUATION, None))
        if planned.stuck_at > 1:
            planned.steps.append((complete_eval, _A_COMPLETE_EVALUATION, None))
        return decided

    def _plan_decision(self, planned: _Planned, decided: date) -> None:
        """Withdrawn before a decision, refused, or an assessment."""
        roll = self.rng.random()
        if planned.stuck_at <= 2:
            return
        if roll < 0.04:
            planned.steps.append((decided, _A_WITHDRAW, "request"))
        elif roll < 0.31:
            planned.steps.append((decided, _A_DECIDE_NOT_TO_ASSESS, None))
        else:
            planned.steps.append((decided, _A_DECIDE_TO_ASSESS, None))
            self._plan_assessment(planned, decided)

    def _plan_assessment(self, planned: _Planned, decided: date) -> None:
        """Advice from the EP (always), health and social care; then the decision whether to issue."""
        rng, ri = self.rng, self.ri
        advice_types = ["educational_psychology"]
        if rng.random() < 0.7:
            advice_types.append("health")
        if rng.random() < 0.4:
            advice_types.append("social_care")
        last_advice = decided
        for adviser in advice_types:
            requested = decided + _days(ri(1, 7))
            back = requested + _days(ri(20, 45) if rng.random() < 0.7 else ri(46, 90))
            if planned.stuck_at <= 3 and adviser == "educational_psychology":
                back = date.max  # the EP backlog: never arrives
            planned.steps.append((requested, _A_REQUEST_ADVICE, [adviser, requested, back]))
            last_advice = max(last_advice, back)
        if planned.stuck_at > 3 and last_advice < date.max:
            completed = last_advice + _days(ri(1, 10))
            planned.steps.append((completed, _A_COMPLETE_ASSESSMENT, None))
            self._plan_issue_decision(planned, completed)

    def _plan_issue_decision(self, planned: _Planned, completed: date) -> None:
        """Withdrawn after the assessment, not issued, or a plan."""
        issue_day = completed + _days(self.ri(1, 14))
        roll = self.rng.random()
        if planned.stuck_at <= 4:
            return
        if roll < 0.02:
            planned.steps.append((issue_day, _A_WITHDRAW, "assessment"))
        elif roll < 0.10:
            planned.steps.append((issue_day, _A_DECIDE_NOT_TO_ISSUE, None))
        else:
            planned.steps.append((issue_day, _A_DECIDE_TO_ISSUE, None))
            self._plan_ehc_plan(planned, issue_day)

    def _plan_ehc_plan(self, planned: _Planned, issue_day: date) -> None:
        """The draft, the family's comments, the final plan and, for a share of plans, an
        independent placement agreed by the panel before the draft."""
        rng, ri, child_id = self.rng, self.ri, planned.child_id
        draft = issue_day + _days(ri(3, 20))
        panel: list[tuple[date, str, Any]] = []
        if (
            self.placements_made < self.placement_target
            and child_id not in self.placed_children
            and rng.random() < self.placement_share
        ):
            referred = issue_day + _days(ri(0, 5))
            meeting = self._meeting_on_or_after(referred + _days(3))
            if meeting is not None:
                panel = [(referred, _A_REFER_TO_PANEL, None), (meeting, _E_PANEL_DECISION, None)]
                draft = max(draft, meeting + _days(1))
        if planned.stuck_at <= 5:
            return
        planned.steps.append((draft, _A_ISSUE_DRAFT, None))
        earliest = draft + clocks.REPRESENTATION_PERIOD
        if rng.random() < 0.6:
            comments = draft + _days(ri(3, 14))
            planned.steps.append((comments, _A_RECORD_FAMILY_COMMENTS, None))
            earliest = clocks.earliest_final_plan_on(draft, comments)
        final = max(earliest, draft + _days(ri(14, 45)))
        if planned.stuck_at > 6:
            planned.steps.append((final, _A_ISSUE_FINAL, None))
            # Only a placement in place by ``until`` goes to the panel here.
            if panel and final <= self.until:
                planned.placement = True
                planned.steps.extend(panel)

    def _plan_exception(self, planned: _Planned) -> None:
        """A clock exception on about one request in sixteen, while it is open."""
        rng, ri = self.rng, self.ri
        planned_close = next((day for day, action, _ in planned.steps if action in _CLOSING), None)
        if rng.random() < 0.06:
            kind = rng.choice(("school_closure", "personal_circumstances", "absence_from_area"))
            start = planned.received + _days(ri(5, 110))
            end = start + _days(ri(28, 56))
            if start <= self.until and (planned_close is None or start < planned_close):
                planned.exception = (kind, start, end)
                planned.steps.append((start, _A_ADD_EXCEPTION, None))

    # --- step 2: walking the timeline up to ``until`` ---

    def _walk(self, planned: _Planned) -> _Walk:
        walk = _Walk(last_day=planned.received)
        self._event(
            planned,
            walk,
            planned.received,
            _E_CREATED,
            _S_RECEIVED,
            planned.officer,
            child_id=planned.child_id,
            source=planned.source,
        )
        handlers: dict[str, Callable[[_Planned, _Walk, date, str, Any], None]] = {
            _A_ADD_EXCEPTION: self._walk_exception,
            _A_REQUEST_ADVICE: self._walk_advice,
            _E_PANEL_DECISION: self._walk_panel_decision,
            _A_REFER_TO_PANEL: self._walk_referral,
            _A_WITHDRAW: self._walk_withdrawal,
            _A_DECIDE_TO_ASSESS: self._walk_assessment_decision,
            _A_DECIDE_NOT_TO_ASSESS: self._walk_assessment_decision,
            _A_DECIDE_TO_ISSUE: self._walk_issue_decision,
            _A_DECIDE_NOT_TO_ISSUE: self._walk_issue_decision,
            _A_ISSUE_DRAFT: self._walk_draft,
            _A_RECORD_FAMILY_COMMENTS: self._walk_family_comments,
            _A_ISSUE_FINAL: self._walk_final_plan,
            _A_COMPLETE_EVALUATION: self._walk_evaluation_complete,
        }
        for day, action, extra in planned.steps:
            if day > self.until:
                break
            walk.last_day = day
            handler = handlers.get(action)
            if handler is None:  # a step with nothing to record but the status change
                self._move(planned, walk, day, action)
            else:
                handler(planned, walk, day, action, extra)
        return walk

    def _event(
        self, planned: _Planned, walk: _Walk, day: date, action: str, after: str, actor: int | None, **facts: Any
    ) -> None:
        """One timeline row, built by ``stored.event_row`` with the clocks after the change."""
        walk.minute += 7
        event_id = self.ids["event"]
        self.ids["event"] = event_id + 1
        row = stored.event_row(
            action=action,
            from_status="" if action == _E_CREATED else walk.status,
            to_status=after,
            clocks_after=stored.request_clocks(planned.received, after, walk.periods),
            facts=facts,
        )
        body = json.dumps(row.payload).replace('"', '""')
        self.tables["event"].add_line(
            f"{event_id},{planned.rid},{_n(actor)},{row.action},{row.from_status},{row.to_status},"
            f'{_at(day, walk.minute % 480)},"{body}",'
        )

    def _move(self, planned: _Planned, walk: _Walk, day: date, action: str, **facts: Any) -> None:
        """A status change with its event."""
        after = self.next_status(walk.status, action)
        self._event(planned, walk, day, action, after, planned.officer, **facts)
        walk.status = after

    def _walk_exception(self, planned: _Planned, walk: _Walk, day: date, action: str, extra: Any) -> None:
        assert planned.exception is not None
        kind, start, end = planned.exception
        walk.periods = [clocks.ExceptionPeriod(kind=clocks.ExceptionType(kind), start=start, end=end)]
        exception_id = self._next("exception")
        self.tables["exception"].add(
            (
                exception_id,
                planned.rid,
                None,
                kind,
                start,
                end,
                "Letter from the family and the school, on file",
                planned.officer,
                _at(day, 60),
                None,
                None,
                "",
            )
        )
        self._event(
            planned,
            walk,
            day,
            _A_ADD_EXCEPTION,
            walk.status,
            planned.officer,
            exception_id=exception_id,
            kind=kind,
            start=start,
            end=end,
            advice_request_id=None,
            advice_target_on=None,
        )

    def _walk_advice(self, planned: _Planned, walk: _Walk, day: date, action: str, extra: Any) -> None:
        adviser, requested, back = extra
        officer = planned.officer
        advice_id = self._next("advice")
        computed = self.advice_clocks(requested)
        received_on = back if back <= self.until else None
        recorder = (self.ref.ep_user if adviser == "educational_psychology" else officer) if received_on else None
        self.tables["advice"].add_line(
            f"{advice_id},{planned.rid},{adviser},{ADDRESSEES_CSV[adviser]},{_d(requested)},{_d(computed.due_on)},"
            f"{_d(computed.target_on)},{_d(received_on)},,{officer},{_n(recorder)}"
        )
        self._event(
            planned,
            walk,
            day,
            _A_REQUEST_ADVICE,
            walk.status,
            officer,
            advice_request_id=advice_id,
            adviser_type=adviser,
            requested_on=requested,
            due_on=computed.due_on,
        )
        if received_on is not None:
            # Recorded in order with the rest of the timeline (the sort above does not know
            # the receipt day), so written now with its own day.
            self._event(
                planned,
                walk,
                received_on,
                _A_RECORD_ADVICE,
                walk.status,
                officer,
                advice_request_id=advice_id,
                adviser_type=adviser,
                received_on=received_on,
                on_time=received_on <= computed.target_on,
            )

    def _walk_referral(self, planned: _Planned, walk: _Walk, day: date, action: str, extra: Any) -> None:
        walk.referral = (day, self._next("referral"))
        self._event(planned, walk, day, _A_REFER_TO_PANEL, walk.status, planned.officer)

    def _walk_panel_decision(self, planned: _Planned, walk: _Walk, day: date, action: str, extra: Any) -> None:
        assert walk.referral is not None
        walk.panel = (self._meeting_id(day), self._next("panel_decision"))
        meeting_id, decision_id = walk.panel
        self._event(
            planned,
            walk,
            day,
            _E_PANEL_DECISION,
            walk.status,
            self.ref.chair_user,
            outcome="approve",
            meeting_id=meeting_id,
            decision_id=decision_id,
        )

    def _walk_withdrawal(self, planned: _Planned, walk: _Walk, day: date, action: str, extra: Any) -> None:
        outcome_field = "request_outcome" if extra == "request" else "assessment_outcome"
        walk.fields[outcome_field], walk.fields[f"{outcome_field}_on"] = "W", day
        walk.fields["closed_reason"] = "The family withdrew the request"
        walk.closed_on = day
        self._move(planned, walk, day, _A_WITHDRAW, withdrawn_on=day, outcome_field=outcome_field)

    def _walk_assessment_decision(self, planned: _Planned, walk: _Walk, day: date, action: str, extra: Any) -> None:
        refuse = action == _A_DECIDE_NOT_TO_ASSESS
        decision_id = self._next("decision")
        self.tables["decision"].add_line(
            f"{decision_id},{planned.rid},assess,{'refuse,' if refuse else 'assess,'}{_d(day)},"
            f"{REFUSE_REASONS_CSV if refuse else ASSESS_REASONS_CSV},,{'t' if refuse else 'f'},"
            f"{SUPPORT_ADVICE if refuse else ''},{planned.officer},{_at(day, 120)},f"
        )
        walk.fields["request_outcome"], walk.fields["request_outcome_on"] = ("N" if refuse else "Y"), day
        if refuse:
            walk.closed_on = day
        else:
            walk.fields["assessment_outcome"] = "A"
        self._move(
            planned,
            walk,
            day,
            _A_DECIDE_NOT_TO_ASSESS if refuse else _A_DECIDE_TO_ASSESS,
            decision_id=decision_id,
            outcome="refuse" if refuse else "assess",
            notified_on=day,
            reasons=list(REFUSE_REASONS if refuse else ASSESS_REASONS),
        )

    def _walk_issue_decision(self, planned: _Planned, walk: _Walk, day: date, action: str, extra: Any) -> None:
        not_issue = action == _A_DECIDE_NOT_TO_ISSUE
        decision_id = self._next("decision")
        self.tables["decision"].add_line(
            f"{decision_id},{planned.rid},issue,{'not_issue' if not_issue else 'issue'},{_d(day)},[],"
            f"{NOT_ISSUE_REASONS if not_issue else ''},{'t' if not_issue else 'f'},,{planned.officer},"
            f"{_at(day, 120)},f"
        )
        if not_issue:
            walk.fields["assessment_outcome"], walk.fields["assessment_outcome_on"] = "N", day
            walk.closed_on = day
        self._move(
            planned,
            walk,
            day,
            _A_DECIDE_NOT_TO_ISSUE if not_issue else _A_DECIDE_TO_ISSUE,
            decision_id=decision_id,
            outcome="not_issue" if not_issue else "issue",
            notified_on=day,
        )

    def _walk_evaluation_complete(self, planned: _Planned, walk: _Walk, day: date, action: str, extra: Any) -> None:
        # No evaluation row at this size: the event names none.
        self._move(planned, walk, day, action, evaluation_id=None, recommendation=None, fields=None)

    def _walk_draft(self, planned: _Planned, walk: _Walk, day: date, action: str, extra: Any) -> None:
        walk.fields["draft_issued_on"] = day
        self._move(
            planned, walk, day, _A_ISSUE_DRAFT, issued_on=day, earliest_final_on=clocks.earliest_final_plan_on(day)
        )

    def _walk_family_comments(self, planned: _Planned, walk: _Walk, day: date, action: str, extra: Any) -> None:
        walk.fields["family_comments_received_on"] = day
        self._move(planned, walk, day, _A_RECORD_FAMILY_COMMENTS, received_on=day)

    def _walk_final_plan(self, planned: _Planned, walk: _Walk, day: date, action: str, extra: Any) -> None:
        fields = walk.fields
        fields["final_plan_issued_on"] = day
        fields["assessment_outcome"], fields["assessment_outcome_on"] = "Y", day
        walk.closed_on = day
        if planned.placement and walk.referral is not None and walk.panel is not None:
            provider_id, establishment_id = self.rng.choice(self.ref.providers)
            fields["placement_type"], fields["named_establishment"] = "independent_special", establishment_id
            self._placement(planned, walk, provider_id, establishment_id, day)
        else:
            kind = self._pick(self.plan_types)
            fields["placement_type"] = kind
            fields["named_establishment"] = self._named(kind)
        self._move(
            planned,
            walk,
            day,
            _A_ISSUE_FINAL,
            issued_on=day,
            named_establishment_id=fields["named_establishment"],
            placement_type=fields["placement_type"],
            within_20_weeks=clocks.within(clocks.FINAL_PLAN_PERIOD, planned.received, day),
        )

    # --- step 3: the request as the walk left it ---

    def _write_request(self, planned: _Planned, walk: _Walk) -> None:
        derived = stored.request_fields(
            child_district_id=planned.district_id,
            received_on=planned.received,
            status=walk.status,
            exceptions=walk.periods,
        )
        fields = walk.fields
        self.tables["request"].add_line(
            f"{planned.rid},{REFERENCE_PREFIX}{planned.rid:07d},{planned.child_id},{derived['district_id']},"
            f"{_d(planned.received)},{planned.source},,,,,"
            f"{planned.officer if self.rng.random() < 0.9 else ''},{derived['status']},"
            f"{_d(derived['decision_due_on'])},{_d(derived['not_issue_due_on'])},{_d(derived['final_plan_due_on'])},"
            f"{_d(derived['decision_target_on'])},{_d(derived['not_issue_target_on'])},"
            f"{_d(derived['final_plan_target_on'])},{'t' if derived['week20'] else 'f'},"
            f"{_d(derived['next_deadline_on'])},"
            f"{fields['request_outcome']},{_d(fields['request_outcome_on'])},{fields['assessment_outcome']},"
            f"{_d(fields['assessment_outcome_on'])},{_d(fields['draft_issued_on'])},{_d(fields['family_comments_received_on'])},"
            f"{_d(fields['final_plan_issued_on'])},{_n(fields['named_establishment'])},{fields['placement_type']},"
            f"{fields['closed_reason']},f,{_at(planned.received, 1)},{_at(walk.last_day, 479)}"
        )

    def _named(self, kind: str) -> int | None:
        ref, rng = self.ref, self.rng
        pool = {
            "mainstream": ref.mainstream,
            "resourced_provision": ref.mainstream,
            "special_maintained": ref.special_maintained,
            "special_academy": ref.special_academy,
            "further_education": ref.further_education,
        }.get(kind)
        return rng.choice(pool) if pool else None

    # --- the panel and the placement ---

    def _meeting_on_or_after(self, day: date) -> date | None:
        index = bisect.bisect_left(self.meetings, day)
        return self.meetings[index] if index < len(self.meetings) else None

    def _meeting_id(self, meeting_day: date) -> int:
        meeting_id = self.meeting_ids.get(meeting_day)
        if meeting_id is None:
            meeting_id = self.meeting_ids[meeting_day] = self._next("meeting")
        return meeting_id

    def _placement(
        self, planned: _Planned, walk: _Walk, provider_id: int, establishment_id: int, final_day: date
    ) -> None:
        """The referral, agenda item, panel decision and contract of an independent placement."""
        assert walk.referral is not None and walk.panel is not None
        rng, ref = self.rng, self.ref
        rid, child_id, officer = planned.rid, planned.child_id, planned.officer
        referred_on, referral_id = walk.referral
        meeting_id, panel_decision_id = walk.panel
        ri = self.ri
        meeting_day = self._meeting_on_or_after(referred_on + _days(3))
        assert meeting_day is not None and meeting_day <= final_day
        position = self.meeting_positions.get(meeting_day, 0) + 1
        self.meeting_positions[meeting_day] = position
        quoted = ri(45_000, 120_000) * 100
        agreed = quoted - ri(0, quoted // 700) * 100
        ceiling = quoted
        created = _at(referred_on, 30)
        self.tables["referral"].add(
            (
                referral_id,
                rid,
                "independent_special",
                "decided",
                establishment_id,
                "",
                None,
                "Complex needs that the maintained special schools named cannot meet",
                "[]",
                "",
                officer,
                referred_on,
                created,
                _at(meeting_day, 300),
            )
        )
        item_id = self._next("item")
        self.tables["item"].add((item_id, meeting_id, referral_id, position, "decided", "", ref.chair_user, created))
        self.tables["panel_decision"].add(
            (
                panel_decision_id,
                item_id,
                "approve",
                "held",
                "yes",
                "",
                "yes",
                "",
                "yes",
                "",
                quoted,
                None,
                "No maintained school named can meet the needs set out in the plan",
                ceiling,
                "",
                None,
                '{"present": 4, "recused": 0, "quorate": true}',
                ref.chair_user,
                _at(meeting_day, 300),
            )
        )
        # The contract: running, or ended once its planned end has passed.
        contract_id = self._next("contract")
        start = final_day + _days(ri(0, 20))
        end = start + _days(365 * ri(1, 4)) if rng.random() < 0.8 else None
        ended = end is not None and end <= self.until
        start = min(start, self.until)
        self.tables["contract"].add(
            (
                contract_id,
                f"NAT-IPA-{contract_id:07d}",
                child_id,
                provider_id,
                panel_decision_id,
                "ended" if ended else "active",
                "The placement ran to the end of the agreement" if ended else "",
                "phase_completed" if ended else "",
                start,
                end,
                end if ended else None,
                start + _days(365),
                quoted,
                agreed,
                ref.finance_user,
                _at(start, 200),
                _at(start, 200),
            )
        )
        tuition = agreed * 3 // 4
        lines = (
            ("tuition", quoted * 3 // 4, tuition),
            ("therapy_speech_language", quoted - quoted * 3 // 4, agreed - tuition),
        )
        for category, quoted_line, agreed_line in lines:
            self.tables["cost_line"].add(
                (self._next("cost_line"), contract_id, category, "", quoted_line, agreed_line, "year", 1)
            )
        self.placements_made += 1
        self.placed_children.add(child_id)

    def _write_meetings(self) -> None:
        if "meeting" not in self.tables:
            return
        for day, meeting_id in sorted(self.meeting_ids.items()):
            status = "minutes_approved" if day < self.until - _days(14) else "held"
            self.tables["meeting"].add(
                (meeting_id, day, "10:00", "County Hall, Committee Room 2", status, self.ref.chair_user, _at(day, 0))
            )


ADDRESSEES = {
    AdviserType.EDUCATIONAL_PSYCHOLOGY.value: "Educational Psychology Service",
    AdviserType.HEALTH.value: "Designated Clinical Officer, NHS",
    AdviserType.SOCIAL_CARE.value: "Children's Social Care",
}
ADDRESSEES_CSV = {key: _quoted(value) for key, value in ADDRESSEES.items()}
# Pre-formatted CSV fields (texts with commas or quotes are quoted once, here).
REFUSE_REASONS = ("needs_met_by_sen_support",)
ASSESS_REASONS = ("has_or_may_have_sen", "may_need_ehc_plan_provision")
REFUSE_REASONS_CSV = _quoted(json.dumps(list(REFUSE_REASONS)))
ASSESS_REASONS_CSV = _quoted(json.dumps(list(ASSESS_REASONS)))
SUPPORT_ADVICE = _quoted("Continue the SEN support plan and review each term")
NOT_ISSUE_REASONS = _quoted("The assessment found the needs can be met from resources normally available")


# --- The columns each table gets, in the generator's tuple order ---------------------------------

_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "child": (
        "requests_app.Child",
        (
            "id",
            "forename",
            "surname",
            "date_of_birth",
            "sex",
            "upn",
            "postcode",
            "district_id",
            "current_establishment_id",
            "primary_need",
            "secondary_need",
            "legacy_ref",
            "created_at",
        ),
    ),
    "request": (
        "requests_app.AssessmentRequest",
        (
            "id",
            "reference",
            "child_id",
            "district_id",  # the child's, copied (docs/decisions/0007-district-on-request.md)
            "received_on",
            "source",
            "requester_name",
            "requester_email",
            "requester_phone",
            "requester_relationship",
            "assigned_officer_id",
            "status",
            "decision_due_on",
            "not_issue_due_on",
            "final_plan_due_on",
            "decision_target_on",
            "not_issue_target_on",
            "final_plan_target_on",
            "week20",
            "next_deadline_on",
            "request_outcome",
            "request_outcome_on",
            "assessment_outcome",
            "assessment_outcome_on",
            "draft_issued_on",
            "family_comments_received_on",
            "final_plan_issued_on",
            "named_establishment_id",
            "placement_type",
            "closed_reason",
            "imported",
            "created_at",
            "updated_at",
        ),
    ),
    "decision": (
        "requests_app.AssessmentDecision",
        (
            "id",
            "request_id",
            "stage",
            "outcome",
            "notified_on",
            "reasons",
            "reasons_text",
            "rights_text_sent",
            "sen_support_advice",
            "decided_by_id",
            "decided_at",
            "superseded",
        ),
    ),
    "advice": (
        "requests_app.AdviceRequest",
        (
            "id",
            "request_id",
            "adviser_type",
            "addressee",
            "requested_on",
            "due_on",
            "target_on",
            "received_on",
            "notes",
            "requested_by_id",
            "received_recorded_by_id",
        ),
    ),
    "exception": (
        "requests_app.ClockException",
        (
            "id",
            "request_id",
            "advice_request_id",
            "kind",
            "start",
            "end",
            "evidence",
            "recorded_by_id",
            "recorded_at",
            "removed_at",
            "removed_by_id",
            "removed_reason",
        ),
    ),
    "event": (
        "requests_app.RequestEvent",
        ("id", "request_id", "actor_id", "action", "from_status", "to_status", "occurred_at", "payload", "note"),
    ),
}
_PLACEMENT_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "meeting": ("panels.PanelMeeting", ("id", "held_on", "starts_at", "location", "status", "chair_id", "created_at")),
    "referral": (
        "panels.Referral",
        (
            "id",
            "request_id",
            "kind",
            "status",
            "proposed_establishment_id",
            "parental_preference",
            "parental_preference_establishment_id",
            "needs_summary",
            "evidence",
            "notes",
            "referred_by_id",
            "referred_on",
            "created_at",
            "updated_at",
        ),
    ),
    "item": (
        "panels.AgendaItem",
        ("id", "meeting_id", "referral_id", "position", "status", "withdrawn_reason", "added_by_id", "added_at"),
    ),
    "panel_decision": (
        "panels.PanelDecision",
        (
            "id",
            "item_id",
            "outcome",
            "meeting_status_at_decision",
            "suitable_answer",
            "suitable_text",
            "compatible_answer",
            "compatible_text",
            "resources_answer",
            "resources_text",
            "requested_annual_cost_pence",
            "maintained_alternative_cost_pence",
            "reasons_text",
            "agreed_annual_ceiling_pence",
            "conditions",
            "deferred_to_id",
            "quorum",
            "recorded_by_id",
            "recorded_at",
        ),
    ),
    "contract": (
        "placements.PlacementContract",
        (
            "id",
            "reference",
            "child_id",
            "provider_id",
            "panel_decision_id",
            "status",
            "status_reason",
            "leaving_reason",
            "start_on",
            "end_on",
            "ended_on",
            "annual_review_on",
            "quoted_annual_cost_pence",
            "agreed_annual_cost_pence",
            "created_by_id",
            "created_at",
            "updated_at",
        ),
    ),
    "cost_line": (
        "placements.CostLine",
        (
            "id",
            "contract_id",
            "category",
            "description",
            "quoted_amount_pence",
            "agreed_amount_pence",
            "period",
            "periods_per_year",
        ),
    ),
}


def placements_available(using: str = "default") -> bool:
    """The placements app is installed and its tables exist (it may still be in progress)."""
    if not apps.is_installed("placements") or not apps.is_installed("panels"):
        return False
    from placements.models import CostLine, PlacementContract

    tables = set(connections[using].introspection.table_names())
    return {PlacementContract._meta.db_table, CostLine._meta.db_table} <= tables


def _models(with_placements: bool) -> dict[str, tuple[type[models.Model], tuple[str, ...]]]:
    columns = {**_COLUMNS, **(_PLACEMENT_COLUMNS if with_placements else {})}
    return {key: (apps.get_model(label), cols) for key, (label, cols) in columns.items()}


def _reset(cursor: Any, with_placements: bool) -> None:
    """Empty every table the load writes, and the snapshots computed from them."""
    from core.models import AccessLog
    from reporting.models import AnnualMetric, BacklogSnapshot, MonthlyMetric

    names = [
        "requests_app.ProvisionEvaluation",
        "requests_app.RequestEvent",
        "requests_app.ClockException",
        "requests_app.AdviceRequest",
        "requests_app.AssessmentDecision",
        "requests_app.AssessmentRequest",
        "requests_app.Child",
    ]
    tables = [apps.get_model(n)._meta.db_table for n in names]
    tables += [m._meta.db_table for m in (AccessLog, MonthlyMetric, AnnualMetric, BacklogSnapshot)]
    if with_placements:
        tables += [m._meta.db_table for m in apps.get_app_config("placements").get_models()]
        tables += [m._meta.db_table for m in apps.get_app_config("panels").get_models() if m.__name__ != "PanelMember"]
        tables += [
            m._meta.auto_created._meta.db_table
            for m in apps.get_models(include_auto_created=True)
            if m._meta.auto_created and m._meta.app_label == "panels"
        ]
    cursor.execute(f"TRUNCATE {', '.join(sorted(set(tables)))} RESTART IDENTITY CASCADE")


# --- The load ------------------------------------------------------------------------------------


def load(
    options: Options,
    *,
    using: str = "default",
    force: bool = False,
    reset: bool = False,
    vacuum: bool = True,
    log: Callable[[str], None] = lambda message: None,
) -> LoadResult:
    check_engine(using)
    with_placements = placements_available(using)
    present = data_present(using)
    if present["other_requests"] and not force:
        raise NationalDataError(
            f"This database already holds {present['other_requests']:,} requests that are not national "
            "benchmark data. Load national data into its own database (for example senportal_bench), "
            "or pass --force to add to this one anyway."
        )
    if present["national_requests"] and not reset:
        raise NationalDataError(
            f"This database already holds {present['national_requests']:,} national requests. "
            "Pass --reset to empty the request, panel and placement tables and load again."
        )
    result = LoadResult()
    connection = connections[using]
    started = time.perf_counter()
    if reset:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            _reset(cursor, with_placements)
        log("Emptied the request, panel and placement tables.")
    with transaction.atomic(using=using):
        ref = _ensure_reference(options, using, with_placements=with_placements)
    if not with_placements:
        log("The placements app has no tables here: loading requests only.")
    result.timings["reference data"] = time.perf_counter() - started

    specs = _models(with_placements)
    db_tables = sorted({model._meta.db_table for model, _ in specs.values()})
    with transaction.atomic(using=using):
        connection.ensure_connection()
        with connection.cursor() as cursor:
            # Check any deferred foreign keys now (rows written earlier in an enclosing
            # transaction, as in a test): ALTER TABLE refuses a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            before = _read_schema(cursor, db_tables)
            dropped = _drop_secondary(cursor, before)
            start_ids = {}
            for key, (model, _) in specs.items():
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')
                start_ids[key] = cursor.fetchone()[0]
            # Empty tables (a new database, or after --reset) are truncated in this transaction so
            # that COPY may write the rows frozen. CASCADE reaches only tables that reference
            # these empty ones, which are therefore empty too.
            fresh = all(value == 1 for value in start_ids.values())
            if fresh:
                cursor.execute(f"TRUNCATE {', '.join(db_tables)} CASCADE")
        log(f"Dropped {len(dropped.indexes)} indexes and {len(dropped.constraints)} constraints for the load.")

        copier = _Copier(connection.connection)
        now = timezone.now()
        tables = {key: _Table(model, cols, copier, now, freeze=fresh) for key, (model, cols) in specs.items()}
        generator = _Generator(options, ref, tables, start_ids)
        step = time.perf_counter()
        try:
            generator.run(lambda n: log(f"  {n:,} requests ({time.perf_counter() - step:.0f} s)"))
        finally:
            copier.close()
        result.timings["generate and copy"] = time.perf_counter() - step
        log(f"Generated and copied in {result.timings['generate and copy']:.0f} s (COPY busy {copier.seconds:.0f} s).")

        step = time.perf_counter()
        with connection.cursor() as cursor:
            loaded = [model for model, _ in specs.values()]
            _recreate(cursor, dropped, _django_index_sql(connection, loaded), log)
            after = _read_schema(cursor, db_tables)
            if (before.indexes, before.constraints) != (after.indexes, after.constraints):
                changed = sorted(
                    set(before.indexes) ^ set(after.indexes) | set(before.constraints) ^ set(after.constraints)
                )
                raise NationalDataError(f"The schema after the load differs from the migrations' schema: {changed}")
            for sql in connection.ops.sequence_reset_sql(no_style(), loaded):
                cursor.execute(sql)
        result.timings["indexes and constraints"] = time.perf_counter() - step

    if vacuum:  # not inside a transaction (a test's): VACUUM cannot run there
        step = time.perf_counter()
        with connection.cursor() as cursor:
            for db_table in db_tables:
                cursor.execute(f'VACUUM (ANALYZE) "{db_table}"')
        result.timings["vacuum analyze"] = time.perf_counter() - step
    result.counts = {key: table.count for key, table in tables.items()}
    result.open_requests = generator.open_requests
    result.timings["total"] = time.perf_counter() - started
    return result
