"""``python manage.py seed_demo``: synthetic demo data for every app. Safe to run again.

Order: reference data and users, the live demo queue (``DEMO-``), the panel, then the calibrated
county history since January 2016 (``HIST-``, demo.history: it counts the live requests
already in each month towards that month's calibrated total), and last the dashboard snapshots
for every month with requests and today's backlog, so the dashboard tells the story at once.
``--no-history`` leaves the history out, and with it the backfill of the dashboard figures
(quick runs and tests; ``manage.py compute_metrics --from YYYY-MM --to YYYY-MM --backlog`` fills
them in later).
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from demo import (
    core_demo,
    data_protection_demo,
    disputes_demo,
    documents_demo,
    notes_demo,
    panels_demo,
    people_demo,
    placements_demo,
    report_demo,
    requests_demo,
    sen2_demo,
)
from demo import history as requests_history
from reporting import services as dashboard_services
from reporting.models import MonthlyMetric
from requests_app.models import AssessmentRequest


class Command(BaseCommand):
    help = (
        "Load synthetic demo data (districts, establishments, demo users when DEBUG is on, children and "
        "requests). Idempotent."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=2018, help="random seed (default 2018)")
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="leave out the calibrated county history since January 2016 (a quick, small demo)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        rng = random.Random(options["seed"])
        with transaction.atomic():
            districts = core_demo.seed_districts()
            count = core_demo.seed_establishments(rng, districts)
            self.stdout.write(f"{len(districts)} districts, {count} establishments")
            if settings.DEBUG:
                users = core_demo.seed_users()
                self.stdout.write(f"{len(users)} demo users (password: {core_demo.DEMO_PASSWORD})")
            else:
                self.stdout.write("DEBUG is off: no demo users created.")
            # After the users: the demo officers are assigned requests and appear on timelines.
            live = requests_demo.seed_requests(rng)
            self.stdout.write(f"Requests: {live.message()}")
            panel = panels_demo.seed(rng)
            self.stdout.write(f"Panel: {panel.message()}")
            # Its own generator, as the history has: the contracts' skew across providers is the same
            # whatever the demos before it drew.
            placements = placements_demo.seed(random.Random(options["seed"]), timezone.localdate())
            self.stdout.write(f"Placements: {placements.message()}")
            self.stdout.write(f"Appeals: {disputes_demo.seed(rng, today=timezone.localdate()).message()}")
            # The case file: families, professionals, letters in the outbox, digests (issue 13).
            self.stdout.write(f"People and letters: {people_demo.seed(rng, today=timezone.localdate()).message()}")
            # Documents on the case file (issue 13): small generated PDFs of each type.
            self.stdout.write(f"Documents: {documents_demo.seed(rng, today=timezone.localdate()).message()}")
            # Case notes and corrections (issue 13, notes).
            self.stdout.write(f"Contact log: {notes_demo.seed(rng, today=timezone.localdate()).message()}")
            added = not (live.skipped and panel.skipped)
            if not options["no_history"]:
                # Its own generator, so the history is the same whatever the live demo drew.
                history = requests_history.seed_history(random.Random(options["seed"]))
                self.stdout.write(f"History: {history.message()}")
                added = added or not history.skipped
            # After the history: today's retention list includes its oldest children.
            self.stdout.write(f"Data protection: {data_protection_demo.seed().message()}")
        # SEN2 return items (docs/sen2.md): the council and the children's SEN2 details.
        ethnicities, upn_reasons = sen2_demo.seed_items()
        if options["no_history"]:
            self.stdout.write("Dashboard figures not computed (--no-history): see manage.py compute_metrics.")
        else:
            self._snapshots(refresh=added)
            # The SEN2 return for the last census, asked for as the demo manager would (DEBUG only):
            # queued for the worker `make run` starts, so seeding does not wait minutes for it.
            census, errors = sen2_demo.seed_return(today=timezone.localdate())
            summary = sen2_demo.Sen2Summary(ethnicities, upn_reasons, census, errors)
            self.stdout.write(f"SEN2: {summary.message()}")
            # The committee report's latest version and its PDF, queued for the worker likewise.
            self.stdout.write(f"Committee report: {report_demo.seed_report_pdf(today=timezone.localdate())}")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s"))

    def _snapshots(self, *, refresh: bool) -> None:
        """Every month from the first request to this one, the years they touch, and today's
        backlog: skipped when nothing was added and this month's figures are already stored."""
        today = timezone.localdate()
        this_month = today.replace(day=1)
        first = AssessmentRequest.objects.order_by("received_on").values_list("received_on", flat=True).first()
        if first is None:
            return
        if not refresh and MonthlyMetric.objects.filter(month=this_month, district__isnull=True).exists():
            self.stdout.write("Dashboard figures already stored: not recomputed.")
            return
        started = time.monotonic()
        # One transaction: on SQLite a commit per month costs more than the month's queries.
        with transaction.atomic():
            result = dashboard_services.metrics_compute_range(from_month=first.replace(day=1), to_month=this_month)
            dashboard_services.backlog_snapshot_take(on=today)
        self.stdout.write(
            f"Dashboard: {len(result.months)} months ({result.months[0]:%b %Y} to {result.months[-1]:%b %Y}), "
            f"{len(result.years)} years and today's backlog stored in {time.monotonic() - started:.1f} s"
        )
