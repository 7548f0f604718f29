"""The SEN2 builders without a database: scope, the case as at the census date, the golden file."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from lxml import etree

from reporting.sen2 import build, codes, published, validate
from tests.dashboard.sen2 import cases

GOLDEN = Path(__file__).with_name("golden.xml")


def _elements(root: etree._Element) -> list[tuple[str, str]]:
    """Every element as (path, text), in document order (timestamps included)."""
    tree = root.getroottree()
    return [(tree.getpath(e), (e.text or "").strip()) for e in root.iter() if isinstance(e.tag, str)]


def test_golden_file_element_by_element() -> None:
    built = build.build_return(cases.HEADER, cases.ALL)
    expected = etree.fromstring(GOLDEN.read_bytes())
    got, want = _elements(built.root), _elements(expected)
    for index, (got_item, want_item) in enumerate(zip(got, want, strict=False)):
        assert got_item == want_item, f"element {index}: {got_item} != {want_item}"
    assert len(got) == len(want)


def test_golden_file_validates_cleanly() -> None:
    assert validate.validate(etree.fromstring(GOLDEN.read_bytes())) == []


def test_old_refusal_is_out_of_scope_and_index_names_each_case() -> None:
    built = build.build_return(cases.HEADER, cases.ALL)
    assert built.index == [(1, [11]), (2, [21]), (3, [31]), (5, [51])]


def test_decision_after_census_is_left_out() -> None:
    state = build.request_as_at(cases.DECIDED_LATER.requests[0], cases.CENSUS)
    assert (state.request_outcome, state.request_outcome_on, state.scope) == ("A", None, build.Scope.ONGOING_REQUEST)
    # The same case for the next census: decided, and (received in 2025) no longer in scope.
    later = build.request_as_at(cases.DECIDED_LATER.requests[0], date(2027, 1, 21))
    assert later.request_outcome == "Y"


def test_plan_issued_after_census_is_ongoing_issue_stage() -> None:
    facts = replace(cases.ACTIVE.requests[0], assessment_outcome_on=date(2026, 3, 2), issue_decided_on=date(2026, 1, 5))
    state = build.request_as_at(facts, cases.CENSUS)
    assert (state.assessment_outcome, state.assessment_outcome_on, state.scope) == (
        "Y",
        None,
        build.Scope.ONGOING_ISSUE,
    )
    element = build.build_requests(state, cases.CENSUS)
    assert element.find("Assessment/NamedPlan") is None and element.find("ActivePlans") is None


def test_plan_ceased_after_census_is_still_active() -> None:
    facts = replace(cases.CEASED.requests[0], plan_ceased_on=date(2026, 2, 1))
    state = build.request_as_at(facts, cases.CENSUS)
    assert state.scope is build.Scope.ACTIVE_PLAN
    assert build.build_named_plan(state, cases.CENSUS).find("CeaseDate") is None


def test_plan_ceased_before_collection_period_is_out_of_scope() -> None:
    facts = replace(cases.CEASED.requests[0], plan_ceased_on=date(2024, 12, 31))
    assert build.request_as_at(facts, cases.CENSUS).scope is None


def test_not_to_issue_and_withdrawn_in_year_are_in_scope() -> None:
    base = cases.ACTIVE.requests[0]
    not_issued = replace(base, assessment_outcome="N", assessment_outcome_on=date(2025, 6, 1), issue_decided_on=None)
    assert build.request_as_at(not_issued, cases.CENSUS).scope is build.Scope.NOT_TO_ISSUE
    withdrawn = replace(base, request_outcome="W", request_outcome_on=date(2025, 2, 20))
    assert build.request_as_at(withdrawn, cases.CENSUS).scope is build.Scope.WITHDRAWN


def test_blank_items_are_omitted() -> None:
    element = build.build_person(cases.REFUSED, [], cases.CENSUS)
    assert element.find("UPN") is None and element.find(codes.TAG_POSTCODE) is None


def test_upn_and_uln_checks() -> None:
    assert codes.upn_valid(cases.UPN)
    assert not codes.upn_valid("A" + cases.UPN[1:])
    assert codes.uln_valid("1000000000") and not codes.uln_valid("1000000001")


def test_census_dates() -> None:
    assert codes.census_date(2026) == date(2026, 1, 15)
    assert codes.third_thursday_of_january(2028) == date(2028, 1, 20)
    assert codes.last_census_on_or_before(date(2026, 12, 7)) == date(2026, 1, 15)
    assert codes.last_census_on_or_before(date(2026, 1, 10)) == date(2025, 1, 16)


def test_published_figures_from_the_return() -> None:
    figures = published.published_figures(build.build_return(cases.HEADER, cases.ALL).root)
    assert figures["requests_received"] == 3
    assert figures["requests_decided_not_to_assess"] == 1
    assert figures["requests_decision_not_made"] == 1
    assert figures["refusal_rate_dfe"] == 33.3
    assert figures["plans_issued"] == 1
    assert figures["plans_issued_within_20_weeks"] == 1  # 3 Feb to 16 Jun: 19 weeks
    assert figures["plans_issued_excluding_exceptions"] == 1
