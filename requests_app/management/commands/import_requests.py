"""``python manage.py import_requests FILE.csv``: load request history from a previous system.

The whole file is checked first; any bad row gives a report naming the row, column and reason
(every error, not just the first) and nothing is imported. See ``requests_app.importer``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from requests_app.importer.parse import ImportFailed
from requests_app.importer.run import import_file


class Command(BaseCommand):
    help = (
        "Import historical EHC needs-assessment requests from a CSV file (one row per request). "
        "Validates the whole file first and imports nothing if any row is bad."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="CSV file with a header row (UTF-8)")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            result = import_file(path, dry_run=options["dry_run"])
        except ImportFailed as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(exc.errors)} error(s) in {path.name}: nothing was imported. Correct the file and run it again."
            ) from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))
