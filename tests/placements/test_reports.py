"""Purchasing-power figures against a hand-computed example: 2 providers, 3 children, 2 needs.

On 15 January 2026:

    contract  child (need)  provider  status           quoted      agreed      in place?
    C1        1 (ASD)       Alpha     active           52,000.00   50,000.00   yes
    C2        2 (SEMH)      Alpha     active           65,000.00   62,000.00   yes
    C3        3 (ASD)       Beta      active           48,000.00   46,000.00   yes
    C4        1 (ASD)       Beta      ended 19/12/2025 31,000.00   30,000.00   no
    C5        2 (SEMH)      Beta      draft            -           -           no

    Alpha: 2 pupils, committed 112,000.00, average 56,000.00, range 50,000.00-62,000.00,
           savings 2,000 + 3,000 = 5,000.00
    Beta:  1 pupil, committed 46,000.00, average = range = 46,000.00, savings 2,000.00

Returns below threshold and deductions (all time):
    C1 autumn 80% -> 10% of 16,666.67 = 1,666.67 confirmed; C1 spring 85% -> 1,666.67 pending
    C3 autumn 85% -> 30 sessions × 85.00 = 2,550.00 confirmed; C3 spring 95% -> none
    C4 autumn 75% -> 10% of 10,000.00 = 1,000.00 confirmed
    Alpha: 1,666.67 applied, 2 returns below; Beta: 3,550.00 applied, 2 returns below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User

from core.models import NeedType
from placements import reports
from placements.models import Deduction, PlacementContract, Provider
from placements.services import attendance as attendance_services
from placements.services import contracts as contract_services
from tests.conftest import Personas
from tests.panels.factories import IndependentSchoolFactory
from tests.placements.factories import DraftContractFactory, ProviderFactory, make_active_contract
from tests.requests_app.factories import ChildFactory

pytestmark = pytest.mark.django_db

ON = date(2026, 1, 15)
AUTUMN = {"period_kind": "term", "period_start": date(2025, 9, 1), "period_end": date(2025, 12, 19)}
SPRING = {"period_kind": "term", "period_start": date(2026, 1, 5), "period_end": date(2026, 3, 27)}


@dataclass
class World:
    alpha: Provider
    beta: Provider
    c1: PlacementContract
    c2: PlacementContract
    c3: PlacementContract
    c4: PlacementContract


def _return(
    actor: User, contract: PlacementContract, period: dict[str, Any], attended: int, authorised: int = 0
) -> Any:
    return attendance_services.attendance_return_submit(
        actor=actor,
        contract=contract,
        possible=200,
        attended=attended,
        authorised=authorised,
        unauthorised=200 - attended - authorised,
        **period,
    )


@pytest.fixture
def world(personas: Personas) -> World:
    finance = personas.finance
    alpha = ProviderFactory(establishment=IndependentSchoolFactory(name="Alpha House School"))
    beta = ProviderFactory(establishment=IndependentSchoolFactory(name="Beta Grange College"))
    one = ChildFactory(primary_need=NeedType.ASD)
    two = ChildFactory(primary_need=NeedType.SEMH)
    three = ChildFactory(primary_need=NeedType.ASD)

    c1 = make_active_contract(
        actor=finance, child=one, provider=alpha, lines=(("tuition", 5_200_000, 5_000_000, "year", 1),)
    )
    c2 = make_active_contract(
        actor=finance,
        child=two,
        provider=alpha,
        ceiling_pence=6_500_000,
        lines=(
            ("tuition", 2_000_000, 1_900_000, "term", 3),  # 60,000 quoted, 57,000 agreed
            ("therapy_speech_language", 12_500, 12_500, "week", 40),  # 5,000 both
        ),
    )
    c3 = make_active_contract(
        actor=finance, child=three, provider=beta, lines=(("tuition", 4_800_000, 4_600_000, "year", 1),)
    )
    c4 = make_active_contract(
        actor=finance, child=one, provider=beta, lines=(("tuition", 3_100_000, 3_000_000, "year", 1),)
    )
    DraftContractFactory(child=two, provider=beta)

    contract_services.penalty_clause_set(
        actor=finance, contract=c1, threshold_percent=90, rule="percent_of_period_fee", deduction_percent=10
    )
    contract_services.penalty_clause_set(
        actor=finance, contract=c3, threshold_percent=90, rule="per_session_missed", per_session_pence=8_500
    )
    contract_services.penalty_clause_set(
        actor=finance, contract=c4, threshold_percent=90, rule="percent_of_period_fee", deduction_percent=10
    )
    attendance_services.deduction_confirm(actor=finance, deduction=_return(finance, c1, AUTUMN, 160).deduction)
    _return(finance, c1, SPRING, 170)
    attendance_services.deduction_confirm(actor=finance, deduction=_return(finance, c3, AUTUMN, 170).deduction)
    _return(finance, c3, SPRING, 190)
    attendance_services.deduction_confirm(actor=finance, deduction=_return(finance, c4, AUTUMN, 150).deduction)
    contract_services.contract_end(
        actor=finance, contract=c4, ended_on=date(2025, 12, 19), reason="Moved to Alpha House"
    )
    return World(alpha, beta, c1, c2, c3, c4)


def test_the_example_deductions_are_as_computed_by_hand(world: World) -> None:
    amounts = sorted(Deduction.objects.values_list("amount_pence", "status"))
    assert amounts == [(100_000, "confirmed"), (166_667, "confirmed"), (166_667, "pending"), (255_000, "confirmed")]


def test_purchasing_power_per_provider(world: World, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        rows = reports.purchasing_power(on=ON)
    assert rows == [
        {
            "provider_id": world.alpha.pk,
            "establishment_id": world.alpha.establishment_id,
            "provider_name": "Alpha House School",
            "pupils": 2,
            "committed_pence": 11_200_000,
            "average_pence": 5_600_000,
            "min_pence": 5_000_000,
            "max_pence": 6_200_000,
            "savings_pence": 500_000,
            "deductions_pence": 166_667,
            "returns_below": 2,
        },
        {
            "provider_id": world.beta.pk,
            "establishment_id": world.beta.establishment_id,
            "provider_name": "Beta Grange College",
            "pupils": 1,
            "committed_pence": 4_600_000,
            "average_pence": 4_600_000,
            "min_pence": 4_600_000,
            "max_pence": 4_600_000,
            "savings_pence": 200_000,
            "deductions_pence": 355_000,
            "returns_below": 2,
        },
    ]


@pytest.mark.parametrize(
    ("order_by", "first"),
    [
        ("provider_name", "Alpha House School"),
        ("-provider_name", "Beta Grange College"),
        ("pupils", "Beta Grange College"),
        ("-committed_pence", "Alpha House School"),
        ("average_pence", "Beta Grange College"),
        ("-max_pence", "Alpha House School"),
        ("min_pence", "Beta Grange College"),
        ("-savings_pence", "Alpha House School"),
        ("-deductions_pence", "Beta Grange College"),
        ("returns_below", "Alpha House School"),  # a tie: then by provider
    ],
)
def test_purchasing_power_sorts_by_any_column(world: World, order_by: str, first: str) -> None:
    assert reports.purchasing_power(on=ON, order_by=order_by)[0]["provider_name"] == first


def test_unknown_sort_column_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="Sort by one of"):
        reports.purchasing_power(on=ON, order_by="child__surname")


def test_purchasing_power_by_need(world: World, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        rows = reports.purchasing_power_by_need(on=ON, order_by="-committed_pence")
    figures = [
        (
            r["provider_name"],
            r["primary_need"],
            r["pupils"],
            r["committed_pence"],
            r["average_pence"],
            r["min_pence"],
            r["max_pence"],
            r["savings_pence"],
            r["deductions_pence"],
            r["returns_below"],
        )
        for r in rows
    ]
    assert figures == [
        ("Alpha House School", "SEMH", 1, 6_200_000, 6_200_000, 6_200_000, 6_200_000, 300_000, 0, 0),
        ("Alpha House School", "ASD", 1, 5_000_000, 5_000_000, 5_000_000, 5_000_000, 200_000, 166_667, 2),
        ("Beta Grange College", "ASD", 1, 4_600_000, 4_600_000, 4_600_000, 4_600_000, 200_000, 355_000, 2),
    ]


def test_a_window_of_return_periods(world: World) -> None:
    rows = reports.purchasing_power(on=ON, date_from=date(2026, 1, 1))
    assert [(r["deductions_pence"], r["returns_below"]) for r in rows] == [(0, 1), (0, 0)]


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [(None, None, (521_667, 4)), (date(2026, 1, 1), None, (0, 1)), (None, date(2025, 12, 31), (521_667, 3))],
)
def test_deduction_totals_are_the_providers_rows_added_up(
    world: World, django_assert_num_queries: Any, date_from: date | None, date_to: date | None, expected: Any
) -> None:
    """The monthly metrics job's one aggregate gives what the per-provider report adds up to."""
    rows = reports.purchasing_power(on=ON, date_from=date_from, date_to=date_to)
    added_up = (sum(r["deductions_pence"] for r in rows), sum(r["returns_below"] for r in rows))
    with django_assert_num_queries(1):
        assert reports.deduction_totals(date_from=date_from, date_to=date_to) == added_up == expected


def test_placement_figures_for_the_dashboard(world: World, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2):
        figures = reports.placement_figures(on=ON)
    assert figures == reports.PlacementFigures(
        on=ON,
        active_placements=3,
        committed_annual_pence=15_800_000,
        savings_pence=700_000,
        deductions_applied_pence=521_667,
    )
    # Before the first placement started, there is nothing.
    assert reports.placement_figures(on=date(2025, 8, 31)).active_placements == 0
    # In the autumn C4 was in place too.
    assert reports.placement_figures(on=date(2025, 10, 1)).committed_annual_pence == 18_800_000


def test_contracts_behind_each_figure(world: World) -> None:
    def refs(metric: str, **kw: Any) -> set[str]:
        return {c.reference for c in reports.contracts_for(metric, on=ON, **kw)}

    assert refs("pupils") == {world.c1.reference, world.c2.reference, world.c3.reference}
    assert refs("pupils", provider_id=world.alpha.pk) == {world.c1.reference, world.c2.reference}
    assert refs("committed", need="ASD") == {world.c1.reference, world.c3.reference}
    assert refs("savings", provider_id=world.beta.pk, need="ASD") == {world.c3.reference}
    assert refs("deductions", provider_id=world.beta.pk) == {world.c3.reference, world.c4.reference}
    assert refs("returns_below") == {world.c1.reference, world.c3.reference, world.c4.reference}
    with pytest.raises(ValueError, match="Unknown figure"):
        reports.contracts_for("happiness")
