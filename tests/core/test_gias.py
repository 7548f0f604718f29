"""Reading DfE's GIAS establishment file: pure rules, no database."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from core import gias
from core.models import EstablishmentStatus, EstablishmentType, Phase
from demo.gias_sample import COLUMNS, gias_sample


def _file(*records: dict[str, str], columns: tuple[str, ...] = COLUMNS) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow(record)
    return out.getvalue().encode("cp1252")


def _school(**overrides: str) -> dict[str, str]:
    record = {
        "URN": "118000",
        "LA (code)": "886",
        "EstablishmentName": "Oakfield Community Primary School",
        "TypeOfEstablishment (code)": "1",
        "EstablishmentStatus (code)": "1",
        "PhaseOfEducation (code)": "2",
        "OpenDate": "01-09-1975",
        "CloseDate": "",
        "Postcode": "me14 1xx",
        "DistrictAdministrative (name)": "Maidstone",
        "UKPRN": "",
    }
    record.update(overrides)
    return record


def test_every_mapped_value_is_a_stored_choice():
    assert set(gias.TYPE_GROUPS.values()) <= set(EstablishmentType.values)
    assert set(gias.PHASES.values()) <= set(Phase.values)
    assert set(gias.STATUSES.values()) <= set(EstablishmentStatus.values)
    assert gias.COMMISSIONED_GROUPS <= set(EstablishmentType.values)


def test_a_community_primary_school_is_read_with_its_postcode_tidied():
    result = gias.parse_gias(_file(_school()))
    assert result.problems == []
    (row,) = result.rows
    assert (row.urn, row.la_code, row.type_group, row.phase, row.status) == (
        118000,
        "886",
        "mainstream_maintained",
        "primary",
        "open",
    )
    assert row.postcode == "ME14 1XX"
    assert row.is_open and row.district_name == "Maidstone"


@pytest.mark.parametrize(
    ("code", "group"),
    [("10", "independent_special"), ("8", "non_maintained_special"), ("44", "special_academy"),
     ("7", "special_maintained"), ("32", "specialist_post16"), ("14", "alternative_provision"),
     ("34", "mainstream_academy"), ("18", "further_education"), ("30", "other")],
)  # fmt: skip
def test_type_of_establishment_maps_to_the_published_group(code, group):
    (row,) = gias.parse_gias(_file(_school(**{"TypeOfEstablishment (code)": code}))).rows
    assert row.type_group == group


@pytest.mark.parametrize(("code", "is_open"), [("1", True), ("3", True), ("2", False), ("4", False)])
def test_open_and_proposed_to_close_can_take_a_child_closed_and_proposed_cannot(code, is_open):
    (row,) = gias.parse_gias(_file(_school(**{"EstablishmentStatus (code)": code}))).rows
    assert row.is_open is is_open


def test_sen_provision_types_and_unit_flags_are_derived():
    record = _school(
        **{
            "SEN1 (name)": "Not Applicable",
            "SEN2 (name)": "SpLD - Specific Learning Difficulty",
            "SEN3 (name)": "ASD - Autistic Spectrum Disorder",
            "TypeOfResourcedProvision (name)": "Resourced provision and SEN unit",
        }
    )
    (row,) = gias.parse_gias(_file(record)).rows
    assert row.sen_provision == ("SPLD", "ASD")
    assert row.has_sen_unit and row.has_resourced_provision


def test_windows_1252_names_are_read():
    (row,) = gias.parse_gias(_file(_school(EstablishmentName="Côte Vale School"))).rows
    assert row.name == "Côte Vale School"


def test_columns_are_found_by_name_not_position():
    columns = tuple(reversed(gias.REQUIRED_COLUMNS)) + ("Postcode",)
    (row,) = gias.parse_gias(_file(_school(), columns=columns)).rows
    assert row.urn == 118000 and row.postcode == "ME14 1XX"


def test_a_missing_required_column_refuses_the_file():
    columns = tuple(c for c in COLUMNS if c != "TypeOfEstablishment (code)")
    result = gias.parse_gias(_file(_school(), columns=columns))
    assert result.rows == []
    assert [str(p) for p in result.problems] == [
        "row 1, column TypeOfEstablishment (code): missing from the header row"
    ]


@pytest.mark.parametrize(
    ("overrides", "column", "reason"),
    [
        ({"URN": "12a"}, "URN", "'12a' is not a URN"),
        ({"URN": "²"}, "URN", "is not a URN"),
        ({"EstablishmentName": "  "}, "EstablishmentName", "is empty"),
        ({"LA (code)": "88"}, "LA (code)", "not a 3-digit"),
        ({"TypeOfEstablishment (code)": "99"}, "TypeOfEstablishment (code)", "code 99 is not one SEN Portal knows"),
        ({"EstablishmentStatus (code)": "x"}, "EstablishmentStatus (code)", "not a number code"),
        ({"PhaseOfEducation (code)": "8"}, "PhaseOfEducation (code)", "code 8"),
        ({"OpenDate": "1975-09-01"}, "OpenDate", "not a date in the form dd-mm-yyyy"),
        ({"CloseDate": "01-09-1970"}, "CloseDate", "before the OpenDate"),
        ({"UKPRN": "1234"}, "UKPRN", "not an 8-digit"),
        ({"Postcode": "NOT A POSTCODE"}, "Postcode", "not a UK postcode"),
    ],
)
def test_each_bad_value_is_reported_with_row_column_and_reason(overrides, column, reason):
    result = gias.parse_gias(_file(_school(URN="100001"), _school(**overrides)))
    assert result.rows[0].urn == 100001 if result.rows else True
    bad = [p for p in result.problems if p.row == 3]
    assert [p.column for p in bad] == [column]
    assert reason in bad[0].reason


def test_a_urn_twice_is_reported_on_the_second_row():
    result = gias.parse_gias(_file(_school(), _school(EstablishmentName="Other")))
    assert [str(p) for p in result.problems] == ["row 3, column URN: 118000 is also on row 2"]


def test_a_row_with_more_fields_than_the_header_is_reported():
    data = _file(_school(), columns=gias.REQUIRED_COLUMNS) + b'1,886,"X",1,1,2,surplus\r\n'
    result = gias.parse_gias(data)
    assert [p.column for p in result.problems] == ["row"]


def test_a_file_that_is_not_windows_1252_is_refused():
    result = gias.parse_gias(b"URN\r\n\x81\x8d\x8f\r\n")
    assert result.problems and result.problems[0].column == "file"


def test_a_council_keeps_its_own_and_the_providers_it_commissions_elsewhere():
    records = [
        _school(URN="1", **{"LA (code)": "886"}),
        _school(URN="2", **{"LA (code)": "201"}),
        _school(URN="3", **{"LA (code)": "201", "TypeOfEstablishment (code)": "10", "PhaseOfEducation (code)": "0"}),
        _school(URN="4", **{"LA (code)": "212", "TypeOfEstablishment (code)": "32", "PhaseOfEducation (code)": "6"}),
    ]
    result = gias.parse_gias(_file(*records), la_code="886")
    assert [row.urn for row in result.rows] == [1, 3, 4]
    assert result.skipped_other_la == 1
    assert gias.parse_gias(b"", la_code="88x").problems[0].column == "--la"


def test_the_synthetic_national_file_has_the_real_layout_and_reads_cleanly():
    data = gias_sample(rows=2_000, seed=3, districts=("Maidstone", "Swale"))
    header = data.split(b"\r\n", 1)[0].decode("cp1252").split(",")
    assert len(header) == len(COLUMNS) > 130
    assert "SenUnitOnRoll" in header  # GIAS's spelling, not "SENUnitOnRoll"
    result = gias.parse_gias(data)
    assert result.problems == []
    assert len(result.rows) == 2_000
    assert any(not row.is_open for row in result.rows) and any(row.sen_provision for row in result.rows)


# --- Ofsted (files before 22 April 2025) -------------------------------------------------------------

OFSTED_COLUMNS = (*COLUMNS, "OfstedRating (name)", "OfstedLastInsp")


@pytest.mark.parametrize(
    ("rating", "grade"),
    [
        ("Outstanding", "outstanding"),
        ("Good", "good"),
        ("Requires improvement", "requires_improvement"),
        ("Serious Weaknesses", "inadequate"),
        ("Special Measures", "inadequate"),
        ("Inadequate", "inadequate"),
    ],
)
def test_an_older_file_gives_the_ofsted_grade_and_date(rating, grade):
    record = _school(**{"OfstedRating (name)": rating, "OfstedLastInsp": "04-03-2025"})
    result = gias.parse_gias(_file(record, columns=OFSTED_COLUMNS))
    assert result.problems == [] and result.has_ofsted
    (row,) = result.rows
    assert (row.ofsted_grade, row.ofsted_inspected_on) == (grade, date(2025, 3, 4))


def test_a_grade_without_a_date_is_not_known_and_an_unknown_grade_is_a_problem():
    undated = gias.parse_gias(_file(_school(**{"OfstedRating (name)": "Good"}), columns=OFSTED_COLUMNS))
    assert undated.rows[0].ofsted_grade == "" and undated.rows[0].ofsted_inspected_on is None
    odd = gias.parse_gias(
        _file(_school(**{"OfstedRating (name)": "Brilliant", "OfstedLastInsp": "04-03-2025"}), columns=OFSTED_COLUMNS)
    )
    assert [(p.column, p.reason) for p in odd.problems] == [
        ("OfstedRating (name)", "'Brilliant' is not an Ofsted grade SEN Portal knows")
    ]


def test_a_newer_file_has_no_ofsted_columns_and_says_so():
    result = gias.parse_gias(_file(_school()))
    assert not result.has_ofsted and result.rows[0].ofsted_grade == ""
    sample = gias.parse_gias(gias_sample(rows=300, seed=5, with_ofsted=True))
    assert sample.problems == [] and sample.has_ofsted
    assert {row.ofsted_grade for row in sample.rows} >= {"good", "requires_improvement"}
