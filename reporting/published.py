"""DfE's published LA-level EHC plan statistics, read from the release's CSV files
(docs/published-statistics.md names the columns relied on).

``parse_published_csv`` is pure (no database): it reads one CSV file in the explore-education-
statistics layout (``time_period``, ``geographic_level``, the area columns, then measures), keeps
the total rows of England, the regions and the local authorities, and returns the counts it
knows by area and year. ``published_load`` stores them (one row per year and area, replaced in
place, in one transaction). Nothing is downloaded: an administrator runs
``manage.py load_published_ehcp_stats FILE.csv`` with files saved from the release.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import ValidationFailed

# The measures read, by our field name, with the column names DfE has used for them
# (the reporting-year 2023+ files first, then the 2014-2022 series' snake_case names).
MEASURES: dict[str, tuple[str, ...]] = {
    "requests_received": ("requests_received_in_year", "inreq_ehc"),
    "requests_refused": ("requests_decided_not_to_assess", "ass_refused_ehc"),
    "plans_issued": ("plans_issued_den", "tot_inc_exc_ehc"),
    "plans_issued_within_20_weeks": ("plans_issued_within_20_weeks", "inc_exc_20week_ehc"),
    "plans_issued_excluding_exceptions": ("plans_issued_den_ex", "tot_no_exc_ehc"),
    "plans_issued_within_20_weeks_excluding_exceptions": ("plans_issued_20_weeks_ex", "no_exc_20week_ehc"),
}
# The explore-education-statistics columns that place a row; everything else that is not a
# measure is a breakdown (age, establishment type, ...) and only its "Total" rows are kept.
GEOGRAPHY = {
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
}
LEVELS = {"National": "national", "Regional": "regional", "Local authority": "local_authority"}
TOTALS = {"", "total", "all", "all ages"}
# DfE's symbols for a value not given: c confidential (suppressed), x not available, z not
# applicable, u low reliability, ":" not available (older files).
NOT_GIVEN = {"c", "x", "z", "u", ":", "low", ""}
ENGLAND_CODE = "E92000001"


@dataclass
class PublishedRow:
    year: int
    level: str
    area_code: str
    area_name: str
    counts: dict[str, int | None] = field(default_factory=dict)


class PublishedFileError(ValidationFailed):
    """The file is not one of the release's CSV files as documented; says which row and column."""


def _year(text: str, line: int) -> int:
    """``time_period`` as a calendar year: "2024", or an academic-year form "202324" (its first year)."""
    digits = text.strip()
    if not digits.isdigit() or len(digits) not in (4, 6):
        raise PublishedFileError(f"Row {line}, column time_period: {text!r} is not a year such as 2024")
    return int(digits[:4])


def _count(text: str, line: int, column: str) -> int | None:
    value = text.strip().replace(",", "")
    if value.lower() in NOT_GIVEN:
        return None
    if not value.isdigit():
        raise PublishedFileError(f"Row {line}, column {column}: {text!r} is not a count")
    return int(value)


def parse_published_csv(lines: Iterable[str]) -> list[PublishedRow]:
    """The total rows of a release CSV file, by year and area; the whole file is checked first."""
    reader = csv.DictReader(lines)
    columns = [c.strip() for c in reader.fieldnames or []]
    reader.fieldnames = columns
    missing = {"time_period", "geographic_level"} - set(columns)
    if missing:
        raise PublishedFileError(f"The file has no {', '.join(sorted(missing))} column: is it a release CSV file?")
    found = {name: next((c for c in aliases if c in columns), None) for name, aliases in MEASURES.items()}
    if not any(found.values()):
        known = ", ".join(alias for aliases in MEASURES.values() for alias in aliases[:1])
        raise PublishedFileError(f"The file has none of the measures read ({known})")
    measure_columns = {c for c in found.values() if c}
    others = [c for c in columns if c not in GEOGRAPHY and c not in measure_columns]
    rows: dict[tuple[int, str], PublishedRow] = {}
    for line, record in enumerate(reader, start=2):
        level = LEVELS.get((record.get("geographic_level") or "").strip())
        if level is None:
            continue  # local authority district, parliamentary constituency, ...
        if any(_breakdown_value(record.get(c) or "") for c in others):
            continue  # a breakdown row (an age group, a setting, ...): only the totals are read
        year = _year(record.get("time_period") or "", line)
        if level == "national":
            code, name = record.get("country_code") or ENGLAND_CODE, record.get("country_name") or "England"
        elif level == "regional":
            code, name = record.get("region_code") or "", record.get("region_name") or ""
        else:
            code, name = record.get("old_la_code") or "", record.get("la_name") or ""
            if not (code.strip().isdigit() and len(code.strip()) == 3):
                raise PublishedFileError(f"Row {line}, column old_la_code: {code!r} is not a 3-digit LA number")
        key = (year, code.strip())
        row = rows.setdefault(key, PublishedRow(year, level, code.strip(), name.strip()))
        for name_, column in found.items():
            if column:
                row.counts[name_] = _count(record.get(column) or "", line, column)
    return list(rows.values())


def _breakdown_value(text: str) -> bool:
    """Whether a cell names a breakdown other than the total: text that is neither a number,
    nor one of DfE's symbols, nor "Total". (Other measures hold numbers or symbols.)"""
    value = text.strip().replace(",", "").lower()
    if value in TOTALS or value in NOT_GIVEN:
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def published_load(*, rows: list[PublishedRow], source_file: str) -> int:
    """Store the parsed rows: each (year, area) row created or updated with the measures this
    file has (a second file of the same release adds its measures to the same rows). One
    transaction; returns the number of rows written."""
    from reporting.models import PublishedEhcpFigures

    now = timezone.now()
    with transaction.atomic():
        for row in rows:
            defaults: dict[str, Any] = {
                "level": row.level,
                "area_name": row.area_name[:100],
                "source_file": source_file[:200],
                "loaded_at": now,
                **row.counts,
            }
            PublishedEhcpFigures.objects.update_or_create(year=row.year, area_code=row.area_code, defaults=defaults)
    return len(rows)


# --- The comparison with England and the statistical neighbours (pure) ------------------------------

# (our annual figure, numerator count, denominator count) for each rate compared.
RATES: dict[str, tuple[str, str, str]] = {
    "refusal_rate_dfe": ("refusal_rate_dfe", "requests_refused", "requests_received"),
    "pc_plans_issued_within_20_weeks": (
        "pc_plans_issued_within_20_weeks",
        "plans_issued_within_20_weeks",
        "plans_issued",
    ),
    "pc_plans_issued_within_20_weeks_excluding_exceptions": (
        "pc_plans_issued_within_20_weeks_excluding_exceptions",
        "plans_issued_within_20_weeks_excluding_exceptions",
        "plans_issued_excluding_exceptions",
    ),
}
COMPARED_AREAS = ("ours", "published", "england", "neighbours")


def _rate(numerator: int, denominator: int) -> float | None:
    return round(100 * numerator / denominator, 1) if denominator else None


def area_rate(counts: Iterable[dict[str, int | None]], numerator: str, denominator: str) -> float | None:
    """A rate over one or more areas: summed numerators ÷ summed denominators × 100, one
    decimal. An area whose numerator or denominator is not published (suppressed) is left out."""
    top = bottom = 0
    for each in counts:
        n, d = each.get(numerator), each.get(denominator)
        if n is None or d is None:
            continue
        top, bottom = top + n, bottom + d
    return _rate(top, bottom)


def compare_published(
    *,
    ours: dict[int, dict[str, Any]],
    published: Iterable[PublishedRow],
    council_code: str,
    neighbours: Iterable[str],
) -> dict[int, dict[str, dict[str, float | None]]]:
    """For each year: each rate in ``RATES`` for this council (its stored figures), as DfE
    published it for this council, for England, and for the statistical neighbours together
    (their counts summed). Years with neither our figures nor published ones are left out."""
    neighbour_codes = set(neighbours)
    by_year: dict[int, list[PublishedRow]] = {}
    for row in published:
        by_year.setdefault(row.year, []).append(row)
    result: dict[int, dict[str, dict[str, float | None]]] = {}
    for year in sorted(set(ours) | set(by_year)):
        rows = by_year.get(year, [])
        council = [r.counts for r in rows if r.level == "local_authority" and r.area_code == council_code]
        england = [r.counts for r in rows if r.level == "national"]
        near = [r.counts for r in rows if r.level == "local_authority" and r.area_code in neighbour_codes]
        result[year] = {
            rate: {
                "ours": (ours.get(year) or {}).get(our_key),
                "published": area_rate(council, numerator, denominator) if council else None,
                "england": area_rate(england, numerator, denominator) if england else None,
                "neighbours": area_rate(near, numerator, denominator) if near else None,
            }
            for rate, (our_key, numerator, denominator) in RATES.items()
        }
    return result
