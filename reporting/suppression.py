"""Small-number suppression for the aggregate report, as published statistics do it (pure; no
database).

Primary suppression: a count greater than 0 and below the threshold (``settings.
SUPPRESSION_THRESHOLD``) is shown as "c" (DfE's symbol for a confidential value). Zeros are
shown: they identify nobody.

Secondary suppression: a suppressed count must not be worked out from the totals. A table is
a grid of counts with, optionally, a total column (each row's total) and a total row (each
column's total, and the grand total in the corner). Each row, each column, the total row and
the total column is a sum; when exactly one of a sum's cells (its parts or its total) is
suppressed, the reader can subtract it back out, so one more cell of that sum is suppressed:
among its other cells, the one that leaves the fewest other sums with a single "c" (so the
suppression spreads least), then a count above zero (a hidden zero protects nothing), then the
smallest count (the least information lost); when only the total is left, the total. This repeats until no sum has
exactly one suppressed cell, so every suppressed cell is in two or more in each sum it is in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SUPPRESSED = "c"

Position = tuple[int, int]


@dataclass(frozen=True)
class Grid:
    """``cells``: the rows of counts. When ``row_totals``, the last column holds each row's
    total; when ``column_totals``, the last row holds each column's total (with the grand total
    in its last cell when both)."""

    cells: Sequence[Sequence[int]]
    row_totals: bool = False
    column_totals: bool = False

    @property
    def height(self) -> int:
        return len(self.cells)

    @property
    def width(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    def sums(self) -> list[list[Position]]:
        """Each sum of the table as the positions it binds: its parts, then its total."""
        lines: list[list[Position]] = []
        if self.row_totals:
            lines += [[(r, c) for c in range(self.width)] for r in range(self.height)]
        if self.column_totals:
            lines += [[(r, c) for r in range(self.height)] for c in range(self.width)]
        return lines


def primary(value: int, threshold: int) -> bool:
    """Whether a count is small enough to be suppressed for itself."""
    return 0 < value < threshold


def suppressed_cells(grid: Grid, *, threshold: int) -> set[Position]:
    """The positions to show as "c": the primary ones and the secondary ones that protect them."""
    if threshold < 1:
        raise ValueError("The suppression threshold must be at least 1")
    if any(len(row) != grid.width for row in grid.cells):
        raise ValueError("Every row of the table must have the same number of cells")
    hidden = {(r, c) for r, row in enumerate(grid.cells) for c, value in enumerate(row) if primary(value, threshold)}
    sums = grid.sums()
    changed = True
    while changed:
        changed = False
        for line in sums:
            inside = [p for p in line if p in hidden]
            if len(inside) != 1:
                continue
            parts, total = line[:-1], line[-1]
            candidates = [p for p in parts if p not in hidden]
            if candidates:

                def cost(p: Position, line: list[Position] = line) -> tuple[int, bool, int, Position]:
                    # Fewest other sums left with a single "c" (each would need another cell),
                    # then a count above zero, then the smallest count.
                    opened = sum(1 for other in sums if p in other and other is not line and not hidden & set(other))
                    value = grid.cells[p[0]][p[1]]
                    return (opened, value == 0, value, p)

                choice = min(candidates, key=cost)
            elif total not in hidden:
                choice = total
            else:
                # A sum whose only cell is its total (a table of no rows but the totals): nothing
                # else to hide, and looping on it would never end.
                continue
            hidden.add(choice)
            changed = True
    return hidden


def suppress(grid: Grid, *, threshold: int) -> list[list[int | str]]:
    """The table as it may be published: each suppressed count replaced by "c"."""
    hidden = suppressed_cells(grid, threshold=threshold)
    return [
        [SUPPRESSED if (r, c) in hidden else value for c, value in enumerate(row)] for r, row in enumerate(grid.cells)
    ]


# --- Every table of the report (issue 16) ------------------------------------------------------------

# A share figure: (numerator, denominators) as reporting.figures.Figure.share_of.
Shares = Mapping[str, tuple[str, tuple[str, ...]]]


def hidden_figures(values: Mapping[str, Any], *, units: Mapping[str, str], shares: Shares, threshold: int) -> set[str]:
    """Of one group of figures shown together (a row of a monthly table, or a whole table of one
    figure per row), the ones to show as "c": each count from 1 to ``threshold - 1``, and each
    share worked out from a hidden count (its numerator or any part of its denominator), since
    the share and the other counts would give the count away. Money and other units are left as
    they are: they count no people."""
    if threshold < 1:
        raise ValueError("The suppression threshold must be at least 1")
    hidden = {
        key
        for key, value in values.items()
        if units.get(key) == "count" and isinstance(value, int | float) and primary(int(value), threshold)
    }
    for key in values:
        share = shares.get(key)
        if share is not None and ({share[0], *share[1]} & hidden):
            hidden.add(key)
    return hidden


def suppress_table(table: Any, *, units: Mapping[str, str], shares: Shares, threshold: int) -> int:
    """Apply :func:`hidden_figures` to a ``reporting.tables.Table`` in place: a table with one
    figure per row is one group (a figure and a share of it may be on different rows); any other
    table is grouped by row (a month's counts and shares). A hidden cell shows "c", as text, with
    no link (the case list would give the number away). Returns how many cells were hidden."""
    per_row = [[(i, cell) for i, cell in enumerate(row) if getattr(cell, "figure", "")] for row in table.rows]
    groups: list[list[tuple[int, int, Any]]]
    if all(len(cells) <= 1 for cells in per_row):
        groups = [[(r, i, cell) for r, cells in enumerate(per_row) for i, cell in cells]]
    else:
        groups = [[(r, i, cell) for i, cell in cells] for r, cells in enumerate(per_row)]
    count = 0
    for group in groups:
        values = {cell.figure: cell.value for _, _, cell in group}
        hidden = hidden_figures(values, units=units, shares=shares, threshold=threshold)
        for r, i, cell in group:
            if cell.figure in hidden:
                table.rows[r][i] = type(cell)(SUPPRESSED, kind="text", figure=cell.figure)
                count += 1
    return count
