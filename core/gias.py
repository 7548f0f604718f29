"""Read DfE's Get Information About Schools (GIAS) establishment download: pure rules, no ORM.

The national file (``edubasealldataYYYYMMDD.csv``) lists every establishment ever recorded in
England, open and closed: about 50,000 rows and 140 columns, Windows-1252, comma-separated,
dates as ``dd-mm-yyyy`` and codes as (often zero-padded) strings. Columns come and go between
file dates, so a column is found by its header name, never by its position
(docs/domain.md §8 describes the columns this loader relies on and how each is mapped).

``parse_gias`` reads and checks the whole file and returns every row it could read plus every
problem (row, column, reason), so ``manage.py load_establishments`` can refuse a bad file whole.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

ENCODING = "cp1252"

# Columns the loader needs: a file without one of these is refused before any row is read.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "URN",
    "LA (code)",
    "EstablishmentName",
    "TypeOfEstablishment (code)",
    "EstablishmentStatus (code)",
    "PhaseOfEducation (code)",
)
# Read when present (older or newer files may lack some).
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "LA (name)",
    "OpenDate",
    "CloseDate",
    "UKPRN",
    "Postcode",
    "DistrictAdministrative (name)",
    "Section41Approved (name)",
    "TypeOfResourcedProvision (name)",
    # In files before 22 April 2025 only (DfE dropped them); newer files load without them.
    "OfstedRating (name)",
    "OfstedLastInsp",
    *(f"SEN{n} (name)" for n in range(1, 14)),
)

# TypeOfEstablishment (code) -> the establishment group SEN Portal and SEN2's published tables
# use (core.models.EstablishmentType values). Codes DfE lists for establishments that a council
# never names in a plan (universities, Welsh and overseas schools, children's centres, online
# providers, …) are "other": loaded, so a URN on an old record resolves, but never offered as a
# placement type of their own.
TYPE_GROUPS: dict[int, str] = {
    1: "mainstream_maintained",  # community school
    2: "mainstream_maintained",  # voluntary aided
    3: "mainstream_maintained",  # voluntary controlled
    5: "mainstream_maintained",  # foundation school
    15: "early_years",  # local authority nursery school
    6: "mainstream_independent",  # city technology college
    11: "mainstream_independent",  # other independent school
    7: "special_maintained",  # community special school
    12: "special_maintained",  # foundation special school
    8: "non_maintained_special",
    10: "independent_special",  # other independent special school
    33: "special_academy",  # academy special sponsor led
    36: "special_academy",  # free schools special
    44: "special_academy",  # academy special converter
    28: "mainstream_academy",  # academy sponsor led
    34: "mainstream_academy",  # academy converter
    35: "mainstream_academy",  # free schools
    40: "mainstream_academy",  # university technical college
    41: "mainstream_academy",  # studio schools
    14: "alternative_provision",  # pupil referral unit
    38: "alternative_provision",  # free schools alternative provision
    42: "alternative_provision",  # academy AP converter
    43: "alternative_provision",  # academy AP sponsor led
    18: "further_education",
    31: "further_education",  # sixth form centres
    39: "further_education",  # free schools 16 to 19
    45: "further_education",  # academy 16-19 converter
    46: "further_education",  # academy 16 to 19 sponsor led
    32: "specialist_post16",  # special post 16 institution
    24: "other",  # secure units
    57: "other",  # academy secure 16 to 19
    25: "other",  # offshore schools
    26: "other",  # service children's education
    27: "other",  # miscellaneous
    29: "other",  # higher education institutions
    30: "other",  # Welsh establishment
    37: "other",  # British schools overseas
    47: "other",  # children's centre
    48: "other",  # children's centre linked site
    49: "other",  # online provider
    56: "other",  # institution funded by other government department
}

# PhaseOfEducation (code) -> core.models.Phase values.
PHASES: dict[int, str] = {
    0: "not_applicable",
    1: "early_years",  # nursery
    2: "primary",
    3: "primary",  # middle deemed primary
    4: "secondary",
    5: "secondary",  # middle deemed secondary
    6: "post_16",
    7: "all_through",
}

# EstablishmentStatus (code) -> core.models.EstablishmentStatus values. "Open, but proposed to
# close" is still open: a child can be placed there today.
STATUSES: dict[int, str] = {1: "open", 2: "closed", 3: "open_closing", 4: "proposed"}
OPEN_STATUSES = frozenset({"open", "open_closing"})

# The types a council commissions out of its own area: independent and non-maintained special
# schools and specialist post-16 institutions anywhere in England (``--la`` keeps them).
COMMISSIONED_GROUPS = frozenset({"independent_special", "non_maintained_special", "specialist_post16"})

NEED_CODES = frozenset({"SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "OTH"})
RESOURCED_PROVISION = frozenset({"Resourced provision", "Resourced provision and SEN unit"})
SEN_UNIT = frozenset({"SEN unit", "Resourced provision and SEN unit"})

# OfstedRating (name) -> core.models.OfstedGrade values. "Serious Weaknesses" and "Special
# Measures" are the two categories of an inadequate school; blank means not inspected (or no
# grade published).
OFSTED_GRADES: dict[str, str] = {
    "outstanding": "outstanding",
    "good": "good",
    "requires improvement": "requires_improvement",
    "satisfactory": "requires_improvement",  # the grade "requires improvement" replaced in 2012
    "inadequate": "inadequate",
    "serious weaknesses": "inadequate",
    "special measures": "inadequate",
}

LA_CODE = re.compile(r"^\d{3}$")
UKPRN = re.compile(r"^1\d{7}$")  # UK Provider Reference Numbers are 8 digits starting with 1
POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")


@dataclass(frozen=True)
class GiasRow:
    """One establishment as SEN Portal stores it."""

    urn: int
    name: str
    la_code: str
    type_code: int
    type_group: str
    phase: str
    status: str
    opened_on: date | None
    closed_on: date | None
    ukprn: int | None
    postcode: str
    district_name: str
    s41_approved: bool
    sen_provision: tuple[str, ...]
    has_sen_unit: bool
    has_resourced_provision: bool
    ofsted_grade: str = ""
    ofsted_inspected_on: date | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class Problem:
    """A reason the file cannot be loaded: ``row`` 1 is the header, data starts at 2."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}" if self.row else f"{self.column}: {self.reason}"


@dataclass
class ParseResult:
    rows: list[GiasRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped_other_la: int = 0
    # The file has GIAS's Ofsted columns (files before 22 April 2025).
    has_ofsted: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def _code(value: str, column: str, table: dict[int, str], problems: list[Problem], line: int) -> int | None:
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        problems.append(Problem(line, column, f"'{text}' is not a number code"))
        return None
    code = int(text)
    if code not in table:
        problems.append(Problem(line, column, f"code {code} is not one SEN Portal knows"))
        return None
    return code


def _date(value: str, column: str, problems: list[Problem], line: int) -> date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%d-%m-%Y").date()
    except ValueError:
        problems.append(Problem(line, column, f"'{text}' is not a date in the form dd-mm-yyyy"))
        return None


def _need_codes(record: dict[str, str]) -> tuple[str, ...]:
    """SEN1–SEN13 each name one provision type ("ASD - Autistic Spectrum Disorder"); the prefix
    before " - ", upper-cased, is the SEN2 need code ("SpLD" -> "SPLD"). "Not Applicable" and
    unknown prefixes are ignored (some rows say "Not Applicable" in SEN1 and list types after)."""
    codes: list[str] = []
    for n in range(1, 14):
        value = (record.get(f"SEN{n} (name)") or "").strip()
        prefix = value.split(" - ", 1)[0].strip().upper()
        if prefix in NEED_CODES and prefix not in codes:
            codes.append(prefix)
    return tuple(codes)


def parse_record(record: dict[str, str], line: int, problems: list[Problem]) -> GiasRow | None:
    """One CSV record (header name -> text) as a ``GiasRow``, or None with its problems added."""
    before = len(problems)
    urn_text = (record.get("URN") or "").strip()
    urn = int(urn_text) if urn_text.isascii() and urn_text.isdigit() and 0 < int(urn_text) < 2**31 else None
    if urn is None:
        problems.append(Problem(line, "URN", f"'{urn_text}' is not a URN (a whole number)"))
    name = " ".join((record.get("EstablishmentName") or "").split())
    if not name:
        problems.append(Problem(line, "EstablishmentName", "is empty"))
    elif len(name) > 200:
        problems.append(Problem(line, "EstablishmentName", "is longer than 200 characters"))
    la_code = (record.get("LA (code)") or "").strip()
    if not LA_CODE.match(la_code):
        problems.append(Problem(line, "LA (code)", f"'{la_code}' is not a 3-digit local authority code"))
    type_code = _code(
        record.get("TypeOfEstablishment (code)") or "", "TypeOfEstablishment (code)", TYPE_GROUPS, problems, line
    )
    status_code = _code(
        record.get("EstablishmentStatus (code)") or "", "EstablishmentStatus (code)", STATUSES, problems, line
    )
    phase_code = _code(record.get("PhaseOfEducation (code)") or "", "PhaseOfEducation (code)", PHASES, problems, line)
    opened_on = _date(record.get("OpenDate") or "", "OpenDate", problems, line)
    closed_on = _date(record.get("CloseDate") or "", "CloseDate", problems, line)
    if opened_on and closed_on and closed_on < opened_on:
        problems.append(Problem(line, "CloseDate", f"{closed_on:%d-%m-%Y} is before the OpenDate {opened_on:%d-%m-%Y}"))
    ukprn_text = (record.get("UKPRN") or "").strip()
    ukprn: int | None = None
    if ukprn_text:
        if UKPRN.match(ukprn_text):
            ukprn = int(ukprn_text)
        else:
            problems.append(Problem(line, "UKPRN", f"'{ukprn_text}' is not an 8-digit UK provider reference number"))
    postcode = " ".join((record.get("Postcode") or "").upper().split())
    if postcode and not POSTCODE.match(postcode):
        problems.append(Problem(line, "Postcode", f"'{postcode}' is not a UK postcode"))
    provision = (record.get("TypeOfResourcedProvision (name)") or "").strip()
    ofsted_grade, ofsted_inspected_on = _ofsted(record, line, problems)
    if len(problems) > before or urn is None or type_code is None or status_code is None or phase_code is None:
        return None
    return GiasRow(
        urn=urn,
        name=name,
        la_code=la_code,
        type_code=type_code,
        type_group=TYPE_GROUPS[type_code],
        phase=PHASES[phase_code],
        status=STATUSES[status_code],
        opened_on=opened_on,
        closed_on=closed_on,
        ukprn=ukprn,
        postcode=postcode,
        district_name=" ".join((record.get("DistrictAdministrative (name)") or "").split()),
        s41_approved=(record.get("Section41Approved (name)") or "").strip().lower() == "approved",
        sen_provision=_need_codes(record),
        has_sen_unit=provision in SEN_UNIT,
        has_resourced_provision=provision in RESOURCED_PROVISION,
        ofsted_grade=ofsted_grade,
        ofsted_inspected_on=ofsted_inspected_on,
    )


def _ofsted(record: dict[str, str], line: int, problems: list[Problem]) -> tuple[str, date | None]:
    """The latest Ofsted grade and its inspection date, both or neither: a grade without a
    date (or a date without a grade) is loaded as not known rather than refused, as GIAS leaves
    either blank for schools another inspectorate inspects."""
    rating = " ".join((record.get("OfstedRating (name)") or "").split())
    inspected_on = _date(record.get("OfstedLastInsp") or "", "OfstedLastInsp", problems, line)
    if not rating:
        return "", None
    grade = OFSTED_GRADES.get(rating.lower())
    if grade is None:
        problems.append(Problem(line, "OfstedRating (name)", f"'{rating}' is not an Ofsted grade SEN Portal knows"))
        return "", None
    if inspected_on is None:
        return "", None
    return grade, inspected_on


def keep_for_council(row: GiasRow, la_code: str | None) -> bool:
    """With a council's LA code: its own establishments, and the special and post-16 providers
    it commissions anywhere in England. Without one: every row."""
    return la_code is None or row.la_code == la_code or row.type_group in COMMISSIONED_GROUPS


def read_records(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    return csv.DictReader(lines)


def parse_gias(data: bytes, *, la_code: str | None = None, max_problems: int = 200) -> ParseResult:
    """Check the whole file and return its rows (for ``la_code``'s council when given) and its
    problems; stop listing after ``max_problems`` (the count of rows read goes on)."""
    result = ParseResult()
    if la_code is not None and not LA_CODE.match(la_code):
        result.problems.append(Problem(0, "--la", f"'{la_code}' is not a 3-digit local authority code"))
        return result
    try:
        text = data.decode(ENCODING)
    except UnicodeDecodeError as error:
        result.problems.append(Problem(0, "file", f"is not Windows-1252 text (byte {error.start})"))
        return result
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        result.problems.append(Problem(1, ", ".join(missing), "missing from the header row"))
        return result
    result.has_ofsted = "OfstedRating (name)" in header
    seen: dict[int, int] = {}
    problems: list[Problem] = []
    for line, record in enumerate(reader, start=2):
        surplus = record.get(None) or []  # DictReader keeps extra fields under None
        if isinstance(surplus, list) and surplus:
            total = len(header) + len(surplus)
            problems.append(Problem(line, "row", f"has {total} fields; the header has {len(header)}"))
            continue
        row = parse_record(record, line, problems)
        if row is None:
            continue
        if row.urn in seen:
            problems.append(Problem(line, "URN", f"{row.urn} is also on row {seen[row.urn]}"))
            continue
        seen[row.urn] = line
        if keep_for_council(row, la_code):
            result.rows.append(row)
        else:
            result.skipped_other_la += 1
    result.problems = problems[:max_problems]
    if len(problems) > max_problems:
        result.problems.append(Problem(0, "file", f"{len(problems) - max_problems} more problems not listed"))
    return result
