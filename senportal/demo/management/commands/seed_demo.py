"""``python manage.py seed_demo``: synthetic demo data for every app. Safe to run again."""

from __future__ import annotations

import random
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from requests_app import demo as requests_demo
from senportal.core import demo as core_demo


class Command(BaseCommand):
    help = (
        "Load synthetic demo data (districts, establishments, demo users when DEBUG is on, children and "
        "requests). Idempotent."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=2018, help="random seed (default 2018)")

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
            self.stdout.write(f"Requests: {requests_demo.seed_requests(rng).message()}")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s"))
