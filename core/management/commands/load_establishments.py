"""``python manage.py load_establishments FILE.csv [--la NNN|all] [--dry-run]``: load GIAS.

Reads DfE's ``edubasealldata`` download (core/gias.py), checks the whole file first and loads
nothing if any row is wrong, listing each problem with its row, column and reason. Re-running
with a newer file updates every establishment in place by URN.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.gias import parse_gias
from core.models import Council
from core.services import establishments_load


class Command(BaseCommand):
    help = "Load or update establishments from DfE's GIAS edubasealldata CSV (whole-file validation)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the edubasealldataYYYYMMDD.csv file (Windows-1252)")
        parser.add_argument(
            "--la",
            help="3-digit LA number: load that council's establishments plus the independent, non-maintained "
            "special and specialist post-16 providers anywhere; 'all' loads every row. Default: the council's "
            "LA number when the council is set, otherwise all.",
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file and report; load nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        la = options["la"]
        if la is None:
            council = Council.objects.first()
            la = council.la_number if council else "all"
        la_code = None if la == "all" else la
        started = time.monotonic()
        result = parse_gias(path.read_bytes(), la_code=la_code)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{path.name}: nothing loaded; fix the problems above and run again")
        scope = "every establishment" if la_code is None else f"LA {la_code} and commissioned providers elsewhere"
        if options["dry_run"]:
            self.stdout.write(f"{path.name}: {len(result.rows)} establishments ({scope}) are valid; nothing loaded")
            return
        summary = establishments_load(rows=result.rows, with_ofsted=result.has_ofsted)
        self.stdout.write(
            f"{path.name}: {summary.created} establishments added, {summary.updated} updated ({scope}; "
            f"{result.skipped_other_la} elsewhere left out; {summary.with_district} in the council's districts) "
            f"in {time.monotonic() - started:.1f} s"
        )
