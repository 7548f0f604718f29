"""The committee report: protective marking, figures as at, commentary per section saved as a
version with who prepared it, and small-number suppression in the by-district table."""

from __future__ import annotations

import html
import re
from datetime import date
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AccessAction, AccessLog
from core.roles import Capability, Role, capabilities_for
from reporting import tasks
from reporting.models import MonthlyMetric, ReportEdition

pytestmark = pytest.mark.django_db
MARCH = date(2025, 3, 1)


def _report(client, **params):
    return client.get(reverse("dashboard:report"), {"month": "2025-03", **params}).content.decode()


def test_the_report_carries_its_marking_top_and_foot(page_client_for, personas, settings):
    settings.REPORT_PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"
    page = _report(page_client_for(personas.manager))
    assert page.count("OFFICIAL-SENSITIVE") == 2
    assert "Not yet prepared" in page and "Draft" in page


@pytest.mark.embedded
def test_commentary_is_saved_with_the_month_as_a_new_version_each_time(page_client_for, personas):
    client = page_client_for(personas.manager)
    url = reverse("dashboard:report-commentary")
    first = client.post(url, {"month": "2025-03", "commentary_requests": "Requests rose after the school term began."})
    assert first.status_code == 302 and "month=2025-03" in first["Location"]
    client.post(url, {"month": "2025-03", "commentary_requests": "Revised.", "commentary_backlog": "EP backlog down."})
    editions = list(ReportEdition.objects.order_by("version"))
    assert [(e.version, e.prepared_by) for e in editions] == [(1, personas.manager), (2, personas.manager)]
    assert editions[0].commentary == {"requests": "Requests rose after the school term began."}  # kept as it was
    page = _report(client)
    assert "Revised." in page and "Requests rose" not in page
    assert re.search(r"Version</dt><dd[^>]*>2<", page)
    assert f"{timezone.localdate():%-d %B %Y} by" in page
    # Another month has its own versions.
    assert "Revised." not in _report(client, month="2025-04")


def test_commentary_for_a_section_the_report_does_not_have_is_refused(page_client_for, personas):
    response = page_client_for(personas.manager).post(
        reverse("dashboard:report-commentary"), {"month": "2025-03", "commentary_gossip": "No."}
    )
    assert (
        response.status_code == 400
        and "no section" in response.content.decode()
        and "gossip" in response.content.decode()
    )
    assert not ReportEdition.objects.exists()


@pytest.mark.parametrize("role", list(Role))
def test_only_managers_prepare_the_report(page_client_for, personas, role):
    response = page_client_for(personas.for_role(role)).post(
        reverse("dashboard:report-commentary"), {"month": "2025-03", "commentary_requests": "Text"}
    )
    assert response.status_code == (302 if role == Role.MANAGER else 403)


def test_small_numbers_by_district_are_c_and_cannot_be_worked_out_from_the_total(
    page_client_for, personas, districts, settings
):
    settings.SUPPRESSION_THRESHOLD = 5
    ashford, canterbury = districts
    now = timezone.now()
    rows = {
        ashford: {"requests_received": 3, "decisions_to_assess": 10, "decisions_not_to_assess": 10, "plans_issued": 7},
        canterbury: {
            "requests_received": 40,
            "decisions_to_assess": 6,
            "decisions_not_to_assess": 9,
            "plans_issued": 8,
        },
        None: {"requests_received": 43, "decisions_to_assess": 16, "decisions_not_to_assess": 19, "plans_issued": 15},
    }
    MonthlyMetric.objects.bulk_create(
        [MonthlyMetric(month=MARCH, district=d, data=data, computed_at=now) for d, data in rows.items()]
    )
    page = _report(page_client_for(personas.manager))
    table = page[page.index('id="table-report_districts"') :]
    table = table[: table.index("</table>")]

    def cells(name: str) -> list[str]:
        row = table[table.index(f">{name}</th>") :]
        row = row[: row.index("</tr>")]
        return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]

    # requests: Ashford's 3 is c (primary); Canterbury's 40 would give it back from 43, so it is c too.
    assert cells("Ashford")[0].startswith("c") and cells("Canterbury")[0].startswith("c")
    assert cells("All districts")[0].startswith("43")
    # the other columns have nothing below 5 and are shown
    assert cells("Ashford")[1].startswith("10") and cells("Canterbury")[3].startswith("8")


@pytest.mark.embedded
def test_the_report_downloads_as_a_pdf_with_its_charts_and_is_logged(
    page_client_for, personas, districts, documents_storage, django_capture_on_commit_callbacks
):
    """Saving the commentary makes a version whose PDF the worker draws and keeps; the report
    leads to it, and its download goes through the export gate and is logged."""
    client = page_client_for(personas.manager)
    page = _report(client)
    assert "<svg" in page and 'role="img"' in page  # the charts are drawn on the server
    with (
        mock.patch("reporting.services.current_app.send_task") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(reverse("dashboard:report-commentary"), {"month": "2025-03", "commentary_requests": "Up."})
    edition = ReportEdition.objects.get()
    (task_name,), kwargs = send.call_args
    tasks.report_pdf.apply(**kwargs).get()  # what the worker runs
    page = _report(client)
    assert "Download this report as a PDF" in page
    status_url = reverse("dashboard:report-pdf", args=[edition.pk])
    assert status_url in page and task_name == "reports.report_pdf"
    assert 'id="pdf-download"' in client.get(status_url).content.decode()
    response = client.get(reverse("dashboard:report-pdf-download", args=[edition.pk]), {"purpose": "service_planning"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"] == 'attachment; filename="report-2025-03-all-districts-v1.pdf"'
    assert AccessLog.objects.filter(action=AccessAction.EXPORT, object_type="dashboard_report_pdf").count() == 1


def test_only_managers_are_led_to_the_pdf(page_client_for, personas):
    """The PDF is a prepared version's record: readers who may not prepare the report print the
    page from the browser (``?format=pdf`` is refused them)."""
    for role in (Role.MANAGER, Role.PANEL_CHAIR):
        response = page_client_for(personas.for_role(role)).get(
            reverse("dashboard:report"), {"month": "2025-03", "format": "pdf", "purpose": "service_planning"}
        )
        allowed = Capability.REPORTS_PREPARE in capabilities_for({role})
        assert response.status_code == (400 if allowed else 403)  # 400: no version saved yet


def test_every_table_of_the_report_and_its_files_suppress_small_numbers(page_client_for, personas, settings):
    """Not only the district table: the month's figures, the 13-month trend and their CSV files
    show a small count and the shares worked out from it as "c"."""
    settings.SUPPRESSION_THRESHOLD = 5
    data = {"requests_received": 40, "requests_from_parents": 3, "decisions_to_assess": 2, "decisions_not_to_assess": 9}
    MonthlyMetric.objects.create(month=MARCH, district=None, data=data, computed_at=timezone.now())
    client = page_client_for(personas.manager)
    page = _report(client)

    def table(key: str) -> str:
        found = page[page.index(f'id="table-{key}"') :]
        return found[: found.index("</table>")]

    def row(html: str, header: str) -> list[str]:
        found = html[html.index(header) :]
        found = found[: found.index("</tr>")]
        return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", found, re.S)]

    summary = table("report_summary")
    assert row(summary, "Requests received")[0].startswith("40")
    for header in ("from parents", "Decisions to assess", "Refusal rate (decision basis)"):
        assert row(summary, header)[0] == "c", header
    assert 'shown as "c"' in html.unescape(page)
    trend = table("trend_requests")
    march = row(trend, "March 2025")
    assert "c" in march and any(cell.startswith("40") for cell in march)
    response = client.get(
        reverse("dashboard:report"),
        {"month": "2025-03", "table": "report_summary", "format": "csv", "purpose": "service_planning"},
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    lines = {line.split(",")[0]: line for line in text.splitlines() if line}
    parents = next(line for key, line in lines.items() if "from parents" in key)
    assert parents.endswith(",c") and ",3" not in parents


def test_the_case_list_annex_lists_each_figures_cases_minimised_and_logged(page_client_for, personas, districts):
    """The identifiable lists are a separate annex: the cases behind each count of the month,
    by reference only (no child's name), as many as the figure, each read access-logged."""
    from tests.requests_app.factories import AssessmentRequestFactory

    received = [AssessmentRequestFactory(received_on=date(2025, 3, day)) for day in (3, 4, 5)]
    AssessmentRequestFactory(received_on=date(2025, 4, 1))  # another month: not listed
    client = page_client_for(personas.manager)
    assert "case-list annex" in _report(client)
    response = client.get(reverse("dashboard:report-annex"), {"month": "2025-03"})
    assert response.status_code == 200
    page = response.content.decode()
    section = page[page.index('id="annex-table-requests_received"') :]
    section = section[: section.index("</table>")]
    assert all(str(r) in section for r in received) and section.count("<tr") == 1 + len(received)
    assert all(r.child.surname not in page and r.child.forename not in page for r in received)
    assert page.count("OFFICIAL-SENSITIVE") >= 2 or "marking-top" in page
    logged = set(AccessLog.objects.filter(action=AccessAction.LIST).values_list("child_id", flat=True))
    assert {r.child_id for r in received} <= logged
    assert client.get(reverse("dashboard:report-annex"), {"month": "2025-13"}).status_code == 400


@pytest.mark.parametrize("role", [Role.SEN_OFFICER, Role.FINANCE_OFFICER, Role.PANEL_MEMBER])
def test_the_annex_is_refused_to_readers_who_may_not_open_requests_or_reports(page_client_for, personas, role):
    response = page_client_for(personas.for_role(role)).get(reverse("dashboard:report-annex"), {"month": "2025-03"})
    assert response.status_code == 403
