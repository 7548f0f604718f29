"""``python manage.py make_gias_sample --rows N --out FILE [--la NNN]``: a synthetic GIAS file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.models import District
from demo.gias_sample import gias_sample


class Command(BaseCommand):
    help = "Write a synthetic file in GIAS's edubasealldata layout (no real establishment)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=50_000)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--la", default="886", help="the council's LA number (default 886)")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        districts = tuple(District.objects.values_list("name", flat=True))
        data = gias_sample(rows=options["rows"], seed=options["seed"], la_code=options["la"], districts=districts)
        options["out"].write_bytes(data)
        self.stdout.write(f"{options['out']}: {options['rows']} establishments, {len(data) // 1024} KiB")
