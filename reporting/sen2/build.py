"""Pure builders of the SEN2 return (no database): each case as it stood on the census date,
whether it is in scope, and each element in the specification's order (docs/sen2.md).

The selectors read the case record into the frozen ``PersonFacts`` / ``RequestFacts`` below,
with every date the record holds; here those dates are compared with the census date, so an
event dated after it (a plan issued in March for a January census) is left out and a past
census's return can be built again at any time.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from lxml import etree

from reporting.sen2 import codes

# --- The facts the builders read ---------------------------------------------------------------


@dataclass(frozen=True)
class PlacementFacts:
    urn: int | None = None
    ukprn: int | None = None
    sen_setting: str = ""
    sen_setting_other: str = ""
    rank: int = 1
    named_in_plan: bool = True
    entry_on: date | None = None
    leaving_on: date | None = None
    sen_unit: bool = False
    resourced_provision: bool = False


@dataclass(frozen=True)
class DisputeFacts:
    """A mediation held or an appeal registered on ``on``, about ``against`` (disputes.Disputed).
    ``decided_on``: the disputed decision's date, when known (read from a file by ``parse``)."""

    against: str
    on: date
    tribunal: bool
    decided_on: date | None = None


@dataclass(frozen=True)
class RequestFacts:
    key: int
    received_on: date
    source: str  # SEN2 RequestSource code
    rya: bool = False
    request_outcome: str = "A"  # the outcome on the record now: Y, N, A or W
    request_outcome_on: date | None = None
    issue_decided_on: date | None = None  # a standing decision to issue a plan was notified
    assessment_outcome: str = ""  # Y (plan issued), N, A, W or blank
    assessment_outcome_on: date | None = None
    plan_start_on: date | None = None
    plan_ceased_on: date | None = None
    cease_reason: str = ""
    week20: bool = False
    placements: tuple[PlacementFacts, ...] = ()
    needs: tuple[str, ...] = ()  # primary need first
    disputes: tuple[DisputeFacts, ...] = ()


@dataclass(frozen=True)
class PersonFacts:
    key: int
    surname: str
    forename: str
    birth_date: date
    sex: str
    ethnicity: str = ""
    postcode: str = ""
    upn: str = ""
    uln: str = ""
    upn_unknown: str = ""
    requests: tuple[RequestFacts, ...] = ()


@dataclass(frozen=True)
class Header:
    census: date
    la_number: str
    created_at: datetime
    serial_no: str = "001"


# --- Each request as it stood on the census date -------------------------------------------------


class Scope(enum.StrEnum):
    """Why a request is in the return (the specification's case types)."""

    ACTIVE_PLAN = "active_plan"
    CEASED_PLAN = "ceased_plan"
    NOT_TO_ISSUE = "not_to_issue"
    NOT_TO_ASSESS = "not_to_assess"
    WITHDRAWN = "withdrawn"
    ONGOING_ISSUE = "ongoing_issue"
    ONGOING_ASSESSMENT = "ongoing_assessment"
    ONGOING_REQUEST = "ongoing_request"
    RECEIVED_IN_PERIOD = "received_in_period"


@dataclass(frozen=True)
class RequestState:
    """The SEN2 view of one request on the census date."""

    facts: RequestFacts
    request_outcome: str
    request_outcome_on: date | None
    assessment_outcome: str  # blank: no Assessment element
    assessment_outcome_on: date | None
    plan_issued: bool
    plan_ceased_on: date | None
    scope: Scope | None = field(default=None)


def _known(on: date | None, census: date) -> bool:
    return on is not None and on <= census


def request_as_at(facts: RequestFacts, census: date) -> RequestState:
    period_start, _ = codes.collection_period(census)
    historical = codes.RETURN_HISTORICAL_OUTCOMES
    if facts.request_outcome in ("Y", "N", "W") and _known(facts.request_outcome_on, census):
        ro, ro_on = facts.request_outcome, facts.request_outcome_on
    else:
        ro, ro_on = "A", None
    ao, ao_on = "", None
    if ro == "Y":
        if facts.assessment_outcome in ("Y", "N", "W") and _known(facts.assessment_outcome_on, census):
            ao, ao_on = facts.assessment_outcome, facts.assessment_outcome_on
        elif _known(facts.issue_decided_on, census):
            ao = "Y"  # decided to issue; the final plan not yet issued
        else:
            ao = "A"
    plan_issued = ao == "Y" and ao_on is not None
    ceased_on = facts.plan_ceased_on if plan_issued and _known(facts.plan_ceased_on, census) else None
    if historical and ro in ("Y", "N") and ro_on is not None and ro_on < period_start:
        ro, ro_on = "H", None
    if historical and ao in ("Y", "N") and ao_on is not None and ao_on < period_start:
        ao, ao_on = "H", None
    state = RequestState(facts, ro, ro_on, ao, ao_on, plan_issued, ceased_on)
    return RequestState(facts, ro, ro_on, ao, ao_on, plan_issued, ceased_on, scope_of(state, census))


def _within(on: date | None, start: date, end: date) -> bool:
    return on is not None and start <= on <= end


def scope_of(state: RequestState, census: date) -> Scope | None:
    """The case type that puts the request in the return, or None: it is out of scope."""
    facts = state.facts
    if facts.received_on > census:
        return None
    period_start, period_end = codes.collection_period(census)
    window_end = census if codes.CEASED_WINDOW_ENDS_ON_CENSUS else period_end
    if state.plan_issued and state.plan_ceased_on is None:
        return Scope.ACTIVE_PLAN
    if state.plan_issued:
        return Scope.CEASED_PLAN if _within(state.plan_ceased_on, period_start, window_end) else None
    if state.assessment_outcome == "N" and _within(state.assessment_outcome_on, period_start, census):
        return Scope.NOT_TO_ISSUE
    if state.request_outcome == "N" and _within(state.request_outcome_on, period_start, census):
        return Scope.NOT_TO_ASSESS
    withdrawn_on = state.assessment_outcome_on if state.assessment_outcome == "W" else state.request_outcome_on
    if "W" in (state.request_outcome, state.assessment_outcome) and _within(withdrawn_on, period_start, census):
        return Scope.WITHDRAWN
    if state.assessment_outcome == "Y":
        return Scope.ONGOING_ISSUE
    if state.assessment_outcome == "A":
        return Scope.ONGOING_ASSESSMENT
    if state.request_outcome == "A":
        return Scope.ONGOING_REQUEST
    if _within(facts.received_on, period_start, period_end):
        return Scope.RECEIVED_IN_PERIOD
    return None


def in_scope(person: PersonFacts, census: date) -> list[RequestState]:
    """The person's requests in the return, oldest first (empty: the person is left out)."""
    states = [request_as_at(r, census) for r in sorted(person.requests, key=lambda r: (r.received_on, r.key))]
    return [s for s in states if s.scope is not None]


# --- Elements, in the specification's order ------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def add(parent: etree._Element, tag: str, value: object) -> None:
    """Append ``<tag>value</tag>``; a blank item is left out, not sent empty."""
    text = _text(value)
    if text:
        etree.SubElement(parent, tag).text = text


def build_header(header: Header) -> etree._Element:
    element = etree.Element("Header")
    details = etree.SubElement(element, "CollectionDetails")
    add(details, "Collection", "SEN2")
    add(details, "Year", header.census.year)
    add(details, "ReferenceDate", header.census)
    source = etree.SubElement(element, "Source")
    add(source, "SourceLevel", "L")
    add(source, "LEA", header.la_number)
    add(source, "SoftwareCode", codes.SOFTWARE_CODE)
    add(source, "Release", codes.RELEASE)
    add(source, "SerialNo", header.serial_no)
    add(source, "DateTime", header.created_at.replace(microsecond=0, tzinfo=None).isoformat())
    return element


def _dispute_flag(state: RequestState, census: date, against: Iterable[str], *, tribunal: bool) -> bool:
    wanted = set(against)
    return any(d.against in wanted and d.tribunal == tribunal and d.on <= census for d in state.facts.disputes)


REQUEST_DISPUTES = ("refusal_to_assess", "refusal_to_reassess")
ASSESSMENT_DISPUTES = ("not_to_issue",)
OTHER_DISPUTES = ("plan_content", "school_named", "refusal_to_amend", "cease")


def _detail(parent: etree._Element, tag: str, placement: PlacementFacts) -> etree._Element:
    element = etree.SubElement(parent, tag)
    has_id = placement.urn is not None or placement.ukprn is not None
    if placement.urn is not None:
        add(element, "URN", placement.urn)
    elif placement.ukprn is not None:
        add(element, "UKPRN", placement.ukprn)
    else:
        add(element, codes.TAG_SEN_SETTING, placement.sen_setting)
        add(element, codes.TAG_SEN_SETTING_OTHER, placement.sen_setting_other)
    add(element, "PlacementRank", placement.rank)
    return _indicators(element, placement, has_id) if tag == "PlanDetail" else element


def _indicators(element: etree._Element, placement: PlacementFacts, has_id: bool) -> etree._Element:
    if has_id:
        add(element, "SENunitIndicator", placement.sen_unit)
        add(element, "ResourcedProvisionIndicator", placement.resourced_provision)
    return element


def build_named_plan(state: RequestState, census: date) -> etree._Element:
    facts = state.facts
    plan = etree.Element("NamedPlan")
    add(plan, "StartDate", facts.plan_start_on or state.assessment_outcome_on or facts.assessment_outcome_on)
    add(plan, "PB", codes.PERSONAL_BUDGET_NOT_RECORDED)
    add(plan, "CeaseDate", state.plan_ceased_on)
    add(plan, "CeaseReason", facts.cease_reason if state.plan_ceased_on else "")
    for placement in sorted(facts.placements, key=lambda p: (p.rank, p.entry_on or date.min)):
        if placement.named_in_plan and (placement.entry_on is None or placement.entry_on <= census):
            _detail(plan, "PlanDetail", placement)
    return plan


def build_assessment(state: RequestState, census: date) -> etree._Element:
    element = etree.Element("Assessment")
    add(element, "AssessmentOutcome", state.assessment_outcome)
    add(element, "AssessmentOutcomeDate", state.assessment_outcome_on)
    if state.assessment_outcome in ("Y", "N"):
        add(element, "AssessmentMediation", _dispute_flag(state, census, ASSESSMENT_DISPUTES, tribunal=False))
        add(element, "AssessmentTribunal", _dispute_flag(state, census, ASSESSMENT_DISPUTES, tribunal=True))
    if state.plan_issued:
        add(element, "OtherMediation", _dispute_flag(state, census, OTHER_DISPUTES, tribunal=False))
        add(element, "OtherTribunal", _dispute_flag(state, census, OTHER_DISPUTES, tribunal=True))
        if state.assessment_outcome == "Y":
            add(element, "Week20", state.facts.week20)
        element.append(build_named_plan(state, census))
    return element


def build_active_plans(state: RequestState, census: date) -> etree._Element:
    element = etree.Element("ActivePlans")
    previous_census = codes.census_date(census.year - 1)
    for placement in sorted(state.facts.placements, key=lambda p: (p.entry_on or date.min, p.rank)):
        if placement.entry_on is None or placement.entry_on > census:
            continue
        if placement.leaving_on is not None and placement.leaving_on < previous_census:
            continue
        detail = etree.SubElement(element, "PlacementDetail")
        has_id = placement.urn is not None or placement.ukprn is not None
        if placement.urn is not None:
            add(detail, "URN", placement.urn)
        elif placement.ukprn is not None:
            add(detail, "UKPRN", placement.ukprn)
        else:
            add(detail, codes.TAG_SEN_SETTING, placement.sen_setting)
            add(detail, codes.TAG_SEN_SETTING_OTHER, placement.sen_setting_other)
        add(detail, "PlacementRank", placement.rank)
        add(detail, "EntryDate", placement.entry_on)
        add(detail, "LeavingDate", placement.leaving_on if _known(placement.leaving_on, census) else None)
        _indicators(detail, placement, has_id)
    for rank, need in enumerate(state.facts.needs[:2], start=1):
        sen_need = etree.SubElement(element, "SENneed")
        add(sen_need, "SENtype", need)
        add(sen_need, "SENtypeRank", rank)
    return element


def build_requests(state: RequestState, census: date) -> etree._Element:
    facts = state.facts
    element = etree.Element("Requests")
    add(element, "ReceivedDate", facts.received_on)
    add(element, "RequestSource", facts.source)
    add(element, "RYA", facts.rya)
    add(element, "RequestOutcomeDate", state.request_outcome_on)
    add(element, "RequestOutcome", state.request_outcome)
    if state.request_outcome in ("Y", "N"):
        add(element, "RequestMediation", _dispute_flag(state, census, REQUEST_DISPUTES, tribunal=False))
        add(element, "RequestTribunal", _dispute_flag(state, census, REQUEST_DISPUTES, tribunal=True))
    if state.assessment_outcome:
        element.append(build_assessment(state, census))
    if state.scope is Scope.ACTIVE_PLAN:
        element.append(build_active_plans(state, census))
    return element


def build_person(person: PersonFacts, states: Sequence[RequestState], census: date) -> etree._Element:
    element = etree.Element("Person")
    add(element, "Surname", person.surname)
    add(element, "Forename", person.forename)
    add(element, "PersonBirthDate", person.birth_date)
    add(element, "Sex", person.sex)
    add(element, "Ethnicity", person.ethnicity or codes.ETHNICITY_NOT_RECORDED)
    add(element, codes.TAG_POSTCODE, person.postcode.upper())
    add(element, "UPN", person.upn.upper())
    add(element, "UniqueLearnerNumber", person.uln)
    if not person.upn and not person.uln:
        add(element, "UPNunknown", person.upn_unknown)
    for state in states:
        element.append(build_requests(state, census))
    return element


@dataclass(frozen=True)
class BuiltReturn:
    root: etree._Element
    # (person key, request key) of each Requests element, in document order: the validator's
    # findings link back to the case through it.
    index: list[tuple[int, list[int]]]


def build_return(header: Header, persons: Iterable[PersonFacts]) -> BuiltReturn:
    root = etree.Element("Message")
    root.append(build_header(header))
    persons_element = etree.SubElement(root, "Persons")
    index: list[tuple[int, list[int]]] = []
    for person in persons:
        states = in_scope(person, header.census)
        if states:
            persons_element.append(build_person(person, states, header.census))
            index.append((person.key, [s.facts.key for s in states]))
    return BuiltReturn(root, index)


def to_bytes(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
