"""The virus scan against a real clamd (Debian's ClamAV with an EICAR-only signature database,
started by .ci/clamd.sh): the EICAR test file is quarantined when the scanner is on.

CI installs ClamAV (``.ci/clamd.sh install``) and sets ``SENPORTAL_REQUIRE_CLAMD=1``, so there
a missing clamd fails these tests; elsewhere they are skipped with the reason."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from core.documents import document_scan, document_upload
from core.models import Document, DocumentType, ScanState
from core.scanning import ScannerUnavailable, scan_bytes
from core.tasks import scan_document
from demo.documents_demo import demo_pdf
from requests_app.models import RequestEvent
from tests.core.document_files import EICAR
from tests.requests_app.factories import AssessingRequestFactory

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "clamd.sh"


@pytest.fixture(scope="module")
def clamd_socket(tmp_path_factory):
    if not (shutil.which("clamd") or os.access("/usr/sbin/clamd", os.X_OK)):
        if os.environ.get("SENPORTAL_REQUIRE_CLAMD") == "1":
            pytest.fail("clamd is not installed: run .ci/clamd.sh install")
        pytest.skip("clamd is not installed here (CI installs it with .ci/clamd.sh install)")
    folder = tmp_path_factory.mktemp("clamd")
    started = subprocess.run(["bash", str(SCRIPT), "start", str(folder)], capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr
    yield started.stdout.strip()
    subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], capture_output=True, timeout=30)


@pytest.fixture
def scanner_on(settings, clamd_socket, documents_storage):
    settings.CLAMAV_SOCKET = clamd_socket
    settings.DOCUMENTS_REQUIRE_SCAN = True
    return clamd_socket


def _upload(actor, request, data: bytes, name: str = "Advice.pdf") -> Document:
    return document_upload(
        actor=actor,
        kind="request",
        owner=request,
        doc_type=DocumentType.EP_ADVICE.value,
        document_date=request.received_on,
        supplied_by="Educational Psychology Service",
        file=io.BytesIO(data),
        filename=name,
    )


def test_clamd_finds_the_eicar_file_and_passes_a_clean_one(scanner_on):
    assert scan_bytes(EICAR).infected is True
    assert scan_bytes(demo_pdf("Clean", ["nothing here"])).infected is False


@pytest.mark.django_db
def test_a_pdf_carrying_eicar_is_quarantined_and_cannot_be_downloaded(scanner_on, personas, page_client_for):
    request = AssessingRequestFactory()
    infected = demo_pdf("Advice", ["see below"]).replace(b"%%EOF", b"%" + EICAR + b"\n%%EOF")
    document = _upload(personas.officer, request, infected)
    assert document.scan_state == ScanState.PENDING
    client = page_client_for(personas.officer)
    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 409  # before the scan

    assert scan_document.run(document.pk) == ScanState.INFECTED  # the Celery task's body
    document.refresh_from_db()
    assert document.scan_state == ScanState.INFECTED and "Eicar" in document.scan_result
    assert RequestEvent.objects.filter(request=request, action="document_quarantined").count() == 1
    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 409
    assert "Quarantined" in client.get(reverse("requests:detail", args=[request.pk])).content.decode()


@pytest.mark.django_db
def test_a_clean_pdf_is_passed_and_downloads(scanner_on, personas, page_client_for):
    request = AssessingRequestFactory()
    document = _upload(personas.officer, request, demo_pdf("Advice", ["all well"]))
    assert document_scan(document_id=document.pk).scan_state == ScanState.CLEAN
    response = page_client_for(personas.officer).get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 200


@pytest.mark.django_db
def test_clamd_stopped_means_a_retry_not_a_result(settings, clamd_socket, documents_storage, personas, tmp_path):
    settings.CLAMAV_SOCKET = str(tmp_path / "gone.sock")  # configured but not listening
    document = _upload(personas.officer, AssessingRequestFactory(), demo_pdf("Advice", ["x"]))
    with pytest.raises(ScannerUnavailable):
        document_scan(document_id=document.pk)
    document.refresh_from_db()
    assert document.scan_state == ScanState.PENDING
