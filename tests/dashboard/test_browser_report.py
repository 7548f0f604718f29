"""Headless Chromium: a manager opens the committee report, prints it to PDF (the browser's own
print, with the print stylesheet) and the printout has every section, the marking and the
charts; a screenshot is kept under var/screenshots/ to look at."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reporting import services
from tests.dashboard.conftest import BACKLOG_DAY

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_prints_the_committee_report_to_pdf(page, live_server, personas, sign_in, march_world):
    services.metrics_compute_range(from_month=date(2024, 3, 1), to_month=date(2025, 4, 1))
    services.backlog_snapshot_take(on=date(2025, 3, 31))
    services.backlog_snapshot_take(on=BACKLOG_DAY)
    sign_in(page, personas.manager)
    page.goto(f"{live_server.url}/dashboard/report/?month=2025-03")
    page.get_by_label("Commentary on Requests, decisions and plans").fill("More requests from parents than last March.")
    page.get_by_role("button", name="Save commentary as a new version").click()
    page.wait_for_load_state("load")
    assert "More requests from parents" in page.content()

    page.emulate_media(media="print")
    for heading in ("Requests, decisions and plans", "By district", "The last 13 months", "Backlog", "Definitions"):
        assert page.get_by_role("heading", name=heading, exact=True).is_visible(), heading
    assert page.locator("svg.app-svg-chart").count() == 2
    assert page.get_by_text("OFFICIAL-SENSITIVE").count() == 2
    assert not page.get_by_role("button", name="Save commentary as a new version").is_visible()  # not printed
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "committee-report-print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    (SHOTS / "committee-report.pdf").write_bytes(pdf)
