"""Step 1 of the import: read the CSV and check each row on its own and against the other rows
of the file (codes, dates and their order, required values, duplicate references, a child's
details agreeing between rows, one open request per child).

Pure: no database access (the districts are passed in), so every rule is tested without one.
Every error names the row (as in the file: the header is row 1), the column and the reason, and
all of them are reported. Error messages never repeat a child's personal details.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core import sen2codes
from core.models import NeedType
from requests_app import clocks, workflow
from requests_app.models import RequestSource, Sen2Outcome, Sex

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
# Optional columns for the SEN2 return (docs/sen2.md): a file may leave any of them out.
SEN2_COLUMNS: tuple[str, ...] = (
    "ethnicity",
    "uln",
    "upn_unknown",
    "sen2_request_source",
    "rya",
    "plan_start_on",
    "plan_ceased_on",
    "plan_cease_reason",
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
CHILD_COLUMNS: tuple[str, ...] = (
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
class Sen2Items:
    """The optional SEN2 columns of a row (blank when the file leaves them out)."""

    ethnicity: str = ""
    uln: str = ""
    upn_unknown: str = ""
    sen2_request_source: str = ""
    rya: bool = False
    plan_start_on: date | None = None
    plan_ceased_on: date | None = None
    plan_cease_reason: str = ""

    def any(self) -> bool:
        return self != Sen2Items()


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
    sen2: Sen2Items = Sen2Items()

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
            shown = "" if column in CHILD_COLUMNS else f"'{value}' "
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
    sen2 = _read_sen2(reader, today=today, plan_issued=assessment_outcome == "Y")

    # What each outcome allows (SEN2 guide, docs/domain.md §3.3).
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
        sen2=sen2,
    )


def _read_sen2(reader: _RowReader, *, today: date, plan_issued: bool) -> Sen2Items:
    """The optional SEN2 columns, checked against their code lists (core/sen2codes.py)."""
    ethnicity = reader.code("ethnicity", tuple(sen2codes.ETHNICITIES))
    uln = reader.text("uln")
    if uln and "uln" not in reader.failed and not sen2codes.uln_valid(uln):
        reader.error("uln", "is not a unique learner number (10 digits with a valid check digit)")
    upn_unknown = reader.code("upn_unknown", tuple(sen2codes.UPN_UNKNOWN))
    source = reader.code("sen2_request_source", sen2codes.REQUEST_SOURCES)
    rya = reader.values.get("rya", "") or "0"
    if rya not in ("0", "1"):
        reader.error("rya", f"'{rya}' is not valid; use 0 or 1")
    start = reader.date("plan_start_on", today=today)
    ceased = reader.date("plan_ceased_on", today=today)
    reason = reader.code("plan_cease_reason", tuple(sen2codes.CEASE_REASONS))
    reader.only_when("plan_start_on", start, plan_issued, "unless assessment_outcome is Y (plan issued)")
    reader.only_when("plan_ceased_on", ceased, plan_issued, "unless assessment_outcome is Y (plan issued)")
    reader.needed_when("plan_cease_reason", reason, bool(ceased), "when plan_ceased_on is given")
    reader.needed_when("plan_ceased_on", ceased, bool(reason), "when plan_cease_reason is given")
    reader.after("plan_ceased_on", ceased, "plan_start_on", start)
    return Sen2Items(ethnicity, uln, upn_unknown, source, rya == "1", start, ceased, reason)


def _child_key(values: Mapping[str, str]) -> dict[str, str]:
    """A row's child details as text, normalised as the rows are read, for comparing rows
    (whether or not each row is otherwise valid, so that every disagreement is reported)."""
    key = {column: values.get(column, "") for column in CHILD_COLUMNS}
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
            for column in CHILD_COLUMNS:
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
        if name not in COLUMNS and name not in SEN2_COLUMNS:
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
