"""``python manage.py seed_national --scale national|county | --requests N [--seed S]``

Loads a national-size synthetic data set into PostgreSQL for benchmarks and load tests: 1.5
million requests over ten years with their children, decisions, advice requests, clock
exceptions and timeline events, and 30,000 independent placements with their panel decisions
(``--scale county``: about 40,000 requests; ``--requests N``: any size). See
``demo.national``. Refuses SQLite, and refuses a database holding other data unless
``--force``; ``--reset`` empties the request, panel and placement tables first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from demo import national


class Command(BaseCommand):
    help = "Load a national-size synthetic data set into PostgreSQL with COPY (benchmarks and load tests)."

    def add_arguments(self, parser: CommandParser) -> None:
        size = parser.add_mutually_exclusive_group()
        size.add_argument(
            "--scale",
            choices=sorted(national.SCALES),
            help="national: 1,500,000 requests; county: 40,000 (default national)",
        )
        size.add_argument("--requests", type=int, help="any number of requests, e.g. 150000")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--until",
            type=date.fromisoformat,
            help="the last day of the ten years, YYYY-MM-DD (default today); fix it for identical data",
        )
        parser.add_argument(
            "--placements", type=int, help="independent placements (default 2%% of requests: 30,000 at national)"
        )
        parser.add_argument("--force", action="store_true", help="load even if the database holds other data")
        parser.add_argument(
            "--reset", action="store_true", help="empty the request, panel and placement tables before loading"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing (and succeed) if national data is already loaded"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        requests = options["requests"] or national.SCALES[options["scale"] or "national"]
        if requests < 1:
            raise CommandError("--requests must be at least 1.")
        opts = national.Options(
            requests=requests,
            seed=options["seed"],
            until=options["until"] or timezone.localdate(),
            placements=options["placements"],
        )
        try:
            national.check_engine()
            if options["if_empty"] and national.data_present()["national_requests"]:
                self.stdout.write("National data is already loaded: nothing to do.")
                return
            self.stdout.write(
                f"Loading {opts.requests:,} requests ({opts.first_day:%d %B %Y} to {opts.until:%d %B %Y}), "
                f"about {opts.placement_target:,} placements, seed {opts.seed}"
            )
            result = national.load(
                opts, force=options["force"], reset=options["reset"], log=lambda m: self.stdout.write(m)
            )
        except national.NationalDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))
