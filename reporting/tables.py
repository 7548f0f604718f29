"""Tables as data: one definition rendered as a GOV.UK table, a CSV file and an XLSX workbook.

The files are written by ``core.exports`` (the helper placements use too), which
neutralises spreadsheet formula injection: a text cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return gets a leading apostrophe, so a child's name such as
``=HYPERLINK(...)`` is shown as text and never run (OWASP "CSV injection").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.exports import EXPORT_FORMATS, FORMULA_TRIGGERS, XLSX_TYPE, export_response, neutralise

__all__ = [
    "EXPORT_FORMATS",
    "FORMULA_TRIGGERS",
    "XLSX_TYPE",
    "Cell",
    "Table",
    "export_response",
    "neutralise",
    "pounds",
]


def pounds(pence: int) -> str:
    """Integer pence as pounds with commas and pence: 123456789 -> "£1,234,567.89"; a negative
    amount gets a minus sign (U+2212, which no spreadsheet reads as a formula)."""
    sign = "\u2212" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}.{part:02d}"


@dataclass
class Cell:
    value: Any = None
    url: str | None = None
    hidden: str = ""  # read to screen-reader users after a linked number ("requests received in May")
    kind: str = "count"  # count | percent | money (integer pence) | decimal (one place) | text

    @property
    def display(self) -> str:
        if self.value is None:
            return "No data"
        if self.kind == "percent":
            return f"{self.value:.1f}%"
        if self.kind == "money":
            return pounds(self.value)
        if self.kind == "decimal":
            return f"{self.value:.1f}"
        if isinstance(self.value, date):
            return f"{self.value:%-d %b %Y}"
        return str(self.value)

    @property
    def numeric(self) -> bool:
        return self.kind in ("count", "percent", "money", "decimal")

    @property
    def export_value(self) -> Any:
        # Money leaves as a number of pounds (the column header says "(£)"), so a spreadsheet can add it up.
        if self.kind == "money" and self.value is not None:
            return Decimal(self.value) / 100
        return self.value


@dataclass
class Table:
    key: str
    caption: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    description: str = ""
    exports: dict[str, str] = field(default_factory=dict)  # format -> URL, when the reader may export
    as_at: datetime | None = None  # when the oldest stored figure in the table was computed
    stale: list[str] = field(default_factory=list)  # the periods shown whose figures are out of date

    def export_rows(self) -> Iterable[list[Any]]:
        yield self.headers
        for row in self.rows:
            yield [cell.export_value for cell in row]
