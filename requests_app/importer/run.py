"""Load a council's request history from its previous system (``manage.py import_requests``).

Three steps, so that every rule can be tested and nothing is half-imported:

1. ``importer.parse``: the file on its own (pure: no database);
2. ``importer.check``: the file against what the database already holds;
3. ``importer.write``: the children, requests and one "imported" event per request.

:func:`import_lines` runs them in one transaction: every error in the file is reported, and
either every row is imported or none is.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from requests_app.importer.check import check_against_database, load_districts, load_existing
from requests_app.importer.parse import ImportFailed, RowError, parse_rows
from requests_app.importer.write import write_plan


@dataclass(frozen=True)
class ImportResult:
    source_name: str
    rows_read: int
    children_created: int
    children_matched: int
    requests_imported: int
    skipped: int
    seconds: float
    dry_run: bool = False

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else float(self.rows_read)

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        lead = "Dry run (nothing written): " if self.dry_run else ""
        return (
            f"{lead}{self.rows_read} rows read from {self.source_name}. "
            f"Children: {self.children_created} {verb} created, {self.children_matched} matched. "
            f"Requests: {self.requests_imported} {verb} imported, "
            f"{self.skipped} skipped as already imported. "
            f"Took {self.seconds:.2f} s ({self.rows_per_second:,.0f} rows/second)."
        )


def import_lines(
    lines: Iterable[str], *, source_name: str, dry_run: bool = False, today: date | None = None
) -> ImportResult:
    """Check every row, then import them all in one transaction, or raise :class:`ImportFailed`
    with every error and import nothing. ``source_name`` is the file's base name."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    parsed = parse_rows(lines, districts=load_districts(), today=today)
    try:
        with transaction.atomic():
            plan = check_against_database(parsed.rows, load_existing(parsed.rows))
            errors = parsed.errors + plan.errors
            if errors:
                raise ImportFailed(errors)
            if not dry_run:
                write_plan(plan, source_name=source_name)
    except (IntegrityError, DataError) as exc:
        # Only a change made by somebody else since the checks above can get here (during the
        # writes, or at the commit, where PostgreSQL checks the deferred foreign keys), or a
        # value the checks let through and the database would not take.
        raise ImportFailed([RowError(0, "", _refused_reason(exc))]) from exc
    return ImportResult(
        source_name=source_name,
        rows_read=parsed.rows_read,
        children_created=len(plan.new_children),
        children_matched=len(plan.matched_children),
        requests_imported=len(plan.to_import),
        skipped=plan.skipped,
        seconds=time.perf_counter() - started,
        dry_run=dry_run,
    )


def _refused_reason(exc: Exception) -> str:
    """The message for an import the database refused: fixed words and the constraint's name,
    never the driver's text, whose DETAIL and CONTEXT quote the row (a UPN, a name, a date of
    birth)."""
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    named = f" (constraint {constraint})" if constraint else ""
    return f"the database refused the import{named}; nothing was imported, try again"


def import_file(path: Path | str, *, dry_run: bool = False, today: date | None = None) -> ImportResult:
    """Import a CSV file (UTF-8, optionally with a byte-order mark)."""
    path = Path(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            return import_lines(handle, source_name=path.name, dry_run=dry_run, today=today)
        except UnicodeDecodeError as exc:
            raise ImportFailed([RowError(0, "", "the file is not UTF-8 text")]) from exc
