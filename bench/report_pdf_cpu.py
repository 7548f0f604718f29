"""The CPU the committee report's PDF costs to draw (issue 16), on a fixed synthetic data set.

    DEBUG=1 python bench/report_pdf_cpu.py [--runs 3] [--profile] [--print-view]

Needs only a migrated database (no demo history): inside a transaction that is rolled back it
stores 12 districts' figures for the 13 months to March 2025 (seeded random counts for every
figure the report shows, panel and placements included), the year's figures, a backlog snapshot
and an edition with commentary on every section, then draws that edition's PDF as the worker
does (``reporting.edition_pdf.edition_pdf``) ``--runs`` times and reports the CPU seconds
(``time.process_time``, so the machine's load matters less than wall time does) of the HTML and
of WeasyPrint, the pages and the size. ``--profile`` prints cProfile's top entries of one
WeasyPrint run. ``--print-view`` draws instead what ``?format=pdf`` drew before the worker
did it: the print view's own template (GOV.UK Frontend's stylesheet and the report's print
rules, its figures linked to their case lists), for the before-and-after comparison. A
measurement to report (docs/benchmarks.md), not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "senportal.settings")

# A script run from the command line: the repository goes on the path and Django is set up
# before anything that reads settings or models is imported, so those imports follow (E402).
import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.models import District  # noqa: E402
from core.roles import Role  # noqa: E402
from reporting import figures  # noqa: E402
from reporting.figures import FIGURES, OPEN_STAGES  # noqa: E402
from reporting.models import AnnualMetric, BacklogSnapshot, MonthlyMetric, ReportEdition  # noqa: E402
from requests_app.models import AdviserType  # noqa: E402
from requests_app.reports import BACKLOG_AGE_BANDS  # noqa: E402

MONTH = date(2025, 3, 1)
DISTRICTS = 12


class Rollback(Exception):
    pass


def _month_data(rng: random.Random) -> dict[str, object]:
    data: dict[str, object] = {}
    for key, figure in FIGURES.items():
        if key.startswith(figures.OUTCOME_PREFIX) or figure.share_of is not None:
            continue
        if figure.unit == "count":
            data[key] = rng.randint(0, 400)
        elif figure.unit == "money":
            data[key] = rng.randint(0, 9_000_000)
        else:
            data[key] = round(rng.uniform(0, 100), 1)
    data["panel_decisions_by_outcome"] = {"approved": rng.randint(5, 40), "declined": rng.randint(0, 9)}
    return data


def _backlog_data(rng: random.Random) -> dict[str, object]:
    data: dict[str, object] = {"open_requests": rng.randint(100, 900), "decisions_overdue": rng.randint(0, 90)}
    data["advice_outstanding"] = rng.randint(0, 300)
    data["advice_overdue"] = rng.randint(0, 90)
    for stage in OPEN_STAGES:
        data[f"open_requests.stage.{stage}"] = rng.randint(0, 200)
    for band in BACKLOG_AGE_BANDS:
        data[f"open_requests.age.{band}"] = rng.randint(0, 200)
    for adviser in AdviserType.values:
        data[f"advice_outstanding.{adviser}"] = rng.randint(0, 60)
        data[f"advice_overdue.{adviser}"] = rng.randint(0, 20)
    return data


def seed() -> ReportEdition:
    """The fixed data set (the same on every run: a seeded generator) and its edition."""
    from tests.conftest import make_user

    rng = random.Random(16)
    now = timezone.now()
    districts = [District.objects.create(name=f"Bench district {n:02d}") for n in range(DISTRICTS)]
    scopes: list[District | None] = [None, *districts]
    months = [figures.add_months(MONTH, -n) for n in range(13)]
    MonthlyMetric.objects.bulk_create(
        [MonthlyMetric(month=m, district=d, data=_month_data(rng), computed_at=now) for m in months for d in scopes]
    )
    AnnualMetric.objects.bulk_create(
        [AnnualMetric(year=MONTH.year, district=d, data=_month_data(rng), computed_at=now) for d in scopes]
    )
    backlog = _backlog_data(rng)
    backlog["districts"] = {str(d.pk): _backlog_data(rng) for d in districts}
    BacklogSnapshot.objects.create(on=date(2025, 3, 31), data=backlog, computed_at=now)
    manager = make_user(Role.MANAGER, username="bench_pdf_manager")
    commentary = {
        key: "Synthetic commentary for the benchmark. " * 6
        for key in ("requests", "districts", "trend", "year", "backlog", "panel", "placements")
    }
    return ReportEdition.objects.create(
        month=MONTH, district=None, version=1, commentary=commentary, prepared_by=manager, prepared_at=now
    )


def _pages(html: str) -> int:
    from reporting.pdf import html_document

    return len(html_document(html).render().pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--print-view", action="store_true")
    args = parser.parse_args()
    from django.template.loader import render_to_string

    from reporting.edition_pdf import edition_html
    from reporting.pdf import html_to_pdf
    from reporting.views.report import report_body, report_context

    def print_view_html(edition: ReportEdition) -> str:
        body = report_body(month=edition.month, district=None, links={"panel": True, "placements": True})
        return render_to_string("dashboard/report.html", {**report_context(body, edition), "for_pdf": True})

    draw_html = print_view_html if args.print_view else edition_html

    try:
        with transaction.atomic():
            edition = seed()
            html_cpu, pdf_cpu, pdf = [], [], b""
            for _ in range(args.runs):
                started = time.process_time()
                html = draw_html(edition)
                html_cpu.append(time.process_time() - started)
                started = time.process_time()
                pdf = html_to_pdf(html)
                pdf_cpu.append(time.process_time() - started)
            pages = _pages(html)
            sys.stdout.write(
                f"{'print view' if args.print_view else 'worker'}: "
                f"HTML {statistics.median(html_cpu):.2f} s CPU, {len(html) / 1024:.0f} KB; "
                f"PDF (WeasyPrint) {statistics.median(pdf_cpu):.2f} s CPU (median of {args.runs}; "
                f"min {min(pdf_cpu):.2f}, max {max(pdf_cpu):.2f}), {pages} pages, {len(pdf) / 1024:.0f} KB; "
                f"load average {os.getloadavg()[0]:.1f}\n"
            )
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                html_to_pdf(html)
                profile.disable()
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
                sys.stdout.write(out.getvalue())
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
