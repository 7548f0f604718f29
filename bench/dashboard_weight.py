"""How heavy the dashboard page is for a long range (issue 16: at most 300 KB of HTML).

    DEBUG=1 python bench/dashboard_weight.py [--from 2016-01] [--to 2026-11] [--synthetic]

Signs a manager in with Django's test client against the configured database and reports the
HTML size and time of the dashboard for the range (all districts and the first district). With
``--synthetic`` it first stores made-up snapshots for every month, district and year of the range
inside a transaction that is rolled back afterwards, so it can run on an empty database. With
``--chromium`` it also times a headless Chromium rendering the saved HTML (without its assets).
A measurement to report, not a test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

# A script run from anywhere: the project on the path and Django set up before the imports
# below, which need the app registry (hence their E402).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "senportal.settings")

# A script run from the command line: the repository goes on the path and Django is set up
# before anything that reads settings or models is imported, so those imports follow (E402).
import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.models import District  # noqa: E402
from core.roles import Role  # noqa: E402
from reporting.models import AnnualMetric, MonthlyMetric  # noqa: E402
from reporting.services import months_between  # noqa: E402


class Rollback(Exception):
    pass


def _synthetic(first: date, last: date) -> None:
    now = timezone.now()
    scopes = [None, *District.objects.values_list("pk", flat=True)]
    data = {
        "requests_received": 300, "requests_from_parents": 220, "decisions_to_assess": 150,
        "decisions_not_to_assess": 90, "decisions_made": 240, "decisions_within_6_weeks": 200,
        "plans_issued": 180, "plans_issued_within_20_weeks": 70, "plans_issued_excluding_exceptions": 170,
        "plans_issued_within_20_weeks_excluding_exceptions": 68, "not_issue_decisions": 12,
        "not_issue_decisions_within_16_weeks": 10, "advice_returned.educational_psychology": 140,
        "advice_returned_within_6_weeks.educational_psychology": 60,
    }  # fmt: skip
    months = months_between(first, last)
    MonthlyMetric.objects.filter(month__in=months).delete()
    MonthlyMetric.objects.bulk_create(
        [MonthlyMetric(month=m, district_id=s, data=data, computed_at=now) for m in months for s in scopes]
    )
    years = sorted({m.year for m in months})
    AnnualMetric.objects.filter(year__in=years).delete()
    AnnualMetric.objects.bulk_create(
        [
            AnnualMetric(year=y, district_id=s, data={"requests_received": 3600}, computed_at=now)
            for y in years
            for s in scopes
        ]
    )


def _measure(client: Client, params: dict[str, str], chromium: bool) -> str:
    started = time.perf_counter()
    response = client.get(reverse("dashboard:home"), params)
    took = time.perf_counter() - started
    html = response.content
    line = f"{params}: HTTP {response.status_code}, {len(html) / 1024:.0f} KB of HTML, served in {took:.2f} s"
    if chromium:
        with tempfile.NamedTemporaryFile("wb", suffix=".html", delete=False) as handle:
            handle.write(html)
        started = time.perf_counter()
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", f"file://{handle.name}"],
            capture_output=True,
            check=False,
            timeout=120,
        )
        line += f", headless Chromium loaded it in {time.perf_counter() - started:.2f} s"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="first", default="2016-01")
    parser.add_argument("--to", dest="last", default="2026-11")
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--chromium", action="store_true")
    args = parser.parse_args()
    setup_test_environment()
    first, last = date.fromisoformat(f"{args.first}-01"), date.fromisoformat(f"{args.last}-01")
    from tests.conftest import make_user

    try:
        with transaction.atomic():
            if args.synthetic:
                _synthetic(first, last)
            client = Client()
            client.force_login(make_user(Role.MANAGER, username="bench_manager"))
            params = {"from_month": args.first, "to_month": args.last}
            sys.stdout.write(_measure(client, params, args.chromium) + "\n")
            district = District.objects.order_by("name").first()
            if district is not None:
                sys.stdout.write(_measure(client, {**params, "district": str(district.pk)}, args.chromium) + "\n")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
