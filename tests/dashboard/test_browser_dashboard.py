"""Headless Chromium: a manager reads the dashboard (charts drawn under the page's CSP, tables
beside them), follows a number to the cases behind it and downloads a CSV; every page visited
passes the axe-core scan."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reporting import services
from tests.dashboard.conftest import BACKLOG_DAY


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_reads_the_dashboard_follows_a_number_and_exports_a_csv(
    page, live_server, personas, sign_in, assert_accessible, march_world
):
    services.metrics_compute_range(from_month=date(2025, 1, 1), to_month=date(2025, 4, 1))
    services.backlog_snapshot_take(on=BACKLOG_DAY)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Any script or stylesheet that fails to load (the browser's own favicon request aside).
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )

    sign_in(page, personas.manager)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/dashboard/")
    page.get_by_label("From", exact=True).fill("2025-01")
    page.get_by_label("To", exact=True).fill("2025-04")
    page.get_by_role("button", name="Show figures").click()
    page.wait_for_load_state("load")

    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    # Every chart was drawn by Chart.js (the vendored script and our module ran under the CSP).
    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() >= 6
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart]')).every(c => window.Chart.getChart(c) !== undefined)"
    )
    assert drawn
    assert page.locator("#table-requests").is_visible()
    assert errors == []
    assert_accessible(page)

    # March: 3 requests received; the number is a link to those 3 cases.
    page.locator("#table-requests").get_by_role("link", name="3 requests received in March 2025").click()
    page.wait_for_url("**/dashboard/cases/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Requests received"
    assert page.locator("#table-cases tbody tr").count() == 3
    assert_accessible(page)

    # Every export asks why first (the purpose goes into the access log), then downloads.
    page.get_by_role("link", name="CSV").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.get_by_role("heading", level=1).inner_text() == "Why are you downloading this?"
    assert_accessible(page)
    page.locator("input[name=purpose]").first.check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert content.splitlines()[0].startswith("Reference,Child")
    assert len(content.strip().splitlines()) == 4  # header + 3 cases

    # The printable report for a month.
    page.goto(f"{live_server.url}/dashboard/report/?month=2025-03")
    assert page.get_by_role("heading", level=1).inner_text() == "March 2025"
    assert_accessible(page)
