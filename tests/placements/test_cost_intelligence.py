"""Cost intelligence at the panel (docs/domain.md, cost intelligence): each costed line of a
referral against the agreed costs of its kind at other providers for the same primary need, on
every door (page, pack, minutes, API), with flags; the contract's benchmark in its API; the
proposed provider's Ofsted grade flagged when below Good. Hand-built data, figures worked out
by hand in the comments."""

from __future__ import annotations

import json
from datetime import date, time
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import NeedType
from panels import services as panel_services
from panels import workflow as panel_workflow
from panels.models import Referral
from placements import reports
from tests.panels.factories import IndependentSchoolFactory, Panel, ReferralFactory, make_panel
from tests.placements.factories import ActiveContractFactory, CostLineFactory, ProviderFactory
from tests.requests_app.factories import AssessingRequestFactory, ChildFactory

pytestmark = pytest.mark.django_db

# Agreed tuition a year at five other providers for SEMH: £40,000, £45,000, £48,000, £52,000,
# £70,000 -> lowest £40,000, lower quartile £45,000, median £48,000, upper quartile £52,000,
# highest £70,000.
SEMH_TUITION = (4_000_000, 4_500_000, 4_800_000, 5_200_000, 7_000_000)
EXPECTED_TUITION = panel_workflow.Benchmark(
    n=5, low=4_000_000, lower_quartile=4_500_000, median=4_800_000, upper_quartile=5_200_000, high=7_000_000
)


def _contract(need: str, category: str, annual: int, *, provider=None, status: str = "active", names=("Ann", "Other")):
    contract = ActiveContractFactory(
        child=ChildFactory(primary_need=need, forename=names[0], surname=names[1]),
        lines=[],
        status=status,
        **({"provider": provider} if provider else {}),
    )
    CostLineFactory(contract=contract, category=category, quoted_amount_pence=annual, agreed_amount_pence=annual)
    return contract


@pytest.fixture
def market():
    """The SEMH market, and what must NOT count: the proposed school's own contracts, another
    need, a contract not active."""
    proposed = ProviderFactory(
        establishment=IndependentSchoolFactory(
            ofsted_grade="requires_improvement", ofsted_inspected_on=date(2025, 3, 4)
        )
    )
    for annual in SEMH_TUITION:
        _contract(NeedType.SEMH, "tuition", annual, names=("Ottoline", "Farquharson"))
    # Speech and language therapy and physiotherapy both count as "therapies" at the panel.
    _contract(NeedType.SEMH, "therapy_speech_language", 300_000)
    _contract(NeedType.SEMH, "therapy_physio", 500_000)
    _contract(NeedType.SEMH, "therapy_occupational", 700_000)
    _contract(NeedType.SEMH, "tuition", 1, provider=proposed)  # the proposed provider's own
    _contract(NeedType.ASD, "tuition", 9_900_000)  # another need
    _contract(NeedType.SEMH, "tuition", 9_800_000, status="negotiating")  # not agreed
    return proposed


def _referral(proposed, *, tuition: int = 7_100_000) -> Referral:
    child = ChildFactory(primary_need=NeedType.SEMH, forename="Zebedee", surname="Quintrell")
    return ReferralFactory(
        request=AssessingRequestFactory(child=child),
        proposed_establishment=proposed.establishment,
        cost_lines=[
            {"category": "tuition", "annual_amount_pence": tuition},
            {"category": "therapies", "annual_amount_pence": 400_000},
            {"category": "transport", "annual_amount_pence": 900_000},
        ],
    )


def test_referral_lines_are_benchmarked_against_other_providers_for_the_same_need(market):
    referral = _referral(market)
    tuition, therapies, transport = referral.cost_lines.order_by("pk")

    benchmarks = reports.referral_line_benchmarks([referral.pk])

    assert benchmarks[tuition.pk] == EXPECTED_TUITION
    # Therapies: £3,000, £5,000, £7,000 -> quartiles £4,000 and £6,000.
    assert benchmarks[therapies.pk] == panel_workflow.Benchmark(
        n=3, low=300_000, lower_quartile=400_000, median=500_000, upper_quartile=600_000, high=700_000
    )
    assert benchmarks[transport.pk] == panel_workflow.Benchmark()


@pytest.mark.postgres_only  # SQLite (development only) has no percentile_cont: one query per line there
def test_one_query_benchmarks_every_line_of_many_referrals(market, django_assert_num_queries):
    referrals = [_referral(market), _referral(market, tuition=4_000_000)]
    with django_assert_num_queries(1):
        benchmarks = reports.referral_line_benchmarks([r.pk for r in referrals])
    assert len(benchmarks) == 6


def test_referral_page_flags_the_line_and_the_provider(client, market, personas):
    referral = _referral(market)
    client.force_login(personas.officer)
    html = client.get(f"/panel/referrals/{referral.pk}/").content.decode()
    assert "Median £48,000.00; middle half £45,000.00 to £52,000.00; range £40,000.00 to £70,000.00 (5 agreed)" in html
    assert "Above the upper quartile" in html
    assert "Above the highest agreed elsewhere" in html
    assert "Maintained special school average: £24,252.00 a place" in html
    assert "Requires improvement" in html and "Below Good" in html


def test_referral_api_gives_benchmarks_flags_and_the_inspection(api_client_for, market, personas):
    referral = _referral(market)
    client = api_client_for(personas.officer)
    body = client.get(f"/api/panel/referrals/{referral.pk}/").json()
    tuition = body["cost_lines"][0]
    assert tuition["benchmark"] == EXPECTED_TUITION.as_dict()
    assert tuition["flags"] == ["above_upper_quartile", "above_range"]
    assert body["cost_lines"][2]["flags"] == []  # transport: nothing to compare
    assert body["cost_flags"] == ["above_upper_quartile", "above_range"]
    assert body["maintained_average_pence"] == 2_425_200
    assert body["provider_inspection"] == {
        "ofsted_grade": "requires_improvement",
        "ofsted_grade_label": "Requires improvement",
        "ofsted_inspected_on": "2025-03-04",
        "s41_approved": False,
        "below_good": True,
    }
    listed = client.get("/api/panel/referrals/").json()["results"][0]
    assert listed["cost_flags"] == ["above_upper_quartile", "above_range"]


def test_a_line_within_the_middle_half_is_not_flagged_and_a_good_provider_is_not(api_client_for, personas):
    proposed = ProviderFactory(
        establishment=IndependentSchoolFactory(ofsted_grade="good", ofsted_inspected_on=date(2024, 1, 9))
    )
    for annual in SEMH_TUITION:
        _contract(NeedType.SEMH, "tuition", annual)
    referral = _referral(proposed, tuition=4_800_000)
    body = api_client_for(personas.officer).get(f"/api/panel/referrals/{referral.pk}/").json()
    assert body["cost_lines"][0]["flags"] == []
    assert body["provider_inspection"]["below_good"] is False


def _circulated(panel: Panel, referral: Referral):
    meeting = panel_services.meeting_schedule(
        actor=panel.chair, held_on=timezone.localdate(), starts_at=time(10), location="Room 2"
    )
    panel_services.agenda_add_item(actor=panel.chair, meeting=meeting, referral=referral)
    panel_services.meeting_circulate_papers(actor=panel.chair, meeting=meeting)
    return meeting


def test_head_teacher_sees_the_benchmarks_without_any_childs_identity(api_client_for, client, market):
    panel = make_panel()
    referral = _referral(market)
    meeting = _circulated(panel, referral)

    response = api_client_for(panel.head.user).get(f"/api/panel/meetings/{meeting.pk}/pack/")

    item = response.json()["items"][0]
    assert item["papers_access"] == "minimised"
    assert item["cost_lines"][0]["benchmark"] == EXPECTED_TUITION.as_dict()
    assert item["cost_lines"][0]["flags"] == ["above_upper_quartile", "above_range"]
    assert item["provider_inspection"]["below_good"] is True
    text = json.dumps(response.json())
    # Neither the child's identity nor the children behind the benchmark.
    for secret in ("Zebedee", "Quintrell", "Ottoline", "Farquharson"):
        assert secret not in text
    client.force_login(panel.head.user)
    html = client.get(f"/panel/meetings/{meeting.pk}/pack/").content.decode()
    assert "Above the upper quartile" in html and "Below Good" in html
    for secret in ("Zebedee", "Quintrell", "Ottoline", "Farquharson"):
        assert secret not in html
    # The minimised referral list of the API carries the same figures.
    listed = api_client_for(panel.head.user).get("/api/panel/referrals/").json()["results"][0]
    assert listed["cost_lines"][0]["flags"] == ["above_upper_quartile", "above_range"]
    assert "Zebedee" not in json.dumps(listed)


def test_minutes_record_the_flagged_costs(market):
    panel = make_panel()
    meeting = _circulated(panel, _referral(market))
    panel_services.attendance_record(
        actor=panel.chair, meeting=meeting, present_member_ids=[m.pk for m in panel.members]
    )
    panel_services.meeting_mark_held(actor=panel.chair, meeting=meeting)
    panel_services.decision_record(
        actor=panel.chair,
        item=meeting.items.get(),
        outcome="decline",
        suitable_answer="yes",
        compatible_answer="yes",
        resources_answer="no",
        resources_text="Flagged above the range of agreed costs",
        reasons_text="The cost is well above what other providers charge for the same need",
    )
    minutes = panel_services.minutes_generate(actor=panel.chair, meeting=meeting)
    assert "FLAGGED: above the upper quartile; above the highest agreed elsewhere" in minutes.body
    assert "Proposed provider: Ofsted Requires improvement, inspected 2025-03-04" in minutes.body
    assert "Ottoline" not in minutes.body


def test_contract_api_carries_the_contract_page_benchmark_and_flags_the_quote(api_client_for, personas):
    for annual in SEMH_TUITION:
        _contract(NeedType.SEMH, "tuition", annual)
    mine = ActiveContractFactory(child=ChildFactory(primary_need=NeedType.SEMH), lines=[])
    CostLineFactory(contract=mine, category="tuition", quoted_amount_pence=7_500_000, agreed_amount_pence=5_000_000)

    line = api_client_for(personas.finance).get(f"/api/placements/contracts/{mine.pk}/").json()["cost_lines"][0]

    assert line["benchmark"] == EXPECTED_TUITION.as_dict()
    assert line["quoted_flags"] == ["above_upper_quartile", "above_range"]
    assert line["agreed_flags"] == []  # £50,000 is within the middle half


def test_contract_page_flags_a_quote_outside_the_range(client, personas):
    for annual in SEMH_TUITION:
        _contract(NeedType.SEMH, "tuition", annual)
    mine = ActiveContractFactory(child=ChildFactory(primary_need=NeedType.SEMH), lines=[])
    CostLineFactory(contract=mine, category="tuition", quoted_amount_pence=3_000_000, agreed_amount_pence=3_000_000)
    client.force_login(personas.finance)
    html = client.get(f"/placements/contracts/{mine.pk}/").content.decode()
    assert "Quote: below the lowest agreed elsewhere" in html
    assert "Middle half £45,000.00 to £52,000.00" in html


# --- The provider's inspection, edited through the service ------------------------------------------


def test_finance_records_an_ofsted_grade_and_the_event_keeps_before_and_after(client, personas):
    from placements.models import PlacementEvent

    provider = ProviderFactory()
    client.force_login(personas.finance)
    form = {
        "procurement_route": provider.procurement_route,
        "ofsted_grade": "requires_improvement",
        "ofsted_inspected_on_day": "4",
        "ofsted_inspected_on_month": "3",
        "ofsted_inspected_on_year": "2025",
        "s41_approved": "yes",
    }
    response = client.post(f"/placements/providers/{provider.pk}/edit/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    provider.establishment.refresh_from_db()
    assert provider.establishment.ofsted_grade == "requires_improvement"
    assert provider.establishment.ofsted_inspected_on == date(2025, 3, 4)
    assert provider.establishment.s41_approved is True
    event = PlacementEvent.objects.filter(provider=provider).latest("pk")
    assert event.payload["inspection"]["before"]["ofsted_grade"] == ""
    assert event.payload["inspection"]["after"]["ofsted_grade"] == "requires_improvement"
    register = client.get("/placements/providers/").content.decode()
    assert "Requires improvement" in register and "Below Good" in register


def test_a_grade_without_its_date_is_refused_naming_the_field(api_client_for, personas):
    provider = ProviderFactory()
    response = api_client_for(personas.finance).post(
        "/api/placements/providers/upsert/",
        {
            "establishment_id": provider.establishment_id,
            "procurement_route": provider.procurement_route,
            "ofsted_grade": "good",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "ofsted_inspected_on" in response.json()["errors"]
    provider.establishment.refresh_from_db()
    assert provider.establishment.ofsted_grade == ""


def test_provider_api_shows_the_inspection(api_client_for, personas):
    provider = ProviderFactory(
        establishment=IndependentSchoolFactory(ofsted_grade="inadequate", ofsted_inspected_on=date(2024, 6, 1))
    )
    body = api_client_for(personas.finance).get(f"/api/placements/providers/{provider.pk}/").json()
    assert body["ofsted_grade"] == "inadequate" and body["below_good"] is True
    assert body["ofsted_inspected_on"] == "2024-06-01"


def test_the_minutes_keep_the_figures_the_panel_decided_on_when_the_market_moves(market, settings):
    """Decided with tuition £71,000 above the highest agreed elsewhere (£70,000) and the maintained
    average £24,252. Then a £90,000 place is agreed and the council's average changes: a redraft
    of the minutes still says what the panel saw (the figures are stored on the decision)."""
    panel = make_panel()
    meeting = _circulated(panel, _referral(market))
    panel_services.attendance_record(
        actor=panel.chair, meeting=meeting, present_member_ids=[m.pk for m in panel.members]
    )
    panel_services.meeting_mark_held(actor=panel.chair, meeting=meeting)
    decision = panel_services.decision_record(
        actor=panel.chair,
        item=meeting.items.get(),
        outcome="decline",
        suitable_answer="yes",
        compatible_answer="yes",
        resources_answer="no",
        resources_text="Flagged above the range of agreed costs",
        reasons_text="The cost is well above what other providers charge for the same need",
    )
    first = panel_services.minutes_generate(actor=panel.chair, meeting=meeting).body
    stored = type(decision).objects.get(pk=decision.pk)
    assert stored.cost_benchmarks[0]["benchmark"]["max_pence"] == 7_000_000
    assert stored.maintained_average_pence == 2_425_200
    _contract(NeedType.SEMH, "tuition", 9_000_000)
    settings.MAINTAINED_SPECIAL_COST_PER_PLACE_PENCE = 2_600_000
    # Worked out now, the line would no longer be above the highest (£90,000).
    live = reports.referral_line_benchmarks([meeting.items.get().referral_id])
    assert max(b.high or 0 for b in live.values()) == 9_000_000
    again = panel_services.minutes_generate(actor=panel.chair, meeting=meeting).body
    assert again == first
    assert "above the highest agreed elsewhere" in again


def test_the_maintained_average_flag_worked_out_by_hand():
    # £51,000 ÷ £24,252 = 2.103 -> 2.1; at or below the average, no flag.
    assert panel_workflow.maintained_average_multiple(5_100_000, 2_425_200) == Decimal("2.1")
    assert panel_workflow.maintained_average_flag(5_100_000, 2_425_200) == (
        "2.1 times the maintained special school average"
    )
    assert panel_workflow.maintained_average_flag(2_425_200, 2_425_200) is None
    assert panel_workflow.maintained_average_flag(None, 2_425_200) is None


def test_options_and_the_request_above_the_maintained_average_are_flagged_at_referral_and_in_the_pack(
    client, api_client_for, market, personas
):
    """Options at £51,000 (2.1 times £24,252) and £20,000 (below it); the request £84,000
    (7,100 + 400 + 900 hundred pounds: 3.46 -> 3.5 times)."""
    referral = _referral(market)
    referral.options.all().delete()
    for cost in (5_100_000, 2_000_000):
        referral.options.create(
            establishment=IndependentSchoolFactory(), meets_need=True, reason="Has a place", annual_cost_pence=cost
        )
    client.force_login(personas.officer)
    html = client.get(f"/panel/referrals/{referral.pk}/").content.decode()
    assert html.count("2.1 times the maintained special school average") == 1
    assert "3.5 times the maintained special school average" in html
    body = api_client_for(personas.officer).get(f"/api/panel/referrals/{referral.pk}/").json()
    flags = sorted((o["annual_cost_pence"], o["above_maintained_average"]) for o in body["options"])
    assert flags == [(2_000_000, None), (5_100_000, "2.1 times the maintained special school average")]
    panel = make_panel()
    meeting = _circulated(panel, referral)
    client.force_login(panel.chair)
    pack = client.get(f"/panel/meetings/{meeting.pk}/pack/").content.decode()
    assert "2.1 times the maintained special school average" in pack
    assert "3.5 times the maintained special school average" in pack
