"""Load a council's request history from its previous system (``manage.py import_requests``).

Three steps, so that every rule can be tested and nothing is half-imported:

1. :func:`parse_rows` reads the CSV and checks each row on its own and against the other rows
   of the file (codes, dates and their order, required values, duplicate references, a child's
   details agreeing between rows, one open request per child). Pure: no database.
2. :func:`check_against_database` compares the rows with what the database already holds,
   read beforehand by :func:`load_existing` in a few queries: a reference imported before with
   the same data is skipped, with different data it is an error; a child already recorded must
   match; the database's one-open-request and unique-UPN constraints must hold.
3. :func:`write` inserts the children, requests and one "imported" event per request in the
   same transaction: with ``COPY`` on PostgreSQL (ids taken from the tables' sequences first,
   one query per table), with ``bulk_create`` elsewhere (SQLite). Both paths store the same
   values, built once per row as plain tuples, not model instances. No service is called per
   row: the services take a lock and write an event per call, which at tens of thousands of
   rows would take minutes; the clocks come from the same pure ``clocks.request_clocks`` and
   ``workflow.next_deadline``, and each request takes its child's district as the services do
   (a child already recorded is locked first, as ``services.children.child_change_district`` locks it).

Every error names the row (as in the file: the header is row 1), the column and the reason,
and all of them are reported. Error messages never repeat a child's personal details.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Model
from django.db.models.expressions import RawSQL
from django.utils import timezone

from core import copy
from core.models import District, NeedType
from requests_app import clocks, workflow
from requests_app.models import AssessmentRequest, Child, RequestEvent, RequestSource, Sen2Outcome, Sex

Status = workflow.Status

COLUMNS: tuple[str, ...] = (
    "child_ref",
    "forename",
    "surname",
    "date_of_birth",
    "sex",
    "upn",
    "postcode",
    "district",
    "primary_need",
    "request_ref",
    "received_on",
    "source",
    "request_outcome",
    "request_outcome_on",
    "assessment_outcome",
    "assessment_outcome_on",
    "week20_exception",
    "draft_issued_on",
)
REQUIRED: frozenset[str] = frozenset(
    {
        "child_ref",
        "forename",
        "surname",
        "date_of_birth",
        "sex",
        "district",
        "primary_need",
        "request_ref",
        "received_on",
        "source",
        "request_outcome",
    }
)
# Columns holding a child's personal details: their values are never echoed in a message.
_CHILD_COLUMNS: tuple[str, ...] = (
    "forename",
    "surname",
    "date_of_birth",
    "sex",
    "upn",
    "postcode",
    "district",
    "primary_need",
)
# Model field lengths (requests_app.models): a longer value would fail on PostgreSQL.
_MAX_LENGTH: dict[str, int] = {
    "child_ref": 40,
    "forename": 100,
    "surname": 100,
    "postcode": 10,
    "request_ref": 30,
}
_OUTCOMES = ("Y", "N", "A", "W")
# The code lists, read once: TextChoices.values builds a new list on every access.
_SEXES = tuple(Sex.values)
_NEEDS = tuple(NeedType.values)
_SOURCES = tuple(RequestSource.values)
# C0 control characters and DEL. No column of the file is multi-line free text (names, codes,
# references, dates), so none may hold one: a tab, line break or NUL in a name is a fault of the
# export, and PostgreSQL refuses a NUL in text and a bare carriage return in unquoted COPY data.
_CONTROL = re.compile("[\x00-\x1f\x7f]")
# CoP 1.3: the duties run from birth to 25.
MAX_AGE_AT_REQUEST = 25
# Rows per INSERT where COPY is not used (SQLite, which also splits them by its parameter limit).
BULK_BATCH_SIZE = 5000
EVENT_ACTION = workflow.EventAction.IMPORTED.value


# --- Results -----------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class RowError:
    """One problem with the file: ``row`` as numbered in the file (header = 1)."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        if not self.row:  # the file as a whole (not readable, or refused by the database)
            return f"File: {self.reason}"
        where = f"Row {self.row}, column {self.column}" if self.column else f"Row {self.row}"
        return f"{where}: {self.reason}"


class ImportFailed(Exception):
    """The file has errors (all of them in ``errors``); nothing was imported."""

    def __init__(self, errors: Sequence[RowError]):
        self.errors = in_file_order(errors)
        super().__init__(f"{len(self.errors)} error(s) in the file")


def in_file_order(errors: Iterable[RowError]) -> list[RowError]:
    """By row, then by column as the columns are listed in COLUMNS."""
    return sorted(errors, key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else -1, e.reason))


@dataclass(frozen=True)
class ChildDetails:
    """A child as one row describes it (normalised: trimmed, codes and UPN upper case)."""

    child_ref: str
    forename: str
    surname: str
    date_of_birth: date
    sex: str
    upn: str
    postcode: str
    district_id: int
    primary_need: str


@dataclass(frozen=True)
class RequestRow:
    """A valid row: the child, the request and the status its outcomes imply."""

    row: int
    child: ChildDetails
    request_ref: str
    received_on: date
    source: str
    request_outcome: str
    request_outcome_on: date | None
    # "" unless the council decided to assess; then "A" until decided (as the services do).
    assessment_outcome: str
    assessment_outcome_on: date | None
    week20: bool
    draft_issued_on: date | None
    status: Status

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def comparable(self) -> dict[str, Any]:
        """The request's values in the file's terms, to compare with a stored request."""
        return {
            "child_ref": self.child.child_ref,
            "received_on": self.received_on,
            "source": self.source,
            "request_outcome": self.request_outcome,
            "request_outcome_on": self.request_outcome_on,
            "assessment_outcome": self.assessment_outcome,
            "assessment_outcome_on": self.assessment_outcome_on,
            "week20_exception": self.week20,
            "draft_issued_on": self.draft_issued_on,
        }


@dataclass
class Parsed:
    rows: list[RequestRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0


@dataclass(frozen=True)
class ImportResult:
    source_name: str
    rows_read: int
    children_created: int
    children_matched: int
    requests_imported: int
    skipped: int
    seconds: float
    dry_run: bool = False

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else float(self.rows_read)

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        lead = "Dry run (nothing written): " if self.dry_run else ""
        return (
            f"{lead}{self.rows_read} rows read from {self.source_name}. "
            f"Children: {self.children_created} {verb} created, {self.children_matched} matched. "
            f"Requests: {self.requests_imported} {verb} imported, "
            f"{self.skipped} skipped as already imported. "
            f"Took {self.seconds:.2f} s ({self.rows_per_second:,.0f} rows/second)."
        )


# --- Step 1: the file on its own (pure) -----------------------------------------------------------


def derive_status(request_outcome: str, assessment_outcome: str, draft_issued_on: date | None) -> Status:
    """The status a legacy request's SEN2 outcomes put it in.

    An undecided request starts at "received": the previous system's evaluation is not in the
    file, so the evaluation (or a decision straight away) happens in the portal.
    """
    if request_outcome == Sen2Outcome.NO:
        return Status.REFUSED
    if request_outcome == Sen2Outcome.WITHDRAWN:
        return Status.WITHDRAWN
    if request_outcome == Sen2Outcome.UNDECIDED:
        return Status.RECEIVED
    # Decided to assess (Y): the assessment outcome says how far it went.
    if assessment_outcome == Sen2Outcome.YES:
        return Status.PLAN_ISSUED
    if assessment_outcome == Sen2Outcome.NO:
        return Status.NOT_ISSUED
    if assessment_outcome == Sen2Outcome.WITHDRAWN:
        return Status.WITHDRAWN
    return Status.DRAFT_ISSUED if draft_issued_on else Status.ASSESSING


# The type, for annotations inside _RowReader, whose ``date`` method hides it.
_Date = date


class _RowReader:
    """Reads one row's values, collecting an error per bad column."""

    def __init__(self, row: int, values: Mapping[str, str], errors: list[RowError]):
        self.row = row
        self.values = values
        self.errors = errors
        self.failed: set[str] = set()

    def error(self, column: str, reason: str) -> None:
        self.failed.add(column)
        self.errors.append(RowError(self.row, column, reason))

    def text(self, column: str) -> str:
        value = self.values.get(column, "")
        if _CONTROL.search(value):
            # The value is not shown: it may be a child's name, and the character is invisible.
            self.error(column, "contains a control character (such as a line break, tab or NUL); remove it")
        elif not value and column in REQUIRED:
            self.error(column, "is empty; a value is required")
        elif column in _MAX_LENGTH and len(value) > _MAX_LENGTH[column]:
            self.error(column, f"is longer than {_MAX_LENGTH[column]} characters")
        return value

    def code(self, column: str, allowed: Sequence[str], *, upper: bool = True) -> str:
        value = self.text(column)
        value = value.upper() if upper else value
        if value and column not in self.failed and value not in allowed:
            self.error(column, f"'{value}' is not a valid code; use one of {', '.join(allowed)}")
        return value

    def date(self, column: str, *, today: date) -> date | None:
        value = self.text(column)
        if not value or column in self.failed:
            return None
        # date.fromisoformat also takes 20200131 and week dates; the file promises YYYY-MM-DD.
        parsed: date | None = None
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                parsed = None
        if parsed is None:
            shown = "" if column in _CHILD_COLUMNS else f"'{value}' "
            self.error(column, f"{shown}is not a date in the form YYYY-MM-DD")
            return None
        if parsed > today:
            self.error(column, "is in the future")
        return parsed

    def after(self, later: str, later_on: _Date | None, earlier: str, earlier_on: _Date | None) -> None:
        """``later`` must be on or after ``earlier`` (both valid and set)."""
        if later_on and earlier_on and later_on < earlier_on and later not in self.failed:
            self.error(later, f"is before {earlier}")

    def only_when(self, column: str, value: object, condition: bool, rule: str) -> None:
        if value and not condition:
            self.error(column, f"must be empty {rule}")

    def needed_when(self, column: str, value: object, condition: bool, rule: str) -> None:
        if not value and condition and column not in self.failed:
            self.error(column, f"is required {rule}")


def _read_row(reader: _RowReader, *, districts: Mapping[str, int], today: date) -> RequestRow | None:
    """Check one row on its own; None (with errors recorded) if it is not valid."""
    child_ref = reader.text("child_ref")
    forename = reader.text("forename")
    surname = reader.text("surname")
    date_of_birth = reader.date("date_of_birth", today=today)
    sex = reader.code("sex", _SEXES)
    upn = reader.text("upn").upper()
    if upn and "upn" not in reader.failed and (len(upn) != 13 or not upn.isalnum()):
        reader.error("upn", "is not a UPN (13 letters and numbers)")
    postcode = " ".join(reader.text("postcode").upper().split())
    district_name = reader.text("district")
    district_id = districts.get(district_name.casefold()) if district_name else None
    if district_name and district_id is None and "district" not in reader.failed:
        reader.error("district", f"'{district_name}' is not a known district")
    primary_need = reader.code("primary_need", _NEEDS)

    request_ref = reader.text("request_ref")
    received_on = reader.date("received_on", today=today)
    source = reader.code("source", _SOURCES, upper=False)
    request_outcome = reader.code("request_outcome", _OUTCOMES)
    request_outcome_on = reader.date("request_outcome_on", today=today)
    assessment_outcome = reader.code("assessment_outcome", _OUTCOMES)
    assessment_outcome_on = reader.date("assessment_outcome_on", today=today)
    week20 = reader.values.get("week20_exception", "") or "0"
    if _CONTROL.search(week20):
        reader.error("week20_exception", "contains a control character (such as a line break, tab or NUL); remove it")
    elif week20 not in ("0", "1"):
        reader.error("week20_exception", f"'{week20}' is not valid; use 0 or 1")
    draft_issued_on = reader.date("draft_issued_on", today=today)

    # What each outcome allows (SEN2 guide, domain.md §3.3).
    decided = request_outcome in ("Y", "N", "W")
    reader.needed_when("request_outcome_on", request_outcome_on, decided, f"when request_outcome is {request_outcome}")
    reader.only_when("request_outcome_on", request_outcome_on, request_outcome != "A", "when request_outcome is A")
    # The database holds an assessment outcome only once the council decided to assess.
    reader.only_when("assessment_outcome", assessment_outcome, request_outcome == "Y", "unless request_outcome is Y")
    assessed = assessment_outcome in ("Y", "N", "W")
    reader.needed_when(
        "assessment_outcome_on", assessment_outcome_on, assessed, f"when assessment_outcome is {assessment_outcome}"
    )
    reader.only_when("assessment_outcome_on", assessment_outcome_on, assessed, "unless assessment_outcome is Y, N or W")
    reader.only_when("draft_issued_on", draft_issued_on, request_outcome == "Y", "unless request_outcome is Y")
    # After a draft the only ways on are the final plan or a withdrawal (workflow.TRANSITIONS).
    reader.only_when(
        "draft_issued_on", draft_issued_on, assessment_outcome != "N", "when assessment_outcome is N (not issued)"
    )

    # Dates in the order the process runs.
    reader.after("received_on", received_on, "date_of_birth", date_of_birth)
    reader.after("request_outcome_on", request_outcome_on, "received_on", received_on)
    reader.after("assessment_outcome_on", assessment_outcome_on, "request_outcome_on", request_outcome_on)
    reader.after("draft_issued_on", draft_issued_on, "request_outcome_on", request_outcome_on)
    reader.after("assessment_outcome_on", assessment_outcome_on, "draft_issued_on", draft_issued_on)
    if (
        date_of_birth
        and received_on
        and received_on >= date_of_birth
        and clocks.age_on(date_of_birth, received_on) > MAX_AGE_AT_REQUEST
    ):
        reader.error("date_of_birth", f"makes the child older than {MAX_AGE_AT_REQUEST} on received_on")

    if reader.failed:
        return None
    assert date_of_birth and received_on and district_id is not None
    if request_outcome == "Y" and not assessment_outcome:
        assessment_outcome = Sen2Outcome.UNDECIDED.value
    return RequestRow(
        row=reader.row,
        child=ChildDetails(
            child_ref=child_ref,
            forename=forename,
            surname=surname,
            date_of_birth=date_of_birth,
            sex=sex,
            upn=upn,
            postcode=postcode,
            district_id=district_id,
            primary_need=primary_need,
        ),
        request_ref=request_ref,
        received_on=received_on,
        source=source,
        request_outcome=request_outcome,
        request_outcome_on=request_outcome_on,
        assessment_outcome=assessment_outcome,
        assessment_outcome_on=assessment_outcome_on,
        week20=week20 == "1",
        draft_issued_on=draft_issued_on,
        status=derive_status(request_outcome, assessment_outcome, draft_issued_on),
    )


def _differing_columns(a: ChildDetails, b: Mapping[str, Any]) -> list[str]:
    """Columns (file names) where a child's details differ from a stored child's values."""
    columns = []
    for column in _CHILD_COLUMNS:
        key = "district_id" if column == "district" else column
        if getattr(a, key) != b[key]:
            columns.append(column)
    return columns


def _child_key(values: Mapping[str, str]) -> dict[str, str]:
    """A row's child details as text, normalised as the rows are read, for comparing rows
    (whether or not each row is otherwise valid, so that every disagreement is reported)."""
    key = {column: values.get(column, "") for column in _CHILD_COLUMNS}
    for column in ("sex", "upn", "primary_need"):
        key[column] = key[column].upper()
    key["postcode"] = " ".join(key["postcode"].upper().split())
    key["district"] = key["district"].casefold()
    return key


@dataclass
class _Record:
    row: int
    values: dict[str, str]
    parsed: RequestRow | None


def _check_across_rows(records: list[_Record], errors: list[RowError]) -> list[RequestRow]:
    """Rules between rows: unique references, one set of details and one UPN per child, one
    open request per child. Returns the valid rows that pass them."""
    first_ref: dict[str, int] = {}
    first_child: dict[str, tuple[int, dict[str, str]]] = {}
    upn_owner: dict[str, tuple[int, str]] = {}
    open_row: dict[str, int] = {}
    good: list[RequestRow] = []
    for record in records:
        row, values = record.row, record.values
        bad = False
        request_ref = values["request_ref"]
        if request_ref and request_ref in first_ref:
            errors.append(RowError(row, "request_ref", f"duplicates the reference on row {first_ref[request_ref]}"))
            bad = True
        elif request_ref:
            first_ref[request_ref] = row
        child_ref = values["child_ref"]
        details = _child_key(values)
        if child_ref:
            first_row, first_details = first_child.setdefault(child_ref, (row, details))
            for column in _CHILD_COLUMNS:
                if details[column] != first_details[column]:
                    errors.append(RowError(row, column, f"differs from row {first_row} for the same child_ref"))
                    bad = True
        upn = details["upn"]
        if upn and child_ref:
            owner_row, owner_ref = upn_owner.setdefault(upn, (row, child_ref))
            if owner_ref != child_ref:
                errors.append(RowError(row, "upn", f"is also given for a different child_ref on row {owner_row}"))
                bad = True
        parsed = record.parsed
        if parsed is not None and parsed.is_open:
            if child_ref in open_row:
                errors.append(
                    RowError(
                        row,
                        "request_outcome",
                        f"leaves a second request open for this child_ref (row {open_row[child_ref]} is open); "
                        "a child can have only one request in progress",
                    )
                )
                bad = True
            else:
                open_row[child_ref] = row
        if parsed is not None and not bad:
            good.append(parsed)
    return good


def _records(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """CSV records numbered as a spreadsheet shows them (header = 1); blank lines keep their
    number but yield nothing."""
    for number, record in enumerate(csv.reader(lines), start=1):
        values = [value.strip() for value in record]
        if any(values):
            yield number, values


def parse_rows(lines: Iterable[str], *, districts: Mapping[str, int], today: date) -> Parsed:
    """Read and check the whole file without the database.

    ``districts`` maps a district name (case-folded) to its id.
    """
    parsed = Parsed()
    records = _records(lines)
    header_record = next(records, None)
    if header_record is None:
        parsed.errors.append(RowError(1, "", "the file is empty; expected a header row"))
        return parsed
    header_row, header = header_record
    header = [name.lower() for name in header]
    for name in sorted({n for n in header if header.count(n) > 1}):
        parsed.errors.append(RowError(header_row, name, "appears more than once in the header"))
    for name in header:
        if name not in COLUMNS:
            parsed.errors.append(RowError(header_row, name or "(blank)", "is not a known column"))
    missing = [name for name in COLUMNS if name not in header]
    for name in missing:
        parsed.errors.append(RowError(header_row, name, "is missing from the header"))
    if missing:
        parsed.errors = in_file_order(parsed.errors)
        return parsed  # without the columns no row can be read

    checked: list[_Record] = []
    for number, record in records:
        parsed.rows_read += 1
        if len(record) != len(header):
            parsed.errors.append(
                RowError(number, "", f"has {len(record)} values; the header has {len(header)} columns")
            )
            continue
        values = dict(zip(header, record, strict=True))
        row = _read_row(_RowReader(number, values, parsed.errors), districts=districts, today=today)
        checked.append(_Record(number, values, row))
    parsed.rows = _check_across_rows(checked, parsed.errors)
    parsed.errors = in_file_order(parsed.errors)
    return parsed


# --- Step 2: the file against the database -----------------------------------------------------


@dataclass
class Existing:
    """What the database already holds that the file's rows touch, keyed for lookups."""

    # request reference -> the stored request's values in the file's terms, plus "pk".
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    # child_ref (Child.legacy_ref) -> the stored child's details, plus "pk".
    children: dict[str, dict[str, Any]] = field(default_factory=dict)
    # UPN -> child_ref of the child holding it ("" for a child entered in the portal).
    upn_owners: dict[str, str] = field(default_factory=dict)
    # child pk -> references of its open requests.
    open_requests: dict[int, list[str]] = field(default_factory=dict)


def load_districts() -> dict[str, int]:
    return {name.casefold(): pk for pk, name in District.objects.values_list("pk", "name")}


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any] | RawSQL]:
    """The right-hand sides of ``__in`` filters covering ``values``, as few as the database allows.

    PostgreSQL: all of them in one array parameter (``IN (SELECT unnest(%s))``), which psycopg
    adapts in C; Django's ``IN (%s, %s, ...)`` prepares every value in Python, which cost more
    than the queries themselves at 100,000 rows. SQLite caps the parameters of one statement,
    so it gets chunks of plain values.
    """
    if not values:
        return
    if connection.vendor == "postgresql":
        yield RawSQL("SELECT unnest(%s)", (list(values),))
        return
    size = min(connection.features.max_query_params or 5000, 5000) - 10
    for start in range(0, len(values), size):
        yield values[start : start + size]


def load_existing(rows: Sequence[RequestRow]) -> Existing:
    """Read the requests, children, UPNs and open requests the rows touch (four queries on
    PostgreSQL, four per 5,000 rows on SQLite; never one per row). The ``exclude(... "")``
    terms repeat the conditions of the partial unique indexes, so that SQLite and PostgreSQL
    use those indexes for the lookups."""
    existing = Existing()
    refs = sorted({row.request_ref for row in rows})
    child_refs = sorted({row.child.child_ref for row in rows})
    upns = sorted({row.child.upn for row in rows if row.child.upn})
    for chunk in _chunks(refs):
        for values in (
            AssessmentRequest.objects.filter(reference__in=chunk)
            .exclude(reference="")
            .order_by()
            .values(
                "pk",
                "reference",
                "child__legacy_ref",
                "received_on",
                "source",
                "request_outcome",
                "request_outcome_on",
                "assessment_outcome",
                "assessment_outcome_on",
                "week20",
                "draft_issued_on",
            )
        ):
            existing.requests[values["reference"]] = {
                "pk": values["pk"],
                "child_ref": values["child__legacy_ref"],
                "received_on": values["received_on"],
                "source": values["source"],
                "request_outcome": values["request_outcome"],
                "request_outcome_on": values["request_outcome_on"],
                "assessment_outcome": values["assessment_outcome"],
                "assessment_outcome_on": values["assessment_outcome_on"],
                "week20_exception": values["week20"],
                "draft_issued_on": values["draft_issued_on"],
            }
    child_fields = ("pk", "legacy_ref", *_child_field_names())
    for chunk in _chunks(child_refs):
        for values in (
            Child.objects.filter(legacy_ref__in=chunk).exclude(legacy_ref="").order_by().values(*child_fields)
        ):
            existing.children[values["legacy_ref"]] = values
    for chunk in _chunks(upns):
        for upn, legacy_ref in (
            Child.objects.filter(upn__in=chunk).exclude(upn="").order_by().values_list("upn", "legacy_ref")
        ):
            existing.upn_owners[upn] = legacy_ref
    child_pks = [values["pk"] for values in existing.children.values()]
    for chunk in _chunks(child_pks):
        for child_id, reference in (
            AssessmentRequest.objects.open().filter(child_id__in=chunk).order_by().values_list("child_id", "reference")
        ):
            existing.open_requests.setdefault(child_id, []).append(reference)
    return existing


def _child_field_names() -> list[str]:
    return ["forename", "surname", "date_of_birth", "sex", "upn", "postcode", "district_id", "primary_need"]


@dataclass
class Plan:
    """What importing the checked rows would do."""

    to_import: list[RequestRow] = field(default_factory=list)
    skipped: int = 0
    # child_ref -> pk of a child already in the database.
    matched_children: dict[str, int] = field(default_factory=dict)
    # child_ref -> details of a child to create (from its first row).
    new_children: dict[str, ChildDetails] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


def check_against_database(rows: Sequence[RequestRow], existing: Existing) -> Plan:
    """Compare the rows with the database's contents (pure, given ``existing``)."""
    plan = Plan()
    children_checked: set[str] = set()
    for row in rows:
        ref = row.child.child_ref
        stored_child = existing.children.get(ref)
        if ref not in children_checked:
            children_checked.add(ref)
            if stored_child is not None:
                for column in _differing_columns(row.child, stored_child):
                    plan.errors.append(
                        RowError(row.row, column, "differs from the child already recorded with this child_ref")
                    )
            owner = existing.upn_owners.get(row.child.upn) if row.child.upn else None
            if owner is not None and owner != ref:
                plan.errors.append(RowError(row.row, "upn", "belongs to a different child already in the database"))

        stored = existing.requests.get(row.request_ref)
        if stored is not None:
            values = row.comparable()
            differing = [column for column, value in values.items() if stored[column] != value]
            for column in differing:
                plan.errors.append(
                    RowError(
                        row.row,
                        column,
                        f"request_ref {row.request_ref} is already in the database with a different value",
                    )
                )
            if not differing:
                plan.skipped += 1
            continue

        if row.is_open and stored_child is not None:
            open_refs = existing.open_requests.get(stored_child["pk"], [])
            if open_refs:
                plan.errors.append(
                    RowError(
                        row.row,
                        "request_outcome",
                        f"leaves a second request open for this child: {', '.join(sorted(open_refs))} is already "
                        "open in the database; a child can have only one request in progress",
                    )
                )
                continue
        plan.to_import.append(row)

    for row in plan.to_import:
        ref = row.child.child_ref
        if ref in existing.children:
            plan.matched_children[ref] = existing.children[ref]["pk"]
        else:
            plan.new_children.setdefault(ref, row.child)
    # Children the file names whose requests were all skipped still count as matched.
    for ref in children_checked:
        if ref in existing.children:
            plan.matched_children.setdefault(ref, existing.children[ref]["pk"])
    return plan


# --- Step 3: writing -------------------------------------------------------------------------------

# The columns the importer supplies (attnames, in the order of the value tuples below). Every
# other column takes its model default, by either path.
CHILD_FIELDS: tuple[str, ...] = (
    "legacy_ref",
    "forename",
    "surname",
    "date_of_birth",
    "sex",
    "upn",
    "postcode",
    "district_id",
    "primary_need",
)
REQUEST_FIELDS: tuple[str, ...] = (
    "reference",
    "child_id",
    "district_id",
    "received_on",
    "source",
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
    "final_plan_issued_on",
    "imported",
)
EVENT_FIELDS: tuple[str, ...] = ("request_id", "action", "from_status", "to_status", "occurred_at", "payload")


@functools.lru_cache(maxsize=8192)
def _clocks(received_on: date) -> clocks.RequestClocks:
    # Many rows share a day 1; a long history has a few thousand distinct ones.
    return clocks.request_clocks(received_on)


def _child_values(details: ChildDetails) -> tuple[Any, ...]:
    return (
        details.child_ref,
        details.forename,
        details.surname,
        details.date_of_birth,
        details.sex,
        details.upn,
        details.postcode,
        details.district_id,
        details.primary_need,
    )


def _request_values(row: RequestRow, child_id: int, district_id: int) -> tuple[Any, ...]:
    """The stored request, in REQUEST_FIELDS order: the same values whichever path writes it.

    No exception periods come from the old system, so each target equals its statutory date;
    the SEN2 week20 flag is taken from the file, where the old system recorded it. The
    district is the child's as stored (read under a lock for a child already recorded).
    """
    computed = _clocks(row.received_on)
    status = row.status
    return (
        row.request_ref,
        child_id,
        district_id,
        row.received_on,
        row.source,
        status.value,
        computed.decision_due_on,
        computed.not_issue_due_on,
        computed.final_plan_due_on,
        computed.decision_target_on,
        computed.not_issue_target_on,
        computed.final_plan_target_on,
        row.week20,
        workflow.next_deadline(
            status,
            decision_target_on=computed.decision_target_on,
            not_issue_target_on=computed.not_issue_target_on,
            final_plan_target_on=computed.final_plan_target_on,
        ),
        row.request_outcome,
        row.request_outcome_on,
        row.assessment_outcome,
        row.assessment_outcome_on,
        row.draft_issued_on,
        # SEN2: assessment outcome Y is dated the day the final plan was issued.
        row.assessment_outcome_on if status == Status.PLAN_ISSUED else None,
        True,
    )


def write(plan: Plan, *, source_name: str, use_copy: bool | None = None) -> None:
    """Insert the plan's children, requests and one "imported" event per request (call inside a
    transaction). PostgreSQL: ``COPY`` (``use_copy`` None picks it there); otherwise
    ``bulk_create``. Both store the same values, built once by the functions above."""
    if use_copy is None:
        use_copy = connection.vendor == "postgresql" and _copy_supported()
    now = timezone.now()
    new_children = list(plan.new_children.values())
    matched_districts = _lock_matched_children(plan)
    if use_copy:
        _write_by_copy(plan, new_children, matched_districts, source_name=source_name, now=now)
    else:
        _write_by_bulk_create(plan, new_children, matched_districts, source_name=source_name, now=now)


def _lock_matched_children(plan: Plan) -> dict[int, int]:
    """Lock the children already recorded that the imported requests name, and return their
    districts (child pk -> district id) as locked.

    The race this prevents: ``services.children.child_change_district`` locks a child, then its requests,
    and moves them all. Without this lock it could commit between ``load_existing`` and the
    writes, and the imported requests would keep the child's old district. Locking in pk order,
    as the services do, so two imports cannot deadlock each other. One query per chunk (one on
    PostgreSQL); a no-op lock on SQLite, which serialises writers anyway.
    """
    named = {row.child.child_ref for row in plan.to_import}
    pks = sorted(pk for ref, pk in plan.matched_children.items() if ref in named)
    locked: dict[int, int] = {}
    for chunk in _chunks(pks):
        locked.update(
            Child.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", "district_id")
        )
    if len(locked) != len(pks):
        # Deleted by somebody else since the checks: nothing is written (the transaction rolls back).
        raise ImportFailed(
            [RowError(0, "", "a child named in the file was removed meanwhile; nothing was imported, try again")]
        )
    return locked


def _district_id(row: RequestRow, child_id: int, matched_districts: Mapping[int, int]) -> int:
    """A new child's district is the file's; a recorded child's is the locked row's."""
    return matched_districts.get(child_id, row.child.district_id)


def _write_by_bulk_create(
    plan: Plan,
    new_children: list[ChildDetails],
    matched_districts: Mapping[int, int],
    *,
    source_name: str,
    now: Any,
) -> None:
    children = [Child(**dict(zip(CHILD_FIELDS, _child_values(d), strict=True))) for d in new_children]
    Child.objects.bulk_create(children, batch_size=BULK_BATCH_SIZE)
    child_ids = {**plan.matched_children, **{child.legacy_ref: child.pk for child in children}}

    requests = []
    for row in plan.to_import:
        child_id = child_ids[row.child.child_ref]
        values = _request_values(row, child_id, _district_id(row, child_id, matched_districts))
        requests.append(AssessmentRequest(**dict(zip(REQUEST_FIELDS, values, strict=True))))
    AssessmentRequest.objects.bulk_create(requests, batch_size=BULK_BATCH_SIZE)

    events = [
        RequestEvent(
            request_id=request.pk,
            actor=None,  # the system
            action=EVENT_ACTION,
            from_status="",
            to_status=request.status,
            occurred_at=now,
            # Where the row came from, nothing more: no personal data in the trail's payload.
            payload={"file": source_name, "row": row.row},
        )
        for row, request in zip(plan.to_import, requests, strict=True)
    ]
    RequestEvent.objects.bulk_create(events, batch_size=BULK_BATCH_SIZE)


def _write_by_copy(
    plan: Plan,
    new_children: list[ChildDetails],
    matched_districts: Mapping[int, int],
    *,
    source_name: str,
    now: Any,
) -> None:
    # Ids come from the tables' own sequences first (one query each), so that requests can
    # name their children and events their requests without reading anything back.
    child_pks = _next_ids(Child, len(new_children))
    _copy(
        Child,
        ("id", *CHILD_FIELDS),
        [(pk, *_child_values(d)) for pk, d in zip(child_pks, new_children, strict=True)],
        now,
    )
    child_ids = {**plan.matched_children, **{d.child_ref: pk for pk, d in zip(child_pks, new_children, strict=True)}}

    request_pks = _next_ids(AssessmentRequest, len(plan.to_import))
    _copy(
        AssessmentRequest,
        ("id", *REQUEST_FIELDS),
        [
            (pk, *_request_values(row, child_id, _district_id(row, child_id, matched_districts)))
            for pk, row in zip(request_pks, plan.to_import, strict=True)
            for child_id in (child_ids[row.child.child_ref],)
        ],
        now,
    )

    # The payload as bulk_create's JSONField would write it: {"file": ..., "row": n}.
    payload = '{"file": ' + json.dumps(source_name) + ', "row": '
    _copy(
        RequestEvent,
        EVENT_FIELDS,
        [
            (pk, EVENT_ACTION, "", row.status.value, now, f"{payload}{row.row}}}")
            for pk, row in zip(request_pks, plan.to_import, strict=True)
        ],
        now,
    )


def _copy_supported() -> bool:
    # psycopg2 (the driver requirements.txt pins) has copy_expert.
    with connection.cursor() as cursor:
        return hasattr(cursor.cursor, "copy_expert")


def _next_ids(model: type[Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's identity sequence (PostgreSQL)."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(model._meta.db_table), model._meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _copy(model: type[Model], columns: Sequence[str], rows: Iterable[tuple[Any, ...]], now: Any) -> None:
    """Write ``rows`` (values in ``columns`` order, attnames) with one ``COPY ... FROM STDIN``
    in the current transaction; the other columns take their defaults (``core.copy``)."""
    statement = copy.copy_statement(model, columns, now)
    buffer = io.StringIO()
    copy.write_rows(buffer, rows, statement.defaults)
    if not buffer.tell():
        return
    # The driver's own cursor, so its errors are wrapped as Django's (an IntegrityError or
    # DataError here means the database refused a row: import_lines reports it and the
    # transaction is rolled back).
    with connection.cursor() as cursor, connection.wrap_database_errors:
        copy.send(cursor.cursor, statement.sql, buffer)


def import_lines(
    lines: Iterable[str], *, source_name: str, dry_run: bool = False, today: date | None = None
) -> ImportResult:
    """Check every row, then import them all in one transaction, or raise :class:`ImportFailed`
    with every error and import nothing. ``source_name`` is the file's base name."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    parsed = parse_rows(lines, districts=load_districts(), today=today)
    try:
        with transaction.atomic():
            plan = check_against_database(parsed.rows, load_existing(parsed.rows))
            errors = parsed.errors + plan.errors
            if errors:
                raise ImportFailed(errors)
            if not dry_run:
                write(plan, source_name=source_name)
    except (IntegrityError, DataError) as exc:
        # Only a change made by somebody else since the checks above can get here (during the
        # writes, or at the commit, where PostgreSQL checks the deferred foreign keys), or a
        # value the checks let through and the database would not take.
        raise ImportFailed([RowError(0, "", _refused_reason(exc))]) from exc
    return ImportResult(
        source_name=source_name,
        rows_read=parsed.rows_read,
        children_created=len(plan.new_children),
        children_matched=len(plan.matched_children),
        requests_imported=len(plan.to_import),
        skipped=plan.skipped,
        seconds=time.perf_counter() - started,
        dry_run=dry_run,
    )


def _refused_reason(exc: Exception) -> str:
    """The message for an import the database refused: fixed words and the constraint's name,
    never the driver's text, whose DETAIL and CONTEXT quote the row (a UPN, a name, a date of
    birth)."""
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    named = f" (constraint {constraint})" if constraint else ""
    return f"the database refused the import{named}; nothing was imported, try again"


def import_file(path: Path | str, *, dry_run: bool = False, today: date | None = None) -> ImportResult:
    """Import a CSV file (UTF-8, optionally with a byte-order mark)."""
    path = Path(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            return import_lines(handle, source_name=path.name, dry_run=dry_run, today=today)
        except UnicodeDecodeError as exc:
            raise ImportFailed([RowError(0, "", "the file is not UTF-8 text")]) from exc
