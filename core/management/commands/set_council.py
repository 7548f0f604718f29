"""``python manage.py set_council --name NAME --la NNN [--district NAME ...]``.

Sets the council this installation serves (its name and DfE's 3-digit LA number) and adds its
districts: the first step of a new installation, before establishments and history are loaded.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.services import council_set


class Command(BaseCommand):
    help = "Set the council's name and LA number, and add its districts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="the council's name, e.g. 'Kent County Council'")
        parser.add_argument("--la", required=True, help="DfE's 3-digit LA number, e.g. 886")
        parser.add_argument("--district", action="append", default=[], help="a district (repeat for each)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            council = council_set(name=options["name"], la_number=options["la"], districts=options["district"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Council set: {council}; {len(options['district'])} districts named")
