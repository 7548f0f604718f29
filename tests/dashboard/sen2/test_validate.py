"""Each validation rule has a case that breaks it (pure: the golden file, mutated)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from reporting.sen2 import validate

GOLDEN = Path(__file__).with_name("golden.xml")
Mutation = Callable[[etree._Element], None]


def _root() -> etree._Element:
    return etree.fromstring(GOLDEN.read_bytes())


def _set(path: str, value: str) -> Mutation:
    def mutate(root: etree._Element) -> None:
        element = root.find(path)
        assert element is not None, path
        element.text = value

    return mutate


def _remove(path: str) -> Mutation:
    def mutate(root: etree._Element) -> None:
        element = root.find(path)
        assert element is not None, path
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)

    return mutate


def _add(path: str, tag: str, value: str, index: int | None = None) -> Mutation:
    def mutate(root: etree._Element) -> None:
        parent = root.find(path)
        assert parent is not None, path
        child = etree.Element(tag)
        child.text = value
        if index is None:
            parent.append(child)
        else:
            parent.insert(index, child)

    return mutate


def _add_element(path: str, xml: str) -> Mutation:
    def mutate(root: etree._Element) -> None:
        parent = root.find(path)
        assert parent is not None, path
        parent.append(etree.fromstring(xml))

    return mutate


def _both(*mutations: Mutation) -> Mutation:
    def mutate(root: etree._Element) -> None:
        for mutation in mutations:
            mutation(root)

    return mutate


ADA = "Persons/Person[1]"
BEN = "Persons/Person[2]"
CAI = "Persons/Person[3]"
ELI = "Persons/Person[4]"
ADA_REQ = f"{ADA}/Requests"
ADA_PLAN = f"{ADA_REQ}/Assessment/NamedPlan"

CASES: dict[str, Mutation] = {
    "S01": _add(ADA, "Surname", "Again"),
    "H01": _set("Header/CollectionDetails/Year", "2025"),
    "M01": _remove(f"{ADA}/Sex"),
    "C01": _set(f"{ADA}/Ethnicity", "XXXX"),
    "C02": _set(f"{ADA}/PersonBirthDate", "2015-02-30"),
    "P01": _remove(f"{BEN}/UPNunknown"),
    "P02": _set(f"{ADA}/PersonBirthDate", "2026-02-01"),
    "P03": _both(_remove(f"{BEN}/UPNunknown"), _add(BEN, "UPN", "F999201400001", 5)),
    "U01": _set(f"{ADA}/UPN", "A999201400001"),
    "U02": _both(_remove(f"{CAI}/UPNunknown"), _add(CAI, "UniqueLearnerNumber", "1000000001", 5)),
    "R01": _set(f"{ADA_REQ}/ReceivedDate", "2026-02-01"),
    "R02": _remove(f"{BEN}/Requests/RequestOutcomeDate"),
    "R03": _set(f"{BEN}/Requests/RequestOutcomeDate", "2025-09-01"),
    "R05": _add(f"{BEN}/Requests", "Assessment", ""),
    "R06": _set(f"{CAI}/Requests/RequestOutcome", "H"),
    "A01": _both(
        _set(f"{ADA_REQ}/Assessment/AssessmentOutcome", "N"), _remove(f"{ADA_REQ}/Assessment/AssessmentOutcomeDate")
    ),
    "A02": _set(f"{ADA_REQ}/Assessment/AssessmentOutcome", "W"),
    "A03": _set(f"{ADA_REQ}/Assessment/AssessmentOutcomeDate", "2025-01-02"),
    "A04": _remove(f"{ADA_REQ}/Assessment/Week20"),
    "N02": _remove(f"{ELI}/Requests/Assessment/NamedPlan/CeaseReason"),
    "D01": _add(f"{ADA_PLAN}/PlanDetail", "UKPRN", "10000001", 1),
    "D04": _add_element(ADA_PLAN, "<PlanDetail><URN>111111</URN><PlacementRank>1</PlacementRank></PlanDetail>"),
    "D05": _set(f"{ADA_REQ}/ActivePlans/PlacementDetail[2]/SENsetting", "OTH"),
    "L01": _remove(f"{ADA_REQ}/ActivePlans"),
    "L02": _add(f"{ADA_REQ}/ActivePlans/PlacementDetail[2]", "LeavingDate", "2025-01-01", 3),
    "L03": _set(f"{ADA_REQ}/ActivePlans/SENneed[2]/SENtypeRank", "1"),
}


def test_every_rule_has_a_failing_case() -> None:
    assert set(CASES) == set(validate.RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fails(rule: str) -> None:
    root = _root()
    assert not validate.validate(root)
    CASES[rule](root)
    findings = validate.validate(root)
    assert rule in {f.rule for f in findings}, findings


def test_finding_names_person_and_request() -> None:
    root = _root()
    CASES["R02"](root)
    [finding] = [f for f in validate.validate(root) if f.rule == "R02"]
    assert (finding.person, finding.request, finding.person_label) == (1, 0, "Ben Example")
    assert finding.severity == validate.ERROR
