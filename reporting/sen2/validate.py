"""The validator: checks a SEN2 file against the rules in docs/sen2.md (pure; no database).

DfE's own rule numbers are not published in a form we could read, so the rules carry SEN
Portal's ids (S structure, H header, M required items, C codes, P person, U identifiers,
R requests, A assessments, N named plans, D settings, L active plans). Each finding names the
person and request by their position in the file; the stored return's index turns those into
links to the cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lxml import etree

from reporting.sen2 import codes

ERROR = "error"
QUERY = "query"

# Children of each element, in the order the specification lists them.
ORDER: dict[str, tuple[str, ...]] = {
    "Message": ("Header", "Persons"),
    "Header": ("CollectionDetails", "Source"),
    "CollectionDetails": ("Collection", "Year", "ReferenceDate"),
    "Source": ("SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime"),
    "Persons": ("Person",),
    "Person": (
        "Surname",
        "Forename",
        "PersonBirthDate",
        "Sex",
        "Ethnicity",
        codes.TAG_POSTCODE,
        "UPN",
        "UniqueLearnerNumber",
        "UPNunknown",
        "Requests",
    ),
    "Requests": (
        "ReceivedDate",
        "RequestSource",
        "RYA",
        "RequestOutcomeDate",
        "RequestOutcome",
        "RequestMediation",
        "RequestTribunal",
        "Exported",
        "Assessment",
        "ActivePlans",
    ),
    "Assessment": (
        "AssessmentOutcome",
        "AssessmentOutcomeDate",
        "AssessmentMediation",
        "AssessmentTribunal",
        "OtherMediation",
        "OtherTribunal",
        "Week20",
        "NamedPlan",
    ),
    "NamedPlan": ("StartDate", "PlanRes", "PlanWBP", "PB", "OA", "DP", "CeaseDate", "CeaseReason", "PlanDetail"),
    "PlanDetail": (
        "URN",
        "UKPRN",
        codes.TAG_SEN_SETTING,
        codes.TAG_SEN_SETTING_OTHER,
        "PlacementRank",
        "SENunitIndicator",
        "ResourcedProvisionIndicator",
    ),
    "ActivePlans": (
        "TransferLA",
        "ReviewMeeting",
        "ReviewOutcome",
        "ReviewDraft",
        "PhaseTransferDueDate",
        "PhaseTransferFinalDate",
        "LastReview",
        "PlacementDetail",
        "SENneed",
    ),
    "PlacementDetail": (
        "URN",
        "UKPRN",
        codes.TAG_SEN_SETTING,
        codes.TAG_SEN_SETTING_OTHER,
        "PlacementRank",
        "EntryDate",
        "LeavingDate",
        "SENunitIndicator",
        "ResourcedProvisionIndicator",
        "RES",
        "WBP",
    ),
    "SENneed": ("SENtype", "SENtypeRank"),
}
REPEATABLE = {"Person", "Requests", "Assessment", "PlanDetail", "PlacementDetail", "SENneed"}
REQUIRED: dict[str, tuple[str, ...]] = {
    "Person": ("Surname", "Forename", "PersonBirthDate", "Sex", "Ethnicity"),
    "Requests": ("ReceivedDate", "RequestSource", "RYA", "RequestOutcome"),
    "Assessment": ("AssessmentOutcome",),
    "NamedPlan": ("StartDate", "PB"),
    "PlanDetail": ("PlacementRank",),
    "PlacementDetail": ("PlacementRank", "EntryDate"),
    "SENneed": ("SENtype", "SENtypeRank"),
}
DATES = {
    "ReferenceDate",
    "PersonBirthDate",
    "ReceivedDate",
    "RequestOutcomeDate",
    "AssessmentOutcomeDate",
    "StartDate",
    "CeaseDate",
    "EntryDate",
    "LeavingDate",
    "ReviewMeeting",
    "ReviewDraft",
    "LastReview",
    "PhaseTransferDueDate",
    "PhaseTransferFinalDate",
}
FLAG_ITEMS = (
    "RYA",
    "RequestMediation",
    "RequestTribunal",
    "AssessmentMediation",
    "AssessmentTribunal",
    "OtherMediation",
    "OtherTribunal",
    "Week20",
    "PB",
    "OA",
    "SENunitIndicator",
    "ResourcedProvisionIndicator",
)
CODED: dict[str, tuple[str, ...]] = {
    "Sex": codes.SEX,
    "Ethnicity": tuple(codes.ETHNICITIES),
    "UPNunknown": tuple(codes.UPN_UNKNOWN),
    "RequestSource": codes.REQUEST_SOURCES,
    "RequestOutcome": codes.OUTCOMES,
    "AssessmentOutcome": codes.OUTCOMES,
    "CeaseReason": tuple(codes.CEASE_REASONS),
    codes.TAG_SEN_SETTING: tuple(codes.SEN_SETTINGS),
    "SENtype": codes.SEN_TYPES,
    "PlacementRank": ("1", "2"),
    "SENtypeRank": ("1", "2"),
    **{flag: codes.FLAGS for flag in FLAG_ITEMS},
}
PATTERNS: dict[str, str] = {
    "LEA": r"\d{3}",
    "URN": r"\d{6}",
    "UKPRN": r"1\d{7}",
    "TransferLA": r"\d{3}",
    "Year": r"\d{4}",
}

# Rule ids and what each checks (shown on the report page and in docs/sen2.md).
RULES: dict[str, str] = {
    "S01": "Elements are named, nested and ordered as the specification lists them",
    "H01": "The header names the SEN2 collection, its year and census date, and a 3-digit LA number",
    "M01": "A required item is present",
    "C01": "A coded item holds a code from its list",
    "C02": "A date is a valid date (CCYY-MM-DD)",
    "P01": "Each person has a UPN, a unique learner number or the reason neither is known",
    "P02": "The date of birth is on or before the census date",
    "P03": "No UPN is used by two persons",
    "U01": "The UPN's check letter is right",
    "U02": "The unique learner number's check digit is right",
    "R01": "The request was received on or before the census date and after the birth",
    "R02": "A decision to assess or not has its date",
    "R03": "The decision date is on or after the request and on or before the census date",
    "R05": "A request the council declined to assess has no assessment",
    "R06": "A historical outcome is only for a request received before the collection period",
    "A01": "A decision not to issue, and a plan issued, have their date",
    "A02": "An assessment undecided or withdrawn has no named plan",
    "A03": "The assessment outcome date is on or after the request and its decision, and not after the census",
    "A04": "A plan issued has its named plan and its Week20 flag",
    "N02": "A plan's cease date and reason go together; it ends after it starts and not after the census",
    "D01": "Each setting has exactly one of URN, UKPRN and setting type",
    "D04": "A plan names at most one setting of each rank",
    "D05": "An 'other' setting type has its description",
    "L01": "An active plan has a placement open on the census date and a primary need",
    "L02": "A placement starts on or before the census date and ends after it starts",
    "L03": "Needs: exactly one primary, at most one secondary, no need twice",
}


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    person: int | None = None  # position of the Person in the file (0-based)
    request: int | None = None  # position of the Requests element within its Person
    person_label: str = ""
    severity: str = ERROR

    @property
    def description(self) -> str:
        return RULES.get(self.rule, "")


def _text(element: etree._Element | None, tag: str) -> str:
    if element is None:
        return ""
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _date(element: etree._Element | None, tag: str) -> date | None:
    try:
        return date.fromisoformat(_text(element, tag)) if _text(element, tag) else None
    except ValueError:
        return None


class _Report:
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.person: int | None = None
        self.request: int | None = None
        self.label = ""

    def add(self, rule: str, message: str, severity: str = ERROR) -> None:
        self.findings.append(Finding(rule, message, self.person, self.request, self.label, severity))


def _structure(element: etree._Element, report: _Report) -> None:
    allowed = ORDER.get(element.tag)
    tags = [child.tag for child in element if isinstance(child.tag, str)]
    if allowed is not None:
        position = -1
        for tag in tags:
            if tag not in allowed:
                report.add("S01", f"<{tag}> is not expected inside <{element.tag}>")
                continue
            index = allowed.index(tag)
            if index < position or (index == position and tag not in REPEATABLE):
                report.add("S01", f"<{tag}> is out of order or repeated inside <{element.tag}>")
            position = max(position, index)
    for tag in REQUIRED.get(element.tag, ()):
        if not _text(element, tag):
            report.add("M01", f"<{element.tag}> has no <{tag}>")
    for child in element:
        if not isinstance(child.tag, str):
            continue
        value = (child.text or "").strip()
        if child.tag in DATES and value:
            try:
                date.fromisoformat(value)
                if len(value) != 10:
                    raise ValueError(value)
            except ValueError:
                report.add("C02", f"<{child.tag}> '{value}' is not a date (CCYY-MM-DD)")
        if child.tag in CODED and value and value not in CODED[child.tag]:
            report.add("C01", f"<{child.tag}> '{value}' is not a valid code")
        if child.tag in PATTERNS and value and not re.fullmatch(PATTERNS[child.tag], value):
            report.add("C01", f"<{child.tag}> '{value}' is not in the expected form")
        if child.tag == "Person":
            # A finding inside a person names them, like the rules checked person by person.
            report.person = (report.person + 1) if report.person is not None else 0
            report.label = f"{_text(child, 'Forename')} {_text(child, 'Surname')}".strip()
        if child.tag in ORDER:
            _structure(child, report)


def _header(root: etree._Element, report: _Report) -> date | None:
    details = root.find("Header/CollectionDetails")
    source = root.find("Header/Source")
    census = _date(details, "ReferenceDate")
    if details is None or _text(details, "Collection") != "SEN2":
        report.add("H01", "The collection is not SEN2")
    if census is None:
        report.add("H01", "The header has no census (reference) date")
    elif _text(details, "Year") != str(census.year):
        report.add("H01", f"The year is not the census date's year ({census.year})")
    elif census != codes.census_date(census.year):
        report.add("H01", f"{census} is not the census date for {census.year}", QUERY)
    if source is None or _text(source, "SourceLevel") != "L" or not re.fullmatch(r"\d{3}", _text(source, "LEA")):
        report.add("H01", "The source must be level L with a 3-digit LA number")
    return census


def _settings(plan_or_active: etree._Element, tag: str, report: _Report) -> None:
    ranks: list[str] = []
    for detail in plan_or_active.findall(tag):
        present = [t for t in ("URN", "UKPRN", codes.TAG_SEN_SETTING) if _text(detail, t)]
        if len(present) != 1:
            report.add("D01", f"<{tag}> has {len(present)} of URN, UKPRN and setting type (exactly one expected)")
        if _text(detail, codes.TAG_SEN_SETTING) in codes.SEN_SETTINGS_NEEDING_DETAIL and not _text(
            detail, codes.TAG_SEN_SETTING_OTHER
        ):
            report.add("D05", f"<{tag}> setting type {_text(detail, codes.TAG_SEN_SETTING)} has no description")
        ranks.append(_text(detail, "PlacementRank"))
    if tag == "PlanDetail" and (ranks.count("1") > 1 or ranks.count("2") > 1):
        report.add("D04", "The plan names more than one setting of the same rank")


def _active_plans(active: etree._Element | None, census: date, report: _Report) -> None:
    if active is None:
        report.add("L01", "An active plan has no <ActivePlans>")
        return
    open_on_census = False
    for detail in active.findall("PlacementDetail"):
        entry, leaving = _date(detail, "EntryDate"), _date(detail, "LeavingDate")
        if entry is not None and entry > census:
            report.add("L02", f"A placement starts ({entry}) after the census date")
        if entry is not None and leaving is not None and leaving < entry:
            report.add("L02", f"A placement ends ({leaving}) before it starts ({entry})")
        if entry is not None and entry <= census and (leaving is None or leaving >= census):
            open_on_census = True
    _settings(active, "PlacementDetail", report)
    if not open_on_census:
        report.add("L01", "An active plan has no placement open on the census date")
    ranks = [_text(need, "SENtypeRank") for need in active.findall("SENneed")]
    types = [_text(need, "SENtype") for need in active.findall("SENneed")]
    if not ranks:
        report.add("L01", "An active plan has no primary need")
    elif ranks.count("1") != 1 or ranks.count("2") > 1 or len(set(types)) != len(types):
        report.add("L03", "Needs must be one primary, at most one secondary, and not the same need twice")


def _assessment(
    assessment: etree._Element, request: etree._Element, census: date, report: _Report
) -> tuple[bool, bool]:
    """Check one assessment; return (plan issued, plan active on the census date)."""
    outcome = _text(assessment, "AssessmentOutcome")
    outcome_on = _date(assessment, "AssessmentOutcomeDate")
    plan = assessment.find("NamedPlan")
    received, decided = _date(request, "ReceivedDate"), _date(request, "RequestOutcomeDate")
    if outcome == "N" and outcome_on is None:
        report.add("A01", "A decision not to issue a plan has no date")
    if outcome in ("A", "W") and plan is not None:
        report.add("A02", f"Assessment outcome {outcome} has a named plan")
    if outcome_on is not None:
        if (received and outcome_on < received) or (decided and outcome_on < decided):
            report.add("A03", f"The assessment outcome date {outcome_on} is before the request or its decision")
        if outcome_on > census:
            report.add("A03", f"The assessment outcome date {outcome_on} is after the census date")
    if outcome == "Y" and outcome_on is not None and (plan is None or not _text(assessment, "Week20")):
        report.add("A04", "A plan issued has no <NamedPlan> or no <Week20>")
    if plan is None:
        return False, False
    start, ceased, reason = _date(plan, "StartDate"), _date(plan, "CeaseDate"), _text(plan, "CeaseReason")
    if bool(ceased) != bool(reason):
        report.add("N02", "A plan's cease date and cease reason must both be given, or neither")
    if ceased is not None and ((start is not None and ceased < start) or ceased > census):
        report.add("N02", f"The cease date {ceased} is before the plan starts or after the census date")
    _settings(plan, "PlanDetail", report)
    return True, ceased is None or ceased > census


def validate(root: etree._Element) -> list[Finding]:
    """Every finding in the file, in document order."""
    report = _Report()
    if root.tag != "Message":
        report.add("S01", f"The root element is <{root.tag}>, not <Message>")
        return report.findings
    _structure(root, report)
    report.person, report.label = None, ""
    census = _header(root, report)
    if census is None:
        return report.findings
    period_start, _ = codes.collection_period(census)
    upns: dict[str, int] = {}
    for person_index, person in enumerate(root.iterfind("Persons/Person")):
        report.person, report.request = person_index, None
        report.label = f"{_text(person, 'Forename')} {_text(person, 'Surname')}".strip()
        upn, uln, unknown = _text(person, "UPN"), _text(person, "UniqueLearnerNumber"), _text(person, "UPNunknown")
        birth = _date(person, "PersonBirthDate")
        if not (upn or uln or unknown):
            report.add("P01", "No UPN, no unique learner number and no reason (UPNunknown)")
        if unknown and (upn or uln):
            report.add("P01", "UPNunknown is given although a UPN or ULN is")
        if birth is not None and birth > census:
            report.add("P02", f"The date of birth {birth} is after the census date")
        if upn and not codes.upn_valid(upn):
            report.add("U01", f"The UPN {upn} fails its check letter")
        if upn and upn in upns:
            report.add("P03", f"The UPN {upn} is also person {upns[upn] + 1}'s", QUERY)
        if upn:
            upns.setdefault(upn, person_index)
        if uln and not codes.uln_valid(uln):
            report.add("U02", f"The unique learner number {uln} fails its check digit")
        for request_index, request in enumerate(person.findall("Requests")):
            report.request = request_index
            _request(request, census, period_start, birth, report)
    return report.findings


def _request(request: etree._Element, census: date, period_start: date, birth: date | None, report: _Report) -> None:
    received, decided = _date(request, "ReceivedDate"), _date(request, "RequestOutcomeDate")
    outcome = _text(request, "RequestOutcome")
    if received is not None and (received > census or (birth is not None and received < birth)):
        report.add("R01", f"The request date {received} is after the census date or before the birth")
    if outcome in ("Y", "N") and decided is None:
        report.add("R02", f"Request outcome {outcome} has no decision date")
    if decided is not None and ((received is not None and decided < received) or decided > census):
        report.add("R03", f"The decision date {decided} is before the request or after the census date")
    assessments = request.findall("Assessment")
    if outcome == "N" and assessments:
        report.add("R05", "A request the council declined to assess has an assessment")
    if outcome == "H" and received is not None and received >= period_start:
        report.add("R06", f"Outcome H for a request received in the collection period ({received})")
    active = False
    for assessment in assessments:
        _issued, is_active = _assessment(assessment, request, census, report)
        active = active or is_active
    if active:
        _active_plans(request.find("ActivePlans"), census, report)


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]
