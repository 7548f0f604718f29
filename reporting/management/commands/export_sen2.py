"""``python manage.py export_sen2 --census YYYY-MM-DD --output FILE.xml [--strict]``"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from reporting.sen2 import codes, validate
from reporting.sen2.services import sen2_build


class Command(BaseCommand):
    help = "Write the SEN2 person-level return for a census date and report its validation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--census", help="The census date, YYYY-MM-DD (default: the last one)")
        parser.add_argument("--output", required=True, help="The XML file to write")
        parser.add_argument("--strict", action="store_true", help="Exit non-zero when the file has errors")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            census = date.fromisoformat(options["census"]) if options["census"] else None
        except ValueError as error:
            raise CommandError(f"--census: {options['census']!r} is not a date (YYYY-MM-DD)") from error
        census = census or codes.last_census_on_or_before(date.today())
        try:
            built = sen2_build(census=census)
        except DomainError as error:
            raise CommandError(str(error)) from error
        Path(options["output"]).write_bytes(built.content)
        errors = validate.errors(built.findings)
        for finding in built.findings:
            request = ""
            if finding.person is not None:
                child_id, request_ids = built.index[finding.person]
                request = f" child {child_id}"
                if finding.request is not None:
                    request += f" request {request_ids[finding.request]}"
            self.stderr.write(f"{finding.severity} {finding.rule}{request}: {finding.message}")
        self.stdout.write(
            f"SEN2 return for {census}: {len(built.index)} persons written to {options['output']}; "
            f"{len(errors)} errors, {len(built.findings) - len(errors)} queries"
        )
        if options["strict"] and errors:
            raise CommandError(f"{len(errors)} validation errors")
