"""import_requests: the whole file is checked first, every error is reported with its row and
column, nothing is imported when any row is bad, and a good file goes in once, in bulk."""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core import copy
from core.models import District
from demo.core_demo import KENT_DISTRICTS, seed_districts
from demo.management.commands.make_import_sample import _Generator
from requests_app.importer import parse, run
from requests_app.importer.check import Existing, check_against_database, load_existing
from requests_app.importer.parse import COLUMNS, ImportFailed, Parsed, RequestRow, RowError, derive_status, parse_rows
from requests_app.importer.run import import_file, import_lines
from requests_app.importer.write import write_plan
from requests_app.models import AssessmentRequest, Child, RequestEvent
from requests_app.workflow import Status
from tests.requests_app.factories import ChildFactory, ReceivedRequestFactory

DATA = Path(__file__).resolve().parent / "data"
GOOD = DATA / "good.csv"
BAD_MANY = DATA / "bad_many.csv"
TODAY = date(2026, 1, 15)
# District ids for the pure tests (no database).
DISTRICTS = {name.casefold(): number for number, name in enumerate(KENT_DISTRICTS, start=1)}
WEEK = timedelta(weeks=1)


def _good_rows() -> list[dict[str, str]]:
    with GOOD.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or list(COLUMNS), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _edited(row: int, **changes: str) -> str:
    """good.csv with some cells of one row changed (``row`` as numbered in the file)."""
    rows = _good_rows()
    rows[row - 2].update(changes)
    return _csv(rows)


def _parse(text: str) -> Parsed:
    return parse_rows(io.StringIO(text), districts=DISTRICTS, today=TODAY)


def _where(errors: list[RowError]) -> list[tuple[int, str]]:
    return [(error.row, error.column) for error in errors]


# --- The file on its own (no database) ---------------------------------------------------------


def test_good_file_parses_without_errors() -> None:
    parsed = _parse(GOOD.read_text(encoding="utf-8"))

    assert parsed.errors == []
    assert parsed.rows_read == 10
    assert {row.request_ref: row.status for row in parsed.rows} == {
        "LR-1001": Status.REFUSED,
        "LR-1002": Status.PLAN_ISSUED,
        "LR-1003": Status.NOT_ISSUED,
        "LR-1004": Status.WITHDRAWN,
        "LR-1005": Status.RECEIVED,
        "LR-1006": Status.WITHDRAWN,
        "LR-1007": Status.ASSESSING,
        "LR-1008": Status.DRAFT_ISSUED,
        "LR-1009": Status.PLAN_ISSUED,
        "LR-1010": Status.REFUSED,
    }


@pytest.mark.parametrize(
    ("request_outcome", "assessment_outcome", "draft", "status"),
    [
        ("N", "", None, Status.REFUSED),
        ("W", "", None, Status.WITHDRAWN),
        ("A", "", None, Status.RECEIVED),
        ("Y", "Y", date(2024, 1, 1), Status.PLAN_ISSUED),
        ("Y", "N", None, Status.NOT_ISSUED),
        ("Y", "W", None, Status.WITHDRAWN),
        ("Y", "A", date(2024, 1, 1), Status.DRAFT_ISSUED),
        ("Y", "A", None, Status.ASSESSING),
        ("Y", "", None, Status.ASSESSING),
    ],
)
def test_status_follows_the_sen2_outcomes(
    request_outcome: str, assessment_outcome: str, draft: date | None, status: Status
) -> None:
    assert derive_status(request_outcome, assessment_outcome, draft) == status


def test_columns_in_a_different_order_read_the_same() -> None:
    columns = list(reversed(COLUMNS))
    reordered = _parse(_csv(_good_rows(), columns))
    original = _parse(GOOD.read_text(encoding="utf-8"))

    assert reordered.errors == []
    assert reordered.rows == original.rows


# Each kind of bad row: (row, {column: new value}, the column reported, words in the reason).
# Each kind of bad row: the row edited, {column: new value}, (row, column) reported, words of the reason.
BAD_ROWS = [
    pytest.param(2, {"sex": "X"}, (2, "sex"), "not a valid code", id="unknown sex code"),
    pytest.param(2, {"primary_need": "AUT"}, (2, "primary_need"), "not a valid code", id="unknown need code"),
    pytest.param(2, {"source": "gp"}, (2, "source"), "not a valid code", id="unknown source"),
    pytest.param(2, {"request_outcome": "H"}, (2, "request_outcome"), "not a valid code", id="unknown outcome"),
    pytest.param(
        3, {"assessment_outcome": "Q"}, (3, "assessment_outcome"), "not a valid code", id="unknown assessment"
    ),
    pytest.param(2, {"district": "Narnia"}, (2, "district"), "not a known district", id="unknown district"),
    pytest.param(2, {"received_on": "10/01/2022"}, (2, "received_on"), "YYYY-MM-DD", id="not an ISO date"),
    pytest.param(2, {"received_on": "2022-02-30"}, (2, "received_on"), "YYYY-MM-DD", id="impossible date"),
    pytest.param(2, {"received_on": "2031-01-01"}, (2, "received_on"), "in the future", id="future date"),
    pytest.param(
        2, {"request_outcome_on": "2021-12-01"}, (2, "request_outcome_on"), "before received_on", id="decided early"
    ),
    pytest.param(
        3,
        {"assessment_outcome_on": "2023-04-01"},
        (3, "assessment_outcome_on"),
        "before request_outcome_on",
        id="plan early",
    ),
    pytest.param(
        3,
        {"draft_issued_on": "2023-07-20"},
        (3, "assessment_outcome_on"),
        "before draft_issued_on",
        id="final before draft",
    ),
    pytest.param(2, {"received_on": "2014-01-01"}, (2, "received_on"), "before date_of_birth", id="before birth"),
    pytest.param(2, {"forename": ""}, (2, "forename"), "a value is required", id="missing forename"),
    pytest.param(2, {"request_ref": ""}, (2, "request_ref"), "a value is required", id="missing reference"),
    pytest.param(
        2, {"request_outcome_on": ""}, (2, "request_outcome_on"), "required when request_outcome is N", id="no date"
    ),
    pytest.param(6, {"request_outcome_on": "2024-09-10"}, (6, "request_outcome_on"), "must be empty", id="date when A"),
    pytest.param(
        2, {"assessment_outcome": "Y"}, (2, "assessment_outcome"), "unless request_outcome is Y", id="assessed no"
    ),
    pytest.param(
        3,
        {"assessment_outcome_on": ""},
        (3, "assessment_outcome_on"),
        "required when assessment_outcome is Y",
        id="plan date",
    ),
    pytest.param(
        4, {"draft_issued_on": "2023-07-01"}, (4, "draft_issued_on"), "not issued", id="draft then not issued"
    ),
    pytest.param(2, {"week20_exception": "yes"}, (2, "week20_exception"), "use 0 or 1", id="week20 not 0/1"),
    pytest.param(2, {"upn": "123"}, (2, "upn"), "13 letters and numbers", id="bad UPN"),
    pytest.param(2, {"forename": "A\rB"}, (2, "forename"), "contains a control character", id="carriage return"),
    pytest.param(2, {"surname": "Smi\x00th"}, (2, "surname"), "contains a control character", id="NUL"),
    pytest.param(2, {"child_ref": "LC-\n0001"}, (2, "child_ref"), "contains a control character", id="line break"),
    pytest.param(2, {"request_ref": "LR-\t1001"}, (2, "request_ref"), "contains a control character", id="tab"),
    pytest.param(2, {"sex": "M\x01"}, (2, "sex"), "contains a control character", id="control in a code"),
    pytest.param(2, {"received_on": "2022-\x0001-10"}, (2, "received_on"), "control character", id="control in a date"),
    pytest.param(
        3, {"request_ref": "LR-1001"}, (3, "request_ref"), "duplicates the reference on row 2", id="duplicate ref"
    ),
    pytest.param(3, {"surname": "Otherton"}, (3, "surname"), "differs from row 2", id="child details disagree"),
    pytest.param(
        5,
        {"request_outcome": "A", "request_outcome_on": ""},
        (6, "request_outcome"),
        "second request open",
        id="two open requests",
    ),
    pytest.param(4, {"upn": "Z88612345678A"}, (4, "upn"), "different child_ref on row 2", id="UPN on two children"),
    pytest.param(2, {"date_of_birth": "1990-01-01"}, (2, "date_of_birth"), "older than 25", id="over 25"),
]


@pytest.mark.parametrize(("row", "changes", "reported", "reason"), BAD_ROWS)
def test_each_bad_row_is_reported_with_row_column_and_reason(
    row: int, changes: dict[str, str], reported: tuple[int, str], reason: str
) -> None:
    parsed = _parse(_edited(row, **changes))

    assert any((e.row, e.column) == reported and reason in e.reason for e in parsed.errors), parsed.errors
    assert f"Row {reported[0]}, column {reported[1]}: " in "\n".join(str(e) for e in parsed.errors)
    assert reported[0] not in [r.row for r in parsed.rows]


def test_a_file_with_many_errors_reports_all_of_them() -> None:
    parsed = _parse(BAD_MANY.read_text(encoding="utf-8"))

    assert _where(parsed.errors) == [
        (2, "sex"),
        (3, "district"),
        (4, "primary_need"),
        (4, "source"),
        (4, "request_outcome"),
        (5, "request_outcome_on"),
        (6, "forename"),
        (6, "received_on"),
        (6, "week20_exception"),
        (7, "request_ref"),
        (9, "surname"),
        (9, "request_outcome"),
        (10, "draft_issued_on"),
        (11, "assessment_outcome"),
        (12, "assessment_outcome_on"),
        (13, "date_of_birth"),
        (13, "received_on"),
        (13, "assessment_outcome_on"),
    ]
    # Every row but the one good row (row 8) is kept out.
    assert [row.row for row in parsed.rows] == [8]


def test_header_problems_are_reported_on_row_1() -> None:
    columns = [c for c in COLUMNS if c != "source"] + ["notes"]
    parsed = _parse(_csv(_good_rows(), columns))

    assert _where(parsed.errors) == [(1, "notes"), (1, "source")]
    assert parsed.rows == []


def test_a_short_row_and_an_empty_file_are_reported() -> None:
    text = GOOD.read_text(encoding="utf-8").splitlines()
    text[3] = ",".join(text[3].split(",")[:5])

    assert [str(e) for e in _parse("\n".join(text)).errors] == ["Row 4: has 5 values; the header has 18 columns"]
    assert [str(e) for e in _parse("").errors] == ["Row 1: the file is empty; expected a header row"]


def test_blank_lines_keep_the_row_numbers_of_the_file() -> None:
    lines = GOOD.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "")
    lines[4] = lines[4].replace(",parent,", ",pigeon,", 1)  # row 5 of the file

    assert _where(_parse("\n".join(lines)).errors) == [(5, "source")]


def test_personal_details_are_not_repeated_in_messages() -> None:
    parsed = _parse(_edited(2, date_of_birth="04/03/2015", surname=""))

    assert "04/03/2015" not in "\n".join(str(e) for e in parsed.errors)


def test_a_control_character_is_one_error_for_its_column_and_not_echoed() -> None:
    parsed = _parse(_edited(2, forename="Alf\rie", sex="\x00M", week20_exception="1\x07"))

    # (Row 3, the same child, now differs from row 2: reported there, as any difference is.)
    assert [str(e) for e in parsed.errors if e.row == 2] == [
        f"Row 2, column {column}: contains a control character (such as a line break, tab or NUL); remove it"
        for column in ("forename", "sex", "week20_exception")
    ]


# --- The file against what the database holds (pure, given the prefetched rows) ----------------


def _stored(row: RequestRow, **changes: Any) -> dict[str, Any]:
    return {**row.comparable(), "pk": 1, **changes}


def test_rows_already_imported_with_the_same_data_are_skipped() -> None:
    rows = _parse(GOOD.read_text(encoding="utf-8")).rows
    existing = Existing(requests={row.request_ref: _stored(row) for row in rows})

    plan = check_against_database(rows, existing)

    assert (plan.errors, plan.skipped, plan.to_import) == ([], 10, [])


def test_a_reference_already_imported_with_different_data_is_an_error_per_column() -> None:
    rows = _parse(GOOD.read_text(encoding="utf-8")).rows
    existing = Existing(requests={"LR-1003": _stored(rows[2], received_on=date(2023, 5, 3), source="school")})

    plan = check_against_database(rows, existing)

    assert _where(plan.errors) == [(4, "received_on"), (4, "source")]
    assert "already in the database with a different value" in plan.errors[0].reason


# --- Importing (database) ------------------------------------------------------------------------


@pytest.fixture
def districts(db: None) -> None:
    seed_districts()


def _counts() -> tuple[int, int, int]:
    return Child.objects.count(), AssessmentRequest.objects.count(), RequestEvent.objects.count()


def _write(tmp_path: Path, text: str, name: str = "legacy.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.usefixtures("districts")
def test_good_file_imports_children_requests_clocks_and_events() -> None:
    result = import_file(GOOD)

    assert (result.rows_read, result.children_created, result.requests_imported, result.skipped) == (10, 5, 10, 0)
    requests = {r.reference: r for r in AssessmentRequest.objects.select_related("child", "child__district")}
    assert {ref: r.status for ref, r in requests.items()} == {
        "LR-1001": "refused",
        "LR-1002": "plan_issued",
        "LR-1003": "not_issued",
        "LR-1004": "withdrawn",
        "LR-1005": "received",
        "LR-1006": "withdrawn",
        "LR-1007": "assessing",
        "LR-1008": "draft_issued",
        "LR-1009": "plan_issued",
        "LR-1010": "refused",
    }
    plan = requests["LR-1002"]
    assert (plan.request_outcome, plan.request_outcome_on) == ("Y", date(2023, 4, 5))
    assert (plan.assessment_outcome, plan.assessment_outcome_on) == ("Y", date(2023, 7, 10))
    assert (plan.final_plan_issued_on, plan.draft_issued_on) == (date(2023, 7, 10), date(2023, 6, 20))
    assert plan.week20 is True and plan.next_deadline_on is None and plan.imported is True
    # Decided to assess, no assessment outcome in the file: "A" as the services record it.
    assert (requests["LR-1007"].assessment_outcome, requests["LR-1001"].assessment_outcome) == ("A", "")
    assert (requests["LR-1006"].assessment_outcome, requests["LR-1004"].request_outcome) == ("W", "W")
    # Clocks: statutory dates from day 1, targets equal to them (no exception periods).
    for request in requests.values():
        day1 = request.received_on
        assert (request.decision_due_on, request.not_issue_due_on, request.final_plan_due_on) == (
            day1 + 6 * WEEK,
            day1 + 16 * WEEK,
            day1 + 20 * WEEK,
        )
        assert (request.decision_target_on, request.not_issue_target_on, request.final_plan_target_on) == (
            request.decision_due_on,
            request.not_issue_due_on,
            request.final_plan_due_on,
        )
    assert requests["LR-1005"].next_deadline_on == date(2024, 9, 2) + 6 * WEEK
    assert requests["LR-1007"].next_deadline_on == date(2024, 6, 3) + 16 * WEEK
    assert requests["LR-1008"].next_deadline_on == date(2023, 10, 1) + 20 * WEEK
    assert requests["LR-1008"].week20 is True and requests["LR-1007"].week20 is False
    # Children: one per child_ref, details as in the file.
    child = requests["LR-1001"].child
    assert child == requests["LR-1002"].child
    assert (child.legacy_ref, child.forename, child.upn, child.district.name) == (
        "LC-0001",
        "Alfie",
        "Z88612345678A",
        "Maidstone",
    )
    # One "imported" event per request, by the system, naming the child's id, the source, the
    # file and the row (no personal details), with the clocks as every event carries them.
    events = list(RequestEvent.objects.select_related("request").order_by("payload__row"))
    assert [(e.action, e.actor_id, e.from_status) for e in events] == [("imported", None, "")] * 10
    assert [(e.payload["file"], e.payload["row"]) for e in events] == [("good.csv", n) for n in range(2, 12)]
    for event in events:
        request = event.request
        assert event.payload == {
            "child_id": request.child_id,
            "source": request.source,
            "file": "good.csv",
            "row": event.payload["row"],
            "clocks": {
                "next_deadline_on": request.next_deadline_on.isoformat() if request.next_deadline_on else None,
                "decision_target_on": request.decision_target_on.isoformat(),
                "not_issue_target_on": request.not_issue_target_on.isoformat(),
                "final_plan_target_on": request.final_plan_target_on.isoformat(),
                "week20": request.week20,  # the file's SEN2 flag, as stored
            },
        }
    assert all(e.to_status == e.request.status for e in events)


@pytest.mark.usefixtures("districts")
def test_importing_the_same_file_twice_adds_nothing() -> None:
    import_file(GOOD)
    before = _counts()

    again = import_file(GOOD)

    assert _counts() == before
    assert (again.children_created, again.children_matched, again.requests_imported, again.skipped) == (0, 5, 0, 10)


@pytest.mark.usefixtures("districts")
def test_a_file_with_new_requests_for_known_children_matches_them(tmp_path: Path) -> None:
    rows = _good_rows()
    import_file(_write(tmp_path, _csv(rows[:4])))
    result = import_file(_write(tmp_path, _csv(rows)))

    assert (result.children_created, result.children_matched, result.requests_imported, result.skipped) == (3, 2, 6, 4)
    assert Child.objects.count() == 5


@pytest.mark.usefixtures("districts")
@pytest.mark.parametrize(("row", "changes", "reported", "reason"), BAD_ROWS[:6] + BAD_ROWS[-5:])
def test_a_bad_row_imports_nothing(
    tmp_path: Path, row: int, changes: dict[str, str], reported: tuple[int, str], reason: str
) -> None:
    before = _counts()

    with pytest.raises(ImportFailed) as failed:
        import_file(_write(tmp_path, _edited(row, **changes)))

    assert any((e.row, e.column) == reported and reason in e.reason for e in failed.value.errors)
    assert _counts() == before


@pytest.mark.usefixtures("districts")
def test_a_reference_in_the_database_with_different_data_imports_nothing(tmp_path: Path) -> None:
    import_file(GOOD)
    before = _counts()

    with pytest.raises(ImportFailed) as failed:
        import_file(_write(tmp_path, _edited(3, received_on="2023-03-02")))

    assert _where(failed.value.errors) == [(3, "received_on")]
    assert "LR-1002 is already in the database with a different value" in failed.value.errors[0].reason
    assert _counts() == before


@pytest.mark.usefixtures("districts")
def test_a_known_child_ref_with_different_details_is_an_error(tmp_path: Path) -> None:
    import_file(_write(tmp_path, _csv(_good_rows()[:1])))
    before = _counts()

    rows = _good_rows()
    for row in rows:
        if row["child_ref"] == "LC-0001":
            row["postcode"] = "ME15 6AA"
    with pytest.raises(ImportFailed) as failed:
        import_file(_write(tmp_path, _csv(rows)))

    assert _where(failed.value.errors) == [(2, "postcode")]
    assert "differs from the child already recorded" in failed.value.errors[0].reason
    assert _counts() == before


@pytest.mark.usefixtures("districts")
def test_an_open_request_in_the_database_blocks_a_second_one_as_a_row_error(tmp_path: Path) -> None:
    # LC-0002 has an open request in the portal already; the file opens another (LR-1005).
    child = ChildFactory(
        legacy_ref="LC-0002",
        forename="Bella",
        surname="Sampleton",
        date_of_birth=date(2012, 11, 20),
        sex="F",
        postcode="CT1 3ZZ",
        district__name="Canterbury",
        primary_need="SEMH",
    )
    open_request = ReceivedRequestFactory(child=child, reference="REQ-000777")
    before = _counts()

    with pytest.raises(ImportFailed) as failed:
        import_file(GOOD)

    assert [str(e) for e in failed.value.errors] == [
        "Row 6, column request_outcome: leaves a second request open for this child: REQ-000777 is already open "
        "in the database; a child can have only one request in progress"
    ]
    assert _counts() == before
    assert AssessmentRequest.objects.get() == open_request


@pytest.mark.usefixtures("districts")
def test_a_upn_held_by_another_child_is_an_error_not_an_integrity_error() -> None:
    ChildFactory(upn="Z88612345679B")

    with pytest.raises(ImportFailed) as failed:
        import_file(GOOD)

    assert _where(failed.value.errors) == [(7, "upn")]
    assert Child.objects.count() == 1


@pytest.mark.usefixtures("districts")
def test_queries_do_not_grow_with_the_number_of_rows(tmp_path: Path) -> None:
    def queries(path: Path) -> Counter[str]:
        with CaptureQueriesContext(connection) as context:
            import_file(path)
        return Counter(query["sql"].split()[0].upper() for query in context.captured_queries)

    small = queries(GOOD)
    sample = _Generator(seed=5, until=date(2024, 12, 31)).rows(300)
    large = queries(_write(tmp_path, _csv(sample)))

    # Reads: the same handful whatever the size (on PostgreSQL, two of them take the new ids).
    # Writes: INSERT batches on SQLite (its parameter limit splits them into ~30 rows each),
    # COPY on PostgreSQL (no INSERT at all); never one per row.
    assert small["SELECT"] <= 6 and large["SELECT"] == small["SELECT"]
    assert large["INSERT"] < 300 / 10


# --- The command ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("districts")
def test_command_prints_a_summary() -> None:
    out = io.StringIO()
    call_command("import_requests", str(GOOD), stdout=out)

    summary = out.getvalue()
    assert "10 rows read from good.csv" in summary
    assert "Children: 5 were created, 0 matched" in summary
    assert "Requests: 10 were imported, 0 skipped as already imported" in summary
    assert "rows/second" in summary


@pytest.mark.usefixtures("districts")
def test_command_reports_every_error_on_stderr_and_exits_non_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # run_from_argv closes the connections when it finishes; the test's transaction needs them.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)

    with pytest.raises(SystemExit) as exited:
        # --skip-checks: the system checks are not what this test is about (call_command skips them too).
        ManagementUtility(["manage.py", "import_requests", str(BAD_MANY), "--skip-checks"]).execute()

    assert exited.value.code == 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert lines[0] == "Row 2, column sex: 'X' is not a valid code; use one of M, F, U"
    assert len(lines) == 19  # 18 errors and the closing line
    assert "18 error(s) in bad_many.csv: nothing was imported" in lines[-1]
    assert out == ""
    assert _counts() == (0, 0, 0)


@pytest.mark.usefixtures("districts")
def test_command_raises_command_error_for_a_bad_file_and_a_missing_file(tmp_path: Path) -> None:
    err = io.StringIO()
    with pytest.raises(CommandError, match="18 error"):
        call_command("import_requests", str(BAD_MANY), stderr=err)
    assert "Row 13, column assessment_outcome_on: is before draft_issued_on" in err.getvalue()

    with pytest.raises(CommandError, match="is not a file"):
        call_command("import_requests", str(tmp_path / "missing.csv"))


@pytest.mark.usefixtures("districts")
def test_dry_run_checks_and_writes_nothing() -> None:
    out = io.StringIO()
    call_command("import_requests", str(GOOD), "--dry-run", stdout=out)

    assert _counts() == (0, 0, 0)
    assert "Dry run (nothing written)" in out.getvalue()
    assert "Requests: 10 would be imported" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("import_requests", str(BAD_MANY), "--dry-run", stderr=io.StringIO())


def test_make_import_sample_is_deterministic_and_importable(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    call_command("make_import_sample", "--rows", "500", "--out", str(first), "--seed", "3", stdout=io.StringIO())
    call_command("make_import_sample", "--rows", "500", "--out", str(second), "--seed", "3", stdout=io.StringIO())

    assert first.read_bytes() == second.read_bytes()
    parsed = parse_rows(io.StringIO(first.read_text(encoding="utf-8")), districts=DISTRICTS, today=TODAY)
    assert (parsed.rows_read, parsed.errors) == (500, [])


# --- Writing: COPY on PostgreSQL, bulk_create elsewhere -------------------------------------------

postgres_only = pytest.mark.postgres_only  # COPY needs PostgreSQL


def _with_write(monkeypatch: pytest.MonkeyPatch, *, use_copy: bool) -> None:
    monkeypatch.setattr(run, "write_plan", functools.partial(_WRITE, use_copy=use_copy))


_WRITE = write_plan


def _stored_rows() -> dict[str, list[dict[str, Any]]]:
    """Everything the import stored, keyed by the file's references instead of the new ids,
    without the columns that differ between two runs (ids and timestamps)."""
    varying = {"id", "created_at", "updated_at", "occurred_at", "child_id", "request_id"}

    def columns(model: Any) -> list[str]:
        return [f.attname for f in model._meta.concrete_fields if f.attname not in varying]

    legacy_refs = dict(Child.objects.values_list("pk", "legacy_ref"))
    events = list(
        RequestEvent.objects.order_by("request__reference").values("request__reference", *columns(RequestEvent))
    )
    for event in events:  # the payload names the child by id: compare the child's reference
        event["payload"]["child_id"] = legacy_refs[event["payload"]["child_id"]]
    return {
        "children": list(Child.objects.order_by("legacy_ref").values(*columns(Child))),
        "requests": list(
            AssessmentRequest.objects.order_by("reference").values("child__legacy_ref", *columns(AssessmentRequest))
        ),
        "events": events,
    }


def _awkward_sample(tmp_path: Path) -> tuple[Path, Path]:
    """good.csv and 300 generated rows, with values CSV must quote (quotes, commas, a newline,
    a lone carriage return, a backslash) and empty optional ones; and the first 100 rows alone,
    imported beforehand so that the second file also adds requests for children already in the
    database. (The checks refuse the line breaks: a test using this lets them through, to try
    the writers on their own.)"""
    rows = _good_rows() + _Generator(seed=7, until=date(2024, 12, 31)).rows(300)
    awkward = {rows[0]["child_ref"], rows[20]["child_ref"]}
    carriage_return = rows[150]["child_ref"]
    for row in rows:
        if row["child_ref"] in awkward:
            row.update(forename='Anne "Annie"\nMarie', surname="O'Brien, Smith\\", postcode="", upn="")
        elif row["child_ref"] == carriage_return:
            row.update(forename="A\rB", surname="C\r\nD")
    return _write(tmp_path, _csv(rows[:100]), "first.csv"), _write(tmp_path, _csv(rows), "all.csv")


def test_the_copy_writer_quotes_every_line_break_and_carriage_return() -> None:
    # COPY refuses an unquoted "\r" ("unquoted carriage return found in data").
    buffer = io.StringIO()
    copy.write_rows(buffer, [("A\rB", "C\nD", "plain", None)], (True,))

    assert buffer.getvalue() == '"A\rB","C\nD",plain,,True\r\n'


def _without_control_character_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "_CONTROL", re.compile(r"(?!)"))  # matches nothing


@postgres_only
@pytest.mark.usefixtures("districts")
def test_copy_and_bulk_create_store_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_control_character_check(monkeypatch)
    first, path = _awkward_sample(tmp_path)
    stored: dict[bool, dict[str, list[dict[str, Any]]]] = {}
    inserts: dict[bool, int] = {}
    for use_copy in (True, False):
        _with_write(monkeypatch, use_copy=use_copy)
        with transaction.atomic():
            import_file(first)
            with CaptureQueriesContext(connection) as context:
                result = import_file(path)
            assert (result.requests_imported, result.skipped) == (210, 100)
            stored[use_copy] = _stored_rows()
            # The import's one stale-month upsert (core.staleness) is not a row of the file.
            inserts[use_copy] = sum(
                query["sql"].startswith("INSERT") and '"core_stalemonth"' not in query["sql"]
                for query in context.captured_queries
            )
            transaction.set_rollback(True)  # the second path starts from the same empty tables

    assert stored[True] == stored[False]
    assert [len(rows) for rows in stored[True].values()] == [len(rows) for rows in stored[False].values()]
    assert len(stored[True]["requests"]) == len(stored[True]["events"]) == 310
    names = {(c["forename"], c["surname"], c["postcode"], c["upn"]) for c in stored[True]["children"]}
    assert ('Anne "Annie"\nMarie', "O'Brien, Smith\\", "", "") in names
    assert {("A\rB", "C\r\nD")} < {(forename, surname) for forename, surname, _, _ in names}
    # The COPY path really is COPY: no INSERT statement at all.
    assert inserts[True] == 0 and inserts[False] > 0


@pytest.mark.usefixtures("districts")
@pytest.mark.parametrize(
    "use_copy", [pytest.param(True, marks=postgres_only, id="copy"), pytest.param(False, id="bulk")]
)
def test_each_imported_request_takes_its_childs_district(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_copy: bool
) -> None:
    _with_write(monkeypatch, use_copy=use_copy)
    rows = _good_rows()
    import_file(_write(tmp_path, _csv(rows[:4]), "first.csv"))
    # LC-0001 and LC-0002 are in the database now: LR-1005 is a new request for a known child.
    import_file(_write(tmp_path, _csv(rows), "all.csv"))

    requests = list(AssessmentRequest.objects.select_related("child", "district"))
    assert len(requests) == 10
    assert all(r.district_id is not None and r.district_id == r.child.district_id for r in requests)
    districts = {r.reference: r.district.name for r in requests if r.district is not None}
    assert (districts["LR-1001"], districts["LR-1005"]) == ("Maidstone", "Canterbury")


@pytest.mark.usefixtures("districts")
def test_an_error_on_the_last_row_of_a_long_file_writes_nothing(tmp_path: Path) -> None:
    rows = _Generator(seed=9, until=date(2024, 12, 31)).rows(500)
    rows[-1]["received_on"] = "2024-02-30"
    before = _counts()

    with pytest.raises(ImportFailed) as failed:
        import_file(_write(tmp_path, _csv(rows)))

    assert (501, "received_on") in _where(failed.value.errors)
    assert {error.row for error in failed.value.errors} == {501}
    assert _counts() == before


@pytest.mark.usefixtures("districts")
@pytest.mark.parametrize(
    "use_copy", [pytest.param(True, marks=postgres_only, id="copy"), pytest.param(False, id="bulk")]
)
def test_a_write_refused_half_way_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_copy: bool
) -> None:
    _with_write(monkeypatch, use_copy=use_copy)
    import_file(_write(tmp_path, _csv(_good_rows()[:1]), "first.csv"))
    before = _counts()
    # As if another import stored LR-1001 after this one read the database: the checks pass,
    # the new children are written, and then the unique index refuses the request.
    monkeypatch.setattr(run, "load_existing", lambda rows: dataclasses.replace(load_existing(rows), requests={}))

    with pytest.raises(ImportFailed) as failed:
        import_file(GOOD)

    assert [(e.row, e.column) for e in failed.value.errors] == [(0, "")]
    assert "the database refused the import" in str(failed.value.errors[0])
    assert _counts() == before


@pytest.mark.usefixtures("districts")
def test_control_characters_in_the_file_are_row_errors_on_either_database(tmp_path: Path) -> None:
    # A lone carriage return used to reach COPY unquoted and crash the command with a DataError
    # on PostgreSQL, while SQLite stored it; a NUL is refused by PostgreSQL in any text.
    rows = _good_rows()
    rows[0].update(forename="A\rB")
    rows[4].update(surname="Nul\x00son")
    before = _counts()

    with pytest.raises(ImportFailed) as failed:
        import_file(_write(tmp_path, _csv(rows)))

    control = [(e.row, e.column) for e in failed.value.errors if "control character" in e.reason]
    assert control == [(2, "forename"), (6, "surname")]
    assert _counts() == before


@postgres_only
@pytest.mark.usefixtures("districts")
def test_a_value_the_database_refuses_is_a_file_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    # Were a NUL to get past the checks, COPY's DataError is reported like an IntegrityError.
    _without_control_character_check(monkeypatch)
    _with_write(monkeypatch, use_copy=True)
    rows = _good_rows()
    for row in rows:
        if row["child_ref"] == rows[0]["child_ref"]:
            row.update(forename="Nul\x00l")

    with pytest.raises(ImportFailed) as failed:
        import_lines(io.StringIO(_csv(rows)), source_name="nul.csv")

    assert [str(e) for e in failed.value.errors] == [
        "File: the database refused the import; nothing was imported, try again"
    ]
    assert _counts() == (0, 0, 0)


@pytest.mark.usefixtures("districts")
@pytest.mark.parametrize(
    "use_copy", [pytest.param(True, marks=postgres_only, id="copy"), pytest.param(False, id="bulk")]
)
def test_a_refused_import_repeats_no_value_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_copy: bool
) -> None:
    # As if another import stored a child with this UPN after the checks: PostgreSQL's error
    # text would quote the UPN ("Key (upn)=(...) already exists"); the message must not.
    _with_write(monkeypatch, use_copy=use_copy)
    rows = _good_rows()
    ChildFactory(upn=rows[0]["upn"])
    monkeypatch.setattr(run, "load_existing", lambda rows: dataclasses.replace(load_existing(rows), upn_owners={}))

    with pytest.raises(ImportFailed) as failed:
        import_file(GOOD)

    message = "\n".join(str(e) for e in failed.value.errors)
    assert message.startswith("File: the database refused the import")
    values = {value for row in rows for value in row.values() if len(value) >= 4}
    assert [value for value in values if value.casefold() in message.casefold()] == []
    if connection.vendor == "postgresql":
        assert "(constraint child_upn_unique)" in message


@pytest.mark.usefixtures("districts")
@pytest.mark.parametrize(
    "use_copy", [pytest.param(True, marks=postgres_only, id="copy"), pytest.param(False, id="bulk")]
)
def test_a_district_changed_meanwhile_is_taken_from_the_locked_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_copy: bool
) -> None:
    _with_write(monkeypatch, use_copy=use_copy)
    rows = _good_rows()
    import_file(_write(tmp_path, _csv(rows[:4]), "first.csv"))
    # LC-0002 (Canterbury) is in the database; the file adds LR-1005 for it. The child moves
    # after the importer read it and before it writes, as child_change_district would.
    child = Child.objects.get(legacy_ref="LC-0002")
    moved_to = District.objects.exclude(pk=child.district_id).order_by("pk").first()
    assert moved_to is not None

    def read_then_move(file_rows: Any) -> Existing:
        existing = load_existing(file_rows)
        Child.objects.filter(pk=child.pk).update(district=moved_to)
        AssessmentRequest.objects.filter(child=child).update(district=moved_to)
        return existing

    monkeypatch.setattr(run, "load_existing", read_then_move)

    with CaptureQueriesContext(connection) as context:
        import_file(_write(tmp_path, _csv(rows), "all.csv"))

    assert AssessmentRequest.objects.get(reference="LR-1005").district_id == moved_to.pk
    assert set(AssessmentRequest.objects.filter(child=child).values_list("district_id", flat=True)) == {moved_to.pk}
    locks = [q["sql"] for q in context.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == (1 if connection.vendor == "postgresql" else 0)
