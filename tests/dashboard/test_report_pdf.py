"""The committee report's PDF, drawn by the worker for a saved version and kept (issue 16): the
task draws and stores it with its SHA-256, the download returns the stored bytes unchanged
through the export gate, and the page says where it stands (being prepared, ready, failed with
a retry), managers only. WeasyPrint runs in two tests; the rest draw with a stand-in."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from core import sudo
from core.models import AccessAction, AccessLog
from core.roles import Role
from reporting import services, tasks
from reporting.edition_pdf import edition_html
from reporting.models import REPORT_PDF_STUCK_SECONDS, MonthlyMetric, ReportEdition, ReportPdf
from reporting.views.report import REPORT_SECTIONS

pytestmark = pytest.mark.django_db
MARCH = date(2025, 3, 1)
FAKE_PDF = b"%PDF-1.7\n% a stand-in for WeasyPrint's file\n%%EOF\n"


def _edition(user: Any, text: str = "Requests rose in March.") -> ReportEdition:
    with mock.patch("reporting.services.current_app.send_task"):
        return services.report_edition_save(
            month=MARCH,
            district_id=None,
            prepared_by=user,
            commentary={"requests": text},
            sections=REPORT_SECTIONS,
        )


def _drawn(edition: ReportEdition, content: bytes = FAKE_PDF) -> ReportPdf:
    return services.report_pdf_run(pdf_id=edition.pdf.pk, render=lambda _edition, _at: content)


def _page(client: Any, edition: ReportEdition) -> Any:
    return client.get(reverse("dashboard:report-pdf", args=[edition.pk]))


def _download(client: Any, edition: ReportEdition, **query: str) -> Any:
    return client.get(reverse("dashboard:report-pdf-download", args=[edition.pk]), query)


# --- The task ----------------------------------------------------------------------------------


def test_saving_a_version_queues_its_pdf_for_the_worker(personas, django_capture_on_commit_callbacks):
    with (
        mock.patch("reporting.services.current_app.send_task") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        edition = services.report_edition_save(
            month=MARCH, district_id=None, prepared_by=personas.manager, commentary={}, sections=REPORT_SECTIONS
        )
    pdf = ReportPdf.objects.get(edition=edition)
    assert pdf.status == ReportPdf.Status.QUEUED and pdf.requested_by == personas.manager
    send.assert_called_once_with(services.REPORT_PDF_TASK, args=[pdf.pk])


def test_the_task_draws_the_version_and_stores_it_with_its_hash(personas, documents_storage, settings):
    settings.REPORT_PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"
    MonthlyMetric.objects.create(
        month=MARCH,
        district=None,
        data={"requests_received": 40, "requests_from_parents": 3},
        computed_at=timezone.now(),
    )
    first = _edition(personas.manager, "The first version says this.")
    _edition(personas.manager, "The second version says that.")  # a later version does not change the first's PDF

    result = tasks.report_pdf.apply(args=[first.pdf.pk]).get()  # what the worker runs (WeasyPrint)

    pdf = ReportPdf.objects.get(edition=first)
    assert result == {"pdf": pdf.pk, "status": "done", "bytes": pdf.size}
    stored = (documents_storage / pdf.storage_key).read_bytes()
    assert stored.startswith(b"%PDF-") and len(stored) == pdf.size
    assert pdf.sha256 == hashlib.sha256(stored).hexdigest()
    assert pdf.rendered_at is not None and pdf.attempts == 1
    assert pdf.storage_key.startswith(f"{services.REPORT_PDF_FOLDER}/")
    # What was drawn: that version's commentary and block, the marking, no links, suppression.
    html = edition_html(first, rendered_at=pdf.rendered_at)
    assert "The first version says this." in html and "second version" not in html
    assert re.search(r"Version</th><td>1<", html)
    assert html.count("OFFICIAL-SENSITIVE") == 2 and "<svg" in html
    assert "<a " not in html and "/dashboard/cases/" not in html
    assert re.search(r"from parents</th><td[^>]*>c<", html)  # 3 is below the threshold
    # A second delivery of the task draws nothing again: the record stays as it was.
    tasks.report_pdf.apply(args=[pdf.pk]).get()
    assert ReportPdf.objects.get(pk=pdf.pk).sha256 == pdf.sha256 and (documents_storage / pdf.storage_key).exists()


def test_a_failed_drawing_is_recorded_and_asked_for_again(personas, documents_storage):
    edition = _edition(personas.manager)

    def broken(_edition: ReportEdition, _at: Any) -> bytes:
        raise RuntimeError("the renderer fell over")

    pdf = services.report_pdf_run(pdf_id=edition.pdf.pk, render=broken)
    assert pdf.status == ReportPdf.Status.FAILED and pdf.failure == "Stopped: RuntimeError"
    assert not pdf.storage_key and not list(documents_storage.rglob("*.pdf"))
    with mock.patch("reporting.services.current_app.send_task"):
        again, queued = services.report_pdf_request(edition_id=edition.pk, requested_by=personas.manager)
    assert queued and again.status == ReportPdf.Status.QUEUED and not again.failure
    assert _drawn(edition).status == ReportPdf.Status.DONE
    # Asking once it is ready keeps the file: never drawn again.
    kept, queued = services.report_pdf_request(edition_id=edition.pk, requested_by=personas.manager)
    assert not queued and kept.sha256 == hashlib.sha256(FAKE_PDF).hexdigest()


# --- The page and its states, by role ------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_only_managers_see_the_pdf_page_and_download(page_client_for, personas, documents_storage, role):
    edition = _edition(personas.manager)
    _drawn(edition)
    client = page_client_for(personas.for_role(role))
    allowed = role == Role.MANAGER
    assert _page(client, edition).status_code == (200 if allowed else 403)
    assert _download(client, edition, purpose="service_planning").status_code == (200 if allowed else 403)
    assert AccessLog.objects.filter(object_type="dashboard_report_pdf").count() == (1 if allowed else 0)


def test_the_page_shows_the_pdf_being_prepared_then_ready(page_client_for, personas, documents_storage):
    edition = _edition(personas.manager)
    client = page_client_for(personas.manager)
    page = _page(client, edition).content.decode()
    assert "Being prepared" in page and 'http-equiv="refresh"' in page and "Waiting for the worker" in page
    assert 'id="pdf-download"' not in page
    # Not ready: the download leads back to the page, and nothing is logged.
    response = _download(client, edition, purpose="service_planning")
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:report-pdf", args=[edition.pk])
    ReportPdf.objects.filter(edition=edition).update(status=ReportPdf.Status.RUNNING)
    assert "The PDF is being drawn" in _page(client, edition).content.decode()
    ReportPdf.objects.filter(edition=edition).update(status=ReportPdf.Status.QUEUED)
    pdf = _drawn(edition)
    page = _page(client, edition).content.decode()
    assert "Ready" in page and 'http-equiv="refresh"' not in page and 'id="pdf-download"' in page
    assert pdf.sha256 in page and pdf.filename in page
    assert not AccessLog.objects.filter(object_type="dashboard_report_pdf").exists()


def test_a_failed_pdf_offers_a_retry_and_never_a_server_error(page_client_for, personas, documents_storage):
    edition = _edition(personas.manager)
    services.report_pdf_run(pdf_id=edition.pdf.pk, render=mock.Mock(side_effect=OSError("disk full")))
    client = page_client_for(personas.manager)
    response = _page(client, edition)
    page = response.content.decode()
    assert response.status_code == 200 and "could not be prepared" in page and "Try again" in page
    assert 'http-equiv="refresh"' not in page and 'id="pdf-download"' not in page
    with mock.patch("reporting.services.current_app.send_task"):
        retried = client.post(reverse("dashboard:report-pdf", args=[edition.pk]))
    assert retried.status_code == 302
    assert ReportPdf.objects.get(edition=edition).status == ReportPdf.Status.QUEUED
    assert "Being prepared" in _page(client, edition).content.decode()


def test_a_pdf_left_running_past_its_time_limit_may_be_asked_again(page_client_for, personas):
    edition = _edition(personas.manager)
    started = timezone.now() - timedelta(seconds=REPORT_PDF_STUCK_SECONDS - 60)
    ReportPdf.objects.filter(edition=edition).update(status=ReportPdf.Status.RUNNING, started_at=started)
    client = page_client_for(personas.manager)
    assert "Try again" not in _page(client, edition).content.decode()
    with mock.patch("reporting.services.current_app.send_task") as send:
        assert services.report_pdf_request(edition_id=edition.pk, requested_by=personas.manager)[1] is False
    assert not send.called
    ReportPdf.objects.filter(edition=edition).update(started_at=started - timedelta(seconds=120))
    page = _page(client, edition).content.decode()
    assert "Try again" in page and 'http-equiv="refresh"' not in page
    with mock.patch("reporting.services.current_app.send_task"):
        client.post(reverse("dashboard:report-pdf", args=[edition.pk]))
    assert ReportPdf.objects.get(edition=edition).status == ReportPdf.Status.QUEUED


def test_an_unknown_version_is_not_found(page_client_for, personas):
    assert page_client_for(personas.manager).get(reverse("dashboard:report-pdf", args=[999_999])).status_code == 404


# --- The download: the stored bytes, through the export gate ----------------------------------------


def test_the_download_is_the_stored_file_unchanged_each_time(page_client_for, personas, documents_storage):
    edition = _edition(personas.manager)
    pdf = _drawn(edition)
    client = page_client_for(personas.manager)
    first = _download(client, edition, purpose="service_planning")
    second = _download(client, edition, purpose="panel")
    assert first.content == second.content == FAKE_PDF
    assert first["Content-Type"] == "application/pdf" and first["Cache-Control"] == "no-store"
    assert first["Content-Disposition"] == f'attachment; filename="{pdf.filename}"'
    assert pdf.filename == "report-2025-03-all-districts-v1.pdf"
    logged = AccessLog.objects.filter(object_type="dashboard_report_pdf", object_id=pdf.pk, action=AccessAction.EXPORT)
    assert logged.count() == 2 and "purpose=panel" in logged.order_by("-pk").first().path


def test_a_stored_file_that_no_longer_matches_its_hash_is_refused(page_client_for, personas, documents_storage):
    edition = _edition(personas.manager)
    pdf = _drawn(edition)
    (documents_storage / pdf.storage_key).write_bytes(FAKE_PDF + b"tampered")
    response = _download(page_client_for(personas.manager), edition, purpose="service_planning")
    assert response.status_code == 409 and b"tampered" not in response.content
    assert not AccessLog.objects.filter(object_type="dashboard_report_pdf").exists()


def test_the_download_asks_for_a_purpose_and_a_fresh_sign_in(page_client_for, personas, documents_storage):
    edition = _edition(personas.manager)
    _drawn(edition)
    client = page_client_for(personas.manager)
    asked = _download(client, edition)
    assert asked.status_code == 200 and b"purpose" in asked.content and asked["Content-Type"].startswith("text/html")
    session = client.session
    session.pop(sudo.SUDO_SESSION_KEY, None)
    session.save()
    assert _download(client, edition, purpose="service_planning").status_code == 302
    assert not AccessLog.objects.filter(object_type="dashboard_report_pdf").exists()


def test_the_report_page_leads_to_the_latest_versions_pdf(page_client_for, personas):
    client = page_client_for(personas.manager)
    url = reverse("dashboard:report")
    assert (
        "Save the commentary below to make the first version" in client.get(url, {"month": "2025-03"}).content.decode()
    )
    draft = client.get(url, {"month": "2025-03", "format": "pdf"})
    assert draft.status_code == 400 and "save the commentary" in draft.content.decode()
    _edition(personas.manager)
    latest = _edition(personas.manager, "Second")
    page = client.get(url, {"month": "2025-03"}).content.decode()
    assert reverse("dashboard:report-pdf", args=[latest.pk]) in page
    response = client.get(url, {"month": "2025-03", "format": "pdf"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:report-pdf", args=[latest.pk])


# --- The API ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MANAGER, Role.PANEL_CHAIR, Role.SEN_OFFICER])
def test_the_api_gives_the_pdf_status_to_managers_only(api_client_for, personas, documents_storage, role):
    edition = _edition(personas.manager)
    client = api_client_for(personas.for_role(role))
    url = reverse("report-edition-pdf", args=[edition.pk])
    response = client.get(url)
    if role != Role.MANAGER:
        assert response.status_code == 403 and client.post(url).status_code == 403
        return
    assert response.status_code == 200 and response.json()["status"] == "queued"
    assert response.json()["file_url"] is None and response.json()["version"] == 1
    pdf = _drawn(edition)
    body = client.get(url).json()
    assert body["status"] == "done" and body["sha256"] == pdf.sha256 and body["size"] == len(FAKE_PDF)
    assert body["file_url"] == reverse("report-edition-pdf-file", args=[edition.pk])
    # An API token is never a fresh sign-in: the file needs a session (core/sudo.py).
    assert client.get(body["file_url"], {"purpose": "service_planning"}).status_code == 403


def test_the_api_asks_for_a_pdf_and_returns_the_stored_file(personas, documents_storage):
    from rest_framework.test import APIClient

    with mock.patch("reporting.services.current_app.send_task"):
        edition = ReportEdition.objects.create(
            month=MARCH, version=1, commentary={}, prepared_by=personas.manager, prepared_at=timezone.now()
        )
    client = APIClient()
    client.force_login(personas.manager)
    url = reverse("report-edition-pdf", args=[edition.pk])
    assert client.get(url).status_code == 404  # not asked for yet
    with mock.patch("reporting.services.current_app.send_task"):
        asked = client.post(url)
        again = client.post(url)
    assert asked.status_code == 202 and asked.json()["status"] == "queued"
    assert again.status_code == 200 and again.json()["id"] == asked.json()["id"]
    file_url = reverse("report-edition-pdf-file", args=[edition.pk])
    assert client.get(file_url, {"purpose": "service_planning"}).status_code == 409  # not ready
    services.report_pdf_run(pdf_id=asked.json()["id"], render=lambda _e, _at: FAKE_PDF)
    missing = client.get(file_url)
    assert missing.status_code == 400 and "purpose" in missing.content.decode()
    response = client.get(file_url, {"purpose": "audit"})
    assert response.status_code == 200 and response.content == FAKE_PDF
    assert AccessLog.objects.filter(object_type="dashboard_report_pdf", action=AccessAction.EXPORT).count() == 1


# --- The demo ----------------------------------------------------------------------------------------


def test_seed_demo_queues_the_latest_versions_pdf_for_the_worker(personas, django_capture_on_commit_callbacks):
    from demo.report_demo import seed_report_pdf

    today = date(2025, 4, 10)
    with (
        mock.patch("reporting.services.current_app.send_task") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        line = seed_report_pdf(today=today, manager=personas.manager)
    edition = ReportEdition.objects.get()
    assert edition.month == MARCH and "March 2025 version 1" in line
    pdf = ReportPdf.objects.get(edition=edition)
    assert pdf.status == ReportPdf.Status.QUEUED and not pdf.storage_key  # queued, not drawn here
    send.assert_called_once_with(services.REPORT_PDF_TASK, args=[pdf.pk])
    # Seeding again asks for nothing more.
    with mock.patch("reporting.services.current_app.send_task") as send:
        seed_report_pdf(today=today, manager=personas.manager)
    assert ReportPdf.objects.count() == 1 and ReportEdition.objects.count() == 1 and not send.called
