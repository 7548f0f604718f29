"""Headless Chromium: the educational psychologist returns their advice report on an advice
request, sees the upload refused when nothing is chosen, uploads the PDF and downloads it back.
Every page visited passes the accessibility scan."""

from __future__ import annotations

import pytest

from core.models import AccessLog, Document
from tests.core.document_files import pdf
from tests.requests_app.factories import AdviceRequestFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ep_uploads_the_advice_report_and_downloads_it(
    page, live_server, personas, sign_in, assert_accessible, documents_storage
):
    advice = AdviceRequestFactory()
    ep = personas.ep
    sign_in(page, ep)

    page.goto(f"{live_server.url}/requests/advice/")
    assert_accessible(page)
    page.get_by_role("link", name="Documents").first.click()
    page.wait_for_load_state("domcontentloaded")
    assert page.get_by_role("heading", name="Documents").is_visible()
    assert page.get_by_text("No documents yet.").is_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Upload a document").click()
    page.wait_for_load_state("domcontentloaded")
    assert_accessible(page)
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_load_state("domcontentloaded")
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("link", name="Select a file to upload").is_visible()
    assert page.title().startswith("Error:")
    assert_accessible(page)

    page.get_by_label("Upload a file").set_input_files(
        {"name": "EP advice report.pdf", "mimeType": "application/pdf", "buffer": pdf()}
    )
    page.get_by_label("Type of document").select_option("ep_advice")
    page.locator('[name="document_date_day"]').fill("2")
    page.locator('[name="document_date_month"]').fill("12")
    page.locator('[name="document_date_year"]').fill("2026")
    page.get_by_label("Supplied by").fill("Educational Psychology Service")
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_load_state("domcontentloaded")
    assert page.get_by_text("EP advice report.pdf uploaded").is_visible()
    assert page.get_by_role("cell", name="Educational psychology advice").is_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="EP advice report.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "EP advice report.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read() == pdf()

    document = Document.objects.get()
    assert (document.owner_kind, document.owner_id, document.uploaded_by) == ("advice_request", advice.pk, ep)
    assert AccessLog.objects.filter(user=ep, action="download", object_id=document.pk).count() == 1
