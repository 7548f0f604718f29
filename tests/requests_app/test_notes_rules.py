"""The contact log, corrections and the timeline presenter as pure rules: no database."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from requests_app import contact_log, corrections, timeline
from requests_app.corrections import Fact, RequestDates

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 6, 15)


@pytest.mark.parametrize("module", ["contact_log", "corrections", "timeline"])
def test_the_rules_modules_import_no_django(module: str) -> None:
    tree = ast.parse((ROOT / "requests_app" / f"{module}.py").read_text())
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [node.names[0]])
    ]
    assert not [name for name in imported if name and name.startswith("django")]


# --- The contact log ----------------------------------------------------------------------------


def _entry(**changes: object) -> dict[str, list[str]]:
    values: dict[str, object] = {
        "kind": "phone_call",
        "happened_on": date(2026, 6, 10),
        "with_whom": "Mrs Okafor, mother",
        "party": "parent",
        "direction": "in",
        "summary": "Asked when the decision is due.",
        "today": TODAY,
    }
    values.update(changes)
    return contact_log.entry_errors(**values)  # type: ignore[arg-type]


def test_a_complete_phone_call_has_no_errors() -> None:
    assert _entry() == {}


def test_a_case_note_records_no_contact() -> None:
    assert _entry(kind="note", with_whom="", party="", direction="") == {}
    assert "kind" in _entry(kind="note")


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"happened_on": None}, "happened_on", "Enter the date it happened"),
        ({"happened_on": date(2026, 6, 16)}, "happened_on", "today or in the past"),
        ({"summary": "  "}, "summary", "Enter a summary"),
        ({"summary": "x" * (contact_log.SUMMARY_MAX + 1)}, "summary", "5,000 characters or fewer"),
        ({"with_whom": ""}, "with_whom", "Enter who the contact was with"),
        ({"with_whom": "y" * 201}, "with_whom", "200 characters or fewer"),
        ({"party": ""}, "party", "Select who the contact was with"),
        ({"direction": "sideways"}, "direction", "incoming or outgoing"),
        ({"kind": "fax"}, "kind", "Select the kind of contact"),
    ],
)
def test_each_fault_is_named_on_its_field(changes: dict[str, object], field: str, words: str) -> None:
    errors = _entry(**changes)
    assert words in " ".join(errors[field])


# --- Corrections ---------------------------------------------------------------------------------

DATES = RequestDates(
    received_on=date(2026, 1, 10),
    assess_decision_on=date(2026, 2, 15),
    issue_decision_on=date(2026, 4, 20),
    draft_issued_on=date(2026, 4, 25),
    request_outcome_on=date(2026, 2, 15),
)


def test_a_decision_date_before_the_request_arrived_is_refused() -> None:
    problems = corrections.date_errors(Fact.ASSESS_DECISION_ON, date(2026, 1, 5), DATES, today=TODAY)
    assert problems == ["The date must be on or after the date the request was received (10 January 2026)"]


def test_a_plan_date_before_the_decision_is_refused() -> None:
    problems = corrections.date_errors(Fact.DRAFT_ISSUED_ON, date(2026, 4, 1), DATES, today=TODAY)
    assert problems == ["The date must be on or after the decision whether to issue a plan (20 April 2026)"]


def test_a_received_date_after_the_decision_is_refused_naming_the_decision() -> None:
    problems = corrections.date_errors(Fact.RECEIVED_ON, date(2026, 3, 1), DATES, today=TODAY)
    assert "The date must be on or before the decision whether to assess (15 February 2026)" in problems


def test_a_date_in_the_future_is_refused() -> None:
    assert corrections.date_errors(Fact.RECEIVED_ON, date(2026, 7, 1), DATES, today=TODAY) == [
        "The date must be today or in the past"
    ]


def test_a_date_not_reached_cannot_be_corrected() -> None:
    assert corrections.correctable_request_facts(DATES) == [
        Fact.RECEIVED_ON,
        Fact.ASSESS_DECISION_ON,
        Fact.ISSUE_DECISION_ON,
        Fact.DRAFT_ISSUED_ON,
    ]
    assert corrections.date_errors(Fact.FINAL_PLAN_ISSUED_ON, date(2026, 5, 1), DATES, today=TODAY)


def test_the_sen2_outcome_date_moves_with_the_decision_it_mirrors() -> None:
    after = corrections.apply(DATES, Fact.ASSESS_DECISION_ON, date(2026, 2, 20))
    assert after.request_outcome_on == date(2026, 2, 20)
    assert corrections.date_errors(Fact.ASSESS_DECISION_ON, date(2026, 2, 20), DATES, today=TODAY) == []


def test_a_decision_date_touches_its_old_and_new_months() -> None:
    days = corrections.days_touched(Fact.ASSESS_DECISION_ON, date(2026, 2, 15), date(2026, 3, 2), [DATES])
    assert days == [date(2026, 2, 15), date(2026, 3, 2)]


def test_day_one_touches_every_outcome_of_the_request() -> None:
    days = corrections.days_touched(Fact.RECEIVED_ON, date(2026, 1, 10), date(2025, 12, 20), [DATES])
    assert {(d.year, d.month) for d in days} == {(2025, 12), (2026, 1), (2026, 2), (2026, 4)}


def test_a_date_of_birth_touches_every_month_of_the_childs_requests() -> None:
    days = corrections.days_touched(Fact.DATE_OF_BIRTH, date(2015, 3, 1), date(2015, 5, 3), [DATES])
    assert date(2026, 1, 10) in days and date(2026, 4, 25) in days and date(2015, 5, 3) in days


def test_a_name_touches_no_figures() -> None:
    assert corrections.days_touched(Fact.NAME, {"forename": "A"}, {"forename": "B"}, [DATES]) == []


@pytest.mark.parametrize(
    ("fact", "raw", "expected"),
    [
        (Fact.DATE_OF_BIRTH, "2015-05-03", date(2015, 5, 3)),
        (Fact.NAME, {"forename": "Ada", "surname": "Lee"}, {"forename": "Ada", "surname": "Lee"}),
        (Fact.SCHOOL, None, None),
        (Fact.DISTRICT, 4, 4),
        (Fact.UPN, "A123456789012", "A123456789012"),
    ],
)
def test_api_values_parse(fact: Fact, raw: object, expected: object) -> None:
    assert corrections.parse_value(fact, raw) == (expected, [])


@pytest.mark.parametrize(
    ("fact", "raw"),
    [(Fact.DATE_OF_BIRTH, "3/5/2015"), (Fact.DATE_OF_BIRTH, 20150503), (Fact.NAME, "Ada Lee"), (Fact.DISTRICT, True)],
)
def test_wrong_api_values_are_named(fact: Fact, raw: object) -> None:
    value, problems = corrections.parse_value(fact, raw)
    assert value is None and problems


def test_a_reason_is_required_and_limited() -> None:
    assert corrections.reason_errors(" ") == ["Enter the reason for the correction"]
    assert corrections.reason_errors("x" * 1001) == ["The reason must be 1,000 characters or fewer"]
    assert corrections.reason_errors("Birth certificate seen") == []


# --- The timeline presenter --------------------------------------------------------------------


def test_advice_requested_reads_the_adviser_and_dates() -> None:
    entry = timeline.present(
        "request_advice",
        {
            "advice_request_id": 7,
            "adviser_type": "educational_psychology",
            "requested_on": "2026-03-02",
            "due_on": "2026-04-13",
            "clocks": {"next_deadline_on": "2026-05-01"},
        },
        labels={"adviser_type": {"educational_psychology": "Educational psychology"}},
    )
    assert entry.title == "Advice requested"
    assert entry.effective_on == date(2026, 3, 2)
    assert [(d.label, d.value) for d in entry.details] == [
        ("Adviser", "Educational psychology"),
        ("Requested", "2 March 2026"),
        ("Due", "13 April 2026"),
    ]


def test_an_exception_reads_its_type_and_period() -> None:
    entry = timeline.present(
        "add_exception",
        {
            "exception_id": 3,
            "kind": "school_closure",
            "start": "2026-04-01",
            "end": "2026-04-30",
            "advice_request_id": None,
            "advice_target_on": None,
        },
        labels={"kind": {"school_closure": "School or setting closed for 4 weeks or more"}},
    )
    assert entry.effective_on == date(2026, 4, 1)
    assert ("Type", "School or setting closed for 4 weeks or more") in [(d.label, d.value) for d in entry.details]
    assert ("From", "1 April 2026") in [(d.label, d.value) for d in entry.details]


def test_a_correction_reads_before_and_after() -> None:
    entry = timeline.present(
        "corrected",
        {
            "fact": "date_of_birth",
            "before": "2015-03-01",
            "after": "2015-05-03",
            "before_label": "1 March 2015",
            "after_label": "3 May 2015",
        },
    )
    assert entry.title == "Record corrected"
    assert entry.change == timeline.Change("Date of birth", "1 March 2015", "3 May 2015")
    assert entry.details == [] and entry.effective_on is None


def test_an_officer_id_reads_as_a_name_and_an_unknown_id_is_left_out() -> None:
    entry = timeline.present(
        "assign", {"officer_id": 5, "previous_officer_id": 9}, refs={"officer_id": {5: "Sam Patel"}}
    )
    assert [(d.label, d.value) for d in entry.details] == [("Officer", "Sam Patel")]


def test_an_event_another_part_adds_reads_sensibly() -> None:
    entry = timeline.present(
        "letter_sent",
        {"letter_id": 4, "template": "decision_to_assess", "sent_on": "2026-05-04", "by_post": True},
    )
    assert entry.title == "Letter sent"
    assert entry.effective_on == date(2026, 5, 4)
    assert [(d.label, d.value) for d in entry.details] == [
        ("Template", "Decision to assess"),
        ("Sent on", "4 May 2026"),
        ("By post", "Yes"),
    ]


def test_a_note_reads_its_kind_party_and_summary() -> None:
    entry = timeline.present(
        "note_added",
        {"note_id": 1, "kind": "phone_call", "party": "school", "direction": "out", "happened_on": "2026-05-01"},
        labels={
            "note_added:kind": {"phone_call": "Phone call"},
            "kind": {"phone_call": "wrong map"},
            "party": {"school": "School or setting"},
        },
        body="Asked for the SEN support plan.",
    )
    assert ("Kind", "Phone call") in [(d.label, d.value) for d in entry.details]
    assert ("With", "School or setting") in [(d.label, d.value) for d in entry.details]
    assert entry.body == "Asked for the SEN support plan." and entry.effective_on == date(2026, 5, 1)


def test_the_created_event_is_effective_on_day_one() -> None:
    entry = timeline.present("created", {"child_id": 1, "source": "parent"}, day_one=date(2026, 1, 10))
    assert entry.effective_on == date(2026, 1, 10)
    assert [(d.label, d.value) for d in entry.details] == [("Requested by", "Parent")]


def test_ref_ids_collects_ids_by_key() -> None:
    assert timeline.ref_ids([{"officer_id": 1, "x": 2}, {"officer_id": 3, "flag_id": True}]) == {"officer_id": {1, 3}}
