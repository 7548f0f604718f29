"""The figures DfE will publish for the council, computed from the return itself (pure).

Definitions (docs/sen2.md): activity in the calendar year before the census. Requests received
in the year by their outcome in the return, the refusal rate (N over all requests received);
plans issued in the year (AssessmentOutcome Y dated in the year), within 20 weeks of the
request, with and without the plans whose Week20 flag says an exception applied; decisions not
to issue dated in the year, within 16 weeks. The keys are the dashboard's annual metric names,
so the two sets of figures are compared key by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from reporting.sen2 import codes

TWENTY_WEEKS = timedelta(weeks=20)  # reg 13(2)
SIXTEEN_WEEKS = timedelta(weeks=16)  # reg 10(1)

COUNTS = (
    "requests_received",
    "requests_decided_to_assess",
    "requests_decided_not_to_assess",
    "requests_decision_not_made",
    "requests_withdrawn",
    "plans_issued",
    "plans_issued_within_20_weeks",
    "plans_issued_excluding_exceptions",
    "plans_issued_within_20_weeks_excluding_exceptions",
    "not_issue_decisions",
    "not_issue_decisions_within_16_weeks",
)
RATES = ("refusal_rate_dfe", "pc_plans_issued_within_20_weeks", "pc_plans_issued_within_20_weeks_excluding_exceptions")
LABELS = {
    "requests_received": "Requests received",
    "requests_decided_to_assess": "Decided to assess",
    "requests_decided_not_to_assess": "Decided not to assess",
    "requests_decision_not_made": "Decision not yet made",
    "requests_withdrawn": "Withdrawn",
    "refusal_rate_dfe": "Refusal rate (%)",
    "plans_issued": "Plans issued",
    "plans_issued_within_20_weeks": "Plans issued within 20 weeks (including exceptions)",
    "pc_plans_issued_within_20_weeks": "Within 20 weeks, including exceptions (%)",
    "plans_issued_excluding_exceptions": "Plans issued where no exception applied",
    "plans_issued_within_20_weeks_excluding_exceptions": "Plans issued within 20 weeks (excluding exceptions)",
    "pc_plans_issued_within_20_weeks_excluding_exceptions": "Within 20 weeks, excluding exceptions (%)",
    "not_issue_decisions": "Decisions not to issue a plan",
    "not_issue_decisions_within_16_weeks": "Decisions not to issue within 16 weeks",
}
REQUEST_OUTCOME_KEYS = {
    "Y": "requests_decided_to_assess",
    "N": "requests_decided_not_to_assess",
    "A": "requests_decision_not_made",
    "W": "requests_withdrawn",
}


def percent(numerator: int, denominator: int) -> float | None:
    """As the dashboard rounds: one decimal place, halves up; None with nothing to divide by."""
    if not denominator:
        return None
    return float((Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Counted:
    """Which published counts one Requests element adds to (for the case-by-case comparison)."""

    person: int
    request: int
    keys: frozenset[str]


def _date(element: etree._Element, tag: str) -> date | None:
    text = element.findtext(tag)
    try:
        return date.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


def request_counts(request: etree._Element, year: int) -> set[str]:
    keys: set[str] = set()
    received = _date(request, "ReceivedDate")
    if received is not None and received.year == year:
        keys.add("requests_received")
        outcome_key = REQUEST_OUTCOME_KEYS.get((request.findtext("RequestOutcome") or "").strip())
        if outcome_key:
            keys.add(outcome_key)
    for assessment in request.findall("Assessment"):
        outcome = (assessment.findtext("AssessmentOutcome") or "").strip()
        on = _date(assessment, "AssessmentOutcomeDate")
        if on is None or on.year != year or received is None:
            continue
        if outcome == "Y":
            no_exception = (assessment.findtext("Week20") or "").strip() == "0"
            within = on - received <= TWENTY_WEEKS
            keys.add("plans_issued")
            if within:
                keys.add("plans_issued_within_20_weeks")
            if no_exception:
                keys.add("plans_issued_excluding_exceptions")
                if within:
                    keys.add("plans_issued_within_20_weeks_excluding_exceptions")
        elif outcome == "N":
            keys.add("not_issue_decisions")
            if on - received <= SIXTEEN_WEEKS:
                keys.add("not_issue_decisions_within_16_weeks")
    return keys


def counted(root: etree._Element) -> list[Counted]:
    census = (
        _date(root.find("Header/CollectionDetails"), "ReferenceDate")
        if root.find("Header/CollectionDetails") is not None
        else None
    )
    if census is None:
        return []
    year = codes.collection_period(census)[0].year
    result = []
    for person_index, person in enumerate(root.iterfind("Persons/Person")):
        for request_index, request in enumerate(person.findall("Requests")):
            keys = request_counts(request, year)
            if keys:
                result.append(Counted(person_index, request_index, frozenset(keys)))
    return result


def with_rates(data: dict[str, int]) -> dict[str, int | float | None]:
    figures: dict[str, int | float | None] = dict(data)
    figures["refusal_rate_dfe"] = percent(data["requests_decided_not_to_assess"], data["requests_received"])
    figures["pc_plans_issued_within_20_weeks"] = percent(data["plans_issued_within_20_weeks"], data["plans_issued"])
    figures["pc_plans_issued_within_20_weeks_excluding_exceptions"] = percent(
        data["plans_issued_within_20_weeks_excluding_exceptions"], data["plans_issued_excluding_exceptions"]
    )
    return figures


def published_figures(root: etree._Element) -> dict[str, int | float | None]:
    """Every published count and rate for the return's collection year."""
    data = dict.fromkeys(COUNTS, 0)
    for case in counted(root):
        for key in case.keys:
            data[key] += 1
    return with_rates(data)
