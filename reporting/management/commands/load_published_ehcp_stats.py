"""``manage.py load_published_ehcp_stats FILE.csv [FILE.csv ...]``: load DfE's published LA-level
EHC plan statistics (requests.csv, timeliness_20_week.csv, or the 2014-2022 series) for the
dashboard's comparisons with England and the statistical neighbours. The whole file is checked
before anything is stored; nothing is downloaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reporting.published import PublishedFileError, parse_published_csv, published_load


class Command(BaseCommand):
    help = "Load DfE's published LA-level EHC plan statistics from release CSV files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        for path in options["files"]:
            try:
                with path.open(encoding="utf-8-sig", newline="") as handle:
                    rows = parse_published_csv(handle)
            except OSError as error:
                raise CommandError(f"{path}: {error.strerror or error}") from error
            except PublishedFileError as error:
                raise CommandError(f"{path.name}: {error}") from error
            written = published_load(rows=rows, source_file=path.name)
            years = sorted({row.year for row in rows})
            span = f"{years[0]}-{years[-1]}" if years else "no years"
            self.stdout.write(f"{path.name}: {written} area-years loaded ({span})")
