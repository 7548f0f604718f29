"""Small-number suppression on hand-built tables (no database): primary "c" below the
threshold, and the secondary suppression that stops a "c" being worked out from the totals."""

from __future__ import annotations

import pytest

from reporting.suppression import SUPPRESSED as C
from reporting.suppression import Grid, suppress, suppressed_cells


def test_counts_below_the_threshold_are_c_and_zeros_are_shown():
    assert suppress(Grid([[0, 4, 5, 12]]), threshold=5) == [[0, C, 5, 12]]


def test_a_table_without_totals_needs_no_secondary_suppression():
    assert suppress(Grid([[3], [20], [40]]), threshold=5) == [[C], [20], [40]]


def test_a_row_with_its_total_loses_the_next_smallest_count_too():
    # 3 + 8 + 20 = 31: with only the 3 hidden, 31 - 8 - 20 gives it back; so the 8 goes too.
    assert suppress(Grid([[3, 8, 20, 31]], row_totals=True), threshold=5) == [[C, C, 20, 31]]


def test_the_total_goes_when_it_is_the_only_other_cell():
    assert suppress(Grid([[2, 2]], row_totals=True), threshold=5) == [[C, C]]
    assert suppress(Grid([[2, 0]], row_totals=True), threshold=5) == [[C, C]]


def test_secondary_suppression_prefers_a_count_above_zero():
    # Hiding the 0 would not protect the 2 (a reader could still bound it by 31 - 29): hide the 9.
    assert suppress(Grid([[2, 0, 9, 20, 31]], row_totals=True), threshold=5) == [[C, 0, C, 20, 31]]


def test_a_two_way_table_is_protected_in_every_row_and_column():
    # District by outcome, with row totals, column totals and the grand total.
    #              agreed refused total
    table = [
        [10, 2, 12],  # Ashford: 2 refused -> c
        [30, 15, 45],  # Canterbury
        [20, 25, 45],  # Dover
        [60, 42, 102],  # all districts
    ]
    shown = suppress(Grid(table, row_totals=True, column_totals=True), threshold=5)
    assert shown == [
        [C, C, 12],  # the row: the 10 goes with the 2
        [30, 15, 45],
        [C, C, 45],  # the columns: Dover's 20 and then its 25, which closes Dover's row too
        [60, 42, 102],
    ]
    hidden = suppressed_cells(Grid(table, row_totals=True, column_totals=True), threshold=5)
    # No row or column has exactly one "c" left: none can be worked out by subtraction.
    for r in range(4):
        assert sum((r, c) in hidden for c in range(3)) != 1
    for c in range(3):
        assert sum((r, c) in hidden for r in range(4)) != 1


def test_a_cell_that_is_a_total_below_the_threshold_is_suppressed_with_its_parts():
    shown = suppress(Grid([[1, 1, 2], [10, 20, 30], [11, 21, 32]], row_totals=True, column_totals=True), threshold=5)
    assert shown[0] == [C, C, C]
    assert shown[1].count(C) >= 2 and shown[2].count(C) != 1


@pytest.mark.parametrize("threshold", [0, -1])
def test_the_threshold_must_be_at_least_one(threshold):
    with pytest.raises(ValueError):
        suppress(Grid([[1]]), threshold=threshold)
