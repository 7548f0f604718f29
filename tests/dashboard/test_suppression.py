"""Small-number suppression on hand-built tables (no database): primary "c" below the
threshold, and the secondary suppression that stops a "c" being worked out from the totals."""

from __future__ import annotations

import pytest

from reporting.suppression import SUPPRESSED as C
from reporting.suppression import Grid, hidden_figures, suppress, suppress_table, suppressed_cells
from reporting.tables import Cell, Table


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


# --- Every table of the report: a figure and the shares worked out from it ---------------------------

UNITS = {"received": "count", "parents": "count", "assess": "count", "refuse": "count", "spend": "money"}
UNITS |= {"pc_parents": "percent", "refusal": "percent"}
SHARES = {"pc_parents": ("parents", ("received",)), "refusal": ("refuse", ("assess", "refuse"))}


def test_a_small_count_hides_itself_and_every_share_worked_out_from_it():
    values = {"received": 40, "parents": 3, "pc_parents": 7.5, "assess": 12, "refuse": 9, "refusal": 42.9}
    assert hidden_figures(values, units=UNITS, shares=SHARES, threshold=5) == {"parents", "pc_parents"}
    # A hidden part of a share's denominator hides the share too (with the numerator it gives the part back).
    values = {"assess": 2, "refuse": 9, "refusal": 81.8}
    assert hidden_figures(values, units=UNITS, shares=SHARES, threshold=5) == {"assess", "refusal"}
    # Zeros, money and missing values are shown.
    values = {"received": 0, "spend": 3, "parents": None, "pc_parents": None}
    assert hidden_figures(values, units=UNITS, shares=SHARES, threshold=5) == set()


def _cells(pairs):
    return [Cell(value, kind=UNITS[key], figure=key, url=f"/cases/{key}") for key, value in pairs]


def test_a_table_of_one_figure_per_row_is_suppressed_as_one_group():
    rows = [
        [Cell(key, kind="text"), *_cells([(key, value)])]
        for key, value in [("received", 40), ("parents", 2), ("pc_parents", 5.0), ("assess", 12)]
    ]
    table = Table("summary", "Figures", ["Figure", "Value"], rows)
    assert suppress_table(table, units=UNITS, shares=SHARES, threshold=5) == 2
    shown = [row[1].display for row in table.rows]
    assert shown == ["40", C, C, "12"]
    assert table.rows[1][1].url is None and table.rows[1][1].export_value == C  # no link, "c" in the file


def test_a_monthly_table_is_suppressed_row_by_row():
    rows = [
        [Cell("March", kind="text"), *_cells([("received", 40), ("parents", 30), ("pc_parents", 75.0)])],
        [Cell("April", kind="text"), *_cells([("received", 4), ("parents", 4), ("pc_parents", 100.0)])],
    ]
    table = Table("trend", "Requests", ["Month", "Received", "From parents", "Share"], rows)
    assert suppress_table(table, units=UNITS, shares=SHARES, threshold=5) == 3
    assert [cell.display for cell in table.rows[0][1:]] == ["40", "30", "75.0%"]
    assert [cell.display for cell in table.rows[1][1:]] == [C, C, C]


def test_nothing_below_the_threshold_leaves_the_table_alone():
    rows = [[Cell("March", kind="text"), *_cells([("received", 40), ("parents", 30), ("pc_parents", 75.0)])]]
    table = Table("trend", "Requests", ["Month", "Received", "From parents", "Share"], rows)
    assert suppress_table(table, units=UNITS, shares=SHARES, threshold=5) == 0
    assert table.rows[0][1].url == "/cases/received"


def test_a_table_of_totals_only_is_suppressed_and_does_not_loop():
    """No districts yet: the by-district table is its all-districts row alone. A small total is
    "c" and the secondary pass ends (it used to loop for ever: the page never came back)."""
    assert suppress(Grid([[2, 40]], column_totals=True), threshold=5) == [[C, 40]]
