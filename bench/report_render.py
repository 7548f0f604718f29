"""How long the committee report takes to render (issue 16: under 2 seconds), on the demo data.

    DEBUG=1 python bench/report_render.py [--month 2026-11] [--runs 5] [--chromium]

Signs a manager in with Django's test client against the configured (seeded) database and, for
the month (the last full month by default), all districts and the first district, reports: the
print view served (median of ``--runs`` after one warm-up, and the SQL queries it ran), the
same HTML drawn as a PDF by WeasyPrint (what ``?format=pdf`` returned before the worker drew the PDF;
``bench/report_pdf_cpu.py`` measures that and the worker's template in CPU seconds),
and with ``--chromium`` a headless Chromium printing the saved HTML to PDF. A measurement to
report (docs/benchmarks.md), not a test. Nothing is written to the database except the
benchmark manager's account, inside a transaction that is rolled back.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "senportal.settings")

# A script run from the command line: the repository goes on the path and Django is set up
# before anything that reads settings or models is imported, so those imports follow (E402).
import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.models import District  # noqa: E402
from core.roles import Role  # noqa: E402
from reporting.pdf import html_to_pdf  # noqa: E402
from reporting.services import previous_month  # noqa: E402


class Rollback(Exception):
    pass


def _measure(client: Client, params: dict[str, str], runs: int, chromium: bool) -> str:
    url = reverse("dashboard:report")
    client.get(url, params)  # warm-up: templates compiled, caches filled
    times, queries = [], 0
    response = None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, params)
            times.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    assert response is not None and response.status_code == 200, response
    html = response.content
    line = (
        f"{params}: print view {statistics.median(times):.2f} s (median of {runs}), {queries} queries, "
        f"{len(html) / 1024:.0f} KB"
    )
    context = response.context
    if context is not None:
        keys = (
            "month_label",
            "scope",
            "district",
            "all_districts_url",
            "found",
            "sections",
            "council_wide_note",
            "definitions",
            "marking",
            "edition",
            "can_prepare",
            "month_value",
            "district_id",
            "as_at",
            "pdf_url",
        )
        view_context = {key: context[key] for key in keys}
        page = render_to_string(
            "dashboard/report.html", {**view_context, "for_pdf": True}, request=response.wsgi_request
        )
        started = time.perf_counter()
        pdf = html_to_pdf(page)
        line += f"; PDF (WeasyPrint) {time.perf_counter() - started:.2f} s, {len(pdf) / 1024:.0f} KB"
    if chromium:
        with tempfile.NamedTemporaryFile("wb", suffix=".html", delete=False) as handle:
            handle.write(html)
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            subprocess.run(
                [
                    "chromium",
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    f"--print-to-pdf={folder}/report.pdf",
                    f"file://{handle.name}",
                ],
                capture_output=True,
                check=False,
                timeout=120,
            )
            line += f"; headless Chromium printed it in {time.perf_counter() - started:.2f} s"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chromium", action="store_true")
    args = parser.parse_args()
    setup_test_environment()
    month = args.month or f"{previous_month(timezone.localdate()):%Y-%m}"
    from tests.conftest import make_user

    try:
        with transaction.atomic():
            client = Client()
            client.force_login(make_user(Role.MANAGER, username="bench_report_manager"))
            sys.stdout.write(_measure(client, {"month": month}, args.runs, args.chromium) + "\n")
            district = District.objects.order_by("name").first()
            if district is not None:
                params = {"month": month, "district": str(district.pk)}
                sys.stdout.write(_measure(client, params, args.runs, args.chromium) + "\n")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
