"""Hand-built SEN2 cases for the golden and validator tests (synthetic people)."""

from __future__ import annotations

from datetime import date, datetime

from reporting.sen2.build import DisputeFacts, Header, PersonFacts, PlacementFacts, RequestFacts

CENSUS = date(2026, 1, 15)
HEADER = Header(census=CENSUS, la_number="999", created_at=datetime(2026, 1, 20, 9, 30, 0))

# A valid UPN: check letter computed by the mod-23 rule for "999201400001" + check.
UPN = "F999201400001"

ACTIVE = PersonFacts(
    key=1,
    surname="Testperson",
    forename="Ada",
    birth_date=date(2015, 3, 4),
    sex="F",
    ethnicity="WBRI",
    postcode="ab1 2cd",
    upn=UPN,
    requests=(
        RequestFacts(
            key=11,
            received_on=date(2025, 2, 3),
            source="1",
            request_outcome="Y",
            request_outcome_on=date(2025, 3, 10),
            issue_decided_on=date(2025, 5, 20),
            assessment_outcome="Y",
            assessment_outcome_on=date(2025, 6, 16),
            week20=False,
            placements=(
                PlacementFacts(urn=123456, rank=1, entry_on=date(2025, 9, 3), sen_unit=True),
                PlacementFacts(sen_setting="OLA", rank=2, named_in_plan=False, entry_on=date(2025, 9, 3)),
            ),
            needs=("ASD", "SLCN"),
            disputes=(DisputeFacts("plan_content", date(2025, 8, 1), False),),
        ),
    ),
)

REFUSED = PersonFacts(
    key=2,
    surname="Example",
    forename="Ben",
    birth_date=date(2012, 7, 1),
    sex="M",
    upn_unknown="UN8",
    requests=(
        RequestFacts(
            key=21,
            received_on=date(2025, 10, 1),
            source="2",
            request_outcome="N",
            request_outcome_on=date(2025, 11, 5),
            disputes=(DisputeFacts("refusal_to_assess", date(2025, 12, 1), True),),
        ),
    ),
)

# Decided after the census date: the return shows it undecided.
DECIDED_LATER = PersonFacts(
    key=3,
    surname="Sample",
    forename="Cai",
    birth_date=date(2019, 1, 9),
    sex="U",
    ethnicity="NOBT",
    uln="",
    upn_unknown="UN1",
    requests=(
        RequestFacts(
            key=31,
            received_on=date(2025, 12, 10),
            source="5",
            request_outcome="Y",
            request_outcome_on=date(2026, 1, 20),
        ),
    ),
)

# An old refusal: out of scope.
OLD_REFUSAL = PersonFacts(
    key=4,
    surname="Old",
    forename="Dee",
    birth_date=date(2010, 1, 1),
    sex="F",
    upn_unknown="UN8",
    requests=(
        RequestFacts(
            key=41, received_on=date(2023, 1, 5), source="1", request_outcome="N", request_outcome_on=date(2023, 2, 1)
        ),
    ),
)

# A plan issued long ago and ceased in the collection year.
CEASED = PersonFacts(
    key=5,
    surname="Former",
    forename="Eli",
    birth_date=date(2005, 5, 5),
    sex="M",
    ethnicity="AIND",
    upn_unknown="UN8",
    requests=(
        RequestFacts(
            key=51,
            received_on=date(2019, 1, 7),
            source="1",
            request_outcome="Y",
            request_outcome_on=date(2019, 2, 1),
            assessment_outcome="Y",
            assessment_outcome_on=date(2019, 5, 20),
            plan_start_on=date(2019, 5, 20),
            plan_ceased_on=date(2025, 7, 18),
            cease_reason="4",
            week20=True,
            placements=(PlacementFacts(urn=654321, rank=1, entry_on=date(2019, 9, 4), leaving_on=date(2025, 7, 18)),),
            needs=("MLD",),
        ),
    ),
)

ALL = (ACTIVE, REFUSED, DECIDED_LATER, OLD_REFUSAL, CEASED)
