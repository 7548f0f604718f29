"""``python manage.py import_sen2 FILE.xml [--district NAME]``"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from lxml import etree

from reporting.sen2.importer import ImportRefused, import_return


class Command(BaseCommand):
    help = "Load a SEN2 return into an empty database as history (the whole file is checked first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--district", help="The district to record the children in (default: the first by name)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = import_return(options["file"], district_name=options["district"])
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(refused.problems)} problems: nothing imported") from refused
        except (OSError, etree.XMLSyntaxError) as error:
            raise CommandError(f"{options['file']}: {error}") from error
        self.stdout.write(f"Imported {result.persons} persons and {result.requests} requests (census {result.census})")
