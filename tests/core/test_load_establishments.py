"""A council's own set-up on an empty database: the council, its districts, the GIAS file."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from core.models import Council, District, Establishment
from core.services import council_set
from demo.core_demo import KENT_DISTRICTS
from demo.gias_sample import gias_sample
from requests_app.models import AssessmentRequest
from tests.core.test_gias import _file, _school

pytestmark = pytest.mark.django_db


def _load(tmp_path, data: bytes, *args: str) -> str:
    path = tmp_path / "edubasealldata.csv"
    path.write_bytes(data)
    out = io.StringIO()
    call_command("load_establishments", str(path), *args, stdout=out, stderr=out)
    return out.getvalue()


def test_set_council_names_the_council_and_its_districts():
    call_command("set_council", "--name", "Exampleshire Council", "--la", "886", "--district", "Maidstone",
                 "--district", "Swale", stdout=io.StringIO())  # fmt: skip
    council = Council.objects.get()
    assert (council.name, council.la_number) == ("Exampleshire Council", "886")
    assert set(District.objects.values_list("name", flat=True)) == {"Maidstone", "Swale"}
    # Running it again changes the one row and adds no duplicate district.
    call_command("set_council", "--name", "Exampleshire CC", "--la", "886", "--district", "maidstone",
                 stdout=io.StringIO())  # fmt: skip
    assert Council.objects.get().name == "Exampleshire CC"
    assert District.objects.count() == 2


@pytest.mark.parametrize("la", ["88", "8860", "abc", "８８６"])
def test_set_council_refuses_an_la_number_that_is_not_3_digits(la):
    with pytest.raises(CommandError, match="3 digits"):
        call_command("set_council", "--name", "X", "--la", la, stdout=io.StringIO())
    assert not Council.objects.exists()


def test_the_database_holds_one_council_and_a_3_digit_la_number():
    council_set(name="Exampleshire Council", la_number="886")
    with pytest.raises(IntegrityError), transaction.atomic():
        Council.objects.create(singleton=True, name="Second", la_number="887")
    with pytest.raises(IntegrityError), transaction.atomic():
        Council.objects.filter(singleton=True).update(la_number="88A")


def test_establishments_load_with_the_councils_districts(tmp_path):
    council_set(name="Exampleshire Council", la_number="886", districts=["Maidstone"])
    message = _load(tmp_path, _file(_school(), _school(URN="118001", **{"LA (code)": "201"})))
    school = Establishment.objects.get()
    assert (school.urn, school.name, school.district.name, school.la_code, school.status) == (
        118000,
        "Oakfield Community Primary School",
        "Maidstone",
        "886",
        "open",
    )
    assert "1 establishments added, 0 updated" in message and "1 elsewhere left out" in message


def test_a_rerun_updates_in_place_and_a_closed_school_stays_but_is_not_offered(tmp_path):
    _load(tmp_path, _file(_school()), "--la", "all")
    first = Establishment.objects.get()
    closed = _school(
        EstablishmentName="Oakfield Primary (closed)", **{"EstablishmentStatus (code)": "2", "CloseDate": "31-08-2026"}
    )
    message = _load(tmp_path, _file(closed), "--la", "all")
    school = Establishment.objects.get()
    assert school.pk == first.pk and "0 establishments added, 1 updated" in message
    assert (school.name, school.is_open, str(school.closed_on)) == ("Oakfield Primary (closed)", False, "2026-08-31")
    assert not Establishment.objects.open().exists()


def test_a_file_with_one_bad_row_loads_nothing_and_names_the_row(tmp_path):
    data = _file(_school(), _school(URN="118001", OpenDate="31/02/2001"))
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing loaded"):
        call_command("load_establishments", str(path), "--la", "all", stdout=io.StringIO(), stderr=err)
    assert "row 3, column OpenDate: '31/02/2001' is not a date in the form dd-mm-yyyy" in err.getvalue()
    assert not Establishment.objects.exists()


def test_dry_run_checks_and_loads_nothing(tmp_path):
    assert "are valid; nothing loaded" in _load(tmp_path, _file(_school()), "--dry-run", "--la", "all")
    assert not Establishment.objects.exists()


def test_a_generated_national_file_of_50000_rows_loads(tmp_path):
    council_set(name="Exampleshire Council", la_number="886", districts=["Maidstone", "Swale"])
    data = gias_sample(rows=50_000, seed=7, districts=("Maidstone", "Swale"))
    message = _load(tmp_path, data, "--la", "all")
    assert Establishment.objects.count() == 50_000
    assert "50000 establishments added" in message
    own = Establishment.objects.filter(la_code="886")
    assert own.exists() and own.filter(district__isnull=False).count() == own.count()
    assert Establishment.objects.filter(is_open=False).count() > 1_000


def test_a_fresh_installation_can_import_history_once_the_council_is_set(tmp_path):
    """Before: import_requests on an empty database refused every row ("'Maidstone' is not a
    known district"). After set_council names the districts, the same file imports."""
    path = tmp_path / "history.csv"
    call_command("make_import_sample", "--rows", "20", "--out", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("import_requests", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    call_command("set_council", "--name", "Exampleshire Council", "--la", "886",
                 *[arg for name in KENT_DISTRICTS for arg in ("--district", name)], stdout=io.StringIO())  # fmt: skip
    call_command("import_requests", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert AssessmentRequest.objects.count() > 0


def test_an_older_file_loads_the_ofsted_grade_and_a_newer_one_leaves_it(tmp_path):
    from datetime import date

    from tests.core.test_gias import OFSTED_COLUMNS

    older = _school(**{"OfstedRating (name)": "Requires improvement", "OfstedLastInsp": "04-03-2025"})
    _load(tmp_path, _file(older, columns=OFSTED_COLUMNS), "--la", "all")
    school = Establishment.objects.get()
    assert (school.ofsted_grade, school.ofsted_inspected_on) == ("requires_improvement", date(2025, 3, 4))
    # A file from after April 2025 has no Ofsted columns: what was loaded (or recorded) stays.
    _load(tmp_path, _file(_school(EstablishmentName="Oakfield Primary")), "--la", "all")
    school.refresh_from_db()
    assert school.name == "Oakfield Primary" and school.ofsted_grade == "requires_improvement"
