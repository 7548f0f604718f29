"""A SEN2 file read back into the builders' facts, for ``import_sen2`` (pure; no database).

The return says how each case stood on the census date; what it does not say is filled by the
choices below (docs/decisions/0008-sen2-return.md), so that exporting for the same census gives
the same persons, requests and outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from lxml import etree

from reporting.sen2 import codes
from reporting.sen2.build import (
    ASSESSMENT_DISPUTES,
    OTHER_DISPUTES,
    REQUEST_DISPUTES,
    DisputeFacts,
    PersonFacts,
    PlacementFacts,
    RequestFacts,
)

# A historical (H) decision has no date in the file: the request's received date stands in, so
# the decision falls before the collection period again when exported.
HISTORICAL_DECISION_ON_RECEIVED = True
# A decision to issue with no plan yet (Y, undated) becomes a draft issued on the census date.
ISSUE_DECIDED_ON_CENSUS = True
# The mediation and Tribunal flags say only that a mediation was held, or an appeal registered,
# by the census date about a decision of a kind; not when, nor which decision of the kind. Each
# flag becomes a dispute about this decision (the first of the kinds the return counts for it:
# a refusal to assess, a decision not to issue, the plan's content), known from the census date.
# The return for that census, or a later one, carries the flag again; an earlier one does not.
REQUEST_FLAGS = (("RequestMediation", False), ("RequestTribunal", True))
ASSESSMENT_FLAGS = (("AssessmentMediation", False), ("AssessmentTribunal", True))
OTHER_FLAGS = (("OtherMediation", False), ("OtherTribunal", True))


@dataclass(frozen=True)
class ParseError:
    person: int
    element: str
    reason: str


@dataclass
class Parsed:
    census: date
    la_number: str
    persons: list[PersonFacts] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)


def _text(element: etree._Element | None, tag: str) -> str:
    if element is None:
        return ""
    return (element.findtext(tag) or "").strip()


def _date(element: etree._Element | None, tag: str) -> date | None:
    value = _text(element, tag)
    return date.fromisoformat(value) if value else None


def _int(element: etree._Element, tag: str) -> int | None:
    value = _text(element, tag)
    return int(value) if value.isdigit() else None


def _placement(element: etree._Element, *, named: bool) -> PlacementFacts:
    return PlacementFacts(
        urn=_int(element, "URN"),
        ukprn=_int(element, "UKPRN"),
        sen_setting=_text(element, codes.TAG_SEN_SETTING),
        sen_setting_other=_text(element, codes.TAG_SEN_SETTING_OTHER),
        rank=int(_text(element, "PlacementRank") or "1"),
        named_in_plan=named,
        entry_on=_date(element, "EntryDate"),
        leaving_on=_date(element, "LeavingDate"),
        sen_unit=_text(element, "SENunitIndicator") == "1",
        resourced_provision=_text(element, "ResourcedProvisionIndicator") == "1",
    )


def _same_setting(a: PlacementFacts, b: PlacementFacts) -> bool:
    return (a.urn, a.ukprn, a.sen_setting, a.rank) == (b.urn, b.ukprn, b.sen_setting, b.rank)


def _placements(plan: etree._Element | None, active: etree._Element | None) -> tuple[PlacementFacts, ...]:
    """Settings named in the plan and placements attended; a placement at a named setting of the
    same rank is one row (named and attended)."""
    named = [_placement(e, named=True) for e in (plan.findall("PlanDetail") if plan is not None else [])]
    result: list[PlacementFacts] = []
    for element in active.findall("PlacementDetail") if active is not None else []:
        attended = _placement(element, named=False)
        match = next((n for n in named if _same_setting(n, attended)), None)
        if match is not None:
            named.remove(match)
            attended = replace(attended, named_in_plan=True)
        result.append(attended)
    return (*named, *result)


def _disputes(
    element: etree._Element | None,
    flags: tuple[tuple[str, bool], ...],
    *,
    against: str,
    decided_on: date | None,
    census: date,
    applies: bool,
    why_not: str,
) -> tuple[list[DisputeFacts], list[tuple[str, str]]]:
    """The disputes the flags set to 1 stand for; a flag set where the return cannot carry it
    (no decision of its kind) is an error naming the flag."""
    found: list[DisputeFacts] = []
    problems: list[tuple[str, str]] = []
    for tag, tribunal in flags:
        if _text(element, tag) != "1":
            continue
        if applies and decided_on is not None and decided_on > census:
            problems.append((tag, f"{tag} is 1, but the decision it is about is dated after the census date"))
        elif applies:
            found.append(DisputeFacts(against, census, tribunal, decided_on or census))
        else:
            problems.append((tag, f"{tag} is 1, but {why_not}: a flag needs the decision it is about"))
    return found, problems


def _request_disputes(
    element: etree._Element, assessment: etree._Element | None, facts: RequestFacts, census: date
) -> tuple[tuple[DisputeFacts, ...], list[tuple[str, str]]]:
    ao = facts.assessment_outcome
    parts = [
        _disputes(
            element,
            REQUEST_FLAGS,
            against=REQUEST_DISPUTES[0],
            decided_on=facts.request_outcome_on,
            census=census,
            applies=facts.request_outcome in ("Y", "N"),
            why_not=f"the request has no decision whether to assess (RequestOutcome {facts.request_outcome})",
        ),
        _disputes(
            assessment,
            ASSESSMENT_FLAGS,
            against=ASSESSMENT_DISPUTES[0],
            decided_on=facts.assessment_outcome_on or facts.issue_decided_on,
            census=census,
            applies=ao in ("Y", "N") or (ao == "A" and facts.issue_decided_on is not None),
            why_not=f"the assessment has no decision whether to issue a plan (AssessmentOutcome {ao or 'none'})",
        ),
        _disputes(
            assessment,
            OTHER_FLAGS,
            against=OTHER_DISPUTES[0],
            decided_on=facts.assessment_outcome_on,
            census=census,
            applies=ao == "Y" and facts.assessment_outcome_on is not None,
            why_not="no plan was issued (an AssessmentOutcome Y with its date)",
        ),
    ]
    return tuple(d for found, _ in parts for d in found), [p for _, problems in parts for p in problems]


def _request(element: etree._Element, key: int, census: date) -> tuple[RequestFacts, list[tuple[str, str]]]:
    received = _date(element, "ReceivedDate")
    assert received is not None  # the validator requires it first
    outcome, outcome_on = _text(element, "RequestOutcome"), _date(element, "RequestOutcomeDate")
    assessment = element.find("Assessment")
    plan = assessment.find("NamedPlan") if assessment is not None else None
    active = element.find("ActivePlans")
    if outcome == "H":
        outcome = "Y" if assessment is not None else "N"
        outcome_on = received if HISTORICAL_DECISION_ON_RECEIVED else None
    if outcome == "W" and outcome_on is None:
        outcome_on = census
    ao, ao_on, issue_decided_on = "", None, None
    if assessment is not None and outcome == "Y":
        ao, ao_on = _text(assessment, "AssessmentOutcome"), _date(assessment, "AssessmentOutcomeDate")
        if ao == "H":
            ao, ao_on = ("Y", _date(plan, "StartDate") or received) if plan is not None else ("N", received)
        elif ao == "Y" and ao_on is None:
            ao, issue_decided_on = "A", census if ISSUE_DECIDED_ON_CENSUS else None
        elif ao == "W" and ao_on is None:
            ao_on = census
    needs = tuple(
        _text(need, "SENtype")
        for need in sorted(
            active.findall("SENneed") if active is not None else [], key=lambda n: _text(n, "SENtypeRank")
        )
    )
    facts = RequestFacts(
        key=key,
        received_on=received,
        source=_text(element, "RequestSource") or "5",
        rya=_text(element, "RYA") == "1",
        request_outcome=outcome,
        request_outcome_on=outcome_on,
        issue_decided_on=issue_decided_on,
        assessment_outcome=ao,
        assessment_outcome_on=ao_on,
        plan_start_on=_date(plan, "StartDate"),
        plan_ceased_on=_date(plan, "CeaseDate"),
        cease_reason=_text(plan, "CeaseReason"),
        week20=_text(assessment, "Week20") == "1",
        placements=_placements(plan, active),
        needs=needs,
    )
    disputes, problems = _request_disputes(element, assessment, facts, census)
    return replace(facts, disputes=disputes), problems


def parse_return(root: etree._Element) -> Parsed:
    """The persons and requests of a file the validator passed (dates and codes are valid)."""
    census = _date(root.find("Header/CollectionDetails"), "ReferenceDate")
    assert census is not None
    parsed = Parsed(census=census, la_number=_text(root.find("Header/Source"), "LEA"))
    key = 0
    for index, person in enumerate(root.iterfind("Persons/Person")):
        requests = []
        for element in person.findall("Requests"):
            key += 1
            request, problems = _request(element, key, census)
            requests.append(request)
            parsed.errors += [ParseError(index, tag, reason) for tag, reason in problems]
        open_requests = [r for r in requests if r.request_outcome == "A" or r.assessment_outcome == "A"]
        if len(open_requests) > 1:
            parsed.errors.append(ParseError(index, "Requests", "More than one request in progress for one person"))
        parsed.persons.append(
            PersonFacts(
                key=index,
                surname=_text(person, "Surname"),
                forename=_text(person, "Forename"),
                birth_date=_date(person, "PersonBirthDate") or date.min,
                sex=_text(person, "Sex") or "U",
                ethnicity=_text(person, "Ethnicity"),
                postcode=_text(person, codes.TAG_POSTCODE),
                upn=_text(person, "UPN"),
                uln=_text(person, "UniqueLearnerNumber"),
                upn_unknown=_text(person, "UPNunknown"),
                requests=tuple(requests),
            )
        )
    return parsed
