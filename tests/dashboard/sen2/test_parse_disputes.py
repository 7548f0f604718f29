"""The SEN2 file's mediation and Tribunal flags read back (reporting/sen2/parse.py): what each
flag stands for, the errors for a flag with no decision to be about, and the pure round trip
(parse, build for the same census, the same flags). No database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lxml import etree

from reporting.sen2 import build, validate
from reporting.sen2.build import DisputeFacts, Header
from reporting.sen2.parse import parse_return
from tests.dashboard.sen2 import cases

GOLDEN = Path(__file__).with_name("golden.xml")
FLAGS = (
    "RequestMediation",
    "RequestTribunal",
    "AssessmentMediation",
    "AssessmentTribunal",
    "OtherMediation",
    "OtherTribunal",
)


def _golden() -> etree._Element:
    return etree.fromstring(GOLDEN.read_bytes())


def _flags(root: etree._Element) -> list[tuple[str, str]]:
    tree = root.getroottree()
    return [(tree.getpath(e), (e.text or "").strip()) for e in root.iter(*FLAGS)]


def _set(root: etree._Element, path: str, value: str) -> None:
    element = root.find(path)
    assert element is not None, path
    element.text = value


def test_each_flag_set_becomes_a_dispute_about_its_decision_known_from_the_census() -> None:
    parsed = parse_return(_golden())
    assert parsed.errors == []
    ada, ben, cai, eli = (person.requests[0] for person in parsed.persons)
    # Ada's plan (issued 16 June 2025) went to mediation: about its content, dated with the plan.
    assert ada.disputes == (DisputeFacts("plan_content", cases.CENSUS, False, date(2025, 6, 16)),)
    # Ben's refusal to assess (5 November 2025) went to the Tribunal.
    assert ben.disputes == (DisputeFacts("refusal_to_assess", cases.CENSUS, True, date(2025, 11, 5)),)
    assert cai.disputes == () and eli.disputes == ()


def test_the_return_built_from_the_file_carries_the_same_flags() -> None:
    root = _golden()
    _set(root, "Persons/Person[1]/Requests/Assessment/OtherTribunal", "1")
    _set(root, "Persons/Person[1]/Requests/RequestMediation", "1")
    parsed = parse_return(root)
    assert parsed.errors == []
    rebuilt = build.build_return(Header(cases.CENSUS, "999", cases.HEADER.created_at), parsed.persons).root
    assert _flags(rebuilt) == _flags(root)
    assert ("/Message/Persons/Person[1]/Requests/Assessment/OtherTribunal", "1") in _flags(rebuilt)
    # A return for an earlier census does not claim what the file only knew by its own.
    earlier = build.build_return(Header(date(2025, 12, 1), "999", cases.HEADER.created_at), parsed.persons).root
    assert all(value == "0" for _, value in _flags(earlier))


def test_a_flag_with_no_decision_to_be_about_is_an_error_naming_it() -> None:
    root = _golden()
    # Cai's request is undecided (RequestOutcome A): no decision to take to mediation.
    cai = root.find("Persons/Person[3]/Requests")
    assert cai is not None
    etree.SubElement(cai, "RequestTribunal").text = "1"
    # Ben's request was refused: there is no assessment whose decision could be appealed.
    ben = root.find("Persons/Person[2]/Requests")
    assert ben is not None
    etree.SubElement(etree.SubElement(ben, "Assessment"), "OtherMediation").text = "1"
    parsed = parse_return(root)
    assert [(e.person, e.element) for e in parsed.errors] == [(1, "OtherMediation"), (2, "RequestTribunal")]
    reasons = [e.reason for e in parsed.errors]
    assert reasons[1] == (
        "RequestTribunal is 1, but the request has no decision whether to assess (RequestOutcome A): "
        "a flag needs the decision it is about"
    )
    assert "no plan was issued" in reasons[0]


def test_a_flag_that_is_not_0_or_1_is_refused_by_the_validator_naming_the_person() -> None:
    root = _golden()
    _set(root, "Persons/Person[2]/Requests/RequestTribunal", "yes")
    findings = validate.errors(validate.validate(root))
    assert [(f.rule, f.person, f.person_label, f.message) for f in findings] == [
        ("C01", 1, "Ben Example", "<RequestTribunal> 'yes' is not a valid code")
    ]
