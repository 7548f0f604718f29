"""``python manage.py make_import_sample --rows N --out FILE --seed S``: a synthetic legacy file.

Writes a CSV in the ``import_requests`` format with made-up children (names from
``demo.requests_demo``'s lists of common names) and their request histories, for trying the
importer and measuring its speed. Deterministic: the same arguments give the same file.
Needs no database.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from demo import requests_demo as demo
from demo.core_demo import KENT_DISTRICTS
from requests_app.importer.parse import COLUMNS

# Outcomes by share (Kent, docs/domain.md §4.2: about a quarter refused; most assessments end in a plan).
REQUEST_OUTCOMES: dict[str, float] = {"Y": 68, "N": 27, "W": 5}
ASSESSMENT_OUTCOMES: dict[str, float] = {"Y": 85, "N": 10, "W": 5}


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


class _Generator:
    def __init__(self, seed: int, until: date):
        self.rng = random.Random(seed)
        self.until = until
        self.first_day = date(2014, 9, 1)  # the Children and Families Act 2014 comes into force

    def child(self, number: int) -> dict[str, str]:
        rng = self.rng
        sex = demo.weighted_choice(rng, demo.SEX_WEIGHTS)
        names = demo.BOYS_NAMES if sex == "M" else demo.GIRLS_NAMES
        district = rng.choice(KENT_DISTRICTS)
        outward = rng.choice(demo.POSTCODE_AREAS[district])
        return {
            "child_ref": f"MIG-C{number:07d}",
            "forename": rng.choice(names),
            "surname": rng.choice(demo.SURNAMES),
            "sex": sex,
            # Synthetic UPNs: "Y" is no real check letter; the number makes each unique.
            "upn": f"Y886{number:09d}" if rng.random() < 0.8 else "",
            "postcode": f"{outward} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            "district": district,
            "primary_need": demo.weighted_choice(rng, demo.NEED_WEIGHTS),
        }

    def request(self, received_on: date, *, age: int) -> tuple[dict[str, str], date | None]:
        """One request's outcome columns, and the day it closed (None: still open)."""
        rng = self.rng
        source = demo.weighted_choice(rng, demo.SOURCE_WEIGHTS)
        if source == "young_person" and age < 16:
            source = "parent"
        row = {"received_on": received_on.isoformat(), "source": source}
        row.update(
            request_outcome="A",
            request_outcome_on="",
            assessment_outcome="",
            assessment_outcome_on="",
            week20_exception="0",
            draft_issued_on="",
        )
        decided_on = received_on + timedelta(days=rng.randint(20, 70))
        if decided_on > self.until:
            return row, None  # not decided yet
        outcome = demo.weighted_choice(rng, REQUEST_OUTCOMES)
        row.update(request_outcome=outcome, request_outcome_on=_iso(decided_on))
        if outcome != "Y":
            return row, decided_on
        assessment = demo.weighted_choice(rng, ASSESSMENT_OUTCOMES)
        if assessment == "Y":
            final_on = received_on + timedelta(days=rng.randint(100, 420))
            draft_on = final_on - timedelta(days=rng.randint(15, 40))
            draft_on = max(draft_on, decided_on)
            if draft_on > self.until:
                return row, None  # still assessing
            row["draft_issued_on"] = _iso(draft_on)
            if final_on > self.until:
                return row, None  # draft issued
            row.update(assessment_outcome="Y", assessment_outcome_on=_iso(final_on))
            row["week20_exception"] = "1" if rng.random() < 0.05 else "0"
            return row, final_on
        closed_on = received_on + timedelta(days=rng.randint(80, 160))
        if closed_on > self.until:
            return row, None
        row.update(assessment_outcome=assessment, assessment_outcome_on=_iso(closed_on))
        return row, closed_on

    def rows(self, count: int) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = []
        rng = self.rng
        child_number = 0
        span = (self.until - self.first_day).days
        while len(rows) < count:
            child_number += 1
            child = self.child(child_number)
            age = demo.weighted_choice(rng, demo.AGE_WEIGHTS)
            received_on = first_on = self.first_day + timedelta(days=rng.randint(0, span))
            child["date_of_birth"] = _iso(received_on - timedelta(days=int(age * 365.25) + rng.randint(0, 364)))
            for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
                if len(rows) >= count or received_on > self.until:
                    break
                request, closed_on = self.request(received_on, age=age + (received_on - first_on).days // 365)
                rows.append({**child, **request, "request_ref": f"MIG-R{len(rows) + 1:08d}"})
                if closed_on is None:
                    break  # one open request per child
                received_on = closed_on + timedelta(days=rng.randint(30, 500))
        return rows


class Command(BaseCommand):
    help = "Write a deterministic synthetic CSV for import_requests (no real data)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rows", type=int, required=True, help="number of request rows")
        parser.add_argument("--out", required=True, help="the CSV file to write")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--until",
            type=date.fromisoformat,
            default=date(2025, 12, 31),
            help="last date in the history, YYYY-MM-DD (default 2025-12-31)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rows"] < 1:
            raise CommandError("--rows must be at least 1.")
        rows = _Generator(options["seed"], options["until"]).rows(options["rows"])
        path = Path(options["out"])
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        children = len({row["child_ref"] for row in rows})
        self.stdout.write(f"Wrote {len(rows)} rows for {children} children to {path}")
