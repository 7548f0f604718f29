"""Cost intelligence rules (docs/domain.md, cost intelligence): quartiles, flags, the Ofsted flag
and how the minutes word them. Pure: no database."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from panels import workflow
from panels.workflow import Benchmark, CostFlag, benchmark_of, cost_flags, inspection_below_good, percentile


def test_the_rules_module_imports_no_database():
    source = Path(workflow.__file__).read_text(encoding="utf-8")
    modules = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    assert not any(m.startswith("django") for m in modules)


def test_percentile_interpolates_between_ranks_like_percentile_cont():
    # Ranks 0..4 of (10, 20, 30, 40, 100): 0.25 -> rank 1; 0.75 -> rank 3; 0.5 -> rank 2.
    values = [10, 20, 30, 40, 100]
    assert percentile(values, 0.25) == 20
    assert percentile(values, 0.5) == 30
    assert percentile(values, 0.75) == 40
    # Four values: 0.25 -> rank 0.75, a quarter of the way from 10 to 20... three quarters: 17.5.
    assert percentile([10, 20, 30, 40], 0.25) == pytest.approx(17.5)
    assert percentile([10, 20, 30, 40], 0.75) == pytest.approx(32.5)
    assert percentile([7], 0.75) == 7


def test_benchmark_of_hand_built_agreed_costs():
    # Five agreed tuition lines a year: £40,000, £45,000, £48,000, £52,000, £70,000.
    b = benchmark_of([5_200_000, 4_000_000, 7_000_000, 4_500_000, 4_800_000])
    assert b == Benchmark(
        n=5, low=4_000_000, lower_quartile=4_500_000, median=4_800_000, upper_quartile=5_200_000, high=7_000_000
    )
    assert b.as_dict()["upper_quartile_pence"] == 5_200_000


def test_benchmark_rounds_half_up_to_the_penny():
    # 100 and 201: lower quartile 125.25 -> 125, median 150.5 -> 151, upper 175.75 -> 176.
    assert benchmark_of([100, 201]) == Benchmark(
        n=2, low=100, lower_quartile=125, median=151, upper_quartile=176, high=201
    )


def test_no_values_no_benchmark():
    assert benchmark_of([]) == Benchmark(n=0)


FIVE = benchmark_of([4_000_000, 4_500_000, 4_800_000, 5_200_000, 7_000_000])


@pytest.mark.parametrize(
    ("amount", "flags"),
    [
        (4_800_000, []),  # the median
        (5_200_000, []),  # exactly the upper quartile is not above it
        (5_200_001, [CostFlag.ABOVE_UPPER_QUARTILE]),
        (7_000_000, [CostFlag.ABOVE_UPPER_QUARTILE]),  # the highest agreed is within the range
        (7_000_001, [CostFlag.ABOVE_UPPER_QUARTILE, CostFlag.ABOVE_RANGE]),
        (3_999_999, [CostFlag.BELOW_RANGE]),
        (4_000_000, []),
    ],
)
def test_flags_above_the_upper_quartile_or_outside_the_range(amount, flags):
    assert cost_flags(amount, FIVE) == flags


def test_too_few_comparisons_flag_nothing():
    two = benchmark_of([4_000_000, 4_500_000])
    assert cost_flags(9_000_000, two) == []
    three = benchmark_of([4_000_000, 4_500_000, 5_000_000])
    assert cost_flags(9_000_000, three) == [CostFlag.ABOVE_UPPER_QUARTILE, CostFlag.ABOVE_RANGE]
    assert cost_flags(None, FIVE) == []
    assert cost_flags(9_000_000, Benchmark()) == []


@pytest.mark.parametrize(
    ("grade", "below"),
    [("outstanding", False), ("good", False), ("requires_improvement", True), ("inadequate", True), ("", False)],
)
def test_ofsted_below_good_is_flagged(grade, below):
    assert inspection_below_good(grade) is below


def test_minutes_set_each_cost_against_its_benchmark_and_flag_it():
    item = {
        "position": 1,
        "referral_id": 7,
        "kind": "independent_special",
        "initials": "AB",
        "declarations": [],
        "cost_lines": [
            {"category": "tuition", "annual_amount_pence": 7_100_000, **_intel(7_100_000)},
            {"category": "transport", "annual_amount_pence": 500_000, "benchmark": Benchmark().as_dict(), "flags": []},
        ],
        "maintained_average_pence": 2_425_200,
        "provider_inspection": {
            "ofsted_grade_label": "Requires improvement",
            "ofsted_inspected_on": "2025-03-04",
            "s41_approved": False,
            "below_good": True,
        },
        "decision": None,
    }
    facts = workflow.MinutesFacts(
        meeting_id=1, held_on=date(2026, 1, 5), location="Room 1", chair="Chair", attendance=[], items=[item]
    )
    body, structured = workflow.minutes_body(facts)
    assert (
        "Cost: Tuition £71,000.00 a year – median elsewhere £48,000.00, quartiles £45,000.00 to £52,000.00, "
        "range £40,000.00 to £70,000.00 (5 agreed) – FLAGGED: above the upper quartile; "
        "above the highest agreed elsewhere" in body
    )
    assert "Cost: Transport £5,000.00 a year – no comparison\n" in body
    assert "Maintained special school average cost per place: £24,252.00" in body
    assert (
        "Proposed provider: Ofsted Requires improvement, inspected 2025-03-04; "
        "not on the s.41 approved list – FLAGGED: below Good" in body
    )
    assert structured["items"][0]["cost_lines"][0]["flags"] == ["above_upper_quartile", "above_range"]


def _intel(amount: int) -> dict:
    return {"benchmark": FIVE.as_dict(), "flags": [f.value for f in cost_flags(amount, FIVE)]}
