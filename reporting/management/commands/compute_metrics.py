"""``python manage.py compute_metrics --from YYYY-MM --to YYYY-MM [--backlog]``

Runs the dashboard's snapshot services synchronously (the same code the Celery tasks call):
every month in the range, the annual figures of every year it touches and, with
``--backlog``, today's backlog. Safe to rerun: rows are replaced, not added.
"""

from __future__ import annotations

import re
import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from core.errors import DomainError
from reporting import services

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _month(value: str, option: str) -> date:
    match = MONTH.match(value or "")
    if not match:
        raise CommandError(f"{option} must be a month like 2025-01, not {value!r}")
    return date(int(match[1]), int(match[2]), 1)


class Command(BaseCommand):
    help = "Compute and store the dashboard's monthly and annual figures (and optionally today's backlog)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="from_month", required=True, help="First month, YYYY-MM")
        parser.add_argument("--to", dest="to_month", help="Last month, YYYY-MM (default: the --from month)")
        parser.add_argument("--backlog", action="store_true", help="Also take today's backlog snapshot")

    def handle(self, *args: Any, **options: Any) -> None:
        from_month = _month(options["from_month"], "--from")
        to_month = _month(options["to_month"], "--to") if options["to_month"] else from_month
        started = time.monotonic()
        try:
            result = services.metrics_compute_range(from_month=from_month, to_month=to_month)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Computed {len(result.months)} month(s) {from_month:%Y-%m} to {to_month:%Y-%m} and "
            f"year(s) {', '.join(map(str, result.years))}: {result.rows} rows in {elapsed:.2f} s"
        )
        if options["backlog"]:
            today = timezone.localdate()
            started = time.monotonic()
            snapshot = services.backlog_snapshot_take(on=today)
            self.stdout.write(
                f"Backlog on {today.isoformat()}: {snapshot.data.get('open_requests', 0)} open requests "
                f"in {time.monotonic() - started:.2f} s"
            )
        self.stdout.write(self.style.SUCCESS("Done."))
